//! The generated health endpoints, proven against a running app: the corpus web service is
//! compiled, its entry point mounts the routes as the build's diagnostic says, and real Bun
//! runs it against real PostgreSQL and Redis on loopback. The probes are the exact commands
//! from the emitted Dockerfile and from Compose's normalised configuration.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{
    Postgres, RedisServer, Specdeploy, Tool, compose_config_json, copy_dir, filled_env, free_port,
    parse_dockerfile, run, tool,
};

const LOOPBACK: &str = "127.0.0.1";

/// The web service, compiled, with its routes mounted and its packages linked in.
struct App {
    _work: tempfile::TempDir,
    dir: PathBuf,
}

fn compiled_app() -> App {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path().join("app");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/web-service/app"),
        &dir,
    );
    let built = Specdeploy::new().arg("build").arg(&dir).run();
    built.assert_success();
    assert!(
        built.stderr.contains("SD0801"),
        "the build says how to mount the routes: {built}"
    );

    // What the diagnostic's help tells the user to add.
    let entry = dir.join("src/index.ts");
    let source = std::fs::read_to_string(&entry).expect("entry point");
    let mounted = source
        .replacen(
            "import { Hono } from \"hono\";\n",
            "import { Hono } from \"hono\";\nimport { health } from \"./api/health\";\n",
            1,
        )
        .replacen(
            "const app = new Hono();\n",
            "const app = new Hono();\napp.route(\"/\", health);\n",
            1,
        );
    assert_ne!(mounted, source);
    std::fs::write(&entry, mounted).expect("mount routes");
    let again = Specdeploy::new().arg("check").arg(&dir).run();
    assert!(
        !again.stderr.contains("SD0801"),
        "mounted routes are recognised: {again}"
    );

    let deps = std::env::var_os("SPECDEPLOY_FIXTURE_DEPS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/deps"),
        PathBuf::from,
    );
    let modules = deps.join("web-service/node_modules");
    assert!(
        modules.is_dir(),
        "the fixture's packages are missing at {}: run scripts/install-tools.sh",
        modules.display()
    );
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).expect("link node_modules");
    App { _work: work, dir }
}

/// A GET on loopback: status and body, or `None` when nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect((LOOPBACK, port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // Bun may answer chunked; the JSON object is the part between the outer braces.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if a < b => body[a..=b].to_owned(),
        _ => body.to_owned(),
    };
    Some((status, body))
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not happen within {within:?}");
}

/// A stand-in for the payment gateway: answers every request with 200, on loopback.
fn fake_api() -> u16 {
    let listener = TcpListener::bind((LOOPBACK, 0)).expect("bind fake API");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    port
}

/// The running app; killed on drop so a failing test leaves nothing behind.
struct Running {
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path_with(dirs: &[&Path]) -> std::ffi::OsString {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    all.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(all).expect("PATH")
}

/// A folder whose `bun` is the real Bun, for probes that call `bun` by name as the image does.
fn bun_dir() -> PathBuf {
    let bun = tool(Tool::Bun);
    let dir = bun.parent().expect("bin dir").to_path_buf();
    assert_eq!(
        bun.file_name().and_then(|n| n.to_str()),
        Some("bun"),
        "{}",
        bun.display()
    );
    dir
}

/// The app's environment, named after the variables `explain` says the app receives.
fn environment(
    app: &App,
    port: u16,
    postgres: &Postgres,
    redis: &RedisServer,
    api: u16,
) -> Vec<(String, String)> {
    let explained = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&app.dir)
        .run();
    explained.assert_success();
    let explained = json(&explained.stdout);
    let mut env = Vec::new();
    for variable in explained["variables"].as_array().expect("variables") {
        if variable["for_app"] != Value::Bool(true) {
            continue;
        }
        let name = variable["name"].as_str().expect("name").to_owned();
        let value = match name.as_str() {
            "PORT" => port.to_string(),
            "NODE_ENV" => "production".to_owned(),
            "DATABASE_URL" => postgres.url(),
            "REDIS_URL" => redis.url(),
            "PAYMENT_GATEWAY_URL" => format!("http://{LOOPBACK}:{api}/"),
            "PAYMENT_GATEWAY_API_KEY" | "JWT_SECRET" => "test-only-value".to_owned(),
            other => panic!("the test does not know how to fill {other}"),
        };
        env.push((name, value));
    }
    env
}

