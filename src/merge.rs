//! Joins the documents of one spec folder (the manifest and every `.spec` file) into one
//! [`SpecSet`], reporting ids and variables defined twice with both places labelled.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{AppDecl, SpecDocument, SpecSet};
use crate::source::{Located, Span, Text};
use rustc_hash::{FxHashMap, FxHashSet};

/// Merges `documents` in the order given (the manifest first, then `.spec` files by path).
pub fn merge(mut documents: Vec<SpecDocument>, diagnostics: &mut Diagnostics) -> SpecSet {
    let duplicates = duplicate_ids(&documents, diagnostics);
    let mut set = SpecSet::default();
    let mut variables: FxHashMap<String, Span> = FxHashMap::default();

    // The assertions of the documents after the current one: room for all is made once.
    let mut rest: usize = documents.iter().map(|d| d.assertions.len()).sum();
    for (document, duplicates) in documents.iter_mut().zip(duplicates) {
        if let Some(context) = document.context.take() {
            set.context = context;
        }
        if let Some(app) = document.app.take() {
            merge_app(&mut set.app, app, diagnostics);
        }
        // The assertions move as one block; a manifest of 100,000 holds tens of megabytes.
        rest -= document.assertions.len();
        if !duplicates.is_empty() {
            let mut index = 0;
            document.assertions.retain(|_| {
                index += 1;
                !duplicates.contains(&(index - 1))
            });
        }
        if set.assertions.is_empty() {
            set.assertions = std::mem::take(&mut document.assertions);
            set.assertions.reserve_exact(rest);
        } else {
            // Moved, and the document's block freed at once: `append` would keep it until
            // every document is merged, holding the assertions of 1,000 `.spec` files twice.
            let assertions = std::mem::take(&mut document.assertions);
            set.assertions.extend(assertions);
        }
        for variable in std::mem::take(&mut document.variables) {
            if let Some(&first) = variables.get(variable.name.value.as_str()) {
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
            variables.insert(variable.name.value.to_string(), variable.name.span);
            set.variables.push(variable);
        }
        set.needs.extend(std::mem::take(&mut document.needs));
    }
    set
}

/// Reports every assertion whose id an earlier one has (in the manifest, then the `.spec`
/// files in order), and returns the positions of those assertions in each document.
fn duplicate_ids(
    documents: &[SpecDocument],
    diagnostics: &mut Diagnostics,
) -> Vec<FxHashSet<usize>> {
    let mut ids: FxHashMap<&str, Span> = FxHashMap::default();
    ids.reserve(documents.iter().map(|d| d.assertions.len()).sum());
    documents
        .iter()
        .map(|document| {
            let mut duplicates = FxHashSet::default();
            for (index, assertion) in document.assertions.iter().enumerate() {
                let id = &assertion.id;
                if let Some(&first) = ids.get(id.value.as_str()) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            format!("assertion id {} is used twice", id.value),
                        )
                        .at(id.span, "defined again here")
                        .also(first, "first defined here")
                        .help("give one of the assertions a new id; ids must be unique across the manifest and every .spec file"),
                    );
                    duplicates.insert(index);
                } else {
                    ids.insert(&id.value, id.span);
                }
            }
            duplicates
        })
        .collect()
}

fn merge_app(into: &mut AppDecl, app: AppDecl, diagnostics: &mut Diagnostics) {
    if into.span.is_none() {
        *into = app;
        return;
    }
    let mut field =
        |name: &str, slot: &mut Option<Located<Text>>, new: Option<Located<Text>>| match (
            slot.as_ref(),
            new,
        ) {
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
        };
    field("name", &mut into.name, app.name);
    field("version", &mut into.version, app.version);
    field("archetype", &mut into.archetype, app.archetype);
    field("entry point", &mut into.entry, app.entry);
    field("schedule", &mut into.schedule, app.schedule);
    let mut port = into
        .port
        .clone()
        .map(|p| p.map(|n| Text::from(n.to_string())));
    field(
        "port",
        &mut port,
        app.port
            .clone()
            .map(|p| p.map(|n| Text::from(n.to_string()))),
    );
    if into.port.is_none() {
        into.port = app.port;
    }
}
