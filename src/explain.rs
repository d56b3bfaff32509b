//! `specdeploy explain`: every inferred need, service, variable and label, and why.

use std::fmt::Write as _;

use serde::Serialize;

use crate::ir::{Ir, Probe, Provenance, ServiceRole};
use crate::source::Sources;

/// A provenance entry with its place resolved to file, line and column.
#[derive(Debug, Serialize)]
pub struct Reason<'a> {
    /// The rule that fired.
    pub rule: &'a str,
    /// The assertion, when one caused it.
    pub assertion: Option<&'a str>,
    /// The field the words were in.
    pub field: &'a str,
    /// The words.
    pub matched: &'a str,
    /// File of the words.
    pub file: Option<&'a str>,
    /// One-based line.
    pub line: Option<usize>,
    /// One-based column.
    pub column: Option<usize>,
}

fn reasons<'a>(provenance: &'a [Provenance], sources: &'a Sources) -> Vec<Reason<'a>> {
    provenance
        .iter()
        .map(|p| {
            let place = p.span.map(|s| {
                let file = sources.get(s.file);
                let (line, column) = file.line_column(s.start());
                (file.path.as_str(), line, column)
            });
            Reason {
                rule: p.rule,
                assertion: p.assertion.as_deref(),
                field: p.field,
                matched: &p.matched,
                file: place.map(|p| p.0),
                line: place.map(|p| p.1),
                column: place.map(|p| p.2),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct Explained<'a> {
    app: &'a crate::ir::App,
    archetype_because: Vec<Reason<'a>>,
    needs: Vec<NeedExplained<'a>>,
    services: Vec<ServiceExplained<'a>>,
    variables: Vec<VariableExplained<'a>>,
    labels: &'a [(String, String)],
    verification: &'a crate::ir::VerificationSummary,
}

#[derive(Serialize)]
struct NeedExplained<'a> {
    #[serde(flatten)]
    need: &'a crate::ir::Need,
    because: Vec<Reason<'a>>,
}

#[derive(Serialize)]
struct ServiceExplained<'a> {
    #[serde(flatten)]
    service: &'a crate::ir::Service,
    because: Vec<Reason<'a>>,
}

#[derive(Serialize)]
struct VariableExplained<'a> {
    #[serde(flatten)]
    variable: &'a crate::ir::Variable,
    because: Vec<Reason<'a>>,
}

/// The explanation as one JSON document.
#[must_use]
pub fn json(ir: &Ir, sources: &Sources) -> String {
    let explained = Explained {
        app: &ir.app,
        archetype_because: reasons(std::slice::from_ref(&ir.app.archetype_provenance), sources),
        needs: ir
            .needs
            .iter()
            .map(|n| NeedExplained {
                need: n,
                because: reasons(&n.provenance, sources),
            })
            .collect(),
        services: ir
            .services
            .iter()
            .map(|s| ServiceExplained {
                service: s,
                because: reasons(&s.provenance, sources),
            })
            .collect(),
        variables: ir
            .variables
            .iter()
            .map(|v| VariableExplained {
                variable: v,
                because: reasons(&v.provenance, sources),
            })
            .collect(),
        labels: &ir.labels,
        verification: &ir.verification,
    };
    serde_json::to_string_pretty(&explained).unwrap_or_default()
}

fn reason_line(out: &mut String, r: &Reason<'_>) {
    let who = r.assertion.map_or_else(String::new, |a| format!("{a} "));
    let place = match (r.file, r.line, r.column) {
        (Some(f), Some(l), Some(c)) => format!(" at {f}:{l}:{c}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "      {who}{} {:?} (rule {}){place}",
        r.field, r.matched, r.rule
    );
}

/// The explanation for people.
#[must_use]
pub fn human(ir: &Ir, sources: &Sources) -> String {
    let mut out = String::new();
    let app = &ir.app;
    let _ = writeln!(
        out,
        "{} {}: {}",
        app.name,
        app.version,
        app.archetype.as_str()
    );
    for r in reasons(std::slice::from_ref(&app.archetype_provenance), sources) {
        reason_line(&mut out, &r);
    }

    let _ = writeln!(out, "\nNeeds");
    if ir.needs.is_empty() {
        let _ = writeln!(
            out,
            "  none: no assertion, boundary or dependency asks for a backing service"
        );
    }
    for need in &ir.needs {
        let name = if need.names.is_empty() {
            String::new()
        } else {
            format!(" {}", need.names.join(", "))
        };
        let _ = writeln!(
            out,
            "  {}{name}: {}",
            need.kind.as_str(),
            need.technology.as_str()
        );
        for r in reasons(&need.provenance, sources) {
            reason_line(&mut out, &r);
        }
    }

    let _ = writeln!(out, "\nServices, in start order");
    for service in &ir.services {
        let role = match service.role {
            ServiceRole::App => "app".to_owned(),
            ServiceRole::Backing(t) => t.as_str().to_owned(),
        };
        let _ = writeln!(out, "  {} ({role}): {}", service.name, service.image);
        if !service.depends_on.is_empty() {
            let _ = writeln!(out, "      waits for {}", service.depends_on.join(", "));
        }
        match (&service.health, &service.no_health_reason) {
            (Some(h), _) => {
                let probe = match &h.probe {
                    Probe::Exec(args) => args.join(" "),
                    Probe::Shell(line) => format!("sh -c {line:?}"),
                };
                let _ = writeln!(out, "      probe: {probe}");
                let _ = writeln!(
                    out,
                    "      checks: {}; start period {}s",
                    h.reason, h.start_period_s
                );
            }
            (None, Some(reason)) => {
                let _ = writeln!(out, "      no probe: {reason}");
            }
            (None, None) => {}
        }
    }

    let _ = writeln!(out, "\nVariables");
    for v in &ir.variables {
        let kind = match (v.secret, v.user_supplied) {
            (true, true) => "secret, you set it",
            (false, true) => "you set it",
            (_, false) => "set by compose.yaml",
        };
        let ids = v.assertion_ids();
        let because = if ids.is_empty() {
            String::new()
        } else {
            format!("; needed by {}", ids.join(", "))
        };
        let _ = writeln!(out, "  {} ({kind}{because}): {}", v.name, v.description);
    }

    let _ = writeln!(out, "\nLabels");
    for (k, v) in &ir.labels {
        let _ = writeln!(out, "  {k}={v}");
    }
    let summary = &ir.verification;
    let _ = writeln!(
        out,
        "\nVerification: {} assertions, {} confirmed; Dafny {}, TLC {}",
        summary.assertions, summary.confirmed, summary.dafny, summary.tlc
    );
    out.push_str(&crate::verify::summary::human(summary, "  "));
    out
}
