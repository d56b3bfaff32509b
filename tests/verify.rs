//! `specdeploy verify` and the verification labels of `build`, as a user and a toolchain run
//! them: real Dafny (Debian's 2.3, as CI has it) on a passing and a failing model, TLC through
//! a stand-in that replays recorded logs with their exit codes, logs given on the command
//! line, missing tools, the time limit, the progress line, the JSON forms, and models that
//! change after they were verified.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{Run, Specdeploy, Tool, copy_dir, tool};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `fixtures/<case>/app` (or `fixtures/verify/<case>/app`) in a fresh temporary
/// folder.
fn app(case: &str) -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    let under_verify = root().join("fixtures/verify").join(case).join("app");
    let source = if under_verify.is_dir() {
        under_verify
    } else {
        root().join("fixtures").join(case).join("app")
    };
    copy_dir(&source, &app);
    (work, app)
}

fn read_record(app: &Path) -> Value {
    let path = app.join("specs/.specdeploy/verification.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the record is JSON")
}

fn entry<'a>(record: &'a Value, file: &str) -> &'a Value {
    record["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["file"] == file)
        .unwrap_or_else(|| panic!("no entry for {file} in {record:#}"))
}

fn verify_with_dafny(app: &Path) -> Run {
    Specdeploy::new()
        .arg("verify")
        .arg(app)
        .arg("--dafny")
        .arg(tool(Tool::Dafny))
        .run()
}

/// Builds `app` into `out` and returns the run and the Dockerfile's label lines.
fn build(app: &Path, out: &Path, extra: &[&str]) -> (Run, Vec<String>) {
    let run = Specdeploy::new()
        .arg("build")
        .arg(app)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove("SOURCE_DATE_EPOCH")
        .run();
    let labels = std::fs::read_to_string(out.join("Dockerfile"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"com.spec-driven."))
        .map(|l| l.trim().trim_end_matches(" \\").to_owned())
        .collect();
    (run, labels)
}

fn has_label(labels: &[String], name: &str, value: &str) -> bool {
    labels
        .iter()
        .any(|l| *l == format!("\"com.spec-driven.{name}\"=\"{value}\""))
}

#[test]
fn dafny_verifies_a_passing_model_and_the_label_turns_stale_when_it_changes() {
    let (work, app) = app("dafny-passing");
    let run = verify_with_dafny(&app);
    run.assert_code(0);
    assert!(
        run.stdout.contains("verified") && run.stdout.contains("specs/dafny/abs.dfy"),
        "{run}"
    );
    assert!(
        !run.stderr.contains('\r') && !run.stderr.contains("\x1b["),
        "no progress line when stderr is not a terminal: {run}"
    );

    let record = read_record(&app);
    let abs = entry(&record, "specs/dafny/abs.dfy");
    let bytes = std::fs::read(app.join("specs/dafny/abs.dfy")).expect("model");
    assert_eq!(abs["sha256"], specdeploy::verify::sha256_hex(&bytes));
    assert_eq!(abs["tool"], "dafny");
    assert_eq!(abs["verdict"], "verified", "{record:#}");
    assert_eq!(abs["exit_code"], 0);
    assert_eq!(abs["counts"]["errors"], 0);
    assert!(abs["counts"]["verified"].as_u64() >= Some(1), "{record:#}");
    assert!(
        abs["tool_version"]
            .as_str()
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())),
        "{record:#}"
    );
    let ran_at = abs["ran_at"].as_str().expect("ran_at").to_owned();
    assert!(
        time::OffsetDateTime::parse(&ran_at, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{ran_at}"
    );

    // Verified and unchanged: the labels say true, and verified-at is the record's time.
    let out = work.path().join("out");
    let (run, labels) = build(&app, &out, &[]);
    run.assert_code(0);
    assert!(has_label(&labels, "dafny-verified", "true"), "{labels:?}");
    assert!(has_label(&labels, "verified", "true"), "{labels:?}");
    assert!(has_label(&labels, "tlc-verified", "none"), "{labels:?}");
    assert!(has_label(&labels, "verified-at", &ran_at), "{labels:?}");
    let first = std::fs::read(out.join("Dockerfile")).expect("Dockerfile");
    let (again, _) = build(&app, &out, &[]);
    again.assert_code(0);
    assert_eq!(
        std::fs::read(out.join("Dockerfile")).expect("Dockerfile"),
        first,
        "build reads no clock: the same record gives the same bytes"
    );

    // Edited after it was verified: the verdict no longer counts.
    let mut edited = bytes.clone();
    edited.extend_from_slice(b"// edited after verification\n");
    std::fs::write(app.join("specs/dafny/abs.dfy"), edited).expect("edit");
    let (run, labels) = build(&app, &out, &[]);
    run.assert_code(0);
    assert!(has_label(&labels, "dafny-verified", "false"), "{labels:?}");
    assert!(has_label(&labels, "verified", "false"), "{labels:?}");
    assert!(
        !labels.iter().any(|l| l.contains("verified-at")),
        "{labels:?}"
    );
    assert!(
        run.stderr.contains("SD0902") && run.stderr.contains("specs/dafny/abs.dfy changed"),
        "{run}"
    );

    let (strict, _) = build(&app, &work.path().join("strict"), &["--require-verified"]);
    strict.assert_code(1);
    assert!(strict.stderr.contains("× [SD0902]"), "{strict}");
}

