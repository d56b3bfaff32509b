//! Strict JSON with positions, shared by the manifest and `package.json` readers.

use std::fmt;

use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Located, Span};

/// How deeply arrays and objects may nest before a file is refused.
pub const MAX_NESTING: usize = 64;

/// Parses `text` as strict JSON (no comments, no trailing commas). A syntax error is reported
/// with `code` at its position and `None` is returned. A byte-order mark is skipped; the
/// second value returned is its length, which [`Reader::offset`] adds back to every range.
pub fn parse<'a>(
    file: FileId,
    text: &'a str,
    code: Code,
    diagnostics: &mut Diagnostics,
) -> Option<(Value<'a>, usize)> {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let offset = text.len() - body.len();
    if let Some(at) = too_deep(body) {
        diagnostics.push(
            Diagnostic::new(
                Code::InputTooLarge,
                format!("arrays and objects nest deeper than {MAX_NESTING} levels, the limit"),
            )
            .at(
                Span::new(file, at + offset, at + offset + 1),
                format!("level {} starts here", MAX_NESTING + 1),
            )
            .help(
                "a manifest or package.json needs a few levels at most: flatten the nested values",
            ),
        );
        return None;
    }
    match jsonc_parser::parse_to_ast(body, &CollectOptions::default(), &options) {
        Ok(result) => {
            if result.value.is_none() {
                diagnostics.push(
                    Diagnostic::new(code, "the file is empty")
                        .at(Span::file_start(file), "no JSON value here")
                        .help("write a JSON object, or delete the file"),
                );
            }
            result.value.map(|v| (v, offset))
        }
        Err(error) => {
            let range = error.range();
            let start = range.start + offset;
            let end = (range.end + offset).max(start);
            diagnostics.push(
                Diagnostic::new(code, format!("invalid JSON: {}", lower_first(&error.kind().to_string())))
                    .at(Span::new(file, start, end), "here")
                    .help("fix the JSON syntax at this position; the file must be strict JSON (no comments or trailing commas)"),
            );
            None
        }
    }
}

/// The offset of the first `[` or `{` that opens a level past [`MAX_NESTING`], if any. A
/// linear scan that skips strings, run before the recursive parser sees the text.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (at, byte) in text.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(at);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_lowercase().collect::<String>() + chars.as_str()
    })
}

/// A reader over one parsed JSON file that reports shape problems with spans.
pub struct Reader<'d> {
    /// The file being read.
    pub file: FileId,
    /// Bytes to add to every range (a byte-order mark at the start of the file).
    pub offset: usize,
    /// Where problems go.
    pub diagnostics: &'d mut Diagnostics,
}

impl Reader<'_> {
    /// The span of a node's range.
    #[must_use]
    pub fn span(&self, range: jsonc_parser::common::Range) -> Span {
        Span::new(
            self.file,
            range.start + self.offset,
            range.end + self.offset,
        )
    }

    /// The span of any value.
    #[must_use]
    pub fn value_span(&self, value: &Value<'_>) -> Span {
        use jsonc_parser::common::Ranged;
        self.span(value.range())
    }

    /// Reports that `value` should have been `expected`.
    pub fn wrong_type(&mut self, value: &Value<'_>, what: impl fmt::Display, expected: &str) {
        let span = self.value_span(value);
        self.diagnostics.push(
            Diagnostic::new(
                Code::WrongFieldType,
                format!("{what} must be {expected}, found {}", describe(value)),
            )
            .at(span, format!("expected {expected}"))
            .help(format!("write {what} as {expected}")),
        );
    }

    /// Reads a string, reporting any other type.
    pub fn string(
        &mut self,
        value: &Value<'_>,
        what: impl fmt::Display,
    ) -> Option<Located<String>> {
        match value {
            Value::StringLit(s) => Some(Located::new(s.value.to_string(), self.span(s.range))),
            other => {
                self.wrong_type(other, what, "a string");
                None
            }
        }
    }

    /// Reads a string or `null`; `null` gives `None` without a problem.
    pub fn optional_string(
        &mut self,
        value: &Value<'_>,
        what: impl fmt::Display,
    ) -> Option<Located<String>> {
        match value {
            Value::NullKeyword(_) => None,
            other => self.string(other, what),
        }
    }

    /// Reads an array of strings, skipping (and reporting) elements of other types.
    pub fn strings(&mut self, value: &Value<'_>, what: impl fmt::Display) -> Vec<Located<String>> {
        match value {
            Value::Array(array) => array
                .elements
                .iter()
                .filter_map(|e| self.string(e, format_args!("each entry of {what}")))
                .collect(),
            Value::NullKeyword(_) => Vec::new(),
            other => {
                self.wrong_type(other, what, "an array of strings");
                Vec::new()
            }
        }
    }
}

/// The value of property `key` in `object`. When a key appears twice the last one counts,
/// as in JavaScript's `JSON.parse`, which the toolchain reads the manifest with.
#[must_use]
pub fn get<'o, 'a>(object: &'o Object<'a>, key: &str) -> Option<&'o Value<'a>> {
    object
        .properties
        .iter()
        .rev()
        .find(|p| p.name.as_str() == key)
        .map(|p| &p.value)
}

/// Reports every key that appears twice in `object` (a warning: the last one counts).
pub fn duplicate_keys(reader: &mut Reader<'_>, object: &Object<'_>) {
    let mut seen: Vec<(&str, jsonc_parser::common::Range)> = Vec::new();
    for property in &object.properties {
        let name = property.name.as_str();
        let range = match &property.name {
            jsonc_parser::ast::ObjectPropName::String(s) => s.range,
            jsonc_parser::ast::ObjectPropName::Word(w) => w.range,
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            let first = reader.span(*first);
            let again = reader.span(range);
            reader.diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("`{name}` is given twice; the last one counts"),
                )
                .at(again, "this one counts")
                .also(first, "this one is ignored")
                .help("keep one of them"),
            );
        } else {
            seen.push((name, range));
        }
    }
}

/// A few words that say what kind of JSON value `value` is.
#[must_use]
pub fn describe(value: &Value<'_>) -> &'static str {
    match value {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}
