//! `.dockerignore`: keeps secrets, dependencies and tests out of the build context, and
//! keeps the lockfile in.

use serde::Serialize;

use super::{Artifact, HEADER, Root, render, verbatim};
use crate::diagnostic::Diagnostics;
use crate::ir::Ir;

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    lockfile: Option<minijinja::Value>,
}

/// The rules of ours that a user's `.dockerignore` lacks: those that keep secrets out of the
/// build context, and the re-inclusion of the lockfile when it would otherwise be excluded.
#[must_use]
pub fn missing_rules(text: &str, lockfile: Option<&str>) -> Vec<String> {
    let rules: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut missing: Vec<String> = [".env", ".env.*", ".npmrc"]
        .iter()
        .filter(|rule| !rules.contains(rule))
        .map(|rule| format!("`{rule}`"))
        .collect();
    if let Some(lockfile) = lockfile {
        let excluded = rules.iter().rposition(|r| {
            let pattern = r.trim_start_matches("**/");
            !r.starts_with('!')
                && (pattern == lockfile
                    || pattern == "bun.lock*"
                    || pattern == "*.lock"
                    || pattern == "*.lockb")
        });
        let included = rules
            .iter()
            .rposition(|r| r.trim_start_matches('!') == lockfile && r.starts_with('!'));
        if excluded.is_some() && included < excluded {
            missing.push(format!("`!{lockfile}` after the rule that excludes it"));
        }
    }
    missing
}

/// Renders `.dockerignore`. Docker reads it from the root of the build context, which is the
/// app folder, so it goes there whatever `--out` says.
#[must_use]
pub fn emit(ir: &Ir) -> Vec<Artifact> {
    let context = Context {
        header: verbatim(HEADER.to_owned()),
        lockfile: ir.app.lockfile.file_name().map(|f| verbatim(f.to_owned())),
    };
    let mut diagnostics = Diagnostics::new();
    let Some(contents) = render("dockerignore.j2", context, &mut diagnostics) else {
        return Vec::new();
    };
    vec![Artifact {
        path: ".dockerignore".to_owned(),
        root: Root::App,
        purpose: "keeps .env files, .npmrc, node_modules, .git and tests out of the build context"
            .to_owned(),
        contents,
    }]
}
