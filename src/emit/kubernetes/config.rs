//! `base/configmap.yaml` and `base/secret.example.yaml`: the settings specdeploy knows, and
//! the keys of the Secret that the operator fills in, each with what it is for and the
//! assertions that need it. No secret value is ever written.

use super::env::{self, Source};
use super::yaml::Yaml;
use super::{BASE_DIR, Files, Names, Subject, object};
use crate::ir::{Ir, Service, ServiceRole, ValuePart, Variable};

/// One key of the `ConfigMap`.
#[derive(Debug)]
pub struct ConfigEntry {
    /// The variable.
    pub key: String,
    /// Its value.
    pub value: String,
    /// What it is for.
    pub comment: String,
}

fn describe(variable: &Variable, more: &str) -> String {
    format!("{}{more}{}", variable.description, variable.needed_by())
}

/// The `ConfigMap`'s data: every setting of the app that has a value specdeploy knows.
#[must_use]
pub fn config_data(ir: &Ir, service: &Service) -> Vec<ConfigEntry> {
    env::app_variables(ir, service)
        .filter_map(|v| match env::source(v, ir) {
            Source::Config(value) => Some(ConfigEntry {
                key: v.name.clone(),
                value,
                comment: describe(v, ""),
            }),
            _ => None,
        })
        .collect()
}

/// A key of the example Secret.
#[derive(Debug)]
pub struct SecretEntry {
    /// The key.
    pub key: String,
    /// What to put there.
    pub comment: String,
}

/// The keys of the example Secret, by the overlays that read them.
#[derive(Debug)]
pub struct SecretGroup {
    /// Which overlays read the keys.
    pub title: &'static str,
    /// The keys.
    pub entries: Vec<SecretEntry>,
}

/// How Compose writes a built value, for the comment that shows its shape.
fn shape(parts: &[ValuePart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            ValuePart::Text(t) => t.clone(),
            ValuePart::Var(v) => format!("${{{v}}}"),
        })
        .collect()
}

/// The keys the manifests read from the Secret, in three groups: every overlay, `prod`'s
/// connection URLs, and the in-cluster services' settings of `dev`.
#[must_use]
pub fn secret_groups(ir: &Ir, service: &Service, names: &Names) -> Vec<SecretGroup> {
    let mut every = Vec::new();
    let mut prod = Vec::new();
    for v in env::app_variables(ir, service) {
        match (env::source(v, ir), &v.compose_value) {
            (Source::Secret, _) => {
                let more = if v.secret {
                    ""
                } else {
                    " Not secret, but required and without a default."
                };
                every.push(SecretEntry {
                    key: v.name.clone(),
                    comment: describe(v, more),
                });
            }
            (Source::Connection, Some(parts)) => prod.push(SecretEntry {
                key: v.name.clone(),
                comment: describe(
                    v,
                    &format!(" Compose's value, for the shape: {}.", shape(parts)),
                ),
            }),
            _ => {}
        }
    }

    // The dev overlay's containers read from the Secret whatever their built values refer to
    // that is not there already.
    let mut dev_env = env::dev(ir, service, names);
    for backing in ir.services.iter().filter(|s| s.role != ServiceRole::App) {
        dev_env.extend(env::settings(ir, backing, names));
    }
    // Sets of keys, not searches of lists: an app can have thousands of variables.
    let mut held: rustc_hash::FxHashSet<&str> =
        every.iter().chain(&prod).map(|e| e.key.as_str()).collect();
    let mut dev_keys: Vec<&str> = Vec::new();
    for key in dev_env
        .iter()
        .filter_map(|e| e.secret.as_ref().map(|r| r.key.as_str()))
    {
        if held.insert(key) {
            dev_keys.push(key);
        }
    }
    let dev: Vec<SecretEntry> = dev_keys
        .into_iter()
        .filter_map(|key| ir.variable(key))
        .map(|v| SecretEntry {
            key: v.name.clone(),
            comment: describe(v, ""),
        })
        .collect();

    [
        ("read in every overlay", every),
        (
            "overlays/prod: connection URLs of the managed services",
            prod,
        ),
        (
            "overlays/dev: settings of the in-cluster services, which the URLs are built from",
            dev,
        ),
    ]
    .into_iter()
    .filter(|(_, entries)| !entries.is_empty())
    .map(|(title, entries)| SecretGroup { title, entries })
    .collect()
}

