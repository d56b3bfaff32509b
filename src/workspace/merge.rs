//! One deployment for every app of the workspace: each app's service renamed to its
//! workspace name, backing services shared as the graph decides, one database and role per
//! app on a shared PostgreSQL, one Redis database per app on a shared Redis, calls between
//! apps as URLs on the Compose network, and the env file's variables made unique.
//!
//! Variables an app alone reads are prefixed with its name and two underscores in the env
//! file (`STOREFRONT_API__JWT_SECRET`), while its container still receives them by their own
//! name (`JWT_SECRET`). Service names hold no `__`, so two prefixed names never meet, and the
//! shared servers' variables (`POSTGRES_PASSWORD`, `REDIS_PASSWORD`) hold none either.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::graph::Graph;
use crate::emit::postgres_init::AppDatabase;
use crate::ir::{
    Ir, Port, Provenance, Service, ServiceRole, Technology, ValuePart, Variable, Volume,
};
use crate::passes::config::{database_identifier, service_name, variable_prefix};

/// Where the generated script that creates each app's role and database goes, relative to the
/// workspace's output folder: a file at the top, beside `compose.yaml`, so it can never land
/// inside an app's folder (and its build context), whatever the apps' folders are called.
pub const POSTGRES_INIT_PATH: &str = "postgres-init.sh";

/// Redis serves this many numbered databases unless told otherwise.
const REDIS_DEFAULT_DATABASES: usize = 16;

/// What one app brings to the deployment.
#[derive(Clone, Copy, Debug)]
pub struct MemberDeploy<'a> {
    /// Its service name.
    pub service: &'a str,
    /// Its IR.
    pub ir: &'a Ir,
    /// Its host port, when it publishes one.
    pub host_port: Option<u16>,
}

/// A service of the workspace deployment.
#[derive(Clone, Debug)]
pub struct Deployed {
    /// The service.
    pub service: Service,
    /// The member it runs, for an app.
    pub member: Option<usize>,
    /// For an app: the variables its container receives, each built from the env file's.
    pub variables: Vec<Variable>,
}

/// The merged deployment.
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// Services in start order: backing services first, then apps, each after those it calls.
    pub services: Vec<Deployed>,
    /// The env file's variables: each app's in start order, then the shared servers'.
    pub env: Vec<Variable>,
    /// Roles and databases the shared PostgreSQL creates on its first start.
    pub databases: Vec<AppDatabase>,
    /// The Redis database number each app uses on the shared Redis, by service name.
    pub redis_databases: BTreeMap<String, usize>,
}

fn text(s: &str) -> ValuePart {
    ValuePart::Text(s.to_owned())
}

fn var(s: &str) -> ValuePart {
    ValuePart::Var(s.to_owned())
}

/// The env file's section for a variable of an app: the app's, or the app's API's.
fn group(service: &str, app: &str, group: &str) -> String {
    if group == app {
        service.to_owned()
    } else {
        format!("{service}: {group}")
    }
}

/// The env file's name for a variable only `service` reads.
#[must_use]
pub fn scoped(service: &str, name: &str) -> String {
    format!("{}__{name}", variable_prefix(service))
}

/// Provenance for a shared service, each assertion named with the app it belongs to, so the
/// comment in `compose.yaml` says which app asked for what.
fn owned(service: &str, provenance: &[Provenance]) -> Vec<Provenance> {
    provenance
        .iter()
        .map(|p| Provenance {
            assertion: p
                .assertion
                .as_ref()
                .map(|a| format!("{a} ({service})").into()),
            span: None,
            ..p.clone()
        })
        .collect()
}

fn env_variable(
    name: String,
    secret: bool,
    default: Option<String>,
    group: &str,
    description: String,
) -> Variable {
    Variable {
        name,
        secret,
        default,
        description,
        group: group.to_owned(),
        user_supplied: true,
        compose_value: None,
        for_app: false,
        provenance: Vec::new(),
    }
}

