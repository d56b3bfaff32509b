//! Counts assertions by status and category, and turns the verification record into the
//! verifier verdicts the labels carry. A verdict in the record counts only while the model's
//! bytes (and a TLA+ model's configuration) hash to what was verified; a label never claims
//! what was not checked:
//!
//! - `true`: every model of the kind is verified and unchanged;
//! - `false`: a model failed, or changed after its verdict;
//! - `unknown`: a model has no verdict (it was never verified);
//! - `none`: the specs hold no model of the kind.
//!
//! `verified` combines the two kinds the same way, and `verified_at` is the latest time at
//! which one of the verdicts behind a `true` was reached, from the record, never the clock.
//! Failures are reported against the assertions whose `formalSpec` line range covers the
//! place the tool named.

use std::collections::BTreeMap;

use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::ir::{ModelVerification, VerificationProblem, VerificationSummary};
use crate::model::Status;
use crate::source::{FileId, Sources, Span};
use crate::verify::record::{self, Entry, Record};
use crate::verify::{ModelFile, Problem, Verifier, locate};

/// Sets `draft.verification`.
pub fn run(input: &Input<'_>, draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let assertions = &input.specs.assertions;
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for a in assertions {
        *by_status.entry(a.status.value.as_str()).or_default() += 1;
        *by_category.entry(a.category.value.as_str()).or_default() += 1;
    }

    let folder = input.folder;
    let record = read_record(folder.verification_record, &folder.sources, diagnostics);
    let mut judged = Vec::new();
    for model in &folder.models {
        let standing = judge(model, record.as_ref());
        report(input, model, &standing, diagnostics);
        judged.push((model, standing));
    }

    let verdict = |tool: Verifier| {
        label(
            judged
                .iter()
                .filter(|(m, _)| m.tool == tool)
                .map(|(_, s)| s),
        )
    };
    let dafny = verdict(Verifier::Dafny);
    let tlc = verdict(Verifier::Tlc);
    let verified = combine(dafny, tlc);
    let verified_at = (verified == "true")
        .then(|| latest(judged.iter().filter_map(|(_, s)| s.entry())))
        .flatten();
    let paths = |tool: Verifier| {
        folder
            .models
            .iter()
            .filter(|m| m.tool == tool)
            .map(|m| m.path.clone())
            .collect()
    };
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
        dafny: dafny.to_owned(),
        tlc: tlc.to_owned(),
        verified: verified.to_owned(),
        verified_at,
        dafny_models: paths(Verifier::Dafny),
        tla_models: paths(Verifier::Tlc),
        models: judged
            .iter()
            .map(|(model, standing)| summarise(input, model, standing))
            .collect(),
    };
}

/// Where one model stands against the record.
#[derive(Debug)]
enum Standing<'a> {
    /// Verified, and unchanged since.
    Verified(&'a Entry),
    /// Checked, unchanged since, and not verified.
    Failed(&'a Entry),
    /// Checked, and this file (the model or its configuration) changed since.
    Stale(&'a Entry, String),
    /// No verdict.
    Unverified,
}

impl<'a> Standing<'a> {
    fn entry(&self) -> Option<&'a Entry> {
        match self {
            Self::Verified(e) | Self::Failed(e) | Self::Stale(e, _) => Some(e),
            Self::Unverified => None,
        }
    }

    fn as_str(&self) -> &'static str {
        match self {
            Self::Verified(_) => "verified",
            Self::Failed(_) => "failed",
            Self::Stale(..) => "stale",
            Self::Unverified => "unverified",
        }
    }
}

fn judge<'a>(model: &ModelFile, record: Option<&'a Record>) -> Standing<'a> {
    let Some(entry) = record
        .and_then(|r| r.entry(&model.path))
        .filter(|e| e.outcome.tool == model.tool)
    else {
        return Standing::Unverified;
    };
    if entry.sha256 != model.sha256 {
        return Standing::Stale(entry, model.path.clone());
    }
    if let Some(config) = &model.config {
        let same = entry
            .config
            .as_ref()
            .is_some_and(|c| c.file == config.path && c.sha256 == config.sha256);
        if !same {
            return Standing::Stale(entry, config.path.clone());
        }
    }
    if entry.outcome.is_verified() {
        Standing::Verified(entry)
    } else {
        Standing::Failed(entry)
    }
}

/// The label of a set of models: `none`, `false`, `unknown` or `true`.
fn label<'a>(standings: impl Iterator<Item = &'a Standing<'a>>) -> &'static str {
    let mut any = false;
    let mut unknown = false;
    for standing in standings {
        any = true;
        match standing {
            Standing::Failed(_) | Standing::Stale(..) => return "false",
            Standing::Unverified => unknown = true,
            Standing::Verified(_) => {}
        }
    }
    match (any, unknown) {
        (false, _) => "none",
        (true, true) => "unknown",
        (true, false) => "true",
    }
}

