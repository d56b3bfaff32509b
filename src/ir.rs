//! The deployment IR: what the app needs and how its services fit together.
//!
//! Passes in [`crate::passes`] build it in order; backends in [`crate::emit`] only read it.
//! Every need and variable carries the [`Provenance`] that caused it, so `explain` can say
//! why each line of every artifact exists.

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::model::{Archetype, NeedKind};
use crate::source::Span;

/// What made an inference fire: the assertion or field, the words, and the rule. Cheap to
/// clone: a need and each of its variables hold one for every assertion behind them, which
/// at 100,000 assertions is hundreds of thousands of copies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Id of the rule that fired (`text.postgres`), or `explicit` for a declared need.
    pub rule: &'static str,
    /// The assertion that caused it, when an assertion did.
    pub assertion: Option<Arc<str>>,
    /// The field the words were found in (`natural`, `tags`, `boundaries`,
    /// `package.json dependencies`, `need declaration`).
    pub field: &'static str,
    /// The words that fired.
    pub matched: Arc<str>,
    /// Where the words are.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// Hashes the rule, the place and the assertion, and not the words (which the place holds):
/// sets of provenances are hashed by the hundred thousand. The assertion is not implied by
/// the place: one `needs ... because` declaration is one place for every assertion it
/// names, and its provenances would all fall in one bucket of a set.
impl std::hash::Hash for Provenance {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.rule.hash(state);
        self.span.hash(state);
        self.assertion.hash(state);
    }
}

/// Appends to `into` each of `more` that it does not hold yet, in order. A need can gather
/// one provenance for each of many thousands of assertions, so the check is a hash lookup,
/// not a search of the list.
pub fn add_provenance(into: &mut Vec<Provenance>, more: &[Provenance]) {
    let fresh: Vec<&Provenance> = {
        let mut held = rustc_hash::FxHashSet::with_capacity_and_hasher(
            into.len() + more.len(),
            rustc_hash::FxBuildHasher,
        );
        held.extend(into.iter());
        more.iter().filter(|p| held.insert(*p)).collect()
    };
    into.extend(fresh.into_iter().cloned());
}

/// The technology chosen for a need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Technology {
    /// PostgreSQL.
    Postgres,
    /// Redis as a cache.
    Redis,
    /// Apache Kafka.
    Kafka,
    /// RabbitMQ.
    RabbitMq,
    /// NATS with JetStream.
    Nats,
    /// Redis streams, the default queue.
    RedisStreams,
    /// S3-compatible storage (MinIO locally).
    S3,
    /// An HTTP API reached over the network.
    Http,
}

impl Technology {
    /// Human name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Redis => "Redis",
            Self::Kafka => "Kafka",
            Self::RabbitMq => "RabbitMQ",
            Self::Nats => "NATS",
            Self::RedisStreams => "Redis streams",
            Self::S3 => "S3-compatible storage",
            Self::Http => "HTTP",
        }
    }
}

/// One thing the app needs from outside its own process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Need {
    /// What kind of thing.
    pub kind: NeedKind,
    /// The technology chosen for it.
    pub technology: Technology,
    /// For an external API, its name (`payment-gateway`); for a queue, topic or queue names
    /// seen in the specs; for object storage, bucket names.
    pub names: Vec<String>,
    /// For an external API: the app cannot serve without it, so it gates readiness.
    pub required: bool,
    /// For an external API: the variable holding its base URL, when declared.
    pub url_variable: Option<String>,
    /// For an external API: the variable holding its key, when declared.
    pub key_variable: Option<String>,
    /// Why the need exists, strongest source first.
    pub provenance: Vec<Provenance>,
}

impl Need {
    /// The external API's name, or the first name seen.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.names.first().map(String::as_str)
    }
}

/// Which service reads a variable, for grouping in `.env.example`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct VariableGroup(pub String);

