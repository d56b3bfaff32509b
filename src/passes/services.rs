//! The services graph: the app and one container per backing technology, with depends-on
//! edges, probes and resources. Start order comes from a topological sort; a cycle is a
//! diagnostic that shows its path.

use std::collections::BTreeMap;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use super::config::{database_identifier, service_name};
use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::images::{self, Image};
use crate::ir::{
    App, HealthCheck, Port, Probe, Provenance, Resources, Service, ServiceRole, Technology,
    ValuePart, Volume,
};
use crate::model::Archetype;

/// The path of the liveness endpoint: the process answers, nothing else.
pub const LIVENESS_PATH: &str = "/live";

/// The path of the readiness endpoint: every required dependency answers.
pub const READINESS_PATH: &str = "/ready";

/// The path of the full health report.
pub const HEALTH_PATH: &str = "/health";

/// Milliseconds one dependency check may take.
pub const CHECK_TIMEOUT_MS: u32 = 2000;

/// Milliseconds readiness answers 503 after SIGTERM before the server stops accepting.
pub const DRAIN_DELAY_MS: u32 = 5000;

/// Milliseconds in-flight requests get to finish after that.
pub const SHUTDOWN_TIMEOUT_MS: u32 = 20000;

/// Seconds a web service gets between SIGTERM and SIGKILL to drain requests.
pub const WEB_GRACE_SECONDS: u32 = 30;

/// Sets `draft.services`.
pub fn run(input: &Input<'_>, draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let Some(app) = &draft.app else {
        return;
    };
    if app.archetype == Archetype::Library {
        return;
    }
    let ident = database_identifier(&app.name);
    let mut backing: BTreeMap<&'static str, Service> = BTreeMap::new();
    for need in &draft.needs {
        if need.technology == Technology::Http {
            continue;
        }
        let name = service_name(need.technology);
        let service = backing
            .entry(name)
            .or_insert_with(|| backing_service(need.technology, &ident));
        crate::ir::add_provenance(&mut service.provenance, &need.provenance);
    }
    if let Some(clash) = backing.get(app.name.as_str()) {
        let mut d = Diagnostic::new(
            Code::InvalidName,
            format!(
                "the app is named {}, like its {} service",
                app.name, clash.name
            ),
        )
        .help("rename the app (`name` in package.json or `app NAME` in a .spec file)");
        if let Some(span) = input
            .specs
            .app
            .name
            .as_ref()
            .or(input.package.name.as_ref())
            .map(|n| n.span)
        {
            d = d.at(span, "this name is taken by a backing service");
        }
        diagnostics.push(d);
        return;
    }

    let mut app_service = app_service(app, draft);
    app_service.depends_on = backing.keys().map(|k| (*k).to_owned()).collect();
    let mut services: Vec<Service> = backing.into_values().collect();
    services.push(app_service);

    check_probes(&services, diagnostics);
    check_ports(&services, input, diagnostics);
    if let Some(ordered) = start_order(services, diagnostics) {
        draft.services = ordered;
    }
}

fn app_service(app: &App, draft: &Draft) -> Service {
    let environment = draft
        .variables
        .iter()
        .filter(|v| v.for_app)
        .map(|v| v.name.clone())
        .collect();
    let (health, no_health_reason) = match (app.archetype, app.port) {
        (Archetype::WebService, Some(port)) => (Some(web_probe(port)), None),
        (Archetype::CliTool, _) => (
            None,
            Some("a CLI tool runs a command and exits; there is no server to probe".to_owned()),
        ),
        (Archetype::DataPipeline, _) => (
            None,
            Some(
                "a pipeline runs once and exits; success is its exit code, not a probe".to_owned(),
            ),
        ),
        _ => (None, Some("the app has no HTTP server".to_owned())),
    };
    Service {
        name: app.name.clone(),
        role: ServiceRole::App,
        image: format!("{}:{}", app.name, app.version),
        ports: app
            .port
            .map(|p| Port {
                container: p,
                host: Some(p),
            })
            .into_iter()
            .collect(),
        environment,
        settings: Vec::new(),
        command: None,
        health,
        no_health_reason,
        volumes: Vec::new(),
        depends_on: Vec::new(),
        resources: Some(Resources {
            cpu_limit: "1".to_owned(),
            memory_limit: "512M".to_owned(),
            cpu_reservation: "0.25".to_owned(),
            memory_reservation: "128M".to_owned(),
        }),
        stop_grace_period_s: if app.archetype == Archetype::WebService {
            WEB_GRACE_SECONDS
        } else {
            10
        },
        provenance: vec![app.archetype_provenance.clone()],
    }
}