/// Both kinds together: a kind with no model does not count.
fn combine(dafny: &'static str, tlc: &'static str) -> &'static str {
    let kinds = [dafny, tlc];
    if kinds.iter().all(|k| *k == "none") {
        "none"
    } else if kinds.contains(&"false") {
        "false"
    } else if kinds.contains(&"unknown") {
        "unknown"
    } else {
        "true"
    }
}

/// The latest `ran_at` of `entries`, as RFC 3339 in UTC; times that do not parse are left out.
fn latest<'a>(entries: impl Iterator<Item = &'a Entry>) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    entries
        .filter_map(|e| time::OffsetDateTime::parse(&e.ran_at, &Rfc3339).ok())
        .max()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok())
}

fn read_record(
    file: Option<FileId>,
    sources: &Sources,
    diagnostics: &mut Diagnostics,
) -> Option<Record> {
    let file = file?;
    let source = sources.get(file);
    match record::parse(&source.text) {
        Ok(record) => Some(record),
        Err(error) => {
            let offset = offset_of(&source.text, error.line, error.column);
            diagnostics.push(
                Diagnostic::new(
                    Code::UnreadableRecord,
                    format!(
                        "{} cannot be read, so no model counts as verified: {}",
                        record::PATH,
                        error.message
                    ),
                )
                .at(Span::new(file, offset, offset), "cannot be read from here")
                .help("run `specdeploy verify` to write it afresh; it is written by specdeploy, not by hand"),
            );
            None
        }
    }
}

/// The byte offset of one-based `line` and `column` (0 for unknown) in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = text.get(start..).unwrap_or("");
    let within: usize = rest
        .chars()
        .take(column.saturating_sub(1))
        .take_while(|c| *c != '\n')
        .map(char::len_utf8)
        .sum();
    start + within
}

/// The label that names a model's kind: `com.spec-driven.dafny-verified`.
fn label_name(tool: Verifier) -> &'static str {
    match tool {
        Verifier::Dafny => "com.spec-driven.dafny-verified",
        Verifier::Tlc => "com.spec-driven.tlc-verified",
    }
}

fn severity(input: &Input<'_>, code: Code) -> Severity {
    if input.options.require_verified {
        Severity::Error
    } else {
        code.default_severity()
    }
}

fn report(input: &Input<'_>, model: &ModelFile, standing: &Standing<'_>, out: &mut Diagnostics) {
    let sources = &input.folder.sources;
    let tool = model.tool;
    let whole = |file: Option<FileId>| file.map(Span::file_start);
    match standing {
        Standing::Verified(_) => {}
        Standing::Unverified => {
            let mut d = Diagnostic::new(
                Code::NeverVerified,
                format!(
                    "{} has no verification verdict, so {} says unknown",
                    model.path,
                    label_name(tool)
                ),
            )
            .severity(severity(input, Code::NeverVerified))
            .help(format!(
                "run `specdeploy verify` (it runs {} and records the verdict in {}), or pass the output of your own run with `specdeploy verify --{}-log LOG`",
                tool.display_name(),
                record::PATH,
                tool.as_str()
            ));
            if let Some(span) = whole(model.text) {
                d = d.at(span, "never verified");
            }
            out.push(d);
        }
        Standing::Stale(entry, changed) => {
            let file = if *changed == model.path {
                model.text
            } else {
                model.config.as_ref().and_then(|c| c.text)
            };
            let what = if *changed == model.path {
                format!("{changed} changed after {} checked it", tool.display_name())
            } else {
                format!(
                    "{changed} changed after {} checked {} with it",
                    tool.display_name(),
                    model.path
                )
            };
            let mut d = Diagnostic::new(
                Code::StaleVerification,
                format!(
                    "{what} at {}, so that verdict no longer counts and {} is false",
                    entry.ran_at,
                    label_name(tool)
                ),
            )
            .severity(severity(input, Code::StaleVerification))
            .help("run `specdeploy verify` again to check the model as it is now");
            if let Some(span) = whole(file) {
                d = d.at(span, "changed since it was verified");
            }
            out.push(d);
        }
        Standing::Failed(entry) => {
            for problem in &entry.outcome.problems {
                out.push(failure(input, model, entry, problem, sources));
            }
            if entry.outcome.problems.is_empty() {
                out.push(failure(
                    input,
                    model,
                    entry,
                    &Problem::new("the tool reported no detail"),
                    sources,
                ));
            }
        }
    }
}

