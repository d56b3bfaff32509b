//! Showing diagnostics: to people through miette, to tools as JSON lines.

use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use serde::Serialize;

use super::{Diagnostic, Label, Severity};
use crate::source::{Sources, Span};

/// Whether to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// ANSI colours.
    Always,
    /// Plain text.
    Never,
}

impl Colour {
    /// Decides from the environment: `NO_COLOR` turns colour off, `FORCE_COLOR` on, and
    /// otherwise colour follows whether `is_terminal` is true.
    #[must_use]
    pub fn detect(is_terminal: bool) -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if set("NO_COLOR") {
            Self::Never
        } else if set("FORCE_COLOR") || is_terminal {
            Self::Always
        } else {
            Self::Never
        }
    }
}

/// A diagnostic with its source attached, in the form miette renders.
#[derive(Debug)]
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "[{}] {}", self.code, self.message)
        }
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Note => miette::Severity::Advice,
        Severity::Warning => miette::Severity::Warning,
        Severity::Error => miette::Severity::Error,
    }
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let span = SourceSpan::from((label.span.start(), label.span.len()));
    if primary {
        LabeledSpan::new_primary_with_span(Some(label.message.clone()), span)
    } else {
        LabeledSpan::new_with_span(Some(label.message.clone()), span)
    }
}

/// Lines longer than this are not shown as snippets: a minified manifest would print
/// megabytes, and the renderer cannot lay out columns past 65535.
const MAX_SNIPPET_LINE: usize = 2000;

/// Whether `label` can be shown as a snippet of its file.
fn fits(label: &Label, sources: &Sources) -> bool {
    let file = sources.get(label.span.file);
    let first = file.line_of(label.span.start());
    let last = file.line_of(label.span.end());
    (first.saturating_sub(1).max(1)..=last + 1).all(|l| file.line_text(l).len() <= MAX_SNIPPET_LINE)
}

/// Lines of context kept around each label: miette shows one above and one below.
const CONTEXT_LINES: usize = 2;

/// The parts of one file that a diagnostic's snippets show, in the form miette reads.
///
/// miette would scan a whole source from its first byte for every label, and the source would
/// be a copy of the file, so a large manifest with many diagnostics cost time in proportion to
/// the file's size times their number. An excerpt holds only the lines around each label (runs
/// that touch are joined), and answers miette's questions with the place in the whole file.
#[derive(Debug)]
struct Excerpt {
    name: String,
    windows: Vec<Window>,
}

/// A run of whole lines of a file.
#[derive(Debug)]
struct Window {
    /// Byte offset in the file of the first line.
    start: usize,
    /// Zero-based number of the first line.
    first_line: usize,
    /// The lines, with lone `\r` line breaks as `\n` (one byte for one, so every span stays
    /// valid), since miette counts lines by `\n`.
    text: String,
}

impl Excerpt {
    /// The lines of `file` around each of `spans`.
    fn new(file: &crate::source::SourceFile, spans: impl Iterator<Item = Span>) -> Self {
        let last_line = file.line_of(file.text.len());
        let mut runs: Vec<(usize, usize)> = spans
            .map(|span| {
                let first = file
                    .line_of(span.start())
                    .saturating_sub(CONTEXT_LINES)
                    .max(1);
                let last = (file.line_of(span.end()) + CONTEXT_LINES).min(last_line);
                (first, last)
            })
            .collect();
        runs.sort_unstable();
        let mut joined: Vec<(usize, usize)> = Vec::with_capacity(runs.len());
        for (first, last) in runs {
            match joined.last_mut() {
                Some((_, end)) if first <= *end + 1 => *end = (*end).max(last),
                _ => joined.push((first, last)),
            }
        }
        let windows = joined
            .into_iter()
            .map(|(first, last)| {
                let start = file.line_start(first);
                let end = file.line_start(last + 1);
                Window {
                    start,
                    first_line: first - 1,
                    text: lone_returns_as_newlines(file.text.get(start..end).unwrap_or("")),
                }
            })
            .collect();
        Self {
            name: file.path.clone(),
            windows,
        }
    }
}

/// `text` with each lone `\r` turned into `\n`.
fn lone_returns_as_newlines(text: &str) -> String {
    let bytes = text.as_bytes();
    text.char_indices()
        .map(|(i, c)| {
            if c == '\r' && bytes.get(i + 1) != Some(&b'\n') {
                '\n'
            } else {
                c
            }
        })
        .collect()
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let end = span.offset() + span.len();
        let window = self
            .windows
            .iter()
            .find(|w| w.start <= span.offset() && end <= w.start + w.text.len())
            .ok_or(miette::MietteError::OutOfBounds)?;
        let local = SourceSpan::from((span.offset() - window.start, span.len()));
        let contents =
            window
                .text
                .as_str()
                .read_span(&local, context_lines_before, context_lines_after)?;
        let start = contents.span().offset() + window.start;
        // miette counts the column (shown in the header, `file:line:column`) in bytes; the
        // JSON output and editors count characters.
        let at = local.offset();
        let column = window
            .text
            .get(at.saturating_sub(contents.column())..at)
            .map_or(contents.column(), |before| before.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            SourceSpan::from((start, contents.span().len())),
            contents.line() + window.first_line,
            column,
            // The lines the snippet covers: miette joins two snippets when they touch.
            contents
                .data()
                .iter()
                .fold(0, |lines, &b| lines + usize::from(b == b'\n')),
        )))
    }
}

