//! `build --target k8s`: the Kustomize layout in `deploy/k8s/`, checked by the real tools
//! that read it (kubernetes-validate in strict mode, `kubectl kustomize`), compared with the
//! Compose project of the same specs through real parsers (Compose's own `config`, YAML by
//! `yaml-rust2`), and snapshotted for the corpus web service and data pipeline.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use support::{Run, Specdeploy, compose_config_json, copy_dir, kubectl_kustomize};
use yaml_rust2::{Yaml, YamlLoader};

/// One way to build an app: a fixture, a change to a copy of it, and `build`'s flags.
struct Variant {
    /// Names the variant in failure messages.
    name: &'static str,
    fixture: &'static str,
    /// Files to add to the copy of the app, relative to it.
    add: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
}

const fn plain(fixture: &'static str) -> Variant {
    Variant {
        name: fixture,
        fixture,
        add: &[],
        args: &[],
    }
}

/// A schedule turns the corpus pipeline's Job into a `CronJob`.
const SCHEDULE: (&str, &str) = (
    "specs/schedule.spec",
    "app orders-etl {\n  schedule \"0 3 * * *\"\n}\n",
);

/// Values with `$(`, `$$` and a lone `$`, which Kubernetes must not expand and Compose must
/// not interpolate.
const DOLLARS: (&str, &str) = (
    "specs/dollars.spec",
    "config POSTGRES_USER default \"app$(HOME)$$x$\"\nconfig GREETING \"Shown to users\" default \"costs $(PRICE) or $$5\"\n",
);

const WEB: Variant = plain("web-service");
const CLI: Variant = plain("cli-tool");
const PIPELINE: Variant = plain("data-pipeline");

const SCHEDULED: Variant = Variant {
    name: "scheduled pipeline",
    fixture: "data-pipeline",
    add: &[SCHEDULE],
    args: &[],
};

const ONE_REPLICA: Variant = Variant {
    name: "one replica",
    fixture: "web-service",
    add: &[],
    args: &["--replicas", "1"],
};

const REGISTRY: Variant = Variant {
    name: "registry and replicas",
    fixture: "web-service",
    add: &[],
    args: &["--replicas", "3", "--image-registry", "ghcr.io/acme/shop"],
};

const WITH_DOLLARS: Variant = Variant {
    name: "dollars",
    fixture: "web-service",
    add: &[DOLLARS],
    args: &[],
};

/// Every buildable fixture, the scheduled pipeline, the flags, and values full of `$`.
const VARIANTS: &[Variant] = &[
    WEB,
    CLI,
    PIPELINE,
    plain("no-lockfile"),
    plain("spec-language"),
    SCHEDULED,
    ONE_REPLICA,
    REGISTRY,
    WITH_DOLLARS,
];

struct Built {
    name: &'static str,
    _work: tempfile::TempDir,
    app: PathBuf,
    out: PathBuf,
    run: Run,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn build_with(variant: &Variant, target: &str) -> Built {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    copy_dir(&fixtures().join(variant.fixture).join("app"), &app);
    for (path, text) in variant.add {
        std::fs::write(app.join(path), text).expect("write spec");
    }
    let out = work.path().join("out");
    let run = Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .args(["--target", target])
        .args(variant.args)
        .env_remove("SOURCE_DATE_EPOCH")
        .run();
    run.assert_success();
    Built {
        name: variant.name,
        _work: work,
        app,
        out,
        run,
    }
}

fn build(variant: &Variant) -> Built {
    build_with(variant, "all")
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn k8s_dir(built: &Built) -> PathBuf {
    built.out.join("deploy/k8s")
}

/// Every manifest written, which is every file but the kustomizations.
fn manifests(built: &Built) -> Vec<PathBuf> {
    files_under(&k8s_dir(built))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .collect()
}

fn load(path: &Path) -> Vec<Yaml> {
    let text = std::fs::read_to_string(path).expect("manifest");
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The objects `kubectl kustomize` renders for the kustomization in `dir`.
fn rendered(dir: &Path) -> Vec<Yaml> {
    let run = kubectl_kustomize(dir);
    run.assert_success();
    YamlLoader::load_from_str(&run.stdout).expect("kustomize prints YAML")
}

fn text(y: &Yaml) -> &str {
    y.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {y:?}"))
}

fn find<'a>(objects: &'a [Yaml], kind: &str, name: &str) -> &'a Yaml {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name} among the objects"))
}

/// The pod template of a workload of any kind.
fn pod_spec(workload: &Yaml) -> &Yaml {
    match text(&workload["kind"]) {
        "CronJob" => &workload["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &workload["spec"]["template"]["spec"],
    }
}

fn container(workload: &Yaml) -> &Yaml {
    &pod_spec(workload)["containers"][0]
}

/// The app's workload among `objects`: the one object that runs the app's container.
fn app_workload<'a>(objects: &'a [Yaml], app: &str) -> &'a Yaml {
    objects
        .iter()
        .find(|o| {
            matches!(o["kind"].as_str(), Some("Deployment" | "CronJob" | "Job"))
                && o["metadata"]["name"].as_str() == Some(app)
        })
        .unwrap_or_else(|| panic!("no workload named {app}"))
}

