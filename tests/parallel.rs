//! Large inputs are read on several threads (`.spec` files shared out among threads, the
//! texts of many assertions scanned in two halves). What comes back must be what one thread
//! would give: every assertion, need and diagnostic, in file order.

use specdeploy::compile::compile;
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

    let ids: Vec<&str> = compilation
        .specs
        .assertions
        .iter()
        .map(|a| a.id.value.as_str())
        .collect();
    let expected: Vec<String> = (0..6000).map(|i| format!("A-{i:06}")).collect();
    assert_eq!(ids, expected, "every assertion, in file order");

    let pending: Vec<String> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnconfirmedAssertion)
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        pending.len(),
        6000,
        "one warning for each pending assertion"
    );
    let out_of_order = pending
        .iter()
        .enumerate()
        .find(|(i, message)| !message.contains(&format!("A-{i:06}")));
    assert_eq!(out_of_order, None, "warning i is about assertion i");

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
