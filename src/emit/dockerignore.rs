//! `.dockerignore`: keeps secrets, dependencies and tests out of the build context, and
//! keeps the lockfile in.

use serde::Serialize;

use super::{Artifact, HEADER, Layout, Root, render, verbatim};
use crate::diagnostic::Diagnostics;
use crate::ir::Ir;

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    lockfile: Option<minijinja::Value>,
}

/// Renders `.dockerignore`, and `Dockerfile.dockerignore` beside the Dockerfile when the
/// output folder is not the build context (BuildKit reads that one there).
#[must_use]
pub fn emit(ir: &Ir, layout: &Layout) -> Vec<Artifact> {
    let context = Context {
        header: verbatim(HEADER.to_owned()),
        lockfile: ir.app.lockfile.file_name().map(|f| verbatim(f.to_owned())),
    };
    let mut diagnostics = Diagnostics::new();
    let Some(contents) = render("dockerignore.j2", context, &mut diagnostics) else {
        return Vec::new();
    };
    let mut artifacts = vec![Artifact {
        path: ".dockerignore".to_owned(),
        root: Root::Out,
        purpose: "keeps .env files, .npmrc, node_modules, .git and tests out of the build context"
            .to_owned(),
        contents: contents.clone(),
    }];
    if layout.context != "." {
        artifacts.push(Artifact {
            path: "Dockerfile.dockerignore".to_owned(),
            root: Root::Out,
            purpose:
                "the same ignore rules, read by BuildKit beside a Dockerfile outside the context"
                    .to_owned(),
            contents,
        });
    }
    artifacts
}