/// One environment variable of the deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variable {
    /// The name (`DATABASE_URL`).
    pub name: String,
    /// Secret values are never defaulted, never in an image, required at start.
    pub secret: bool,
    /// A safe default, when one exists.
    pub default: Option<String>,
    /// What the variable is for.
    pub description: String,
    /// The service whose section of `.env.example` lists it.
    pub group: String,
    /// Whether the user sets it (`.env`), rather than Compose building it from others.
    pub user_supplied: bool,
    /// In Compose: the value the app container receives, built from other variables
    /// (`postgres://app:${POSTGRES_PASSWORD}@postgres:5432/app`), as parts so that the
    /// emitter can escape literal text and write references as interpolations.
    pub compose_value: Option<Vec<ValuePart>>,
    /// Whether the app container receives it.
    pub for_app: bool,
    /// Why it exists.
    pub provenance: Vec<Provenance>,
}

impl Variable {
    /// The ids of the assertions that need the variable, sorted, each once.
    #[must_use]
    pub fn assertion_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .provenance
            .iter()
            .filter_map(|p| p.assertion.as_deref())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// ` Needed by .` for comments, or nothing when no assertion needs it.
    #[must_use]
    pub fn needed_by(&self) -> String {
        let ids = self.assertion_ids();
        if ids.is_empty() {
            String::new()
        } else {
            format!(" Needed by {}.", ids.join(", "))
        }
    }
}

/// A piece of a value assembled in Compose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum ValuePart {
    /// Literal text.
    Text(String),
    /// A reference to a variable of the env file.
    Var(String),
}

/// How a probe runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "form", content = "command")]
pub enum Probe {
    /// A program and its arguments, run without a shell.
    Exec(Vec<String>),
    /// One command line for the image's `/bin/sh`; variables in it are the container's.
    Shell(String),
}

impl Probe {
    /// The program the probe runs first (`sh` for a shell probe).
    #[must_use]
    pub fn program(&self) -> &str {
        match self {
            Self::Exec(args) => args.first().map_or("", String::as_str),
            Self::Shell(_) => "sh",
        }
    }
}

/// A health probe, as data; each backend writes it in its own syntax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HealthCheck {
    /// What runs.
    pub probe: Probe,
    /// Seconds between probes.
    pub interval_s: u32,
    /// Seconds a probe may take.
    pub timeout_s: u32,
    /// Failures before the service is unhealthy.
    pub retries: u32,
    /// Seconds after start during which failures do not count.
    pub start_period_s: u32,
    /// Why this probe: what it checks.
    pub reason: String,
}

/// A port a service listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    /// The port inside the container.
    pub container: u16,
    /// The port published on the host, if any.
    pub host: Option<u16>,
}

/// CPU and memory of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// CPU limit, in cores (`"1"`).
    pub cpu_limit: String,
    /// Memory limit (`"512M"`).
    pub memory_limit: String,
    /// CPU reservation.
    pub cpu_reservation: String,
    /// Memory reservation.
    pub memory_reservation: String,
}

/// The role of a service in the deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceRole {
    /// The app itself.
    App,
    /// A backing service for a need.
    Backing(Technology),
}

/// A named volume mounted into a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// The volume's name.
    pub name: String,
    /// Where it is mounted.
    pub target: String,
}

/// One container of the deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Service name, valid for Compose and DNS.
    pub name: String,
    /// App or backing service.
    pub role: ServiceRole,
    /// Image reference; for the app, the name and tag the build produces.
    pub image: String,
    /// Ports.
    pub ports: Vec<Port>,
    /// Environment of the container: names of IR variables.
    pub environment: Vec<String>,
    /// Settings of a backing service's own image (`POSTGRES_DB`), as value parts.
    pub settings: Vec<(String, Vec<ValuePart>)>,
    /// The container's command, when the image's default is not right.
    pub command: Option<Vec<String>>,
    /// The probe, if the service can be probed.
    pub health: Option<HealthCheck>,
    /// Why there is no probe, when there is none.
    pub no_health_reason: Option<String>,
    /// Named volumes for data.
    pub volumes: Vec<Volume>,
    /// Services this one waits for.
    pub depends_on: Vec<String>,
    /// Resources.
    pub resources: Option<Resources>,
    /// Seconds between SIGTERM and SIGKILL.
    pub stop_grace_period_s: u32,
    /// Why this service exists.
    pub provenance: Vec<Provenance>,
}

