//! `build --target k8s`: the Kustomize layout in `deploy/k8s/`, checked by the real tools
//! that read it (kubernetes-validate in strict mode, `kubectl kustomize`), its structure
//! (hardening, draining, runs that never overlap, no secret values), and snapshots of the
//! manifests of the corpus web service and data pipeline. `tests/kubernetes_compose.rs`
//! compares them with Compose; `tests/kubernetes_flags.rs` checks the flags.

mod support;

use support::kubernetes::{
    CLI, PIPELINE, SCHEDULED, VARIANTS, Variant, WEB, app_name, app_workload, build, build_with,
    container, explained, files_under, find, fixtures, k8s_dir, load, manifests, pod_spec,
    rendered, text,
};
use support::{kubectl_kustomize, kubernetes_validate};
use yaml_rust2::YamlLoader;

#[test]
fn every_manifest_validates_in_strict_mode() {
    for variant in VARIANTS {
        let built = build(variant);
        let files = manifests(&built);
        let documents: usize = files.iter().map(|f| load(f).len()).sum();
        let run = kubernetes_validate(&files);
        run.assert_success();
        let passed = run
            .stdout
            .lines()
            .chain(run.stderr.lines())
            .filter(|l| l.starts_with("INFO") && l.contains(" passed for resource "))
            .count();
        assert_eq!(
            passed, documents,
            "{}: every document must pass against a schema: {run}",
            built.name
        );
        assert!(
            !format!("{}{}", run.stdout, run.stderr).contains("WARN"),
            "{}: {run}",
            built.name
        );
    }
}

#[test]
fn every_overlay_renders_and_its_output_validates_in_strict_mode() {
    for variant in VARIANTS {
        let built = build(variant);
        for dir in ["base", "overlays/dev", "overlays/prod"] {
            let run = kubectl_kustomize(&k8s_dir(&built).join(dir));
            run.assert_success();
            let file = built
                .out
                .join(format!("rendered-{}.yaml", dir.replace('/', "-")));
            std::fs::write(&file, &run.stdout).expect("write rendered");
            let documents = YamlLoader::load_from_str(&run.stdout).expect("YAML").len();
            let validated = kubernetes_validate(&[&file]);
            validated.assert_success();
            let passed = validated
                .stdout
                .lines()
                .chain(validated.stderr.lines())
                .filter(|l| l.contains(" passed for resource "))
                .count();
            assert_eq!(passed, documents, "{} {dir}: {validated}", built.name);
        }
    }
}

