//! `compose.yaml` and `compose.dev.yaml`: the app and its backing services, probes,
//! hardening and resource limits, with secrets as required variables.

use serde::Serialize;

use super::{Artifact, HEADER, Layout, Root, escape, render, verbatim};
use crate::diagnostic::Diagnostics;
use crate::images;
use crate::ir::{HealthCheck, Ir, Probe, Service, ServiceRole, ValuePart, Variable};
use crate::model::Archetype;

#[derive(Serialize)]
struct Health {
    test: minijinja::Value,
    interval: String,
    timeout: String,
    retries: u32,
    start_period: String,
}

#[derive(Serialize)]
struct Build {
    context: String,
    dockerfile: String,
    target: &'static str,
}

#[derive(Serialize)]
struct ServiceContext {
    name: String,
    why: minijinja::Value,
    image: String,
    build: Option<Build>,
    app: bool,
    restart: &'static str,
    user: Option<&'static str>,
    tmpfs: Vec<String>,
    command: Option<minijinja::Value>,
    environment: Vec<(String, minijinja::Value)>,
    ports: Vec<String>,
    volumes: Vec<String>,
    depends_on: Vec<(String, &'static str)>,
    healthcheck: Option<Health>,
    no_healthcheck: Option<minijinja::Value>,
    schedule: Option<minijinja::Value>,
    stop_grace_period: String,
    cpus: Option<String>,
    memory: Option<String>,
    cpus_reserved: Option<String>,
    memory_reserved: Option<String>,
}

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    project: String,
    services: Vec<ServiceContext>,
    volumes: Vec<String>,
}

#[derive(Serialize)]
struct DevContext {
    header: minijinja::Value,
    app: String,
    image: String,
    target: &'static str,
    command: minijinja::Value,
    mount: String,
}

/// The message Compose prints when a required variable is unset.
fn required(name: &str) -> String {
    format!("${{{name}:?{name} is required: set it in .env, see .env.example}}")
}

/// Whether Compose can carry `default` in `${NAME:-default}`: no `$`, `}` or line break.
#[must_use]
pub fn can_default(default: &str) -> bool {
    !default.contains(['$', '}', '\n', '\r'])
}

/// How Compose refers to a user-supplied variable: with its default, or required.
fn reference(variable: &Variable) -> String {
    match &variable.default {
        Some(default) if !variable.secret && can_default(default) => {
            format!("${{{}:-{default}}}", variable.name)
        }
        _ => required(&variable.name),
    }
}

/// The value a container receives for `variable`, as Compose text.
fn value(variable: &Variable, ir: &Ir) -> String {
    match &variable.compose_value {
        Some(parts) => parts
            .iter()
            .map(|part| match part {
                ValuePart::Text(text) => escape::compose_literal(text),
                ValuePart::Var(name) => ir.variable(name).map_or_else(|| required(name), reference),
            })
            .collect(),
        None => reference(variable),
    }
}

fn parts_value(parts: &[ValuePart], ir: &Ir) -> String {
    parts
        .iter()
        .map(|part| match part {
            ValuePart::Text(text) => escape::compose_literal(text),
            ValuePart::Var(name) => ir.variable(name).map_or_else(|| required(name), reference),
        })
        .collect()
}

fn flow_sequence(items: &[String]) -> minijinja::Value {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| escape::yaml(&escape::compose_literal(i)))
        .collect();
    verbatim(format!("[{}]", quoted.join(", ")))
}

fn health(check: &HealthCheck) -> Health {
    let test = match &check.probe {
        Probe::Exec(args) => {
            let mut all = vec!["CMD".to_owned()];
            all.extend(args.iter().cloned());
            flow_sequence(&all)
        }
        Probe::Shell(line) => flow_sequence(&["CMD-SHELL".to_owned(), line.clone()]),
    };
    Health {
        test,
        interval: format!("{}s", check.interval_s),
        timeout: format!("{}s", check.timeout_s),
        retries: check.retries,
        start_period: format!("{}s", check.start_period_s),
    }
}

fn why(service: &Service) -> minijinja::Value {
    let mut ids: Vec<&str> = service
        .provenance
        .iter()
        .filter_map(|p| p.assertion.as_deref())
        .collect();
    ids.dedup();
    let mut fields: Vec<String> = service
        .provenance
        .iter()
        .filter(|p| p.assertion.is_none())
        .map(|p| format!("{} `{}`", p.field, p.matched))
        .collect();
    fields.dedup();
    let mut reasons = Vec::new();
    if !ids.is_empty() {
        reasons.push(format!("assertions {}", ids.join(", ")));
    }
    reasons.extend(fields);
    verbatim(escape::comment(&reasons.join("; ")))
}