/// Builds the deployment of `members` in the graph's start order.
#[must_use]
pub fn deploy(members: &[MemberDeploy<'_>], graph: &Graph, registry: Option<&str>) -> Deployment {
    let mut deployment = Deployment::default();
    let mut backing: BTreeMap<String, Deployed> = BTreeMap::new();
    let mut backing_order: Vec<String> = Vec::new();
    let mut shared_env: BTreeMap<String, Variable> = BTreeMap::new();
    let mut app_env: Vec<Variable> = Vec::new();
    let mut apps: Vec<Deployed> = Vec::new();

    for &i in &graph.start_order {
        let Some(m) = members.get(i) else { continue };
        let first_of_app = app_env.len();
        let ir = m.ir;
        let backing_of = &graph.backing_of[i];
        let postgres_host = backing_of.get("postgres").cloned();
        let redis_host = backing_of.get("redis").cloned();
        let own = |kind: &str| backing_of.get(kind).is_some_and(|n| n != kind);
        let password = scoped(m.service, "POSTGRES_PASSWORD");
        let redis_password = if own("redis") {
            scoped(m.service, "REDIS_PASSWORD")
        } else {
            "REDIS_PASSWORD".to_owned()
        };
        let ident = database_identifier(m.service);
        let redis_db = match &redis_host {
            Some(_) if !own("redis") => {
                let n = deployment.redis_databases.len();
                deployment.redis_databases.insert(m.service.to_owned(), n);
                n
            }
            _ => 0,
        };

        // The backing services this app uses, created by the first app that needs each.
        for service in ir.services.iter().filter(|s| s.role != ServiceRole::App) {
            let ServiceRole::Backing(technology) = service.role else {
                continue;
            };
            let kind = service_name(technology);
            let name = backing_of
                .get(kind)
                .cloned()
                .unwrap_or_else(|| kind.to_owned());
            let entry = backing.entry(name.clone()).or_insert_with(|| {
                backing_order.push(name.clone());
                let mut s = service.clone();
                s.name.clone_from(&name);
                s.provenance = Vec::new();
                s.volumes = s
                    .volumes
                    .iter()
                    .map(|v| Volume {
                        name: format!("{name}-data"),
                        target: v.target.clone(),
                    })
                    .collect();
                if name != kind {
                    // A server of the app's own: its settings are the app's.
                    match technology {
                        Technology::Postgres => {
                            s.settings = vec![
                                ("POSTGRES_USER".to_owned(), vec![text(&ident)]),
                                ("POSTGRES_PASSWORD".to_owned(), vec![var(&password)]),
                                ("POSTGRES_DB".to_owned(), vec![text(&ident)]),
                            ];
                        }
                        Technology::Redis | Technology::RedisStreams => {
                            s.settings = vec![
                                ("REDIS_PASSWORD".to_owned(), vec![var(&redis_password)]),
                                ("REDISCLI_AUTH".to_owned(), vec![var(&redis_password)]),
                            ];
                        }
                        _ => {}
                    }
                } else if technology == Technology::Postgres {
                    s.volumes.push(Volume {
                        name: format!("./{POSTGRES_INIT_PATH}"),
                        target: "/docker-entrypoint-initdb.d/10-app-databases.sh:ro".to_owned(),
                    });
                }
                Deployed {
                    service: s,
                    member: None,
                    variables: Vec::new(),
                }
            });
            crate::ir::add_provenance(
                &mut entry.service.provenance,
                &owned(m.service, &service.provenance),
            );
            if technology == Technology::Postgres && name == kind {
                entry
                    .service
                    .settings
                    .push((password.clone(), vec![var(&password)]));
                deployment.databases.push(AppDatabase {
                    app: m.service.to_owned(),
                    role: ident.clone(),
                    password_variable: password.clone(),
                });
            }
        }

        // Variables: the container keeps each name, the env file gets unique ones.
        let server_vars: BTreeSet<String> = ir
            .services
            .iter()
            .filter(|s| s.role != ServiceRole::App)
            .flat_map(|s| s.settings.iter().flat_map(|(_, parts)| parts.iter()))
            .filter_map(|p| match p {
                ValuePart::Var(v) => Some(v.clone()),
                ValuePart::Text(_) => None,
            })
            .collect();
        let calls: Vec<_> = graph.calls.iter().filter(|c| c.caller == i).collect();
        let dropped: BTreeSet<&str> = calls
            .iter()
            .filter_map(|c| c.derived_key.as_deref())
            .collect();
        let rename = |name: &str| -> ValuePart {
            match name {
                "POSTGRES_USER" | "POSTGRES_DB" => text(&ident),
                "POSTGRES_PASSWORD" => var(&password),
                "REDIS_PASSWORD" => var(&redis_password),
                other if server_vars.contains(other) => var(other),
                other => var(&scoped(m.service, other)),
            }
        };
        let mut variables = Vec::new();
        for v in &ir.variables {
            if dropped.contains(v.name.as_str()) {
                continue;
            }
            if !v.for_app {
                match v.name.as_str() {
                    "POSTGRES_USER" | "POSTGRES_DB" => {}
                    "POSTGRES_PASSWORD" => app_env.push(Variable {
                        provenance: v.provenance.clone(),
                        ..env_variable(
                            password.clone(),
                            true,
                            None,
                            m.service,
                            format!(
                                "Password of {}'s role {ident} on {}; letters and digits only, since it is placed in DATABASE_URL.",
                                m.service,
                                postgres_host.as_deref().unwrap_or("postgres")
                            ),
                        )
                    }),
                    "REDIS_PASSWORD" if own("redis") => app_env.push(Variable {
                        provenance: v.provenance.clone(),
                        ..env_variable(
                            redis_password.clone(),
                            true,
                            None,
                            m.service,
                            v.description.clone(),
                        )
                    }),
                    name if server_vars.contains(name) => {
                        shared_env.entry(name.to_owned()).or_insert_with(|| v.clone());
                    }
                    name => app_env.push(Variable {
                        name: scoped(m.service, name),
                        group: group(m.service, &ir.app.name, &v.group),
                        ..v.clone()
                    }),
                }
                continue;
            }
            let mut container = v.clone();
            if let Some(call) = calls.iter().find(|c| c.url_variable == v.name) {
                let callee = &members[call.callee];
                let port = callee.ir.app.port.unwrap_or(80);
                container.compose_value =
                    Some(vec![text(&format!("http://{}:{port}", callee.service))]);
                container.user_supplied = false;
                container.secret = false;
                container.description =
                    format!("URL of {} on the Compose network.", callee.service);
            } else if let Some(parts) = &v.compose_value {
                let mut rewritten = Vec::new();
                for part in parts {
                    rewritten.push(match part {
                        ValuePart::Var(name) => rename(name),
                        ValuePart::Text(t) => {
                            let mut t = t.clone();
                            if let Some(host) = &postgres_host {
                                t = t.replace("@postgres:5432/", &format!("@{host}:5432/"));
                            }
                            if let Some(host) = &redis_host {
                                t = t.replace("@redis:6379/0", &format!("@{host}:6379/{redis_db}"));
                            }
                            text(&t)
                        }
                    });
                }
                container.compose_value = Some(rewritten);
            } else if server_vars.contains(&v.name) {
                shared_env
                    .entry(v.name.clone())
                    .or_insert_with(|| v.clone());
            } else {
                let name = scoped(m.service, &v.name);
                app_env.push(Variable {
                    name: name.clone(),
                    group: group(m.service, &ir.app.name, &v.group),
                    for_app: false,
                    ..v.clone()
                });
                container.compose_value = Some(vec![var(&name)]);
            }
            variables.push(container);
        }

        // The app's own section first, then those of its APIs, as in a single app's file.
        app_env[first_of_app..].sort_by(|a, b| {
            (a.group != m.service, &a.group, &a.name).cmp(&(
                b.group != m.service,
                &b.group,
                &b.name,
            ))
        });

        // The app's own service.
        if let Some(app) = ir.app_service() {
            let mut s = app.clone();
            m.service.clone_into(&mut s.name);
            let image = format!("{}:{}", m.service, ir.app.version);
            s.image = registry.map_or_else(|| image.clone(), |r| format!("{r}/{image}"));
            // The container keeps its port; the host port is the workspace's, or none when
            // only other apps reach it.
            s.ports = app
                .ports
                .iter()
                .map(|p| Port {
                    container: p.container,
                    host: m.host_port.filter(|_| p.host.is_some()),
                })
                .collect();
            s.environment.retain(|e| !dropped.contains(e.as_str()));
            s.depends_on = app
                .depends_on
                .iter()
                .map(|d| {
                    backing_of
                        .get(d.as_str())
                        .cloned()
                        .unwrap_or_else(|| d.clone())
                })
                .collect();
            for call in &calls {
                let callee = members[call.callee].service.to_owned();
                if !s.depends_on.contains(&callee) {
                    s.depends_on.push(callee);
                }
            }
            apps.push(Deployed {
                service: s,
                member: Some(i),
                variables,
            });
        }
    }

    // The shared servers' own settings.
    if backing.contains_key("postgres") {
        shared_env.insert("POSTGRES_USER".to_owned(), env_variable("POSTGRES_USER".to_owned(), false, Some("postgres".to_owned()), "postgres", "Superuser of the shared PostgreSQL; the init script creates each app's role and database with it.".to_owned()));
        shared_env.insert(
            "POSTGRES_DB".to_owned(),
            env_variable(
                "POSTGRES_DB".to_owned(),
                false,
                Some("postgres".to_owned()),
                "postgres",
                "The superuser's own database.".to_owned(),
            ),
        );
        shared_env.insert(
            "POSTGRES_PASSWORD".to_owned(),
            env_variable(
                "POSTGRES_PASSWORD".to_owned(),
                true,
                None,
                "postgres",
                "Password of the superuser.".to_owned(),
            ),
        );
    } else {
        for name in ["POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"] {
            shared_env.remove(name);
        }
    }
    if let Some(redis) = backing.get_mut("redis") {
        let count = deployment.redis_databases.len();
        if count > REDIS_DEFAULT_DATABASES {
            if let Some(command) = redis.service.command.as_mut().and_then(|c| c.last_mut()) {
                let _ = write!(command, " --databases {count}");
            }
        }
    } else {
        shared_env.remove("REDIS_PASSWORD");
    }
    for v in shared_env.values_mut() {
        v.provenance = Vec::new();
        v.for_app = false;
    }

    deployment.services = backing_order
        .iter()
        .filter_map(|n| backing.remove(n))
        .chain(apps)
        .collect();
    let mut shared: Vec<Variable> = shared_env.into_values().collect();
    shared.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    deployment.env = app_env
        .into_iter()
        .filter(|v| v.user_supplied)
        .chain(shared)
        .collect();
    deployment
}
