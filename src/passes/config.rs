//! Every environment variable of the deployment: what the app reads, what its backing
//! services need, which are secrets, and which assertions require each.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Need, Provenance, Technology, ValuePart, Variable};
use crate::model::{Archetype, NeedKind};
use crate::passes::rules::JWT_PHRASES;
use crate::passes::words;

/// Service name of each backing technology, which is also its host name in Compose.
#[must_use]
pub fn service_name(technology: Technology) -> &'static str {
    match technology {
        Technology::Postgres => "postgres",
        Technology::Redis | Technology::RedisStreams => "redis",
        Technology::Kafka => "kafka",
        Technology::RabbitMq => "rabbitmq",
        Technology::Nats => "nats",
        Technology::S3 => "minio",
        Technology::Http => "external",
    }
}

/// An upper-case variable prefix for an API name (`payment-gateway` gives `PAYMENT_GATEWAY`).
#[must_use]
pub fn variable_prefix(name: &str) -> String {
    let prefix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if prefix.starts_with(|c: char| c.is_ascii_digit()) {
        format!("API_{prefix}")
    } else {
        prefix
    }
}

/// A database role and database name derived from the app's name.
#[must_use]
pub fn database_identifier(app: &str) -> String {
    let ident: String = app
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if ident.starts_with(|c: char| c.is_ascii_alphabetic()) {
        ident
    } else {
        format!("app_{ident}")
    }
}

/// Variables as they are gathered, by name.
#[derive(Default)]
struct Variables {
    by_name: BTreeMap<String, Variable>,
    clashes: Vec<Clash>,
}

/// One variable name claimed for two roles (an API's URL and another API's key, say).
struct Clash {
    name: String,
    first: String,
    second: String,
    span: Option<crate::source::Span>,
}

/// How a variable is set.
enum Value {
    /// The user sets it; `Some` gives a safe default.
    User(Option<String>),
    /// The user sets it; it is a secret with no default.
    Secret,
    /// Compose builds it from these parts.
    Built(Vec<ValuePart>),
}

struct Spec<'a> {
    name: &'a str,
    value: Value,
    group: &'a str,
    for_app: bool,
    description: &'a str,
}

impl Variables {
    fn add(&mut self, spec: Spec<'_>, provenance: &[Provenance]) {
        let secret = matches!(spec.value, Value::Secret);
        let entry = self.by_name.entry(spec.name.to_owned()).or_insert_with(|| {
            let (secret, default, user_supplied, compose_value) = match spec.value {
                Value::User(default) => (false, default, true, None),
                Value::Secret => (true, None, true, None),
                Value::Built(parts) => {
                    let secret = parts.iter().any(|p| matches!(p, ValuePart::Var(v) if v.ends_with("PASSWORD") || v.ends_with("SECRET_ACCESS_KEY")));
                    (secret, None, false, Some(parts))
                }
            };
            Variable {
                name: spec.name.to_owned(),
                secret,
                default,
                description: spec.description.to_owned(),
                group: spec.group.to_owned(),
                user_supplied,
                compose_value,
                for_app: spec.for_app,
                provenance: Vec::new(),
            }
        });
        if entry.group != spec.group || (entry.user_supplied && entry.secret != secret) {
            self.clashes.push(Clash {
                name: spec.name.to_owned(),
                first: entry.group.clone(),
                second: spec.group.to_owned(),
                span: provenance.iter().find_map(|p| p.span),
            });
        }
        entry.for_app |= spec.for_app;
        crate::ir::add_provenance(&mut entry.provenance, provenance);
    }
}

fn text(s: &str) -> ValuePart {
    ValuePart::Text(s.to_owned())
}

fn var(s: &str) -> ValuePart {
    ValuePart::Var(s.to_owned())
}

