//! The readers of Dafny and TLC output against the corpus of real-format logs in
//! `fixtures/verifier-logs/`: one test per log, each checking every fact `expected.json`
//! records for it (verdict, counts, phase or outcome, the failing property or place, the
//! counterexample's length).

use std::path::{Path, PathBuf};

use serde_json::Value;
use specdeploy::verify::{Counts, FailureKind, Outcome, Verdict, dafny, tlc};

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verifier-logs")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(folder().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Reads `log` with the exit code `expected.json` gives, and checks every fact it states.
fn check(log: &str) {
    let all = expected();
    let facts = &all["logs"][log];
    assert!(facts.is_object(), "expected.json has no entry for {log}");
    let text = std::fs::read_to_string(folder().join(log)).expect("log");
    let exit_code = facts["exit_code"]
        .as_i64()
        .map(|c| i32::try_from(c).expect("small"));
    let outcome = match facts["tool"].as_str() {
        Some("dafny") => dafny::read(&text, exit_code),
        Some("tlc") => tlc::read(&text, exit_code),
        other => panic!("unknown tool {other:?}"),
    };
    let shown = format!("{outcome:#?}");
    assert_eq!(
        outcome.verdict == Verdict::Verified,
        facts["verified"].as_bool().expect("verified"),
        "verdict of {log}: {shown}"
    );
    match &outcome.counts {
        Counts::Dafny(counts) => check_dafny(log, facts, &outcome, counts, &shown),
        Counts::Tlc(counts) => check_tlc(log, facts, &outcome, counts, &shown),
    }
}

fn number(value: &Value) -> Option<u64> {
    value.as_u64()
}

fn check_dafny(
    log: &str,
    facts: &Value,
    outcome: &Outcome,
    counts: &specdeploy::verify::DafnyCounts,
    shown: &str,
) {
    assert_eq!(
        counts.verified.map(u64::from),
        number(&facts["verified_count"]),
        "verified count of {log}: {shown}"
    );
    assert_eq!(
        Some(u64::from(counts.errors)),
        number(&facts["errors"]),
        "errors of {log}: {shown}"
    );
    if let Some(timeouts) = number(&facts["timeouts"]) {
        assert_eq!(u64::from(counts.timeouts), timeouts, "timeouts of {log}");
    }
    let phase = match outcome.failure {
        Some(FailureKind::ParseError) => "parse",
        Some(FailureKind::ResolutionError) => "resolution",
        _ => "verification",
    };
    assert_eq!(
        Some(phase),
        facts["phase"].as_str(),
        "phase of {log}: {shown}"
    );
    if let Some(first) = facts.get("first_error") {
        let problem = outcome.problems.first().expect("a first error");
        let place = problem.location.as_ref().expect("a place");
        assert_eq!(Some(place.file.as_str()), first["file"].as_str(), "{log}");
        assert_eq!(Some(u64::from(place.line)), number(&first["line"]), "{log}");
        // Dafny prints zero-based columns (`column0` for Dafny 4, `column` for 2.3 in
        // expected.json); the reader keeps them one-based.
        let printed = number(&first["column0"]).or_else(|| number(&first["column"]));
        assert_eq!(
            place.column.map(|c| u64::from(c) - 1),
            printed,
            "column of {log}: {shown}"
        );
        assert_eq!(
            Some(problem.message.as_str()),
            first["message"].as_str(),
            "{log}"
        );
    }
}

fn check_tlc(
    log: &str,
    facts: &Value,
    outcome: &Outcome,
    counts: &specdeploy::verify::TlcCounts,
    shown: &str,
) {
    let kind = outcome.failure.map_or("success", FailureKind::as_str);
    assert_eq!(
        Some(kind),
        facts["outcome"].as_str(),
        "outcome of {log}: {shown}"
    );
    for (field, value) in [
        ("states_generated", counts.states_generated),
        ("distinct_states", counts.distinct_states),
        ("left_on_queue", counts.left_on_queue),
        ("depth", counts.depth),
    ] {
        if let Some(expected) = facts.get(field) {
            assert_eq!(value, number(expected), "{field} of {log}: {shown}");
        }
    }
    if let Some(property) = facts.get("property") {
        let found = outcome.problems.first().and_then(|p| p.property.as_deref());
        assert_eq!(found, property.as_str(), "property of {log}: {shown}");
    }
    if let Some(length) = facts.get("trace_length") {
        let found = outcome.counterexample.as_ref().map(|c| u64::from(c.length));
        assert_eq!(found, number(length), "trace length of {log}: {shown}");
    }
    if let Some(ends) = facts.get("ends_with") {
        let found = outcome
            .counterexample
            .as_ref()
            .and_then(|c| c.ends_with.as_deref());
        assert_eq!(found, ends.as_str(), "end of the trace of {log}: {shown}");
    }
}

macro_rules! logs {
    ($($name:ident => $log:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check($log);
            }
        )*

        #[test]
        fn every_log_in_expected_json_has_a_test() {
            let mut listed = vec![$($log),*];
            listed.sort_unstable();
            let all = expected();
            let mut found: Vec<&str> = all["logs"]
                .as_object()
                .expect("logs")
                .keys()
                .map(String::as_str)
                .collect();
            found.sort_unstable();
            assert_eq!(found, listed, "add each log of expected.json to the `logs!` list");
        }
    };
}

logs! {
    dafny_success => "dafny-success.log",
    dafny_verification_failure => "dafny-verification-failure.log",
    dafny_ten_errors => "dafny-ten-errors.log",
    dafny_resolution_error => "dafny-resolution-error.log",
    dafny_parse_error => "dafny-parse-error.log",
    tlc_success => "tlc-success.log",
    tlc_invariant_violation => "tlc-invariant-violation.log",
    tlc_deadlock => "tlc-deadlock.log",
    tlc_temporal_violation => "tlc-temporal-violation.log",
    tlc_parse_error => "tlc-parse-error.log",
    real_dafny_2_3_abs_ok => "real-dafny-2.3/abs-ok.log",
    real_dafny_2_3_abs_wrong_post => "real-dafny-2.3/abs-wrong-post.log",
    real_dafny_2_3_dafny4_syntax => "real-dafny-2.3/dafny4-syntax.log",
}

/// The real Dafny 2.3 runs keep their exit codes beside them; they must agree with
/// `expected.json`, so the tests read each log with the code the tool really returned.
#[test]
fn real_runs_exit_codes_agree_with_expected_json() {
    let all = expected();
    for (log, facts) in all["logs"].as_object().expect("logs") {
        let Some(stem) = log.strip_suffix(".log").filter(|l| l.starts_with("real-")) else {
            continue;
        };
        let saved = std::fs::read_to_string(folder().join(format!("{stem}.exit"))).expect("exit");
        assert_eq!(
            saved.trim().parse::<i64>().ok(),
            facts["exit_code"].as_i64(),
            "{log}"
        );
    }
}
