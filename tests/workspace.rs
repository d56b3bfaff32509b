//! Workspaces: several apps in one folder built into one Compose project. The fixture
//! `fixtures/workspace/input` holds three corpus apps and one that calls the web service by
//! name; `fixtures/workspace-cycle/input` two apps that call each other. Every artifact and
//! diagnostic is an insta snapshot in the fixture's `expected/`, and the output is checked by
//! the real tools that read it (Docker Compose, hadolint, Graphviz, PostgreSQL).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{
    Postgres, Specdeploy, Tool, compose_config, compose_config_json, copy_dir, filled_env,
    hadolint, relative_files, run, tool,
};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(case)
}

/// A throwaway copy of a workspace fixture's input, at `ws/` in the returned folder.
fn copy_workspace(case: &str) -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().join("ws");
    copy_dir(&fixture(case).join("input"), &root);
    (work, root)
}

fn snapshots(case: &str, check: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(fixture(case).join("expected"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(check);
}

fn report(run: &support::Run, root: &Path) -> String {
    let shown = |text: &str| text.replace(&root.display().to_string(), "<WS>");
    format!(
        "exit code: {}\n--- stdout\n{}--- stderr\n{}",
        run.code.unwrap_or(-1),
        shown(&run.stdout),
        shown(&run.stderr)
    )
}

fn build(root: &Path) -> support::Run {
    Specdeploy::new()
        .arg("build")
        .arg(root)
        .env_remove("SOURCE_DATE_EPOCH")
        .run()
}

/// Builds the workspace fixture into a copy; panics unless the build succeeds.
fn built() -> (tempfile::TempDir, PathBuf) {
    let (work, root) = copy_workspace("workspace");
    build(&root).assert_success();
    (work, root)
}

fn write_filled_env(root: &Path) {
    let template = std::fs::read_to_string(root.join(".env.example")).expect(".env.example");
    std::fs::write(root.join(".env"), filled_env(&template, None)).expect("write .env");
}

#[test]
fn workspace_artifacts_match_their_snapshots() {
    let (_work, root) = copy_workspace("workspace");
    let ran = build(&root);
    let input = fixture("workspace").join("input");
    snapshots("workspace", || {
        insta::assert_snapshot!("diagnostics", report(&ran, &root));
        let written: Vec<String> = relative_files(&root)
            .into_iter()
            .filter(|f| !input.join(f).exists())
            .collect();
        insta::assert_snapshot!("files", written.join("\n"));
        for file in &written {
            let contents = std::fs::read_to_string(root.join(file)).expect("artifact is text");
            insta::assert_snapshot!(file.replace('/', "__"), contents);
        }
    });
    ran.assert_success();
}

#[test]
fn a_cycle_between_apps_is_reported_through_the_assertions_that_made_it() {
    let (_work, root) = copy_workspace("workspace-cycle");
    let ran = build(&root);
    snapshots("workspace-cycle", || {
        insta::assert_snapshot!("diagnostics", report(&ran, &root));
    });
    ran.assert_code(1);
    assert_eq!(
        relative_files(&root),
        relative_files(&fixture("workspace-cycle").join("input")),
        "a build with a cycle writes nothing"
    );
}

#[test]
fn the_graph_of_a_cycle_is_printed_with_the_cycle_in_red() {
    let (_work, root) = copy_workspace("workspace-cycle");
    let ran = Specdeploy::new().arg("graph").arg(&root).run();
    ran.assert_code(1);
    assert!(ran.stderr.contains("SD0612"), "{}", ran.stderr);
    snapshots("workspace-cycle", || {
        insta::assert_snapshot!("graph.dot", ran.stdout);
    });
    let red = ran
        .stdout
        .lines()
        .filter(|l| l.contains("-> ") && l.contains("#c62828"));
    assert_eq!(red.count(), 2, "{}", ran.stdout);
}

#[test]
fn compose_accepts_the_workspace_project_with_the_env_template_filled_in() {
    let (_work, root) = built();
    write_filled_env(&root);
    for files in [
        &["compose.yaml"][..],
        &["compose.yaml", "compose.dev.yaml"][..],
    ] {
        let ran = compose_config(&root, files, Some(Path::new(".env")));
        ran.assert_success();
        assert_eq!(ran.stderr.trim(), "", "compose warned: {ran}");
    }
}

#[test]
fn every_app_keeps_its_own_dockerfile_and_each_passes_hadolint() {
    let (_work, root) = built();
    for app in ["web-service", "cli-tool", "data-pipeline", "order-notifier"] {
        let dockerfile = root.join(app).join("Dockerfile");
        assert!(dockerfile.is_file(), "{app} has no Dockerfile");
        let ran = hadolint(&dockerfile);
        ran.assert_success();
        assert_eq!(
            ran.stdout.trim(),
            "",
            "{app}: hadolint reported findings: {ran}"
        );
        assert!(
            !root.join(app).join("compose.yaml").exists(),
            "{app} got a compose.yaml of its own"
        );
    }
}

#[test]
fn a_call_between_apps_is_an_internal_dependency_not_an_external_variable() {
    let (_work, root) = built();
    write_filled_env(&root);
    let project = compose_config_json(&root, &["compose.yaml"], Some(Path::new(".env")));
    let services = &project["services"];
    let notifier = &services["order-notifier"];
    assert_eq!(
        notifier["environment"]["STOREFRONT_API_URL"],
        "http://storefront-api:3000"
    );
    assert_eq!(
        notifier["depends_on"]["storefront-api"]["condition"],
        "service_healthy"
    );
    let storefront = &services["storefront-api"];
    assert!(
        storefront.get("ports").is_none(),
        "the called app publishes no port: {storefront}"
    );
    let template = std::fs::read_to_string(root.join(".env.example")).expect(".env.example");
    assert!(!template.contains("STOREFRONT_API_URL"), "{template}");
}

#[test]
fn backing_services_are_shared_with_a_database_role_and_redis_database_per_app() {
    let (_work, root) = built();
    write_filled_env(&root);
    let project = compose_config_json(&root, &["compose.yaml"], Some(Path::new(".env")));
    let services = project["services"].as_object().expect("services");
    let postgres: Vec<&String> = services.keys().filter(|k| k.contains("postgres")).collect();
    assert_eq!(postgres, ["postgres"], "one PostgreSQL for every app");
    let url = |app: &str, key: &str| {
        services[app]["environment"][key]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        url("storefront-api", "DATABASE_URL"),
        "postgres://storefront_api:placeholder1@postgres:5432/storefront_api"
    );
    assert_eq!(
        url("orders-etl", "DATABASE_URL"),
        "postgres://orders_etl:placeholder1@postgres:5432/orders_etl"
    );
    assert!(url("storefront-api", "REDIS_URL").ends_with("@redis:6379/0"));
    assert!(url("order-notifier", "REDIS_URL").ends_with("@redis:6379/1"));
    let init = std::fs::read_to_string(root.join("postgres-init.sh")).expect("init script");
    assert!(!init.contains("placeholder1"), "no secret in the script");
    let mut lines = init.lines();
    assert_eq!(lines.next(), Some("#!/bin/sh"), "{init}");
    assert!(
        lines
            .next()
            .is_some_and(|l| l.contains("Generated by specdeploy")),
        "{init}"
    );
}

#[test]
fn the_init_script_creates_each_apps_role_and_database_on_a_real_postgres() {
    let (_work, root) = built();
    let server = Postgres::new();
    let bin = tool(Tool::PgBin);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ran = run(Command::new("sh")
        .arg(root.join("postgres-init.sh"))
        .env("PATH", &path)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port().to_string())
        .env("PGPASSWORD", server.password())
        .env("POSTGRES_USER", server.user())
        .env("POSTGRES_DB", "postgres")
        .env("ORDERS_ETL__POSTGRES_PASSWORD", "etl1pass")
        .env("STOREFRONT_API__POSTGRES_PASSWORD", "it's \"quoted\""));
    ran.assert_success();
    for (role, password) in [
        ("orders_etl", "etl1pass"),
        ("storefront_api", "it's \"quoted\""),
    ] {
        let ran = run(Command::new(bin.join("psql"))
            .env("PGPASSWORD", password)
            .args(["--no-psqlrc", "--tuples-only", "--no-align"])
            .args(["--host", "127.0.0.1", "--port", &server.port().to_string()])
            .args(["--username", role, "--dbname", role])
            .args([
                "--command",
                "SELECT current_user || '@' || current_database()",
            ]));
        ran.assert_success();
        assert_eq!(ran.stdout.trim(), format!("{role}@{role}"));
    }
}

/// A workspace of two copies of the web-service fixture, both named storefront-api and both
/// on port 3000, in folders `a/api` and `b/api`.
fn two_apps_on_port_3000() -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().join("ws");
    for folder in ["a/api", "b/api"] {
        copy_dir(&fixture("web-service").join("app"), &root.join(folder));
    }
    (work, root)
}

