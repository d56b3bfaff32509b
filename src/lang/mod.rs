//! The `.spec` assertion language: a pest grammar (`grammar/spec.pest`) and its lowering into
//! the [`crate::model`]. The language is described for users in `docs/spec-language.md`.
//!
//! A file is read in three steps:
//!
//! 1. `split` cuts it into batches of whole top-level declarations, and each batch into its
//!    declarations;
//! 2. each declaration is parsed into a `tree` of the grammar's rules. An assertion, nearly all
//!    of a large file, is read by `fast`, a hand-written reader that gives the tree pest gives
//!    or leaves the declaration to pest. pest parses the rest in runs of consecutive
//!    declarations; a run that fails is parsed again one declaration at a time, so a syntax
//!    error costs only the declaration it is in and becomes one `SD0201` diagnostic
//!    (`syntax`);
//! 3. `lower` turns the trees into model values and checks what the grammar cannot: required
//!    fields, known categories and statuses, ids, names, ports, repeats.
//!
//! Batches are independent, so a large file is read by several threads, each taking a run of
//! batches, and many files are shared out among threads in runs of about equal size; the
//! checks across declarations (one `app`, one declaration a variable) run once at the end, in
//! file order.

mod app;
mod assertion;
mod fast;
mod grammar;
mod lower;
mod needs;
mod split;
mod strings;
mod syntax;
mod tree;
mod variables;

#[cfg(test)]
mod tests;

use std::ops::Range;

use pest::Parser as _;

use self::grammar::{Rule, SpecParser};
use self::lower::{Lowering, Reading};
use self::syntax::Piece;
use self::tree::Tree;
use crate::diagnostic::Diagnostics;
use crate::model::SpecDocument;
use crate::source::FileId;

/// Bytes of text in a batch, the unit that threads share out: enough to spread pest's cost of
/// starting a parse over the declarations it is left, small enough to keep its token queue
/// small and to make a failed run cheap to parse again.
const BATCH_BYTES: usize = 32 * 1024;

/// The least text worth a thread of its own: starting a thread costs about as much as reading
/// a kilobyte.
const BYTES_PER_WORKER: usize = BATCH_BYTES;

/// The most threads one file is read with.
const MAX_WORKERS: usize = 8;

/// Parses one `.spec` file. Syntax errors are reported into `diagnostics`; what could be read
/// is returned.
///
/// A large file is read by several threads, each lowering a run of whole declarations; the
/// result and the diagnostics are the same as with one thread, in the same order.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> SpecDocument {
    let batches = split::batches(text, BATCH_BYTES);
    let workers = crate::parallel::workers(
        MAX_WORKERS
            .min(text.len() / BYTES_PER_WORKER)
            .min(batches.len()),
    );
    let reading = if workers == 1 {
        read(file, text, &batches)
    } else {
        read_in_parallel(file, text, &batches, workers)
    };
    let (document, problems) = reading.finish(diagnostics);

    tracing::debug!(
        file = file.0,
        bytes = text.len(),
        workers,
        assertions = document.assertions.len(),
        needs = document.needs.len(),
        variables = document.variables.len(),
        problems,
        "read .spec file"
    );
    document
}

/// Parses and lowers many `.spec` files, as [`parse`] does each: the files are shared out
/// among threads in runs of about equal size, and the documents and diagnostics come back in
/// the order of `files`, the same as with one thread.
pub fn parse_files(files: &[(FileId, &str)], diagnostics: &mut Diagnostics) -> Vec<SpecDocument> {
    let total: usize = files.iter().map(|(_, text)| text.len()).sum();
    let workers =
        crate::parallel::workers(MAX_WORKERS.min(total / BYTES_PER_WORKER).min(files.len()));
    let one = |run: &[(FileId, &str)]| -> Vec<(SpecDocument, Diagnostics)> {
        run.iter()
            .map(|&(file, text)| {
                let mut found = Diagnostics::new();
                (parse(file, text, &mut found), found)
            })
            .collect()
    };
    let runs = runs_of_equal_size(files, total.div_ceil(workers).max(1));
    let read = crate::parallel::in_order("specdeploy-lang", &runs, |run| one(run));
    read.into_iter()
        .flatten()
        .map(|(document, found)| {
            diagnostics.extend(found);
            document
        })
        .collect()
}