/// A probe that runs inside the Bun runtime image: Bun itself fetches the liveness path.
fn web_probe(port: u16) -> HealthCheck {
    // The port comes from PORT, which the image sets and Compose and Kubernetes may change,
    // so the probe always asks the port the app listens on.
    let script = format!(
        "fetch('http://127.0.0.1:'+(process.env.PORT||{port})+'{LIVENESS_PATH}',{{signal:AbortSignal.timeout(2000)}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
    );
    HealthCheck {
        probe: Probe::Exec(vec!["bun".to_owned(), "-e".to_owned(), script]),
        interval_s: 10,
        timeout_s: 3,
        retries: 3,
        start_period_s: 10,
        reason: format!(
            "the process answers {LIVENESS_PATH} on 127.0.0.1 at $PORT ({port} unless changed); it checks no dependency; run by bun, which the runtime image has (it has no curl or wget)"
        ),
    }
}

fn parts(items: &[(&str, &str)]) -> Vec<(String, Vec<ValuePart>)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), vec![ValuePart::Var((*v).to_owned())]))
        .collect()
}

fn check(probe: Probe, start_period_s: u32, reason: &str) -> HealthCheck {
    HealthCheck {
        probe,
        interval_s: 5,
        timeout_s: 5,
        retries: 10,
        start_period_s,
        reason: reason.to_owned(),
    }
}

fn exec(args: &[&str]) -> Probe {
    Probe::Exec(args.iter().map(|a| (*a).to_owned()).collect())
}

fn resources(cpu: &str, memory: &str) -> Resources {
    Resources {
        cpu_limit: cpu.to_owned(),
        memory_limit: memory.to_owned(),
        cpu_reservation: "0.1".to_owned(),
        memory_reservation: "64M".to_owned(),
    }
}

