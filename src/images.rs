//! The container images specdeploy builds on or runs, and what each one contains.
//!
//! Probes and build steps are checked against this table: a probe may only call a program
//! the image ships, a `RUN` needs a shell, and a compiled Bun binary needs the libc it was
//! built against.

/// The C library an image provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    /// GNU libc (Debian-based images).
    Glibc,
    /// musl (Alpine-based images).
    Musl,
}

/// One image and what it contains.
#[derive(Debug)]
pub struct Image {
    /// The reference, pinned to a version.
    pub reference: &'static str,
    /// Its C library.
    pub libc: Libc,
    /// Whether `/bin/sh` exists (a `RUN` or `CMD-SHELL` needs it).
    pub shell: bool,
    /// Programs on its `PATH` (or by absolute path) that probes may use.
    pub programs: &'static [&'static str],
    /// The unprivileged user the image defines, as `uid:gid`.
    pub user: Option<&'static str>,
}

impl Image {
    /// Whether `program` can be run in the image.
    #[must_use]
    pub fn has(&self, program: &str) -> bool {
        self.programs.contains(&program) || (self.shell && matches!(program, "sh" | "/bin/sh"))
    }
}

/// The Bun version every generated Dockerfile builds with.
pub const BUN_VERSION: &str = "1.4.5";

/// Bun's full Debian image: the build stage.
pub const BUN_BUILD: Image = Image {
    reference: "oven/bun:1.4.5",
    libc: Libc::Glibc,
    shell: true,
    programs: &["bun", "bunx"],
    user: Some("1000:1000"),
};

/// Bun's slim Debian image: the runtime of web services and pipelines. It has no curl and no
/// wget; probes run `bun` itself.
pub const BUN_SLIM: Image = Image {
    reference: "oven/bun:1.4.5-slim",
    libc: Libc::Glibc,
    shell: true,
    programs: &["bun", "bunx"],
    user: Some("1000:1000"),
};

/// Distroless glibc base for compiled CLI binaries: no shell, no package manager.
pub const DISTROLESS_CC: Image = Image {
    reference: "gcr.io/distroless/cc-debian12:nonroot",
    libc: Libc::Glibc,
    shell: false,
    programs: &[],
    user: Some("65532:65532"),
};

/// PostgreSQL.
pub const POSTGRES: Image = Image {
    reference: "postgres:17.6-bookworm",
    libc: Libc::Glibc,
    shell: true,
    programs: &["pg_isready", "psql"],
    user: None,
};

/// Redis.
pub const REDIS: Image = Image {
    reference: "redis:7.4.6-bookworm",
    libc: Libc::Glibc,
    shell: true,
    programs: &["redis-cli", "redis-server", "grep"],
    user: None,
};

/// Apache Kafka in `KRaft` mode.
pub const KAFKA: Image = Image {
    reference: "apache/kafka:3.9.1",
    libc: Libc::Glibc,
    shell: true,
    programs: &[
        "/opt/kafka/bin/kafka-broker-api-versions.sh",
        "/opt/kafka/bin/kafka-topics.sh",
    ],
    user: None,
};

/// RabbitMQ.
pub const RABBITMQ: Image = Image {
    reference: "rabbitmq:4.1.4-alpine",
    libc: Libc::Musl,
    shell: true,
    programs: &["rabbitmq-diagnostics", "rabbitmqctl"],
    user: None,
};

/// NATS with its Alpine base (the scratch image has no probe program at all).
pub const NATS: Image = Image {
    reference: "nats:2.11.9-alpine",
    libc: Libc::Musl,
    shell: true,
    programs: &["wget", "nats-server"],
    user: None,
};

/// MinIO, S3-compatible storage for local deployments.
pub const MINIO: Image = Image {
    reference: "minio/minio:RELEASE.2025-09-07T16-13-09Z",
    libc: Libc::Glibc,
    shell: true,
    programs: &["mc", "minio"],
    user: None,
};