#[test]
fn dafny_rejects_a_failing_model_and_names_the_assertion_it_breaks() {
    let (work, app) = app("dafny-failing");
    let run = verify_with_dafny(&app);
    run.assert_code(1);
    assert!(run.stderr.contains("× [SD0903]"), "{run}");
    assert!(run.stderr.contains("against A-002"), "{run}");
    assert!(run.stderr.contains("specs/dafny/wrong.dfy:5:"), "{run}");

    let record = read_record(&app);
    assert_eq!(entry(&record, "specs/dafny/abs.dfy")["verdict"], "verified");
    let wrong = entry(&record, "specs/dafny/wrong.dfy");
    assert_eq!(wrong["verdict"], "failed", "{record:#}");
    assert_eq!(wrong["failure"], "verification-error");
    assert_eq!(wrong["exit_code"], 4);
    assert_eq!(wrong["counts"]["errors"], 1);
    assert_eq!(
        wrong["problems"][0]["location"]["file"],
        "specs/dafny/wrong.dfy"
    );
    assert_eq!(wrong["problems"][0]["location"]["line"], 5);
    assert_eq!(wrong["problems"][0]["related"][0]["line"], 3);

    // build labels honestly and says why, by default without failing.
    let (run, labels) = build(&app, &work.path().join("out"), &[]);
    run.assert_code(0);
    assert!(has_label(&labels, "dafny-verified", "false"), "{labels:?}");
    assert!(has_label(&labels, "verified", "false"), "{labels:?}");
    assert!(run.stderr.contains("⚠ [SD0903]"), "{run}");
    assert!(
        run.stdout
            .contains("A-002: line 5: A postcondition might not hold"),
        "the build summary names the assertion: {run}"
    );
    let (strict, _) = build(&app, &work.path().join("strict"), &["--require-verified"]);
    strict.assert_code(1);
    assert!(!work.path().join("strict").join("Dockerfile").exists());
    let json = Specdeploy::new()
        .args(["build", "--message-format", "json", "--out"])
        .arg(work.path().join("json"))
        .arg(&app)
        .run();
    json.assert_code(0);
    let summary: Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(summary["verification"]["dafny"], "false", "{json}");
    let failed = summary["verification"]["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["status"] == "failed")
        .expect("a failed model");
    assert_eq!(failed["problems"][0]["assertions"][0], "A-002");

    // explain ties the failure to the assertion too.
    let explain = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&app)
        .run();
    explain.assert_code(0);
    let explained: Value = serde_json::from_str(&explain.stdout).expect("JSON");
    let models = explained["verification"]["models"]
        .as_array()
        .expect("models");
    let wrong = models
        .iter()
        .find(|m| m["file"] == "specs/dafny/wrong.dfy")
        .expect("wrong.dfy");
    assert_eq!(wrong["status"], "failed");
    assert_eq!(wrong["problems"][0]["assertions"][0], "A-002");
    let human = Specdeploy::new().arg("explain").arg(&app).run();
    assert!(human.stdout.contains("A-002: line 5"), "{human}");
}

