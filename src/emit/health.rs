//! The app's health endpoints, for web services: `src/health.ts` (one check per dependency,
//! a shutdown path that fails readiness first, then drains) and `src/api/health.ts` (Hono
//! routes for liveness, readiness and the full report).

use serde::Serialize;

use super::{Artifact, HEADER, Root, render, verbatim};
use crate::diagnostic::Diagnostics;
use crate::ir::{Ir, Technology};
use crate::model::{Archetype, NeedKind};
use crate::passes::services::{
    CHECK_TIMEOUT_MS, DRAIN_DELAY_MS, HEALTH_PATH, LIVENESS_PATH, READINESS_PATH,
    SHUTDOWN_TIMEOUT_MS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_relative_to_the_entry_point() {
        assert_eq!(import_from("src/index.ts"), "./api/health");
        assert_eq!(import_from("src/server/main.ts"), "../api/health");
        assert_eq!(import_from("index.ts"), "./src/api/health");
        assert_eq!(import_from("app/main.ts"), "../src/api/health");
    }

    #[test]
    fn mounting_is_recognised() {
        assert!(mounts_routes(
            "import { health } from \"./api/health\";\napp.route(\"/\", health);"
        ));
        assert!(!mounts_routes("const app = new Hono();"));
    }
}

#[derive(Serialize)]
struct Check {
    name: String,
    kind: &'static str,
    variable: String,
    required: bool,
    default_port: u16,
}

#[derive(Serialize)]
struct HealthContext {
    header: minijinja::Value,
    app: minijinja::Value,
    check_timeout_ms: u32,
    drain_delay_ms: u32,
    shutdown_timeout_ms: u32,
    checks: Vec<Check>,
}

#[derive(Serialize)]
struct RoutesContext {
    header: minijinja::Value,
    app: minijinja::Value,
    live_path: &'static str,
    ready_path: &'static str,
    health_path: &'static str,
}

/// Whether entry-point source `text` mounts the generated routes: it imports them from
/// `api/health` and passes them to `route`.
#[must_use]
pub fn mounts_routes(text: &str) -> bool {
    text.contains("api/health") && text.contains(".route(") && text.contains("health")
}

/// The import specifier of `src/api/health.ts` as seen from the entry point `entry`.
#[must_use]
pub fn import_from(entry: &str) -> String {
    let parts: Vec<&str> = entry.split('/').collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let up = |levels: usize| {
        if levels == 0 {
            "./".to_owned()
        } else {
            "../".repeat(levels)
        }
    };
    if dirs.first() == Some(&"src") {
        format!("{}api/health", up(dirs.len() - 1))
    } else {
        format!("{}src/api/health", up(dirs.len()))
    }
}

/// The checks the IR calls for, one per dependency, in a stable order.
fn checks(ir: &Ir) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    // The names so far, as a set: an app can call thousands of APIs.
    let mut named = rustc_hash::FxHashSet::default();
    let mut add = |check: Check| {
        if named.insert(check.name.clone()) {
            checks.push(check);
        }
    };
    for need in &ir.needs {
        let (name, kind, variable, default_port) = match need.technology {
            Technology::Postgres => (
                "postgres".to_owned(),
                "postgres",
                "DATABASE_URL".to_owned(),
                5432,
            ),
            Technology::Redis | Technology::RedisStreams => {
                ("redis".to_owned(), "redis", "REDIS_URL".to_owned(), 6379)
            }
            Technology::Kafka => ("kafka".to_owned(), "tcp", "KAFKA_BROKERS".to_owned(), 9092),
            Technology::RabbitMq => ("rabbitmq".to_owned(), "tcp", "AMQP_URL".to_owned(), 5672),
            Technology::Nats => ("nats".to_owned(), "tcp", "NATS_URL".to_owned(), 4222),
            Technology::S3 => (
                "object-storage".to_owned(),
                "http",
                "AWS_ENDPOINT_URL_S3".to_owned(),
                443,
            ),
            Technology::Http => {
                let name = need.name().unwrap_or("external").to_owned();
                let prefix = crate::passes::config::variable_prefix(&name);
                let variable = need
                    .url_variable
                    .clone()
                    .unwrap_or_else(|| format!("{prefix}_URL"));
                (name, "http", variable, 443)
            }
        };
        let required = need.kind != NeedKind::ExternalApi || need.required;
        add(Check {
            name,
            kind,
            variable,
            required,
            default_port,
        });
    }
    checks
}

/// Renders the health code of a web service; other archetypes get none.
pub fn emit(ir: &Ir, diagnostics: &mut Diagnostics) -> Vec<Artifact> {
    if ir.app.archetype != Archetype::WebService {
        return Vec::new();
    }
    let header = verbatim(HEADER.to_owned());
    let app = verbatim(super::escape::comment(&ir.app.name));
    let checks = checks(ir);
    let count = checks.len();
    let mut artifacts = Vec::new();
    let health = HealthContext {
        header: header.clone(),
        app: app.clone(),
        check_timeout_ms: CHECK_TIMEOUT_MS,
        drain_delay_ms: DRAIN_DELAY_MS,
        shutdown_timeout_ms: SHUTDOWN_TIMEOUT_MS,
        checks,
    };
    if let Some(contents) = render("health.ts.j2", health, diagnostics) {
        artifacts.push(Artifact {
            path: "src/health.ts".to_owned(),
            root: Root::App,
            purpose: format!(
                "{count} dependency check{} and the shutdown path that drains before exit",
                if count == 1 { "" } else { "s" }
            ),
            contents,
        });
    }
    let routes = RoutesContext {
        header,
        app,
        live_path: LIVENESS_PATH,
        ready_path: READINESS_PATH,
        health_path: HEALTH_PATH,
    };
    if let Some(contents) = render("api-health.ts.j2", routes, diagnostics) {
        artifacts.push(Artifact {
            path: "src/api/health.ts".to_owned(),
            root: Root::App,
            purpose: format!("Hono routes {LIVENESS_PATH}, {READINESS_PATH} and {HEALTH_PATH}"),
            contents,
        });
    }
    artifacts
}
