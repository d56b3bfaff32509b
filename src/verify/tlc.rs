//! Reads TLC's console output into an [`Outcome`].
//!
//! A model is verified only when TLC printed `Model checking completed. No error has been
//! found.`, printed no violation or error, and exited 0 (or the exit code is unknown). Every
//! kind of violation TLC words is read, including the deadlock (`Deadlock reached.`) and both
//! wordings of a temporal violation: the older `Temporal properties were violated.` and the
//! newer `Temporal property X was violated.` (`Temporal properties X and Y were violated.` for
//! several). When the messages name no kind, TLC's exit code does (11 deadlock, 12 safety,
//! 13 liveness, 14 assert, 150 parse, 151 configuration, ...). Messages printed in TLC's
//! `-tool` mode (between `@!@!@STARTMSG` and `@!@!@ENDMSG` lines, without `Error:`) are read
//! the same way.

use super::{
    Counterexample, Counts, FailureKind, Location, Outcome, Problem, TlcCounts, Verdict, Verifier,
    count, count_before,
};

/// The line TLC prints when the whole state space was checked without finding an error.
const SUCCESS: &str = "Model checking completed. No error has been found.";

/// Reads TLC's output `log` and its `exit_code`.
#[must_use]
pub fn read(log: &str, exit_code: Option<i32>) -> Outcome {
    // In `-tool` mode each message stands between marker lines, and an error's class is 1
    // (`@!@!@STARTMSG 2110:1 @!@!@`); the markers themselves are dropped.
    let mut lines: Vec<&str> = Vec::new();
    let mut in_error: Vec<bool> = Vec::new();
    let mut tool_error = false;
    for line in super::lines(log) {
        if let Some(rest) = line.strip_prefix("@!@!@STARTMSG ") {
            tool_error = rest
                .split_whitespace()
                .next()
                .is_some_and(|c| c.ends_with(":1"));
            continue;
        }
        if line.starts_with("@!@!@ENDMSG") {
            tool_error = false;
            continue;
        }
        lines.push(line.trim_end());
        in_error.push(tool_error || line.trim_start().starts_with("Error: "));
    }
    let mut version = None;
    let mut succeeded = false;
    let mut parse_failed = false;
    let mut failure: Option<FailureKind> = None;
    let mut problems: Vec<Problem> = Vec::new();
    let mut counts = TlcCounts::default();
    let mut progress = TlcCounts::default();
    let mut initial_state_violation = false;

    for (index, line) in lines.iter().enumerate() {
        let text = line.trim();
        if version.is_none()
            && let Some(rest) = text.strip_prefix("TLC2 Version ")
        {
            version = rest.split_whitespace().next().map(str::to_owned);
            continue;
        }
        if text == SUCCESS {
            succeeded = true;
            continue;
        }
        if is_parse_failure_marker(text) {
            parse_failed = true;
        }
        if text.contains(" states generated") {
            let target = if text.starts_with("Progress") {
                &mut progress
            } else {
                &mut counts
            };
            target.states_generated = count_before(text, " states generated");
            target.distinct_states = count_before(text, " distinct states found");
            target.left_on_queue = count_before(text, " states left on queue");
            continue;
        }
        if let Some(rest) = text.strip_prefix("The depth of the complete state graph search is ") {
            counts.depth = count(rest.trim_end_matches('.'));
            continue;
        }

        let message = text.strip_prefix("Error: ").unwrap_or(text);
        let error_line = in_error.get(index).copied().unwrap_or(false);
        let Some((kind, found)) = violation(message, error_line, &lines[index + 1..]) else {
            continue;
        };
        if message.ends_with("by the initial state:") {
            initial_state_violation = true;
        }
        failure.get_or_insert(kind);
        problems.extend(found);
    }

    if failure.is_none() && parse_failed {
        failure = Some(FailureKind::SpecParseError);
    }
    if failure == Some(FailureKind::SpecParseError) {
        problems.extend(parse_errors(&lines));
    }
    let clean_exit = exit_code.is_none_or(|c| c == 0);
    if failure.is_none() && !(succeeded && clean_exit) {
        failure = Some(exit_code.map_or(FailureKind::NoVerdict, kind_of_exit_code));
        problems.push(Problem::new(match exit_code {
            Some(code) if succeeded => {
                format!("TLC printed that it found no error but exited with code {code}")
            }
            Some(code) if code != 0 => {
                format!(
                    "TLC exited with code {code} ({})",
                    failure.map_or("", |k| k.describe())
                )
            }
            _ => "the output has no `Model checking completed` line and no error".to_owned(),
        }));
    }
    if counts.states_generated.is_none() {
        counts.states_generated = progress.states_generated;
        counts.distinct_states = progress.distinct_states;
        counts.left_on_queue = progress.left_on_queue;
    }
    let counterexample = failure.and_then(|_| {
        trace(&lines).or_else(|| {
            initial_state_violation.then_some(Counterexample {
                length: 1,
                ends_with: None,
            })
        })
    });
    Outcome {
        tool: Verifier::Tlc,
        tool_version: version,
        exit_code,
        verdict: if failure.is_none() {
            Verdict::Verified
        } else {
            Verdict::Failed
        },
        failure,
        counts: Counts::Tlc(counts),
        counterexample,
        problems: if failure.is_none() {
            Vec::new()
        } else {
            problems
        },
    }
}

