//! Reads Dafny's console output into an [`Outcome`].
//!
//! Both wordings are read: Dafny 4 (`Error: a postcondition could not be proved on this
//! return path`, source snippets under each message) and Dafny 2.x (`Error BP5003: A
//! postcondition might not hold on this return path.`, an execution trace under it). The
//! verdict never rests on a substring such as `0 errors`, which `10 errors` also contains:
//! the trailer `Dafny program verifier finished with N verified, M errors[, K time outs]...`
//! is split into its counts, and a model is verified only when Dafny exited 0 (or the exit
//! code is unknown), printed a trailer, and counted no error, time-out, inconclusive proof or
//! exhausted resource, and no error message stands anywhere in the output. Parse and
//! resolution failures print no trailer; their summary line (`1 parse errors detected in
//! x.dfy`) names the phase.

use super::{
    Counts, DafnyCounts, FailureKind, Location, Outcome, Problem, Verdict, Verifier, lines,
};

/// What the trailer counted, summed over every trailer in the log.
#[derive(Debug, Default)]
struct Trailer {
    verified: u32,
    errors: u32,
    timeouts: u32,
    inconclusive: u32,
    out_of_resource: u32,
}

/// The kind of a located message.
#[derive(Debug, PartialEq, Eq)]
enum Severity {
    Error,
    Related,
    Other,
}

/// Reads Dafny's output `log` (stdout and stderr together) and its `exit_code`.
#[must_use]
pub fn read(log: &str, exit_code: Option<i32>) -> Outcome {
    let mut version = None;
    let mut trailer: Option<Trailer> = None;
    let mut not_attempted = false;
    let mut parse_errors = 0;
    let mut resolution_errors = 0;
    let mut problems: Vec<Problem> = Vec::new();
    let mut command_line: Vec<Problem> = Vec::new();

    for line in lines(log) {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.split_once("program verifier finished with ") {
            let counts = trailer.get_or_insert_with(Trailer::default);
            add_trailer(counts, rest.1);
            continue;
        }
        if trimmed.contains("program verifier did not attempt verification") {
            not_attempted = true;
            continue;
        }
        if let Some(n) = summary_count(trimmed, " parse errors detected in ") {
            parse_errors += n;
            continue;
        }
        if let Some(n) = summary_count(trimmed, " resolution/type errors detected in ") {
            resolution_errors += n;
            continue;
        }
        if version.is_none() {
            version = banner_version(trimmed);
            if version.is_some() {
                continue;
            }
        }
        // Messages start at the beginning of the line; indented lines are execution traces
        // (`    (0,0): anon0`) and source snippets.
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        if let Some((location, severity, message)) = located(line) {
            match severity {
                Severity::Error => problems.push(Problem {
                    message,
                    property: None,
                    location: Some(location),
                    related: Vec::new(),
                }),
                Severity::Related => {
                    if let Some(last) = problems.last_mut() {
                        last.related.push(Location {
                            note: Some(message),
                            ..location
                        });
                    }
                }
                Severity::Other => {}
            }
            continue;
        }
        if let Some(message) = unlocated_error(trimmed) {
            command_line.push(Problem::new(message));
        }
    }

    // Messages count even when a trailer does not: a log whose trailer says 0 errors beside
    // an error message is not a proof.
    let seen = |kind| {
        problems
            .iter()
            .filter(|p| message_kind(&p.message) == kind)
            .count()
    };
    let errors_seen = seen(FailureKind::VerificationError);
    let timeouts_seen = seen(FailureKind::Timeout);
    let inconclusive_seen = seen(FailureKind::Inconclusive);

    let failure = if parse_errors > 0 {
        Some(FailureKind::ParseError)
    } else if resolution_errors > 0 {
        Some(FailureKind::ResolutionError)
    } else if let Some(t) = &trailer {
        if t.errors > 0 || errors_seen > 0 {
            Some(FailureKind::VerificationError)
        } else if t.timeouts > 0 || timeouts_seen > 0 {
            Some(FailureKind::Timeout)
        } else if t.inconclusive > 0 || t.out_of_resource > 0 || inconclusive_seen > 0 {
            Some(FailureKind::Inconclusive)
        } else if exit_code.is_some_and(|c| c != 0) {
            Some(FailureKind::ExitCode)
        } else {
            None
        }
    } else if !command_line.is_empty() || exit_code == Some(1) {
        Some(FailureKind::CommandLine)
    } else {
        Some(FailureKind::NoVerdict)
    };
    // A trailer with "did not attempt verification" beside it cannot count as a proof.
    let failure = if not_attempted && failure.is_none() {
        problems.push(Problem::new("Dafny did not attempt verification"));
        Some(FailureKind::NoVerdict)
    } else {
        failure
    };

    let counts = DafnyCounts {
        verified: trailer.as_ref().map(|t| t.verified),
        errors: match &trailer {
            Some(t) => t.errors,
            None if parse_errors + resolution_errors > 0 => parse_errors + resolution_errors,
            None => u32::try_from(problems.len()).unwrap_or(u32::MAX),
        },
        timeouts: trailer.as_ref().map_or(0, |t| t.timeouts),
        inconclusive: trailer.as_ref().map_or(0, |t| t.inconclusive),
        out_of_resource: trailer.as_ref().map_or(0, |t| t.out_of_resource),
    };
    if failure == Some(FailureKind::ExitCode) {
        problems.push(Problem::new(format!(
            "dafny exited with code {} although its trailer counts no error",
            exit_code.unwrap_or_default()
        )));
    }
    if failure == Some(FailureKind::NoVerdict) && problems.is_empty() {
        problems.push(Problem::new(
            "the output has no `Dafny program verifier finished` trailer and no error summary",
        ));
    }
    if problems.is_empty() && failure.is_some() {
        problems.extend(command_line);
    }
    Outcome {
        tool: Verifier::Dafny,
        tool_version: version,
        exit_code,
        verdict: if failure.is_none() {
            Verdict::Verified
        } else {
            Verdict::Failed
        },
        failure,
        counts: Counts::Dafny(counts),
        counterexample: None,
        problems: if failure.is_none() {
            Vec::new()
        } else {
            problems
        },
    }
}

