//! The binary as a user and a toolchain run it: arguments, exit codes, stdout and stderr,
//! JSON forms, and the files written or left alone.

mod support;

use std::path::{Path, PathBuf};

use support::{Specdeploy, copy_fixture};

fn fixture(case: &str) -> (tempfile::TempDir, PathBuf) {
    copy_fixture(case)
}

/// `specdeploy build FLAGS --out OUT APP`.
fn build_into(app: &Path, out: &Path, flags: &[&str]) -> support::Run {
    Specdeploy::new()
        .arg("build")
        .args(flags)
        .arg("--out")
        .arg(out)
        .arg(app)
        .run()
}

fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in support::files_under(dir) {
        let bytes = std::fs::read(&entry).expect("read");
        files.push((
            entry
                .strip_prefix(dir)
                .expect("under")
                .display()
                .to_string(),
            bytes,
        ));
    }
    files.sort();
    files
}

#[test]
fn build_writes_into_the_app_folder_by_default_and_says_what_it_wrote() {
    let (_work, app) = fixture("web-service");
    let run = Specdeploy::new().arg("build").current_dir(&app).run();
    run.assert_code(0);
    for file in [
        "Dockerfile",
        ".dockerignore",
        "compose.yaml",
        "compose.dev.yaml",
        ".env.example",
    ] {
        assert!(app.join(file).is_file(), "{file} written");
        assert!(run.stdout.contains(file), "summary names {file}: {run}");
    }
    assert!(
        run.stderr.contains("SD0301"),
        "warnings reach stderr: {run}"
    );
}

#[test]
fn check_writes_nothing() {
    let (_work, app) = fixture("web-service");
    let before = snapshot_of(&app);
    Specdeploy::new()
        .arg("check")
        .arg(&app)
        .run()
        .assert_code(0);
    assert_eq!(snapshot_of(&app), before);
}

#[test]
fn exit_codes_follow_the_documented_contract() {
    let (_work, app) = fixture("fresh-probe");
    Specdeploy::new()
        .arg("check")
        .arg(&app)
        .run()
        .assert_code(1);
    Specdeploy::new()
        .arg("check")
        .arg("/nonexistent/app/folder")
        .run()
        .assert_code(2);
    Specdeploy::new().arg("frobnicate").run().assert_code(2);
    Specdeploy::new()
        .args(["build", "--message-format", "xml"])
        .run()
        .assert_code(2);
    Specdeploy::new().arg("--help").run().assert_code(0);
}

#[test]
fn deny_warnings_and_require_confirmed_turn_warnings_into_failure() {
    let (_work, app) = fixture("web-service");
    Specdeploy::new()
        .arg("check")
        .arg(&app)
        .run()
        .assert_code(0);
    Specdeploy::new()
        .args(["check", "--deny-warnings"])
        .arg(&app)
        .run()
        .assert_code(1);
    let run = Specdeploy::new()
        .args(["check", "--require-confirmed"])
        .arg(&app)
        .run();
    run.assert_code(1);
    assert!(
        run.stderr.contains("A-012") && run.stderr.contains("A-013"),
        "{run}"
    );
}

#[test]
fn json_diagnostics_are_one_object_per_line_with_positions() {
    let (_work, app) = fixture("web-service");
    let run = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(&app)
        .run();
    run.assert_code(0);
    let lines: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    // The pending and the denied assertion, one note for each formal model without a
    // verification verdict, and the unmounted health routes.
    assert_eq!(lines.len(), 5, "{run}");
    let first = &lines[0];
    assert_eq!(first["code"], "SD0301");
    assert_eq!(first["severity"], "warning");
    assert_eq!(first["file"], "specs/assertions.json");
    assert!(first["line"].as_u64().is_some_and(|l| l > 1));
    assert!(first["column"].as_u64().is_some());
    assert!(first["byte_start"].as_u64() < first["byte_end"].as_u64());
    assert!(first["help"].is_string());
    assert!(first["labels"].as_array().is_some_and(|l| !l.is_empty()));
}

