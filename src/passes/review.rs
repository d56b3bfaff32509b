//! Warns about assertions whose status or references make the build questionable.

use rustc_hash::FxHashSet;

use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::model::Status;

/// Reports unconfirmed and denied assertions, and references to unknown ids.
pub fn run(input: &Input<'_>, _draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let specs = input.specs;
    let ids: FxHashSet<&str> = specs
        .assertions
        .iter()
        .map(|a| a.id.value.as_str())
        .collect();

    for assertion in &specs.assertions {
        let status = assertion.status.value;
        match status {
            Status::Pending | Status::Proposed | Status::Deferred => {
                let mut d = Diagnostic::new(
                    Code::UnconfirmedAssertion,
                    format!(
                        "assertion {} is {} but goes into the build",
                        assertion.id.value,
                        status.as_str()
                    ),
                )
                .at(
                    assertion.status.span,
                    format!("status is {}", status.as_str()),
                )
                .help("confirm or deny it in the spec review; the build treats it as if it held");
                if input.options.require_confirmed {
                    d = d.severity(Severity::Error);
                }
                diagnostics.push(d);
            }
            Status::Denied => diagnostics.push(
                Diagnostic::new(
                    Code::DeniedAssertion,
                    format!(
                        "assertion {} is denied and shapes nothing",
                        assertion.id.value
                    ),
                )
                .at(assertion.status.span, "denied")
                .help("remove it from the specs once the decision is recorded elsewhere")
                .severity(if input.options.require_confirmed {
                    Severity::Error
                } else {
                    Severity::Warning
                }),
            ),
            _ => {}
        }
        if let Some(formal) = &assertion.formal_spec {
            let file = formal.file.value.trim_start_matches("./");
            if file.starts_with('/') || file.split('/').any(|p| p == "..") {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidFormalSpec,
                        format!("assertion {} links to {file}, outside the app folder", assertion.id.value),
                    )
                    .at(formal.file.span, "outside the app folder")
                    .help("formal models live in the spec folder: specs/dafny/NAME.dfy or specs/tla/NAME.tla"),
                );
            } else if !input.folder.has(file) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidFormalSpec,
                        format!("assertion {} links to {file}, which does not exist", assertion.id.value),
                    )
                    .at(formal.file.span, "no such file")
                    .help("fix the path (relative to the app folder, like specs/dafny/model.dfy), or remove the link"),
                );
            }
        }
        let references = assertion
            .dependencies
            .iter()
            .chain(assertion.refined_from.as_deref());
        for reference in references {
            if !ids.contains(reference.value.as_str()) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownDependency,
                        format!(
                            "assertion {} refers to {}, which no assertion has as its id",
                            assertion.id.value, reference.value
                        ),
                    )
                    .at(reference.span, "unknown id")
                    .help("fix the id, or add the assertion it names"),
                );
            }
        }
    }
    let because = specs
        .needs
        .iter()
        .flat_map(|n| n.because.iter())
        .chain(specs.variables.iter().flat_map(|v| v.because.iter()));
    for reference in because {
        if !ids.contains(reference.value.as_str()) {
            diagnostics.push(
                Diagnostic::new(
                    Code::UnusedNeedOverride,
                    format!(
                        "{} is named as a reason, but no assertion has that id",
                        reference.value
                    ),
                )
                .at(reference.span, "unknown id")
                .help("name the assertion that motivates the declaration, or drop the `because`"),
            );
        }
    }

    // A manifest that could not be read already has its own error; "no assertions" would
    // only repeat it less precisely.
    let unreadable = diagnostics.has_errors()
        || diagnostics.iter().any(|d| {
            matches!(
                d.code,
                Code::MalformedJson
                    | Code::NotUtf8
                    | Code::UnreadableFile
                    | Code::InputTooLarge
                    | Code::SpecSyntax
            )
        });
    if specs.assertions.is_empty() && input.folder.has_specs_dir && !unreadable {
        let place = input
            .folder
            .manifest
            .or_else(|| input.folder.spec_files.first().copied());
        let mut d = Diagnostic::new(Code::NoAssertions, "the specs hold no assertions yet")
            .help("add assertions to specs/assertions.json (the spec-driven toolchain writes them) or to a .spec file; the artifacts can only follow what the specs say");
        if let Some(file) = place {
            d = d.at(
                crate::source::Span::file_start(file),
                "no assertions in this file",
            );
        }
        diagnostics.push(d);
    }
}