fn start(app: &App, env: &[(String, String)], port: u16) -> Running {
    let log = std::fs::File::create(app.dir.join("app.log")).expect("log file");
    let child = Command::new(tool(Tool::Bun))
        .arg("src/index.ts")
        .current_dir(&app.dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start the app with bun");
    let running = Running { child };
    wait_for("the app answering /live", Duration::from_secs(20), || {
        get(port, "/live").is_some()
    });
    running
}

/// The HEALTHCHECK of the emitted Dockerfile, as BuildKit parses it.
fn dockerfile_probe(app: &App) -> Vec<String> {
    let instructions = parse_dockerfile(&app.dir.join("Dockerfile"));
    let health = instructions
        .iter()
        .find(|i| i.cmd == "HEALTHCHECK")
        .expect("a HEALTHCHECK");
    assert_eq!(health.value[0], "CMD", "exec form: {}", health.original);
    health.value[1..].to_vec()
}

fn probe_exit(argv: &[String], env: &[(&str, String)], path: &[&Path]) -> i32 {
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).env("PATH", path_with(path));
    for (k, v) in env {
        command.env(k, v);
    }
    run(&mut command).code.unwrap_or(-1)
}

/// A Compose healthcheck test as a command line: `CMD` runs its program, `CMD-SHELL` runs
/// its one string with `sh -c`, as the engine does. `config` prints the project re-escaped
/// for reuse (`$$` for a literal `$`); the container receives the single `$`.
fn compose_probe(test: &Value) -> Vec<String> {
    let parts: Vec<String> = test
        .as_array()
        .expect("test")
        .iter()
        .map(|v| v.as_str().expect("string").replace("$$", "$"))
        .collect();
    match parts[0].as_str() {
        "CMD" => parts[1..].to_vec(),
        "CMD-SHELL" => {
            assert_eq!(parts.len(), 2, "CMD-SHELL takes one string: {parts:?}");
            vec!["sh".to_owned(), "-c".to_owned(), parts[1].clone()]
        }
        other => panic!("unexpected test form {other}"),
    }
}

fn compose_tests(app: &App) -> Value {
    let template = std::fs::read_to_string(app.dir.join(".env.example")).expect("env template");
    let filled = filled_env(&template, None);
    std::fs::write(app.dir.join(".env"), filled).expect(".env");
    compose_config_json(&app.dir, &["compose.yaml"], Some(Path::new(".env")))
}

#[test]
fn generated_typescript_type_checks_against_the_apps_dependencies() {
    let app = compiled_app();
    let tsc = run(Command::new(tool(Tool::Tsc))
        .args(["--noEmit", "-p"])
        .arg(&app.dir));
    tsc.assert_success();
}