/// Sets `draft.variables`.
pub fn run(input: &Input<'_>, draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let Some(app) = &draft.app else {
        return;
    };
    if app.archetype == Archetype::Library {
        return;
    }
    let mut vars = Variables::default();
    let app_group = app.name.clone();
    let ident = database_identifier(&app.name);

    vars.add(
        Spec {
            name: "NODE_ENV",
            value: Value::Built(vec![text("production")]),
            group: &app_group,
            for_app: true,
            description: "Runtime mode; production turns off development behaviour in libraries.",
        },
        &[],
    );
    if let Some(port) = app.port {
        vars.add(
            Spec {
                name: "PORT",
                value: Value::Built(vec![text(&port.to_string())]),
                group: &app_group,
                for_app: true,
                description: "The port the app listens on inside its container.",
            },
            std::slice::from_ref(&app.archetype_provenance),
        );
    }

    for need in &draft.needs {
        need_variables(need, &ident, &mut vars);
    }
    jwt_secret(input, &app_group, &mut vars);
    declared(input, &app_group, &mut vars, diagnostics);
    for clash in std::mem::take(&mut vars.clashes) {
        let message = if clash.first == clash.second {
            format!(
                "{} is both a setting and a secret of {}, so one would read the other's value",
                clash.name, clash.first
            )
        } else {
            format!(
                "{} is claimed by both {} and {}, so one would read the other's value",
                clash.name, clash.first, clash.second
            )
        };
        let mut d = Diagnostic::new(Code::DuplicateVariable, message)
        .help("give each URL and key its own variable (`needs api NAME with url NAME_URL and key NAME_API_KEY`)");
        if let Some(span) = clash.span {
            d = d.at(span, "claimed here");
        }
        diagnostics.push(d);
    }
    draft.variables = vars.by_name.into_values().collect();
    draft.variables.sort_by(|a, b| {
        (a.group != app_group, &a.group, &a.name).cmp(&(b.group != app_group, &b.group, &b.name))
    });
}