/// Adds the counts of one trailer, `5 verified, 0 errors, 1 time out`, to `counts`. Each part
/// is a number and a word; a part specdeploy does not know counts as out of resource, so an
/// unfamiliar kind of failure can never pass as verified.
fn add_trailer(counts: &mut Trailer, text: &str) {
    for part in text.trim().trim_end_matches('.').split(',') {
        let part = part.trim();
        let Some((number, what)) = part.split_once(' ') else {
            continue;
        };
        let Ok(n) = number.parse::<u32>() else {
            continue;
        };
        let what = what.trim().to_ascii_lowercase();
        let slot = if what.starts_with("verified") {
            &mut counts.verified
        } else if what.starts_with("error") {
            &mut counts.errors
        } else if what.starts_with("time out") || what.starts_with("timeout") {
            &mut counts.timeouts
        } else if what.starts_with("inconclusive") {
            &mut counts.inconclusive
        } else {
            &mut counts.out_of_resource
        };
        *slot = slot.saturating_add(n);
    }
}

/// `N` of a summary line `N parse errors detected in FILE`.
fn summary_count(line: &str, marker: &str) -> Option<u32> {
    let (number, _) = line.split_once(marker)?;
    number.trim().parse().ok()
}

/// The version in Dafny 2.x's banner, `Dafny 2.3.0.10506`.
fn banner_version(line: &str) -> Option<String> {
    let version = line.strip_prefix("Dafny ")?;
    (version.starts_with(|c: char| c.is_ascii_digit()) && !version.contains(' '))
        .then(|| version.to_owned())
}

/// A message with a place, `FILE(LINE,COLUMN): Error: MESSAGE`, with Dafny's zero-based column
/// made one-based.
fn located(line: &str) -> Option<(Location, Severity, String)> {
    let mut search = 0;
    while let Some(found) = line[search..].find("): ") {
        let close = search + found;
        let open = line[..close].rfind('(')?;
        let inside = &line[open + 1..close];
        let file = line[..open].trim();
        if let Some((l, c)) = inside.split_once(',')
            && let (Ok(row), Ok(column)) = (l.trim().parse::<u32>(), c.trim().parse::<u32>())
            && !file.is_empty()
        {
            let rest = &line[close + 3..];
            let (severity, message) = classify(rest);
            let location = Location {
                file: file.to_owned(),
                line: row,
                column: Some(column.saturating_add(1)),
                note: None,
            };
            return Some((location, severity, message));
        }
        search = close + 3;
    }
    None
}

/// The kind and text of what follows a place: `Error: ...`, `Error BP5003: ...`,
/// `Related location: ...`, `Warning: ...`, or a bare prover outcome.
fn classify(rest: &str) -> (Severity, String) {
    let rest = rest.trim();
    if let Some(message) = rest.strip_prefix("Related location") {
        let message = message.trim_start_matches(':').trim();
        return (Severity::Related, message.to_owned());
    }
    if let Some(after) = rest.strip_prefix("Error") {
        // `Error: m`, or Dafny 2.x's `Error BP5003: m`.
        let message = match after.split_once(": ") {
            Some((code, message)) if code.trim().chars().all(|c| c.is_ascii_alphanumeric()) => {
                message
            }
            _ => after.trim_start_matches(':'),
        };
        return (Severity::Error, message.trim().to_owned());
    }
    if message_kind(rest) != FailureKind::VerificationError {
        // `Verification of 'X' timed out after N seconds` and friends, written without
        // `Error:` by some versions.
        return (Severity::Error, rest.to_owned());
    }
    (Severity::Other, rest.to_owned())
}

