//! The analysis passes, in the order they run. Each pass reads the spec model and the app's
//! files, adds to the [`Draft`] of the IR, and reports problems; none reads what a later pass
//! writes.
//!
//! 1. [`review`]: statuses and references that deserve a warning;
//! 2. [`archetype`]: what kind of app this is;
//! 3. [`needs`]: backing services and external APIs, by the rules in [`rules`];
//! 4. [`config`]: every environment variable and secret;
//! 5. [`verification`]: assertion counts and verifier status;
//! 6. [`services`]: the services graph and its start order;
//! 7. [`labels`]: image labels.

pub mod archetype;
pub mod config;
pub mod labels;
pub mod needs;
pub mod review;
pub mod rules;
pub mod services;
pub mod verification;
pub mod words;

use crate::app::Package;
use crate::diagnostic::Diagnostics;
use crate::ir::{App, Ir, Need, Service, Variable, VerificationSummary};
use crate::load::AppFolder;
use crate::model::SpecSet;

/// Choices that change how strict the passes are.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Pending, proposed and deferred assertions are errors, not warnings.
    pub require_confirmed: bool,
    /// Formal models that are not verified (no verdict, changed since their verdict, or
    /// failing) are errors, not notes and warnings.
    pub require_verified: bool,
    /// `SOURCE_DATE_EPOCH`: the time reproducible builds stamp on their output. No other
    /// time ever appears in an artifact.
    pub source_date_epoch: Option<i64>,
}

/// What every pass reads.
pub struct Input<'a> {
    /// The merged specs.
    pub specs: &'a SpecSet,
    /// The app folder's files.
    pub folder: &'a AppFolder,
    /// The app's `package.json`, empty when there is none.
    pub package: &'a Package,
    /// Strictness.
    pub options: Options,
}

/// The IR as the passes build it; [`Draft::finish`] turns it into an [`Ir`].
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Set by [`archetype`] and completed by [`config`].
    pub app: Option<App>,
    /// Set by [`needs`].
    pub needs: Vec<Need>,
    /// Set by [`config`].
    pub variables: Vec<Variable>,
    /// Set by [`verification`].
    pub verification: VerificationSummary,
    /// Set by [`services`].
    pub services: Vec<Service>,
    /// Set by [`labels`].
    pub labels: Vec<(String, String)>,
}

impl Draft {
    /// The IR, when the passes could establish the app.
    #[must_use]
    pub fn finish(self) -> Option<Ir> {
        Some(Ir {
            app: self.app?,
            needs: self.needs,
            variables: self.variables,
            services: self.services,
            verification: self.verification,
            labels: self.labels,
            variable_index: crate::ir::VariableIndex::default(),
        })
    }
}

/// One analysis pass: reads the input, adds to the draft, reports problems.
pub type Pass = fn(&Input<'_>, &mut Draft, &mut Diagnostics);

/// Every pass with its name, in the order [`run`] runs them (benchmarks time each one).
pub const PASSES: [(&str, Pass); 7] = [
    ("review", review::run),
    ("archetype", archetype::run),
    ("needs", needs::run),
    ("config", config::run),
    ("verification", verification::run),
    ("services", services::run),
    ("labels", labels::run),
];

/// Runs every pass in order.
pub fn run(input: &Input<'_>, diagnostics: &mut Diagnostics) -> Draft {
    let mut draft = Draft::default();
    for (name, pass) in PASSES {
        let before = diagnostics.iter().count();
        pass(input, &mut draft, diagnostics);
        tracing::debug!(
            pass = name,
            needs = draft.needs.len(),
            variables = draft.variables.len(),
            services = draft.services.len(),
            diagnostics = diagnostics.iter().count() - before,
            "pass finished"
        );
    }
    draft
}