#[test]
fn health_endpoints_tell_the_truth_about_a_running_app() {
    let app = compiled_app();
    let postgres = Postgres::new();
    let mut redis = RedisServer::with_password("redis-test-password");
    let api = fake_api();
    let port = free_port();
    let env = environment(&app, port, &postgres, &redis, api);
    let mut running = start(&app, &env, port);

    let (status, body) = get(port, "/live").expect("live");
    assert_eq!(
        (status, json(&body)["status"].clone()),
        (200, Value::from("ok"))
    );
    let (status, body) = get(port, "/ready").expect("ready");
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(port, "/health").expect("health");
    assert_eq!(status, 200, "{body}");
    let report = json(&body);
    assert_eq!(report["status"], "ok", "{body}");
    let checks = report["checks"].as_array().expect("checks");
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["postgres", "redis", "payment-gateway"]);
    for check in checks {
        assert_eq!(check["status"], "ok", "{check}");
        assert!(check["latencyMs"].is_u64(), "{check}");
    }
    assert!(
        !body.contains("redis-test-password") && !body.contains(Postgres::PASSWORD),
        "no secret in the report"
    );

    // The exact probes of the image and of Compose, against the running app.
    let bun = bun_dir();
    let pg_bin = tool(Tool::PgBin);
    let redis_bin = tool(Tool::RedisServer)
        .parent()
        .expect("redis bin")
        .to_path_buf();
    let image_probe = dockerfile_probe(&app);
    let port_env = [("PORT", port.to_string())];
    assert_eq!(
        probe_exit(&image_probe, &port_env, &[&bun]),
        0,
        "HEALTHCHECK passes: {image_probe:?}"
    );
    let project = compose_tests(&app);
    let services = project["services"].as_object().expect("services");
    let redis_port = redis.port();
    let probe_env = |name: &str| -> Vec<(&str, String)> {
        match name {
            "postgres" => vec![
                ("POSTGRES_USER", postgres.user().to_owned()),
                ("POSTGRES_DB", "postgres".to_owned()),
                ("PGPORT", postgres.port().to_string()),
                ("PGPASSWORD", postgres.password().to_owned()),
            ],
            "redis" => vec![
                ("REDIS_PORT", redis_port.to_string()),
                ("REDISCLI_AUTH", "redis-test-password".to_owned()),
            ],
            _ => vec![("PORT", port.to_string())],
        }
    };
    for (name, service) in services {
        let argv = compose_probe(&service["healthcheck"]["test"]);
        let code = probe_exit(&argv, &probe_env(name), &[&bun, &pg_bin, &redis_bin]);
        assert_eq!(code, 0, "the Compose probe of {name} passes: {argv:?}");
    }
    let wrong_password = [
        ("REDIS_PORT", redis.port().to_string()),
        ("REDISCLI_AUTH", "wrong".to_owned()),
    ];
    let redis_argv = compose_probe(&services["redis"]["healthcheck"]["test"]);
    assert_ne!(
        probe_exit(&redis_argv, &wrong_password, &[&redis_bin]),
        0,
        "a refused PING fails the probe"
    );

    // Redis goes away: readiness fails, liveness does not, the report names the check.
    redis.stop();
    wait_for("/ready turning 503", Duration::from_secs(5), || {
        get(port, "/ready").is_some_and(|(s, _)| s == 503)
    });
    assert_eq!(
        get(port, "/live").map(|(s, _)| s),
        Some(200),
        "liveness checks no dependency"
    );
    let (status, body) = get(port, "/health").expect("health");
    assert_eq!(status, 503);
    let report = json(&body);
    let redis_check = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "redis")
        .expect("redis");
    assert_eq!(redis_check["status"], "failed", "{body}");
    assert_ne!(
        probe_exit(&redis_argv, &probe_env("redis"), &[&redis_bin]),
        0,
        "the Redis probe fails too"
    );

    // It comes back: readiness recovers.
    redis.start();
    wait_for("/ready recovering", Duration::from_secs(10), || {
        get(port, "/ready").is_some_and(|(s, _)| s == 200)
    });

    // SIGTERM: readiness answers 503 first, then the process drains and exits 0.
    let pid = running.child.id().to_string();
    run(Command::new("kill").args(["-TERM", &pid])).assert_success();
    wait_for(
        "/ready answering 503 during the drain",
        Duration::from_secs(2),
        || get(port, "/ready").is_some_and(|(s, _)| s == 503),
    );
    assert_eq!(
        get(port, "/live").map(|(s, _)| s),
        Some(200),
        "still alive while draining"
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = running.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        status.code(),
        Some(0),
        "exit 0 after draining: {}",
        std::fs::read_to_string(app.dir.join("app.log")).unwrap_or_default()
    );
    assert_ne!(
        probe_exit(&image_probe, &port_env, &[&bun]),
        0,
        "HEALTHCHECK fails once the app is gone"
    );
}

#[test]
fn an_unreachable_external_api_degrades_the_report_but_not_readiness() {
    let app = compiled_app();
    let postgres = Postgres::new();
    let redis = RedisServer::with_password("redis-test-password");
    let closed = free_port();
    let port = free_port();
    let env = environment(&app, port, &postgres, &redis, closed);
    let _running = start(&app, &env, port);

    let (status, body) = get(port, "/ready").expect("ready");
    assert_eq!(
        status, 200,
        "the payment gateway is not required to serve: {body}"
    );
    let (status, body) = get(port, "/health").expect("health");
    assert_eq!(status, 200, "{body}");
    let report = json(&body);
    assert_eq!(report["status"], "degraded", "{body}");
    let api = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "payment-gateway")
        .expect("the API check");
    assert_eq!(api["status"], "failed");
    assert_eq!(api["required"], false);
    assert!(
        !body.contains(&format!(":{closed}")),
        "no URL in the report: {body}"
    );
}
