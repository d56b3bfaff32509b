//! Cutting a `.spec` file into its top-level declarations.
//!
//! A declaration starts at a line whose first word is `app`, `assertion`, `needs`, `config` or
//! `secret`, unless the line before it (skipping blank and comment lines) ends with a comma,
//! which continues a list. No field inside a block starts with one of those words, so a
//! missing `}` ends its declaration at the next keyword line.
//!
//! The parser reads a file in batches of declarations cut at such lines ([`batches`], which
//! looks only at the lines near each cut), and a batch that fails to parse is cut into single
//! declarations ([`declarations`]) and parsed again, so each broken declaration costs only its
//! own diagnostic and the declarations after it are still read.

use std::ops::Range;

/// The words that start a top-level declaration.
const KEYWORDS: [&[u8]; 5] = [b"app", b"assertion", b"needs", b"config", b"secret"];

/// The UTF-8 byte order mark, which a file may start with.
const BOM: &str = "\u{feff}";

/// Where the text proper starts: after a byte order mark, if there is one.
pub(super) fn body_start(text: &str) -> usize {
    if text.starts_with(BOM) { BOM.len() } else { 0 }
}

/// Runs of whole declarations of about `size` bytes each (more when a declaration is longer),
/// in order, covering the text after its byte order mark.
pub(super) fn batches(text: &str, size: usize) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let mut start = body_start(text);
    while start < text.len() {
        let end = next_declaration(text, start.saturating_add(size.max(1)));
        batches.push(start..end);
        start = end;
    }
    batches
}

/// The start of the first declaration that begins at or after byte `from`, or the end of the
/// text.
fn next_declaration(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    if from >= bytes.len() {
        return bytes.len();
    }
    let mut line_start = if is_line_start(bytes, from) {
        from
    } else {
        line_bounds(bytes, from).1
    };
    let mut continues = previous_significant_byte(bytes, line_start) == Some(b',');
    while line_start < bytes.len() {
        let (content_end, next_line) = line_bounds(bytes, line_start);
        let line = bytes.get(line_start..content_end).unwrap_or_default();
        if !continues && starts_declaration(line) {
            return line_start;
        }
        if let Some(last) = last_significant_byte(line) {
            continues = last == b',';
        }
        line_start = next_line;
    }
    bytes.len()
}

/// Byte ranges of `within` (a batch from [`batches`]) that each hold at most one declaration;
/// junk that follows a declaration stays with it. The ranges are in order, do not overlap,
/// and cover `within`.
pub(super) fn declarations(text: &str, within: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let end = within.end.min(bytes.len());
    let mut pieces = Vec::new();
    let mut piece_start = within.start;
    let mut continues = false;
    let mut line_start = within.start;
    while line_start < end {
        let (content_end, next_line) = line_bounds(bytes, line_start);
        let line = bytes.get(line_start..content_end).unwrap_or_default();

        if !continues && line_start > piece_start && starts_declaration(line) {
            pieces.push(piece_start..line_start);
            piece_start = line_start;
        }
        if let Some(last) = last_significant_byte(line) {
            continues = last == b',';
        }
        line_start = next_line;
    }
    if piece_start < end || pieces.is_empty() {
        pieces.push(piece_start..end);
    }
    pieces
}

/// Whether a line starts at byte `at`.
fn is_line_start(bytes: &[u8], at: usize) -> bool {
    match at.checked_sub(1).and_then(|before| bytes.get(before)) {
        None | Some(b'\n') => true,
        Some(b'\r') => bytes.get(at) != Some(&b'\n'),
        Some(_) => false,
    }
}

/// The last significant byte (see [`last_significant_byte`]) of the lines before the line that
/// starts at `line_start`, skipping blank and comment lines.
fn previous_significant_byte(bytes: &[u8], line_start: usize) -> Option<u8> {
    let mut end = line_start;
    while end > 0 {
        // Step back over the line break that ends the previous line.
        let content_end = if end >= 2 && bytes.get(end - 2..end) == Some(b"\r\n") {
            end - 2
        } else {
            end - 1
        };
        let start = bytes
            .get(..content_end)
            .unwrap_or_default()
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |i| i + 1);
        if let Some(last) = last_significant_byte(bytes.get(start..content_end).unwrap_or_default())
        {
            return Some(last);
        }
        end = start;
    }
    None
}