/// The container for one backing technology.
fn backing_service(technology: Technology, ident: &str) -> Service {
    let name = service_name(technology).to_owned();
    let volume = |target: &str| {
        vec![Volume {
            name: format!("{name}-data"),
            target: target.to_owned(),
        }]
    };
    let mut service = Service {
        name: name.clone(),
        role: ServiceRole::Backing(technology),
        image: image_of(technology).reference.to_owned(),
        ports: Vec::new(),
        environment: Vec::new(),
        settings: Vec::new(),
        command: None,
        health: None,
        no_health_reason: None,
        volumes: Vec::new(),
        depends_on: Vec::new(),
        resources: None,
        stop_grace_period_s: 30,
        provenance: Vec::<Provenance>::new(),
    };
    let _ = ident;
    match technology {
        Technology::Postgres => {
            service.ports = vec![Port {
                container: 5432,
                host: None,
            }];
            service.settings = parts(&[
                ("POSTGRES_USER", "POSTGRES_USER"),
                ("POSTGRES_PASSWORD", "POSTGRES_PASSWORD"),
                ("POSTGRES_DB", "POSTGRES_DB"),
            ]);
            service.health = Some(check(
                Probe::Shell(
                    "pg_isready -h 127.0.0.1 -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\"".to_owned(),
                ),
                30,
                "pg_isready as the app's role on the app's database",
            ));
            service.volumes = volume("/var/lib/postgresql/data");
            service.resources = Some(resources("1", "1G"));
        }
        Technology::Redis | Technology::RedisStreams => {
            service.ports = vec![Port {
                container: 6379,
                host: None,
            }];
            service.settings = parts(&[
                ("REDIS_PASSWORD", "REDIS_PASSWORD"),
                ("REDISCLI_AUTH", "REDIS_PASSWORD"),
            ]);
            service.command = Some(vec![
                "sh".to_owned(),
                "-c".to_owned(),
                "exec redis-server --requirepass \"$REDIS_PASSWORD\" --appendonly yes".to_owned(),
            ]);
            service.health = Some(check(
                // redis-cli exits 0 even on an error reply such as NOAUTH: check the answer.
                Probe::Shell(
                    "redis-cli -h 127.0.0.1 -p \"${REDIS_PORT:-6379}\" ping | grep -q PONG"
                        .to_owned(),
                ),
                10,
                "redis-cli PING answers PONG, with the password from REDISCLI_AUTH",
            ));
            service.volumes = volume("/data");
            service.resources = Some(resources("0.5", "256M"));
        }
        Technology::Kafka => {
            service.ports = vec![Port {
                container: 9092,
                host: None,
            }];
            service.settings = [
                ("KAFKA_NODE_ID", "1"),
                ("KAFKA_PROCESS_ROLES", "broker,controller"),
                ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
                ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://kafka:9092"),
                ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
                (
                    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                ),
                ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka:9093"),
                ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
                ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
                ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
                // With any setting given, the image drops its defaults: keep the log on the
                // volume, not in the container.
                ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), vec![ValuePart::Text((*v).to_owned())]))
            .collect();
            service.health = Some(check(
                exec(&[
                    "/opt/kafka/bin/kafka-broker-api-versions.sh",
                    "--bootstrap-server",
                    "127.0.0.1:9092",
                ]),
                60,
                "the broker answers an API-versions request",
            ));
            service.volumes = volume("/var/lib/kafka/data");
            service.resources = Some(resources("1", "1G"));
        }
        Technology::RabbitMq => {
            service.ports = vec![Port {
                container: 5672,
                host: None,
            }];
            service.settings = parts(&[
                ("RABBITMQ_DEFAULT_USER", "RABBITMQ_USER"),
                ("RABBITMQ_DEFAULT_PASS", "RABBITMQ_PASSWORD"),
            ]);
            service.health = Some(check(
                exec(&["rabbitmq-diagnostics", "-q", "ping"]),
                60,
                "rabbitmq-diagnostics ping",
            ));
            service.volumes = volume("/var/lib/rabbitmq");
            service.resources = Some(resources("1", "512M"));
        }
        Technology::Nats => {
            service.ports = vec![Port {
                container: 4222,
                host: None,
            }];
            service.command = Some(vec![
                "-js".to_owned(),
                "-sd".to_owned(),
                "/data".to_owned(),
                "-m".to_owned(),
                "8222".to_owned(),
            ]);
            service.health = Some(check(
                exec(&[
                    "wget",
                    "-q",
                    "-O",
                    "/dev/null",
                    "http://127.0.0.1:8222/healthz",
                ]),
                10,
                "the monitoring endpoint /healthz",
            ));
            service.volumes = volume("/data");
            service.resources = Some(resources("0.5", "256M"));
        }
        Technology::S3 => {
            service.ports = vec![Port {
                container: 9000,
                host: None,
            }];
            service.settings = parts(&[
                ("MINIO_ROOT_USER", "AWS_ACCESS_KEY_ID"),
                ("MINIO_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY"),
            ]);
            service.command = Some(vec!["server".to_owned(), "/data".to_owned()]);
            service.health = Some(check(exec(&["mc", "ready", "local"]), 20, "mc ready local"));
            service.volumes = volume("/data");
            service.resources = Some(resources("0.5", "512M"));
        }
        Technology::Http => {}
    }
    service
}

