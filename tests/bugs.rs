//! One test per failure kind of `BUGS.md` in the shared notes: each builds the situation
//! that failed for people and checks that the generated artifacts avoid it, using the real
//! parsers (BuildKit's for Dockerfiles, Compose's own normalisation for Compose files).

mod support;

use std::path::Path;

use serde_json::Value;
use specdeploy::images::{self, Image};
use support::{BuiltApp, build_fixture, compose_config_json, filled_env, parse_dockerfile};

const BUILDABLE: &[&str] = &[
    "web-service",
    "cli-tool",
    "data-pipeline",
    "no-lockfile",
    "spec-language",
];

const KNOWN_IMAGES: &[&Image] = &[
    &images::BUN_BUILD,
    &images::BUN_SLIM,
    &images::DISTROLESS_CC,
    &images::POSTGRES,
    &images::REDIS,
    &images::KAFKA,
    &images::RABBITMQ,
    &images::NATS,
    &images::MINIO,
];

fn image(reference: &str) -> Option<&'static Image> {
    KNOWN_IMAGES
        .iter()
        .copied()
        .find(|i| i.reference == reference)
}

fn build(case: &str) -> BuiltApp {
    build_fixture(case, |_| {})
}

fn compose(built: &BuiltApp) -> Value {
    let template = std::fs::read_to_string(built.out.join(".env.example")).expect("env template");
    let filled = filled_env(&template, None);
    std::fs::write(built.out.join(".env"), filled).expect("write .env");
    compose_config_json(&built.out, &["compose.yaml"], Some(Path::new(".env")))
}

fn services(project: &Value) -> Vec<(&String, &Value)> {
    project["services"]
        .as_object()
        .expect("services")
        .iter()
        .collect()
}

/// The stages of a Dockerfile: base image and instructions.
fn stages(built: &BuiltApp) -> Vec<(String, Vec<support::DockerfileInstruction>)> {
    let mut stages: Vec<(String, Vec<support::DockerfileInstruction>)> = Vec::new();
    for instruction in parse_dockerfile(&built.out.join("Dockerfile")) {
        if instruction.cmd == "FROM" {
            stages.push((instruction.value[0].clone(), Vec::new()));
        } else if let Some(stage) = stages.last_mut() {
            stage.1.push(instruction);
        }
    }
    stages
}

/// BUGS 1: every probe runs a program its image has; no curl or wget in the Bun images.
#[test]
fn probes_only_call_programs_their_image_has() {
    for case in BUILDABLE {
        let built = build(case);
        let runtime = stages(&built).pop().expect("a runtime stage");
        let base = image(&runtime.0).expect("a known runtime base");
        for i in runtime.1.iter().filter(|i| i.cmd == "HEALTHCHECK") {
            assert_eq!(i.value[0], "CMD");
            assert!(
                base.has(&i.value[1]),
                "{case}: HEALTHCHECK runs {} on {}",
                i.value[1],
                base.reference
            );
        }
        for (name, service) in services(&compose(&built)) {
            let Some(test) = service["healthcheck"]["test"].as_array() else {
                continue;
            };
            let reference = service["image"].as_str().expect("image");
            let base = if service.get("build").is_some() {
                &images::BUN_SLIM
            } else {
                image(reference).expect("known image")
            };
            match test[0].as_str() {
                Some("CMD") => assert!(
                    base.has(test[1].as_str().expect("program")),
                    "{case}/{name}: {test:?}"
                ),
                Some("CMD-SHELL") => assert!(base.shell, "{case}/{name}: CMD-SHELL needs a shell"),
                other => panic!("{case}/{name}: malformed test {other:?}"),
            }
            for arg in test {
                let arg = arg.as_str().expect("string");
                assert!(
                    !arg.contains("curl") && !arg.contains("wget") || base.has("wget"),
                    "{case}/{name}: {arg}"
                );
            }
        }
    }
}

/// BUGS 2: a compiled binary runs on the libc it was built for, and a stage whose base has
/// no shell has no RUN.
#[test]
fn compiled_binaries_run_on_a_matching_base_and_shell_less_stages_run_nothing() {
    for case in BUILDABLE {
        let built = build(case);
        let all = stages(&built);
        let compiles = all.iter().any(|(_, s)| {
            s.iter()
                .any(|i| i.cmd == "RUN" && i.original.contains("--compile"))
        });
        let (runtime_ref, _) = all.last().expect("a runtime stage");
        let runtime = image(runtime_ref).expect("known base");
        if compiles {
            let builder = all
                .iter()
                .find(|(_, s)| s.iter().any(|i| i.original.contains("--compile")))
                .expect("builder");
            assert_eq!(
                image(&builder.0).expect("known builder").libc,
                runtime.libc,
                "{case}: libc pairing"
            );
        }
        for (base, instructions) in &all {
            if image(base).is_some_and(|i| !i.shell) {
                assert!(
                    instructions.iter().all(|i| i.cmd != "RUN"),
                    "{case}: RUN in shell-less {base}"
                );
            }
        }
    }
}

