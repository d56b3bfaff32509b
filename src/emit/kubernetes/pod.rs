//! Pods and their containers: probes, the preStop pause, hardening and resources, as the
//! contexts the `pod_spec` macro of `templates/k8s/macros.k8s.yaml.j2` renders.

use serde::Serialize;

use super::env::EnvVar;
use crate::emit::{escape, verbatim};
use crate::ir::{HealthCheck, Probe as IrProbe, Resources};
use crate::passes::services::{
    CHECK_TIMEOUT_MS, DRAIN_DELAY_MS, LIVENESS_PATH, READINESS_PATH, SHUTDOWN_TIMEOUT_MS,
    WEB_GRACE_SECONDS,
};

/// Seconds a terminating web pod keeps serving before it gets SIGTERM, while the endpoints
/// that route to it are withdrawn: the drain time the app itself allows.
pub const PRE_STOP_SECONDS: u32 = DRAIN_DELAY_MS.div_ceil(1000);

/// Seconds a web service may take to answer its liveness path for the first time.
pub const STARTUP_WINDOW_SECONDS: u32 = 60;

/// Seconds between startup probes.
const STARTUP_PERIOD_SECONDS: u32 = 2;

/// Seconds between readiness probes.
const READINESS_PERIOD_SECONDS: u32 = 5;

/// Failed readiness probes before a pod stops getting traffic.
const READINESS_FAILURES: u32 = 2;

/// Failed TCP probes before a backing service is restarted.
const BACKING_LIVENESS_FAILURES: u32 = 6;

/// The name of a web service's container port, which its probes and Service refer to.
pub const HTTP_PORT_NAME: &str = "http";

/// The volume mounted at `/tmp`, the only writable path of a read-only root.
pub const TEMP_VOLUME: &str = "tmp";

/// A Kubernetes pod counts its grace period from the start of the preStop pause, so the pause
/// is added to what Compose gives: the app still has the whole of it after SIGTERM.
#[must_use]
pub const fn web_grace_seconds(compose_grace_seconds: u32) -> u32 {
    compose_grace_seconds + PRE_STOP_SECONDS
}

const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// A liveness probe that shares readiness's path restarts healthy pods whenever a dependency
// blips; and the pause, the drain and the slowest check must end inside the grace period.
const _: () = assert!(!same_text(LIVENESS_PATH, READINESS_PATH));
const _: () = assert!(
    PRE_STOP_SECONDS * 1000 + DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + CHECK_TIMEOUT_MS
        < web_grace_seconds(WEB_GRACE_SECONDS) * 1000
);

/// A probe as the `probe` macro writes it: an HTTP GET, a command, or a TCP connection.
#[derive(Clone, Debug, Serialize)]
pub struct Probe {
    /// Why the probe is there, as comment text.
    pub why: minijinja::Value,
    /// The path an HTTP probe asks for.
    pub http_path: Option<String>,
    /// The command an exec probe runs, escaped against `$(NAME)` expansion.
    pub exec: Option<Vec<String>>,
    /// The container port an HTTP or TCP probe connects to, by name.
    pub port: Option<String>,
    /// Seconds between probes.
    pub period: u32,
    /// Seconds one probe may take.
    pub timeout: u32,
    /// Failures in a row before the probe fails.
    pub failure_threshold: u32,
}

/// The three probes of a container, each when it has one.
#[derive(Clone, Debug, Default)]
pub struct Probes {
    /// Holds the others back until it first succeeds.
    pub startup: Option<Probe>,
    /// Restarts the container.
    pub liveness: Option<Probe>,
    /// Gates traffic.
    pub readiness: Option<Probe>,
}

/// A container port.
#[derive(Clone, Debug, Serialize)]
pub struct ContainerPort {
    /// Its name, which Services and probes use.
    pub name: String,
    /// Its number.
    pub port: u16,
}

/// The app's ports, each named `http` so Services and probes can refer to it by name.
#[must_use]
pub fn http_ports(service: &crate::ir::Service) -> Vec<ContainerPort> {
    service
        .ports
        .iter()
        .map(|p| ContainerPort {
            name: HTTP_PORT_NAME.to_owned(),
            port: p.container,
        })
        .collect()
}

/// Requests and limits, as Kubernetes quantities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quantities {
    /// CPU request (Compose's reservation).
    pub cpu_request: String,
    /// Memory request (Compose's reservation).
    pub memory_request: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit.
    pub memory_limit: String,
}

