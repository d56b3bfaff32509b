//! The three `kustomization.yaml` files: the base with its common labels and the
//! verification annotations, the dev overlay with the in-cluster backing services and the
//! app's connection URLs built for them, and the prod overlay.

use super::env::{self, EnvVar};
use super::workload::Workload;
use super::yaml::Yaml;
use super::{BASE_DIR, Files, PROD_DIR, Subject, dev};
use crate::ir::ServiceRole;

/// The lines every kustomization starts with.
fn kustomization(y: &mut Yaml) {
    y.line("apiVersion: kustomize.config.k8s.io/v1beta1");
    y.line("kind: Kustomization");
}

/// `labels:` with `pairs` on every object and its pod templates, not on selectors.
fn common(y: &mut Yaml, pairs: &[(String, String)]) {
    y.block("labels", |y| {
        y.item(|y| {
            y.block("pairs", |y| y.pairs(pairs));
            y.line("includeSelectors: false");
            y.line("includeTemplates: true");
        });
    });
}

/// The line that applies an overlay, after the Secret when there is one.
fn apply(overlay: &str, secret: bool) -> String {
    let first = if secret {
        "kubectl apply -f secret.yaml && "
    } else {
        ""
    };
    format!("  {first}kubectl apply -k deploy/k8s/overlays/{overlay}")
}

/// The env patch of the dev overlay: the app's container gets `env` in place of the base's.
struct EnvPatch {
    kind: &'static str,
    name: String,
    path: &'static str,
    env: Vec<EnvVar>,
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
pub fn base(subject: &Subject<'_>, resources: &[String], secret: bool, files: &mut Files<'_>) {
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
    let mut y = Yaml::with_header(&format!(
        "{} on Kubernetes. Apply an overlay rather than this folder:",
        ir.app.name
    ));
    y.comment("  kubectl apply -k overlays/dev    in-cluster backing services, to try it out");
    y.comment("  kubectl apply -k overlays/prod   managed backing services, URLs from the Secret");
    if secret {
        y.comment("Create the Secret first: see secret.example.yaml.");
    }
    kustomization(&mut y);
    y.block("resources", |y| {
        for r in resources {
            y.text_item(r);
        }
    });
    common(&mut y, &labels);
    y.comment("What the specs say and what was verified, as on the image's labels.");
    y.block("commonAnnotations", |y| y.pairs(&annotations));
    files.add(
        BASE_DIR,
        "kustomization.yaml",
        y.finish(),
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
    let env_patch = (dev_env != base_env).then(|| EnvPatch {
        kind: workload.kind(),
        name: names.app.clone(),
        path: workload.env_path(),
        env: dev_env,
    });
    let app = &ir.app.name;
    let mut y = Yaml::with_header(&if backing.is_empty() {
        format!("{app}, to try it out; it has no backing services:")
    } else {
        format!("{app} with in-cluster backing services, to try it out:")
    });
    y.comment(&apply("dev", secret));
    if !backing.is_empty() {
        y.comment("Each backing service is a StatefulSet with a volume claim, a probe and a Service named");
        y.comment(&format!("as in Compose ({}).", backing.join(", ")));
    }
    kustomization(&mut y);
    y.block("resources", |y| {
        y.text_item("../../base");
        for b in &backing {
            y.text_item(&format!("{b}.yaml"));
        }
    });
    common(&mut y, &common_labels(subject));
    if let Some(patch) = &env_patch {
        y.comment(
            "The app builds its connection URLs from the in-cluster services' settings, as Compose",
        );
        y.comment("does; Kubernetes expands $(NAME) from the variables listed before it.");
        y.block("patches", |y| {
            y.item(|y| {
                y.block("target", |y| {
                    y.text("kind", patch.kind);
                    y.text("name", &patch.name);
                });
                y.line("patch: |-");
                y.nested(|y| {
                    y.item(|y| {
                        y.line("op: add");
                        y.text("path", patch.path);
                        y.block("value", |y| env::write(y, &patch.env));
                    });
                });
            });
        });
    }
    files.add(
        dev::DEV_DIR,
        "kustomization.yaml",
        y.finish(),
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
    let reached = if connections.is_empty() {
        "it reaches none".to_owned()
    } else {
        format!(
            "{} come from the Secret {}",
            connections.join(", "),
            names.secret
        )
    };
    let mut y = Yaml::with_header(&format!(
        "{} with managed backing services: {reached}.",
        ir.app.name
    ));
    y.comment(&apply("prod", secret));
    kustomization(&mut y);
    y.block("resources", |y| y.text_item("../../base"));
    files.add(
        PROD_DIR,
        "kustomization.yaml",
        y.finish(),
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