/// Compose's normalised project, with every empty value of `.env.example` set to a value
/// that names its variable (`v-JWT_SECRET`).
fn compose(built: &Built) -> Json {
    let template = std::fs::read_to_string(built.out.join(".env.example")).expect("env template");
    let filled: String = template
        .lines()
        .map(|l| match l.strip_suffix('=') {
            Some(name) if !l.starts_with('#') => format!("{l}v-{name}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(built.out.join(".env"), filled).expect("write .env");
    compose_config_json(&built.out, &["compose.yaml"], Some(Path::new(".env")))
}

/// The value Kubernetes gives each variable of a container's `env`, with the `ConfigMap`
/// `config` and a Secret that holds `v-KEY` under each key, expanding `$(NAME)` from the
/// variables listed before as the kubelet does.
fn resolve(env: &Yaml, config: &Yaml) -> BTreeMap<String, String> {
    let mut values: Vec<(String, String)> = Vec::new();
    for entry in env.as_vec().map_or(&[][..], Vec::as_slice) {
        let name = text(&entry["name"]).to_owned();
        let value = if let Some(raw) = entry["value"].as_str() {
            expand(raw, &values)
        } else if let Some(key) = entry["valueFrom"]["configMapKeyRef"]["key"].as_str() {
            text(&config["data"][key]).to_owned()
        } else {
            let key = text(&entry["valueFrom"]["secretKeyRef"]["key"]);
            format!("v-{key}")
        };
        values.push((name, value));
    }
    values.into_iter().collect()
}

/// Kubernetes' `$(NAME)` expansion (its `third_party/forked/golang/expansion`).
fn expand(input: &str, defined: &[(String, String)]) -> String {
    let bytes = input.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'$' => {
                    out.push('$');
                    i += 2;
                }
                b'(' => {
                    if let Some(end) = input[i + 2..].find(')') {
                        let name = &input[i + 2..i + 2 + end];
                        match defined.iter().rev().find(|(n, _)| n == name) {
                            Some((_, value)) => out.push_str(value),
                            None => out.push_str(&input[i..i + 3 + end]),
                        }
                        i += end + 3;
                    } else {
                        out.push_str("$(");
                        i += 2;
                    }
                }
                _ => {
                    out.push('$');
                    i += 1;
                }
            }
        } else {
            let c = input[i..].chars().next().expect("a character");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The app's name and Compose service as `explain` reports them.
fn explained(built: &Built) -> Json {
    let run = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&built.app)
        .run();
    run.assert_success();
    serde_json::from_str(&run.stdout).expect("explain prints JSON")
}

fn app_name(built: &Built) -> String {
    explained(built)["app"]["name"]
        .as_str()
        .expect("app name")
        .to_owned()
}

/// Thousandths of a decimal number of cores (`0.25` is 250).
fn thousandths(decimal: &str) -> u64 {
    let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().expect("cores")
    };
    let fraction: u64 = format!("{fraction:0<3}")
        .parse()
        .expect("a fraction of a core");
    whole * 1000 + fraction
}

/// Millicores of a Kubernetes CPU quantity (`250m`, `1`).
fn millicores(quantity: &str) -> u64 {
    quantity.strip_suffix('m').map_or_else(
        || thousandths(quantity),
        |milli| milli.parse().expect("millicores"),
    )
}

/// Bytes of a Kubernetes memory quantity.
fn bytes(quantity: &str) -> u64 {
    let units = [
        ("Ki", 1u64 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
    ];
    for (suffix, factor) in units {
        if let Some(number) = quantity.strip_suffix(suffix) {
            return number.parse::<u64>().expect("a number") * factor;
        }
    }
    quantity.parse().expect("bytes")
}

fn compose_millicores(cpus: &Json) -> u64 {
    thousandths(&cpus.to_string())
}

fn compose_bytes(memory: &Json) -> u64 {
    memory.as_str().map_or_else(
        || memory.as_u64().expect("memory"),
        |m| m.parse().expect("bytes"),
    )
}

/// Compose's and Kubernetes' resources of one service are the same amounts.
fn assert_same_resources(what: &str, compose: &Json, k8s: &Yaml) {
    let compose = &compose["deploy"]["resources"];
    let k8s = &k8s["resources"];
    for (compose_side, k8s_side) in [("limits", "limits"), ("reservations", "requests")] {
        assert_eq!(
            millicores(text(&k8s[k8s_side]["cpu"])),
            compose_millicores(&compose[compose_side]["cpus"]),
            "{what}: cpu {k8s_side}"
        );
        assert_eq!(
            bytes(text(&k8s[k8s_side]["memory"])),
            compose_bytes(&compose[compose_side]["memory"]),
            "{what}: memory {k8s_side}"
        );
    }
}

fn env_names(container: &Yaml) -> Vec<String> {
    let mut names: Vec<String> = container["env"]
        .as_vec()
        .map(|env| env.iter().map(|e| text(&e["name"]).to_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn container_ports(container: &Yaml) -> Vec<i64> {
    container["ports"]
        .as_vec()
        .map(|ports| {
            ports
                .iter()
                .map(|p| p["containerPort"].as_i64().expect("port"))
                .collect()
        })
        .unwrap_or_default()
}

/// The path Compose's probe fetches: the `/...` between quotes in Bun's script.
fn compose_probe_path(service: &Json) -> String {
    let script = service["healthcheck"]["test"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(Json::as_str)
        .expect("a probe script");
    let start = script.find("+'/").expect("a path in the script") + 2;
    let end = script[start..].find('\'').expect("the path's end") + start;
    script[start..end].to_owned()
}

#[test]
fn every_manifest_validates_in_strict_mode() {
    for variant in VARIANTS {
        let built = build(variant);
        let files = manifests(&built);
        let documents: usize = files.iter().map(|f| load(f).len()).sum();
        let run = support::kubernetes_validate(&files);
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
            let validated = support::kubernetes_validate(&[&file]);
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
fn compose_and_kubernetes_agree_on_ports_variables_probes_limits_and_images() {
    for variant in VARIANTS {
        let built = build(variant);
        let project = compose(&built);
        let name = app_name(&built);
        let dev = rendered(&k8s_dir(&built).join("overlays/dev"));
        let prod = rendered(&k8s_dir(&built).join("overlays/prod"));
        let what = built.name;

        for (overlay, objects) in [("dev", &dev), ("prod", &prod)] {
            let compose_app = &project["services"][&name];
            let workload = app_workload(objects, &name);
            let app = container(workload);

            assert_eq!(
                text(&app["image"]),
                compose_app["image"].as_str().expect("image"),
                "{what}: the app's image"
            );
            let compose_names: Vec<String> = compose_app["environment"]
                .as_object()
                .expect("environment")
                .keys()
                .cloned()
                .collect();
            let k8s_names = env_names(app);
            if overlay == "prod" {
                assert_eq!(k8s_names, compose_names, "{what}: the app's variables");
            } else {
                // The dev overlay adds the settings its connection URLs are built from.
                for n in &compose_names {
                    assert!(k8s_names.contains(n), "{what}: dev lacks {n}");
                }
            }
            assert_same_resources(what, compose_app, app);

            let compose_ports: Vec<i64> = compose_app["ports"]
                .as_array()
                .map(|ports| {
                    ports
                        .iter()
                        .map(|p| p["target"].as_i64().expect("target"))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(
                container_ports(app),
                compose_ports,
                "{what}: the app's ports"
            );

            if compose_app["healthcheck"]["test"].is_array() {
                let service = find(objects, "Service", &name);
                let published: Vec<i64> = compose_app["ports"]
                    .as_array()
                    .expect("ports")
                    .iter()
                    .map(|p| {
                        p["published"]
                            .as_str()
                            .expect("published")
                            .parse()
                            .expect("port")
                    })
                    .collect();
                let service_ports: Vec<i64> = service["spec"]["ports"]
                    .as_vec()
                    .expect("ports")
                    .iter()
                    .map(|p| p["port"].as_i64().expect("port"))
                    .collect();
                assert_eq!(service_ports, published, "{what}: the Service's ports");
                let live = compose_probe_path(compose_app);
                assert_eq!(
                    text(&app["livenessProbe"]["httpGet"]["path"]),
                    live,
                    "{what}"
                );
                assert_eq!(
                    text(&app["startupProbe"]["httpGet"]["path"]),
                    live,
                    "{what}"
                );
                assert_ne!(
                    text(&app["readinessProbe"]["httpGet"]["path"]),
                    live,
                    "{what}: liveness and readiness share a path"
                );
                assert_eq!(
                    app["livenessProbe"]["periodSeconds"].as_i64(),
                    compose_app["healthcheck"]["interval"]
                        .as_str()
                        .and_then(|s| s.strip_suffix('s'))
                        .and_then(|s| s.parse().ok()),
                    "{what}: liveness runs as often as Compose's probe"
                );
            } else {
                assert!(
                    app["livenessProbe"].is_badvalue(),
                    "{what}: a probe on a job"
                );
            }
        }

        // The dev overlay's backing services are Compose's.
        for (service_name, compose_service) in project["services"].as_object().expect("services") {
            if *service_name == name {
                continue;
            }
            let statefulset = find(&dev, "StatefulSet", service_name);
            let backing = container(statefulset);
            assert_eq!(
                text(&backing["image"]),
                compose_service["image"].as_str().expect("image"),
                "{what}: the image of {service_name}"
            );
            assert_same_resources(what, compose_service, backing);
            let service = find(&dev, "Service", service_name);
            let port = service["spec"]["ports"][0]["port"].as_i64();
            assert_eq!(port, container_ports(backing).first().copied(), "{what}");
            let compose_names: Vec<&String> = compose_service["environment"]
                .as_object()
                .map(|e| e.keys().collect())
                .unwrap_or_default();
            let names = env_names(backing);
            for n in compose_names {
                assert!(names.contains(n), "{what}: {service_name} lacks {n}");
            }
        }
    }
}

#[test]
fn the_dev_overlay_builds_the_values_compose_builds() {
    for variant in VARIANTS {
        let built = build(variant);
        let project = compose(&built);
        let name = app_name(&built);
        let dev = rendered(&k8s_dir(&built).join("overlays/dev"));
        let config = find(&dev, "ConfigMap", &format!("{name}-config"));
        for (service_name, compose_service) in project["services"].as_object().expect("services") {
            let workload = if *service_name == name {
                app_workload(&dev, &name)
            } else {
                find(&dev, "StatefulSet", service_name)
            };
            let values = resolve(&container(workload)["env"], config);
            let Some(expected) = compose_service["environment"].as_object() else {
                continue;
            };
            for (variable, value) in expected {
                // `config` prints a `$` of a value as `$$`, so that its output reads back the
                // same.
                let value = value.as_str().map(|v| v.replace("$$", "$"));
                assert_eq!(
                    values.get(variable).map(String::as_str),
                    value.as_deref(),
                    "{}: {service_name}'s {variable}",
                    built.name
                );
            }
        }
    }
}

#[test]
fn values_with_dollars_reach_the_containers_as_written() {
    let built = build(&WITH_DOLLARS);
    let base = rendered(&k8s_dir(&built).join("base"));
    let config = find(&base, "ConfigMap", "storefront-api-config");
    assert_eq!(text(&config["data"]["GREETING"]), "costs $(PRICE) or $$5");
    let dev = rendered(&k8s_dir(&built).join("overlays/dev"));
    let postgres = resolve(
        &container(find(&dev, "StatefulSet", "postgres"))["env"],
        config,
    );
    assert_eq!(postgres["POSTGRES_USER"], "app$(HOME)$$x$");
    let app = resolve(
        &container(app_workload(&dev, "storefront-api"))["env"],
        config,
    );
    assert_eq!(
        app["DATABASE_URL"],
        "postgres://app$(HOME)$$x$:v-POSTGRES_PASSWORD@postgres:5432/storefront_api"
    );
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
fn the_registry_must_be_a_registry() {
    let work = tempfile::tempdir().expect("temp dir");
    let run = Specdeploy::new()
        .arg("build")
        .arg(fixtures().join("web-service/app"))
        .arg("--out")
        .arg(work.path())
        .args(["--target", "k8s", "--image-registry", "ghcr.io/Acme:v1"])
        .run();
    run.assert_code(2);
    assert!(run.stderr.contains("is not a registry"), "{run}");
    assert!(
        std::fs::read_dir(work.path())
            .expect("out")
            .next()
            .is_none()
    );
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
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path().join("app");
    copy_dir(&fixtures().join("web-service/app"), &app);
    let out = work.path().join("out");
    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .run()
        .assert_success();
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
    for present in [
        "Dockerfile",
        ".dockerignore",
        "deploy/k8s/base/kustomization.yaml",
    ] {
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