#[test]
fn no_secret_value_is_written_in_any_manifest() {
    for variant in VARIANTS {
        let built = build(variant);
        let explained = explained(&built);
        let secrets: Vec<&str> = explained["variables"]
            .as_array()
            .expect("variables")
            .iter()
            .filter(|v| v["secret"].as_bool() == Some(true))
            .map(|v| v["name"].as_str().expect("name"))
            .collect();
        for file in manifests(&built) {
            for object in load(&file) {
                match text(&object["kind"]) {
                    "Secret" => {
                        assert!(
                            file.ends_with("base/secret.example.yaml"),
                            "{}",
                            file.display()
                        );
                        for (key, value) in object["stringData"].as_hash().expect("stringData") {
                            assert_eq!(text(value), "", "{}: {key:?} has a value", built.name);
                        }
                    }
                    "ConfigMap" => {
                        for key in object["data"].as_hash().expect("data").keys() {
                            assert!(
                                !secrets.contains(&text(key)),
                                "{}: the secret {key:?} is in the ConfigMap",
                                built.name
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        for dir in ["overlays/dev", "overlays/prod"] {
            for object in rendered(&k8s_dir(&built).join(dir)) {
                assert_ne!(
                    object["kind"].as_str(),
                    Some("Secret"),
                    "{}: {dir}",
                    built.name
                );
                let Some(containers) = pod_spec(&object)["containers"].as_vec() else {
                    continue;
                };
                for entry in containers
                    .iter()
                    .flat_map(|c| c["env"].as_vec().cloned().unwrap_or_default())
                {
                    let name = text(&entry["name"]);
                    if !secrets.contains(&name) {
                        continue;
                    }
                    // A secret is read from the Secret, or built from variables that are.
                    match entry["value"].as_str() {
                        Some(value) => assert!(
                            value.contains("$("),
                            "{}: {name} holds a value: {value}",
                            built.name
                        ),
                        None => assert!(
                            entry["valueFrom"]["secretKeyRef"]["key"].as_str().is_some(),
                            "{}: {name} is not read from the Secret",
                            built.name
                        ),
                    }
                }
            }
        }
    }
}

#[test]
fn every_key_the_manifests_read_from_the_secret_is_in_the_example() {
    for variant in VARIANTS {
        let built = build(variant);
        let example = built.out.join("deploy/k8s/base/secret.example.yaml");
        let keys: Vec<String> = if example.exists() {
            load(&example)[0]["stringData"]
                .as_hash()
                .expect("stringData")
                .keys()
                .map(|k| text(k).to_owned())
                .collect()
        } else {
            Vec::new()
        };
        for dir in ["overlays/dev", "overlays/prod"] {
            for object in rendered(&k8s_dir(&built).join(dir)) {
                let Some(containers) = pod_spec(&object)["containers"].as_vec() else {
                    continue;
                };
                for entry in containers
                    .iter()
                    .flat_map(|c| c["env"].as_vec().cloned().unwrap_or_default())
                {
                    if let Some(key) = entry["valueFrom"]["secretKeyRef"]["key"].as_str() {
                        assert!(
                            keys.iter().any(|k| k == key),
                            "{} {dir}: {key} is read from the Secret but not in secret.example.yaml",
                            built.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_app_runs_hardened_as_its_images_user() {
    for variant in VARIANTS {
        let built = build(variant);
        let name = app_name(&built);
        let base = rendered(&k8s_dir(&built).join("base"));
        let workload = app_workload(&base, &name);
        let pod = pod_spec(workload);
        let uid = if variant.fixture == "cli-tool" {
            65532
        } else {
            1000
        };
        let what = built.name;
        assert_eq!(
            pod["securityContext"]["runAsNonRoot"].as_bool(),
            Some(true),
            "{what}"
        );
        assert_eq!(
            pod["securityContext"]["runAsUser"].as_i64(),
            Some(uid),
            "{what}"
        );
        assert_eq!(
            pod["securityContext"]["runAsGroup"].as_i64(),
            Some(uid),
            "{what}"
        );
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"].as_str(),
            Some("RuntimeDefault"),
            "{what}"
        );
        let app = container(workload);
        let security = &app["securityContext"];
        assert_eq!(
            security["readOnlyRootFilesystem"].as_bool(),
            Some(true),
            "{what}"
        );
        assert_eq!(
            security["allowPrivilegeEscalation"].as_bool(),
            Some(false),
            "{what}"
        );
        assert_eq!(
            security["capabilities"]["drop"][0].as_str(),
            Some("ALL"),
            "{what}"
        );
        assert_eq!(text(&app["volumeMounts"][0]["mountPath"]), "/tmp", "{what}");
        let volume = text(&app["volumeMounts"][0]["name"]);
        let volumes = pod["volumes"].as_vec().expect("volumes");
        assert!(
            volumes
                .iter()
                .any(|v| v["name"].as_str() == Some(volume) && v["emptyDir"].is_hash()),
            "{what}: /tmp is no emptyDir"
        );
        assert_eq!(pod["enableServiceLinks"].as_bool(), Some(false), "{what}");
    }
}

#[test]
fn web_services_drain_before_they_stop() {
    let built = build(&WEB);
    let base = rendered(&k8s_dir(&built).join("base"));
    let deployment = find(&base, "Deployment", "storefront-api");
    let app = container(deployment);
    let pause = app["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_i64()
        .expect("a preStop sleep, which needs no program in the image");
    let grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("grace");
    // The app drains for DRAIN_DELAY_MS, then waits for requests in flight for
    // SHUTDOWN_TIMEOUT_MS, after the pause.
    let drain = i64::from(
        specdeploy::passes::services::DRAIN_DELAY_MS
            + specdeploy::passes::services::SHUTDOWN_TIMEOUT_MS,
    ) / 1000;
    assert!(
        grace > pause + drain,
        "grace {grace}s, pause {pause}s, drain {drain}s"
    );
    let startup = &app["startupProbe"];
    let window = startup["periodSeconds"].as_i64().expect("period")
        * startup["failureThreshold"].as_i64().expect("threshold");
    assert!(window >= 30, "a startup window of {window}s");
    assert_eq!(text(&app["readinessProbe"]["httpGet"]["port"]), "http");
    assert_eq!(text(&app["ports"][0]["name"]), "http");
}

#[test]
fn pipelines_never_run_twice_at_once() {
    let scheduled = build(&SCHEDULED);
    let base = rendered(&k8s_dir(&scheduled).join("base"));
    let cronjob = find(&base, "CronJob", "orders-etl");
    assert_eq!(text(&cronjob["spec"]["schedule"]), "0 3 * * *");
    assert_eq!(text(&cronjob["spec"]["concurrencyPolicy"]), "Forbid");
    let job = &cronjob["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["backoffLimit"].as_i64(), Some(2));
    assert_eq!(job["parallelism"].as_i64(), Some(1));
    assert_eq!(text(&job["podReplacementPolicy"]), "Failed");
    assert_eq!(text(&pod_spec(cronjob)["restartPolicy"]), "Never");

    let once = build(&PIPELINE);
    let base = rendered(&k8s_dir(&once).join("base"));
    let job = find(&base, "Job", "orders-etl");
    assert_eq!(job["spec"]["backoffLimit"].as_i64(), Some(2));
    assert_eq!(job["spec"]["parallelism"].as_i64(), Some(1));
    assert!(
        job["spec"]["suspend"].is_badvalue(),
        "a pipeline's Job runs when applied"
    );

    let cli = build(&CLI);
    let base = rendered(&k8s_dir(&cli).join("base"));
    let job = find(&base, "Job", "csv2json");
    assert_eq!(
        job["spec"]["suspend"].as_bool(),
        Some(true),
        "a CLI tool's Job waits"
    );
    assert!(
        container(job)["lifecycle"].is_badvalue(),
        "distroless has nothing to run"
    );
}

/// Snapshots the Kubernetes files of `variant` in `fixtures/<fixture>/<folder>/`.
fn snapshot(variant: &Variant, folder: &str) {
    let built = build_with(variant, "k8s");
    let root = k8s_dir(&built);
    let shown = |text: &str| {
        text.replace(&built.out.display().to_string(), "<OUT>")
            .replace(&built.app.display().to_string(), "<APP>")
    };
    let written: Vec<String> = files_under(&root)
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .expect("under")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(fixtures().join(variant.fixture).join(folder));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            "diagnostics",
            format!(
                "exit code: {}\n--- stderr\n{}",
                built.run.code.unwrap_or(-1),
                shown(&built.run.stderr)
            )
        );
        insta::assert_snapshot!("files", written.join("\n"));
        for file in &written {
            let contents = std::fs::read_to_string(root.join(file)).expect("text");
            insta::assert_snapshot!(file.replace('/', "__"), contents);
        }
    });
}

#[test]
fn web_service_manifests() {
    snapshot(&WEB, "expected-k8s");
}

#[test]
fn data_pipeline_manifests() {
    snapshot(&PIPELINE, "expected-k8s");
}

#[test]
fn scheduled_pipeline_manifests() {
    snapshot(&SCHEDULED, "expected-k8s-scheduled");
}