#[test]
fn build_with_json_messages_prints_a_json_summary() {
    let (work, app) = fixture("cli-tool");
    let out = work.path().join("out");
    let run = Specdeploy::new()
        .args(["build", "--message-format", "json"])
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .run();
    run.assert_code(0);
    let summary: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("JSON summary");
    let paths: Vec<&str> = summary["artifacts"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"Dockerfile") && paths.contains(&"compose.yaml"),
        "{paths:?}"
    );
}

#[test]
fn explain_json_names_the_assertion_behind_each_need() {
    let (_work, app) = fixture("web-service");
    let run = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&app)
        .run();
    run.assert_code(0);
    let explained: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let needs = explained["needs"].as_array().expect("needs");
    let database = needs
        .iter()
        .find(|n| n["kind"] == "database")
        .expect("a database need");
    assert_eq!(database["technology"], "postgres");
    let ids: Vec<&str> = database["because"]
        .as_array()
        .expect("because")
        .iter()
        .filter_map(|b| b["assertion"].as_str())
        .collect();
    assert!(ids.contains(&"A-004"), "{ids:?}");
    for need in needs {
        let ids: Vec<&str> = need["because"]
            .as_array()
            .expect("because")
            .iter()
            .filter_map(|b| b["assertion"].as_str())
            .collect();
        assert!(
            !ids.contains(&"A-011") && !ids.contains(&"A-013"),
            "refined and denied assertions create nothing: {need}"
        );
        for reason in need["because"].as_array().expect("because") {
            assert!(
                reason["rule"].is_string() && reason["line"].is_u64(),
                "provenance with a place: {reason}"
            );
        }
    }
}

#[test]
fn explain_says_why_a_pipeline_has_no_probe() {
    let (_work, app) = fixture("data-pipeline");
    let run = Specdeploy::new().arg("explain").arg(&app).run();
    run.assert_code(0);
    assert!(
        run.stdout.contains("no probe: a pipeline runs once"),
        "{run}"
    );
}

#[test]
fn output_is_byte_identical_across_runs_and_working_directories() {
    for case in [
        "web-service",
        "cli-tool",
        "data-pipeline",
        "no-lockfile",
        "spec-language",
    ] {
        let (work_a, app_a) = fixture(case);
        let (work_b, app_b) = fixture(case);
        let out_a = work_a.path().join("out");
        let out_b = work_b.path().join("out");
        // One run by absolute paths from the package root, one by relative paths from the
        // copy's own folder, with another time zone and locale.
        Specdeploy::new()
            .args(["build", "--target", "all"])
            .arg(&app_a)
            .arg("--out")
            .arg(&out_a)
            .run()
            .assert_success();
        Specdeploy::new()
            .args(["build", "--target", "all", "app", "--out", "out"])
            .current_dir(work_b.path())
            .env("TZ", "Pacific/Kiritimati")
            .env("LC_ALL", "tr_TR.UTF-8")
            .run()
            .assert_success();
        let built = snapshot_of(&out_a);
        assert!(built.len() > 5, "{case}: {} files", built.len());
        assert_eq!(built, snapshot_of(&out_b), "{case}");
        assert_eq!(snapshot_of(&app_a), snapshot_of(&app_b), "{case}");
        for (path, bytes) in &built {
            assert!(
                !bytes.contains(&b'\r'),
                "{case}: {path} has a carriage return"
            );
        }
        let again = Specdeploy::new()
            .args(["build", "--target", "all"])
            .arg(&app_b)
            .arg("--out")
            .arg(&out_b)
            .run();
        again.assert_success();
        assert!(
            !again.stdout.contains("created") && !again.stdout.contains("updated"),
            "{case}: {again}"
        );
        assert_eq!(built, snapshot_of(&out_b), "{case}");
    }
}