/// BUGS 3: the lockfile that exists is copied and frozen; none means no frozen install; the
/// ignore file never drops it.
#[test]
fn the_lockfile_that_exists_is_the_one_used() {
    let variants: [(&str, Option<&str>); 3] = [
        ("bun.lock", Some("bun.lock")),
        ("bun.lockb", Some("bun.lockb")),
        ("none", None),
    ];
    for (label, keep) in variants {
        let built = build_fixture("web-service", |app| {
            std::fs::remove_file(app.join("bun.lock")).expect("remove bun.lock");
            if let Some(name) = keep {
                std::fs::write(app.join(name), "lockfile").expect("write lockfile");
            }
        });
        let build_stage = &stages(&built)[0].1;
        let copy = build_stage
            .iter()
            .find(|i| i.cmd == "COPY")
            .expect("COPY of the install files");
        let install = build_stage
            .iter()
            .find(|i| i.cmd == "RUN" && i.original.contains("bun install"))
            .expect("install");
        if let Some(name) = keep {
            assert!(
                copy.value.iter().any(|v| v == name),
                "{label}: copies {name}: {}",
                copy.original
            );
            assert!(
                install.original.contains("--frozen-lockfile"),
                "{label}: frozen"
            );
        } else {
            assert!(
                !copy.value.iter().any(|v| v.starts_with("bun.lock")),
                "{label}: {}",
                copy.original
            );
            assert!(
                !install.original.contains("--frozen-lockfile"),
                "{label}: cannot freeze without a lockfile"
            );
        }
        let ignore =
            std::fs::read_to_string(built.app.join(".dockerignore")).expect(".dockerignore");
        let rules: Vec<&str> = ignore
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if let Some(name) = keep {
            assert_eq!(
                rules.last().copied(),
                Some(format!("!{name}").as_str()),
                "{label}: re-included last"
            );
        }
        for rule in &rules {
            assert!(
                !rule.trim_start_matches("**/").starts_with("bun.lock") || rule.starts_with('!'),
                "{label}: {rule}"
            );
        }
    }
}

/// BUGS 4 and 14: the process runs as the image's non-root user, the root file system is
/// read-only, and the tmpfs is writable by that same user.
#[test]
fn the_non_root_user_owns_exactly_what_it_must_write() {
    for case in BUILDABLE {
        let built = build(case);
        let runtime = stages(&built).pop().expect("runtime stage");
        let user = runtime
            .1
            .iter()
            .rev()
            .find(|i| i.cmd == "USER")
            .expect("USER")
            .value[0]
            .clone();
        let project = compose(&built);
        let (_, app) = services(&project)
            .into_iter()
            .find(|(_, s)| s.get("build").is_some())
            .expect("app service");
        assert_eq!(
            app["user"].as_str(),
            Some(user.as_str()),
            "{case}: compose runs as the image's user"
        );
        assert_eq!(app["read_only"], Value::Bool(true), "{case}");
        let (uid, gid) = user.split_once(':').expect("uid:gid");
        let tmpfs: Vec<&str> = app["tmpfs"]
            .as_array()
            .expect("tmpfs")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            tmpfs.iter().any(|t| t.starts_with("/tmp:")
                && t.contains(&format!("uid={uid}"))
                && t.contains(&format!("gid={gid}"))),
            "{case}: {tmpfs:?}"
        );
        for i in &runtime.1 {
            if i.cmd == "COPY" {
                assert!(
                    !i.flags.iter().any(|f| f.starts_with("--chown")),
                    "{case}: code stays root-owned: {}",
                    i.original
                );
            }
        }
    }
}