fn service_context(service: &Service, ir: &Ir, layout: &Layout) -> ServiceContext {
    let is_app = service.role == ServiceRole::App;
    let archetype = ir.app.archetype;
    let runtime_user = match archetype {
        Archetype::CliTool => images::DISTROLESS_CC.user,
        _ => images::BUN_SLIM.user,
    };
    let mut environment: Vec<(String, minijinja::Value)> = service
        .settings
        .iter()
        .map(|(k, parts)| (k.clone(), verbatim(escape::yaml(&parts_value(parts, ir)))))
        .collect();
    if is_app {
        environment.extend(service.environment.iter().filter_map(|name| {
            ir.variable(name)
                .map(|v| (name.clone(), verbatim(escape::yaml(&value(v, ir)))))
        }));
    }
    let tmpfs = if is_app {
        let (uid, gid) = runtime_user
            .and_then(|u| u.split_once(':'))
            .unwrap_or(("65532", "65532"));
        vec![format!("/tmp:uid={uid},gid={gid},mode=1700")]
    } else {
        Vec::new()
    };
    ServiceContext {
        name: service.name.clone(),
        why: why(service),
        image: service.image.clone(),
        build: is_app.then(|| Build {
            context: layout.context.clone(),
            dockerfile: layout.dockerfile.clone(),
            target: "runtime",
        }),
        app: is_app,
        restart: if is_app && archetype != Archetype::WebService {
            "no"
        } else {
            "unless-stopped"
        },
        user: if is_app { runtime_user } else { None },
        tmpfs,
        command: service.command.as_deref().map(flow_sequence),
        environment,
        ports: service
            .ports
            .iter()
            .filter_map(|p| p.host.map(|h| format!("{h}:{}", p.container)))
            .collect(),
        volumes: service
            .volumes
            .iter()
            .map(|v| format!("{}:{}", v.name, v.target))
            .collect(),
        depends_on: service
            .depends_on
            .iter()
            .map(|d| {
                let healthy = ir
                    .services
                    .iter()
                    .any(|s| &s.name == d && s.health.is_some());
                (
                    d.clone(),
                    if healthy {
                        "service_healthy"
                    } else {
                        "service_started"
                    },
                )
            })
            .collect(),
        healthcheck: service.health.as_ref().map(health),
        schedule: ir
            .app
            .schedule
            .as_ref()
            .filter(|_| is_app)
            .map(|s| verbatim(escape::comment(s))),
        no_healthcheck: service
            .no_health_reason
            .as_ref()
            .map(|r| verbatim(escape::comment(r))),
        stop_grace_period: format!("{}s", service.stop_grace_period_s),
        cpus: service.resources.as_ref().map(|r| r.cpu_limit.clone()),
        memory: service.resources.as_ref().map(|r| r.memory_limit.clone()),
        cpus_reserved: service
            .resources
            .as_ref()
            .map(|r| r.cpu_reservation.clone()),
        memory_reserved: service
            .resources
            .as_ref()
            .map(|r| r.memory_reservation.clone()),
    }
}

/// Renders `compose.yaml`, and `compose.dev.yaml` for apps that run a process to watch.
pub fn emit(ir: &Ir, layout: &Layout, diagnostics: &mut Diagnostics) -> Vec<Artifact> {
    let services: Vec<ServiceContext> = ir
        .services
        .iter()
        .map(|s| service_context(s, ir, layout))
        .collect();
    let mut volumes: Vec<String> = ir
        .services
        .iter()
        .flat_map(|s| s.volumes.iter().map(|v| v.name.clone()))
        .collect();
    volumes.sort();
    volumes.dedup();
    let context = Context {
        header: verbatim(HEADER.to_owned()),
        project: ir.app.name.clone(),
        services,
        volumes,
    };
    let mut artifacts = Vec::new();
    if let Some(contents) = render("compose.yaml.j2", context, diagnostics) {
        artifacts.push(Artifact {
            path: "compose.yaml".to_owned(),
            root: Root::Out,
            purpose: format!(
                "runs {} with its backing services: {}",
                ir.app.name,
                backing_list(ir)
            ),
            contents,
        });
    }
    if matches!(
        ir.app.archetype,
        Archetype::WebService | Archetype::DataPipeline
    ) {
        let top = ir
            .app
            .entry
            .split_once('/')
            .map_or(ir.app.entry.as_str(), |(dir, _)| dir);
        let dev = DevContext {
            header: verbatim(HEADER.to_owned()),
            app: ir.app.name.clone(),
            image: format!("{}:dev", ir.app.name),
            target: if ir.app.archetype == Archetype::WebService {
                "build"
            } else {
                "runtime"
            },
            command: flow_sequence(&["bun".to_owned(), "--watch".to_owned(), ir.app.entry.clone()]),
            mount: format!("{}/{top}:/app/{top}:ro", layout.context),
        };
        if let Some(contents) = render("compose.dev.yaml.j2", dev, diagnostics) {
            artifacts.push(Artifact {
                path: "compose.dev.yaml".to_owned(),
                root: Root::Out,
                purpose:
                    "local development over compose.yaml: sources mounted read-only, bun --watch"
                        .to_owned(),
                contents,
            });
        }
    }
    artifacts
}

fn backing_list(ir: &Ir) -> String {
    let names: Vec<&str> = ir
        .services
        .iter()
        .filter(|s| s.role != ServiceRole::App)
        .map(|s| s.name.as_str())
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