/// The end of the line's content and the start of the next line, for the line at `start`.
/// A line ends at `\n`, `\r\n` or a lone `\r`, as in the grammar.
fn line_bounds(bytes: &[u8], start: usize) -> (usize, usize) {
    let rest = bytes.get(start..).unwrap_or_default();
    match memchr::memchr2(b'\n', b'\r', rest) {
        None => (bytes.len(), bytes.len()),
        Some(offset) => {
            let end = start + offset;
            let crlf = bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n');
            (end, if crlf { end + 2 } else { end + 1 })
        }
    }
}

/// Whether the line's first word is a declaration keyword.
fn starts_declaration(line: &[u8]) -> bool {
    let indent = line
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let rest = line.get(indent..).unwrap_or_default();
    KEYWORDS.iter().any(|keyword| {
        rest.starts_with(keyword) && !rest.get(keyword.len()).copied().is_some_and(is_word_byte)
    })
}

/// Whether `byte` may appear in a bare word (see `word_char` in the grammar).
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'+')
}

/// The last byte of the line outside a comment that is not a space or tab, if any. A `#`
/// inside a string does not start a comment.
fn last_significant_byte(line: &[u8]) -> Option<u8> {
    let trimmed_last = line
        .iter()
        .rev()
        .find(|&&b| b != b' ' && b != b'\t')
        .copied();
    if !line.contains(&b'#') && trimmed_last != Some(b',') {
        // No comment, and a last byte that cannot continue a list even inside a string.
        return trimmed_last;
    }
    let mut last = None;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in line {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            last = Some(byte);
            continue;
        }
        match byte {
            b'#' => break,
            b' ' | b'\t' => {}
            b'"' => {
                in_string = true;
                last = Some(byte);
            }
            _ => last = Some(byte),
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        let mut all = Vec::new();
        for batch in batches(text, 1) {
            all.extend(
                declarations(text, batch)
                    .into_iter()
                    .map(|range| &text[range]),
            );
        }
        all
    }

    #[test]
    fn each_keyword_line_starts_a_piece() {
        let text = "# head\napp x\n\nneeds cache\n  config A\nsecret B";
        assert_eq!(
            pieces(text),
            [
                "# head\n",
                "app x\n\n",
                "needs cache\n",
                "  config A\n",
                "secret B"
            ]
        );
    }

    #[test]
    fn a_comma_continues_the_declaration() {
        let text = "needs api x, # more\n\n  # comment\n  required\nconfig A";
        assert_eq!(
            pieces(text),
            [
                "needs api x, # more\n\n  # comment\n  required\n",
                "config A"
            ]
        );
    }

    #[test]
    fn keywords_must_be_whole_words() {
        assert_eq!(
            pieces("app x\napplication\nappz"),
            ["app x\napplication\nappz"]
        );
        assert_eq!(pieces("app x\nsecret{"), ["app x\n", "secret{"]);
    }

    #[test]
    fn a_hash_or_comma_in_a_string_is_text() {
        assert_eq!(
            pieces("config A \"x, # y,\"\nconfig B \"a\\\",\" # ,\nsecret C"),
            [
                "config A \"x, # y,\"\n",
                "config B \"a\\\",\" # ,\n",
                "secret C"
            ]
        );
    }

    #[test]
    fn line_endings_and_the_byte_order_mark() {
        let text = "\u{feff}app x\r\nneeds cache\rsecret S\r\n";
        assert_eq!(pieces(text), ["app x\r\n", "needs cache\r", "secret S\r\n"]);
        assert!(batches("", 10).is_empty());
        assert!(batches("\u{feff}", 10).is_empty());
    }

    #[test]
    fn batches_cut_where_the_whole_file_would() {
        let text = "app x\r\n\r\nneeds api y,\r\n # c\r\n required\r\nconfig A\rsecret B,\n\
                    \n  config\n  secret C\n";
        let whole = declarations(text, 0..text.len());
        for size in 1..text.len() + 2 {
            let mut cut = Vec::new();
            for batch in batches(text, size) {
                assert!(
                    whole.iter().any(|piece| piece.start == batch.start),
                    "{size}"
                );
                cut.extend(declarations(text, batch));
            }
            assert_eq!(cut, whole, "batch size {size}");
        }
    }
}