/// The kind a failure exit code stands for, when the messages named none.
fn kind_of_exit_code(code: i32) -> FailureKind {
    match code {
        10 => FailureKind::Assumption,
        11 => FailureKind::Deadlock,
        13 => FailureKind::Temporal,
        14 => FailureKind::Assertion,
        150 => FailureKind::SpecParseError,
        151 => FailureKind::ConfigError,
        152 => FailureKind::StateSpaceTooLarge,
        153 => FailureKind::SystemError,
        // 12 is any safety violation (an invariant or an action property) and 255 any other
        // failure: neither names a kind.
        _ => FailureKind::ExitCode,
    }
}

/// Lines SANY prints when the model does not parse or does not make sense.
fn is_parse_failure_marker(text: &str) -> bool {
    text == "Parsing or semantic analysis failed."
        || text == "Error: Parsing or semantic analysis failed."
        || text.starts_with("***Parse Error***")
        || text.starts_with("*** Errors:")
        || text.starts_with("Semantic errors:")
        || text.starts_with("Lexical error at line")
        || text.starts_with("Fatal errors while parsing TLA+ spec")
}

/// The violation or error a message reports, with its problems; `following` are the lines
/// after it, which hold an Assert's message and the nested expressions TLC names. The exact
/// sentences of violations are recognised anywhere; the looser wordings of other errors only
/// in an error message (`is_error`), so that a warning or a state's value never counts.
fn violation(
    message: &str,
    is_error: bool,
    following: &[&str],
) -> Option<(FailureKind, Vec<Problem>)> {
    let named = |kind, property: &str| {
        let mut problem = Problem::new(message);
        problem.property = Some(property.to_owned());
        Some((kind, vec![problem]))
    };
    if let Some(name) = between(message, "Invariant ", " is violated.")
        .or_else(|| between(message, "Invariant ", " is violated by the initial state:"))
    {
        return named(FailureKind::Invariant, name);
    }
    if let Some(name) = between(message, "Property ", " is violated by the initial state:") {
        return named(FailureKind::Temporal, name);
    }
    if let Some(name) = between(message, "Action property ", " is violated.") {
        return named(FailureKind::ActionProperty, name);
    }
    if message == "Deadlock reached." {
        return Some((FailureKind::Deadlock, vec![Problem::new(message)]));
    }
    if message == "Temporal properties were violated." {
        return Some((FailureKind::Temporal, vec![Problem::new(message)]));
    }
    if let Some(name) = between(message, "Temporal property ", " was violated.") {
        return named(FailureKind::Temporal, name);
    }
    if let Some(names) = between(message, "Temporal properties ", " were violated.") {
        let problems = names
            .split(", ")
            .flat_map(|part| part.split(" and "))
            .map(|name| name.trim().trim_start_matches("and ").trim())
            .filter(|name| !name.is_empty())
            .map(|name| {
                let mut problem = Problem::new(message);
                problem.property = Some(name.to_owned());
                problem
            })
            .collect();
        return Some((FailureKind::Temporal, problems));
    }
    if message.starts_with("The first argument of Assert evaluated to FALSE") {
        let mut problem = Problem::new(match following.first() {
            Some(argument) if !argument.trim().is_empty() => {
                format!("{message} {}", argument.trim())
            }
            _ => message.to_owned(),
        });
        attach_nested(&mut problem, following);
        return Some((FailureKind::Assertion, vec![problem]));
    }
    if message.starts_with("Assumption ") && message.ends_with(" is false.") {
        let mut problem = Problem::new(message);
        problem.location = module_range(message);
        return Some((FailureKind::Assumption, vec![problem]));
    }
    if !is_error {
        return None;
    }
    if message.contains("configuration file") {
        let mut problem = Problem::new(message);
        problem.location = message
            .split_once("configuration file at line ")
            .and_then(|(_, n)| count(n.trim()))
            .map(|line| Location {
                file: "<config>".to_owned(),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: None,
                note: None,
            });
        return Some((FailureKind::ConfigError, vec![problem]));
    }
    let evaluation = between(message, "Evaluating invariant ", " failed.")
        .or_else(|| between(message, "Evaluating action property ", " failed."));
    if let Some(name) = evaluation {
        let mut problem = Problem::new(message);
        problem.property = Some(name.to_owned());
        attach_nested(&mut problem, following);
        return Some((FailureKind::EvaluationError, vec![problem]));
    }
    if message.starts_with("Successor state is not completely specified")
        || message.starts_with("Evaluating assumption ")
        || message.starts_with("In evaluation, the identifier")
        || message.starts_with("TLC expected a")
        || message.starts_with("Attempted to ")
        || message.starts_with("The second argument of \\div is 0.")
    {
        let mut problem = Problem::new(message);
        attach_nested(&mut problem, following);
        return Some((FailureKind::EvaluationError, vec![problem]));
    }
    if message.starts_with("Java ran out of memory")
        || message.starts_with("TLC threw an unexpected exception")
        || message.starts_with("This was a Java StackOverflowError")
        || message.starts_with("TLC Bug:")
    {
        return Some((FailureKind::SystemError, vec![Problem::new(message)]));
    }
    None
}

