//! Tests of the `.spec` reader as other stages use it.
//!
//! Each folder under `fixtures/lang/` is a case: `input.spec` is read and the document and the
//! diagnostics are rendered into `expected.snap` next to it. Every value is shown with the
//! source text its span covers, so a wrong span is visible in review.

use std::fmt::{Debug, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use specdeploy::diagnostic::Diagnostics;
use specdeploy::diagnostic::render::{Colour, human};
use specdeploy::lang::parse;
use specdeploy::model::{AppDecl, Assertion, ExplicitNeed, FormalSpec, SpecDocument, VariableDecl};
use specdeploy::source::{FileId, Located, Sources, Span};

fn case_folders() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lang");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/lang exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.join("input.spec").is_file())
        .collect();
    folders.sort();
    folders
}

#[test]
fn cases() {
    let folders = case_folders();
    assert!(folders.len() >= 10, "the case folders were not found");
    let mut failed = Vec::new();
    for folder in &folders {
        let text = std::fs::read_to_string(folder.join("input.spec")).expect("readable input");
        let output = render_case(&text);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(folder);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(folder.join("input.spec"));
        settings.set_omit_expression(true);
        let result = catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!("expected", output));
        }));
        if result.is_err() {
            failed.push(folder.display().to_string());
        }
    }
    assert!(failed.is_empty(), "snapshots differ in: {failed:#?}");
}

/// The document and the diagnostics for one input, as a snapshot shows them.
fn render_case(text: &str) -> String {
    let mut sources = Sources::new();
    let file = sources.add("input.spec", text);
    let mut diagnostics = Diagnostics::new();
    let document = parse(file, text, &mut diagnostics);

    let mut out = String::new();
    render_document(&mut out, &document, text);
    let sorted = diagnostics.sorted();
    let _ = writeln!(out, "\n=== {} diagnostic(s)", sorted.len());
    for diagnostic in sorted {
        let _ = writeln!(out, "\n--- {} {:?}", diagnostic.code, diagnostic.severity);
        out.push_str(human(diagnostic, &sources, Colour::Never).trim_end());
        out.push('\n');
    }
    // Control characters (a lone carriage return, NUL) would not survive being stored and
    // reviewed as a text snapshot.
    out.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            '\r' => "\\r".to_owned(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn render_document(out: &mut String, document: &SpecDocument, text: &str) {
    let show = Show { text };
    let SpecDocument {
        app,
        context,
        assertions,
        needs,
        variables,
    } = document;
    assert!(context.is_none(), ".spec files carry no manifest context");
    match app {
        Some(app) => show.app(out, app),
        None => out.push_str("no app\n"),
    }
    for assertion in assertions {
        show.assertion(out, assertion);
    }
    for need in needs {
        show.need(out, need);
    }
    for variable in variables {
        show.variable(out, variable);
    }
}

/// Writes values with the source text their spans cover.
struct Show<'t> {
    text: &'t str,
}

impl Show<'_> {
    fn covered(&self, span: Span) -> String {
        let slice = self
            .text
            .get(span.start()..span.end())
            .unwrap_or("<span outside the text>");
        if slice.contains(['\n', '\r']) {
            let first = slice.lines().next().unwrap_or_default();
            let last = slice.lines().last().unwrap_or_default();
            format!("{}..{} `{first}` … `{last}`", span.start(), span.end())
        } else {
            format!("{}..{} `{slice}`", span.start(), span.end())
        }
    }

    fn value<T: Debug>(&self, out: &mut String, name: &str, value: Option<&Located<T>>) {
        if let Some(value) = value {
            let _ = writeln!(
                out,
                "  {name}: {:?} @ {}",
                value.value,
                self.covered(value.span)
            );
        }
    }

    fn list(&self, out: &mut String, name: &str, values: &[Located<specdeploy::source::Text>]) {
        for value in values {
            self.value(out, name, Some(value));
        }
    }

    fn app(&self, out: &mut String, app: &AppDecl) {
        let AppDecl {
            name,
            version,
            archetype,
            entry,
            port,
            schedule,
            span,
        } = app;
        let whole = span.map_or_else(|| "no span".to_owned(), |s| self.covered(s));
        let _ = writeln!(out, "app @ {whole}");
        self.value(out, "name", name.as_ref());
        self.value(out, "version", version.as_ref());
        self.value(out, "archetype", archetype.as_ref());
        self.value(out, "entry", entry.as_ref());
        self.value(out, "port", port.as_ref());
        self.value(out, "schedule", schedule.as_ref());
    }

    fn assertion(&self, out: &mut String, assertion: &Assertion) {
        let Assertion {
            id,
            natural,
            kind,
            category,
            status,
            source,
            entity,
            property,
            constraint,
            formal_spec,
            dependencies,
            refined_from,
            tags,
            span,
        } = assertion;
        let _ = writeln!(out, "assertion @ {}", self.covered(*span));
        self.value(out, "id", Some(id));
        self.value(out, "natural", Some(natural));
        self.value(out, "type", Some(kind));
        self.value(out, "category", Some(category));
        self.value(out, "status", Some(status));
        self.value(out, "source", source.as_ref());
        self.value(out, "entity", entity.as_ref());
        self.value(out, "property", property.as_ref());
        self.value(out, "constraint", constraint.as_deref());
        if let Some(FormalSpec { file, lines }) = formal_spec.as_deref() {
            self.value(out, "formal spec", Some(file));
            self.value(out, "formal lines", lines.as_ref());
        }
        self.list(out, "depends on", dependencies);
        self.value(out, "refines", refined_from.as_deref());
        self.list(out, "tag", tags);
    }

    fn need(&self, out: &mut String, need: &ExplicitNeed) {
        let ExplicitNeed {
            kind,
            technology,
            url_variable,
            key_variable,
            because,
            required,
            span,
        } = need;
        let _ = writeln!(out, "need @ {}", self.covered(*span));
        self.value(out, "kind", Some(kind));
        self.value(out, "technology", technology.as_ref());
        self.value(out, "url", url_variable.as_ref());
        self.value(out, "key", key_variable.as_ref());
        if *required {
            out.push_str("  required\n");
        }
        self.list(out, "because", because);
    }

    fn variable(&self, out: &mut String, variable: &VariableDecl) {
        let VariableDecl {
            name,
            secret,
            default,
            description,
            because,
            span,
        } = variable;
        let what = if *secret { "secret" } else { "config" };
        let _ = writeln!(out, "{what} @ {}", self.covered(*span));
        self.value(out, "name", Some(name));
        self.value(out, "default", default.as_ref());
        self.value(out, "description", description.as_ref());
        self.list(out, "because", because);
    }
}

