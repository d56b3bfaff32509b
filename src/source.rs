//! The text of every input file, and spans into it.
//!
//! All diagnostics point into a [`Sources`] table by [`FileId`] and byte range, so a span stays
//! valid however the file was read, and line and column are computed only when a diagnostic
//! is shown.

use std::sync::{Arc, OnceLock};

/// Index of a file in a [`Sources`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one input file. Offsets are held in four bytes each (no input is larger
/// than 64 MiB): every value of the model carries a span, and a manifest can hold a hundred
/// thousand assertions of a dozen values each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    start: u32,
    end: u32,
}

impl Span {
    /// A span from `start` to `end` in `file`. Offsets past 4 GiB are held as 4 GiB.
    #[must_use]
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        Self {
            file,
            start: offset(start),
            end: offset(end),
        }
    }

    /// First byte of the range.
    #[must_use]
    pub fn start(&self) -> usize {
        self.start as usize
    }

    /// One past the last byte of the range.
    #[must_use]
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// An empty span at the start of `file`, for problems that concern a file as a whole.
    #[must_use]
    pub fn file_start(file: FileId) -> Self {
        Self::new(file, 0, 0)
    }

    /// Length of the range in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// Whether the range is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Text read from a spec file: held inline up to 24 bytes (ids, types, tags, names), so most
/// of a large manifest's values need no allocation of their own.
pub type Text = compact_str::CompactString;

/// A value together with the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where the value was written.
    pub span: Span,
}

impl<T> Located<T> {
    /// Wraps `value` read at `span`.
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }

    /// Applies `f` to the value and keeps the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Located<U> {
        Located::new(f(self.value), self.span)
    }
}

/// One input file: the path a user knows it by, and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the app folder, with `/` separators (`specs/assertions.json`).
    pub path: String,
    /// The file's text.
    pub text: Arc<String>,
    /// Where each line starts. Four bytes an entry: no input is larger than 64 MiB, and a
    /// 25 MB manifest has a million lines.
    line_starts: Vec<u32>,
    /// Points along the long lines, made the first time a column is asked for.
    column_marks: OnceLock<Vec<ColumnMark>>,
}

/// A point on a long line: its byte offset in the file and its zero-based column. A column is
/// counted from the last mark before it, so finding one costs at most [`COLUMN_STEP`] bytes of
/// counting however long the line is: a minified manifest is one line of megabytes, and each
/// of its diagnostics asks for two columns.
#[derive(Clone, Copy, Debug)]
struct ColumnMark {
    offset: u32,
    column: u32,
}

/// Bytes between two marks on a long line.
const COLUMN_STEP: usize = 4096;

