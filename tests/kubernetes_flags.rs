//! `build`'s Kubernetes flags and targets: `--target` picks the deployments (Compose stays
//! the default, unchanged), `--replicas` and `--image-registry` set what the specs cannot,
//! and what was defaulted or cannot be used is a diagnostic.

mod support;

use std::path::{Path, PathBuf};

use support::kubernetes::{
    ONE_REPLICA, REGISTRY, Variant, WEB, build, build_with, compose, container, files_under, find,
    fixtures, k8s_dir, pod_spec, rendered, text,
};
use support::{Specdeploy, copy_dir};

#[test]
fn replicas_and_registry_come_from_the_flags() {
    let defaulted = build(&WEB);
    assert!(
        defaulted.run.stderr.contains("[SD1001]"),
        "{}",
        defaulted.run
    );
    assert!(
        defaulted.run.stderr.contains("[SD1002]"),
        "{}",
        defaulted.run
    );
    let base = rendered(&k8s_dir(&defaulted).join("base"));
    assert_eq!(
        find(&base, "Deployment", "storefront-api")["spec"]["replicas"].as_i64(),
        Some(2)
    );
    find(&base, "PodDisruptionBudget", "storefront-api");

    let one = build(&ONE_REPLICA);
    assert!(!one.run.stderr.contains("[SD1001]"), "{}", one.run);
    let base = rendered(&k8s_dir(&one).join("base"));
    let deployment = find(&base, "Deployment", "storefront-api");
    assert_eq!(deployment["spec"]["replicas"].as_i64(), Some(1));
    assert!(pod_spec(deployment)["topologySpreadConstraints"].is_badvalue());
    assert!(
        !base
            .iter()
            .any(|o| o["kind"].as_str() == Some("PodDisruptionBudget")),
        "one replica gets no PodDisruptionBudget"
    );

    let three = build(&REGISTRY);
    assert!(!three.run.stderr.contains("[SD1001]"), "{}", three.run);
    assert!(!three.run.stderr.contains("[SD1002]"), "{}", three.run);
    let base = rendered(&k8s_dir(&three).join("base"));
    let deployment = find(&base, "Deployment", "storefront-api");
    assert_eq!(deployment["spec"]["replicas"].as_i64(), Some(3));
    let spread = &pod_spec(deployment)["topologySpreadConstraints"][0];
    assert_eq!(text(&spread["topologyKey"]), "kubernetes.io/hostname");
    let image = "ghcr.io/acme/shop/storefront-api:0.3.0";
    assert_eq!(text(&container(deployment)["image"]), image);
    assert_eq!(
        compose(&three)["services"]["storefront-api"]["image"],
        image
    );
}

#[test]
fn flag_values_kubernetes_cannot_use_are_usage_errors() {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    copy_dir(&fixtures().join("web-service/app"), &app);
    let out = work.path().join("out");
    for (flags, says) in [
        (["--image-registry", "ghcr.io/Acme:v1"], "is not a registry"),
        (["--image-registry", "ghcr.io//acme"], "is not a registry"),
        (["--replicas", "0"], "--replicas"),
        (["--target", "swarm"], "--target"),
    ] {
        let run = Specdeploy::new()
            .arg("build")
            .arg(&app)
            .arg("--out")
            .arg(&out)
            .args(flags)
            .run();
        run.assert_code(2);
        assert!(run.stderr.contains(says), "{run}");
        assert!(!out.exists(), "{flags:?} wrote files");
    }
}

#[test]
fn replicas_where_they_mean_nothing_are_reported() {
    let compose_only = build_with(
        &Variant {
            name: "compose with replicas",
            fixture: "web-service",
            add: &[],
            args: &["--replicas", "3"],
        },
        "compose",
    );
    assert!(
        compose_only.run.stderr.contains("[SD1003]"),
        "{}",
        compose_only.run
    );
    let pipeline = build_with(
        &Variant {
            name: "pipeline with replicas",
            fixture: "data-pipeline",
            add: &[],
            args: &["--replicas", "3"],
        },
        "k8s",
    );
    assert!(pipeline.run.stderr.contains("[SD1003]"), "{}", pipeline.run);
}

#[test]
fn the_default_target_is_compose_and_writes_no_manifests() {
    let default = build_with(&WEB, "compose");
    // No --target at all: the flag's default.
    let plain = support::build_fixture("web-service", |_| {});
    let out = plain.out;
    let listed = |root: &Path| -> Vec<(PathBuf, String)> {
        files_under(root)
            .into_iter()
            .map(|p| {
                let contents = std::fs::read_to_string(&p).expect("text");
                (p.strip_prefix(root).expect("under").to_path_buf(), contents)
            })
            .collect()
    };
    assert_eq!(listed(&out), listed(&default.out));
    assert!(!out.join("deploy").exists());
}

#[test]
fn the_kubernetes_target_leaves_compose_out() {
    let built = build_with(&WEB, "k8s");
    for absent in ["compose.yaml", "compose.dev.yaml", ".env.example"] {
        assert!(!built.out.join(absent).exists(), "{absent} was written");
    }
    assert!(built.app.join(".dockerignore").exists());
    for present in ["Dockerfile", "deploy/k8s/base/kustomization.yaml"] {
        assert!(built.out.join(present).exists(), "{present} is missing");
    }
    assert!(built.app.join("src/api/health.ts").exists());

    // A second build finds its own files and leaves them as they are.
    let again = Specdeploy::new()
        .arg("build")
        .arg(&built.app)
        .arg("--out")
        .arg(&built.out)
        .args(["--target", "k8s"])
        .run();
    again.assert_success();
    assert!(!again.stdout.contains("created"), "{again}");
}

#[test]
fn a_library_gets_no_manifests_and_says_so() {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    copy_dir(&fixtures().join("web-service/app"), &app);
    let manifest = app.join("specs/assertions.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace("\"web-service\"", "\"library\"")).expect("write");
    let out = work.path().join("out");
    let run = Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .args(["--target", "k8s"])
        .run();
    run.assert_success();
    assert!(run.stderr.contains("[SD0404]"), "{run}");
    assert!(!out.join("deploy").exists());
}

#[test]
fn a_cronjob_name_kubernetes_refuses_is_an_error() {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    copy_dir(&fixtures().join("data-pipeline/app"), &app);
    let long = "nightly-order-ledger-reconciliation-and-export-pipeline";
    std::fs::write(
        app.join("specs/schedule.spec"),
        format!("app {long} {{\n  schedule \"0 3 * * *\"\n}}\n"),
    )
    .expect("write spec");
    let out = work.path().join("out");
    let run = Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .args(["--target", "all"])
        .run();
    run.assert_code(1);
    assert!(run.stderr.contains("[SD1004]"), "{run}");
    assert!(!out.exists(), "nothing is written");

    // Compose alone has no such limit.
    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .run()
        .assert_success();
}
