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
    let line_start = at_line_start(piece.text, at);
    prune(&mut expected, line_start);

    // `string_escape` is tried only inside a string, and a string that is not closed fails
    // there at the end of its line or of the file.
    let in_string = expected.iter().any(|r| {
        matches!(
            r,
            Rule::string_escape | Rule::escape_code | Rule::unicode_hex | Rule::unicode_close
        )
    });
    let unclosed_string = expected.contains(&Rule::string_escape);
    let found = Found::at(piece.text, at, in_string);
    let span = Span::new(piece.file, at, at + found.len);

    let message = if unclosed_string {
        let place = if found.end_of_file { "file" } else { "line" };
        format!("this string is not closed before the end of the {place}")
    } else if expected.contains(&Rule::escape_code) {
        format!(
            "expected {} after `\\`, found {}",
            names(&expected),
            found.text
        )
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
    let context = Context {
        unclosed_string,
        unclosed_block: expected.contains(&Rule::close_brace)
            && at == piece.end.min(piece.text.len())
            && at < piece.text.len(),
        brace_on_own_line: line_start && piece.text.get(at..).is_some_and(|t| t.starts_with('{')),
    };
    let label = if unclosed_string {
        "the string is still open here".to_owned()
    } else {
        found.label()
    };
    let mut diagnostic = Diagnostic::new(Code::SpecSyntax, message)
        .at(span, label)
        .help(help(&expected, &context));
    if let Some(quote) = opening_quote(piece.text, at).filter(|_| unclosed_string) {
        diagnostic = diagnostic.also(
            Span::new(piece.file, quote, quote + 1),
            "the string opens here",
        );
    }
    diagnostic
}

/// Drops expectations that would only add noise: the end of the declaration and a comment
/// when something else would do, and a blank line where a line starts anyway. Braces and the
/// end of the line go last.
fn prune(expected: &mut Vec<Rule>, at_line_start: bool) {
    if expected.len() > 1 {
        // A comment may end any line, so suggesting one never helps.
        expected.retain(|&r| r != Rule::EOI && r != Rule::line_comment);
    }
    if expected.len() > 1 && at_line_start {
        expected.retain(|&r| r != Rule::line_end);
    }
    expected.sort_by_key(|&r| match r {
        Rule::open_brace | Rule::close_brace => 1,
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

/// The `"` that opens the string still open at `at`, on the same line.
fn opening_quote(text: &str, at: usize) -> Option<usize> {
    let before = text.as_bytes().get(..at)?;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1);
    let mut open = None;
    let mut escaped = false;
    for (i, &byte) in before.iter().enumerate().skip(line_start) {
        match (open, byte) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), b'\\') => escaped = true,
            (Some(_), b'"') => open = None,
            (None, b'"') => open = Some(i),
            (None, b'#') => return None,
            _ => {}
        }
    }
    open
}

/// The human names of `rules`, without repeats, joined as a list ("a, b or c").
fn names(rules: &[Rule]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for name in rules.iter().flat_map(|&rule| describe(rule)) {
        if !seen.contains(name) {
            seen.push(name);
        }
    }
    match seen.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// What the text around the error says about its likely cause.
struct Context {
    unclosed_string: bool,
    unclosed_block: bool,
    brace_on_own_line: bool,
}

/// A help line for the place the parser stopped.
fn help(expected: &[Rule], context: &Context) -> String {
    let has = |rule| expected.contains(&rule);
    let text = if context.unclosed_string {
        "end the string with `\"` on the line it starts; write `\\n` for a line break in a string"
    } else if has(Rule::escape_code) || has(Rule::unicode_hex) || has(Rule::unicode_close) {
        "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}` with 1 to 6 hex digits; \
         write `\\\\` for a backslash"
    } else if context.unclosed_block {
        "close the block with `}` before the next declaration"
    } else if context.brace_on_own_line {
        "the `{` that opens a block goes at the end of the line above it"
    } else if has(Rule::assertion_field) {
        "an assertion's fields are `type`, `category`, `status`, `source`, `entity`, \
         `property`, `constraint`, `formal spec`, `depends on`, `refines` and `tags`, one a line"
    } else if has(Rule::app_field) {
        "an app's fields are `version`, `archetype`, `entry`, `port` and `schedule`, one a line"
    } else if has(Rule::top_decl) || has(Rule::decl_chunk) {
        "each declaration starts on a line of its own with `app`, `assertion`, `needs`, \
         `config` or `secret`"
    } else if has(Rule::service_kind) || has(Rule::service_need) {
        "write `needs database`, `needs cache`, `needs queue`, `needs object storage` or \
         `needs api NAME`"
    } else if has(Rule::kw_storage) {
        "object storage is written `needs object storage`, with `s3` after it if you like"
    } else if has(Rule::api_vars) || has(Rule::url_var) || has(Rule::key_var) {
        "write `with url VARIABLE`, `with key VARIABLE` or `with url VARIABLE and key VARIABLE`"
    } else if has(Rule::variable_name) {
        "a variable name is upper-case letters, digits and `_`, such as `PAYMENT_GATEWAY_URL`"
    } else if has(Rule::assertion_ref) || has(Rule::id_list) {
        "write assertion ids such as `A-004`, with commas between them"
    } else if has(Rule::kw_spec) {
        "a link to a formal model is written `formal spec FILE lines FIRST to LAST`"
    } else if has(Rule::kw_on) {
        "dependencies are written `depends on A-002, A-003`"
    } else if has(Rule::line_number) || has(Rule::kw_to) {
        "a line range is written `lines FIRST to LAST` or `line N`, with whole numbers"
    } else if has(Rule::open_brace) {
        "a block opens with `{` at the end of the line that names it"
    } else if has(Rule::quoted_string) || has(Rule::bare_word) || has(Rule::word_phrase) {
        "write the value on the same line, after the field's name; quote it if it holds spaces \
         or symbols"
    } else if has(Rule::list_comma) {
        "separate the items of a list with commas: `A-002, A-003`"
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
    /// Whether it is the end of a line.
    end_of_line: bool,
    /// Whether it is the end of the file.
    end_of_file: bool,
}

impl Found {
    fn at(text: &str, at: usize, in_string: bool) -> Self {
        let rest = text.get(at..).unwrap_or_default();
        let Some(first) = rest.chars().next() else {
            return Self {
                end_of_file: true,
                ..Self::new("end of file", 0)
            };
        };
        if first == '\n' || first == '\r' {
            return Self {
                end_of_line: true,
                ..Self::new("end of line", 0)
            };
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
            end_of_line: false,
            end_of_file: false,
        }
    }

    /// The label for the place: what is wrong there, in a few words.
    fn label(&self) -> String {
        if self.end_of_file {
            "the file ends here".to_owned()
        } else if self.end_of_line {
            "the line ends here".to_owned()
        } else if self.text.starts_with('`') {
            format!("unexpected {}", self.text)
        } else {
            format!("{} is not expected here", self.text)
        }
    }
}
