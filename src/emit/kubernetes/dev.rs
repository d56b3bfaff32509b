//! `overlays/dev`: the backing services of Compose run in the cluster, each a `StatefulSet`
//! with a volume claim, Compose's probe and settings, and a headless Service of Compose's
//! name, so that the app reaches them at the same host names.

use serde::Serialize;

use super::env::{self, EnvVar};
use super::pod::{self, Container, ContainerPort, Mount, Pod};
use super::{Names, component, metadata_labels, reasons, selector};
use crate::diagnostic::Diagnostics;
use crate::emit::{Artifact, HEADER, Root, escape, render, verbatim};
use crate::ir::{Ir, Service, ServiceRole, Technology};

/// The storage each volume claim of a backing service asks for.
pub const DEV_VOLUME_SIZE: &str = "1Gi";

/// Where the dev overlay's files go.
pub const DEV_DIR: &str = "deploy/k8s/overlays/dev";

#[derive(Serialize)]
struct Claim {
    name: String,
    size: &'static str,
}

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    about: minijinja::Value,
    name: String,
    metadata_labels: Vec<(String, String)>,
    selector: Vec<(String, String)>,
    ports: Vec<ContainerPort>,
    pod: Pod,
    claims: Vec<Claim>,
}

/// The group a backing service's image must let write its volume, when the image runs as a
/// user that does not own the mount: Kafka's image runs as `appuser`, and a fresh claim is
/// owned by root.
fn fs_group(technology: Technology) -> Option<u32> {
    (technology == Technology::Kafka).then_some(1000)
}

fn container(ir: &Ir, service: &Service, names: &Names, technology: Technology) -> Container {
    let ports: Vec<ContainerPort> = service
        .ports
        .iter()
        .map(|p| ContainerPort {
            name: service.name.clone(),
            port: p.container,
        })
        .collect();
    let mut environment = env::settings(ir, service, names);
    if technology == Technology::Postgres {
        // A fresh volume may hold `lost+found`, and initdb refuses a folder that is not
        // empty: the data goes one folder down.
        environment.push(EnvVar::literal("PGDATA", "/var/lib/postgresql/data/pgdata"));
    }
    let probes = match (&service.health, ports.first()) {
        (Some(health), Some(port)) => pod::backing_probes(health, &port.name),
        _ => pod::Probes::default(),
    };
    Container {
        name: service.name.clone(),
        image: service.image.clone(),
        // Compose's `command` replaces the image's CMD and keeps its entry point, which is
        // what `args` does.
        args: service.command.as_ref().map(|words| {
            words
                .iter()
                .map(|w| escape::kubernetes_literal(w))
                .collect()
        }),
        ports,
        env: environment,
        startup: probes.startup,
        liveness: probes.liveness,
        readiness: probes.readiness,
        no_probe: service
            .no_health_reason
            .as_ref()
            .map(|r| verbatim(escape::comment(r))),
        pre_stop_seconds: None,
        resources: service.resources.as_ref().and_then(pod::quantities),
        hardened: false,
        mounts: service
            .volumes
            .iter()
            .map(|v| Mount {
                name: v.name.clone(),
                path: v.target.clone(),
            })
            .collect(),
    }
}

/// One file per backing service: its Service and `StatefulSet`.
#[must_use]
pub fn backing(ir: &Ir, names: &Names, diagnostics: &mut Diagnostics) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for service in &ir.services {
        let ServiceRole::Backing(technology) = service.role else {
            continue;
        };
        let container = container(ir, service, names, technology);
        let context = Context {
            header: verbatim(HEADER.to_owned()),
            about: verbatim(escape::comment(&format!(
                "{} for {} in the dev overlay, as in Compose; because of {}.",
                technology.as_str(),
                ir.app.name,
                reasons(service)
            ))),
            name: service.name.clone(),
            metadata_labels: metadata_labels(&service.name, names, component(service.role)),
            selector: selector(&service.name, names),
            ports: container.ports.clone(),
            pod: Pod {
                share_process_namespace: false,
                restart_policy: None,
                grace_seconds: service.stop_grace_period_s,
                user: None,
                fs_group: fs_group(technology),
                spread: None,
                containers: vec![container],
                temp_volumes: Vec::new(),
            },
            claims: service
                .volumes
                .iter()
                .map(|v| Claim {
                    name: v.name.clone(),
                    size: DEV_VOLUME_SIZE,
                })
                .collect(),
        };
        if let Some(contents) = render("k8s/backing.k8s.yaml.j2", context, diagnostics) {
            artifacts.push(Artifact {
                path: format!("{DEV_DIR}/{}.yaml", service.name),
                root: Root::Out,
                purpose: format!(
                    "dev overlay: {} in the cluster, a StatefulSet with a {DEV_VOLUME_SIZE} volume claim and a Service",
                    technology.as_str()
                ),
                contents,
            });
        }
    }
    artifacts
}