#[test]
fn a_library_gets_no_artifacts_and_is_told_so() {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path();
    std::fs::create_dir(app.join("specs")).expect("specs");
    std::fs::write(
        app.join("specs/assertions.json"),
        r#"{"archetype": "library", "assertions": [{"id": "A-1", "natural": "Parsing is total", "type": "invariant", "category": "structure", "status": "confirmed"}]}"#,
    )
    .expect("manifest");
    std::fs::write(
        app.join("package.json"),
        r#"{"name": "tiny-lib", "version": "1.0.0", "main": "index.ts"}"#,
    )
    .expect("package.json");
    let before = snapshot_of(app);
    let run = Specdeploy::new().arg("build").arg(app).run();
    run.assert_code(0);
    assert!(
        run.stderr.contains("SD0404") && run.stderr.contains("library"),
        "{run}"
    );
    assert_eq!(snapshot_of(app), before, "nothing written");
}

#[test]
fn no_colour_unless_forced() {
    let (_work, app) = fixture("web-service");
    let plain = Specdeploy::new().arg("check").arg(&app).run();
    assert!(!plain.stderr.contains('\u{1b}'), "{plain}");
    let forced = Specdeploy::new()
        .arg("check")
        .arg(&app)
        .env_remove("NO_COLOR")
        .env("FORCE_COLOR", "1")
        .run();
    assert!(forced.stderr.contains('\u{1b}'), "{forced}");
}

#[test]
fn source_date_epoch_is_the_only_time_in_the_output() {
    let (work, app) = fixture("cli-tool");
    let out = work.path().join("out");
    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .env_remove("SOURCE_DATE_EPOCH")
        .run()
        .assert_success();
    let plain = std::fs::read_to_string(out.join("Dockerfile")).expect("Dockerfile");
    assert!(
        !plain.contains("image.created"),
        "no clock time without SOURCE_DATE_EPOCH"
    );
    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .run()
        .assert_success();
    let stamped = std::fs::read_to_string(out.join("Dockerfile")).expect("Dockerfile");
    assert!(
        stamped.contains("\"org.opencontainers.image.created\"=\"2023-11-14T22:13:20Z\""),
        "{stamped}"
    );
}

#[test]
fn a_file_the_user_wrote_is_kept_and_the_rest_is_written() {
    let (_work, app) = fixture("web-service");
    let mine = "FROM scratch\n# my own Dockerfile\n";
    std::fs::write(app.join("Dockerfile"), mine).expect("user Dockerfile");
    let run = Specdeploy::new().arg("build").arg(&app).run();
    run.assert_code(0);
    assert!(
        run.stderr.contains("SD0701") && run.stderr.contains("Dockerfile"),
        "{run}"
    );
    assert_eq!(
        std::fs::read_to_string(app.join("Dockerfile")).expect("kept"),
        mine
    );
    assert!(app.join("compose.yaml").is_file(), "{run}");
    Specdeploy::new()
        .args(["build", "--deny-warnings"])
        .arg(&app)
        .run()
        .assert_failure();

    Specdeploy::new()
        .args(["build", "--force"])
        .arg(&app)
        .run()
        .assert_code(0);
    let ours = std::fs::read_to_string(app.join("Dockerfile")).expect("replaced");
    assert!(ours.contains("Generated by specdeploy"));
    let again = Specdeploy::new().arg("build").arg(&app).run();
    again.assert_code(0);
    assert!(!again.stderr.contains("SD07"), "{again}");
}

