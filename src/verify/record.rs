//! The verification record, `specs/.specdeploy/verification.json`: per model file, the
//! SHA-256 of the bytes that were verified, the tool and its version, the verdict, the counts,
//! the problems, and when the tool ran.
//!
//! `specdeploy verify` writes it; `build` reads it and trusts a verdict only while the model's
//! hash (and, for TLC, its configuration's) matches the file on disk. The format is documented
//! in `docs/verification.md`; `format` is bumped when a reader of an older format could
//! misread a newer record.

use serde::{Deserialize, Serialize};

use super::Outcome;

/// Where the record lives, relative to the app folder.
pub const PATH: &str = "specs/.specdeploy/verification.json";

/// The record format this version of specdeploy reads and writes.
pub const FORMAT: u32 = 1;

/// The whole record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The record format, [`FORMAT`].
    pub format: u32,
    /// One entry per model, in path order.
    pub models: Vec<Entry>,
}

impl Default for Record {
    fn default() -> Self {
        Self {
            format: FORMAT,
            models: Vec::new(),
        }
    }
}

/// A file whose bytes were verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedFile {
    /// Path relative to the app folder.
    pub file: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

/// Where a verdict came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `specdeploy verify` ran the tool.
    Run,
    /// A log given with `--dafny-log` or `--tlc-log`, by its path as given.
    Log(String),
}

/// The verdict on one model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The model's path relative to the app folder.
    pub file: String,
    /// SHA-256 of the model's bytes when it was verified.
    pub sha256: String,
    /// For a TLA+ model, the configuration TLC read, and its hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<HashedFile>,
    /// When the tool ran, RFC 3339 in UTC (`2026-01-19T11:40:02Z`): the clock when `verify`
    /// ran the tool, or the log file's modification time.
    pub ran_at: String,
    /// Whether `verify` ran the tool or read a log.
    pub source: Source,
    /// What the tool concluded.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Why a record could not be read: the message and the one-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// What is wrong.
    pub message: String,
    /// One-based line, 0 when unknown.
    pub line: usize,
    /// One-based column, 0 when unknown.
    pub column: usize,
}

/// Reads a record.
///
/// # Errors
/// When `text` is not a record of format [`FORMAT`].
pub fn parse(text: &str) -> Result<Record, RecordError> {
    let record: Record = serde_json::from_str(text).map_err(|e| RecordError {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    if record.format != FORMAT {
        return Err(RecordError {
            message: format!(
                "the record has format {}, and this specdeploy reads format {FORMAT}",
                record.format
            ),
            line: 0,
            column: 0,
        });
    }
    Ok(record)
}

/// The record as JSON, entries in path order, with a final newline.
#[must_use]
pub fn render(record: &Record) -> String {
    let mut record = record.clone();
    record.models.sort_by(|a, b| a.file.cmp(&b.file));
    serde_json::to_string_pretty(&record).unwrap_or_default() + "\n"
}

impl Record {
    /// The entry for the model at `path`.
    #[must_use]
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.models.iter().find(|e| e.file == path)
    }

    /// Puts `entry` in, replacing the entry for the same model.
    pub fn put(&mut self, entry: Entry) {
        self.models.retain(|e| e.file != entry.file);
        self.models.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Counts, DafnyCounts, Verdict, Verifier};

    fn entry() -> Entry {
        Entry {
            file: "specs/dafny/a.dfy".to_owned(),
            sha256: "00".repeat(32),
            config: None,
            ran_at: "2026-01-19T11:40:02Z".to_owned(),
            source: Source::Run,
            outcome: Outcome {
                tool: Verifier::Dafny,
                tool_version: Some("4.9.0".to_owned()),
                exit_code: Some(0),
                verdict: Verdict::Verified,
                failure: None,
                counts: Counts::Dafny(DafnyCounts {
                    verified: Some(3),
                    ..DafnyCounts::default()
                }),
                counterexample: None,
                problems: Vec::new(),
            },
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let mut record = Record::default();
        record.put(entry());
        let text = render(&record);
        assert_eq!(parse(&text), Ok(record));
        assert!(text.contains("\"verdict\": \"verified\""), "{text}");
    }

    #[test]
    fn another_format_is_refused() {
        let error = parse("{\"format\": 2, \"models\": []}").expect_err("refused");
        assert!(error.message.contains("format 2"), "{error:?}");
    }
}
