//! `deploy/k8s/`: the app on Kubernetes, as a Kustomize base and two overlays, from the
//! same IR as Compose, so that both agree on ports, variables, probes, limits and image.
//!
//! - `base/`: the app's workload ([`workload`]: a Deployment and a Service for a web
//!   service, a `CronJob` or a Job for a pipeline, a suspended Job for a CLI tool), a
//!   `ConfigMap` of the settings specdeploy knows and `secret.example.yaml`, the Secret the
//!   manifests read with every value empty ([`config`]), and `kustomization.yaml`;
//! - `overlays/dev/`: the backing services in the cluster ([`dev`]), the app's connection
//!   URLs built from their settings;
//! - `overlays/prod/`: the base as it is, reading the managed services' URLs from the Secret.
//!
//! Settings only Kubernetes has come from `build`'s flags; [`settings`] reports the ones
//! that were defaulted. Each module writes its manifests with [`yaml::Yaml`]; pods and
//! containers are written by [`pod`], environments by [`env`].

mod config;
mod dev;
mod env;
mod kustomize;
mod pod;
mod settings;
mod workload;
mod yaml;

use self::yaml::Yaml;
use super::{Artifact, Layout, Root};
use crate::diagnostic::Diagnostics;
use crate::ir::{Ir, Service, ServiceRole, Technology};

pub use self::pod::{PRE_STOP_SECONDS, STARTUP_WINDOW_SECONDS};
pub use self::settings::{CRONJOB_NAME_LIMIT, DEFAULT_REPLICAS, check_unused};

/// Where the base goes.
pub const BASE_DIR: &str = "deploy/k8s/base";

/// Where the prod overlay goes.
pub const PROD_DIR: &str = "deploy/k8s/overlays/prod";

/// The names of the app's Kubernetes objects.
#[derive(Clone, Debug)]
pub struct Names {
    /// The app's workload, Service and container: its name with `_` and `.` as `-`, which
    /// every kind of object accepts.
    pub app: String,
    /// The `ConfigMap`.
    pub config: String,
    /// The Secret.
    pub secret: String,
}

impl Names {
    fn of(app: &str) -> Self {
        let name: String = app
            .chars()
            .map(|c| if matches!(c, '_' | '.') { '-' } else { c })
            .collect();
        Self {
            config: format!("{name}-config"),
            secret: format!("{name}-secrets"),
            app: name,
        }
    }
}

/// The labels that select a service's pods.
fn selector(service: &str, names: &Names) -> Vec<(String, String)> {
    vec![
        ("app.kubernetes.io/name".to_owned(), service.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), names.app.clone()),
    ]
}

/// The selector labels and the component.
fn metadata_labels(service: &str, names: &Names, component: &str) -> Vec<(String, String)> {
    let mut labels = selector(service, names);
    labels.push((
        "app.kubernetes.io/component".to_owned(),
        component.to_owned(),
    ));
    labels
}

fn component(role: ServiceRole) -> &'static str {
    match role {
        ServiceRole::App => "app",
        ServiceRole::Backing(Technology::Postgres) => "database",
        ServiceRole::Backing(Technology::Redis) => "cache",
        ServiceRole::Backing(Technology::S3) => "object-storage",
        ServiceRole::Backing(_) => "queue",
    }
}

/// Why a service exists: its assertions and the other sources, as Compose's comment says.
fn reasons(service: &Service) -> String {
    let mut ids: Vec<&str> = service
        .provenance
        .iter()
        .filter_map(|p| p.assertion.as_deref())
        .collect();
    ids.dedup();
    let mut reasons = Vec::new();
    if !ids.is_empty() {
        reasons.push(format!("assertions {}", ids.join(", ")));
    }
    // The reasons so far, as a set: a service can come from thousands of boundaries.
    let mut given = rustc_hash::FxHashSet::default();
    for p in service.provenance.iter().filter(|p| p.assertion.is_none()) {
        let reason = format!("{} `{}`", p.field, p.matched);
        if given.insert(reason.clone()) {
            reasons.push(reason);
        }
    }
    reasons.join("; ")
}

