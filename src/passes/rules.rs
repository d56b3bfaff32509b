//! The inference rules, as data: which words in which field imply which need.
//!
//! A rule fires when one of its phrases appears as whole words in one of its fields and no
//! negation stands just before it. Phrases are lower case, words separated by one space; for
//! the `package.json` field they are exact package names. The `needs` pass applies the table;
//! nothing else decides what an app needs.

use crate::ir::Technology;
use crate::model::NeedKind;

/// Where a rule looks, strongest source first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The manifest's `boundaries`.
    Boundary,
    /// An assertion's `tags`.
    Tag,
    /// The manifest's `actors`.
    Actor,
    /// An assertion's natural-language text.
    Natural,
    /// The names of `package.json` dependencies.
    Dependency,
}

impl Field {
    /// How the field is named in provenance.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boundary => "boundaries",
            Self::Tag => "tags",
            Self::Actor => "actors",
            Self::Natural => "natural",
            Self::Dependency => "package.json dependencies",
        }
    }
}

/// Rules that name only a kind (`database`, `cache`, `bucket`) are generic: in prose they
/// make a need only when another source confirms it (a boundary, a tag, a dependency, or a
/// word that names the technology); alone they are reported as a note, since everyday words
/// (`a bucket list`, `a topic of discussion`) would otherwise provision services.
///
/// One inference rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, shown in provenance (`queue.kafka`).
    pub id: &'static str,
    /// What the rule finds.
    pub kind: NeedKind,
    /// The technology it names, or `None` when it names only the kind.
    pub technology: Option<Technology>,
    /// Where it looks.
    pub fields: &'static [Field],
    /// What it looks for.
    pub phrases: &'static [&'static str],
}

const SPEC_FIELDS: &[Field] = &[Field::Boundary, Field::Tag, Field::Actor, Field::Natural];
const DEPS: &[Field] = &[Field::Dependency];

/// The rule table. Order does not matter: every rule is tried on every field it names.
pub const RULES: &[Rule] = &[
    // Databases: PostgreSQL is the one relational database specdeploy provisions.
    Rule {
        id: "database.postgres",
        kind: NeedKind::Database,
        technology: Some(Technology::Postgres),
        fields: SPEC_FIELDS,
        phrases: &["postgres", "postgresql"],
    },
    Rule {
        id: "database.generic",
        kind: NeedKind::Database,
        technology: None,
        fields: SPEC_FIELDS,
        phrases: &["database", "db", "persistence", "persisted", "persistent"],
    },
    Rule {
        id: "database.client",
        kind: NeedKind::Database,
        technology: Some(Technology::Postgres),
        fields: DEPS,
        phrases: &[
            "postgres",
            "pg",
            "@neondatabase/serverless",
            "drizzle-orm",
            "kysely",
            "@prisma/client",
            "prisma",
            "typeorm",
            "sequelize",
            "knex",
            "@mikro-orm/postgresql",
            "pg-promise",
        ],
    },
    // Caches.
    Rule {
        id: "cache.redis",
        kind: NeedKind::Cache,
        technology: Some(Technology::Redis),
        fields: SPEC_FIELDS,
        phrases: &["redis", "valkey"],
    },
    Rule {
        id: "cache.generic",
        kind: NeedKind::Cache,
        technology: None,
        fields: SPEC_FIELDS,
        phrases: &["cache", "cached", "caching"],
    },
    Rule {
        id: "cache.client",
        kind: NeedKind::Cache,
        technology: Some(Technology::Redis),
        fields: DEPS,
        phrases: &["ioredis", "redis", "@redis/client"],
    },
    // Queues and streams.
    Rule {
        id: "queue.kafka",
        kind: NeedKind::Queue,
        technology: Some(Technology::Kafka),
        fields: SPEC_FIELDS,
        phrases: &["kafka", "redpanda"],
    },
    Rule {
        id: "queue.rabbitmq",
        kind: NeedKind::Queue,
        technology: Some(Technology::RabbitMq),
        fields: SPEC_FIELDS,
        phrases: &["rabbitmq", "amqp"],
    },
    Rule {
        id: "queue.nats",
        kind: NeedKind::Queue,
        technology: Some(Technology::Nats),
        fields: SPEC_FIELDS,
        phrases: &["nats", "jetstream"],
    },
    Rule {
        id: "queue.redis-streams",
        kind: NeedKind::Queue,
        technology: Some(Technology::RedisStreams),
        fields: SPEC_FIELDS,
        phrases: &["redis stream", "redis streams"],
    },
    Rule {
        id: "queue.generic",
        kind: NeedKind::Queue,
        technology: None,
        fields: SPEC_FIELDS,
        phrases: &[
            "queue",
            "queued",
            "message broker",
            "topic",
            "dead letter",
            "pub sub",
            "pubsub",
            "event stream",
        ],
    },
    Rule {
        id: "queue.client",
        kind: NeedKind::Queue,
        technology: Some(Technology::Kafka),
        fields: DEPS,
        phrases: &["kafkajs", "@confluentinc/kafka-javascript", "node-rdkafka"],
    },
    Rule {
        id: "queue.client-amqp",
        kind: NeedKind::Queue,
        technology: Some(Technology::RabbitMq),
        fields: DEPS,
        phrases: &["amqplib", "amqp-connection-manager", "rabbitmq-client"],
    },
    Rule {
        id: "queue.client-nats",
        kind: NeedKind::Queue,
        technology: Some(Technology::Nats),
        fields: DEPS,
        phrases: &["nats", "@nats-io/transport-node", "@nats-io/jetstream"],
    },
    Rule {
        id: "queue.client-bullmq",
        kind: NeedKind::Queue,
        technology: Some(Technology::RedisStreams),
        fields: DEPS,
        phrases: &["bullmq", "bull", "bee-queue"],
    },
    // Object storage.
    Rule {
        id: "object-storage.s3",
        kind: NeedKind::ObjectStorage,
        technology: Some(Technology::S3),
        fields: SPEC_FIELDS,
        phrases: &["s3", "minio"],
    },
    Rule {
        id: "object-storage.generic",
        kind: NeedKind::ObjectStorage,
        technology: None,
        fields: SPEC_FIELDS,
        phrases: &["object storage", "bucket", "blob storage"],
    },
    Rule {
        id: "object-storage.client",
        kind: NeedKind::ObjectStorage,
        technology: Some(Technology::S3),
        fields: DEPS,
        phrases: &[
            "@aws-sdk/client-s3",
            "@aws-sdk/lib-storage",
            "minio",
            "aws-sdk",
        ],
    },
    // External HTTP APIs; the needs pass names each one from the words around the phrase.
    Rule {
        id: "external-api",
        kind: NeedKind::ExternalApi,
        technology: Some(Technology::Http),
        fields: SPEC_FIELDS,
        phrases: &[
            "api",
            "external api",
            "external service",
            "webhook endpoint",
        ],
    },
];

