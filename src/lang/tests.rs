//! Unit tests of the `.spec` reader: lowering, diagnostics, and the ways of reading a file
//! (in batches, one declaration at a time, on threads) agreeing with each other.

use super::grammar::Rule;
use super::{read, read_in_parallel, split};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::model::{Category, NeedKind, SpecDocument, Status};
use crate::source::FileId;

const FILE: FileId = FileId(3);

fn parse(text: &str) -> (SpecDocument, Vec<Diagnostic>) {
    let mut diagnostics = Diagnostics::new();
    let document = super::parse(FILE, text, &mut diagnostics);
    (document, diagnostics.into_iter().collect())
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<Code> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// The text a diagnostic's primary label covers.
fn labelled<'t>(text: &'t str, diagnostic: &Diagnostic) -> &'t str {
    let span = diagnostic
        .primary
        .as_ref()
        .map_or(0..0, |l| l.span.start()..l.span.end());
    &text[span]
}

const MINIMAL: &str = "assertion A-1 \"x\" {\n type invariant\n category structure\n \
                       status confirmed\n}\n";

#[test]
fn an_assertion_lowers_with_exact_spans() {
    let text = "assertion A-001 \"Stock \\\"on hand\\\"\" {\n  type mutual exclusion\n  \
                category behaviour\n  status Confirmed\n  formal spec a.dfy line 3\n  \
                depends on A-002,\n    A-003\n  tags x, \"y z\"\n}";
    let (document, diagnostics) = parse(text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let [assertion] = document.assertions.as_slice() else {
        panic!("one assertion expected: {document:#?}");
    };
    assert_eq!(assertion.id.value, "A-001");
    assert_eq!(
        &text[assertion.id.span.start()..assertion.id.span.end()],
        "A-001"
    );
    assert_eq!(assertion.natural.value, "Stock \"on hand\"");
    assert_eq!(assertion.kind.value, "mutual exclusion");
    assert_eq!(assertion.category.value, Category::Behavior);
    assert_eq!(assertion.status.value, Status::Confirmed);
    let formal = assertion.formal_spec.as_ref().expect("a formal spec");
    assert_eq!(formal.file.value, "a.dfy");
    assert_eq!(formal.lines.as_ref().map(|l| l.value), Some((3, 3)));
    let dependencies: Vec<&str> = assertion
        .dependencies
        .iter()
        .map(|d| d.value.as_str())
        .collect();
    assert_eq!(dependencies, ["A-002", "A-003"]);
    let tags: Vec<&str> = assertion.tags.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(tags, ["x", "y z"]);
    assert_eq!(assertion.span.file, FILE);
    assert_eq!(
        (assertion.span.start(), assertion.span.end()),
        (0, text.len())
    );
}

#[test]
fn needs_and_variables_lower() {
    let text = "needs api pay with url PAY_URL and key PAY_KEY, because A-1, A-2, required\n\
                needs object storage S3\n\
                config LEVEL default info \"How much to log\"\n\
                secret TOKEN \"A token\", because A-3";
    let (document, diagnostics) = parse(text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let [api, storage] = document.needs.as_slice() else {
        panic!("two needs expected: {document:#?}");
    };
    assert_eq!(api.kind.value, NeedKind::ExternalApi);
    assert!(api.required);
    assert_eq!(
        api.technology.as_ref().map(|t| t.value.as_str()),
        Some("pay")
    );
    assert_eq!(
        api.url_variable.as_ref().map(|v| v.value.as_str()),
        Some("PAY_URL")
    );
    assert_eq!(
        api.key_variable.as_ref().map(|v| v.value.as_str()),
        Some("PAY_KEY")
    );
    assert_eq!(api.because.len(), 2);
    assert_eq!(storage.kind.value, NeedKind::ObjectStorage);
    assert_eq!(
        storage.technology.as_ref().map(|t| t.value.as_str()),
        Some("s3")
    );
    assert!(!storage.required);

    let [level, token] = document.variables.as_slice() else {
        panic!("two variables expected: {document:#?}");
    };
    assert!(!level.secret && token.secret);
    assert_eq!(
        level.default.as_ref().map(|d| d.value.as_str()),
        Some("info")
    );
    assert_eq!(
        level.description.as_ref().map(|d| d.value.as_str()),
        Some("How much to log")
    );
    assert_eq!(token.because.len(), 1);
    assert_eq!(
        &text[token.span.start()..token.span.end()],
        "secret TOKEN \"A token\", because A-3"
    );
}

#[test]
fn crlf_spans_point_at_the_values() {
    let text = MINIMAL.replace('\n', "\r\n");
    let (document, diagnostics) = parse(&text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let status = &document.assertions[0].status;
    assert_eq!(&text[status.span.start()..status.span.end()], "confirmed");
}

#[test]
fn every_missing_required_field_is_reported_at_the_id() {
    let text = "assertion A-1 {\n}\n";
    let (document, diagnostics) = parse(text);
    assert!(document.assertions.is_empty());
    assert_eq!(codes(&diagnostics), [Code::MissingField; 4]);
    assert!(diagnostics.iter().all(|d| labelled(text, d) == "A-1"));
    assert!(
        diagnostics
            .iter()
            .all(|d| d.help.as_ref().is_some_and(|h| h.contains('`')))
    );
}

#[test]
fn invalid_category_and_status_name_the_allowed_values() {
    let (document, diagnostics) = parse(&MINIMAL.replace("structure", "shape"));
    assert!(document.assertions.is_empty());
    assert_eq!(codes(&diagnostics), [Code::InvalidCategory]);
    assert!(
        diagnostics[0]
            .help
            .as_ref()
            .is_some_and(|h| h.contains("behavior"))
    );

    let (_, diagnostics) = parse(&MINIMAL.replace("confirmed", "approved"));
    assert_eq!(codes(&diagnostics), [Code::InvalidStatus]);
    assert!(
        diagnostics[0]
            .help
            .as_ref()
            .is_some_and(|h| h.contains("deferred"))
    );
}

#[test]
fn an_unknown_type_is_a_warning_and_kept() {
    let text = MINIMAL.replace("invariant", "Telepathy");
    let (document, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), [Code::UnknownType]);
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert_eq!(document.assertions[0].kind.value, "Telepathy");
}

#[test]
fn ports_must_be_whole_numbers_in_range() {
    for (port, valid) in [
        ("1", true),
        ("65535", true),
        ("\"3000\"", true),
        ("0", false),
        ("65536", false),
        ("http", false),
        ("99999999999999999999", false),
        ("-1", false),
    ] {
        let (document, diagnostics) = parse(&format!("app x {{\n  port {port}\n}}"));
        let app = document.app.expect("the app is kept");
        assert_eq!(app.port.is_some(), valid, "{port}");
        assert_eq!(diagnostics.is_empty(), valid, "{port}");
        if !valid {
            assert_eq!(codes(&diagnostics), [Code::InvalidPort], "{port}");
        }
    }
}

#[test]
fn a_field_given_twice_is_an_error_and_the_first_is_kept() {
    let text = MINIMAL.replace(" status confirmed\n", " status confirmed\n status denied\n");
    let (document, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), [Code::InvalidValue]);
    assert_eq!(diagnostics[0].severity, Severity::Error);
    assert_eq!(diagnostics[0].secondary.len(), 1);
    assert_eq!(document.assertions[0].status.value, Status::Confirmed);
}

#[test]
fn a_secret_never_keeps_a_default() {
    let text = "secret KEY default \"x\"";
    let (document, diagnostics) = parse(text);
    assert_eq!(codes(&diagnostics), [Code::InvalidValue]);
    assert_eq!(labelled(text, &diagnostics[0]), "default \"x\"");
    assert!(document.variables[0].default.is_none());
}

#[test]
fn duplicates_point_back_at_the_first() {
    let text = "app a\napp b\nconfig X\nsecret X\n";
    let (document, diagnostics) = parse(text);
    assert_eq!(
        codes(&diagnostics),
        [Code::DuplicateAppDeclaration, Code::DuplicateVariable]
    );
    let first_app = &diagnostics[0].secondary[0];
    assert_eq!(&text[first_app.span.start()..first_app.span.end()], "app a");
    assert_eq!(
        document
            .app
            .and_then(|a| a.name)
            .map(|n| n.value.to_string()),
        Some("a".to_owned())
    );
    assert_eq!(document.variables.len(), 1);
    assert!(!document.variables[0].secret);
}

#[test]
fn duplicate_assertion_ids_are_left_to_the_merge() {
    let text = format!("{MINIMAL}{MINIMAL}");
    let (document, diagnostics) = parse(&text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(document.assertions.len(), 2);
}

#[test]
fn a_syntax_error_costs_only_its_declaration() {
    let text = format!("{MINIMAL}needs cache redis extra\n{MINIMAL}config A\nneeds\nsecret B\n");
    let (document, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), [Code::SpecSyntax, Code::SpecSyntax]);
    assert_eq!(labelled(&text, &diagnostics[0]), "extra");
    assert_eq!(document.assertions.len(), 2);
    assert_eq!(document.variables.len(), 2);
    assert!(document.needs.is_empty());
}

#[test]
fn ids_names_and_technologies_are_checked() {
    let (_, diagnostics) = parse("needs database postgres because 1-A\nconfig lower");
    assert_eq!(codes(&diagnostics), [Code::InvalidId, Code::InvalidValue]);
    assert!(
        diagnostics[1]
            .help
            .as_ref()
            .is_some_and(|h| h.contains("LOWER"))
    );

    let (document, diagnostics) = parse("needs queue sqs\nneeds queue NATS");
    assert_eq!(codes(&diagnostics), [Code::InvalidValue]);
    assert!(
        diagnostics[0]
            .help
            .as_ref()
            .is_some_and(|h| h.contains("`redis-streams`"))
    );
    assert_eq!(
        document.needs[1]
            .technology
            .as_ref()
            .map(|t| t.value.as_str()),
        Some("nats")
    );
}

#[test]
fn the_word_required_ends_a_because_list() {
    let (document, diagnostics) = parse("needs api x because A-1, required");
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(document.needs[0].required);
    assert_eq!(document.needs[0].because.len(), 1);
}

/// Broken inputs meant to reach every kind of syntax error the grammar can report.
const BROKEN: &[&str] = &[
    "}",
    "{",
    "assertion",
    "assertion A-1",
    "assertion A-1 \"x\"",
    "assertion A-1 \"x\" {",
    "assertion A-1 \"x\" {\n colour red\n}",
    "assertion A-1 \"x\" {\n type\n}",
    "assertion A-1 \"x\" {\n formal\n}",
    "assertion A-1 \"x\" {\n formal spec\n}",
    "assertion A-1 \"x\" {\n formal spec f lines\n}",
    "assertion A-1 \"x\" {\n formal spec f lines 1\n}",
    "assertion A-1 \"x\" {\n formal spec f lines 1 to x\n}",
    "assertion A-1 \"x\" {\n depends\n}",
    "assertion A-1 \"x\" {\n depends on\n}",
    "assertion A-1 \"x\" {\n depends on A,\n}",
    "assertion A-1 \"x\" {\n tags\n}",
    "assertion A-1 \"x\" {\n constraint x\n}",
    "assertion A-1 \"open {\n}",
    "assertion A-1 \"bad \\q\" {\n}",
    "assertion A-1 \"bad \\u{zz}\" {\n}",
    "assertion A-1 \"bad \\u{12\" {\n}",
    "app x y",
    "app {\n colour red\n}",
    "app {\n port\n}",
    "needs",
    "needs object",
    "needs database postgres because",
    "needs database postgres extra",
    "needs api",
    "needs api x with",
    "needs api x with url",
    "needs api x with url X and",
    "needs api x with url X and key",
    "config",
    "config X default",
    "config X because",
    "secret X \"a\" \"b\" junk",
    "\u{0}",
    "\u{feff}\u{feff}",
    "config X\u{a0}",
    "`",
];

#[test]
fn no_grammar_rule_name_reaches_a_user() {
    let names: Vec<String> = Rule::all_rules()
        .iter()
        .map(|rule| format!("{rule:?}"))
        .chain(["EOI".to_owned()])
        .collect();
    for text in BROKEN {
        let (_, diagnostics) = parse(text);
        assert!(!diagnostics.is_empty(), "{text:?} should not parse");
        for diagnostic in &diagnostics {
            let labels = diagnostic.primary.iter().chain(&diagnostic.secondary);
            let written: Vec<&str> = std::iter::once(diagnostic.message.as_str())
                .chain(diagnostic.help.as_deref())
                .chain(labels.map(|l| l.message.as_str()))
                .collect();
            for words in written {
                let leaked = words
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .find(|word| names.iter().any(|name| name == word));
                assert!(leaked.is_none(), "{leaked:?} in {words:?} for {text:?}");
            }
            if diagnostic.code == Code::SpecSyntax {
                assert!(
                    diagnostic.primary.is_some() && diagnostic.help.is_some(),
                    "{text:?}"
                );
            }
        }
    }
}

/// A long text with problems spread through it.
fn long_text() -> String {
    let mut text = String::from("\u{feff}app a\n");
    for i in 0..1500 {
        text.push_str(&MINIMAL.replace("A-1", &format!("A-{i}")));
        match i % 300 {
            7 => text.push_str("needs cache redis junk\n"),
            8 => text.push_str("config X\n"),
            9 => text.push_str("app b {\n  port 0\n}\n"),
            10 => text.push_str("assertion A-x \"open {\n"),
            11 => text.push_str("needs api x with url X,\n  required\n"),
            _ => {}
        }
    }
    text
}

#[test]
fn batches_threads_and_single_declarations_agree() {
    let text = long_text();
    let finish = |reading: super::lower::Reading| {
        let mut diagnostics = Diagnostics::new();
        let (document, count) = reading.finish(&mut diagnostics);
        let diagnostics: Vec<Diagnostic> = diagnostics.into_iter().collect();
        assert_eq!(count, diagnostics.len());
        (document, diagnostics)
    };
    let one_at_a_time = finish(read(FILE, &text, &split::batches(&text, 1)));
    let whole = finish(read(FILE, &text, &split::batches(&text, usize::MAX)));
    let batched = split::batches(&text, super::BATCH_BYTES);
    assert!(batched.len() > 3);
    let threaded = finish(read_in_parallel(FILE, &text, &batched, 3));
    let mut by_pest = super::lower::Lowering::new(FILE);
    let body = split::body_start(&text)..text.len();
    super::read_with_pest(&mut by_pest, &mut super::tree::Tree::default(), &text, body);
    let by_pest = finish(by_pest.into_reading());
    assert_eq!(one_at_a_time, by_pest);
    assert_eq!(one_at_a_time, whole);
    assert_eq!(one_at_a_time, threaded);
    assert_eq!(one_at_a_time, parse(&text));
    assert_eq!(one_at_a_time.0.assertions.len(), 1500);
}