/// Every span a document holds.
fn spans(document: &SpecDocument) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut strings =
        |values: &[&Located<specdeploy::source::Text>]| spans.extend(values.iter().map(|v| v.span));
    for a in &document.assertions {
        strings(&[&a.id, &a.natural, &a.kind]);
        strings(&a.dependencies.iter().chain(&a.tags).collect::<Vec<_>>());
        let optional = [
            a.source.as_ref(),
            a.entity.as_ref(),
            a.property.as_ref(),
            a.constraint.as_deref(),
            a.refined_from.as_deref(),
        ];
        strings(&optional.into_iter().flatten().collect::<Vec<_>>());
    }
    for n in &document.needs {
        strings(&n.because.iter().collect::<Vec<_>>());
        let optional = [&n.technology, &n.url_variable, &n.key_variable];
        strings(
            &optional
                .iter()
                .filter_map(|v| v.as_ref())
                .collect::<Vec<_>>(),
        );
    }
    for v in &document.variables {
        strings(&[&v.name]);
        let optional = [&v.default, &v.description];
        strings(
            &optional
                .iter()
                .filter_map(|v| v.as_ref())
                .collect::<Vec<_>>(),
        );
    }
    spans.extend(document.assertions.iter().map(|a| a.span));
    spans.extend(document.needs.iter().map(|n| n.span));
    spans.extend(document.variables.iter().map(|v| v.span));
    spans
}

#[test]
fn bare_values_span_exactly_their_text_and_strings_their_token() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lang/full/input.spec"),
    )
    .expect("the full case exists");
    let mut diagnostics = Diagnostics::new();
    let document = parse(FileId(0), &text, &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(!document.assertions.is_empty());

    let mut strings = Vec::new();
    for a in &document.assertions {
        strings.extend([&a.id, &a.natural, &a.kind]);
        strings.extend(a.dependencies.iter().chain(&a.tags));
    }
    for v in &document.variables {
        strings.push(&v.name);
        strings.extend(v.default.iter().chain(&v.description));
    }
    for value in strings {
        let covered = &text[value.span.start()..value.span.end()];
        if covered.starts_with('"') {
            assert!(covered.ends_with('"') && covered.len() >= 2, "{covered}");
        } else {
            assert_eq!(covered, value.value);
        }
    }
    for a in &document.assertions {
        let covered = &text[a.span.start()..a.span.end()];
        assert!(
            covered.starts_with("assertion") && covered.ends_with('}'),
            "{covered}"
        );
    }
}

