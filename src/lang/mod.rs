//! The `.spec` assertion language: a pest grammar (`grammar/spec.pest`) and its lowering into
//! the [`crate::model`]. The language is described for users in `docs/spec-language.md`.
//!
//! A file is read in three steps:
//!
//! 1. `split` cuts it into top-level declarations, so a syntax error costs only the
//!    declaration it is in;
//! 2. pest parses each declaration; a failure becomes one `SD0201` diagnostic (`syntax`);
//! 3. `lower` turns the parsed declarations into model values and checks what the grammar
//!    cannot: required fields, known categories and statuses, ids, names, ports, repeats.

mod app;
mod assertion;
mod grammar;
mod lower;
mod needs;
mod split;
mod strings;
mod syntax;
mod variables;

#[cfg(test)]
mod tests;

use std::ops::Range;

use pest::Parser as _;

use self::grammar::{Rule, SpecParser};
use self::lower::Lowering;
use self::syntax::Piece;
use crate::diagnostic::Diagnostics;
use crate::model::SpecDocument;
use crate::source::FileId;

/// Parses one `.spec` file. Syntax errors are reported into `diagnostics`; what could be read
/// is returned.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> SpecDocument {
    let mut lowering = Lowering::new(file, diagnostics);
    let pieces = split::declarations(text);
    for batch in batches(&pieces) {
        // Most files have no syntax error, so declarations are parsed a batch at a time; only a
        // batch that fails is parsed again one declaration at a time, to report each error.
        let range = batch.first().map_or(0, |p| p.start)..batch.last().map_or(0, |p| p.end);
        if let Some(pairs) = text
            .get(range.clone())
            .and_then(|t| SpecParser::parse(Rule::decl_chunk, t).ok())
        {
            lowering.piece(range.start, pairs);
            continue;
        }
        for range in batch {
            let Some(piece) = text.get(range.clone()) else {
                continue;
            };
            match SpecParser::parse(Rule::decl_chunk, piece) {
                Ok(pairs) => lowering.piece(range.start, pairs),
                Err(error) => {
                    let place = Piece {
                        file,
                        text,
                        start: range.start,
                        end: range.end,
                    };
                    lowering.report(syntax::diagnostic(&error, &place));
                }
            }
        }
    }
    let (document, problems) = lowering.finish();

    tracing::debug!(
        file = file.0,
        assertions = document.assertions.len(),
        needs = document.needs.len(),
        variables = document.variables.len(),
        problems,
        "read .spec file"
    );
    document
}

/// Bytes of text parsed at once: enough to spread pest's cost of starting a parse, small
/// enough to keep its token queue small and to make a failed batch cheap to parse again.
const BATCH_BYTES: usize = 32 * 1024;

/// Consecutive runs of `pieces` of about [`BATCH_BYTES`] each.
fn batches(pieces: &[Range<usize>]) -> Vec<&[Range<usize>]> {
    let mut batches = Vec::new();
    let mut first = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let start = pieces.get(first).map_or(piece.start, |p| p.start);
        if piece.end - start >= BATCH_BYTES || i + 1 == pieces.len() {
            batches.extend(pieces.get(first..=i));
            first = i + 1;
        }
    }
    batches
}
