//! Where each variable of a container comes from on Kubernetes: the `ConfigMap` holds what
//! specdeploy knows (defaults and fixed values), the Secret what the operator supplies
//! (secrets, required settings that have no default, and in `overlays/prod` the whole
//! connection URLs of managed services). In `overlays/dev` connection URLs are built from
//! the in-cluster services' settings with `$(NAME)`, as Compose builds them with `${NAME}`.

use super::Names;
use super::yaml::Yaml;
use crate::emit::escape;
use crate::ir::{Ir, Service, ServiceRole, ValuePart, Variable};
use rustc_hash::FxHashSet;

/// A `configMapKeyRef` or `secretKeyRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    /// The `ConfigMap` or Secret.
    pub name: String,
    /// The key in it.
    pub key: String,
}

/// One entry of a container's `env`: exactly one of the three sources is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name.
    pub name: String,
    /// A literal value, already escaped against `$(NAME)` expansion, or a value built from
    /// the variables before it with `$(NAME)`.
    pub value: Option<String>,
    /// A key of the app's `ConfigMap`.
    pub config_map: Option<KeyRef>,
    /// A key of the app's Secret.
    pub secret: Option<KeyRef>,
}

impl EnvVar {
    /// A literal value, escaped against `$(NAME)` expansion.
    #[must_use]
    pub fn literal(name: &str, text: &str) -> Self {
        Self::built(name, escape::kubernetes_literal(text))
    }

    fn built(name: &str, value: String) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(value),
            config_map: None,
            secret: None,
        }
    }

    fn config(name: &str, names: &Names) -> Self {
        Self {
            name: name.to_owned(),
            value: None,
            config_map: Some(KeyRef {
                name: names.config.clone(),
                key: name.to_owned(),
            }),
            secret: None,
        }
    }

    fn secret(name: &str, key: &str, names: &Names) -> Self {
        Self {
            name: name.to_owned(),
            value: None,
            config_map: None,
            secret: Some(KeyRef {
                name: names.secret.clone(),
                key: key.to_owned(),
            }),
        }
    }
}

/// `env` as the items of a container's `env` list.
pub fn write(y: &mut Yaml, env: &[EnvVar]) {
    for e in env {
        y.item(|y| {
            y.text("name", &e.name);
            let (source, key_ref) = match (&e.value, &e.config_map, &e.secret) {
                (Some(value), _, _) => return y.text("value", value),
                (None, Some(key_ref), _) => ("configMapKeyRef", key_ref),
                (None, None, Some(key_ref)) => ("secretKeyRef", key_ref),
                (None, None, None) => return,
            };
            y.block("valueFrom", |y| {
                y.block(source, |y| {
                    y.text("name", &key_ref.name);
                    y.text("key", &key_ref.key);
                });
            });
        });
    }
}

/// Where a variable of the app comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The `ConfigMap`, with this value.
    Config(String),
    /// The Secret: a secret, or a setting the operator must supply.
    Secret,
    /// A connection to a backing service: the Secret in `overlays/prod`, built from the
    /// in-cluster service's settings in `overlays/dev`.
    Connection,
}

fn text_of(parts: &[ValuePart]) -> Option<String> {
    parts
        .iter()
        .map(|p| match p {
            ValuePart::Text(t) => Some(t.as_str()),
            ValuePart::Var(_) => None,
        })
        .collect()
}

/// Where `variable` comes from.
#[must_use]
pub fn source(variable: &Variable, ir: &Ir) -> Source {
    if let Some(parts) = &variable.compose_value {
        let backing = ir
            .services
            .iter()
            .any(|s| s.role != ServiceRole::App && s.name == variable.group);
        return match text_of(parts) {
            Some(text) if !backing => Source::Config(text),
            _ => Source::Connection,
        };
    }
    match (&variable.default, variable.secret) {
        (Some(default), false) => Source::Config(default.clone()),
        _ => Source::Secret,
    }
}

