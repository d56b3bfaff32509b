//! `compose.yaml` and `compose.dev.yaml`: the app and its backing services, probes,
//! hardening and resource limits, with secrets as required variables.

use serde::Serialize;

use super::{Artifact, HEADER, Layout, Root, escape, render, verbatim};
use crate::diagnostic::Diagnostics;
use crate::images;
use crate::ir::{App, HealthCheck, Ir, Probe, Service, ServiceRole, ValuePart, Variable};
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
struct DevApp {
    app: String,
    image: String,
    target: &'static str,
    command: minijinja::Value,
    mount: String,
}

#[derive(Serialize)]
struct DevContext {
    header: minijinja::Value,
    apps: Vec<DevApp>,
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

/// An app of a Compose project: what its service is built from and the variables its
/// container receives.
#[derive(Clone, Copy, Debug)]
pub struct AppUnit<'a> {
    /// The app.
    pub app: &'a App,
    /// The app's variables; those the container receives are named by its service's
    /// `environment`.
    pub variables: &'a [Variable],
    /// The build context relative to the Compose file's folder, `/`-separated.
    pub context: &'a str,
    /// The Dockerfile relative to the build context.
    pub dockerfile: &'a str,
}

/// A whole Compose project: one app, or every app of a workspace with the backing services
/// they share.
#[derive(Clone, Debug)]
pub struct Project<'a> {
    /// The project's name.
    pub name: &'a str,
    /// Services in start order; an app's service comes with its [`AppUnit`].
    pub services: Vec<(&'a Service, Option<AppUnit<'a>>)>,
    /// The variables of the env file, which `${NAME}` references resolve to.
    pub env: &'a [Variable],
}

impl Project<'_> {
    fn variable(&self, name: &str) -> Option<&Variable> {
        self.env.iter().find(|v| v.name == name)
    }

    fn reference_to(&self, name: &str) -> String {
        self.variable(name)
            .map_or_else(|| required(name), reference)
    }

    /// The value a container receives for `variable`, as Compose text.
    fn value(&self, variable: &Variable) -> String {
        match &variable.compose_value {
            Some(parts) => self.parts_value(parts),
            None => reference(variable),
        }
    }

    fn parts_value(&self, parts: &[ValuePart]) -> String {
        parts
            .iter()
            .map(|part| match part {
                ValuePart::Text(text) => escape::compose_literal(text),
                ValuePart::Var(name) => self.reference_to(name),
            })
            .collect()
    }
}