#[test]
fn a_missing_verifier_fails_verify_and_leaves_the_label_unknown() {
    let (work, app) = app("dafny-passing");
    let run = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .env_remove("SPECDEPLOY_DAFNY")
        .env("PATH", "")
        .run();
    run.assert_code(2);
    assert!(
        run.stderr.contains("SD0901") && run.stderr.contains("Dafny is not installed"),
        "{run}"
    );
    assert!(run.stdout.contains("not run"), "{run}");
    assert!(!app.join("specs/.specdeploy/verification.json").exists());

    let wrong = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .args(["--dafny", "/nonexistent/dafny"])
        .run();
    wrong.assert_code(2);
    assert!(wrong.stderr.contains("SD0901"), "{wrong}");

    // Never verified: unknown, never true, and a note says why.
    let (run, labels) = build(&app, &work.path().join("out"), &[]);
    run.assert_code(0);
    assert!(
        has_label(&labels, "dafny-verified", "unknown"),
        "{labels:?}"
    );
    assert!(has_label(&labels, "verified", "unknown"), "{labels:?}");
    assert!(run.stderr.contains("☞ [SD0904]"), "{run}");
    let (strict, _) = build(&app, &work.path().join("strict"), &["--require-verified"]);
    strict.assert_code(1);
    assert!(strict.stderr.contains("× [SD0904]"), "{strict}");
}

#[test]
fn a_dafny_log_with_its_exit_code_is_read_without_running_dafny() {
    let (work, app) = app("dafny-passing");
    let log = root().join("fixtures/verifier-logs/real-dafny-2.3/abs-ok.log");
    let run = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .arg("--dafny-log")
        .arg(&log)
        .env("PATH", "")
        .env_remove("SPECDEPLOY_DAFNY")
        .run();
    run.assert_code(0);
    let record = read_record(&app);
    let abs = entry(&record, "specs/dafny/abs.dfy");
    assert_eq!(abs["verdict"], "verified", "{record:#}");
    assert_eq!(abs["exit_code"], 0, "read from abs-ok.exit");
    assert_eq!(abs["tool_version"], "2.3.0.10506");
    assert_eq!(abs["source"]["log"], log.display().to_string());
    let (_, labels) = build(&app, &work.path().join("out"), &[]);
    assert!(has_label(&labels, "dafny-verified", "true"), "{labels:?}");

    // The same kind of log from a failing run, with its exit code 4.
    let failing = root().join("fixtures/verifier-logs/real-dafny-2.3/abs-wrong-post.log");
    let run = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .arg("--dafny-log")
        .arg(&failing)
        .run();
    run.assert_code(1);
    assert_eq!(
        entry(&read_record(&app), "specs/dafny/abs.dfy")["verdict"],
        "failed"
    );
}

/// Runs `verify --only tlc` on a copy of the web-service fixture, with the stand-in replaying
/// `log` and exiting as `expected.json` says TLC did.
fn verify_with_tlc_stand_in(
    log: &str,
    extra: &[(&str, &str)],
) -> (tempfile::TempDir, PathBuf, Run, Vec<String>) {
    let (work, app) = app("web-service");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/verifier-logs/expected.json"))
            .expect("expected.json"),
    )
    .expect("JSON");
    let exit = expected["logs"][log]["exit_code"].to_string();
    let args_file = work.path().join("tlc-args");
    let mut command = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .args(["--only", "tlc", "--tlc"])
        .arg(root().join("fixtures/verify/tlc-stand-in"))
        .env(
            "TLC_STAND_IN_LOG",
            root().join("fixtures/verifier-logs").join(log),
        )
        .env("TLC_STAND_IN_EXIT", exit)
        .env("TLC_STAND_IN_ARGS", &args_file);
    for (key, value) in extra {
        command = command.env(key, value);
    }
    let run = command.run();
    let args = std::fs::read_to_string(&args_file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    (work, app, run, args)
}

