//! Bad input never crashes: malformed UTF-8, a 10 MB line, deep nesting, oversized files,
//! a hundred thousand assertions, symbolic link loops and unreadable files each end in a
//! diagnostic and a documented exit code, never a panic (exit code 101) or a hang.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use support::{Run, Specdeploy};

/// An app folder with `package.json`, an entry point and an empty `specs/`.
fn app() -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temporary folder");
    let app = work.path().join("app");
    std::fs::create_dir_all(app.join("specs")).expect("specs");
    std::fs::create_dir_all(app.join("src")).expect("src");
    std::fs::write(
        app.join("package.json"),
        r#"{"name": "limits", "version": "1.0.0"}"#,
    )
    .expect("package.json");
    std::fs::write(app.join("src/index.ts"), "console.log(1);\n").expect("entry");
    (work, app)
}

fn check(app: &Path) -> Run {
    Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(app)
        .run()
}

/// The codes of the JSON diagnostics on stderr.
fn codes(run: &Run) -> Vec<String> {
    run.diagnostics()
        .filter_map(|v| v["code"].as_str().map(str::to_owned))
        .collect()
}

#[track_caller]
fn assert_reported(run: &Run, code: &str) {
    assert_ne!(run.code, Some(101), "a panic: {run}");
    assert!(codes(run).iter().any(|c| c == code), "no {code}: {run}");
}

#[test]
fn text_that_is_not_utf8_is_reported_where_it_breaks() {
    let (_work, app) = app();
    std::fs::write(
        app.join("specs/bad.spec"),
        b"app limits {\n  version \"\xff\xfe\"\n}\n",
    )
    .expect("spec");
    std::fs::write(
        app.join("specs/assertions.json"),
        b"{\"archetype\": \"\xc3\"}",
    )
    .expect("manifest");
    let run = check(&app);
    run.assert_code(2);
    assert_reported(&run, "SD0004");
    let located: Vec<serde_json::Value> = run
        .diagnostics()
        .filter(|v| v["code"] == "SD0004")
        .collect();
    assert_eq!(located.len(), 2, "{run}");
    let spec = located
        .iter()
        .find(|v| v["file"] == "specs/bad.spec")
        .expect("the .spec file");
    assert_eq!(
        (spec["line"].as_u64(), spec["column"].as_u64()),
        (Some(2), Some(12)),
        "{run}"
    );
}

#[test]
fn a_ten_megabyte_line_gets_a_short_diagnostic() {
    let (_work, app) = app();
    let junk = "x".repeat(10 * 1024 * 1024);
    std::fs::write(app.join("specs/long.spec"), format!("{junk}\n")).expect("spec");
    let text = "a".repeat(10 * 1024 * 1024);
    std::fs::write(
        app.join("specs/assertions.json"),
        format!(
            r#"{{"archetype": "cli-tool", "assertions": [{{"id": "A-1", "natural": "{text}", "type": "invariant", "category": "behavior", "status": "confirmed", "extra": }}]}}"#
        ),
    )
    .expect("manifest");
    let run = check(&app);
    run.assert_code(1);
    assert_reported(&run, "SD0201");
    assert_reported(&run, "SD0101");
    assert!(
        run.stderr.len() < 64 * 1024,
        "diagnostics must not echo a 10 MB line: {} bytes",
        run.stderr.len()
    );
    let human = Specdeploy::new().arg("check").arg(&app).run();
    human.assert_code(1);
    assert!(
        human.stderr.len() < 64 * 1024,
        "{} bytes",
        human.stderr.len()
    );
}