/// A volume mounted into a container.
#[derive(Clone, Debug, Serialize)]
pub struct Mount {
    /// The volume's name in the pod.
    pub name: String,
    /// Where it is mounted.
    pub path: String,
}

/// One container of a pod.
#[derive(Clone, Debug, Serialize)]
pub struct Container {
    /// Its name.
    pub name: String,
    /// Its image reference.
    pub image: String,
    /// Arguments replacing the image's `CMD` (Compose's `command`), escaped against
    /// `$(NAME)` expansion.
    pub args: Option<Vec<String>>,
    /// Its ports.
    pub ports: Vec<ContainerPort>,
    /// Its environment, in order: a value may refer to the ones before it.
    pub env: Vec<EnvVar>,
    /// The probe that holds the others back until the first success.
    pub startup: Option<Probe>,
    /// The probe that restarts the container.
    pub liveness: Option<Probe>,
    /// The probe that gates traffic.
    pub readiness: Option<Probe>,
    /// Why there is no probe, as comment text.
    pub no_probe: Option<minijinja::Value>,
    /// Seconds of the preStop pause.
    pub pre_stop_seconds: Option<u32>,
    /// Requests and limits.
    pub resources: Option<Quantities>,
    /// Read-only root and no capabilities: the app's own container.
    pub hardened: bool,
    /// Mounted volumes.
    pub mounts: Vec<Mount>,
}

/// A user and group id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl User {
    /// Reads an image's `uid:gid`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (uid, gid) = text.split_once(':')?;
        Some(Self {
            uid: uid.parse().ok()?,
            gid: gid.parse().ok()?,
        })
    }
}

/// A pod template's spec.
#[derive(Clone, Debug, Serialize)]
pub struct Pod {
    /// Whether the pause process is PID 1 (Compose's `init: true`).
    pub share_process_namespace: bool,
    /// `Never` for Jobs; Deployments and `StatefulSets` keep the default.
    pub restart_policy: Option<&'static str>,
    /// `terminationGracePeriodSeconds`.
    pub grace_seconds: u32,
    /// The non-root user the pod runs as, when the image has one.
    pub user: Option<User>,
    /// The group that owns the pod's volumes, for images whose user must write them.
    pub fs_group: Option<u32>,
    /// Labels of the pods that replicas spread away from, when there are several replicas.
    pub spread: Option<Vec<(String, String)>>,
    /// The containers.
    pub containers: Vec<Container>,
    /// `emptyDir` volumes.
    pub temp_volumes: Vec<String>,
}

/// A Compose memory size (`512M`, `1G`), which Docker reads in powers of 1024, as the
/// Kubernetes quantity of the same number of bytes (`512Mi`, `1Gi`).
#[must_use]
pub fn memory_quantity(compose: &str) -> Option<String> {
    let text = compose.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return None;
    }
    let unit = unit.to_ascii_lowercase();
    let suffix = match unit.strip_suffix('b').unwrap_or(&unit) {
        "" => "",
        "k" => "Ki",
        "m" => "Mi",
        "g" => "Gi",
        "t" => "Ti",
        _ => return None,
    };
    Some(format!("{number}{suffix}"))
}

/// Compose CPUs (`0.25`) as a Kubernetes quantity (`250m`); whole cores stay whole (`1`).
#[must_use]
pub fn cpu_quantity(compose: &str) -> Option<String> {
    let text = compose.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 3
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u64 = format!("{fraction:0<3}").parse().ok()?;
    let milli = whole.checked_mul(1000)?.checked_add(fraction)?;
    match milli {
        0 => None,
        m if m % 1000 == 0 => Some((m / 1000).to_string()),
        m => Some(format!("{m}m")),
    }
}

/// The IR's resources as Kubernetes quantities, or `None` when one cannot be read.
#[must_use]
pub fn quantities(resources: &Resources) -> Option<Quantities> {
    Some(Quantities {
        cpu_request: cpu_quantity(&resources.cpu_reservation)?,
        memory_request: memory_quantity(&resources.memory_reservation)?,
        cpu_limit: cpu_quantity(&resources.cpu_limit)?,
        memory_limit: memory_quantity(&resources.memory_limit)?,
    })
}

fn comment(text: &str) -> minijinja::Value {
    verbatim(escape::comment(text))
}

fn http(why: &str, path: &str, period: u32, timeout: u32, failures: u32) -> Probe {
    Probe {
        why: comment(why),
        http_path: Some(path.to_owned()),
        exec: None,
        port: Some(HTTP_PORT_NAME.to_owned()),
        period,
        timeout,
        failure_threshold: failures,
    }
}