impl SourceFile {
    /// A file named `path` holding `text`.
    #[must_use]
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        // Held without a copy: a manifest can be tens of megabytes.
        Self::shared(path, Arc::new(text.into()))
    }

    /// A file named `path` holding `text`, shared with another table.
    #[must_use]
    pub fn shared(path: impl Into<String>, text: Arc<String>) -> Self {
        // A line ends at `\n`, `\r\n` or a lone `\r`.
        let bytes = text.as_bytes();
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr2_iter(b'\n', b'\r', bytes).filter_map(|i| {
                let ends = bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n');
                ends.then(|| u32::try_from(i + 1).unwrap_or(u32::MAX))
            }))
            .collect();
        Self {
            path: path.into(),
            text,
            line_starts,
            column_marks: OnceLock::new(),
        }
    }

    /// A mark every [`COLUMN_STEP`] bytes (at the next character boundary) of each line longer
    /// than that, in file order.
    fn column_marks(&self) -> &[ColumnMark] {
        self.column_marks.get_or_init(|| {
            let text = self.text.as_str();
            let ends = self.line_starts.iter().skip(1).map(|&s| s as usize);
            let mut marks = Vec::new();
            for (start, end) in self
                .line_starts
                .iter()
                .map(|&s| s as usize)
                .zip(ends.chain([text.len()]))
            {
                let (mut at, mut column) = (start, 0);
                while end.saturating_sub(at) > COLUMN_STEP {
                    let mut next = at + COLUMN_STEP;
                    while !text.is_char_boundary(next) {
                        next += 1;
                    }
                    column += text.get(at..next).map_or(0, |t| t.chars().count());
                    marks.push(ColumnMark {
                        offset: u32::try_from(next).unwrap_or(u32::MAX),
                        column: u32::try_from(column).unwrap_or(u32::MAX),
                    });
                    at = next;
                }
            }
            marks
        })
    }

    /// One-based line and column (in characters) of byte `offset`.
    #[must_use]
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let mut from = (self.line_starts.get(line).map_or(0, |&s| s as usize), 0);
        if offset - from.0 > COLUMN_STEP {
            let marks = self.column_marks();
            let before = marks.partition_point(|m| m.offset as usize <= offset);
            if let Some(mark) = before.checked_sub(1).map(|i| marks[i]) {
                if mark.offset as usize >= from.0 {
                    from = (mark.offset as usize, mark.column as usize);
                }
            }
        }
        let (start, column) = from;
        let column = column
            + self
                .text
                .get(start..offset)
                .map_or(offset - start, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }

    /// Zero-based number of the line that holds byte `offset`.
    fn line_index(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s as usize <= offset)
            .saturating_sub(1)
    }

    /// The text of one-based line `line`, without its line break (empty past the end).
    #[must_use]
    pub fn line_text(&self, line: usize) -> &str {
        let start = line
            .checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .map(|&s| s as usize);
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&s| s as usize);
        start
            .and_then(|s| self.text.get(s..end))
            .map_or("", |t| t.trim_end_matches(['\n', '\r']))
    }

    /// Byte offset where one-based line `line` starts (the end of the text past the last line).
    #[must_use]
    pub fn line_start(&self, line: usize) -> usize {
        line.checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .map_or(self.text.len(), |&s| s as usize)
    }

    /// One-based line number of byte `offset`.
    #[must_use]
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_index(offset.min(self.text.len())) + 1
    }
}

/// The table of every file read for one compilation.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.add_shared(path, Arc::new(text.into()))
    }

    /// Adds a file whose text another table holds too, and returns its id.
    pub fn add_shared(&mut self, path: impl Into<String>, text: Arc<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::shared(path, text));
        id
    }

    /// The file with id `id`.
    ///
    /// # Panics
    /// When `id` was not handed out by this table, which is a bug in the caller.
    #[must_use]
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The text a span covers, or the empty string when the span lies outside its file.
    #[must_use]
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file)
            .text
            .get(span.start()..span.end())
            .unwrap_or("")
    }

    /// Every file, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let file = SourceFile::new("a", "ab\nçd\n");
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(3), (2, 1));
        assert_eq!(file.line_column(5), (2, 2));
        assert_eq!(file.line_column(100), (3, 1));
    }

    #[test]
    fn lone_carriage_returns_end_lines_too() {
        let file = SourceFile::new("a", "a\rb\r\nc\nd");
        assert_eq!(file.line_column(2), (2, 1));
        assert_eq!(file.line_column(5), (3, 1));
        assert_eq!(file.line_column(7), (4, 1));
        assert_eq!(file.line_text(2), "b");
    }

    /// Counts the column of `offset` in `text` from the start of its line, character by
    /// character, the slow way the marks stand in for.
    fn counted(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count();
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line + 1, text[start..offset].chars().count() + 1)
    }

    #[test]
    fn columns_on_long_lines_are_counted_from_marks() {
        // Lines far longer than a step, with characters of two, three and four bytes that the
        // steps cut through, and a short line between them.
        let long = "ab ç € 😀 ".repeat(3 * COLUMN_STEP / 7);
        let text = format!("{long}\nshort\n{long}x");
        let file = SourceFile::new("a", text.as_str());
        let offsets = text.char_indices().map(|(i, _)| i).chain([text.len()]);
        for offset in offsets.filter(|i| i % 7 == 0 || text.len() - i < 10) {
            assert_eq!(
                file.line_column(offset),
                counted(&text, offset),
                "at {offset}"
            );
        }
        assert!(file.column_marks().len() >= 4, "the long lines have marks");
    }
}