/// How many declarations of `text` the hand-written reader (`fast`) reads. pest must read each
/// of them, into the same tree.
///
/// # Panics
/// When pest reads one otherwise or not at all: the fuzz targets and the tests call this.
pub(crate) fn fast_reads_as_pest(text: &str) -> usize {
    let (mut fast, mut pest) = (Tree::default(), Tree::default());
    let mut read = 0;
    for piece in split::declarations(text, split::body_start(text)..text.len()) {
        let Some(source) = text.get(piece) else {
            continue;
        };
        if fast::assertion_chunk(source, &mut fast).is_none() {
            continue;
        }
        match SpecParser::parse(Rule::decl_chunk, source) {
            Ok(pairs) => pest.read_pest(pairs),
            Err(error) => panic!("pest refuses what the hand-written reader read: {error}"),
        }
        assert_eq!(fast, pest, "the two readers disagree on {source:?}");
        read += 1;
    }
    read
}

/// `files` cut into consecutive runs of about `size` bytes each.
fn runs_of_equal_size<'f, 't>(
    files: &'f [(FileId, &'t str)],
    size: usize,
) -> Vec<&'f [(FileId, &'t str)]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, text)) in files.iter().enumerate() {
        bytes += text.len();
        if bytes >= size {
            runs.push(&files[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < files.len() {
        runs.push(&files[start..]);
    }
    runs
}

/// Reads `batches` of `text` on `workers` threads, each taking a run of consecutive batches,
/// and joins what they read in file order.
fn read_in_parallel(file: FileId, text: &str, batches: &[Range<usize>], workers: usize) -> Reading {
    let per_worker = batches.len().div_ceil(workers);
    let runs: Vec<&[Range<usize>]> = batches.chunks(per_worker).collect();
    let mut reading = Reading::default();
    for part in crate::parallel::in_order("specdeploy-lang", &runs, |run| read(file, text, run)) {
        reading.append(part);
    }
    reading
}

/// Parses and lowers `batches` of `text`, in order.
///
/// Each batch is cut into its declarations. An assertion is read by `fast` where it can be;
/// the declarations it leaves, in runs of consecutive ones, go to pest.
fn read(file: FileId, text: &str, batches: &[Range<usize>]) -> Reading {
    let mut lowering = Lowering::new(file);
    // One tree for the assertion just read, one for pest: a run for pest is read before it.
    let (mut tree, mut pest_tree) = (Tree::default(), Tree::default());
    for batch in batches {
        let mut for_pest: Option<Range<usize>> = None;
        for piece in split::declarations(text, batch.clone()) {
            let Some(source) = text.get(piece.clone()) else {
                continue;
            };
            if fast::assertion_chunk(source, &mut tree).is_some() {
                if let Some(run) = for_pest.take() {
                    read_with_pest(&mut lowering, &mut pest_tree, text, run);
                }
                lowering.piece(piece.start, tree.pairs(source));
            } else {
                let run = for_pest.get_or_insert(piece.clone());
                run.end = piece.end;
            }
        }
        if let Some(run) = for_pest {
            read_with_pest(&mut lowering, &mut pest_tree, text, run);
        }
    }
    lowering.into_reading()
}

/// Parses and lowers `run`, whole declarations of `text`, with pest.
fn read_with_pest(lowering: &mut Lowering, tree: &mut Tree, text: &str, run: Range<usize>) {
    // Most files have no syntax error, so the run is parsed at once; only a run that fails is
    // parsed again one declaration at a time, to report each error.
    if let Some(source) = text.get(run.clone())
        && let Ok(pairs) = SpecParser::parse(Rule::decl_chunk, source)
    {
        tree.read_pest(pairs);
        lowering.piece(run.start, tree.pairs(source));
        return;
    }
    for range in split::declarations(text, run) {
        let Some(source) = text.get(range.clone()) else {
            continue;
        };
        match SpecParser::parse(Rule::decl_chunk, source) {
            Ok(pairs) => {
                tree.read_pest(pairs);
                lowering.piece(range.start, tree.pairs(source));
            }
            Err(error) => {
                let place = Piece {
                    file: lowering.file(),
                    text,
                    start: range.start,
                    end: range.end,
                };
                lowering.report(syntax::diagnostic(&error, &place));
            }
        }
    }
}