#[test]
fn tlc_is_invoked_on_the_module_and_its_configuration_and_success_is_recorded() {
    let (work, app, run, args) = verify_with_tlc_stand_in("tlc-success.log", &[]);
    run.assert_code(0);
    let again = Specdeploy::new()
        .args([
            "verify",
            "--message-format",
            "json",
            "--only",
            "tlc",
            "--tlc",
        ])
        .arg(root().join("fixtures/verify/tlc-stand-in"))
        .arg(&app)
        .env(
            "TLC_STAND_IN_LOG",
            root().join("fixtures/verifier-logs/tlc-success.log"),
        )
        .run();
    again.assert_code(0);
    let document: Value = serde_json::from_str(&again.stdout).expect("one JSON document");
    assert_eq!(
        document["models"][0]["file"], "specs/tla/behavior.tla",
        "{again}"
    );
    assert_eq!(document["models"][0]["verdict"], "verified");
    assert_eq!(document["models"][0]["counts"]["states_generated"], 61);
    let (folder, args) = args.split_first().expect("the stand-in ran");
    assert!(
        folder.ends_with("specs/tla"),
        "runs beside the model: {folder}"
    );
    let metadir = args
        .iter()
        .position(|a| a == "-metadir")
        .and_then(|i| args.get(i + 1))
        .expect("-metadir");
    assert!(
        !metadir.contains("/app/"),
        "TLC's states stay out of the app: {metadir}"
    );
    let tail: Vec<&str> = args.iter().map(String::as_str).rev().take(3).collect();
    assert_eq!(
        tail,
        ["behavior.tla", "behavior.cfg", "-config"],
        "{args:?}"
    );
    for flag in ["-workers", "-cleanup", "-noGenerateSpecTE"] {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }

    let record = read_record(&app);
    let behavior = entry(&record, "specs/tla/behavior.tla");
    assert_eq!(behavior["verdict"], "verified", "{record:#}");
    assert_eq!(behavior["tool_version"], "2.18");
    assert_eq!(behavior["counts"]["distinct_states"], 19);
    assert_eq!(behavior["config"]["file"], "specs/tla/behavior.cfg");

    // TLC verified, Dafny never ran: the overall label stays unknown.
    let (run, labels) = build(&app, &work.path().join("out"), &[]);
    run.assert_code(0);
    assert!(has_label(&labels, "tlc-verified", "true"), "{labels:?}");
    assert!(
        has_label(&labels, "dafny-verified", "unknown"),
        "{labels:?}"
    );
    assert!(has_label(&labels, "verified", "unknown"), "{labels:?}");

    // Editing the configuration is a change to what was checked.
    let cfg = app.join("specs/tla/behavior.cfg");
    let mut text = std::fs::read_to_string(&cfg).expect("cfg");
    text.push_str("\\* one more line\n");
    std::fs::write(&cfg, text).expect("edit");
    let (run, labels) = build(&app, &work.path().join("out"), &[]);
    assert!(has_label(&labels, "tlc-verified", "false"), "{labels:?}");
    assert!(
        run.stderr.contains("specs/tla/behavior.cfg changed"),
        "{run}"
    );
}

#[test]
fn a_temporal_violation_is_reported_against_the_property_s_assertion() {
    let (_work, app, run, _) = verify_with_tlc_stand_in("tlc-temporal-violation.log", &[]);
    run.assert_code(1);
    // The log names no property; the configuration checks one, EventuallyReleased, defined on
    // line 49, which A-007's formalSpec covers.
    assert!(run.stderr.contains("against A-007"), "{run}");
    assert!(
        run.stderr
            .contains("counterexample of 2 states, then Stuttering"),
        "{run}"
    );
    let record = read_record(&app);
    let behavior = entry(&record, "specs/tla/behavior.tla");
    assert_eq!(behavior["failure"], "temporal");
    assert_eq!(behavior["problems"][0]["property"], "EventuallyReleased");
    assert_eq!(behavior["problems"][0]["location"]["line"], 49);
}

