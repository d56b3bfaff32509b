//! The synthetic spec folders of `examples/specgen` are what specdeploy accepts: with no
//! problems sprinkled `check` reports no error, and with problems it reports exactly the
//! errors the generator says it sprinkled, in every form.

#[path = "../examples/specgen/corpus.rs"]
#[allow(dead_code, reason = "the test uses only part of the generator's API")]
mod corpus;
mod support;

use std::collections::BTreeMap;

use corpus::{Form, Settings};
use support::Specdeploy;

/// The error codes `specdeploy check --message-format json` reports for a generated folder,
/// with their counts, and the exit code.
fn errors(settings: &Settings) -> (BTreeMap<String, usize>, Option<i32>) {
    let work = tempfile::tempdir().expect("temp dir");
    let generated = corpus::generate(settings);
    generated.write_to(work.path()).expect("corpus written");
    let run = Specdeploy::new()
        .args(["check", "--message-format", "json"])
        .arg(work.path())
        .run();
    let mut counts = BTreeMap::new();
    for line in run.stderr.lines() {
        let diagnostic: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON diagnostic ({e}): {line}"));
        if diagnostic["severity"] == "error" {
            let code = diagnostic["code"].as_str().expect("a code").to_owned();
            *counts.entry(code).or_default() += 1;
        }
    }
    (counts, run.code)
}

fn expected(settings: &Settings) -> BTreeMap<String, usize> {
    corpus::generate(settings)
        .expected
        .into_iter()
        .map(|(code, n)| (code.to_owned(), n))
        .collect()
}

#[test]
fn a_clean_corpus_checks_without_errors_in_every_form() {
    for form in [Form::Manifest, Form::Spec, Form::Both] {
        let settings = Settings {
            assertions: 120,
            files: 3,
            form,
            ..Settings::default()
        };
        let (errors, code) = errors(&settings);
        assert!(errors.is_empty(), "{form:?}: {errors:?}");
        assert_eq!(code, Some(0), "{form:?}");
    }
}

#[test]
fn sprinkled_problems_are_reported_once_each() {
    for form in [Form::Manifest, Form::Spec, Form::Both] {
        let settings = Settings {
            assertions: 300,
            files: 4,
            form,
            seed: 7,
            duplicate_rate: 0.03,
            error_rate: 0.05,
        };
        let wanted = expected(&settings);
        assert!(
            wanted.len() >= 3,
            "the seed sprinkles several kinds: {wanted:?}"
        );
        let (errors, code) = errors(&settings);
        assert_eq!(errors, wanted, "{form:?}");
        assert_eq!(code, Some(1), "{form:?}");
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let settings = Settings {
        assertions: 50,
        files: 2,
        form: Form::Both,
        seed: 3,
        duplicate_rate: 0.1,
        error_rate: 0.1,
    };
    assert_eq!(
        corpus::generate(&settings).files,
        corpus::generate(&settings).files
    );
    let other = Settings {
        seed: 4,
        ..settings.clone()
    };
    assert_ne!(
        corpus::generate(&settings).files,
        corpus::generate(&other).files
    );
}