fn need_variables(need: &Need, ident: &str, vars: &mut Variables) {
    let p = &need.provenance;
    let group = service_name(need.technology);
    match need.technology {
        Technology::Postgres => {
            vars.add(
                Spec {
                    name: "POSTGRES_USER",
                    value: Value::User(Some(ident.to_owned())),
                    group,
                    for_app: false,
                    description: "Role the app connects as.",
                },
                p,
            );
            vars.add(
                Spec {
                    name: "POSTGRES_DB",
                    value: Value::User(Some(ident.to_owned())),
                    group,
                    for_app: false,
                    description: "Database the app uses.",
                },
                p,
            );
            vars.add(Spec { name: "POSTGRES_PASSWORD", value: Value::Secret, group, for_app: false, description: "Password of the role; letters and digits only, since it is placed in DATABASE_URL." }, p);
            vars.add(
                Spec {
                    name: "DATABASE_URL",
                    value: Value::Built(vec![text("postgres://"), var("POSTGRES_USER"), text(":"), var("POSTGRES_PASSWORD"), text("@postgres:5432/"), var("POSTGRES_DB")]),
                    group,
                    for_app: true,
                    description: "Connection URL of the database; Compose builds it from the POSTGRES_ settings.",
                },
                p,
            );
        }
        Technology::Redis | Technology::RedisStreams => {
            vars.add(Spec { name: "REDIS_PASSWORD", value: Value::Secret, group, for_app: false, description: "Password Redis requires; letters and digits only, since it is placed in REDIS_URL." }, p);
            vars.add(
                Spec {
                    name: "REDIS_URL",
                    value: Value::Built(vec![
                        text("redis://:"),
                        var("REDIS_PASSWORD"),
                        text("@redis:6379/0"),
                    ]),
                    group,
                    for_app: true,
                    description: "Connection URL of Redis; Compose builds it from REDIS_PASSWORD.",
                },
                p,
            );
        }
        Technology::Kafka => {
            vars.add(
                Spec {
                    name: "KAFKA_BROKERS",
                    value: Value::Built(vec![text("kafka:9092")]),
                    group,
                    for_app: true,
                    description: "Comma-separated Kafka bootstrap servers.",
                },
                p,
            );
        }
        Technology::RabbitMq => {
            vars.add(
                Spec {
                    name: "RABBITMQ_USER",
                    value: Value::User(Some(ident.to_owned())),
                    group,
                    for_app: false,
                    description: "RabbitMQ user the app connects as.",
                },
                p,
            );
            vars.add(Spec { name: "RABBITMQ_PASSWORD", value: Value::Secret, group, for_app: false, description: "Password of that user; letters and digits only, since it is placed in AMQP_URL." }, p);
            vars.add(
                Spec {
                    name: "AMQP_URL",
                    value: Value::Built(vec![text("amqp://"), var("RABBITMQ_USER"), text(":"), var("RABBITMQ_PASSWORD"), text("@rabbitmq:5672")]),
                    group,
                    for_app: true,
                    description: "Connection URL of RabbitMQ; Compose builds it from the RABBITMQ_ settings.",
                },
                p,
            );
        }
        Technology::Nats => {
            vars.add(
                Spec {
                    name: "NATS_URL",
                    value: Value::Built(vec![text("nats://nats:4222")]),
                    group,
                    for_app: true,
                    description: "URL of the NATS server.",
                },
                p,
            );
        }
        Technology::S3 => {
            let bucket = need
                .names
                .first()
                .cloned()
                .unwrap_or_else(|| ident.replace('_', "-"));
            vars.add(
                Spec {
                    name: "S3_BUCKET",
                    value: Value::User(Some(bucket)),
                    group,
                    for_app: true,
                    description: "Bucket the app reads and writes; create it once before the first run (locally: `mc mb` in the minio container).",
                },
                p,
            );
            vars.add(
                Spec {
                    name: "AWS_REGION",
                    value: Value::User(Some("us-east-1".to_owned())),
                    group,
                    for_app: true,
                    description: "Region of the bucket.",
                },
                p,
            );
            vars.add(Spec { name: "AWS_ACCESS_KEY_ID", value: Value::Secret, group, for_app: true, description: "Access key id; locally, also MinIO's root user (at least 3 characters)." }, p);
            vars.add(Spec { name: "AWS_SECRET_ACCESS_KEY", value: Value::Secret, group, for_app: true, description: "Secret access key; locally, also MinIO's root password (at least 8 characters)." }, p);
            vars.add(
                Spec {
                    name: "AWS_ENDPOINT_URL_S3",
                    value: Value::Built(vec![text("http://minio:9000")]),
                    group,
                    for_app: true,
                    description: "S3 endpoint; Compose points it at the local MinIO.",
                },
                p,
            );
        }
        Technology::Http => {
            let name = need.name().unwrap_or("external");
            let prefix = variable_prefix(name);
            let declared = need.provenance.iter().any(|p| p.rule == "explicit");
            let url = need
                .url_variable
                .clone()
                .unwrap_or_else(|| format!("{prefix}_URL"));
            // A declaration that names the URL variable and no key declares a keyless API.
            let key = match (&need.key_variable, &need.url_variable) {
                (Some(key), _) => Some(key.clone()),
                (None, Some(_)) if declared => None,
                (None, _) => Some(format!("{prefix}_API_KEY")),
            };
            let url_doc = format!("Base URL of the {name} API.");
            let key_doc = format!("Key for the {name} API.");
            vars.add(
                Spec {
                    name: &url,
                    value: Value::User(None),
                    group: name,
                    for_app: true,
                    description: &url_doc,
                },
                p,
            );
            if let Some(key) = key {
                vars.add(
                    Spec {
                        name: &key,
                        value: Value::Secret,
                        group: name,
                        for_app: true,
                        description: &key_doc,
                    },
                    p,
                );
            }
        }
    }
}

