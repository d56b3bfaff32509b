//! The app's workload in `base/`: a Deployment with its Service and, for several replicas,
//! a `PodDisruptionBudget`; a `CronJob` or a Job for a pipeline; a suspended Job for a CLI
//! tool. One container, probed, paused before SIGTERM, non-root and read-only.

use super::env;
use super::pod::{self, Container, Mount, Pod, User};
use super::settings::DEFAULT_REPLICAS;
use super::yaml::Yaml;
use super::{BASE_DIR, Files, Subject, match_labels, object, pod_template, service_ports};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::emit::{Layout, escape};
use crate::images;
use crate::ir::Ir;
use crate::model::Archetype;
use crate::passes::services::{LIVENESS_PATH, READINESS_PATH};

/// Retries of a failed pipeline run.
pub const PIPELINE_BACKOFF_LIMIT: u32 = 2;

/// What the app runs as on Kubernetes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// A web service: replicas behind a Service.
    Deployment,
    /// A pipeline with a schedule.
    CronJob,
    /// A pipeline without one, which runs once; or a CLI tool, suspended until resumed.
    Job,
}

impl Workload {
    /// What `ir`'s app runs as.
    #[must_use]
    pub fn of(ir: &Ir) -> Self {
        match ir.app.archetype {
            Archetype::WebService => Self::Deployment,
            Archetype::DataPipeline if ir.app.schedule.is_some() => Self::CronJob,
            _ => Self::Job,
        }
    }

    /// The object's kind.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::CronJob => "CronJob",
            Self::Job => "Job",
        }
    }

    /// The file it goes in.
    #[must_use]
    pub fn file(self) -> &'static str {
        match self {
            Self::Deployment => "deployment.yaml",
            Self::CronJob => "cronjob.yaml",
            Self::Job => "job.yaml",
        }
    }

    /// Where the app container's environment is, for the dev overlay's patch.
    #[must_use]
    pub fn env_path(self) -> &'static str {
        match self {
            Self::CronJob => "/spec/jobTemplate/spec/template/spec/containers/0/env",
            Self::Deployment | Self::Job => "/spec/template/spec/containers/0/env",
        }
    }
}

/// A Job's spec: one run at a time, retried `backoff_limit` times, of `pod` labelled
/// `labels`; suspended until resumed when `suspend`.
struct Run<'a> {
    suspend: bool,
    backoff_limit: u32,
    backoff_why: &'a str,
    labels: &'a [(String, String)],
    pod: Pod,
}

impl Run<'_> {
    fn write(&self, y: &mut Yaml) {
        if self.suspend {
            y.line("suspend: true");
        }
        y.line("parallelism: 1");
        y.line("completions: 1");
        y.comment(self.backoff_why);
        y.number("backoffLimit", self.backoff_limit);
        y.comment(
            "A failed pod's replacement starts only once that pod has stopped, never beside it.",
        );
        y.line("podReplacementPolicy: Failed");
        pod_template(y, self.labels, &self.pod);
    }
}

/// The app's container, with its probes and hardening.
fn app_container(
    subject: &Subject<'_>,
    environment: Vec<env::EnvVar>,
    diagnostics: &mut Diagnostics,
) -> Container {
    let Subject {
        ir, service, names, ..
    } = subject;
    let web = ir.app.archetype == Archetype::WebService;
    let probes = match (&service.health, web) {
        (Some(health), true) => pod::web_probes(health),
        _ => pod::Probes::default(),
    };
    let resources = service.resources.as_ref().and_then(|r| {
        let quantities = pod::quantities(r);
        if quantities.is_none() {
            diagnostics.push(
                Diagnostic::new(
                    Code::UnsafeValue,
                    format!(
                        "the resources of {} cannot be written as Kubernetes quantities",
                        service.name
                    ),
                )
                .help(
                    "this is a bug in specdeploy; please report it with the specs that caused it",
                ),
            );
        }
        quantities
    });
    Container {
        name: names.app.clone(),
        image: service.image.clone(),
        args: None,
        ports: pod::http_ports(service),
        env: environment,
        startup: probes.startup,
        liveness: probes.liveness,
        readiness: probes.readiness,
        no_probe: service.no_health_reason.clone(),
        pre_stop_seconds: web.then_some(pod::PRE_STOP_SECONDS),
        resources,
        hardened: true,
        mounts: vec![Mount {
            name: pod::TEMP_VOLUME.to_owned(),
            path: "/tmp".to_owned(),
        }],
    }
}

/// The app's pod around `container`.
fn app_pod(
    subject: &Subject<'_>,
    container: Container,
    spread: Option<Vec<(String, String)>>,
) -> Pod {
    let Subject { ir, service, .. } = subject;
    let web = ir.app.archetype == Archetype::WebService;
    let image = match ir.app.archetype {
        Archetype::CliTool => &images::DISTROLESS_CC,
        _ => &images::BUN_SLIM,
    };
    Pod {
        share_process_namespace: true,
        restart_policy: (!web).then_some("Never"),
        grace_seconds: if web {
            pod::web_grace_seconds(service.stop_grace_period_s)
        } else {
            service.stop_grace_period_s
        },
        user: image.user.and_then(User::parse),
        fs_group: None,
        spread,
        containers: vec![container],
        temp_volumes: vec![pod::TEMP_VOLUME.to_owned()],
    }
}