/// A small deterministic generator, so the robustness test needs no dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % 1_000_003).expect("small")
    }
}

#[test]
fn no_input_panics_and_every_span_lies_on_character_boundaries() {
    const PIECES: &[&str] = &[
        "app",
        "assertion",
        "needs",
        "config",
        "secret",
        "A-001",
        "\"text\"",
        "\"open",
        "{",
        "}",
        "\n",
        "\r\n",
        "\r",
        " ",
        "\t",
        "#",
        ",",
        "type",
        "category",
        "status",
        "because",
        "with",
        "url",
        "key",
        "and",
        "required",
        "default",
        "lines",
        "line",
        "to",
        "0",
        "70000",
        "\\",
        "\\u{",
        "\u{feff}",
        "\0",
        "é",
        "😀",
        "database",
        "object",
        "storage",
        "api",
        "x_y",
        "formal",
        "spec",
        "depends",
        "on",
        "tags",
        "\"\\u{D800}\"",
        "\"a\\\"b\"",
    ];
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let mut text = String::new();
        for _ in 0..noise.next() % 60 {
            text.push_str(PIECES[noise.next() % PIECES.len()]);
            if noise.next() & 1 == 1 {
                text.push(' ');
            }
        }
        let mut diagnostics = Diagnostics::new();
        let document = parse(FileId(0), &text, &mut diagnostics);
        let labels = diagnostics
            .iter()
            .flat_map(|d| d.primary.iter().chain(&d.secondary))
            .map(|l| l.span);
        for span in spans(&document).into_iter().chain(labels) {
            assert!(
                span.start() <= span.end() && span.end() <= text.len(),
                "{span:?} in {text:?}"
            );
            assert!(text.is_char_boundary(span.start()) && text.is_char_boundary(span.end()));
        }
        let mut sources = Sources::new();
        let file = sources.add("noise.spec", text.as_str());
        assert_eq!(file, FileId(0));
        for diagnostic in diagnostics.iter() {
            let _ = human(diagnostic, &sources, Colour::Never);
        }
    }
}

#[test]
fn pathological_inputs_finish() {
    let inputs = [
        "{".repeat(100_000),
        "\"".repeat(100_001),
        "#".repeat(100_000),
        "a".repeat(1_000_000),
        "assertion ".repeat(100_000),
        "needs api x with url A, ".repeat(20_000),
        "\n".repeat(200_000),
        "\0".repeat(10_000),
        format!("assertion A-1 \"{}\" {{", "\\n".repeat(100_000)),
    ];
    for text in inputs {
        let started = Instant::now();
        let mut diagnostics = Diagnostics::new();
        let _ = parse(FileId(0), &text, &mut diagnostics);
        assert!(diagnostics.iter().count() <= text.len() + 1);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            &text[..20]
        );
    }
}

/// One synthetic file of `count` assertions and a few other declarations.
fn synthetic_file(file: usize, count: usize) -> String {
    let mut text = format!("config VAR_{file} \"A variable\" default \"x\"\n");
    for i in 0..count {
        let _ = write!(
            text,
            "# assertion {i}\n\
             assertion A-{file}-{i} \"Reserved quantity of product {i} never exceeds stock\" {{\n\
             \x20 type invariant\n\
             \x20 category structure\n\
             \x20 status confirmed\n\
             \x20 source \"domain-e-commerce\"\n\
             \x20 entity Inventory\n\
             \x20 property reserved\n\
             \x20 constraint \"0 <= reserved <= onHand\"\n\
             \x20 formal spec \"specs/dafny/structure.dfy\" lines 10 to 14\n\
             \x20 depends on A-{file}-0, A-{file}-1\n\
             \x20 tags critical, inventory\n\
             }}\n\n"
        );
    }
    text.push_str("needs database postgres because A-1-1\n");
    text
}

#[test]
fn many_assertions_are_read() {
    let text = synthetic_file(1, 500);
    let mut diagnostics = Diagnostics::new();
    let document = parse(FileId(0), &text, &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(document.assertions.len(), 500);
    assert_eq!(document.needs.len(), 1);
    assert_eq!(document.variables.len(), 1);
}
