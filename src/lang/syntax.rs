//! Syntax errors: pest's parse failures turned into diagnostics in users' words.
//!
//! pest reports the furthest position it reached and the rules it tried there. Those rules
//! are named through [`describe`], never by their grammar names, and what stands at the
//! position is described from the text itself ("found `}`", "found end of line").

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::{Rule, describe};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Where a declaration that failed to parse lies in its file.
pub(super) struct Piece<'a> {
    /// The file.
    pub file: FileId,
    /// The whole text of the file.
    pub text: &'a str,
    /// Byte offset of the declaration in `text`.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

/// How a message names the end of the text.
const END_OF_FILE: &str = "end of file";

/// Longest bare word quoted back in a message.
const MAX_QUOTED: usize = 32;

/// The diagnostic for `error`, which pest reported for `piece`.
pub(super) fn diagnostic(error: &Error<Rule>, piece: &Piece<'_>) -> Diagnostic {
    let relative = match error.location {
        InputLocation::Pos(at) | InputLocation::Span((at, _)) => at,
    };
    let at = (piece.start + relative).min(piece.text.len());
    let (mut expected, unexpected) = match &error.variant {
        ErrorVariant::ParsingError {
            positives,
            negatives,
        } => (positives.clone(), negatives.clone()),
        ErrorVariant::CustomError { .. } => (Vec::new(), Vec::new()),
    };
    prune(&mut expected, at_line_start(piece.text, at));

    let in_string = expected.iter().any(|r| {
        matches!(
            r,
            Rule::escape_code | Rule::unicode_hex | Rule::unicode_close
        )
    });
    let found = Found::at(piece.text, at, in_string);
    let span = Span::new(piece.file, at, at + found.len);

    // `string_escape` is tried only inside a string, and a string only fails at the end of
    // its line or of the file.
    let unclosed_string = expected.contains(&Rule::string_escape);
    let message = if unclosed_string {
        let place = if found.text == END_OF_FILE {
            "file"
        } else {
            "line"
        };
        format!("this string is not closed before the end of the {place}")
    } else if !expected.is_empty() {
        format!("expected {}, found {}", names(&expected), found.text)
    } else if !unexpected.is_empty() {
        format!(
            "{} is not allowed here ({})",
            found.text,
            names(&unexpected)
        )
    } else {
        format!("unexpected {}", found.text)
    };
    let unclosed = expected.contains(&Rule::close_brace)
        && at == piece.end.min(piece.text.len())
        && at < piece.text.len();
    Diagnostic::new(Code::SpecSyntax, message)
        .at(span, format!("unexpected {}", found.text))
        .help(help(&expected, unclosed_string, unclosed))
}

/// Drops expectations that would only add noise: the end of the declaration when something
/// else would do, and a blank line where a line starts anyway. Terminators go last.
fn prune(expected: &mut Vec<Rule>, at_line_start: bool) {
    if expected.len() > 1 {
        expected.retain(|&r| r != Rule::EOI);
    }
    if expected.len() > 1 && at_line_start {
        expected.retain(|&r| r != Rule::line_end);
    }
    expected.sort_by_key(|&r| match r {
        Rule::close_brace => 1,
        Rule::line_end => 2,
        Rule::EOI => 3,
        _ => 0,
    });
}

/// Whether only spaces and tabs stand between the start of the line and `at`.
fn at_line_start(text: &str, at: usize) -> bool {
    text.as_bytes()
        .get(..at)
        .unwrap_or_default()
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n' && b != b'\r')
        .all(|&b| b == b' ' || b == b'\t')
}

/// The human names of `rules`, without repeats, joined as a list ("a, b or c").
fn names(rules: &[Rule]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for &rule in rules {
        let name = describe(rule);
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    match seen.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A help line for the place the parser stopped.
fn help(expected: &[Rule], unclosed_string: bool, unclosed_block: bool) -> String {
    let has = |rule| expected.contains(&rule);
    let text = if unclosed_string {
        "end the string with `\"` on the line it starts; write `\\n` for a line break in a string"
    } else if has(Rule::escape_code) || has(Rule::unicode_hex) || has(Rule::unicode_close) {
        "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}` with 1 to 6 hex digits; \
         write `\\\\` for a backslash"
    } else if unclosed_block {
        "close the block with `}` before the next declaration"
    } else if has(Rule::assertion_field) {
        "an assertion's fields are `type`, `category`, `status`, `source`, `entity`, \
         `property`, `constraint`, `formal spec`, `depends on`, `refines` and `tags`, one a line"
    } else if has(Rule::app_field) {
        "an app's fields are `version`, `archetype`, `entry`, `port` and `schedule`, one a line"
    } else if has(Rule::declaration) {
        "each declaration starts on a line of its own with `app`, `assertion`, `needs`, \
         `config` or `secret`"
    } else if has(Rule::service_kind) || has(Rule::service_need) {
        "write `needs database`, `needs cache`, `needs queue`, `needs object storage` or \
         `needs api NAME`"
    } else if has(Rule::open_brace) {
        "the fields go in a block that opens with `{` at the end of the header line: \
         `assertion A-001 \"text\" {`"
    } else if has(Rule::line_end) {
        "write one field or declaration a line; quote a value that holds spaces or symbols"
    } else {
        "see docs/spec-language.md for the syntax of .spec files"
    };
    text.to_owned()
}

/// What stands in the text where parsing stopped.
struct Found {
    /// How a message names it.
    text: String,
    /// How many bytes a label should cover.
    len: usize,
}

impl Found {
    fn at(text: &str, at: usize, in_string: bool) -> Self {
        let rest = text.get(at..).unwrap_or_default();
        let Some(first) = rest.chars().next() else {
            return Self::new(END_OF_FILE, 0);
        };
        if first == '\n' || first == '\r' {
            return Self::new("end of line", 0);
        }
        if in_string {
            return Self::character(first);
        }
        if first == '"' {
            return Self::new("a quoted string", 1);
        }
        let word_len = rest
            .bytes()
            .take_while(|&b| b.is_ascii_alphanumeric() || b"-_./:@+".contains(&b))
            .count();
        if word_len == 0 {
            return Self::character(first);
        }
        let word = rest.get(..word_len).unwrap_or_default();
        let shown = if word.len() > MAX_QUOTED {
            format!("`{}…`", word.get(..MAX_QUOTED).unwrap_or_default())
        } else {
            format!("`{word}`")
        };
        Self::new(shown, word_len)
    }

    fn character(c: char) -> Self {
        let invisible = c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}');
        let text = if invisible {
            format!("the character U+{:04X}", u32::from(c))
        } else if c == '`' {
            "a backtick".to_owned()
        } else {
            format!("`{c}`")
        };
        Self::new(text, c.len_utf8())
    }

    fn new(text: impl Into<String>, len: usize) -> Self {
        Self {
            text: text.into(),
            len,
        }
    }
}
