//! Pods and their containers: probes, the preStop pause, hardening and resources, and how
//! each is written into a manifest.

use super::env::{self, EnvVar};
use super::yaml::Yaml;
use crate::emit::escape;
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

/// What a probe does.
#[derive(Clone, Debug)]
pub enum Check {
    /// An HTTP GET of `path` on the container port named `port`.
    Http {
        /// The path.
        path: String,
        /// The port's name.
        port: String,
    },
    /// A command, escaped against `$(NAME)` expansion.
    Exec(Vec<String>),
    /// A TCP connection to the container port named `port`.
    Tcp {
        /// The port's name.
        port: String,
    },
}

/// A probe: what it does and how often.
#[derive(Clone, Debug)]
pub struct Probe {
    /// Why the probe is there.
    pub why: String,
    /// What it does.
    pub check: Check,
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
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug)]
pub struct Mount {
    /// The volume's name in the pod.
    pub name: String,
    /// Where it is mounted.
    pub path: String,
}

/// One container of a pod.
#[derive(Clone, Debug)]
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
    /// Why there is no probe.
    pub no_probe: Option<String>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug)]
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

fn http(why: &str, path: &str, period: u32, timeout: u32, failures: u32) -> Probe {
    Probe {
        why: why.to_owned(),
        check: Check::Http {
            path: path.to_owned(),
            port: HTTP_PORT_NAME.to_owned(),
        },
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
        why,
        check: Check::Exec(command.clone()),
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
        why: "The port accepts connections: a slow check never restarts the service.".to_owned(),
        check: Check::Tcp {
            port: port.to_owned(),
        },
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

impl Probe {
    /// The probe's fields, under the key that names the probe.
    fn write(&self, y: &mut Yaml) {
        match &self.check {
            Check::Http { path, port } => y.block("httpGet", |y| {
                y.text("path", path);
                y.text("port", port);
            }),
            Check::Exec(command) => y.block("exec", |y| {
                y.block("command", |y| {
                    for word in command {
                        y.text_item(word);
                    }
                });
            }),
            Check::Tcp { port } => y.block("tcpSocket", |y| y.text("port", port)),
        }
        y.number("periodSeconds", self.period);
        y.number("timeoutSeconds", self.timeout);
        y.number("failureThreshold", self.failure_threshold);
    }
}

impl Container {
    /// The container, as an item of `containers`.
    fn write(&self, y: &mut Yaml) {
        y.text("name", &self.name);
        y.text("image", &self.image);
        y.line("imagePullPolicy: IfNotPresent");
        if let Some(args) = self.args.as_ref().filter(|a| !a.is_empty()) {
            y.block("args", |y| {
                for word in args {
                    y.text_item(word);
                }
            });
        }
        if !self.ports.is_empty() {
            y.block("ports", |y| {
                for p in &self.ports {
                    y.item(|y| {
                        y.text("name", &p.name);
                        y.number("containerPort", p.port);
                        y.line("protocol: TCP");
                    });
                }
            });
        }
        if !self.env.is_empty() {
            y.block("env", |y| env::write(y, &self.env));
        }
        for (key, probe) in [
            ("startupProbe", &self.startup),
            ("livenessProbe", &self.liveness),
            ("readinessProbe", &self.readiness),
        ] {
            if let Some(probe) = probe {
                y.comment(&probe.why);
                y.block(key, |y| probe.write(y));
            }
        }
        if let Some(reason) = self.no_probe.as_deref().filter(|r| !r.is_empty()) {
            y.comment(&format!("No probe: {reason}."));
        }
        if let Some(seconds) = self.pre_stop_seconds.filter(|&s| s > 0) {
            y.block("lifecycle", |y| {
                y.comment("Endpoints stop routing to a terminating pod a moment after it is told to stop; the");
                y.comment("pause keeps it serving until then, and SIGTERM comes after.");
                y.block("preStop", |y| {
                    y.block("sleep", |y| y.number("seconds", seconds));
                });
            });
        }
        if let Some(r) = &self.resources {
            y.block("resources", |y| {
                y.block("requests", |y| {
                    y.text("cpu", &r.cpu_request);
                    y.text("memory", &r.memory_request);
                });
                y.block("limits", |y| {
                    y.text("cpu", &r.cpu_limit);
                    y.text("memory", &r.memory_limit);
                });
            });
        }
        y.block("securityContext", |y| {
            y.line("allowPrivilegeEscalation: false");
            if self.hardened {
                y.line("readOnlyRootFilesystem: true");
                y.block("capabilities", |y| {
                    y.block("drop", |y| y.line("- ALL"));
                });
            }
        });
        if !self.mounts.is_empty() {
            y.block("volumeMounts", |y| {
                for m in &self.mounts {
                    y.item(|y| {
                        y.text("name", &m.name);
                        y.text("mountPath", &m.path);
                    });
                }
            });
        }
    }
}

impl Pod {
    /// The pod template's spec, under its `spec:`.
    pub fn write(&self, y: &mut Yaml) {
        y.comment(
            "No service-link variables: a Service named redis or kafka would otherwise give every",
        );
        y.comment("container REDIS_PORT=tcp://... or KAFKA_PORT=tcp://..., which their images read as settings.");
        y.line("enableServiceLinks: false");
        y.line("automountServiceAccountToken: false");
        if self.share_process_namespace {
            y.comment("Compose's `init: true`: the pod's pause process is PID 1 and reaps zombies, so the app");
            y.comment("gets the default handling of SIGTERM and SIGINT.");
            y.line("shareProcessNamespace: true");
        }
        if let Some(policy) = self.restart_policy.filter(|p| !p.is_empty()) {
            y.text("restartPolicy", policy);
        }
        y.number("terminationGracePeriodSeconds", self.grace_seconds);
        y.block("securityContext", |y| {
            if let Some(user) = self.user {
                y.line("runAsNonRoot: true");
                y.number("runAsUser", user.uid);
                y.number("runAsGroup", user.gid);
            }
            if let Some(group) = self.fs_group.filter(|&g| g > 0) {
                y.number("fsGroup", group);
            }
            y.block("seccompProfile", |y| y.line("type: RuntimeDefault"));
        });
        if let Some(spread) = self.spread.as_ref().filter(|s| !s.is_empty()) {
            y.comment("Replicas spread over machines, so that losing one does not take them all.");
            y.block("topologySpreadConstraints", |y| {
                y.item(|y| {
                    y.line("maxSkew: 1");
                    y.line("topologyKey: kubernetes.io/hostname");
                    y.line("whenUnsatisfiable: ScheduleAnyway");
                    y.block("labelSelector", |y| {
                        y.block("matchLabels", |y| y.pairs(spread));
                    });
                });
            });
        }
        y.block("containers", |y| {
            for c in &self.containers {
                y.item(|y| c.write(y));
            }
        });
        if !self.temp_volumes.is_empty() {
            y.block("volumes", |y| {
                for v in &self.temp_volumes {
                    y.item(|y| {
                        y.text("name", v);
                        y.line("emptyDir: {}");
                    });
                }
            });
        }
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