fn service_context(
    service: &Service,
    unit: Option<&AppUnit<'_>>,
    project: &Project<'_>,
) -> ServiceContext {
    let archetype = unit.map(|u| u.app.archetype);
    let runtime_user = match archetype {
        Some(Archetype::CliTool) => images::DISTROLESS_CC.user,
        _ => images::BUN_SLIM.user,
    };
    let mut environment: Vec<(String, minijinja::Value)> = service
        .settings
        .iter()
        .map(|(k, parts)| {
            (
                k.clone(),
                verbatim(escape::yaml(&project.parts_value(parts))),
            )
        })
        .collect();
    if let Some(unit) = unit {
        // By name, the first of a name first: an app can have thousands of variables.
        let by_name: rustc_hash::FxHashMap<&str, &Variable> = unit
            .variables
            .iter()
            .rev()
            .map(|v| (v.name.as_str(), v))
            .collect();
        environment.extend(service.environment.iter().filter_map(|name| {
            by_name
                .get(name.as_str())
                .map(|v| (name.clone(), verbatim(escape::yaml(&project.value(v)))))
        }));
    }
    let tmpfs = if unit.is_some() {
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
        build: unit.map(|u| Build {
            context: u.context.to_owned(),
            dockerfile: u.dockerfile.to_owned(),
            target: "runtime",
        }),
        app: unit.is_some(),
        restart: match archetype {
            Some(a) if a != Archetype::WebService => "no",
            _ => "unless-stopped",
        },
        user: if unit.is_some() { runtime_user } else { None },
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
                let healthy = project
                    .services
                    .iter()
                    .any(|(s, _)| &s.name == d && s.health.is_some());
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
        schedule: unit
            .and_then(|u| u.app.schedule.as_ref())
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

/// Whether a volume entry names a file or folder of the project (`./init.sh`) rather than a
/// named volume, which must also be declared at the top level.
fn is_bind_mount(name: &str) -> bool {
    name.starts_with("./") || name.starts_with("../") || name.starts_with('/')
}

/// Renders `compose.yaml` of a project.
pub fn render_compose(project: &Project<'_>, diagnostics: &mut Diagnostics) -> Option<String> {
    let services: Vec<ServiceContext> = project
        .services
        .iter()
        .map(|(s, unit)| service_context(s, unit.as_ref(), project))
        .collect();
    let mut volumes: Vec<String> = project
        .services
        .iter()
        .flat_map(|(s, _)| s.volumes.iter().map(|v| v.name.clone()))
        .filter(|name| !is_bind_mount(name))
        .collect();
    volumes.sort();
    volumes.dedup();
    let context = Context {
        header: verbatim(HEADER.to_owned()),
        project: project.name.to_owned(),
        services,
        volumes,
    };
    render("compose.yaml.j2", context, diagnostics)
}

/// Renders `compose.dev.yaml` of a project: every app that runs a process to watch, or
/// nothing when no app does.
pub fn render_dev(project: &Project<'_>, diagnostics: &mut Diagnostics) -> Option<String> {
    let apps: Vec<DevApp> = project
        .services
        .iter()
        .filter_map(|(service, unit)| unit.as_ref().map(|u| (*service, u)))
        .filter(|(_, u)| {
            matches!(
                u.app.archetype,
                Archetype::WebService | Archetype::DataPipeline
            )
        })
        .map(|(service, unit)| {
            let app = unit.app;
            let top = app
                .entry
                .split_once('/')
                .map_or(app.entry.as_str(), |(dir, _)| dir);
            DevApp {
                app: service.name.clone(),
                image: format!("{}:dev", service.name),
                target: if app.archetype == Archetype::WebService {
                    "build"
                } else {
                    "runtime"
                },
                command: flow_sequence(&[
                    "bun".to_owned(),
                    "--watch".to_owned(),
                    app.entry.clone(),
                ]),
                mount: format!("{}/{top}:/app/{top}:ro", unit.context),
            }
        })
        .collect();
    if apps.is_empty() {
        return None;
    }
    let dev = DevContext {
        header: verbatim(HEADER.to_owned()),
        apps,
    };
    render("compose.dev.yaml.j2", dev, diagnostics)
}

/// Renders `compose.yaml`, and `compose.dev.yaml` for apps that run a process to watch.
pub fn emit(ir: &Ir, layout: &Layout, diagnostics: &mut Diagnostics) -> Vec<Artifact> {
    let unit = AppUnit {
        app: &ir.app,
        variables: &ir.variables,
        context: &layout.context,
        dockerfile: &layout.dockerfile,
    };
    let project = Project {
        name: &ir.app.name,
        services: ir
            .services
            .iter()
            .map(|s| (s, (s.role == ServiceRole::App).then_some(unit)))
            .collect(),
        env: &ir.variables,
    };
    let mut artifacts = Vec::new();
    if let Some(contents) = render_compose(&project, diagnostics) {
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
    if let Some(contents) = render_dev(&project, diagnostics) {
        artifacts.push(Artifact {
            path: "compose.dev.yaml".to_owned(),
            root: Root::Out,
            purpose: DEV_PURPOSE.to_owned(),
            contents,
        });
    }
    artifacts
}

/// What `compose.dev.yaml` is for, in the build summary.
pub const DEV_PURPOSE: &str =
    "local development over compose.yaml: sources mounted read-only, bun --watch";

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