/// Counts of assertions by status and category, and what the verifiers said.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerificationSummary {
    /// All assertions.
    pub assertions: usize,
    /// Confirmed assertions.
    pub confirmed: usize,
    /// Counts by status name, sorted by name.
    pub by_status: Vec<(String, usize)>,
    /// Counts by category name.
    pub by_category: Vec<(String, usize)>,
    /// Dafny's verdict: `true`, `false`, `unknown`, or `none` when there are no models.
    pub dafny: String,
    /// TLC's verdict, same values.
    pub tlc: String,
    /// Both verdicts together.
    pub verified: String,
    /// When the verdicts were reached, from the verification record; never the clock.
    pub verified_at: Option<String>,
    /// Dafny model files found.
    pub dafny_models: Vec<String>,
    /// TLA+ model files found (with a `.cfg`).
    pub tla_models: Vec<String>,
    /// Each model's standing in the verification record, in path order.
    pub models: Vec<ModelVerification>,
}

/// Where one formal model stands, from the verification record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelVerification {
    /// The model's path relative to the app folder.
    pub file: String,
    /// The tool that checks it: `dafny` or `tlc`.
    pub tool: String,
    /// `verified`, `failed`, `stale` (changed since its verdict) or `unverified` (no
    /// verdict).
    pub status: String,
    /// The tool's version, when the record has a verdict.
    pub tool_version: Option<String>,
    /// When the tool ran, from the record.
    pub ran_at: Option<String>,
    /// Why it failed (`invariant`, `verification-error`), when it failed.
    pub failure: Option<String>,
    /// The tool's counts in a few words (`5 verified, 0 errors`).
    pub counts: Option<String>,
    /// The problems the tool reported, each with the assertions whose `formalSpec` covers it.
    pub problems: Vec<VerificationProblem>,
}

/// A problem a verifier reported, tied back to assertions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerificationProblem {
    /// The tool's message.
    pub message: String,
    /// The property TLC names, when it names one.
    pub property: Option<String>,
    /// The line of the model it points at, when it has one.
    pub line: Option<u32>,
    /// Ids of the assertions whose `formalSpec` line range covers it.
    pub assertions: Vec<String>,
}

/// The lockfile the app has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lockfile {
    /// Bun 1.2+ text lockfile `bun.lock`.
    Text,
    /// Older binary lockfile `bun.lockb`.
    Binary,
    /// No lockfile: installs cannot be frozen.
    None,
}

impl Lockfile {
    /// The file name, when there is one.
    #[must_use]
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Self::Text => Some("bun.lock"),
            Self::Binary => Some("bun.lockb"),
            Self::None => None,
        }
    }
}

/// The app as the artifacts see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct App {
    /// Name, valid as an image and service name.
    pub name: String,
    /// Version.
    pub version: String,
    /// One-line description.
    pub description: Option<String>,
    /// SPDX license expression from package.json.
    pub license: Option<String>,
    /// Source repository URL from package.json.
    pub source_url: Option<String>,
    /// The archetype.
    pub archetype: Archetype,
    /// Why this archetype.
    pub archetype_provenance: Provenance,
    /// Entry point, relative to the app folder.
    pub entry: String,
    /// The port a web service listens on.
    pub port: Option<u16>,
    /// Cron schedule of a pipeline.
    pub schedule: Option<String>,
    /// The lockfile.
    pub lockfile: Lockfile,
    /// Whether the app has `bunfig.toml`, which installs must see.
    pub has_bunfig: bool,
    /// Whether the app has `tsconfig.json`.
    pub has_tsconfig: bool,
    /// Names of the app's dependencies.
    pub dependencies: Vec<String>,
}

