//! The three `kustomization.yaml` files: the base with its common labels and the
//! verification annotations, the dev overlay with the in-cluster backing services and the
//! app's connection URLs built for them, and the prod overlay.

use serde::Serialize;

use super::env::{self, EnvVar};
use super::workload::Workload;
use super::{BASE_DIR, Files, PROD_DIR, Subject, comment, dev, header};
use crate::ir::ServiceRole;

#[derive(Serialize)]
struct BaseContext {
    header: minijinja::Value,
    app: minijinja::Value,
    secret: bool,
    resources: Vec<String>,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
}

#[derive(Serialize)]
struct EnvPatch {
    kind: &'static str,
    name: String,
    path: &'static str,
    env: Vec<EnvVar>,
}

#[derive(Serialize)]
struct DevContext {
    header: minijinja::Value,
    app: minijinja::Value,
    secret: bool,
    backing: Option<minijinja::Value>,
    resources: Vec<String>,
    labels: Vec<(String, String)>,
    env_patch: Option<EnvPatch>,
}

#[derive(Serialize)]
struct ProdContext {
    header: minijinja::Value,
    app: minijinja::Value,
    secret: bool,
    connections: minijinja::Value,
}

/// Whether `text` is a valid label value: at most 63 characters, alphanumeric at both ends,
/// `-`, `_` and `.` between.
fn is_label_value(text: &str) -> bool {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.len() <= 63
        && (text.is_empty()
            || (ends(text.chars().next())
                && ends(text.chars().last())
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))))
}

/// The labels every object of the layout gets: the app it is part of and who manages it.
fn common_labels(subject: &Subject<'_>) -> Vec<(String, String)> {
    vec![
        (
            "app.kubernetes.io/part-of".to_owned(),
            subject.names.app.clone(),
        ),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "specdeploy".to_owned(),
        ),
    ]
}

/// `base/kustomization.yaml`, listing `resources`.
pub fn base(subject: &Subject<'_>, resources: Vec<String>, secret: bool, files: &mut Files<'_>) {
    let ir = subject.ir;
    let mut labels = common_labels(subject);
    // A version such as `1.0.0+build` is no label value; the image's tag still carries it.
    if is_label_value(&ir.app.version) {
        labels.insert(
            1,
            (
                "app.kubernetes.io/version".to_owned(),
                ir.app.version.clone(),
            ),
        );
    }
    let annotations: Vec<(String, String)> = ir
        .labels
        .iter()
        .filter(|(k, _)| k.starts_with("com.spec-driven."))
        .cloned()
        .collect();
    let listed = resources.join(", ");
    files.add(
        BASE_DIR,
        "kustomization.yaml",
        "k8s/kustomization.base.k8s.yaml.j2",
        BaseContext {
            header: header(),
            app: comment(&ir.app.name),
            secret,
            resources,
            labels,
            annotations,
        },
        format!("Kubernetes base: {listed}, with common labels and the verification annotations"),
    );
}

/// `overlays/dev/kustomization.yaml`.
pub fn dev(subject: &Subject<'_>, workload: Workload, secret: bool, files: &mut Files<'_>) {
    let Subject {
        ir, service, names, ..
    } = subject;
    let backing: Vec<String> = ir
        .services
        .iter()
        .filter(|s| s.role != ServiceRole::App)
        .map(|s| s.name.clone())
        .collect();
    let dev_env = env::dev(ir, service, names);
    let base_env = env::base(ir, service, names);
    files.add(
        dev::DEV_DIR,
        "kustomization.yaml",
        "k8s/kustomization.dev.k8s.yaml.j2",
        DevContext {
            header: header(),
            app: comment(&ir.app.name),
            secret,
            backing: (!backing.is_empty()).then(|| comment(&backing.join(", "))),
            resources: backing.iter().map(|b| format!("{b}.yaml")).collect(),
            labels: common_labels(subject),
            env_patch: (dev_env != base_env).then(|| EnvPatch {
                kind: workload.kind(),
                name: names.app.clone(),
                path: workload.env_path(),
                env: dev_env,
            }),
        },
        if backing.is_empty() {
            "Kubernetes dev overlay: the base, to try it out".to_owned()
        } else {
            format!(
                "Kubernetes dev overlay: the base with in-cluster {}",
                backing.join(", ")
            )
        },
    );
}

/// `overlays/prod/kustomization.yaml`.
pub fn prod(subject: &Subject<'_>, secret: bool, files: &mut Files<'_>) {
    let Subject {
        ir, service, names, ..
    } = subject;
    let connections = env::connections(ir, service);
    files.add(
        PROD_DIR,
        "kustomization.yaml",
        "k8s/kustomization.prod.k8s.yaml.j2",
        ProdContext {
            header: header(),
            app: comment(&ir.app.name),
            secret,
            connections: comment(&if connections.is_empty() {
                "it reaches none".to_owned()
            } else {
                format!(
                    "{} come from the Secret {}",
                    connections.join(", "),
                    names.secret
                )
            }),
        },
        if connections.is_empty() {
            "Kubernetes prod overlay: the base".to_owned()
        } else {
            format!(
                "Kubernetes prod overlay: managed backing services, {} from the Secret",
                connections.join(", ")
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::is_label_value;

    #[test]
    fn versions_become_labels_only_when_valid() {
        assert!(is_label_value("0.3.0"));
        assert!(is_label_value("1.0.0-rc.1"));
        assert!(!is_label_value("1.0.0+build"));
        assert!(!is_label_value("-1"));
        assert!(!is_label_value(&"1".repeat(64)));
    }
}