/// The text between `before` (at the start) and `after` (at the end) of `text`; an empty
/// `after` takes the rest.
fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(before)?;
    let inside = if after.is_empty() {
        rest
    } else {
        rest.strip_suffix(after)?
    };
    (!inside.is_empty()).then_some(inside)
}

/// Adds the places of `The error occurred when TLC was evaluating the nested expressions at
/// the following positions:` to `problem`: the innermost is its location. TLC prints the list
/// before or after the behaviour that led to the error, so all of `following` is searched.
fn attach_nested(problem: &mut Problem, following: &[&str]) {
    let mut places: Vec<Location> = Vec::new();
    let mut in_list = false;
    for line in following {
        let text = line.trim();
        if text.contains("evaluating the nested") {
            in_list = true;
            continue;
        }
        if !in_list {
            continue;
        }
        match text.split_once(". Line ") {
            Some((index, _)) if index.chars().all(|c| c.is_ascii_digit()) => {
                if let Some(place) = nested_position(text) {
                    places.push(place);
                }
            }
            _ if text.is_empty() || text.starts_with("expressions at") => {}
            _ => break,
        }
    }
    if let Some(innermost) = places.pop() {
        problem.location = Some(innermost);
        problem.related = places;
    }
}

/// `0. Line 12, column 5 to line 12, column 40 in behavior`.
fn nested_position(text: &str) -> Option<Location> {
    let (_, rest) = text.split_once(". Line ")?;
    let (line, rest) = rest.split_once(", column ")?;
    let (column, rest) = rest.split_once(" to ")?;
    let (_, module) = rest.rsplit_once(" in ")?;
    Some(Location {
        file: format!("{}.tla", module.trim()),
        line: count(line.trim()).and_then(|n| u32::try_from(n).ok())?,
        column: count(column.trim()).and_then(|n| u32::try_from(n).ok()),
        note: None,
    })
}