/// The whole IR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ir {
    /// The app.
    pub app: App,
    /// Needs, in a stable order (kind, then name).
    pub needs: Vec<Need>,
    /// Variables, in a stable order (group, then name).
    pub variables: Vec<Variable>,
    /// Services, in start order (dependencies first).
    pub services: Vec<Service>,
    /// The verification summary.
    pub verification: VerificationSummary,
    /// Image labels, in emission order.
    pub labels: Vec<(String, String)>,
    /// The variables by name, made at the first lookup.
    #[serde(skip)]
    pub variable_index: VariableIndex,
}

/// Where each variable of an [`Ir`] is in its list, by name: the emitters look a variable up
/// for each variable they write, and an app can declare thousands. A copy of the IR starts
/// without one (the copy's variables may be changed before it is read). An entry is trusted
/// only while the variable at its place still has its name, and a name not in the index is
/// absent only while the list is as long as when the index was made.
#[derive(Default)]
pub struct VariableIndex(OnceLock<(usize, FxHashMap<String, usize>)>);

impl Clone for VariableIndex {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for VariableIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for VariableIndex {}

impl std::fmt::Debug for VariableIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VariableIndex")
    }
}

impl Ir {
    /// The app's own service.
    #[must_use]
    pub fn app_service(&self) -> Option<&Service> {
        self.services.iter().find(|s| s.role == ServiceRole::App)
    }

    /// The variable named `name`.
    #[must_use]
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        let (len, index) = self.variable_index.0.get_or_init(|| {
            let mut index = FxHashMap::default();
            for (i, v) in self.variables.iter().enumerate() {
                index.entry(v.name.clone()).or_insert(i);
            }
            (self.variables.len(), index)
        });
        match index.get(name).map(|&i| self.variables.get(i)) {
            Some(Some(v)) if v.name == name => Some(v),
            None if *len == self.variables.len() => None,
            // Changed since the index was made: looked for the long way.
            _ => self.variables.iter().find(|v| v.name == name),
        }
    }

    /// The first need of kind `kind`.
    #[must_use]
    pub fn need(&self, kind: NeedKind) -> Option<&Need> {
        self.needs.iter().find(|n| n.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::diagnostic::Diagnostics;
    use crate::passes::Options;

    fn web_service() -> Ir {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/web-service/app");
        let folder = crate::load::load(&root, &mut Diagnostics::new());
        compile(folder, Options::default(), None, Diagnostics::new())
            .ir
            .expect("the example has an IR")
    }

    fn found<'a>(ir: &'a Ir, name: &str) -> Option<&'a str> {
        ir.variable(name).map(|v| v.name.as_str())
    }

    #[test]
    fn variables_are_found_by_name_before_and_after_a_change() {
        let ir = web_service();
        assert!(ir.variables.len() > 2, "the example has variables");
        for v in &ir.variables {
            assert_eq!(found(&ir, &v.name), Some(v.name.as_str()));
        }
        assert_eq!(found(&ir, "NO_SUCH_VARIABLE"), None);

        // A copy is changed after the original was looked in: it starts without an index.
        let mut copy = ir.clone();
        let (first, second) = (ir.variables[0].name.clone(), ir.variables[1].name.clone());
        copy.variables[0].name = "RENAMED".to_owned();
        assert_eq!(found(&copy, "RENAMED"), Some("RENAMED"));
        assert_eq!(found(&copy, &first), None);

        // Changed after its own index was made: moved and added variables are still found.
        copy.variables.swap(0, 1);
        assert_eq!(found(&copy, "RENAMED"), Some("RENAMED"));
        assert_eq!(found(&copy, &second), Some(second.as_str()));
        let mut added = copy.variables[0].clone();
        added.name = "ADDED".to_owned();
        copy.variables.push(added);
        assert_eq!(found(&copy, "ADDED"), Some("ADDED"));
    }
}