#[test]
fn a_deadlock_and_an_invariant_violation_are_failures_with_their_traces() {
    let (_w, app, run, _) = verify_with_tlc_stand_in("tlc-deadlock.log", &[]);
    run.assert_code(1);
    assert!(run.stderr.contains("a deadlock"), "{run}");
    let deadlock = read_record(&app);
    let behavior = entry(&deadlock, "specs/tla/behavior.tla");
    assert_eq!(behavior["failure"], "deadlock");
    assert_eq!(behavior["counterexample"]["length"], 5);

    let (_w, app, run, _) = verify_with_tlc_stand_in("tlc-invariant-violation.log", &[]);
    run.assert_code(1);
    let invariant = read_record(&app);
    let behavior = entry(&invariant, "specs/tla/behavior.tla");
    assert_eq!(behavior["failure"], "invariant");
    assert_eq!(behavior["problems"][0]["property"], "ReservedWithinStock");
    assert_eq!(
        behavior["problems"][0]["location"]["line"], 44,
        "where it is defined"
    );
    assert!(run.stderr.contains("specs/tla/behavior.tla:44:1"), "{run}");

    let (_w, app, run, _) = verify_with_tlc_stand_in("tlc-parse-error.log", &[]);
    run.assert_code(1);
    let parse = read_record(&app);
    let behavior = entry(&parse, "specs/tla/behavior.tla");
    assert_eq!(behavior["failure"], "spec-parse-error");
    assert_eq!(behavior["problems"][0]["location"]["line"], 40);
    assert!(run.stderr.contains("Unknown operator"), "{run}");
}

#[test]
fn a_model_checker_that_does_not_finish_is_stopped_at_the_time_limit() {
    let started = std::time::Instant::now();
    let (work, app) = app("web-service");
    let run = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .args(["--only", "tlc", "--timeout", "1", "--tlc"])
        .arg(root().join("fixtures/verify/tlc-stand-in"))
        .env(
            "TLC_STAND_IN_LOG",
            root().join("fixtures/verifier-logs/tlc-success.log"),
        )
        .env("TLC_STAND_IN_SLEEP", "120")
        .run();
    run.assert_code(1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "stopped near the limit, not after the stand-in's sleep"
    );
    let record = read_record(&app);
    let behavior = entry(&record, "specs/tla/behavior.tla");
    assert_eq!(behavior["verdict"], "failed");
    assert_eq!(behavior["failure"], "time-limit");
    drop(work);
}

#[test]
fn a_tlc_log_is_matched_to_its_model_by_the_module_it_parsed() {
    let (_work, app) = app("web-service");
    let run = Specdeploy::new()
        .arg("verify")
        .arg(&app)
        .args(["--only", "tlc", "--tlc-log"])
        .arg(root().join("fixtures/verifier-logs/tlc-invariant-violation.log"))
        .run();
    run.assert_code(1);
    let record = read_record(&app);
    let behavior = entry(&record, "specs/tla/behavior.tla");
    assert_eq!(behavior["verdict"], "failed");
    assert_eq!(
        behavior["exit_code"],
        Value::Null,
        "no exit code was saved beside the log"
    );
    assert_eq!(behavior["failure"], "invariant");
}

#[test]
fn an_unreadable_record_counts_nothing_as_verified() {
    let (work, app) = app("dafny-passing");
    std::fs::create_dir_all(app.join("specs/.specdeploy")).expect("folder");
    std::fs::write(
        app.join("specs/.specdeploy/verification.json"),
        "{ not json",
    )
    .expect("write");
    let (run, labels) = build(&app, &work.path().join("out"), &[]);
    run.assert_code(0);
    assert!(run.stderr.contains("SD0905"), "{run}");
    assert!(
        has_label(&labels, "dafny-verified", "unknown"),
        "{labels:?}"
    );
}

#[test]
fn a_progress_line_is_shown_on_a_terminal() {
    // util-linux's `script` gives the command a terminal and keeps what it showed there.
    let (work, app) = app("web-service");
    let shown = work.path().join("terminal");
    let command = format!(
        "{} verify {} --only tlc --tlc {} >/dev/null",
        Specdeploy::bin().display(),
        app.display(),
        root().join("fixtures/verify/tlc-stand-in").display()
    );
    let run = support::run(
        std::process::Command::new("script")
            .args(["-q", "-e", "-c", &command])
            .arg(&shown)
            .env("NO_COLOR", "1")
            .env(
                "TLC_STAND_IN_LOG",
                root().join("fixtures/verifier-logs/tlc-success.log"),
            )
            .env("TLC_STAND_IN_SLEEP", "2"),
    );
    run.assert_success();
    let terminal =
        String::from_utf8_lossy(&std::fs::read(&shown).expect("typescript")).into_owned();
    assert!(
        terminal.contains("[1/1] tlc specs/tla/behavior.tla 1s"),
        "progress on the terminal: {terminal}"
    );
}
