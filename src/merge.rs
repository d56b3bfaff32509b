//! Joins the documents of one spec folder (the manifest and every `.spec` file) into one
//! [`SpecSet`], reporting ids and variables defined twice with both places labelled.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{AppDecl, SpecDocument, SpecSet};
use crate::source::{Located, Span};
use rustc_hash::FxHashMap;

/// Merges `documents` in the order given (the manifest first, then `.spec` files by path).
pub fn merge(documents: Vec<SpecDocument>, diagnostics: &mut Diagnostics) -> SpecSet {
    let mut set = SpecSet::default();
    // Reserved once: grown by doubling, the list would reach up to twice its size in memory.
    set.assertions
        .reserve_exact(documents.iter().map(|d| d.assertions.len()).sum());
    let mut ids: FxHashMap<String, Span> = FxHashMap::default();
    let mut variables: FxHashMap<String, Span> = FxHashMap::default();

    for document in documents {
        if let Some(context) = document.context {
            set.context = context;
        }
        if let Some(app) = document.app {
            merge_app(&mut set.app, app, diagnostics);
        }
        for assertion in document.assertions {
            if let Some(&first) = ids.get(&assertion.id.value) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        format!("assertion id {} is used twice", assertion.id.value),
                    )
                    .at(assertion.id.span, "defined again here")
                    .also(first, "first defined here")
                    .help("give one of the assertions a new id; ids must be unique across the manifest and every .spec file"),
                );
                continue;
            }
            ids.insert(assertion.id.value.clone(), assertion.id.span);
            set.assertions.push(assertion);
        }
        for variable in document.variables {
            if let Some(&first) = variables.get(&variable.name.value) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateVariable,
                        format!("variable {} is declared twice", variable.name.value),
                    )
                    .at(variable.name.span, "declared again here")
                    .also(first, "first declared here")
                    .help("keep one declaration"),
                );
                continue;
            }
            variables.insert(variable.name.value.clone(), variable.name.span);
            set.variables.push(variable);
        }
        set.needs.extend(document.needs);
    }
    set
}

fn merge_app(into: &mut AppDecl, app: AppDecl, diagnostics: &mut Diagnostics) {
    if into.span.is_none() {
        *into = app;
        return;
    }
    let mut field = |name: &str,
                     slot: &mut Option<Located<String>>,
                     new: Option<Located<String>>| {
        match (slot.as_ref(), new) {
            (Some(first), Some(again)) => diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateAppDeclaration,
                    format!("the app's {name} is declared twice"),
                )
                .at(again.span, "declared again here")
                .also(first.span, "first declared here")
                .help("declare the app once, in one .spec file"),
            ),
            (None, Some(new)) => *slot = Some(new),
            _ => {}
        }
    };
    field("name", &mut into.name, app.name);
    field("version", &mut into.version, app.version);
    field("archetype", &mut into.archetype, app.archetype);
    field("entry point", &mut into.entry, app.entry);
    field("schedule", &mut into.schedule, app.schedule);
    let mut port = into.port.clone().map(|p| p.map(|n| n.to_string()));
    field(
        "port",
        &mut port,
        app.port.clone().map(|p| p.map(|n| n.to_string())),
    );
    if into.port.is_none() {
        into.port = app.port;
    }
}