/// The app's variables in the order the app's service lists them, as Compose does.
pub fn app_variables<'a>(ir: &'a Ir, service: &'a Service) -> impl Iterator<Item = &'a Variable> {
    service
        .environment
        .iter()
        .filter_map(move |name| ir.variable(name))
}

/// The app's connections to backing services, in the app's order.
#[must_use]
pub fn connections<'a>(ir: &'a Ir, service: &'a Service) -> Vec<&'a str> {
    app_variables(ir, service)
        .filter(|v| source(v, ir) == Source::Connection)
        .map(|v| v.name.as_str())
        .collect()
}

/// The app's environment in `base/`: the `ConfigMap` and the Secret, nothing else.
#[must_use]
pub fn base(ir: &Ir, service: &Service, names: &Names) -> Vec<EnvVar> {
    app_variables(ir, service)
        .map(|v| match source(v, ir) {
            Source::Config(_) => EnvVar::config(&v.name, names),
            Source::Secret | Source::Connection => EnvVar::secret(&v.name, &v.name, names),
        })
        .collect()
}

/// The app's environment in `overlays/dev`: connections are built for the in-cluster
/// services, each after the variables it refers to.
#[must_use]
pub fn dev(ir: &Ir, service: &Service, names: &Names) -> Vec<EnvVar> {
    let mut env = Env::default();
    for variable in app_variables(ir, service) {
        let entry = match (source(variable, ir), &variable.compose_value) {
            (Source::Connection, Some(parts)) => built(&variable.name, parts, ir, names, &mut env),
            (Source::Config(_), _) => EnvVar::config(&variable.name, names),
            _ => EnvVar::secret(&variable.name, &variable.name, names),
        };
        env.push_new(entry);
    }
    env.list
}

/// The environment of a backing service's container in `overlays/dev`, from its Compose
/// settings.
#[must_use]
pub fn settings(ir: &Ir, service: &Service, names: &Names) -> Vec<EnvVar> {
    let mut env = Env::default();
    for (name, parts) in &service.settings {
        let entry = built(name, parts, ir, names, &mut env);
        env.push_new(entry);
    }
    env.list
}

/// A container's environment as it is put together, with the names it holds: an app can
/// have thousands of variables.
#[derive(Default)]
struct Env {
    list: Vec<EnvVar>,
    names: FxHashSet<String>,
}

impl Env {
    /// Adds `entry` unless a variable of its name is there already.
    fn push_new(&mut self, entry: EnvVar) {
        if self.names.insert(entry.name.clone()) {
            self.list.push(entry);
        }
    }
}

/// How the dev overlay passes on the variable `name` that a built value refers to.
fn reference(as_name: &str, name: &str, ir: &Ir, names: &Names) -> EnvVar {
    match ir.variable(name) {
        Some(v) if v.user_supplied && !v.secret => match &v.default {
            Some(default) => EnvVar::literal(as_name, default),
            None => EnvVar::secret(as_name, name, names),
        },
        Some(v) if !v.user_supplied => match v.compose_value.as_deref().and_then(text_of) {
            Some(text) => EnvVar::literal(as_name, &text),
            None => EnvVar::secret(as_name, name, names),
        },
        _ => EnvVar::secret(as_name, name, names),
    }
}

/// The entry for `name` built from `parts`: a single reference passes its source on; a
/// mix of text and references becomes a `$(NAME)` value, with each referenced variable added
/// to `env` first, since Kubernetes expands only the variables listed before.
fn built(name: &str, parts: &[ValuePart], ir: &Ir, names: &Names, env: &mut Env) -> EnvVar {
    if let [ValuePart::Var(only)] = parts {
        return reference(name, only, ir, names);
    }
    let mut value = String::new();
    for part in parts {
        match part {
            ValuePart::Text(text) => value.push_str(&escape::kubernetes_literal(text)),
            ValuePart::Var(referred) => {
                env.push_new(reference(referred, referred, ir, names));
                value.push_str("$(");
                value.push_str(referred);
                value.push(')');
            }
        }
    }
    EnvVar::built(name, value)
}
