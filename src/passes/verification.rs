//! Counts assertions by status and category and lists the formal models. Verifier verdicts
//! are `unknown` until a verification record says otherwise, and `none` when the specs hold no
//! models of that kind: a label never claims what was not checked.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Draft, Input};
use crate::diagnostic::Diagnostics;
use crate::ir::VerificationSummary;
use crate::model::Status;

/// Sets `draft.verification`.
pub fn run(input: &Input<'_>, draft: &mut Draft, _diagnostics: &mut Diagnostics) {
    let assertions = &input.specs.assertions;
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for a in assertions {
        *by_status.entry(a.status.value.as_str()).or_default() += 1;
        *by_category.entry(a.category.value.as_str()).or_default() += 1;
    }
    let files = &input.folder.files;
    let dafny_models: Vec<String> = files
        .iter()
        .filter(|f| {
            f.starts_with("specs/dafny/")
                && Path::new(f.as_str())
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("dfy"))
        })
        .cloned()
        .collect();
    let tla_models: Vec<String> = files
        .iter()
        .filter(|f| {
            f.starts_with("specs/tla/")
                && f.strip_suffix(".tla")
                    .is_some_and(|stem| files.contains(&format!("{stem}.cfg")))
        })
        .cloned()
        .collect();
    let verdict = |models: &[String]| if models.is_empty() { "none" } else { "unknown" };
    let dafny = verdict(&dafny_models).to_owned();
    let tlc = verdict(&tla_models).to_owned();
    let verified = if dafny == "none" && tlc == "none" {
        "none"
    } else {
        "unknown"
    }
    .to_owned();
    draft.verification = VerificationSummary {
        assertions: assertions.len(),
        confirmed: assertions
            .iter()
            .filter(|a| a.status.value == Status::Confirmed)
            .count(),
        by_status: by_status
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        by_category: by_category
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        dafny,
        tlc,
        verified,
        verified_at: None,
        dafny_models,
        tla_models,
    };
}