/// A JWT signing secret, when the specs speak of JSON Web Tokens.
fn jwt_secret(input: &Input<'_>, group: &str, vars: &mut Variables) {
    let mut provenance = Vec::new();
    let context = &input.specs.context;
    let mut consider =
        |assertion: Option<&str>,
         field: &'static str,
         value: &crate::source::Located<crate::source::Text>| {
            if !words::may_hold(&value.value, JWT_PHRASES) {
                return;
            }
            // One split of the text serves every phrase.
            let words = words::split(&value.value);
            let found = JWT_PHRASES
                .iter()
                .any(|phrase| words::find(&words, phrase).is_some());
            if found {
                provenance.push(Provenance {
                    rule: "secret.jwt",
                    assertion: assertion.map(Arc::from),
                    field,
                    matched: value.value.as_str().into(),
                    span: Some(value.span),
                });
            }
        };
    for boundary in &context.boundaries {
        consider(None, "boundaries", boundary);
    }
    for assertion in input
        .specs
        .assertions
        .iter()
        .filter(|a| a.status.value.shapes_deployment())
    {
        consider(Some(&assertion.id.value), "natural", &assertion.natural);
    }
    if !provenance.is_empty() {
        vars.add(
            Spec {
                name: "JWT_SECRET",
                value: Value::Secret,
                group,
                for_app: true,
                description: "Key that signs and checks JSON Web Tokens; at least 32 random bytes.",
            },
            &provenance,
        );
    }
}

fn declared(input: &Input<'_>, group: &str, vars: &mut Variables, diagnostics: &mut Diagnostics) {
    for decl in &input.specs.variables {
        let provenance: Vec<Provenance> = std::iter::once(None)
            .chain(decl.because.iter().map(Some))
            .filter(|a| decl.because.is_empty() || a.is_some())
            .map(|a| Provenance {
                rule: "explicit",
                assertion: a.map(|a| a.value.as_str().into()),
                field: if decl.secret {
                    "secret declaration"
                } else {
                    "config declaration"
                },
                matched: decl.name.value.as_str().into(),
                span: Some(decl.span),
            })
            .collect();
        if let Some(default) = &decl.default {
            if let Err(e) = crate::emit::escape::dotenv(&decl.name.value, &default.value) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnsafeValue,
                        format!(
                            "the default of {} cannot be written to .env.example",
                            decl.name.value
                        ),
                    )
                    .at(default.span, e.reason)
                    .help("write the default on one line, without control characters"),
                );
                continue;
            }
        }
        if let Some(existing) = vars.by_name.get_mut(decl.name.value.as_str()) {
            // A declaration refines a variable a need brought: its default and description
            // win, its reasons are added.
            if existing.user_supplied && !existing.secret && !decl.secret {
                if let Some(default) = &decl.default {
                    existing.default = Some(default.value.to_string());
                }
                if let Some(description) = &decl.description {
                    existing.description = description.value.to_string();
                }
                existing.provenance.extend(provenance);
                continue;
            }
            if existing.compose_value.is_some() || existing.secret != decl.secret {
                let why = if existing.compose_value.is_some() {
                    "is set by specdeploy (Compose builds it)"
                } else if existing.secret {
                    "is a secret already (a need requires it), so it cannot be plain config"
                } else {
                    "is plain config already, so it cannot be a secret"
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateVariable,
                        format!("{} {why}", decl.name.value),
                    )
                    .at(decl.name.span, "declared here")
                    .help("remove the declaration, or give the variable another name"),
                );
                continue;
            }
        }
        let description = decl.description.as_ref().map_or_else(
            || {
                if decl.secret {
                    "Secret declared in the specs."
                } else {
                    "Setting declared in the specs."
                }
                .to_owned()
            },
            |d| d.value.to_string(),
        );
        let value = if decl.secret {
            Value::Secret
        } else {
            Value::User(decl.default.as_ref().map(|d| d.value.to_string()))
        };
        vars.add(
            Spec {
                name: &decl.name.value,
                value,
                group,
                for_app: true,
                description: &description,
            },
            &provenance,
        );
    }
}

/// Whether any need of `kind` exists.
#[must_use]
pub fn has_need(needs: &[Need], kind: NeedKind) -> bool {
    needs.iter().any(|n| n.kind == kind)
}
