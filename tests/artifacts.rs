//! The artifacts of every buildable fixture, checked by the real tools that will read them:
//! hadolint and `BuildKit`'s parser for Dockerfiles, Docker Compose for Compose files, a dotenv
//! parser for `.env.example`. A missing tool fails the test; it never skips.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use support::{BuiltApp, build_fixture, compose_config, filled_env, hadolint, parse_dockerfile};

/// Fixtures that compile to artifacts.
const BUILDABLE: &[&str] = &[
    "web-service",
    "cli-tool",
    "data-pipeline",
    "no-lockfile",
    "spec-language",
];

fn build(case: &str) -> BuiltApp {
    build_fixture(case, |_| {})
}

/// `.env.example` with every empty value filled in, but `skip`.
fn filled(out: &Path, skip: Option<&str>) -> String {
    let template = std::fs::read_to_string(out.join(".env.example")).expect(".env.example");
    filled_env(&template, skip)
}

fn required_variables(out: &Path) -> Vec<String> {
    let template = std::fs::read_to_string(out.join(".env.example")).expect(".env.example");
    template
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_suffix('=').map(str::to_owned))
        .collect()
}

#[test]
fn dockerfiles_pass_hadolint_with_no_findings_at_any_level() {
    for case in BUILDABLE {
        let built = build(case);
        let run = hadolint(&built.out.join("Dockerfile"));
        run.assert_success();
        assert_eq!(
            run.stdout.trim(),
            "",
            "{case}: hadolint reported findings: {run}"
        );
    }
}

#[test]
fn compose_files_are_accepted_silently_with_the_env_template_filled_in() {
    for case in BUILDABLE {
        let built = build(case);
        std::fs::write(built.out.join(".env"), filled(&built.out, None)).expect("write .env");
        let run = compose_config(&built.out, &["compose.yaml"], Some(Path::new(".env")));
        run.assert_success();
        assert_eq!(run.stderr.trim(), "", "{case}: compose warned: {run}");
        if built.out.join("compose.dev.yaml").exists() {
            let run = compose_config(
                &built.out,
                &["compose.yaml", "compose.dev.yaml"],
                Some(Path::new(".env")),
            );
            run.assert_success();
            assert_eq!(
                run.stderr.trim(),
                "",
                "{case}: compose warned on the dev file: {run}"
            );
        }
    }
}

#[test]
fn each_missing_required_variable_fails_compose_by_name() {
    for case in BUILDABLE {
        let built = build(case);
        for variable in required_variables(&built.out) {
            std::fs::write(built.out.join(".env"), filled(&built.out, Some(&variable)))
                .expect("write .env");
            let run = compose_config(&built.out, &["compose.yaml"], Some(Path::new(".env")));
            run.assert_failure();
            assert!(
                run.stderr
                    .contains(&format!("required variable {variable} is missing")),
                "{case}: compose did not name {variable}: {run}"
            );
        }
    }
}

#[test]
fn env_templates_parse_with_a_dotenv_parser_and_cover_every_reference() {
    for case in BUILDABLE {
        let built = build(case);
        let parsed: BTreeSet<String> = dotenvy::from_path_iter(built.out.join(".env.example"))
            .expect("open .env.example")
            .map(|item| item.expect("valid dotenv line").0)
            .collect();
        let compose =
            std::fs::read_to_string(built.out.join("compose.yaml")).expect("compose.yaml");
        let mut rest = compose.as_str();
        while let Some(at) = rest.find("${") {
            let after = &rest[at + 2..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..end];
            // `$${X}` is an escaped dollar: the container's shell reads X, not Compose.
            let escaped = rest[..at].ends_with('$');
            assert!(
                escaped || parsed.contains(name),
                "{case}: compose.yaml reads {name}, which .env.example lacks"
            );
            rest = &after[end..];
        }
    }
}

#[test]
fn dockerfiles_parse_with_buildkit_and_keep_their_shape() {
    for case in BUILDABLE {
        let built = build(case);
        let instructions = parse_dockerfile(&built.out.join("Dockerfile"));
        let froms: Vec<usize> = instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.cmd == "FROM")
            .map(|(n, _)| n)
            .collect();
        assert!(froms.len() >= 2, "{case}: a multi-stage build");
        let runtime = &instructions[*froms.last().expect("a FROM")..];

        let user = runtime
            .iter()
            .rev()
            .find(|i| i.cmd == "USER")
            .expect("runtime stage sets USER");
        let uid = user.value[0].split(':').next().expect("uid");
        assert!(
            uid.parse::<u32>().is_ok_and(|u| u != 0),
            "{case}: numeric non-root USER, got {uid}"
        );

        for start in ["CMD", "ENTRYPOINT"] {
            if let Some(i) = runtime.iter().find(|i| i.cmd == start) {
                assert!(i.json, "{case}: {start} in exec form");
            }
        }
        if let Some(health) = runtime.iter().find(|i| i.cmd == "HEALTHCHECK") {
            assert_eq!(
                health.value.first().map(String::as_str),
                Some("CMD"),
                "{case}: exec-form HEALTHCHECK"
            );
            assert_eq!(
                health.value.get(1).map(String::as_str),
                Some("bun"),
                "{case}: probe runs bun, which the slim image has"
            );
        }
        for i in &instructions {
            if matches!(i.cmd.as_str(), "ENV" | "ARG") {
                let text = i.original.to_ascii_uppercase();
                for secret in ["PASSWORD", "SECRET", "API_KEY", "TOKEN"] {
                    assert!(
                        !text.contains(secret),
                        "{case}: a secret in the image: {}",
                        i.original
                    );
                }
            }
        }
    }
}

#[test]
fn every_artifact_carries_the_marker_with_the_hash_of_its_contents() {
    use specdeploy::emit::marker::{Provenance, provenance};
    use specdeploy::emit::{Layout, Target};
    let layout = Layout {
        image_registry: Some("ghcr.io/acme".to_owned()),
        replicas: Some(2),
        ..Layout::in_app_folder(Target::All)
    };
    for case in BUILDABLE {
        let app = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(case)
            .join("app");
        let mut diagnostics = specdeploy::diagnostic::Diagnostics::new();
        let folder = specdeploy::load::load(&app, &mut diagnostics);
        let compilation = specdeploy::compile::compile(
            folder,
            specdeploy::passes::Options::default(),
            Some(&layout),
            diagnostics,
        );
        assert!(compilation.artifacts.len() > 5, "{case}");
        for artifact in &compilation.artifacts {
            assert_eq!(
                provenance(artifact.contents.as_bytes()),
                Provenance::Generated,
                "{case}: {}",
                artifact.path
            );
            let edited = artifact.contents.replacen('\n', "\n\n", 3);
            assert_eq!(
                provenance(edited.as_bytes()),
                Provenance::Edited,
                "{case}: {}",
                artifact.path
            );
        }
    }
}
