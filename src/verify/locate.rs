//! Ties the problems a verifier reported to lines of the model, and lines of the model to the
//! assertions whose `formalSpec` covers them.
//!
//! Tools name files as they were given them (`specs/dafny/structure.dfy`, an absolute path,
//! a bare file name, a TLA+ module name), so [`resolve`] rewrites every place in the model to
//! the model's path. TLC names a violated invariant or property rather than a line; its place
//! is the line where the model defines it. When TLC says only that "temporal properties were
//! violated" and the model's configuration checks exactly one property, that property is the
//! one violated.

use super::{FailureKind, Location, Outcome, Problem};
use crate::model::Assertion;

/// What [`resolve`] needs to know about the model.
#[derive(Clone, Copy, Debug)]
pub struct ModelText<'a> {
    /// The model's path relative to the app folder.
    pub path: &'a str,
    /// Its text, when it is readable.
    pub text: Option<&'a str>,
    /// For a TLA+ model, its configuration's path and text.
    pub config: Option<(&'a str, Option<&'a str>)>,
}

/// Rewrites the places in `outcome` that lie in the model to the model's path, and gives TLC's
/// named invariants and properties the line that defines them.
pub fn resolve(outcome: &mut Outcome, model: ModelText<'_>) {
    let single_property = model
        .config
        .and_then(|(_, text)| text)
        .map(config_properties)
        .filter(|names| names.len() == 1)
        .and_then(|mut names| names.pop());
    let temporal = outcome.failure == Some(FailureKind::Temporal);
    for problem in &mut outcome.problems {
        if temporal && problem.property.is_none() {
            problem.property.clone_from(&single_property);
        }
        for place in problem
            .location
            .iter_mut()
            .chain(problem.related.iter_mut())
        {
            rename(place, model);
        }
        if problem.location.is_none()
            && let (Some(name), Some(text)) = (&problem.property, model.text)
            && let Some(line) = definition_line(text, name)
        {
            problem.location = Some(Location {
                file: model.path.to_owned(),
                line,
                column: Some(1),
                note: Some(format!("{name} is defined here")),
            });
        }
    }
}

/// Rewrites `place` to the model's (or its configuration's) path when it names that file.
fn rename(place: &mut Location, model: ModelText<'_>) {
    if let Some((config, _)) = model.config
        && place.file == "<config>"
    {
        config.clone_into(&mut place.file);
        return;
    }
    if place.file.is_empty() || names_file(&place.file, model.path) {
        model.path.clone_into(&mut place.file);
    }
}

/// Whether `named` (as a tool printed it) is the file at `path` (relative to the app folder):
/// the same path, a longer path that ends with it, or the same file name.
#[must_use]
pub fn names_file(named: &str, path: &str) -> bool {
    let named = named.trim().replace('\\', "/");
    let named = named.strip_prefix("./").unwrap_or(&named);
    if named == path || named.ends_with(&format!("/{path}")) {
        return true;
    }
    let file_name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
    file_name(named) == file_name(path)
}

/// The one-based line where `name` is defined in a TLA+ module: a line that starts with the
/// name, its parameters if any, and `==`. Definitions at the left margin are preferred over
/// indented ones (which are usually local `LET` definitions).
#[must_use]
pub fn definition_line(text: &str, name: &str) -> Option<u32> {
    let defines = |line: &str| {
        let Some(rest) = line.strip_prefix(name) else {
            return false;
        };
        if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let rest = rest.trim_start();
        let rest = match rest.chars().next() {
            Some(open @ ('(' | '[')) => {
                let close = if open == '(' { ')' } else { ']' };
                rest.find(close).map_or("", |end| &rest[end + 1..])
            }
            _ => rest,
        };
        rest.trim_start().starts_with("==")
    };
    let numbered = || text.lines().zip(1_u32..);
    numbered()
        .find(|(line, _)| defines(line))
        .or_else(|| numbered().find(|(line, _)| defines(line.trim_start())))
        .map(|(_, number)| number)
}

