//! `overlays/dev`: the backing services of Compose run in the cluster, each a `StatefulSet`
//! with a volume claim, Compose's probe and settings, and a headless Service of Compose's
//! name, so that the app reaches them at the same host names.

use super::env::{self, EnvVar};
use super::pod::{self, Container, ContainerPort, Mount, Pod};
use super::yaml::Yaml;
use super::{
    Names, component, match_labels, metadata_labels, object, pod_template, reasons, selector,
    service_ports,
};
use crate::emit::{Artifact, Root, escape};
use crate::ir::{Ir, Service, ServiceRole, Technology};

/// The storage each volume claim of a backing service asks for.
pub const DEV_VOLUME_SIZE: &str = "1Gi";

/// Where the dev overlay's files go.
pub const DEV_DIR: &str = "deploy/k8s/overlays/dev";

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
        no_probe: service.no_health_reason.clone(),
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
pub fn backing(ir: &Ir, names: &Names) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for service in &ir.services {
        let ServiceRole::Backing(technology) = service.role else {
            continue;
        };
        let container = container(ir, service, names, technology);
        let name = &service.name;
        let labels = metadata_labels(name, names, component(service.role));
        let selector = selector(name, names);
        let ports = container.ports.clone();
        let pod = Pod {
            share_process_namespace: false,
            restart_policy: None,
            grace_seconds: service.stop_grace_period_s,
            user: None,
            fs_group: fs_group(technology),
            spread: None,
            containers: vec![container],
            temp_volumes: Vec::new(),
        };
        let mut y = Yaml::with_header(&format!(
            "{} for {} in the dev overlay, as in Compose; because of {}.",
            technology.as_str(),
            ir.app.name,
            reasons(service)
        ));
        object(&mut y, "v1", "Service", name, &labels);
        y.block("spec", |y| {
            y.comment("Headless, and listing the pod before it is ready: clients find it by this name, and a");
            y.comment("broker that reaches itself by this name can start.");
            y.line("clusterIP: None");
            y.line("publishNotReadyAddresses: true");
            y.block("selector", |y| y.pairs(&selector));
            service_ports(y, &ports);
        });
        y.line("---");
        object(&mut y, "apps/v1", "StatefulSet", name, &labels);
        y.block("spec", |y| {
            y.text("serviceName", name);
            y.line("replicas: 1");
            match_labels(y, &selector);
            pod_template(y, &labels, &pod);
            if !service.volumes.is_empty() {
                y.block("volumeClaimTemplates", |y| {
                    for volume in &service.volumes {
                        y.item(|y| {
                            y.block("metadata", |y| y.text("name", &volume.name));
                            y.block("spec", |y| {
                                y.block("accessModes", |y| y.line("- ReadWriteOnce"));
                                y.block("resources", |y| {
                                    y.block("requests", |y| y.text("storage", DEV_VOLUME_SIZE));
                                });
                            });
                        });
                    }
                });
            }
        });
        artifacts.push(Artifact {
            path: format!("{DEV_DIR}/{name}.yaml"),
            root: Root::Out,
            purpose: format!(
                "dev overlay: {} in the cluster, a StatefulSet with a {DEV_VOLUME_SIZE} volume claim and a Service",
                technology.as_str()
            ),
            contents: y.finish(),
        });
    }
    artifacts
}