/// The lines every object starts with: `apiVersion`, `kind`, and `metadata` with its name and
/// labels.
fn object(y: &mut Yaml, api_version: &str, kind: &str, name: &str, labels: &[(String, String)]) {
    y.line(&format!("apiVersion: {api_version}"));
    y.line(&format!("kind: {kind}"));
    y.block("metadata", |y| {
        y.text("name", name);
        y.block("labels", |y| y.pairs(labels));
    });
}

/// `selector:` with `matchLabels`, as workloads and budgets select their pods.
fn match_labels(y: &mut Yaml, selector: &[(String, String)]) {
    y.block("selector", |y| {
        y.block("matchLabels", |y| y.pairs(selector));
    });
}

/// `template:`, a workload's pods: their labels and `pod`.
fn pod_template(y: &mut Yaml, labels: &[(String, String)], pod: &pod::Pod) {
    y.block("template", |y| {
        y.block("metadata", |y| y.block("labels", |y| y.pairs(labels)));
        y.block("spec", |y| pod.write(y));
    });
}

/// A Service's `ports`, each to the container port of its name.
fn service_ports(y: &mut Yaml, ports: &[pod::ContainerPort]) {
    y.block("ports", |y| {
        for p in ports {
            y.item(|y| {
                y.text("name", &p.name);
                y.number("port", p.port);
                y.text("targetPort", &p.name);
                y.line("protocol: TCP");
            });
        }
    });
}

/// The app as every part of the layout sees it.
struct Subject<'a> {
    ir: &'a Ir,
    /// The app's service.
    service: &'a Service,
    names: Names,
    /// The labels of the app's objects.
    labels: Vec<(String, String)>,
    /// The labels that select the app's pods.
    selector: Vec<(String, String)>,
}

/// The files written so far, and where problems go.
struct Files<'a> {
    artifacts: Vec<Artifact>,
    diagnostics: &'a mut Diagnostics,
}

impl Files<'_> {
    /// Adds `contents` as `dir/file`.
    fn add(&mut self, dir: &str, file: &str, contents: String, purpose: String) {
        self.artifacts.push(Artifact {
            path: format!("{dir}/{file}"),
            root: Root::Out,
            purpose,
            contents,
        });
    }
}

/// Writes `deploy/k8s/`.
pub fn emit(ir: &Ir, layout: &Layout, diagnostics: &mut Diagnostics) -> Vec<Artifact> {
    let Some(service) = ir.app_service() else {
        return Vec::new();
    };
    let names = Names::of(&ir.app.name);
    let workload = workload::Workload::of(ir);
    let Some(replicas) = settings::check(ir, layout, &names, workload, diagnostics) else {
        return Vec::new();
    };
    let subject = Subject {
        ir,
        service,
        labels: metadata_labels(&names.app, &names, component(ServiceRole::App)),
        selector: selector(&names.app, &names),
        names,
    };
    let mut files = Files {
        artifacts: Vec::new(),
        diagnostics,
    };
    let secret = config::emit(&subject, &mut files);
    let mut resources = vec!["configmap.yaml".to_owned()];
    resources.extend(workload::emit(
        &subject, workload, replicas, layout, &mut files,
    ));
    kustomize::base(&subject, &resources, secret, &mut files);
    let dev_files = dev::backing(ir, &subject.names);
    kustomize::dev(&subject, workload, secret, &mut files);
    files.artifacts.extend(dev_files);
    kustomize::prod(&subject, secret, &mut files);
    files.artifacts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_for_every_kind_of_object() {
        let names = Names::of("orders.etl_2");
        assert_eq!(names.app, "orders-etl-2");
        assert_eq!(names.config, "orders-etl-2-config");
        assert_eq!(names.secret, "orders-etl-2-secrets");
    }
}