/// Renders the workload and returns the files the base lists.
pub fn emit(
    subject: &Subject<'_>,
    workload: Workload,
    replicas: u16,
    layout: &Layout,
    files: &mut Files<'_>,
) -> Vec<String> {
    let Subject {
        ir,
        service,
        names,
        labels,
        selector,
    } = subject;
    let mut resources = vec![workload.file().to_owned()];
    let container = app_container(subject, env::base(ir, service, names), files.diagnostics);
    match workload {
        Workload::Deployment => {
            let spread = (replicas > 1).then(|| selector.clone());
            let port = service.ports.first().map_or(0, |p| p.container);
            let replicas_why = if layout.replicas.is_some() {
                "As `--replicas` says.".to_owned()
            } else {
                format!(
                    "The default, {DEFAULT_REPLICAS}; set it with `specdeploy build --replicas N`."
                )
            };
            let pod = app_pod(subject, container, spread);
            let mut y = Yaml::with_header(&format!(
                "{} as a web service: probes on {LIVENESS_PATH} and {READINESS_PATH}, a pause before SIGTERM, a non-root read-only container.",
                ir.app.name
            ));
            object(&mut y, "apps/v1", workload.kind(), &names.app, labels);
            y.block("spec", |y| {
                y.comment(&replicas_why);
                y.number("replicas", replicas);
                match_labels(y, selector);
                y.comment("A new pod must be ready before an old one goes, so capacity never drops in a rollout.");
                y.block("strategy", |y| {
                    y.line("type: RollingUpdate");
                    y.block("rollingUpdate", |y| {
                        y.line("maxSurge: 1");
                        y.line("maxUnavailable: 0");
                    });
                });
                pod_template(y, labels, &pod);
            });
            files.add(
                BASE_DIR,
                "deployment.yaml",
                y.finish(),
                format!(
                    "Kubernetes: {} as a Deployment of {replicas}, probed on {LIVENESS_PATH} and {READINESS_PATH}",
                    names.app
                ),
            );

            let mut y = Yaml::with_header(&format!(
                "{} inside the cluster, on the port it listens on.",
                ir.app.name
            ));
            object(&mut y, "v1", "Service", &names.app, labels);
            y.block("spec", |y| {
                y.line("type: ClusterIP");
                y.block("selector", |y| y.pairs(selector));
                service_ports(y, &pod::http_ports(service));
            });
            files.add(
                BASE_DIR,
                "service.yaml",
                y.finish(),
                format!("Kubernetes: the Service of {} on port {port}", names.app),
            );
            resources.push("service.yaml".to_owned());

            if replicas > 1 {
                let mut y = Yaml::with_header(&format!(
                    "A drained or upgraded node takes at most one of the {replicas} replicas of {} at a time.",
                    ir.app.name
                ));
                object(
                    &mut y,
                    "policy/v1",
                    "PodDisruptionBudget",
                    &names.app,
                    labels,
                );
                y.block("spec", |y| {
                    y.line("maxUnavailable: 1");
                    match_labels(y, selector);
                });
                files.add(
                    BASE_DIR,
                    "poddisruptionbudget.yaml",
                    y.finish(),
                    format!("Kubernetes: all but one of the {replicas} replicas keep serving through node drains"),
                );
                resources.push("poddisruptionbudget.yaml".to_owned());
            }
        }
        Workload::CronJob | Workload::Job => {
            let cli = ir.app.archetype == Archetype::CliTool;
            let backoff_limit = if cli { 0 } else { PIPELINE_BACKOFF_LIMIT };
            let about = if cli {
                format!("{} as a CLI tool: a Job to run on demand.", ir.app.name)
            } else {
                format!(
                    "{} as a data pipeline: one run at a time, retried when it fails.",
                    ir.app.name
                )
            };
            let purpose = match (workload, cli) {
                (Workload::CronJob, _) => format!(
                    "Kubernetes: {} as a CronJob on `{}`, runs never overlap",
                    names.app,
                    ir.app.schedule.as_deref().unwrap_or_default()
                ),
                (_, true) => format!(
                    "Kubernetes: a suspended Job that runs {} on demand",
                    names.app
                ),
                _ => format!(
                    "Kubernetes: {} as a Job of one run, retried up to {backoff_limit} times",
                    names.app
                ),
            };
            let run = Run {
                suspend: cli,
                backoff_limit,
                backoff_why: if cli {
                    "A command that failed is not run again by itself: it may not be safe to repeat."
                } else {
                    "A failed run is retried, one attempt at a time."
                },
                labels,
                pod: app_pod(subject, container, None),
            };
            let mut y = Yaml::with_header(&about);
            if workload == Workload::CronJob {
                let schedule = ir.app.schedule.as_deref().unwrap_or_default();
                object(&mut y, "batch/v1", workload.kind(), &names.app, labels);
                y.block("spec", |y| {
                    y.text("schedule", schedule);
                    y.line("timeZone: \"Etc/UTC\"");
                    y.comment("Runs never overlap: a pipeline that processes each record exactly once cannot share");
                    y.comment("its input with a second run. A run that is still going when the next is due is kept,");
                    y.comment("and the next is skipped.");
                    y.line("concurrencyPolicy: Forbid");
                    y.line("successfulJobsHistoryLimit: 3");
                    y.line("failedJobsHistoryLimit: 3");
                    y.block("jobTemplate", |y| y.block("spec", |y| run.write(y)));
                });
            } else {
                if cli {
                    y.comment("A template to run on demand: the Job is created suspended and runs once resumed:");
                    y.line(&format!(
                        "#   kubectl patch job {} --type=merge -p '{{\"spec\":{{\"suspend\":false}}}}'",
                        escape::yaml(&names.app)
                    ));
                }
                object(&mut y, "batch/v1", workload.kind(), &names.app, labels);
                y.block("spec", |y| run.write(y));
            }
            files.add(BASE_DIR, workload.file(), y.finish(), purpose);
        }
    }

    resources
}