/// An example of a URL the dev overlay builds, for the example Secret's header: one that
/// refers to other variables when there is one.
#[must_use]
pub fn dev_example(ir: &Ir, service: &Service, names: &Names) -> Option<String> {
    let built: Vec<String> = env::dev(ir, service, names)
        .into_iter()
        .filter(|e| {
            ir.variable(&e.name)
                .is_some_and(|v| env::source(v, ir) == Source::Connection)
        })
        .filter_map(|e| e.value.map(|value| format!("{}={value}", e.name)))
        .collect();
    built
        .iter()
        .find(|b| b.contains("$("))
        .or(built.first())
        .cloned()
}

/// Writes the `ConfigMap` and, when any key is read from the Secret, the example Secret;
/// returns whether it did.
pub fn emit(subject: &Subject<'_>, files: &mut Files<'_>) -> bool {
    let Subject {
        ir,
        service,
        names,
        labels,
        ..
    } = subject;
    let app = &ir.app.name;
    let connections = env::connections(ir, service);
    let groups = secret_groups(ir, service, names);
    let keys: usize = groups.iter().map(|g| g.entries.len()).sum();
    let has_secret = keys > 0;
    let config = config_data(ir, service);

    let mut y = Yaml::with_header(&format!(
        "The settings of {app} that are not secret, with the values Compose gives them."
    ));
    if has_secret {
        y.comment(&format!(
            "The rest comes from the Secret {} (see secret.example.yaml).",
            names.secret
        ));
    }
    object(&mut y, "v1", "ConfigMap", &names.config, labels);
    if config.is_empty() {
        y.line("data: {}");
    } else {
        y.block("data", |y| {
            for entry in &config {
                y.comment(&entry.comment);
                y.pair(&entry.key, &entry.value);
            }
        });
    }
    files.add(
        BASE_DIR,
        "configmap.yaml",
        y.finish(),
        format!(
            "Kubernetes: the {} settings of {app} that are not secret",
            config.len()
        ),
    );

    if has_secret {
        let mut y = Yaml::with_header(&format!(
            "The Secret that the manifests read {app}'s secrets from; specdeploy never writes a"
        ));
        for line in [
            "secret value. Copy this file out of the repository, fill in every value, and apply it in",
            "the namespace of the deployment:",
            "  kubectl apply -f secret.yaml",
            "kustomization.yaml does not list it, so `kubectl apply -k` never replaces your values.",
            "A container whose value is missing does not start, and Kubernetes names the key.",
        ] {
            y.comment(line);
        }
        if !connections.is_empty() {
            y.line("#");
            y.comment(&format!(
                "Connection URLs ({}): with overlays/prod the app reaches managed services and",
                connections.join(", ")
            ));
            y.comment("reads their whole URLs from here. With overlays/dev it reaches the in-cluster services");
            y.comment("and builds the URLs from their settings, as Compose does, so the URL keys go unused:");
            if let Some(example) = dev_example(ir, service, names) {
                y.comment(&format!("  {example}"));
            }
        }
        object(&mut y, "v1", "Secret", &names.secret, labels);
        y.line("type: Opaque");
        if groups.is_empty() {
            y.line("stringData: {}");
        } else {
            y.block("stringData", |y| {
                for group in &groups {
                    y.comment(&format!("--- {} ---", group.title));
                    for entry in &group.entries {
                        y.comment(&entry.comment);
                        y.pair(&entry.key, "");
                    }
                }
            });
        }
        files.add(
            BASE_DIR,
            "secret.example.yaml",
            y.finish(),
            format!(
                "example of the Secret {}: the {keys} keys the manifests read, every value empty; kustomize never applies it",
                names.secret
            ),
        );
    }

    has_secret
}
