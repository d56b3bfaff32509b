//! `.env.example`: every variable, grouped by service, each with the assertions that need it.
//! Secrets are empty and marked required; nothing secret is ever filled in.

use serde::Serialize;

use super::{Artifact, HEADER, Root, escape, render, verbatim};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Ir, ValuePart, Variable};

#[derive(Serialize)]
struct Entry {
    name: minijinja::Value,
    comment: minijinja::Value,
    line: minijinja::Value,
}

#[derive(Serialize)]
struct Group {
    name: minijinja::Value,
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    groups: Vec<Group>,
}

fn built(parts: &[ValuePart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            ValuePart::Text(t) => t.clone(),
            ValuePart::Var(v) => format!("${{{v}}}"),
        })
        .collect()
}

/// Renders `.env.example`.
pub fn emit(ir: &Ir, diagnostics: &mut Diagnostics) -> Option<Artifact> {
    render_variables(&ir.variables, diagnostics)
}

/// Renders `.env.example` for `variables`, in their order: consecutive variables of one group
/// share a section.
pub fn render_variables(variables: &[Variable], diagnostics: &mut Diagnostics) -> Option<Artifact> {
    let mut groups: Vec<Group> = Vec::new();
    let mut failed = false;
    for variable in variables {
        let kind = match (variable.secret, variable.user_supplied, &variable.default) {
            (_, false, _) => "Set by compose.yaml.",
            (true, true, _) => "Secret, required.",
            (false, true, None) => "Required.",
            (false, true, Some(d)) if super::compose::can_default(d) => {
                "Optional; the default is shown."
            }
            (false, true, Some(_)) => {
                "Required by compose.yaml, which cannot carry this default; keep the value shown."
            }
        };
        let description = variable.description.trim_end();
        let stop = if description.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        let comment = escape::comment(&format!(
            "{description}{stop} {kind}{}",
            variable.needed_by()
        ));
        let line = if variable.user_supplied {
            let value = if variable.secret {
                ""
            } else {
                variable.default.as_deref().unwrap_or("")
            };
            match escape::dotenv(&variable.name, value) {
                Ok(v) => format!("{}={v}", variable.name),
                Err(e) => {
                    failed = true;
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnsafeValue,
                            format!(
                                "the default of {} cannot be written to .env.example: {}",
                                variable.name, e.reason
                            ),
                        )
                        .help("change the default in the specs"),
                    );
                    continue;
                }
            }
        } else {
            let shown = variable
                .compose_value
                .as_deref()
                .map(built)
                .unwrap_or_default();
            escape::comment(&format!("# {}={shown}", variable.name))
        };
        let entry = Entry {
            name: verbatim(variable.name.clone()),
            comment: verbatim(comment),
            line: verbatim(line),
        };
        match groups.last_mut() {
            Some(group) if group.name.as_str() == Some(variable.group.as_str()) => {
                group.entries.push(entry);
            }
            _ => groups.push(Group {
                name: verbatim(escape::comment(&variable.group)),
                entries: vec![entry],
            }),
        }
    }
    if failed {
        return None;
    }
    let contents = render(
        "env.example.j2",
        Context {
            header: verbatim(HEADER.to_owned()),
            groups,
        },
        diagnostics,
    )?;
    Some(Artifact {
        path: ".env.example".to_owned(),
        root: Root::Out,
        purpose: format!(
            "template for .env: {} variable{}, secrets left empty",
            variables.len(),
            if variables.len() == 1 { "" } else { "s" }
        ),
        contents,
    })
}