/// Whether a message reports a time-out, an inconclusive proof, or an error.
fn message_kind(message: &str) -> FailureKind {
    let lower = message.to_ascii_lowercase();
    if lower.contains("timed out") || lower.contains("time out") {
        FailureKind::Timeout
    } else if lower.starts_with("verification inconclusive")
        || lower.contains("out of resource")
        || lower.contains("out of memory")
        || lower.contains("solver exception")
    {
        FailureKind::Inconclusive
    } else {
        FailureKind::VerificationError
    }
}

/// A failure with no place: `*** Error: file not found`, `Dafny: Error: unknown switch`.
fn unlocated_error(line: &str) -> Option<String> {
    let rest = line
        .strip_prefix("*** Error:")
        .or_else(|| line.strip_prefix("Dafny: Error:"))
        .or_else(|| line.strip_prefix("Error:"))?;
    Some(rest.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(outcome: &Outcome) -> &DafnyCounts {
        match &outcome.counts {
            Counts::Dafny(c) => c,
            Counts::Tlc(_) => panic!("Dafny counts expected"),
        }
    }

    #[test]
    fn ten_errors_is_not_zero_errors() {
        let log = "\nDafny program verifier finished with 3 verified, 10 errors\n";
        let outcome = read(log, Some(4));
        assert_eq!(outcome.verdict, Verdict::Failed);
        assert_eq!(counts(&outcome).errors, 10);
    }

    #[test]
    fn time_outs_and_out_of_resource_are_not_verified_even_with_exit_zero() {
        for trailer in [
            "finished with 4 verified, 0 errors, 1 time out",
            "finished with 4 verified, 0 errors, 2 inconclusives",
            "finished with 87 verified, 0 errors, 1 out of resource",
            "finished with 4 verified, 0 errors, 1 solver exception",
        ] {
            let outcome = read(&format!("Dafny program verifier {trailer}\n"), Some(0));
            assert_eq!(outcome.verdict, Verdict::Failed, "{trailer}");
        }
    }

    #[test]
    fn a_clean_trailer_with_a_failure_exit_code_is_not_verified() {
        let outcome = read(
            "Dafny program verifier finished with 2 verified, 0 errors\n",
            Some(3),
        );
        assert_eq!(outcome.failure, Some(FailureKind::ExitCode));
    }

    #[test]
    fn an_error_message_beside_a_clean_trailer_is_not_verified() {
        let log = "a.dfy(3,7): Error: assertion might not hold\n\
                   Dafny program verifier finished with 2 verified, 0 errors\n";
        assert_eq!(read(log, Some(0)).verdict, Verdict::Failed);
    }

    #[test]
    fn not_attempting_verification_is_no_verdict() {
        let log = "Dafny program verifier did not attempt verification\n";
        assert_eq!(read(log, Some(0)).failure, Some(FailureKind::NoVerdict));
    }

    #[test]
    fn no_output_is_no_verdict() {
        let outcome = read("", Some(0));
        assert_eq!(outcome.failure, Some(FailureKind::NoVerdict));
    }

    #[test]
    fn a_timeout_message_names_its_place() {
        let log = "a.dfy(3,7): Error: Verification of 'Slow' timed out after 20 seconds\n\n\
                   Dafny program verifier finished with 1 verified, 0 errors, 1 time out\n";
        let outcome = read(log, Some(4));
        assert_eq!(outcome.failure, Some(FailureKind::Timeout));
        let place = outcome.problems[0].location.as_ref().expect("a place");
        assert_eq!((place.line, place.column), (3, Some(8)));
    }

    #[test]
    fn an_error_line_without_a_count_still_fails() {
        let log = "a.dfy(3,7): Error: assertion might not hold\n\
                   Dafny program verifier finished with 1 verified\n";
        assert_eq!(
            read(log, None).failure,
            Some(FailureKind::VerificationError)
        );
    }

    #[test]
    fn a_command_line_error_is_reported() {
        let outcome = read("Dafny: Error: unknown switch: --version\n", Some(1));
        assert_eq!(outcome.failure, Some(FailureKind::CommandLine));
        assert_eq!(outcome.problems[0].message, "unknown switch: --version");
    }

    #[test]
    fn paths_with_parentheses_are_kept_whole() {
        let log = "models (v2)/a.dfy(12,0): Error: assertion might not hold\n";
        let (location, _, _) = located(log.trim_end()).expect("located");
        assert_eq!(location.file, "models (v2)/a.dfy");
        assert_eq!(location.line, 12);
    }
}
