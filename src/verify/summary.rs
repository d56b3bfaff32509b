//! The verification summary as people read it, in `build`'s summary and in `explain`: one line
//! per model with its standing, and under a failed model the assertions it breaks.

use std::fmt::Write as _;

use crate::ir::VerificationSummary;

/// The lines for `summary`, each indented by `indent`; empty when the specs hold no model.
#[must_use]
pub fn human(summary: &VerificationSummary, indent: &str) -> String {
    let mut out = String::new();
    if summary.models.is_empty() {
        return out;
    }
    let width = summary
        .models
        .iter()
        .map(|m| m.file.len())
        .max()
        .unwrap_or(0);
    for model in &summary.models {
        let detail = match model.status.as_str() {
            "verified" => format!(
                "verified by {} at {}{}",
                tool_name(&model.tool, model.tool_version.as_deref()),
                model.ran_at.as_deref().unwrap_or("?"),
                model
                    .counts
                    .as_deref()
                    .map_or(String::new(), |c| format!(" ({c})"))
            ),
            "failed" => format!(
                "failed under {} at {}: {}",
                tool_name(&model.tool, model.tool_version.as_deref()),
                model.ran_at.as_deref().unwrap_or("?"),
                model.failure.as_deref().unwrap_or("not verified")
            ),
            "stale" => "changed since it was verified: run `specdeploy verify`".to_owned(),
            _ => "never verified: run `specdeploy verify`".to_owned(),
        };
        let _ = writeln!(out, "{indent}{:<width$}  {detail}", model.file);
        for problem in &model.problems {
            let line = problem
                .line
                .map_or(String::new(), |l| format!("line {l}: "));
            let who = if problem.assertions.is_empty() {
                String::new()
            } else {
                format!("{}: ", problem.assertions.join(", "))
            };
            let _ = writeln!(out, "{indent}    {who}{line}{}", problem.message);
        }
    }
    out
}

/// The verdict labels in one line: `verified=false (dafny false, tlc unknown)`.
#[must_use]
pub fn verdicts(summary: &VerificationSummary) -> String {
    format!(
        "verified={} (dafny {}, tlc {})",
        summary.verified, summary.dafny, summary.tlc
    )
}

fn tool_name(tool: &str, version: Option<&str>) -> String {
    let name = match tool {
        "dafny" => "Dafny",
        "tlc" => "TLC",
        other => other,
    };
    version.map_or_else(|| name.to_owned(), |v| format!("{name} {v}"))
}