/// `line 40, col 28 to line 40, col 37 of module behavior`, anywhere in `text`.
fn module_range(text: &str) -> Option<Location> {
    let start = text.find("line ")?;
    let rest = &text[start + "line ".len()..];
    let (line, rest) = rest.split_once(", col ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let (_, module) = rest.split_once(" of module ")?;
    let module: String = module
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    Some(Location {
        file: format!("{module}.tla"),
        line: count(line.trim()).and_then(|n| u32::try_from(n).ok())?,
        column: count(&column).and_then(|n| u32::try_from(n).ok()),
        note: None,
    })
}

/// The problems SANY reported: each position line (`line 40, col 28 to ... of module M`, or a
/// parse error's `at line 10, column 5`) with the message that follows or precedes it.
fn parse_errors(lines: &[&str]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let text = line.trim();
        if text.starts_with("line ") && text.contains(" of module ") {
            let message = lines[index + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .unwrap_or("semantic error");
            let mut problem = Problem::new(message);
            problem.location = module_range(text);
            problems.push(problem);
        } else if let Some((_, rest)) = text.split_once(" at line ")
            && let Some((row, rest)) = rest.split_once(", column ")
            && let Some(row) = count(row.trim())
        {
            let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let mut problem = Problem::new(text);
            problem.location = Some(Location {
                file: String::new(),
                line: u32::try_from(row).unwrap_or(u32::MAX),
                column: count(&column).and_then(|n| u32::try_from(n).ok()),
                note: None,
            });
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        problems.push(Problem::new("Parsing or semantic analysis failed."));
    }
    problems
}

/// The counterexample: the `State N:` lines of the first trace, and how it ends when it ends
/// in a loop (`State 3: Stuttering`, `State 4: Back to state 2`).
fn trace(lines: &[&str]) -> Option<Counterexample> {
    let mut length = 0_u32;
    let mut ends_with = None;
    let mut seen_any = false;
    for line in lines {
        let Some(rest) = line.strip_prefix("State ") else {
            if seen_any && line.starts_with("Error:") {
                break;
            }
            continue;
        };
        let Some((number, what)) = rest.split_once(':') else {
            continue;
        };
        if !number.chars().all(|c| c.is_ascii_digit()) || number.is_empty() {
            continue;
        }
        seen_any = true;
        let what = what.trim();
        if what.starts_with("Stuttering") {
            ends_with = Some("Stuttering".to_owned());
            break;
        }
        if what.starts_with("Back to state") {
            let marker = what.split(':').next().unwrap_or(what).trim();
            ends_with = Some(marker.to_owned());
            break;
        }
        length += 1;
    }
    seen_any.then_some(Counterexample { length, ends_with })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_temporal_properties_are_each_named() {
        let log = "Error: Temporal properties Live, Fair, and Done were violated.\n";
        let outcome = read(log, Some(13));
        let names: Vec<_> = outcome
            .problems
            .iter()
            .filter_map(|p| p.property.as_deref())
            .collect();
        assert_eq!(names, ["Live", "Fair", "Done"]);
        let two = read(
            "Error: Temporal properties A and B were violated.\n",
            Some(13),
        );
        assert_eq!(two.problems.len(), 2);
    }

    #[test]
    fn an_exit_code_names_the_kind_when_the_messages_do_not() {
        assert_eq!(read("", Some(11)).failure, Some(FailureKind::Deadlock));
        assert_eq!(read("", Some(12)).failure, Some(FailureKind::ExitCode));
        assert_eq!(read("", None).failure, Some(FailureKind::NoVerdict));
    }

    #[test]
    fn success_with_a_failure_exit_code_is_not_verified() {
        let outcome = read(&format!("{SUCCESS}\n"), Some(12));
        assert_eq!(outcome.verdict, Verdict::Failed);
    }

    #[test]
    fn success_next_to_a_violation_is_not_verified() {
        let log = format!("Error: Invariant Safe is violated.\n{SUCCESS}\n");
        assert_eq!(read(&log, Some(0)).failure, Some(FailureKind::Invariant));
    }

    #[test]
    fn tool_mode_messages_are_read() {
        let log =
            "@!@!@STARTMSG 2110:1 @!@!@\nInvariant Safe is violated.\n@!@!@ENDMSG 2110 @!@!@\n";
        let outcome = read(log, Some(12));
        assert_eq!(outcome.failure, Some(FailureKind::Invariant));
        assert_eq!(outcome.problems[0].property.as_deref(), Some("Safe"));
    }

    #[test]
    fn an_assert_names_its_message_and_place() {
        let log = "Error: The first argument of Assert evaluated to FALSE; the second argument was:\n\
                   \"stock went negative\"\n\
                   Error: The behavior up to this point is:\n\
                   State 1: <Initial predicate>\n\
                   /\\ x = 0\n\n\
                   Error: The error occurred when TLC was evaluating the nested\n\
                   expressions at the following positions:\n\
                   0. Line 20, column 5 to line 22, column 30 in shop\n\
                   1. Line 21, column 9 to line 21, column 40 in shop\n";
        let outcome = read(log, Some(14));
        assert_eq!(outcome.failure, Some(FailureKind::Assertion));
        let problem = &outcome.problems[0];
        assert!(
            problem.message.contains("stock went negative"),
            "{problem:?}"
        );
        let place = problem.location.as_ref().expect("innermost place");
        assert_eq!((place.file.as_str(), place.line), ("shop.tla", 21));
    }

    #[test]
    fn a_lasso_ends_back_at_a_state() {
        let log = "Error: Temporal property Live was violated.\n\
                   State 1: <Initial predicate>\n\
                   State 2: <Next line 3, col 1 to line 4, col 2 of module m>\n\
                   State 3: Back to state 1: <Next line 3, col 1 to line 4, col 2 of module m>\n";
        let trace = read(log, Some(13)).counterexample.expect("a trace");
        assert_eq!(trace.length, 2);
        assert_eq!(trace.ends_with.as_deref(), Some("Back to state 1"));
    }

    #[test]
    fn counts_with_separators_and_rates() {
        let log = "Progress(9) at 2026-01-19 11:40:02: 1,234,567 states generated (12,345 s/min), \
                   98,765 distinct states found (1,000 ds/min), 12 states left on queue.\n";
        match read(log, None).counts {
            Counts::Tlc(c) => {
                assert_eq!(c.states_generated, Some(1_234_567));
                assert_eq!(c.distinct_states, Some(98_765));
                assert_eq!(c.left_on_queue, Some(12));
            }
            Counts::Dafny(_) => panic!("TLC counts expected"),
        }
    }

    #[test]
    fn a_configuration_error_is_read() {
        let log = "Error: TLC found an error in the configuration file at line 7\n\
                   It was expecting an identifier, but did not find it.\n";
        let outcome = read(log, Some(151));
        assert_eq!(outcome.failure, Some(FailureKind::ConfigError));
        assert_eq!(
            outcome.problems[0].location.as_ref().map(|l| l.line),
            Some(7)
        );
    }
}
