//! Formal verification: what Dafny and TLC say about the models in `specs/`, the record that
//! keeps their verdicts, and running the tools.
//!
//! The readers [`dafny`] and [`tlc`] are pure: a log and the tool's exit code in, a typed
//! [`Outcome`] out. [`locate`] ties a reported problem to a line of the model and to the
//! assertion whose `formalSpec` covers that line. [`record`] is the format of
//! `specs/.specdeploy/verification.json`, which `build` reads through [`crate::load`]. Only
//! [`run`] starts processes, and [`command`] (`specdeploy verify`) is the one place that reads
//! the clock.

pub mod command;
pub mod dafny;
pub mod locate;
pub mod record;
pub mod run;
pub mod summary;
pub mod tlc;

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A verifier whose output specdeploy reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verifier {
    /// Dafny, for the structural models `specs/dafny/*.dfy`.
    Dafny,
    /// TLC, the TLA+ model checker, for `specs/tla/*.tla` that have a `.cfg`.
    Tlc,
}

impl Verifier {
    /// The lower-case name used in the record and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dafny => "dafny",
            Self::Tlc => "tlc",
        }
    }

    /// The name people know the tool by.
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Dafny => "Dafny",
            Self::Tlc => "TLC",
        }
    }
}

/// What a run concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The tool checked the model and found no problem.
    Verified,
    /// The model is not verified; [`Outcome::failure`] says why.
    Failed,
}

/// Why a model is not verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Dafny could not parse the model.
    ParseError,
    /// Dafny could not resolve names or types.
    ResolutionError,
    /// Dafny could not prove a postcondition, assertion, invariant or termination.
    VerificationError,
    /// The prover ran out of time on some proof.
    Timeout,
    /// The prover gave up: inconclusive, out of resource or out of memory.
    Inconclusive,
    /// The tool rejected its command line or could not open the model.
    CommandLine,
    /// TLC found a state that violates an invariant.
    Invariant,
    /// TLC found a step that violates an action property.
    ActionProperty,
    /// TLC reached a state with no successor.
    Deadlock,
    /// TLC found a behaviour that violates a temporal (liveness) property.
    Temporal,
    /// An `Assert` in the model evaluated to false.
    Assertion,
    /// An `ASSUME` of the model is false.
    Assumption,
    /// SANY could not parse the model or found a semantic error.
    SpecParseError,
    /// TLC rejected the model's `.cfg`.
    ConfigError,
    /// TLC could not evaluate an expression of the model.
    EvaluationError,
    /// The state space was too large for TLC.
    StateSpaceTooLarge,
    /// The tool crashed or ran out of memory.
    SystemError,
    /// The tool exited with a failure code but printed no problem specdeploy recognises.
    ExitCode,
    /// The output holds no verdict: it was cut short, or is not the tool's output.
    NoVerdict,
    /// specdeploy stopped the tool at the per-model time limit.
    TimeLimit,
}

impl FailureKind {
    /// The record's spelling (`verification-error`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParseError => "parse-error",
            Self::ResolutionError => "resolution-error",
            Self::VerificationError => "verification-error",
            Self::Timeout => "timeout",
            Self::Inconclusive => "inconclusive",
            Self::CommandLine => "command-line",
            Self::Invariant => "invariant",
            Self::ActionProperty => "action-property",
            Self::Deadlock => "deadlock",
            Self::Temporal => "temporal",
            Self::Assertion => "assertion",
            Self::Assumption => "assumption",
            Self::SpecParseError => "spec-parse-error",
            Self::ConfigError => "config-error",
            Self::EvaluationError => "evaluation-error",
            Self::StateSpaceTooLarge => "state-space-too-large",
            Self::SystemError => "system-error",
            Self::ExitCode => "exit-code",
            Self::NoVerdict => "no-verdict",
            Self::TimeLimit => "time-limit",
        }
    }

    /// A few words for messages (`an invariant violation`).
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::ParseError => "a parse error",
            Self::ResolutionError => "a resolution or type error",
            Self::VerificationError => "a verification error",
            Self::Timeout => "a prover time-out",
            Self::Inconclusive => "an inconclusive proof",
            Self::CommandLine => "a command-line error",
            Self::Invariant => "an invariant violation",
            Self::ActionProperty => "an action property violation",
            Self::Deadlock => "a deadlock",
            Self::Temporal => "a temporal property violation",
            Self::Assertion => "a failed Assert",
            Self::Assumption => "a false ASSUME",
            Self::SpecParseError => "a parse or semantic error",
            Self::ConfigError => "a configuration error",
            Self::EvaluationError => "an evaluation error",
            Self::StateSpaceTooLarge => "a state space too large to check",
            Self::SystemError => "a crash of the tool",
            Self::ExitCode => "a failure exit code",
            Self::NoVerdict => "no verdict in its output",
            Self::TimeLimit => "the time limit",
        }
    }
}

/// A place in a file that a verifier named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The file as the tool named it; once [`locate::resolve`] has run, the model's path
    /// relative to the app folder when the place is in the model.
    pub file: String,
    /// One-based line.
    pub line: u32,
    /// One-based column, when the tool gave one (Dafny prints zero-based columns; they are
    /// converted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What the tool said about this place (`this is the postcondition that could not be
    /// proved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One problem a verifier reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The tool's message, as it wrote it.
    pub message: String,
    /// The invariant or property TLC names, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// Where the problem is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Other places the tool names for it (Dafny's related locations, TLC's nested
    /// expressions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
}

impl Problem {
    /// A problem with only a message.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            property: None,
            location: None,
            related: Vec::new(),
        }
    }

    /// Every place the problem names, its own first.
    pub fn places(&self) -> impl Iterator<Item = &Location> {
        self.location.iter().chain(&self.related)
    }
}