#[test]
fn an_edited_artifact_stops_the_build_until_it_is_taken_over_or_forced() {
    let (_work, app) = fixture("web-service");
    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .run()
        .assert_code(0);
    let compose = app.join("compose.yaml");
    let generated = std::fs::read_to_string(&compose).expect("compose.yaml");
    let edited = generated.replace("services:\n", "services:\n  # tuned by hand\n");
    assert_ne!(edited, generated);
    std::fs::write(&compose, &edited).expect("edit");
    std::fs::remove_file(app.join("Dockerfile")).expect("remove Dockerfile");

    let run = Specdeploy::new().arg("build").arg(&app).run();
    run.assert_code(2);
    assert!(
        run.stderr.contains("SD0703") && run.stderr.contains("compose.yaml"),
        "{run}"
    );
    assert_eq!(std::fs::read_to_string(&compose).expect("kept"), edited);
    assert!(
        !app.join("Dockerfile").exists(),
        "nothing is written while an edited file stands in the way"
    );

    let taken_over: String = edited
        .lines()
        .filter(|l| !l.contains("Generated by specdeploy") && !l.contains("specdeploy-sha256"))
        .flat_map(|l| [l, "\n"])
        .collect();
    std::fs::write(&compose, &taken_over).expect("take over");
    let run = Specdeploy::new().arg("build").arg(&app).run();
    run.assert_code(0);
    assert!(run.stderr.contains("SD0701"), "{run}");
    assert_eq!(std::fs::read_to_string(&compose).expect("kept"), taken_over);
    assert!(app.join("Dockerfile").is_file());

    Specdeploy::new()
        .args(["build", "--force"])
        .arg(&app)
        .run()
        .assert_code(0);
    assert_eq!(
        std::fs::read_to_string(&compose).expect("replaced"),
        generated
    );
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_output_folder_is_refused() {
    let (work, app) = fixture("web-service");
    let outside = work.path().join("outside");
    std::fs::create_dir(&outside).expect("outside folder");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("out");
    std::os::unix::fs::symlink(&outside, out.join("deploy")).expect("folder link");
    std::os::unix::fs::symlink(outside.join("victim"), out.join("compose.yaml"))
        .expect("file link");
    std::fs::write(outside.join("victim"), "precious\n").expect("victim");

    for force in [false, true] {
        let flags: &[&str] = if force {
            &["--target", "all", "--force"]
        } else {
            &["--target", "all"]
        };
        let run = build_into(&app, &out, flags);
        run.assert_code(2);
        assert!(run.stderr.contains("SD0704"), "{run}");
        assert!(
            run.stderr.contains("deploy") && run.stderr.contains("compose.yaml"),
            "{run}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("victim")).expect("victim"),
        "precious\n"
    );
    assert_eq!(std::fs::read_dir(&outside).expect("outside").count(), 1);
    assert!(!out.join("Dockerfile").exists(), "nothing written");

    std::fs::remove_file(out.join("deploy")).expect("unlink");
    std::fs::remove_file(out.join("compose.yaml")).expect("unlink");
    std::fs::create_dir(out.join("compose.yaml")).expect("a folder in the way");
    let run = Specdeploy::new()
        .args(["build", "--out"])
        .arg(&out)
        .arg(&app)
        .run();
    run.assert_code(2);
    assert!(
        run.stderr.contains("SD0704") && run.stderr.contains("not a regular file"),
        "{run}"
    );
}

#[cfg(unix)]
#[test]
fn two_artifacts_that_a_link_makes_one_file_are_refused() {
    let (work, app) = fixture("web-service");
    let out = work.path().join("out");
    // JSON, so that the messages are not wrapped.
    let build =
        |out: &Path| build_into(&app, out, &["--message-format", "json", "--target", "all"]);
    build(&out).assert_code(0);
    let overlays = out.join("deploy/k8s/overlays");
    std::fs::remove_dir_all(overlays.join("prod")).expect("prod overlay");
    std::os::unix::fs::symlink("dev", overlays.join("prod")).expect("folder link");
    let dev = std::fs::read_to_string(overlays.join("dev/kustomization.yaml")).expect("dev");
    let run = build(&out);
    run.assert_code(2);
    assert!(
        run.stderr.contains("SD0704") && run.stderr.contains("same file as"),
        "{run}"
    );
    let after = std::fs::read_to_string(overlays.join("dev/kustomization.yaml")).expect("dev");
    assert_eq!(after, dev, "the dev overlay is left as it was");

    // A file link to another artifact that exists.
    std::fs::remove_dir_all(overlays.join("prod")).expect("prod link");
    build(&out).assert_code(0);
    std::fs::remove_file(out.join("compose.dev.yaml")).expect("dev override");
    std::os::unix::fs::symlink("compose.yaml", out.join("compose.dev.yaml")).expect("link");
    let compose = std::fs::read_to_string(out.join("compose.yaml")).expect("compose");
    let run = build(&out);
    run.assert_code(2);
    assert!(run.stderr.contains("same file as"), "{run}");
    let after = std::fs::read_to_string(out.join("compose.yaml")).expect("compose");
    assert_eq!(after, compose, "compose.yaml is left as it was");
}

#[cfg(unix)]
#[test]
fn a_folder_in_the_way_is_reported_once_for_all_the_files_inside_it() {
    let (work, app) = fixture("web-service");
    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("out");
    std::fs::write(out.join("deploy"), "not a folder\n").expect("file");
    let run = build_into(&app, &out, &["--target", "all"]);
    run.assert_code(2);
    assert_eq!(run.stderr.matches("[SD0704]").count(), 1, "{run}");
}

#[test]
fn crlf_line_endings_of_a_checkout_count_as_unchanged() {
    let (work, app) = fixture("web-service");
    let out = work.path().join("out");
    let build = |flags: &[&str]| build_into(&app, &out, flags);
    build(&[]).assert_code(0);
    let dockerfile = out.join("Dockerfile");
    let lf = std::fs::read_to_string(&dockerfile).expect("Dockerfile");
    let crlf = lf.replace('\n', "\r\n");
    std::fs::write(&dockerfile, &crlf).expect("CRLF");
    build(&["--check"]).assert_code(0);
    let run = build(&[]);
    run.assert_code(0);
    assert!(run.stdout.contains("unchanged"), "{run}");
    assert_eq!(
        std::fs::read_to_string(&dockerfile).expect("Dockerfile"),
        crlf
    );
}

#[test]
fn build_check_in_json_prints_only_json_on_stderr() {
    let (work, app) = fixture("web-service");
    let out = work.path().join("out");
    let build = |flags: &[&str]| build_into(&app, &out, flags);
    build(&[]).assert_code(0);
    std::fs::remove_file(out.join("compose.yaml")).expect("remove");
    let run = build(&["--check", "--message-format", "json"]);
    run.assert_code(1);
    for line in run.stderr.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}\n{run}"
        );
    }
    let run = build(&["--check"]);
    run.assert_code(1);
    assert!(run.stderr.contains("1 artifact(s) differ"), "{run}");
}

