//! The spec model: what the manifest and the `.spec` files say, merged into one.
//!
//! Both readers ([`crate::manifest`] and [`crate::lang`]) produce a [`SpecDocument`]; the
//! documents of one folder are merged into a [`SpecSet`] by [`crate::merge`]. Every value
//! keeps the span it was read from so later passes can point back at it.

use crate::source::{Located, Span, Text};

/// Whether an assertion is about data and shapes, or about what happens over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Data constraints, invariants, pre- and postconditions (checked by Dafny).
    Structure,
    /// Ordering, liveness, safety over time (checked by TLC).
    Behavior,
}

impl Category {
    /// Parses `structure` or `behavior` (any case; `behaviour` is accepted too).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "structure" | "structural" => Some(Self::Structure),
            "behavior" | "behaviour" | "behavioral" | "behavioural" => Some(Self::Behavior),
            _ => None,
        }
    }

    /// The manifest spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Structure => "structure",
            Self::Behavior => "behavior",
        }
    }
}

/// Where an assertion stands in the spec-driven review cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Suggested, not yet reviewed.
    Proposed,
    /// Waiting for a decision.
    Pending,
    /// Agreed: it holds and the deployment must honour it.
    Confirmed,
    /// Rejected: it must not shape the deployment.
    Denied,
    /// Replaced by a more precise assertion (which names it in `refinedFrom`).
    Refined,
    /// Postponed.
    Deferred,
    /// Derived by the toolchain from other assertions.
    Inferred,
}

impl Status {
    /// Every status, for help texts.
    pub const ALL: [Status; 7] = [
        Self::Proposed,
        Self::Pending,
        Self::Confirmed,
        Self::Denied,
        Self::Refined,
        Self::Deferred,
        Self::Inferred,
    ];

    /// Parses a status name (any case).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The manifest spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Denied => "denied",
            Self::Refined => "refined",
            Self::Deferred => "deferred",
            Self::Inferred => "inferred",
        }
    }

    /// Whether an assertion with this status may shape the deployment. Denied assertions were
    /// rejected and refined ones were replaced by their refinement, so neither does.
    #[must_use]
    pub fn shapes_deployment(self) -> bool {
        !matches!(self, Self::Denied | Self::Refined)
    }
}

/// The kinds of assertion the toolchain writes.
pub const KNOWN_TYPES: &[&str] = &[
    "data-constraint",
    "invariant",
    "precondition",
    "postcondition",
    "relationship",
    "uniqueness",
    "liveness",
    "safety",
    "ordering",
    "fairness",
    "reachability",
    "mutual-exclusion",
];

/// Normalises an assertion type: lower case, `_` and spaces as `-`.
#[must_use]
pub fn normalize_type(text: &str) -> String {
    text.trim().to_ascii_lowercase().replace(['_', ' '], "-")
}

/// A link from an assertion to the formal model that states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormalSpec {
    /// Path of the model, relative to the app folder (`specs/dafny/structure.dfy`).
    pub file: Located<Text>,
    /// The inclusive line range in that file, when given.
    pub lines: Option<Located<(u32, u32)>>,
}

/// One assertion about the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// Unique id (`A-001`).
    pub id: Located<Text>,
    /// The assertion in natural language.
    pub natural: Located<Text>,
    /// The type as written; see [`KNOWN_TYPES`] and [`normalize_type`].
    pub kind: Located<Text>,
    /// Structure or behavior.
    pub category: Located<Category>,
    /// Review status.
    pub status: Located<Status>,
    /// Where the assertion came from (an interview, an archetype template).
    pub source: Option<Located<Text>>,
    /// The entity it constrains.
    pub entity: Option<Located<Text>>,
    /// The property or operation it constrains.
    pub property: Option<Located<Text>>,
    /// A formal rendering of the constraint (boxed, as the rarely given fields below are: a
    /// manifest can hold a hundred thousand assertions).
    pub constraint: Option<Box<Located<Text>>>,
    /// The model that states it formally.
    pub formal_spec: Option<Box<FormalSpec>>,
    /// Ids of assertions it depends on.
    pub dependencies: Vec<Located<Text>>,
    /// The assertion this one refines.
    pub refined_from: Option<Box<Located<Text>>>,
    /// Free-form tags (`persistence`, `external-api`).
    pub tags: Vec<Located<Text>>,
    /// The whole assertion's extent, for labels that concern all of it.
    pub span: Span,
}

