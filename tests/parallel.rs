//! Large inputs are read on several threads (`.spec` files shared out among threads, the
//! texts of many assertions scanned in two halves). What comes back must be what one thread
//! would give: every assertion, need and diagnostic, in file order.

use specdeploy::compile::{Compilation, compile};
use specdeploy::diagnostic::{Code, Diagnostics};
use specdeploy::load;
use specdeploy::model::NeedKind;
use specdeploy::passes::Options;

/// An assertion whose text makes the app need a database, with a status that is warned
/// about, so each one leaves a provenance and a diagnostic behind.
fn spec_assertion(i: usize) -> String {
    format!(
        "assertion A-{i:06} \"Every order {i} is stored in the Postgres database\" {{\n  type invariant\n  category structure\n  status pending\n}}\n\n"
    )
}

/// Checks that `compilation` holds assertions `A-000000` to `A-{count - 1}` in file order,
/// each pending with its warning, the warnings in the same order; returns the ids.
fn in_file_order(compilation: &Compilation, count: usize) -> Vec<String> {
    let ids: Vec<&str> = compilation
        .specs
        .assertions
        .iter()
        .map(|a| a.id.value.as_str())
        .collect();
    let expected: Vec<String> = (0..count).map(|i| format!("A-{i:06}")).collect();
    assert_eq!(ids, expected, "every assertion, in file order");

    let pending: Vec<&str> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnconfirmedAssertion)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        pending.len(),
        count,
        "one warning for each pending assertion"
    );
    let out_of_order = pending
        .iter()
        .enumerate()
        .find(|(i, message)| !message.contains(&format!("A-{i:06}")));
    assert_eq!(out_of_order, None, "warning i is about assertion i");
    expected
}

#[test]
fn many_spec_files_come_back_in_file_order() {
    // 60 files of 100 assertions: well past the size that is shared among threads.
    let texts: Vec<(String, String)> = (0..60)
        .map(|f| {
            let body: String = (f * 100..(f + 1) * 100).map(spec_assertion).collect();
            (format!("specs/part-{f:04}.spec"), body)
        })
        .collect();
    let mut files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    files.push(("package.json", r#"{"name": "orders", "version": "1.0.0"}"#));
    files.push((
        "specs/app.spec",
        "app orders {\n  archetype web service\n  entry \"src/index.ts\"\n}\n",
    ));
    files.push(("src/index.ts", "export {};\n"));
    let folder = load::from_texts(files);
    let compilation = compile(folder, Options::default(), None, Diagnostics::new());

    let expected = in_file_order(&compilation, 6000);

    let ir = compilation.ir.expect("the specs make an IR");
    let database = ir
        .needs
        .iter()
        .find(|n| n.kind == NeedKind::Database)
        .expect("a database need");
    let mut because: Vec<&str> = database
        .provenance
        .iter()
        .filter_map(|p| p.assertion.as_deref())
        .collect();
    // Two rules fire on each text (the technology and the kind of service): each assertion
    // appears in a run of its own, and the runs are in file order.
    because.dedup();
    let first_difference = because
        .iter()
        .zip(&expected)
        .position(|(found, wanted)| found != wanted);
    assert_eq!(
        (because.len(), first_difference),
        (expected.len(), None),
        "the database need names every assertion behind it, in file order"
    );
}

/// A manifest assertion like [`spec_assertion`]'s.
fn manifest_assertion(i: usize) -> String {
    format!(
        r#"{{"id": "A-{i:06}", "natural": "Every order {i} is stored in the Postgres database", "type": "invariant", "category": "structure", "status": "pending", "tags": ["orders"]}}"#
    )
}

#[test]
fn a_long_manifest_comes_back_in_file_order() {
    // 8,000 assertions, more than a megabyte: its two halves are read at once. An entry that
    // is not an object stands in each half.
    let mut entries: Vec<String> = (0..8000).map(manifest_assertion).collect();
    entries.insert(6000, "42".to_owned());
    entries.insert(2000, "\"not an assertion\"".to_owned());
    let manifest = format!(
        "{{\"version\": \"1.0.0\", \"archetype\": \"web-service\", \"assertions\": [\n{}\n], \"actors\": [\"shopper\"]}}\n",
        entries.join(",\n")
    );
    assert!(manifest.len() > 1 << 20);
    let folder = load::from_texts([
        ("specs/assertions.json", manifest.as_str()),
        ("package.json", r#"{"name": "orders", "version": "1.0.0"}"#),
        ("src/index.ts", "export {};\n"),
    ]);
    let compilation = compile(folder, Options::default(), None, Diagnostics::new());

    in_file_order(&compilation, 8000);
    assert_eq!(
        compilation.specs.context.actors.len(),
        1,
        "what follows the assertions is read too"
    );

    let wrong: Vec<(Option<usize>, String)> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::WrongFieldType)
        .map(|d| {
            let span = d.primary.as_ref().expect("a place").span;
            (
                Some(span.start()),
                manifest[span.start()..span.end()].to_owned(),
            )
        })
        .collect();
    let at = |text: &str| manifest.find(&format!("\n{text},\n")).map(|i| i + 1);
    assert_eq!(
        wrong,
        [
            (
                at("\"not an assertion\""),
                "\"not an assertion\"".to_owned()
            ),
            (at("42"), "42".to_owned())
        ],
        "the entry that is not an object, in each half, in file order"
    );
}