#[cfg(unix)]
#[test]
fn a_dangling_link_as_the_output_folder_is_said_plainly() {
    let (work, app) = fixture("web-service");
    let out = work.path().join("out");
    std::os::unix::fs::symlink("nowhere", &out).expect("link");
    let run = build_into(&app, &out, &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("leads nowhere"), "{run}");
    assert_eq!(run.stderr.matches("error(s)").count(), 1, "{run}");
}

#[test]
fn a_diagnostic_on_a_very_long_line_prints_its_place_instead_of_a_snippet() {
    let (_work, app) = fixture("cli-tool");
    let manifest = serde_json::json!({
        "archetype": "cli-tool",
        "assertions": [{
            "id": "A-1",
            "natural": "x".repeat(70_000),
            "type": "invariant",
            "category": "structure",
            "status": "pending"
        }]
    });
    std::fs::write(app.join("specs/assertions.json"), manifest.to_string()).expect("manifest");
    let run = Specdeploy::new().arg("check").arg(&app).run();
    run.assert_code(0);
    assert!(
        run.stderr.contains("SD0301") && run.stderr.contains("at specs/assertions.json:1:"),
        "{run}"
    );
    assert!(
        run.stderr.len() < 10_000,
        "no megabyte snippets: {} bytes",
        run.stderr.len()
    );
}

