//! Names and host ports that cannot collide: every app gets a service name no other service
//! of the workspace has, and every published port a host port no other service publishes.

use std::collections::BTreeSet;

use crate::ir::Technology;
use crate::passes::config::service_name;

/// The names of every backing service, which no app may take.
const TECHNOLOGIES: &[Technology] = &[
    Technology::Postgres,
    Technology::Redis,
    Technology::Kafka,
    Technology::RabbitMq,
    Technology::Nats,
    Technology::S3,
];

/// `name` as a Compose service and DNS name: lower-case letters, digits and single `-`,
/// starting with a letter.
#[must_use]
pub fn sanitise(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-').to_owned();
    if trimmed.starts_with(|c: char| c.is_ascii_alphabetic()) {
        trimmed
    } else if trimmed.is_empty() {
        "app".to_owned()
    } else {
        format!("app-{trimmed}")
    }
}

/// One service name per app, in the order given (folder order): the app's own name when no
/// earlier app or backing service has it, else the name of its folder path
/// (`jobs/api` gives `jobs-api`), else that with `-2`, `-3`, ... appended.
#[must_use]
pub fn service_names(apps: &[(&str, &str)]) -> Vec<String> {
    let mut taken: BTreeSet<String> = TECHNOLOGIES
        .iter()
        .map(|t| service_name(*t).to_owned())
        .collect();
    let mut names = Vec::new();
    for (folder, name) in apps {
        let candidates = [sanitise(name), sanitise(folder)];
        let chosen = candidates
            .iter()
            .find(|c| !taken.contains(*c))
            .cloned()
            .unwrap_or_else(|| numbered(&candidates[1], &taken));
        taken.insert(chosen.clone());
        names.push(chosen);
    }
    names
}

/// `base-2`, `base-3`, ...: the first that is not taken.
#[must_use]
pub fn numbered(base: &str, taken: &BTreeSet<String>) -> String {
    (2..=taken.len() + 2)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or_else(|| base.to_owned())
}

/// Host ports for the apps that publish one, in the order given: the container port when no
/// earlier app took it, else the next free port above it, else (near 65535) the nearest free
/// port below it; never a port wrapped round to the bottom of the range.
#[must_use]
pub fn host_ports(wanted: &[Option<u16>]) -> Vec<Option<u16>> {
    let mut taken = BTreeSet::new();
    wanted
        .iter()
        .map(|want| {
            let want = (*want)?;
            let port = (want..=u16::MAX)
                .chain((1..want).rev())
                .find(|p| !taken.contains(p))?;
            taken.insert(port);
            Some(port)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_and_never_repeat() {
        let names = service_names(&[
            ("api", "api"),
            ("jobs/api", "api"),
            ("other/jobs-api", "jobs-api"),
            ("db", "postgres"),
            ("x", "@acme/Session_API"),
        ]);
        assert_eq!(
            names,
            [
                "api",
                "jobs-api",
                "other-jobs-api",
                "db",
                "acme-session-api"
            ]
        );
        let again = service_names(&[("a", "api"), ("b", "api"), ("api", "api")]);
        assert_eq!(again, ["api", "b", "api-2"]);
    }

    #[test]
    fn two_apps_on_one_port_get_different_host_ports() {
        assert_eq!(
            host_ports(&[Some(3000), None, Some(3000), Some(3001)]),
            [Some(3000), None, Some(3001), Some(3002)]
        );
    }

    #[test]
    fn a_port_at_the_top_of_the_range_looks_below_and_never_wraps() {
        assert_eq!(
            host_ports(&[Some(65535), Some(65535), Some(65534)]),
            [Some(65535), Some(65534), Some(65533)]
        );
    }
}