/// BUGS 5: exec form and an init process, so SIGTERM reaches the app.
#[test]
fn signals_reach_the_app() {
    for case in BUILDABLE {
        let built = build(case);
        let runtime = stages(&built).pop().expect("runtime stage");
        for i in runtime
            .1
            .iter()
            .filter(|i| matches!(i.cmd.as_str(), "CMD" | "ENTRYPOINT"))
        {
            assert!(i.json, "{case}: {} in exec form", i.cmd);
            assert_ne!(
                i.value.get(1).map(String::as_str),
                Some("run"),
                "{case}: no `bun run` wrapper"
            );
        }
        let project = compose(&built);
        let (_, app) = services(&project)
            .into_iter()
            .find(|(_, s)| s.get("build").is_some())
            .expect("app");
        assert_eq!(app["init"], Value::Bool(true), "{case}");
    }
}

/// BUGS 6, 7, 8, 9 and 10: no `version:`, start periods on backing probes, well-formed
/// tests with user and database named, required secrets, one form of resource limits.
#[test]
fn compose_files_avoid_the_known_traps() {
    for case in BUILDABLE {
        let built = build(case);
        let raw = std::fs::read_to_string(built.out.join("compose.yaml")).expect("compose.yaml");
        let docs = yaml_rust2::YamlLoader::load_from_str(&raw).expect("YAML");
        let top = docs[0].as_hash().expect("mapping");
        assert!(
            !top.contains_key(&yaml_rust2::Yaml::String("version".into())),
            "{case}: obsolete version key"
        );

        for (name, service) in services(&compose(&built)) {
            let is_app = service.get("build").is_some();
            if let Some(health) = service.get("healthcheck") {
                let test = health["test"].as_array().expect("test list");
                if test[0] == "CMD-SHELL" {
                    assert_eq!(test.len(), 2, "{case}/{name}: CMD-SHELL takes one string");
                }
                let words: Vec<&str> = test.iter().filter_map(Value::as_str).collect();
                let command = words.join(" ");
                if command.contains("pg_isready") {
                    assert!(
                        command.contains("-U") && command.contains("-d"),
                        "{case}/{name}: {command}"
                    );
                }
                if !is_app {
                    let start = health["start_period"].as_str().expect("start period");
                    assert_ne!(
                        start, "0s",
                        "{case}/{name}: a backing service needs a start period"
                    );
                }
            } else {
                assert!(is_app, "{case}/{name}: backing services are probed");
            }
            let environment = service.get("environment").and_then(Value::as_object);
            for (key, value) in environment.into_iter().flatten() {
                assert_ne!(
                    value, "trust",
                    "{case}/{name}: {key} falls back to trust auth"
                );
            }
            assert!(
                service["deploy"]["resources"]["limits"]["memory"].is_string(),
                "{case}/{name}: deploy.resources"
            );
            for legacy in [
                "mem_limit",
                "memswap_limit",
                "mem_reservation",
                "cpus",
                "cpu_shares",
                "cpu_quota",
            ] {
                assert!(
                    service.get(legacy).is_none_or(Value::is_null),
                    "{case}/{name}: legacy {legacy}"
                );
            }
        }
    }
}

/// BUGS 13: secrets stay out of the image and the build context.
#[test]
fn secrets_stay_out_of_images_and_build_contexts() {
    for case in BUILDABLE {
        let built = build(case);
        let ignore =
            std::fs::read_to_string(built.app.join(".dockerignore")).expect(".dockerignore");
        let rules: Vec<&str> = ignore.lines().map(str::trim).collect();
        for rule in [".env", ".env.*", "!.env.example", ".npmrc"] {
            assert!(rules.contains(&rule), "{case}: .dockerignore lacks {rule}");
        }
        let template = std::fs::read_to_string(built.out.join(".env.example")).expect("env");
        let project = compose(&built);
        for (name, service) in services(&project) {
            let Some(env) = service.get("environment").and_then(Value::as_object) else {
                continue;
            };
            for (key, _) in env {
                let secret = ["PASSWORD", "SECRET", "API_KEY", "ACCESS_KEY"]
                    .iter()
                    .any(|s| key.contains(s));
                if secret {
                    let line = template.lines().find(|l| l.starts_with(&format!("{key}=")));
                    if let Some(line) = line {
                        assert_eq!(
                            line,
                            format!("{key}="),
                            "{case}/{name}: the template leaves {key} empty"
                        );
                    }
                }
            }
        }
        for (_, instructions) in stages(&built) {
            for i in instructions
                .iter()
                .filter(|i| matches!(i.cmd.as_str(), "ENV" | "ARG"))
            {
                let text = i.original.to_ascii_uppercase();
                assert!(
                    !["PASSWORD", "SECRET", "API_KEY", "TOKEN"]
                        .iter()
                        .any(|s| text.contains(s)),
                    "{case}: {}",
                    i.original
                );
            }
        }
    }
}
