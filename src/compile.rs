//! The pipeline from a loaded app folder to the IR and its artifacts. Pure: it takes what
//! [`crate::load`] read and returns data; the CLI does the reading and writing.

use crate::app::{self, Package};
use crate::diagnostic::Diagnostics;
use crate::emit::{self, Artifact, Layout};
use crate::ir::Ir;
use crate::load::AppFolder;
use crate::model::{SpecDocument, SpecSet};
use crate::passes::{self, Input, Options};
use crate::{lang, manifest, merge};

/// Everything one compilation produced.
#[derive(Debug)]
pub struct Compilation {
    /// The folder as read (its sources back every diagnostic).
    pub folder: AppFolder,
    /// The merged specs.
    pub specs: SpecSet,
    /// The app's package.json.
    pub package: Package,
    /// The IR, when the specs allowed one.
    pub ir: Option<Ir>,
    /// The artifacts, when emission was asked for and the specs had no errors.
    pub artifacts: Vec<Artifact>,
    /// Every problem found.
    pub diagnostics: Diagnostics,
}

/// Parses, merges and analyses `folder`; with a `layout`, also renders the artifacts.
#[must_use]
pub fn compile(
    folder: AppFolder,
    options: Options,
    layout: Option<&Layout>,
    mut diagnostics: Diagnostics,
) -> Compilation {
    let mut documents: Vec<SpecDocument> = Vec::new();
    if let Some(file) = folder.manifest {
        let text = folder.sources.get(file).text.clone();
        documents.push(manifest::parse(file, &text, &mut diagnostics));
    }
    let spec_files: Vec<(_, &str)> = folder
        .spec_files
        .iter()
        .map(|&file| (file, folder.sources.get(file).text.as_str()))
        .collect();
    documents.extend(lang::parse_files(&spec_files, &mut diagnostics));
    let specs = merge::merge(documents, &mut diagnostics);
    let package = folder.package_json.map_or_else(Package::default, |file| {
        let text = folder.sources.get(file).text.clone();
        app::parse(file, &text, &mut diagnostics)
    });
    tracing::debug!(
        assertions = specs.assertions.len(),
        spec_files = folder.spec_files.len(),
        "specs read"
    );

    let ir = if folder.has_specs_dir {
        let input = Input {
            specs: &specs,
            folder: &folder,
            package: &package,
            options,
        };
        passes::run(&input, &mut diagnostics).finish()
    } else {
        None
    };
    let artifacts = match (&ir, layout) {
        (Some(ir), Some(layout)) if !diagnostics.has_errors() => {
            emit::emit(ir, layout, &mut diagnostics)
        }
        _ => Vec::new(),
    };
    Compilation {
        folder,
        specs,
        package,
        ir,
        artifacts,
        diagnostics,
    }
}
