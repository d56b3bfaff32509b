//! Every folder under `fixtures/` is a test case: `app/` is the input app folder, and the
//! expected diagnostics and artifacts are insta snapshots in `expected/`. Each case runs the
//! real binary as a user would.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{copy_dir, relative_files};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn run_case(case: &str) {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    copy_dir(&fixtures().join(case).join("app"), &app);
    let out = work.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_specdeploy"))
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run specdeploy");
    let shown = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(&out.display().to_string(), "<OUT>")
            .replace(&app.display().to_string(), "<APP>")
    };
    let report = format!(
        "exit code: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        shown(&output.stdout),
        shown(&output.stderr)
    );

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(fixtures().join(case).join("expected"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!("diagnostics", report);
        let mut written: Vec<(String, PathBuf)> = if out.exists() {
            relative_files(&out)
                .into_iter()
                .map(|f| (f.clone(), out.join(f)))
                .collect()
        } else {
            Vec::new()
        };
        // `.dockerignore` and the health code go into the app folder, the build context.
        let input = fixtures().join(case).join("app");
        for file in relative_files(&app) {
            if !input.join(&file).exists() {
                written.push((format!("app/{file}"), app.join(&file)));
            }
        }
        let names: Vec<&str> = written.iter().map(|(name, _)| name.as_str()).collect();
        insta::assert_snapshot!("files", names.join("\n"));
        for (name, path) in &written {
            let contents = std::fs::read_to_string(path).expect("artifact is text");
            insta::assert_snapshot!(name.replace('/', "__"), contents);
        }
    });
}

macro_rules! cases {
    ($($name:ident => $folder:literal,)*) => {
        $(
            #[test]
            fn $name() {
                run_case($folder);
            }
        )*

        #[test]
        fn every_fixture_folder_has_a_test() {
            let mut listed = vec![$($folder),*];
            listed.sort_unstable();
            let mut found: Vec<String> = std::fs::read_dir(fixtures())
                .expect("fixtures folder")
                .filter_map(|e| {
                    let e = e.ok()?;
                    e.path().join("app").is_dir().then(|| e.file_name().to_string_lossy().into_owned())
                })
                .collect();
            found.sort();
            assert_eq!(found, listed, "add each fixture folder to the `cases!` list");
        }
    };
}

cases! {
    web_service => "web-service",
    cli_tool => "cli-tool",
    data_pipeline => "data-pipeline",
    fresh_probe => "fresh-probe",
    untouched_template => "untouched-template",
    broken_manifest => "broken-manifest",
    invalid_assertions => "invalid-assertions",
    no_lockfile => "no-lockfile",
    spec_language => "spec-language",
    mixed_forms => "mixed-forms",
}
