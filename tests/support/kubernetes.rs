//! Building an app for Kubernetes and reading what was written: the manifests as YAML
//! (`yaml-rust2`), the overlays as `kubectl kustomize` renders them, the Compose project of the
//! same build as Compose normalises it, and the values Kubernetes gives a container's
//! variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use yaml_rust2::{Yaml, YamlLoader};

use super::checks::{compose_config_json, kubectl_kustomize};
use super::files::copy_dir;
use super::run::Run;
use super::specdeploy::Specdeploy;

/// One way to build an app: a fixture, a change to a copy of it, and `build`'s flags.
pub struct Variant {
    /// Names the variant in failure messages.
    pub name: &'static str,
    /// The folder under `fixtures/` whose `app/` is built.
    pub fixture: &'static str,
    /// Files to add to the copy of the app, relative to it.
    pub add: &'static [(&'static str, &'static str)],
    /// Flags after `build APP --out OUT --target TARGET`.
    pub args: &'static [&'static str],
}

/// A fixture as it is, with no flags.
pub const fn plain(fixture: &'static str) -> Variant {
    Variant {
        name: fixture,
        fixture,
        add: &[],
        args: &[],
    }
}

/// A schedule turns the corpus pipeline's Job into a `CronJob`.
pub const SCHEDULE: (&str, &str) = (
    "specs/schedule.spec",
    "app orders-etl {\n  schedule \"0 3 * * *\"\n}\n",
);

/// Values with `$(`, `$$` and a lone `$`, which Kubernetes must not expand and Compose must
/// not interpolate.
pub const DOLLARS: (&str, &str) = (
    "specs/dollars.spec",
    "config POSTGRES_USER default \"app$(HOME)$$x$\"\nconfig GREETING \"Shown to users\" default \"costs $(PRICE) or $$5\"\n",
);

/// More backing services for the web service: with the corpus's Redis and PostgreSQL, the
/// pipeline's Kafka and the `.spec` fixture's NATS, every technology is built.
pub const MORE_NEEDS: (&str, &str) = (
    "specs/more.spec",
    "needs queue rabbitmq because A-004\nneeds object storage s3 because A-004\n",
);

/// The corpus web service.
pub const WEB: Variant = plain("web-service");
/// The corpus CLI tool.
pub const CLI: Variant = plain("cli-tool");
/// The corpus data pipeline, which has no schedule.
pub const PIPELINE: Variant = plain("data-pipeline");

/// The corpus data pipeline with a schedule.
pub const SCHEDULED: Variant = Variant {
    name: "scheduled pipeline",
    fixture: "data-pipeline",
    add: &[SCHEDULE],
    args: &[],
};

/// The web service with `--replicas 1`.
pub const ONE_REPLICA: Variant = Variant {
    name: "one replica",
    fixture: "web-service",
    add: &[],
    args: &["--replicas", "1"],
};

/// The web service with three replicas and a registry.
pub const REGISTRY: Variant = Variant {
    name: "registry and replicas",
    fixture: "web-service",
    add: &[],
    args: &["--replicas", "3", "--image-registry", "ghcr.io/acme/shop"],
};

/// The web service with [`DOLLARS`].
pub const WITH_DOLLARS: Variant = Variant {
    name: "dollars",
    fixture: "web-service",
    add: &[DOLLARS],
    args: &[],
};

/// The web service with RabbitMQ and S3-compatible storage too.
pub const MORE_BACKING: Variant = Variant {
    name: "more backing services",
    fixture: "web-service",
    add: &[MORE_NEEDS],
    args: &[],
};

/// Every buildable fixture, the scheduled pipeline, the flags, values full of `$`, and every
/// backing technology.
pub const VARIANTS: &[Variant] = &[
    WEB,
    CLI,
    PIPELINE,
    plain("no-lockfile"),
    plain("spec-language"),
    SCHEDULED,
    ONE_REPLICA,
    REGISTRY,
    WITH_DOLLARS,
    MORE_BACKING,
];

/// A build: where the app and its artifacts are, and what `build` printed.
pub struct Built {
    /// The variant's name.
    pub name: &'static str,
    /// Holds the folders; they go when the build does.
    _work: tempfile::TempDir,
    /// The copy of the app.
    pub app: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// What `build` did.
    pub run: Run,
}

/// The `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Builds a copy of `variant`'s app with `--target target` and its flags; panics unless
/// `build` succeeds.
pub fn build_with(variant: &Variant, target: &str) -> Built {
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

/// Builds `variant` with `--target all`.
pub fn build(variant: &Variant) -> Built {
    build_with(variant, "all")
}

pub use super::files::files_under;

/// `deploy/k8s` of a build.
pub fn k8s_dir(built: &Built) -> PathBuf {
    built.out.join("deploy/k8s")
}

/// Every manifest written, which is every file but the kustomizations.
pub fn manifests(built: &Built) -> Vec<PathBuf> {
    files_under(&k8s_dir(built))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .collect()
}

/// The YAML documents of `path`.
pub fn load(path: &Path) -> Vec<Yaml> {
    let text = std::fs::read_to_string(path).expect("manifest");
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The objects `kubectl kustomize` renders for the kustomization in `dir`.
pub fn rendered(dir: &Path) -> Vec<Yaml> {
    let run = kubectl_kustomize(dir);
    run.assert_success();
    YamlLoader::load_from_str(&run.stdout).expect("kustomize prints YAML")
}

/// The string `y` holds; panics when it holds none.
pub fn text(y: &Yaml) -> &str {
    y.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {y:?}"))
}

/// The object of `kind` named `name`; panics when there is none.
pub fn find<'a>(objects: &'a [Yaml], kind: &str, name: &str) -> &'a Yaml {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name} among the objects"))
}

/// The pod template of a workload of any kind.
pub fn pod_spec(workload: &Yaml) -> &Yaml {
    match text(&workload["kind"]) {
        "CronJob" => &workload["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &workload["spec"]["template"]["spec"],
    }
}

/// The first container of a workload.
pub fn container(workload: &Yaml) -> &Yaml {
    &pod_spec(workload)["containers"][0]
}

/// The app's workload among `objects`: the one object that runs the app's container.
pub fn app_workload<'a>(objects: &'a [Yaml], app: &str) -> &'a Yaml {
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
pub fn compose(built: &Built) -> Json {
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
pub fn resolve(env: &Yaml, config: &Yaml) -> BTreeMap<String, String> {
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
pub fn expand(input: &str, defined: &[(String, String)]) -> String {
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

/// What `explain --format json` says about the built app.
pub fn explained(built: &Built) -> Json {
    let run = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(&built.app)
        .run();
    run.assert_success();
    serde_json::from_str(&run.stdout).expect("explain prints JSON")
}

/// The app's name, which is also its Compose service's.
pub fn app_name(built: &Built) -> String {
    explained(built)["app"]["name"]
        .as_str()
        .expect("app name")
        .to_owned()
}