/// The deployment shape of an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Archetype {
    /// A long-running HTTP server.
    WebService,
    /// A command-line program.
    CliTool,
    /// A job that runs, processes data and exits.
    DataPipeline,
    /// Code for other apps to import; nothing to deploy.
    Library,
}

impl Archetype {
    /// Every archetype.
    pub const ALL: [Archetype; 4] = [
        Self::WebService,
        Self::CliTool,
        Self::DataPipeline,
        Self::Library,
    ];

    /// Parses an archetype in any of the spellings seen in the wild: `web-service`,
    /// `web_service`, `Web Service`, `WebService`, `web service`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let squashed: String = text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match squashed.as_str() {
            "webservice" | "web" | "service" | "api" | "webapi" | "server" => {
                Some(Self::WebService)
            }
            "clitool" | "cli" | "commandline" | "commandlinetool" => Some(Self::CliTool),
            "datapipeline" | "pipeline" | "etl" | "job" | "batchjob" => Some(Self::DataPipeline),
            "library" | "lib" | "package" => Some(Self::Library),
            _ => None,
        }
    }

    /// The canonical spelling (`web-service`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebService => "web-service",
            Self::CliTool => "cli-tool",
            Self::DataPipeline => "data-pipeline",
            Self::Library => "library",
        }
    }
}

/// What the `app` declaration of a `.spec` file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppDecl {
    /// The app's name (image and service name).
    pub name: Option<Located<Text>>,
    /// The app's version.
    pub version: Option<Located<Text>>,
    /// The archetype, as written.
    pub archetype: Option<Located<Text>>,
    /// The entry point, relative to the app folder.
    pub entry: Option<Located<Text>>,
    /// The port a web service listens on.
    pub port: Option<Located<u32>>,
    /// A cron schedule for a pipeline.
    pub schedule: Option<Located<Text>>,
    /// Where the declaration is.
    pub span: Option<Span>,
}

/// The kind of a backing service an app can need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NeedKind {
    /// A relational database (PostgreSQL).
    Database,
    /// A key-value cache (Redis).
    Cache,
    /// A message queue or stream.
    Queue,
    /// S3-compatible object storage.
    ObjectStorage,
    /// An HTTP API outside the deployment.
    ExternalApi,
}

impl NeedKind {
    /// Human name (`object storage`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::Cache => "cache",
            Self::Queue => "queue",
            Self::ObjectStorage => "object storage",
            Self::ExternalApi => "external API",
        }
    }
}

/// The technology names a need of `kind` may be declared with, aliases included
/// (`postgresql` for `postgres`). The needs pass maps each to the service it provisions.
#[must_use]
pub fn technology_names(kind: NeedKind) -> &'static [&'static str] {
    match kind {
        NeedKind::Database => &["postgres", "postgresql", "pg"],
        NeedKind::Cache => &["redis", "valkey"],
        NeedKind::Queue => &[
            "kafka",
            "redpanda",
            "rabbitmq",
            "amqp",
            "nats",
            "jetstream",
            "redis-streams",
            "redis",
        ],
        NeedKind::ObjectStorage => &["s3", "minio"],
        NeedKind::ExternalApi => &[],
    }
}