/// A label that cannot be a snippet, as a line of text with its place.
fn located(label: &Label, sources: &Sources) -> String {
    let file = sources.get(label.span.file);
    let (line, column) = file.line_column(label.span.start());
    format!("\n  at {}:{line}:{column}: {}", file.path, label.message)
}

fn report(diagnostic: &Diagnostic, sources: &Sources) -> Report {
    let mut message = diagnostic.message.clone();
    let mut shown = |label: &Label| {
        let ok = fits(label, sources);
        if !ok {
            message.push_str(&located(label, sources));
        }
        ok
    };
    let primary = diagnostic.primary.as_ref().filter(|l| shown(l));
    let secondary: Vec<&Label> = diagnostic.secondary.iter().filter(|l| shown(l)).collect();

    let primary_file = primary.map(|l| l.span.file);
    let source = primary_file.map(|id| {
        let spans = primary
            .into_iter()
            .chain(secondary.iter().copied())
            .filter(|l| l.span.file == id)
            .map(|l| l.span);
        Excerpt::new(sources.get(id), spans)
    });
    let mut labels: Vec<LabeledSpan> = primary.iter().map(|l| labeled(l, true)).collect();
    let mut related = Vec::new();
    for label in secondary {
        if Some(label.span.file) == primary_file {
            labels.push(labeled(label, false));
        } else {
            let file = sources.get(label.span.file);
            related.push(Report {
                message: format!("see {}", file.path),
                code: String::new(),
                severity: miette::Severity::Advice,
                help: None,
                source: Some(Excerpt::new(file, std::iter::once(label.span))),
                labels: vec![labeled(label, true)],
                related: Vec::new(),
            });
        }
    }
    Report {
        message,
        code: diagnostic.code.to_string(),
        severity: miette_severity(diagnostic.severity),
        help: diagnostic.help.clone(),
        source,
        labels,
        related,
    }
}

/// Renders one diagnostic for people.
#[must_use]
pub fn human(diagnostic: &Diagnostic, sources: &Sources, colour: Colour) -> String {
    let theme = match colour {
        Colour::Always => GraphicalTheme::unicode(),
        Colour::Never => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_show_related_as_nested(true);
    let mut out = String::new();
    if handler
        .render_report(&mut out, &report(diagnostic, sources))
        .is_err()
    {
        let _ = write!(out, "{}: {}", diagnostic.code, diagnostic.message);
    }
    out
}

/// A position in a file, for JSON output.
#[derive(Debug, Serialize)]
struct JsonPlace<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Serialize)]
struct JsonLabel<'a> {
    #[serde(flatten)]
    place: JsonPlace<'a>,
    message: &'a str,
    primary: bool,
}

#[derive(Debug, Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    byte_start: Option<usize>,
    byte_end: Option<usize>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

fn place<'a>(label: &Label, sources: &'a Sources) -> JsonPlace<'a> {
    let file = sources.get(label.span.file);
    let (line, column) = file.line_column(label.span.start());
    let (end_line, end_column) = file.line_column(label.span.end());
    JsonPlace {
        file: &file.path,
        line,
        column,
        end_line,
        end_column,
        byte_start: label.span.start(),
        byte_end: label.span.end(),
    }
}

/// Renders one diagnostic as a single line of JSON.
#[must_use]
pub fn json(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let primary = diagnostic.primary.as_ref().map(|l| place(l, sources));
    let labels = diagnostic
        .primary
        .iter()
        .map(|l| (l, true))
        .chain(diagnostic.secondary.iter().map(|l| (l, false)))
        .map(|(l, primary)| JsonLabel {
            place: place(l, sources),
            message: &l.message,
            primary,
        })
        .collect();
    let value = JsonDiagnostic {
        code: diagnostic.code.as_str(),
        severity: diagnostic.severity,
        message: &diagnostic.message,
        file: primary.as_ref().map(|p| p.file),
        line: primary.as_ref().map(|p| p.line),
        column: primary.as_ref().map(|p| p.column),
        byte_start: primary.as_ref().map(|p| p.byte_start),
        byte_end: primary.as_ref().map(|p| p.byte_end),
        labels,
        help: diagnostic.help.as_deref(),
    };
    serde_json::to_string(&value).unwrap_or_default()
}