#[test]
fn the_ignore_file_goes_to_the_build_context_whatever_out_says() {
    let built = support::build_fixture("cli-tool", |_| {});
    let (app, out) = (&built.app, &built.out);
    let ignore = std::fs::read_to_string(app.join(".dockerignore")).expect("in the context");
    assert!(ignore.contains("!.env.example"));
    assert!(
        !out.join(".dockerignore").exists(),
        "Docker reads it from the context only"
    );
    assert!(out.join("Dockerfile").exists());
}

#[test]
fn the_apps_own_ignore_file_is_kept_and_checked() {
    let (work, app) = fixture("web-service");
    let mine = "node_modules\n.env\nbun.lock\n";
    std::fs::write(app.join(".dockerignore"), mine).expect("user ignore file");
    let out = work.path().join("out");
    let run = Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .run();
    run.assert_code(0);
    assert_eq!(
        std::fs::read_to_string(app.join(".dockerignore")).expect("kept"),
        mine
    );
    assert!(run.stderr.contains("SD0702"), "{run}");
    for lacking in ["`.env.*`", "`.npmrc`", "`!bun.lock`"] {
        assert!(run.stderr.contains(lacking), "names {lacking}: {run}");
    }
    assert!(out.join("Dockerfile").exists(), "the rest is written");

    std::fs::write(
        app.join(".dockerignore"),
        ".env\n.env.*\n.npmrc\nnode_modules\n",
    )
    .expect("good file");
    let run = Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .run();
    run.assert_code(0);
    assert!(!run.stderr.contains("SD0702"), "a sound file passes: {run}");
}

#[test]
fn build_check_writes_nothing_and_fails_with_a_diff_on_drift() {
    let (_work, app) = fixture("cli-tool");
    let before = snapshot_of(&app);
    let run = Specdeploy::new().args(["build", "--check"]).arg(&app).run();
    run.assert_code(1);
    assert!(
        run.stdout.contains("+++ ") && run.stdout.contains("+# syntax=docker/dockerfile:1"),
        "{run}"
    );
    assert_eq!(snapshot_of(&app), before, "--check writes nothing");

    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .run()
        .assert_code(0);
    let clean = Specdeploy::new().args(["build", "--check"]).arg(&app).run();
    clean.assert_code(0);
    assert_eq!(clean.stdout, "", "in sync: no diff");

    let dockerfile = app.join("Dockerfile");
    let edited = std::fs::read_to_string(&dockerfile).expect("Dockerfile") + "# edited by hand\n";
    std::fs::write(&dockerfile, &edited).expect("edit");
    let drift = Specdeploy::new().args(["build", "--check"]).arg(&app).run();
    drift.assert_code(1);
    assert!(drift.stdout.contains("-# edited by hand"), "{drift}");
    assert_eq!(std::fs::read_to_string(&dockerfile).expect("kept"), edited);
}

#[test]
fn the_human_header_and_json_count_columns_in_characters() {
    let (_work, app) = fixture("web-service");
    std::fs::write(
        app.join("specs/assertions.json"),
        r#"{"assertions": [{"id": "A-001", "natural": "Über café façade", "type": "invariant", "category": "structure", "status": "bogus"}]}"#,
    )
    .expect("manifest");
    let json = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(&app)
        .run();
    let first: serde_json::Value = json
        .stderr
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON diagnostic: {json}"));
    let column = first["column"].as_u64().expect("a column");
    let text = r#"{"assertions": [{"id": "A-001", "natural": "Über café façade", "type": "invariant", "category": "structure", "status": "#;
    assert_eq!(column, text.chars().count() as u64 + 1, "{json}");
    let human = Specdeploy::new().arg("check").arg(&app).run();
    let header = format!("[specs/assertions.json:1:{column}]");
    assert!(human.stderr.contains(&header), "{header} in {human}");
}