/// The image a backing technology runs on.
#[must_use]
pub fn image_of(technology: Technology) -> &'static Image {
    match technology {
        Technology::Postgres => &images::POSTGRES,
        Technology::Redis | Technology::RedisStreams => &images::REDIS,
        Technology::Kafka => &images::KAFKA,
        Technology::RabbitMq => &images::RABBITMQ,
        Technology::Nats => &images::NATS,
        Technology::S3 => &images::MINIO,
        Technology::Http => &images::BUN_SLIM,
    }
}

/// Refuses probes that call a program their image does not have.
fn check_probes(services: &[Service], diagnostics: &mut Diagnostics) {
    for service in services {
        let (Some(health), image) = (
            &service.health,
            match service.role {
                ServiceRole::App => &images::BUN_SLIM,
                ServiceRole::Backing(t) => image_of(t),
            },
        ) else {
            continue;
        };
        if !image.has(health.probe.program()) {
            diagnostics.push(
                Diagnostic::new(
                    Code::ImageProbeMissing,
                    format!(
                        "the probe of {} runs `{}`, which {} does not have",
                        service.name,
                        health.probe.program(),
                        image.reference
                    ),
                )
                .help(
                    "this is a bug in specdeploy; please report it with the specs that caused it",
                ),
            );
        }
    }
}

fn check_ports(services: &[Service], input: &Input<'_>, diagnostics: &mut Diagnostics) {
    let mut taken: BTreeMap<u16, &str> = BTreeMap::new();
    for service in services {
        for port in service.ports.iter().filter_map(|p| p.host) {
            if let Some(first) = taken.insert(port, &service.name) {
                let mut d = Diagnostic::new(
                    Code::PortClash,
                    format!(
                        "{} and {} both publish host port {port}",
                        first, service.name
                    ),
                )
                .help("declare another port for the app: `app NAME { port 3001 }`");
                if let Some(declared) = &input.specs.app.port {
                    d = d.at(declared.span, "declared here");
                }
                diagnostics.push(d);
            }
        }
    }
}

/// Orders services so every service comes after those it depends on.
fn start_order(services: Vec<Service>, diagnostics: &mut Diagnostics) -> Option<Vec<Service>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..services.len()).map(|i| graph.add_node(i)).collect();
    let index: BTreeMap<&str, NodeIndex> = services
        .iter()
        .zip(&nodes)
        .map(|(s, n)| (s.name.as_str(), *n))
        .collect();
    for (service, &node) in services.iter().zip(&nodes) {
        for dependency in &service.depends_on {
            if let Some(&target) = index.get(dependency.as_str()) {
                graph.add_edge(target, node, ());
            }
        }
    }
    if let Ok(order) = toposort(&graph, None) {
        let mut slots: Vec<Option<Service>> = services.into_iter().map(Some).collect();
        return Some(
            order
                .into_iter()
                .filter_map(|n| slots.get_mut(graph[n]).and_then(Option::take))
                .collect(),
        );
    }
    for component in tarjan_scc(&graph).into_iter().filter(|c| c.len() > 1) {
        let mut names: Vec<&str> = component
            .iter()
            .map(|n| services[graph[*n]].name.as_str())
            .collect();
        names.reverse();
        let first = names.first().copied().unwrap_or_default();
        let path = format!("{} -> {first}", names.join(" -> "));
        diagnostics.push(
            Diagnostic::new(
                Code::ServiceCycle,
                format!("services depend on each other in a cycle: {path}"),
            )
            .help("break the cycle: one of these services must be able to start without the other"),
        );
    }
    None
}

// Shutdown must finish inside the grace period Compose and Kubernetes give: checked when
// specdeploy is compiled.
const _: () =
    assert!(DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + CHECK_TIMEOUT_MS < WEB_GRACE_SECONDS * 1000);