/// The diagnostic for one problem of a failed model: at the place in the model the tool named,
/// with the assertions whose `formalSpec` covers it.
fn failure(
    input: &Input<'_>,
    model: &ModelFile,
    entry: &Entry,
    problem: &Problem,
    sources: &Sources,
) -> Diagnostic {
    let outcome = &entry.outcome;
    let tool = model.tool;
    let kind = outcome.failure.map_or("a failure", |k| k.describe());
    let covering = locate::covering(&input.specs.assertions, &model.path, problem);
    let against = if covering.is_empty() {
        String::new()
    } else {
        let ids: Vec<&str> = covering.iter().map(|a| a.id.value.as_str()).collect();
        format!(" against {}", ids.join(", "))
    };
    let trace = outcome.counterexample.as_ref().map_or(String::new(), |c| {
        let ends = c
            .ends_with
            .as_ref()
            .map_or(String::new(), |e| format!(", then {e}"));
        format!(" (counterexample of {} states{ends})", c.length)
    });
    let file_of = |path: &str| {
        if path == model.path {
            model.text
        } else {
            model
                .config
                .as_ref()
                .filter(|c| c.path == path)
                .and_then(|c| c.text)
        }
    };
    // A place outside the model (a file it includes) cannot be shown; it is named instead.
    let elsewhere = problem
        .location
        .as_ref()
        .filter(|place| place.file != model.path && file_of(&place.file).is_none())
        .map_or(String::new(), |place| {
            format!(" (at {}:{})", place.file, place.line)
        });
    let mut d = Diagnostic::new(
        Code::VerificationFailed,
        format!(
            "{} reports {kind} in {}{against}: {}{elsewhere}{trace}",
            tool.display_name(),
            model.path,
            problem.message
        ),
    )
    .severity(severity(input, Code::VerificationFailed))
    .help(format!(
        "fix the model, or the assertion it states, and run `specdeploy verify` again; until it verifies, {} is false",
        label_name(tool)
    ));

    let primary = problem
        .location
        .as_ref()
        .and_then(|place| Some((file_of(&place.file)?, place)));
    match primary {
        Some((file, place)) => {
            let label = place
                .note
                .clone()
                .unwrap_or_else(|| "reported here".to_owned());
            d = d.at(line_span(sources, file, place.line, place.column), label);
        }
        None => {
            if let Some(file) = model.text {
                d = d.at(Span::file_start(file), "in this model");
            }
        }
    }
    for place in &problem.related {
        if let Some(file) = file_of(&place.file) {
            let note = place.note.clone().unwrap_or_else(|| "related".to_owned());
            d = d.also(line_span(sources, file, place.line, place.column), note);
        }
    }
    for assertion in covering {
        if let Some(formal) = &assertion.formal_spec {
            let span = formal.lines.as_ref().map_or(formal.file.span, |l| l.span);
            d = d.also(
                span,
                format!("{}'s formal spec covers this place", assertion.id.value),
            );
        }
    }
    d
}

/// The span from one-based `column` (the line's first non-blank character when unknown) to
/// the end of one-based `line` in `file`.
fn line_span(sources: &Sources, file: FileId, line: u32, column: Option<u32>) -> Span {
    let text = &sources.get(file).text;
    let start = offset_of(text, line as usize, 1);
    let rest = text.get(start..).unwrap_or("");
    let line_text = rest.split('\n').next().unwrap_or("");
    let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
    let from = match column {
        Some(c) => line_text
            .chars()
            .take(c.saturating_sub(1) as usize)
            .map(char::len_utf8)
            .sum(),
        None => line_text.len() - line_text.trim_start().len(),
    };
    let from = from.min(line_text.len());
    let to = line_text.trim_end().len().max(from);
    Span::new(file, start + from, start + to)
}

fn summarise(input: &Input<'_>, model: &ModelFile, standing: &Standing<'_>) -> ModelVerification {
    let entry = standing.entry();
    let problems = match standing {
        Standing::Failed(entry) => entry
            .outcome
            .problems
            .iter()
            .map(|p| VerificationProblem {
                message: p.message.clone(),
                property: p.property.clone(),
                line: p
                    .location
                    .as_ref()
                    .filter(|l| l.file == model.path)
                    .map(|l| l.line),
                assertions: locate::covering(&input.specs.assertions, &model.path, p)
                    .iter()
                    .map(|a| a.id.value.to_string())
                    .collect(),
            })
            .collect(),
        _ => Vec::new(),
    };
    ModelVerification {
        file: model.path.clone(),
        tool: model.tool.as_str().to_owned(),
        status: standing.as_str().to_owned(),
        tool_version: entry.and_then(|e| e.outcome.tool_version.clone()),
        ran_at: entry.map(|e| e.ran_at.clone()),
        failure: entry
            .and_then(|e| e.outcome.failure)
            .map(|k| k.as_str().to_owned()),
        counts: entry.map(|e| e.outcome.counts_text()),
        problems,
    }
}