/// A need declared in a `.spec` file; it overrides what inference would find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplicitNeed {
    /// What is needed.
    pub kind: Located<NeedKind>,
    /// The technology, where named (`postgres`, `redis`, `kafka`, `rabbitmq`, `nats`,
    /// `redis-streams`, `s3`); for an external API, its name (`payment-gateway`).
    pub technology: Option<Located<Text>>,
    /// For an external API: the variable that holds its base URL.
    pub url_variable: Option<Located<Text>>,
    /// For an external API: the variable that holds its key.
    pub key_variable: Option<Located<Text>>,
    /// Assertions that motivate the need (`because A-004, A-006`).
    pub because: Vec<Located<Text>>,
    /// For an external API: whether the app cannot serve without it (`required`).
    pub required: bool,
    /// The whole declaration.
    pub span: Span,
}

/// A config or secret variable declared in a `.spec` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableDecl {
    /// The variable's name (`LOG_LEVEL`).
    pub name: Located<Text>,
    /// Whether it is a secret (never given a default, never baked into an image).
    pub secret: bool,
    /// The default value.
    pub default: Option<Located<Text>>,
    /// A description for `.env.example`.
    pub description: Option<Located<Text>>,
    /// Assertions that require it.
    pub because: Vec<Located<Text>>,
    /// The whole declaration.
    pub span: Span,
}

/// The manifest's top-level context fields, which carry infrastructure hints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManifestContext {
    /// The archetype as written (`null` gives `None`).
    pub archetype: Option<Located<Text>>,
    /// Business domains.
    pub domains: Vec<Located<Text>>,
    /// Who or what acts on the app.
    pub actors: Vec<Located<Text>>,
    /// What the app touches at its edges (`postgres-database`, `kafka-topic:orders.v1`).
    pub boundaries: Vec<Located<Text>>,
    /// What the app deliberately does not do (`not-networked`).
    pub constraints: Vec<Located<Text>>,
}

/// What one input file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecDocument {
    /// The `app` declaration, if the file has one.
    pub app: Option<AppDecl>,
    /// The manifest's context fields (manifest only).
    pub context: Option<ManifestContext>,
    /// The assertions, in file order.
    pub assertions: Vec<Assertion>,
    /// Explicit needs.
    pub needs: Vec<ExplicitNeed>,
    /// Config and secret declarations.
    pub variables: Vec<VariableDecl>,
}

/// Everything the spec folder says, merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecSet {
    /// The app declaration (from `.spec` files).
    pub app: AppDecl,
    /// The manifest's context, when there is a manifest.
    pub context: ManifestContext,
    /// All assertions, ids unique.
    pub assertions: Vec<Assertion>,
    /// All explicit needs.
    pub needs: Vec<ExplicitNeed>,
    /// All declared variables, names unique.
    pub variables: Vec<VariableDecl>,
}

/// Whether `id` is a valid assertion id: a letter, then letters, digits, `-`, `_`, `.`, `:`.
#[must_use]
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && id.len() <= 128
}

/// Whether `name` is a valid environment variable name: upper-case letters, digits and `_`,
/// not starting with a digit.
#[must_use]
pub fn is_valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archetype_spellings_normalise() {
        for text in [
            "web-service",
            "Web Service",
            "web_service",
            "WEB-SERVICE",
            "WebService",
        ] {
            assert_eq!(
                Archetype::parse(text),
                Some(Archetype::WebService),
                "{text}"
            );
        }
        assert_eq!(
            Archetype::parse("Data Pipeline"),
            Some(Archetype::DataPipeline)
        );
        assert_eq!(Archetype::parse("microwave"), None);
    }

    #[test]
    fn type_normalisation_accepts_underscores() {
        assert_eq!(normalize_type("data_constraint"), "data-constraint");
        assert!(KNOWN_TYPES.contains(&normalize_type("Mutual Exclusion").as_str()));
    }

    #[test]
    fn ids_reject_whitespace_and_quotes() {
        assert!(is_valid_id("A-CLI-001"));
        assert!(!is_valid_id("A 1"));
        assert!(!is_valid_id("A\"1"));
        assert!(!is_valid_id(""));
    }
}
