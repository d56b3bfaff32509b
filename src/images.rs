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

/// Reads an image registry given as `HOST[:PORT][/PATH]` (`ghcr.io/acme`), or a Docker Hub
/// namespace (`acme`), so that `REGISTRY/NAME:TAG` is a valid image reference. A trailing
/// `/` is dropped.
///
/// # Errors
/// When `text` is not such a prefix, with a message for the command line.
pub fn registry(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let mut components = trimmed.split('/');
    let first = components.next().unwrap_or_default();
    let first_ok = if first.contains(['.', ':']) || first == "localhost" {
        is_domain(first)
    } else {
        is_path_component(first)
    };
    if first_ok && components.all(is_path_component) {
        Ok(trimmed.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a registry: write HOST[:PORT][/PATH] in lower case, such as ghcr.io/acme or registry.example.com:5000/team, with no tag"
        ))
    }
}

/// A registry host: dot-separated labels of letters, digits and inner `-`, and a port.
fn is_domain(text: &str) -> bool {
    let (host, port) = text.split_once(':').unwrap_or((text, "1"));
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    host.split('.').all(label)
        && !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
}

/// A path component of an image reference: lower-case letters and digits, separated by one
/// `.`, one or two `_`, or any number of `-`.
fn is_path_component(text: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !text.starts_with(alnum) || !text.ends_with(alnum) {
        return false;
    }
    let mut separator = String::new();
    for c in text.chars() {
        if alnum(c) {
            let ok = separator.is_empty()
                || matches!(separator.as_str(), "." | "_" | "__")
                || separator.chars().all(|s| s == '-');
            if !ok {
                return false;
            }
            separator.clear();
        } else if matches!(c, '.' | '_' | '-') {
            separator.push(c);
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::registry;

    #[test]
    fn registries_are_hosts_with_optional_ports_and_paths() {
        assert_eq!(registry("ghcr.io/acme/").as_deref(), Ok("ghcr.io/acme"));
        assert!(registry("registry.example.com:5000/team/sub").is_ok());
        assert!(registry("localhost:5000").is_ok());
        assert!(registry("acme").is_ok());
        assert!(registry("ghcr.io/Acme").is_err());
        assert!(registry("ghcr.io/acme:1.0").is_err());
        assert!(registry("ghcr.io//acme").is_err());
        assert!(registry("host:port/acme").is_err());
        assert!(registry("").is_err());
        assert!(registry("a..b/c").is_err());
    }
}