/// Technologies of a kind specdeploy does not provision. An item that names one of them never
/// makes a need of that kind from generic words (`the MySQL database` is not PostgreSQL).
pub const OTHER_TECHNOLOGIES: &[(&str, NeedKind, &str)] = &[
    ("mysql", NeedKind::Database, "MySQL"),
    ("mariadb", NeedKind::Database, "MariaDB"),
    ("sqlite", NeedKind::Database, "SQLite"),
    ("mongodb", NeedKind::Database, "MongoDB"),
    ("mongo", NeedKind::Database, "MongoDB"),
    ("dynamodb", NeedKind::Database, "DynamoDB"),
    ("cassandra", NeedKind::Database, "Cassandra"),
    ("memcached", NeedKind::Cache, "Memcached"),
    ("sqs", NeedKind::Queue, "Amazon SQS"),
    ("gcs", NeedKind::ObjectStorage, "Google Cloud Storage"),
];

/// The technology a queue gets when the specs name none: Redis streams, since it needs only
/// a Redis server, which many apps already have for their cache.
pub const DEFAULT_QUEUE: Technology = Technology::RedisStreams;

/// Words that never name an external API by themselves, left out of API names.
pub const API_NAME_STOPWORDS: &[&str] = &[
    "a", "an", "the", "external", "third", "party", "http", "https", "rest", "json", "api", "apis",
    "service", "from", "to", "by", "via", "of", "for", "with", "and", "or", "its", "our", "their",
    "using", "called", "calls", "call", "public", "remote", "upstream", "is", "are", "be", "on",
    "in", "at", "key", "keys",
];

/// Tag and boundary words that mark an assertion about an external API even when the text
/// names it only loosely (`the rates API`).
pub const API_TAGS: &[&str] = &["external-api", "external-service", "third-party-api", "api"];

/// The phrase that makes the app need a signing secret for JSON Web Tokens.
pub const JWT_PHRASES: &[&str] = &["jwt", "json web token", "jwts"];