#[test]
fn nesting_past_the_limit_is_refused_naming_the_limit() {
    let (_work, app) = app();
    let depth = 100_000;
    std::fs::write(
        app.join("specs/assertions.json"),
        format!(
            "{{\"archetype\": \"cli-tool\", \"tags\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    )
    .expect("manifest");
    let run = check(&app);
    run.assert_code(2);
    assert_reported(&run, "SD0003");
    assert!(run.stderr.contains("64 levels"), "{run}");

    std::fs::write(
        app.join("package.json"),
        format!("{}{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
    )
    .expect("package.json");
    let run = check(&app);
    assert_reported(&run, "SD0003");
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let (_work, app) = app();
    let file = std::fs::File::create(app.join("specs/assertions.json")).expect("manifest");
    // Sparse: the size is what counts, and it is refused before a byte is read.
    file.set_len(specdeploy::load::MAX_FILE_BYTES + 1)
        .expect("size");
    let run = check(&app);
    run.assert_code(2);
    assert_reported(&run, "SD0003");
    assert!(
        run.stderr
            .contains(&specdeploy::load::MAX_FILE_BYTES.to_string()),
        "{run}"
    );
}

#[test]
fn a_hundred_thousand_assertions_are_checked() {
    let (_work, app) = app();
    let mut assertions = String::new();
    for i in 0..100_000 {
        if i > 0 {
            assertions.push(',');
        }
        // Every thousandth id repeats its neighbour's.
        let id = if i % 1000 == 999 { i - 1 } else { i };
        let _ = write!(
            assertions,
            r#"{{"id": "A-{id}", "natural": "The total of order {i} equals the sum of its lines", "type": "invariant", "category": "behavior", "status": "confirmed"}}"#
        );
    }
    std::fs::write(
        app.join("specs/assertions.json"),
        format!(r#"{{"archetype": "cli-tool", "assertions": [{assertions}]}}"#),
    )
    .expect("manifest");
    let run = check(&app);
    run.assert_code(1);
    let duplicates = codes(&run).iter().filter(|c| *c == "SD0106").count();
    // Both places of each repeated id are labelled: one diagnostic per pair.
    assert!(duplicates >= 100, "{duplicates} duplicates reported: {run}");
}

#[cfg(unix)]
#[test]
fn symbolic_links_that_loop_or_leave_the_app_are_reported() {
    use std::os::unix::fs::symlink;
    let (work, app) = app();
    std::fs::write(
        app.join("specs/assertions.json"),
        r#"{"archetype": "cli-tool", "assertions": []}"#,
    )
    .expect("manifest");
    symlink("loop.spec", app.join("specs/loop.spec")).expect("link");
    symlink("b", app.join("specs/a")).expect("link");
    symlink("a", app.join("specs/b")).expect("link");
    symlink("..", app.join("specs/up")).expect("link");
    let outside = work.path().join("secret.spec");
    std::fs::write(&outside, "app stolen {}\n").expect("outside");
    symlink(&outside, app.join("specs/outside.spec")).expect("link");
    let run = check(&app);
    run.assert_code(2);
    let found = codes(&run);
    assert_eq!(
        found.iter().filter(|c| *c == "SD0005").count(),
        4,
        "loop.spec, a, b, up: {run}"
    );
    assert!(found.iter().any(|c| c == "SD0002"), "{run}");
    assert!(!run.stderr.contains("stolen"), "{run}");
}

/// Runs `check` as an unprivileged user, so that permissions hold even when the tests run as
/// root.
#[cfg(unix)]
fn check_unprivileged(work: &Path, app: &Path) -> Run {
    let bin = work.join("specdeploy");
    std::fs::copy(Specdeploy::bin(), &bin).expect("copy the binary");
    let mut command = if running_as_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    command
        .args(["check", "--message-format", "json"])
        .arg(app)
        .env("NO_COLOR", "1");
    support::run(&mut command)
}

#[cfg(unix)]
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // A file this process creates is owned by its effective user.
    let probe = tempfile::NamedTempFile::new().expect("probe file");
    probe.as_file().metadata().expect("metadata").uid() == 0
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let (work, app) = app();
    std::fs::write(app.join("specs/private.spec"), "app limits {}\n").expect("spec");
    for entry in walk(work.path()) {
        let mode = if entry.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    std::fs::set_permissions(
        app.join("specs/private.spec"),
        std::fs::Permissions::from_mode(0o000),
    )
    .expect("chmod");
    let run = check_unprivileged(work.path(), &app);
    run.assert_code(2);
    assert_reported(&run, "SD0002");
    assert!(run.stderr.contains("specs/private.spec"), "{run}");
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = vec![root.to_path_buf()];
    let mut i = 0;
    while i < found.len() {
        if found[i].is_dir() {
            let children = std::fs::read_dir(&found[i]).expect("read_dir");
            found.extend(children.map(|e| e.expect("entry").path()));
        }
        i += 1;
    }
    found
}

/// A copy of the example web service to build.
fn web_service() -> (tempfile::TempDir, PathBuf) {
    support::copy_fixture("web-service")
}

fn build(app: &Path) -> Run {
    Specdeploy::new()
        .args(["build", "--message-format", "json"])
        .arg(app)
        .run()
}

#[cfg(unix)]
#[test]
fn no_file_outside_the_app_reaches_a_diagnostic_through_a_link() {
    use std::os::unix::fs::symlink;
    for linked in [".dockerignore", "src/index.ts"] {
        let (work, app) = web_service();
        let secret = work.path().join("secret");
        std::fs::write(&secret, "root:TOP-SECRET-HASH:0:0\n").expect("secret");
        let _ = std::fs::remove_file(app.join(linked));
        symlink(&secret, app.join(linked)).expect("link");
        let run = build(&app);
        assert_ne!(run.code, Some(101), "{run}");
        assert!(!run.stderr.contains("TOP-SECRET"), "{linked}: {run}");
        assert!(!run.stdout.contains("TOP-SECRET"), "{linked}: {run}");
        assert!(
            codes(&run).iter().any(|c| c == "SD0005" || c == "SD0002"),
            "{linked}: {run}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_specs_folder_that_is_a_link_builds_nothing() {
    let (work, app) = web_service();
    let real = work.path().join("real-specs");
    std::fs::rename(app.join("specs"), &real).expect("move specs");
    std::os::unix::fs::symlink(&real, app.join("specs")).expect("link");
    let run = build(&app);
    run.assert_code(2);
    assert_reported(&run, "SD0001");
    assert!(run.stderr.contains("symbolic link"), "{run}");
    assert!(!app.join("Dockerfile").exists(), "nothing written");
}

/// The web service with `name` replaced: by a FIFO when `pipe`, else by what `otherwise` puts at
/// the path.
#[cfg(unix)]
fn web_service_with(
    name: &str,
    pipe: bool,
    otherwise: impl FnOnce(&Path),
) -> (tempfile::TempDir, PathBuf) {
    let (work, app) = web_service();
    let path = app.join(name);
    let _ = std::fs::remove_file(&path);
    if pipe {
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo");
        assert!(made.success(), "mkfifo {}", path.display());
    } else {
        otherwise(&path);
    }
    (work, app)
}

#[cfg(unix)]
#[test]
fn a_pipe_or_folder_where_specs_are_read_is_reported_not_skipped() {
    for (name, pipe) in [
        ("specs/assertions.json", true),
        ("specs/assertions.json", false),
        ("specs/extra.spec", true),
        ("specs/extra.spec", false),
        ("package.json", false),
    ] {
        let (_work, app) = web_service_with(name, pipe, |path| {
            std::fs::create_dir(path).expect("folder");
        });
        let run = build(&app);
        assert_eq!(run.code, Some(2), "{name}: {run}");
        assert_reported(&run, "SD0002");
        let what = if pipe {
            "a pipe, socket or device"
        } else {
            "a folder"
        };
        assert!(
            run.stderr.contains(&format!(
                "cannot read {name}: it is {what}, not a regular file"
            )),
            "{name}: {run}"
        );
    }
}

#[cfg(unix)]
#[test]
fn pipes_and_huge_files_among_the_app_files_neither_hang_nor_fill_memory() {
    for (name, pipe) in [
        (".dockerignore", true),
        ("src/index.ts", true),
        ("src/index.ts", false),
        ("compose.yaml", false),
    ] {
        let (_work, app) = web_service_with(name, pipe, |path| {
            let file = std::fs::File::create(path).expect("file");
            file.set_len(3 * 1024 * 1024 * 1024).expect("sparse size");
        });
        // `run` has a time limit: a blocked read fails the test instead of hanging it.
        let run = build(&app);
        assert_ne!(run.code, Some(101), "{name}: {run}");
        assert!(!run.success() || name == "compose.yaml", "{name}: {run}");
        if name == "compose.yaml" {
            assert_reported(&run, "SD0701");
        }
    }
}