/// The names a TLC configuration lists under `PROPERTY` or `PROPERTIES`.
#[must_use]
pub fn config_properties(text: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "CONSTANT",
        "CONSTANTS",
        "INIT",
        "NEXT",
        "SPECIFICATION",
        "INVARIANT",
        "INVARIANTS",
        "PROPERTY",
        "PROPERTIES",
        "SYMMETRY",
        "VIEW",
        "CONSTRAINT",
        "CONSTRAINTS",
        "ACTION_CONSTRAINT",
        "ACTION_CONSTRAINTS",
        "CHECK_DEADLOCK",
        "POSTCONDITION",
        "ALIAS",
    ];
    let mut names = Vec::new();
    let mut listing = false;
    for token in without_comments(text).split_whitespace() {
        if KEYWORDS.contains(&token) {
            listing = matches!(token, "PROPERTY" | "PROPERTIES");
            continue;
        }
        if listing
            && token
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '!')
        {
            names.push(token.to_owned());
        }
    }
    names
}

/// `text` with TLA+ comments (`\* to the end of the line` and `(* ... *)`) blanked out.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut depth = 0_usize;
    while !rest.is_empty() {
        if rest.starts_with("(*") {
            depth += 1;
            rest = &rest[2..];
            out.push(' ');
        } else if depth > 0 && rest.starts_with("*)") {
            depth -= 1;
            rest = &rest[2..];
            out.push(' ');
        } else if depth == 0 && rest.starts_with("\\*") {
            let end = rest.find('\n').unwrap_or(rest.len());
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            if depth == 0 || c == '\n' {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Whether an assertion's `formalSpec` names the model at `path`; a path written relative to
/// `specs/` (`dafny/structure.dfy`) counts too.
#[must_use]
pub fn formal_spec_names(assertion: &Assertion, path: &str) -> bool {
    assertion.formal_spec.as_ref().is_some_and(|formal| {
        let file = formal.file.value.trim();
        let file = file.strip_prefix("./").unwrap_or(file);
        file == path || format!("specs/{file}") == path
    })
}

/// The assertions whose `formalSpec` line range in the model at `path` covers a place of
/// `problem`, in the order given, each once.
#[must_use]
pub fn covering<'a>(
    assertions: &'a [Assertion],
    path: &str,
    problem: &Problem,
) -> Vec<&'a Assertion> {
    let lines: Vec<u32> = problem
        .places()
        .filter(|place| place.file == path)
        .map(|place| place.line)
        .collect();
    assertions
        .iter()
        .filter(|a| formal_spec_names(a, path))
        .filter(|a| {
            a.formal_spec
                .as_ref()
                .and_then(|f| f.lines.as_ref())
                .is_some_and(|range| {
                    let (first, last) = range.value;
                    lines.iter().any(|line| (first..=last).contains(line))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_found_with_and_without_parameters() {
        let text =
            "Init == x = 0\nReserve(c) ==\n  /\\ x' = x\nInv ==\n    x >= 0\nInvariant == TRUE\n";
        assert_eq!(definition_line(text, "Reserve"), Some(2));
        assert_eq!(definition_line(text, "Inv"), Some(4));
        assert_eq!(definition_line(text, "Invariant"), Some(6));
        assert_eq!(definition_line(text, "Missing"), None);
    }

    #[test]
    fn configuration_properties_skip_comments() {
        let cfg = "SPECIFICATION Spec\n\\* PROPERTY Old\nINVARIANT TypeOK\nPROPERTY Live (* PROPERTY X *)\nCHECK_DEADLOCK TRUE\n";
        assert_eq!(config_properties(cfg), ["Live"]);
        assert_eq!(
            config_properties("PROPERTIES\n  A\n  B\nINVARIANT I\n"),
            ["A", "B"]
        );
    }

    #[test]
    fn file_names_match_however_the_tool_printed_them() {
        let path = "specs/dafny/structure.dfy";
        assert!(names_file("specs/dafny/structure.dfy", path));
        assert!(names_file("/home/dev/shop/specs/dafny/structure.dfy", path));
        assert!(names_file("structure.dfy", path));
        assert!(!names_file("other.dfy", path));
    }
}
