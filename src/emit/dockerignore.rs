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