#[test]
fn two_apps_on_one_port_get_distinct_names_and_host_ports() {
    let (_work, root) = two_apps_on_port_3000();
    build(&root).assert_success();
    write_filled_env(&root);
    let project = compose_config_json(&root, &["compose.yaml"], Some(Path::new(".env")));
    let services = &project["services"];
    let ports = |name: &str| {
        let port = &services[name]["ports"][0];
        (
            port["target"].as_u64(),
            port["published"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        ports("storefront-api"),
        (Some(3000), Some("3000".to_owned()))
    );
    assert_eq!(ports("b-api"), (Some(3000), Some("3001".to_owned())));
    assert_eq!(
        services["b-api"]["build"]["context"]
            .as_str()
            .map(|c| c.ends_with("b/api")),
        Some(true)
    );
}

#[test]
fn apps_are_found_from_bun_workspaces_and_from_folders_with_specs() {
    let (_work, root) = two_apps_on_port_3000();
    std::fs::write(
        root.join("package.json"),
        r#"{ "name": "monorepo", "workspaces": ["b/*"] }"#,
    )
    .expect("package.json");
    let explained = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&root)
        .run();
    explained.assert_success();
    let doc: serde_json::Value = serde_json::from_str(&explained.stdout).expect("json");
    assert_eq!(doc["workspace"], "monorepo");
    assert_eq!(doc["start_order"], serde_json::json!(["storefront-api"]));
    assert_eq!(doc["apps"][0]["folder"], "b/api");

    std::fs::remove_file(root.join("package.json")).expect("remove");
    let explained = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&root)
        .run();
    explained.assert_success();
    let doc: serde_json::Value = serde_json::from_str(&explained.stdout).expect("json");
    assert_eq!(doc["apps"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_bad_workspace_file_is_a_diagnostic() {
    let (_work, root) = two_apps_on_port_3000();
    std::fs::write(
        root.join("specdeploy-workspace.json"),
        r#"{ "apps": ["a/api", "missing", "c/[ab]"] }"#,
    )
    .expect("workspace file");
    let ran = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(&root)
        .run();
    ran.assert_code(1);
    let codes: Vec<String> = ran
        .diagnostics()
        .map(|d| format!("{} {}", d["code"], d["message"]))
        .filter(|d| d.contains("SD0006"))
        .collect();
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(codes.iter().all(|c| c.contains("SD0006")), "{codes:?}");
    assert!(codes.iter().any(|c| c.contains("missing")), "{codes:?}");
    assert!(codes.iter().any(|c| c.contains("c/[ab]")), "{codes:?}");
}

#[test]
fn an_app_whose_specs_ask_for_a_dedicated_server_gets_its_own() {
    let (_work, root) = built();
    let manifest = root.join("data-pipeline/specs/assertions.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let changed = text.replace(
        "A checkpoint stored in the warehouse",
        "A checkpoint stored in the warehouse, a dedicated PostgreSQL server,",
    );
    assert_ne!(changed, text, "the assertion to change is in the fixture");
    std::fs::write(&manifest, changed).expect("write manifest");
    build(&root).assert_success();
    write_filled_env(&root);
    let project = compose_config_json(&root, &["compose.yaml"], Some(Path::new(".env")));
    let services = &project["services"];
    assert!(services["orders-etl-postgres"].is_object(), "{services}");
    assert!(
        services["postgres"].is_object(),
        "the others still share one"
    );
    assert_eq!(
        services["orders-etl"]["environment"]["DATABASE_URL"],
        "postgres://orders_etl:placeholder1@orders-etl-postgres:5432/orders_etl"
    );
    assert_eq!(
        services["orders-etl-postgres"]["environment"]["POSTGRES_USER"],
        "orders_etl"
    );
    let init = std::fs::read_to_string(root.join("postgres-init.sh")).expect("init script");
    assert!(!init.contains("orders_etl"), "{init}");
}

#[test]
fn the_graph_is_printed_as_dot() {
    let (_work, root) = copy_workspace("workspace");
    let ran = Specdeploy::new().arg("graph").arg(&root).run();
    ran.assert_success();
    snapshots("workspace", || {
        insta::assert_snapshot!("graph.dot", ran.stdout);
    });
}

#[test]
fn the_graph_is_drawn_as_svg_with_a_node_for_each_app() {
    let (work, root) = copy_workspace("workspace");
    let svg = work.path().join("graph.svg");
    Specdeploy::new()
        .arg("graph")
        .arg(&root)
        .arg("--svg")
        .arg(&svg)
        .env("SPECDEPLOY_DOT", tool(Tool::Dot))
        .run()
        .assert_success();
    let text = std::fs::read_to_string(&svg).expect("svg written");
    // Graphviz writes the SVG 1.1 DOCTYPE, which the parser must be allowed to read.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(&text, options)
        .expect("the SVG is well-formed XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let titles: Vec<&str> = document
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("node"))
        .filter_map(|g| g.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text())
        .collect();
    for app in [
        "storefront-api",
        "csv2json",
        "orders-etl",
        "order-notifier",
        "postgres",
    ] {
        assert!(titles.contains(&app), "no node for {app} in {titles:?}");
    }
}

#[test]
fn the_graph_without_graphviz_says_how_to_get_it() {
    let (work, root) = copy_workspace("workspace");
    let ran = Specdeploy::new()
        .arg("graph")
        .arg(&root)
        .arg("--svg")
        .arg(work.path().join("graph.svg"))
        .env("SPECDEPLOY_DOT", work.path().join("no-such-dot"))
        .run();
    ran.assert_code(2);
    assert!(ran.stderr.contains("SD0705"), "{ran}");
    assert!(ran.stderr.contains("apt-get install graphviz"), "{ran}");
    assert!(!work.path().join("graph.svg").exists());
}

#[test]
fn explain_covers_every_app_and_the_shared_services() {
    let (_work, root) = copy_workspace("workspace");
    let ran = Specdeploy::new().arg("explain").arg(&root).run();
    ran.assert_success();
    for part in [
        "Workspace shop: 4 apps",
        "postgres (PostgreSQL): shared by",
        "order-notifier calls storefront-api",
        "=== storefront-api (web-service/)",
        "at web-service/specs/assertions.json:",
    ] {
        assert!(ran.stdout.contains(part), "no {part:?} in:\n{}", ran.stdout);
    }
}

#[test]
fn a_single_app_is_built_exactly_as_before() {
    let built = support::build_fixture("web-service", |_| {});
    assert!(built.out.join("compose.yaml").is_file());
    assert!(!built.out.join("postgres-init.sh").exists());
}

#[test]
fn an_api_named_in_prose_that_names_another_app_is_a_call_too() {
    let (_work, root) = copy_workspace("workspace");
    let spec = root.join("order-notifier/specs/app.spec");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let prose_only: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("needs api"))
        .collect();
    std::fs::write(&spec, prose_only.join("\n") + "\n").expect("write spec");
    build(&root).assert_success();
    write_filled_env(&root);
    let project = compose_config_json(&root, &["compose.yaml"], Some(Path::new(".env")));
    let notifier = &project["services"]["order-notifier"];
    assert_eq!(
        notifier["environment"]["STOREFRONT_URL"],
        "http://storefront-api:3000"
    );
    assert!(
        notifier["environment"].get("STOREFRONT_API_KEY").is_none(),
        "{notifier}"
    );
}

#[test]
fn build_check_and_safe_writes_cover_the_workspace() {
    let (_work, root) = built();
    Specdeploy::new()
        .args(["build", "--check"])
        .arg(&root)
        .run()
        .assert_success();
    let compose = root.join("compose.yaml");
    let generated = std::fs::read_to_string(&compose).expect("compose.yaml");
    std::fs::write(
        &compose,
        generated.replace("services:\n", "services: # edited\n"),
    )
    .expect("edit");
    let ran = build(&root);
    ran.assert_code(2);
    assert!(ran.stderr.contains("SD0703"), "{ran}");
    let ran = Specdeploy::new()
        .args(["build", "--check"])
        .arg(&root)
        .run();
    ran.assert_code(1);
    assert!(ran.stdout.contains("compose.yaml"), "{ran}");

    std::fs::write(&compose, "services: {}\n").expect("a file of the user's");
    let ran = build(&root);
    ran.assert_code(0);
    assert!(ran.stderr.contains("SD0701"), "{ran}");
    assert_eq!(
        std::fs::read_to_string(&compose).expect("kept"),
        "services: {}\n"
    );
}

#[test]
fn json_diagnostics_name_each_file_from_the_workspace_folder() {
    let (_work, root) = copy_workspace("workspace");
    let ran = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(&root)
        .run();
    ran.assert_success();
    let files: std::collections::BTreeSet<String> = ran
        .diagnostics()
        .filter_map(|d| d["file"].as_str().map(str::to_owned))
        .collect();
    assert!(
        files.contains("web-service/specs/assertions.json"),
        "{files:?}"
    );
    assert!(
        files.contains("cli-tool/specs/assertions.json"),
        "{files:?}"
    );
}

#[test]
fn the_graph_colours_each_app_by_its_verification_status() {
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().join("ws");
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verifier-logs/real-dafny-2.3");
    for (folder, log) in [("good", "abs-ok.log"), ("bad", "abs-wrong-post.log")] {
        let app = root.join(folder);
        copy_dir(&fixture("verify/dafny-passing").join("app"), &app);
        Specdeploy::new()
            .arg("verify")
            .arg(&app)
            .arg("--dafny-log")
            .arg(logs.join(log))
            .env("PATH", "")
            .env_remove("SPECDEPLOY_DAFNY")
            .run();
    }
    copy_dir(&fixture("cli-tool").join("app"), &root.join("plain"));
    let ran = Specdeploy::new().arg("graph").arg(&root).run();
    ran.assert_success();
    let node = |status: &str| {
        ran.stdout
            .lines()
            .find(|l| l.contains("shape=box") && l.contains(&format!(", {status}")))
            .unwrap_or_else(|| panic!("no {status} app in:\n{}", ran.stdout))
            .to_owned()
    };
    assert!(node("verified").contains("fillcolor=\"#c8e6c9\""));
    assert!(node("failed").contains("fillcolor=\"#ffcdd2\""));
    assert!(node("unverified").contains("fillcolor=\"#eeeeee\""));
}

#[test]
fn a_called_app_that_the_workspace_file_makes_public_publishes_its_port_too() {
    let (_work, root) = copy_workspace("workspace");
    let file = root.join("specdeploy-workspace.json");
    let text = std::fs::read_to_string(&file).expect("workspace file");
    let public = text.replacen('{', "{\n  \"public\": [\"web-service\"],", 1);
    std::fs::write(&file, public).expect("write workspace file");
    build(&root).assert_success();
    write_filled_env(&root);
    let project = compose_config_json(&root, &["compose.yaml"], Some(Path::new(".env")));
    let published = |name: &str| {
        project["services"][name]["ports"][0]["published"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(published("order-notifier"), Some("3000".to_owned()));
    assert_eq!(published("storefront-api"), Some("3001".to_owned()));
}

/// Writes an app at `folder` under `root`: the cycle fixture's `ledger` app with `spec` as
/// its specs.
fn app_with_spec(root: &Path, folder: &str, spec: &str) {
    let at = root.join(folder);
    copy_dir(&fixture("workspace-cycle").join("input/ledger"), &at);
    std::fs::write(at.join("specs/app.spec"), spec).expect("write spec");
}

fn web_app(name: &str, port: u16, extra: &str) -> String {
    format!(
        "app {name} {{\n  version \"1.0.0\"\n  archetype web service\n  entry \"src/index.ts\"\n  port {port}\n}}\n\nassertion F-001 \"Every request is checked against the other API first\" {{\n  type precondition\n  category behavior\n  status confirmed\n}}\n{extra}"
    )
}

#[test]
fn an_api_name_that_names_two_apps_is_an_error_naming_both() {
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().join("ws");
    app_with_spec(&root, "a/api", &web_app("api", 3000, ""));
    app_with_spec(&root, "jobs/api", &web_app("api", 4000, ""));
    let caller = "needs api api with url API_URL, required, because F-001\n";
    app_with_spec(&root, "web", &web_app("web", 5000, caller));
    let ran = Specdeploy::new()
        .args(["build", "--message-format", "json"])
        .arg(&root)
        .run();
    ran.assert_code(1);
    assert!(ran.stderr.contains("SD0006"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("a/api (service `api`)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("jobs/api (service `jobs-api`)"),
        "{}",
        ran.stderr
    );
    assert!(!root.join("compose.yaml").exists());

    // Named by its folder path, the call is wired to that app alone.
    let caller = "needs api jobs-api with url API_URL, required, because F-001\n";
    app_with_spec(&root, "web", &web_app("web", 5000, caller));
    build(&root).assert_success();
    let compose = std::fs::read_to_string(root.join("compose.yaml")).expect("compose");
    assert!(compose.contains("http://jobs-api:4000"), "{compose}");
    let caller = "needs api a-api with url API_URL, required, because F-001\n";
    app_with_spec(&root, "web", &web_app("web", 5000, caller));
    build(&root).assert_success();
    let compose = std::fs::read_to_string(root.join("compose.yaml")).expect("compose");
    assert!(compose.contains("http://api:3000"), "{compose}");
}

#[test]
fn the_shared_postgres_script_never_lands_in_an_app_folder_named_postgres() {
    let (_work, root) = copy_workspace("workspace");
    std::fs::rename(root.join("web-service"), root.join("postgres")).expect("rename");
    std::fs::write(
        root.join("specdeploy-workspace.json"),
        r#"{ "name": "shop", "apps": ["postgres", "cli-tool", "data-pipeline", "order-notifier"] }"#,
    )
    .expect("workspace file");
    let before = relative_files(&root.join("postgres"));
    let ran = build(&root);
    ran.assert_success();
    assert!(!ran.stderr.contains("SD0701"), "{}", ran.stderr);
    let written: Vec<String> = relative_files(&root.join("postgres"))
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    let app_files = ["Dockerfile", ".dockerignore"];
    assert!(
        written.iter().all(|f| app_files.contains(&f.as_str())
            || f.starts_with("src/")
            || f.starts_with("k8s/")),
        "{written:?}"
    );
    let compose = std::fs::read_to_string(root.join("compose.yaml")).expect("compose");
    assert!(
        compose.contains("./postgres-init.sh:/docker-entrypoint-initdb.d/"),
        "{compose}"
    );
    assert!(root.join("postgres-init.sh").is_file());
}

/// The SD0006 messages `check` reports for the workspace at `root`, and whether SD0001 was.
fn workspace_problems(root: &Path) -> (Vec<String>, bool) {
    let ran = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(root)
        .run();
    ran.assert_code(1);
    let all: Vec<serde_json::Value> = ran.diagnostics().collect();
    let messages = all
        .iter()
        .filter(|d| d["code"] == "SD0006")
        .map(|d| d["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    (messages, all.iter().any(|d| d["code"] == "SD0001"))
}

#[test]
fn bun_workspaces_that_cannot_be_used_are_reported_not_replaced_by_a_folder_scan() {
    let (_work, root) = two_apps_on_port_3000();
    let cases = [
        (
            r#"{ "workspaces": ["a/*", "missing", "gone/"] }"#,
            "\"missing\"",
        ),
        (r#"{ "workspaces": "b/*" }"#, "not a list"),
        (r#"{ "workspaces": ["b/*", 3] }"#, "not a string"),
        (r#"{ "workspaces": ["b/*" "#, "not valid JSON"),
    ];
    for (package, expected) in cases {
        std::fs::write(root.join("package.json"), package).expect("package.json");
        let (messages, _) = workspace_problems(&root);
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{package}: {messages:?}"
        );
    }
    std::fs::write(
        root.join("package.json"),
        r#"{ "workspaces": ["a/*", "missing", "gone/"] }"#,
    )
    .expect("package.json");
    assert_eq!(workspace_problems(&root).0.len(), 2);
}

#[test]
fn a_list_that_selects_no_app_says_so() {
    let (_work, root) = two_apps_on_port_3000();
    for list in [r#"{ "apps": [] }"#, r#"{ "apps": ["!a/api"] }"#] {
        std::fs::write(root.join("specdeploy-workspace.json"), list).expect("workspace file");
        let (messages, no_specs) = workspace_problems(&root);
        assert!(!no_specs, "{list}: no SD0001");
        assert_eq!(messages.len(), 1, "{list}: {messages:?}");
        assert!(
            messages[0].contains("selects no app"),
            "{list}: {messages:?}"
        );
    }
    std::fs::remove_file(root.join("specdeploy-workspace.json")).expect("remove");
    std::fs::write(root.join("package.json"), r#"{ "workspaces": [] }"#).expect("package.json");
    let (messages, no_specs) = workspace_problems(&root);
    assert!(!no_specs);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("select no app"), "{messages:?}");
}

#[test]
fn a_public_entry_that_names_no_app_is_reported() {
    let (_work, root) = two_apps_on_port_3000();
    std::fs::write(
        root.join("specdeploy-workspace.json"),
        r#"{ "apps": ["a/api", "b/api"], "public": ["b/api", "storefront-api", "nope"] }"#,
    )
    .expect("workspace file");
    let (messages, _) = workspace_problems(&root);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("\"nope\""), "{messages:?}");
}

#[test]
fn the_graph_is_not_drawn_into_a_folder_that_does_not_exist() {
    let (work, root) = copy_workspace("workspace");
    let target = work.path().join("no/such/dir/graph.svg");
    let ran = Specdeploy::new()
        .arg("graph")
        .arg(&root)
        .arg("--svg")
        .arg(&target)
        .run();
    ran.assert_code(2);
    assert!(ran.stderr.contains("does not exist"), "{ran}");
    assert!(!work.path().join("no").exists());
}

#[test]
fn a_dot_that_fails_without_a_word_is_reported_in_a_whole_sentence() {
    let (work, root) = copy_workspace("workspace");
    let ran = Specdeploy::new()
        .args(["graph", "--message-format", "json"])
        .arg(&root)
        .arg("--svg")
        .arg(work.path().join("graph.svg"))
        .env("SPECDEPLOY_DOT", "/bin/false")
        .run();
    ran.assert_code(2);
    let message = ran
        .diagnostics()
        .find(|d| d["code"] == "SD0705")
        .and_then(|d| d["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(message.ends_with("and printed no reason"), "{message:?}");
}

#[test]
fn a_postgres_default_an_app_declares_is_not_dropped_silently_on_the_shared_server() {
    let (_work, root) = copy_workspace("workspace");
    std::fs::write(
        root.join("web-service/specs/settings.spec"),
        "config POSTGRES_USER default \"bob\"\n",
    )
    .expect("spec");
    let ran = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(&root)
        .run();
    ran.assert_success();
    let warning = ran
        .diagnostics()
        .find(|d| d["code"] == "SD0613")
        .unwrap_or_else(|| panic!("no SD0613 in {}", ran.stderr));
    let message = warning["message"].as_str().unwrap_or_default();
    assert!(message.contains("POSTGRES_USER"), "{message}");
    assert!(message.contains("\"bob\""), "{message}");
}

#[test]
fn the_per_app_explanation_says_the_workspace_sets_the_url_of_a_called_app() {
    let (_work, root) = copy_workspace("workspace");
    let ran = Specdeploy::new().arg("explain").arg(&root).run();
    ran.assert_success();
    let section = ran
        .stdout
        .split("\n=== ")
        .find(|s| s.starts_with("order-notifier "))
        .unwrap_or_else(|| panic!("no order-notifier section in {}", ran.stdout));
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with("STOREFRONT_API_URL "))
        .unwrap_or_else(|| panic!("no STOREFRONT_API_URL in {section}"));
    assert!(line.contains("set by compose.yaml"), "{line}");
}