/// The probes of a web service: startup and liveness on the liveness path, readiness on its
/// own path, all on the container's port; liveness keeps Compose's timing.
#[must_use]
pub fn web_probes(health: &HealthCheck) -> Probes {
    let startup = http(
        &format!(
            "Until {LIVENESS_PATH} first answers (up to {STARTUP_WINDOW_SECONDS}s) the other probes wait, so a slow start does not trip liveness."
        ),
        LIVENESS_PATH,
        STARTUP_PERIOD_SECONDS,
        health.timeout_s,
        STARTUP_WINDOW_SECONDS.div_ceil(STARTUP_PERIOD_SECONDS),
    );
    let liveness = http(
        &format!(
            "{LIVENESS_PATH} checks the process only: a dependency that blips never restarts healthy pods."
        ),
        LIVENESS_PATH,
        health.interval_s,
        health.timeout_s,
        health.retries,
    );
    let readiness = http(
        &format!(
            "{READINESS_PATH} answers 503 while a required dependency is down or the pod shuts down, and traffic goes elsewhere."
        ),
        READINESS_PATH,
        READINESS_PERIOD_SECONDS,
        CHECK_TIMEOUT_MS.div_ceil(1000) + 1,
        READINESS_FAILURES,
    );
    Probes {
        startup: Some(startup),
        liveness: Some(liveness),
        readiness: Some(readiness),
    }
}

/// The probes of a backing service: its Compose check gates startup (for as long as
/// Compose's start period and retries allow) and readiness; liveness only asks whether the
/// port accepts connections, so a slow check never restarts a database.
#[must_use]
pub fn backing_probes(health: &HealthCheck, port: &str) -> Probes {
    let command: Vec<String> = match &health.probe {
        IrProbe::Exec(args) => args.clone(),
        IrProbe::Shell(line) => vec!["sh".to_owned(), "-c".to_owned(), line.clone()],
    };
    let command: Vec<String> = command
        .iter()
        .map(|w| escape::kubernetes_literal(w))
        .collect();
    let check = |why: String, failures: u32| Probe {
        why: comment(&why),
        http_path: None,
        exec: Some(command.clone()),
        port: None,
        period: health.interval_s,
        timeout: health.timeout_s,
        failure_threshold: failures,
    };
    let startup_failures =
        health.start_period_s.div_ceil(health.interval_s.max(1)) + health.retries;
    let startup = check(
        format!(
            "Compose's check, for up to {}s while the service starts.",
            startup_failures * health.interval_s
        ),
        startup_failures,
    );
    let readiness = check(
        format!("Compose's check: {}.", health.reason),
        health.retries,
    );
    let liveness = Probe {
        why: comment("The port accepts connections: a slow check never restarts the service."),
        http_path: None,
        exec: None,
        port: Some(port.to_owned()),
        period: 10,
        timeout: health.timeout_s,
        failure_threshold: BACKING_LIVENESS_FAILURES,
    };
    Probes {
        startup: Some(startup),
        liveness: Some(liveness),
        readiness: Some(readiness),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keeps_dockers_binary_units() {
        assert_eq!(memory_quantity("512M").as_deref(), Some("512Mi"));
        assert_eq!(memory_quantity("1G").as_deref(), Some("1Gi"));
        assert_eq!(memory_quantity("64mb").as_deref(), Some("64Mi"));
        assert_eq!(memory_quantity("1024").as_deref(), Some("1024"));
        assert_eq!(memory_quantity("1.5G"), None);
        assert_eq!(memory_quantity("G"), None);
    }

    #[test]
    fn cpus_become_millicores_unless_whole() {
        assert_eq!(cpu_quantity("1").as_deref(), Some("1"));
        assert_eq!(cpu_quantity("0.25").as_deref(), Some("250m"));
        assert_eq!(cpu_quantity("0.1").as_deref(), Some("100m"));
        assert_eq!(cpu_quantity("2.0").as_deref(), Some("2"));
        assert_eq!(cpu_quantity(".5").as_deref(), Some("500m"));
        assert_eq!(cpu_quantity("0"), None);
        assert_eq!(cpu_quantity("0.0001"), None);
        assert_eq!(cpu_quantity("one"), None);
    }

    #[test]
    fn the_grace_period_outlasts_the_pause_and_the_drain() {
        let grace = web_grace_seconds(WEB_GRACE_SECONDS);
        assert!(grace > PRE_STOP_SECONDS + DRAIN_DELAY_MS / 1000);
        assert_ne!(LIVENESS_PATH, READINESS_PATH);
    }
}
