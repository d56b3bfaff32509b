//! Settings only Kubernetes has, which the specs do not give: the replicas of a web service
//! and the registry of the app's image come from `build`'s flags, and a default is reported
//! with the flag that sets it. A name Kubernetes cannot take is an error.

use super::Names;
use super::workload::Workload;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::emit::Layout;
use crate::ir::Ir;
use crate::model::Archetype;

/// Replicas of a web service when `--replicas` is not given: two, so that one pod can be
/// replaced while the other serves.
pub const DEFAULT_REPLICAS: u16 = 2;

/// The longest name a `CronJob` may have: Kubernetes appends 11 characters to name its Jobs.
pub const CRONJOB_NAME_LIMIT: usize = 52;

/// Reports what was defaulted or cannot be used, and returns the replicas of the workload;
/// `None` when the manifests cannot be written.
pub fn check(
    ir: &Ir,
    layout: &Layout,
    names: &Names,
    workload: Workload,
    diagnostics: &mut Diagnostics,
) -> Option<u16> {
    if workload == Workload::CronJob && names.app.len() > CRONJOB_NAME_LIMIT {
        diagnostics.push(
            Diagnostic::new(
                Code::KubernetesNameTooLong,
                format!(
                    "{} has {} characters, too many for a Kubernetes CronJob, which may have {CRONJOB_NAME_LIMIT}",
                    names.app,
                    names.app.len()
                ),
            )
            .help(format!(
                "declare a shorter name in a .spec file (`app NAME {{ ... }}`), or in package.json, with at most {CRONJOB_NAME_LIMIT} characters"
            )),
        );
        return None;
    }

    if layout.image_registry.is_none() {
        let image = ir.app_service().map_or("", |s| s.image.as_str());
        diagnostics.push(
            Diagnostic::new(
                Code::KubernetesImageWithoutRegistry,
                format!(
                    "the Kubernetes manifests run the image {image}, which names no registry, so only nodes that have it loaded can start {}",
                    ir.app.name
                ),
            )
            .help("pass `--image-registry HOST/PATH` to `specdeploy build` (for example `--image-registry ghcr.io/acme`) and push the image there; Compose tags it with the same reference"),
        );
    }

    let web = ir.app.archetype == Archetype::WebService;
    Some(match (web, layout.replicas) {
        (true, Some(replicas)) => replicas,
        (true, None) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::KubernetesReplicasDefaulted,
                    format!(
                        "the specs do not say how many replicas of {} to run on Kubernetes; the Deployment runs {DEFAULT_REPLICAS}",
                        ir.app.name
                    ),
                )
                .help("pass `--replicas N` to `specdeploy build`; with more than one, a PodDisruptionBudget keeps all but one serving while nodes are drained"),
            );
            DEFAULT_REPLICAS
        }
        (false, replicas) => {
            if replicas.is_some() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::KubernetesSettingUnused,
                        format!(
                            "--replicas has no effect: {} is a {}, which runs as a {} of one pod at a time",
                            ir.app.name,
                            ir.app.archetype.as_str(),
                            workload.kind()
                        ),
                    )
                    .help("leave out --replicas; it sets the replicas of a web service"),
                );
            }
            1
        }
    })
}

/// Reports `--replicas` in a build that writes no Kubernetes manifests.
pub fn check_unused(layout: &Layout, diagnostics: &mut Diagnostics) {
    if !layout.target.kubernetes() && layout.replicas.is_some() {
        diagnostics.push(
            Diagnostic::new(
                Code::KubernetesSettingUnused,
                "--replicas has no effect: this build writes no Kubernetes manifests",
            )
            .help("add `--target k8s` or `--target all`, or leave out --replicas"),
        );
    }
}