/// What Dafny counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DafnyCounts {
    /// Proof obligations verified, from the trailer; `None` when there is no trailer.
    pub verified: Option<u32>,
    /// Errors: the trailer's count, else the parse or resolution count.
    pub errors: u32,
    /// Proofs that timed out.
    pub timeouts: u32,
    /// Proofs that were inconclusive.
    pub inconclusive: u32,
    /// Proofs that ran out of resource or memory, or hit a solver exception.
    pub out_of_resource: u32,
}

/// What TLC counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlcCounts {
    /// States generated.
    pub states_generated: Option<u64>,
    /// Distinct states found.
    pub distinct_states: Option<u64>,
    /// States left on the queue when TLC stopped.
    pub left_on_queue: Option<u64>,
    /// Depth of the state graph search.
    pub depth: Option<u64>,
}

/// The counts of one run, in the tool's own terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Counts {
    /// Dafny's.
    Dafny(DafnyCounts),
    /// TLC's.
    Tlc(TlcCounts),
}

/// The behaviour TLC printed as its counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// Number of states in it.
    pub length: u32,
    /// How it ends, when it ends in a loop: `Stuttering` or `Back to state N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_with: Option<String>,
}

/// What one verifier run concluded about one model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The tool.
    pub tool: Verifier,
    /// Its version, when known.
    pub tool_version: Option<String>,
    /// Its exit code, when known (`None` for a log given without one, or a killed run).
    pub exit_code: Option<i32>,
    /// Verified or not.
    pub verdict: Verdict,
    /// Why not, when not.
    pub failure: Option<FailureKind>,
    /// The tool's counts.
    pub counts: Counts,
    /// TLC's counterexample, when it printed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// The problems it reported, in the order it reported them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

impl Outcome {
    /// Whether the run verified the model.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.verdict == Verdict::Verified
    }

    /// The counts in a few words: `5 verified, 0 errors`, `61 states generated, 19 distinct,
    /// depth 5`.
    #[must_use]
    pub fn counts_text(&self) -> String {
        match &self.counts {
            Counts::Dafny(c) => {
                let mut parts = Vec::new();
                if let Some(verified) = c.verified {
                    parts.push(format!("{verified} verified"));
                }
                parts.push(format!(
                    "{} error{}",
                    c.errors,
                    if c.errors == 1 { "" } else { "s" }
                ));
                for (n, what) in [
                    (c.timeouts, "timed out"),
                    (c.inconclusive, "inconclusive"),
                    (c.out_of_resource, "out of resource"),
                ] {
                    if n > 0 {
                        parts.push(format!("{n} {what}"));
                    }
                }
                parts.join(", ")
            }
            Counts::Tlc(c) => {
                let mut parts = Vec::new();
                if let Some(n) = c.states_generated {
                    parts.push(format!("{n} states generated"));
                }
                if let Some(n) = c.distinct_states {
                    parts.push(format!("{n} distinct"));
                }
                if let Some(n) = c.depth {
                    parts.push(format!("depth {n}"));
                }
                parts.join(", ")
            }
        }
    }
}

/// A formal model in the spec folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelPath {
    /// Which tool checks it.
    pub tool: Verifier,
    /// Its path relative to the app folder (`specs/dafny/structure.dfy`).
    pub path: String,
    /// For a TLA+ model, its TLC configuration (`specs/tla/behavior.cfg`).
    pub config: Option<String>,
}

/// The formal models among an app's files: `specs/dafny/**/*.dfy`, and `specs/tla/**/*.tla`
/// that have a `.cfg` beside them (a module without one is a library module TLC does not
/// check on its own). In path order, Dafny first.
#[must_use]
pub fn models_in(files: &BTreeSet<String>) -> Vec<ModelPath> {
    let has_extension = |path: &str, wanted: &str| {
        Path::new(path)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
    };
    let dafny = files
        .iter()
        .filter(|f| f.starts_with("specs/dafny/") && has_extension(f, "dfy"))
        .map(|f| ModelPath {
            tool: Verifier::Dafny,
            path: f.clone(),
            config: None,
        });
    let tla = files
        .iter()
        .filter(|f| f.starts_with("specs/tla/"))
        .filter_map(|f| {
            let stem = f.strip_suffix(".tla")?;
            let config = format!("{stem}.cfg");
            files.contains(&config).then(|| ModelPath {
                tool: Verifier::Tlc,
                path: f.clone(),
                config: Some(config),
            })
        });
    dafny.chain(tla).collect()
}

/// A model as the loader read it: its path and the SHA-256 of its bytes (and of its
/// configuration's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelFile {
    /// Which tool checks it.
    pub tool: Verifier,
    /// Its path relative to the app folder.
    pub path: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its text in the sources table, when it is UTF-8, so diagnostics can point into it.
    pub text: Option<crate::source::FileId>,
    /// For a TLA+ model, its configuration.
    pub config: Option<ConfigFile>,
}

/// The TLC configuration of a TLA+ model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFile {
    /// Path relative to the app folder.
    pub path: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its text in the sources table, when it is UTF-8.
    pub text: Option<crate::source::FileId>,
}

/// SHA-256 of `bytes` in lower-case hex, as the verification record and the generated-file
/// marker store it.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

/// The lines of `text`, with a trailing `\r` removed from each (logs copied from Windows).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// Parses a count written with optional thousands separators (`1,234,567`).
fn count(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|c| *c != ',').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The number written just before `marker` in `line` (`61` in `61 states generated`).
fn count_before(line: &str, marker: &str) -> Option<u64> {
    let (before, _) = line.split_once(marker)?;
    count(before.split_whitespace().last()?)
}
