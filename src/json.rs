//! Strict JSON with positions, shared by the manifest and `package.json` readers.

use std::fmt;
use std::sync::Mutex;

use std::borrow::Cow;

use jiter::{Jiter, JiterError, JiterErrorType, JsonErrorType, Peek};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Located, Span, Text};

/// How deeply arrays and objects may nest before a file is refused.
pub const MAX_NESTING: usize = 64;

/// From how many bytes on an array read with [`Stream::array_in_halves`] is read on two
/// threads: about 4,000 assertions of a manifest. Below it, starting a thread costs more
/// than it saves.
const PARALLEL_ARRAY_BYTES: usize = 1 << 20;

/// A byte range in the JSON text (after any byte-order mark).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// A JSON value with the range it was read from.
#[derive(Clone, Debug)]
pub enum Value<'a> {
    /// `null`.
    Null(Range),
    /// `true` or `false`.
    Bool(bool, Range),
    /// A number, as written.
    Number(Str<'a>),
    /// A string, unescaped.
    String(Str<'a>),
    /// An array.
    Array(Array<'a>),
    /// An object.
    Object(Object<'a>),
}

/// A string or number: its text (unescaped; borrowed from the file when it holds no escape)
/// and its range, quotes included.
#[derive(Clone, Debug)]
pub struct Str<'a> {
    /// The text.
    pub value: Cow<'a, str>,
    /// Where it is written.
    pub range: Range,
}

/// An array and its elements.
#[derive(Clone, Debug)]
pub struct Array<'a> {
    /// The elements, in order.
    pub elements: Vec<Value<'a>>,
    /// From `[` to `]`.
    pub range: Range,
}

/// An object and its properties, in file order (a key given twice appears twice).
#[derive(Clone, Debug)]
pub struct Object<'a> {
    /// The properties, in order.
    pub properties: Vec<Property<'a>>,
    /// From `{` to `}`.
    pub range: Range,
}

/// One `"key": value` of an object.
#[derive(Clone, Debug)]
pub struct Property<'a> {
    /// The key, with its range.
    pub name: Str<'a>,
    /// The value.
    pub value: Value<'a>,
}

impl Value<'_> {
    /// Where the value is written.
    #[must_use]
    pub fn range(&self) -> Range {
        match self {
            Value::Null(range) | Value::Bool(_, range) => *range,
            Value::Number(s) | Value::String(s) => s.range,
            Value::Array(a) => a.range,
            Value::Object(o) => o.range,
        }
    }
}

/// Why the text could not be read: what is wrong, and the offset in the JSON text where it
/// is.
#[derive(Debug)]
pub struct SyntaxError {
    message: String,
    at: usize,
    /// Where the mistake starts, from where the reader stopped.
    place: Place,
}

/// How to find the start of a syntax mistake from the offset where the reader stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The reader stopped on it.
    Here,
    /// Arrays and objects nest deeper than [`MAX_NESTING`]; the level past the limit opens
    /// here.
    TooDeep,
    /// A comma before a closing bracket; the reader stopped at the bracket.
    TrailingComma,
    /// A `\` escape; the reader stopped inside it or just after it.
    Escape,
    /// A misspelt `true`, `false` or `null`, or a malformed number; the reader stopped
    /// inside it or just after it.
    Word,
    /// A control character inside a string; the reader stopped on it.
    ControlCharacter,
}

impl From<JiterError> for SyntaxError {
    fn from(error: JiterError) -> Self {
        let JiterErrorType::JsonError(kind) = &error.error_type else {
            return Self {
                message: error.error_type.to_string(),
                at: error.index,
                place: Place::Here,
            };
        };
        let (message, place) = match kind {
            JsonErrorType::TrailingComma => {
                ("trailing commas are not allowed", Place::TrailingComma)
            }
            // What JavaScript writes for a string cut in the middle of an emoji.
            JsonErrorType::LoneLeadingSurrogateInHexEscape
            | JsonErrorType::UnexpectedEndOfHexEscape => (
                "a `\\u` escape holds half of a UTF-16 surrogate pair without the other half, which is no character",
                Place::Escape,
            ),
            JsonErrorType::InvalidEscape => ("invalid escape", Place::Escape),
            JsonErrorType::ExpectedSomeIdent => ("expected `true`, `false` or `null`", Place::Word),
            JsonErrorType::InvalidNumber => ("invalid number", Place::Word),
            JsonErrorType::ControlCharacterWhileParsingString => ("", Place::ControlCharacter),
            _ => ("", Place::Here),
        };
        Self {
            message: if message.is_empty() {
                kind.to_string()
            } else {
                message.to_owned()
            },
            at: error.index,
            place,
        }
    }
}

impl SyntaxError {
    /// What is wrong, in a few words.
    fn message(&self, text: &str) -> &str {
        let line_break = matches!(text.as_bytes().get(self.at), Some(b'\n' | b'\r'));
        if self.place == Place::ControlCharacter && line_break {
            "a string is not closed before the end of its line"
        } else {
            &self.message
        }
    }

    /// The offset in `text` where the mistake starts.
    fn start(&self, text: &str) -> usize {
        let at = self.at.min(text.len());
        let before = text.get(..at).unwrap_or_default();
        match self.place {
            Place::Here | Place::TooDeep | Place::ControlCharacter => at,
            Place::TrailingComma => {
                let rest = before.trim_ascii_end();
                if rest.ends_with(',') {
                    rest.len() - 1
                } else {
                    at
                }
            }
            // An escape is at most twelve bytes: two `\u` escapes of four hex digits each.
            Place::Escape => {
                let from = at.saturating_sub(12);
                let to = (at + 1).min(text.len());
                text.as_bytes()[from..to]
                    .iter()
                    .rposition(|&b| b == b'\\')
                    .map_or(at, |i| from + i)
            }
            Place::Word => {
                let word = before
                    .bytes()
                    .rev()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                    .count();
                at - word
            }
        }
    }
}

/// A pull reader over strict JSON text (no comments, no trailing commas): values are read
/// one at a time in file order, so a reader can keep what it needs of a large file and let
/// go of the rest as it goes.
#[derive(Clone)]
pub struct Stream<'a> {
    jiter: Jiter<'a>,
    text: &'a str,
    /// How many arrays and objects are open.
    depth: usize,
}

impl<'a> Stream<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            jiter: Jiter::new(text.as_bytes()),
            text,
            depth: 0,
        }
    }

    /// Opens one more level of nesting, refusing one past [`MAX_NESTING`]: the readers
    /// recurse once per level.
    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SyntaxError {
                message: String::new(),
                at: self.jiter.current_index(),
                place: Place::TooDeep,
            });
        }
        Ok(())
    }

    /// Whether the next value is an array.
    ///
    /// # Errors
    /// When the text holds no value here.
    pub fn at_array(&mut self) -> Result<bool, SyntaxError> {
        Ok(self.jiter.peek()? == Peek::Array)
    }

    /// Reads the next value whole unless it is an object, which is left to be read with
    /// [`Stream::object`].
    ///
    /// # Errors
    /// When the text holds no valid value here.
    pub fn value_unless_object(&mut self) -> Result<Option<Value<'a>>, SyntaxError> {
        let peek = self.jiter.peek()?;
        if peek == Peek::Object {
            return Ok(None);
        }
        self.known(peek).map(Some)
    }

    /// Reads the next value whole.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn value(&mut self) -> Result<Value<'a>, SyntaxError> {
        let peek = self.jiter.peek()?;
        self.known(peek)
    }

    fn known(&mut self, peek: Peek) -> Result<Value<'a>, SyntaxError> {
        let start = self.jiter.current_index();
        let value = match peek {
            Peek::Null => {
                self.jiter.known_null()?;
                Value::Null(self.since(start))
            }
            Peek::True | Peek::False => {
                let value = self.jiter.known_bool(peek)?;
                Value::Bool(value, self.since(start))
            }
            Peek::String => {
                let value = self.jiter.known_str()?;
                let value = borrowed(self.text, value);
                Value::String(Str {
                    value,
                    range: self.since(start),
                })
            }
            Peek::Array => {
                // Sized for the short lists of a manifest (tags, dependencies): growing a list
                // from nothing costs three allocations for its first eight elements.
                let mut elements = Vec::with_capacity(4);
                let range = self.array(|stream| {
                    elements.push(stream.value()?);
                    Ok(())
                })?;
                Value::Array(Array { elements, range })
            }
            Peek::Object => {
                // Sized for an assertion's fields.
                let mut properties = Vec::with_capacity(16);
                let range = self.object(|stream, name| {
                    let value = stream.value()?;
                    properties.push(Property { name, value });
                    Ok(())
                })?;
                Value::Object(Object { properties, range })
            }
            _ => {
                self.jiter.known_skip(peek)?;
                let range = self.since(start);
                Value::Number(Str {
                    value: Cow::Borrowed(self.text.get(range.start..range.end).unwrap_or_default()),
                    range,
                })
            }
        };
        Ok(value)
    }

    /// Reads the array that comes next, calling `each` where each element starts; `each`
    /// must read the element. Returns the array's range.
    ///
    /// # Errors
    /// When the text is not an array here, or is not valid JSON.
    pub fn array(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<(), SyntaxError>,
    ) -> Result<Range, SyntaxError> {
        let start = self.jiter.current_index();
        self.enter()?;
        let mut next = self.jiter.next_array()?;
        while next.is_some() {
            each(self)?;
            next = self.jiter.array_step()?;
        }
        self.depth -= 1;
        Ok(self.since(start))
    }

    /// Reads the array that comes next, like [`Stream::array`], with `read` called where
    /// each element starts, into a part made by `part`. A long array is cut in two where an
    /// element starts, and the halves are read at once on two threads: the parts come back
    /// in file order, and hold what one thread reading the whole array into one part would
    /// have, split at that element. A short array, or one on a single core, is one part.
    ///
    /// # Errors
    /// As [`Stream::array`]: the first mistake in file order.
    pub fn array_in_halves<P: Send>(
        &mut self,
        part: impl Fn() -> P + Sync,
        read: impl Fn(&mut Self, &mut P) -> Result<(), SyntaxError> + Sync,
    ) -> Result<(Range, Vec<P>), SyntaxError> {
        let start = self.jiter.current_index();
        let rest = self.text.len().saturating_sub(start);
        if rest < PARALLEL_ARRAY_BYTES || crate::parallel::workers(2) < 2 {
            return self.array_into_one(&part, &read);
        }
        let first = self.clone();
        let Some(middle) = self.skip_to_middle(start + rest / 2) else {
            // The array ends before the middle of the text, or its first half is not valid
            // JSON: one thread reads it, and reports the mistake where it is.
            *self = first;
            return self.array_into_one(&part, &read);
        };
        // Each half's stream behind a lock only so that `parallel::in_order` can share the
        // runs among threads; no two threads ever take the same one.
        let halves = [
            Half::First(Mutex::new(first)),
            Half::Second(Mutex::new(&mut *self)),
        ];
        let mut read_halves =
            crate::parallel::in_order("specdeploy-json", &halves, |half| match half {
                Half::First(stream) => lock(stream).array_until(middle, part(), &read),
                Half::Second(stream) => lock(stream).rest_of_array(part(), &read),
            })
            .into_iter();
        let (Some(first_half), Some(second_half)) = (read_halves.next(), read_halves.next()) else {
            unreachable!("two runs give two results")
        };
        drop(halves);
        let first_half = first_half?;
        let second_half = second_half?;
        self.depth -= 1;
        Ok((self.since(start), vec![first_half, second_half]))
    }

    fn array_into_one<P>(
        &mut self,
        part: &impl Fn() -> P,
        read: &impl Fn(&mut Self, &mut P) -> Result<(), SyntaxError>,
    ) -> Result<(Range, Vec<P>), SyntaxError> {
        let mut one = part();
        let range = self.array(|stream| read(stream, &mut one))?;
        Ok((range, vec![one]))
    }

    /// Opens the array that comes next and skips its elements, unread, up to the first one
    /// that starts at `target` or after it, and stands there. `None` when the array ends
    /// first or is not valid JSON.
    fn skip_to_middle(&mut self, target: usize) -> Option<usize> {
        self.enter().ok()?;
        let mut next = self.jiter.next_array().ok()?;
        while let Some(peek) = next {
            let at = self.jiter.current_index();
            if at >= target {
                return Some(at);
            }
            self.jiter.known_skip(peek).ok()?;
            next = self.jiter.array_step().ok()?;
        }
        None
    }

    /// Reads the elements of the array just opened, from the first up to the one that
    /// starts at `middle`.
    fn array_until<P>(
        &mut self,
        middle: usize,
        mut part: P,
        read: &impl Fn(&mut Self, &mut P) -> Result<(), SyntaxError>,
    ) -> Result<P, SyntaxError> {
        self.enter()?;
        let mut next = self.jiter.next_array()?;
        while next.is_some() && self.jiter.current_index() != middle {
            read(self, &mut part)?;
            next = self.jiter.array_step()?;
        }
        Ok(part)
    }

    /// Reads the elements from the one the stream stands at to the end of the array.
    fn rest_of_array<P>(
        &mut self,
        mut part: P,
        read: &impl Fn(&mut Self, &mut P) -> Result<(), SyntaxError>,
    ) -> Result<P, SyntaxError> {
        loop {
            read(self, &mut part)?;
            if self.jiter.array_step()?.is_none() {
                return Ok(part);
            }
        }
    }

    /// Reads the object that comes next, calling `each` with each key where its value
    /// starts; `each` must read the value. Returns the object's range.
    ///
    /// # Errors
    /// When the text is not an object here, or is not valid JSON.
    pub fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, Str<'a>) -> Result<(), SyntaxError>,
    ) -> Result<Range, SyntaxError> {
        let start = self.jiter.current_index();
        self.enter()?;
        let mut before = start;
        let mut key = self.jiter.next_object()?.map(|k| borrowed(self.text, k));
        while let Some(name) = key {
            let range = self.key_range(before);
            each(self, Str { value: name, range })?;
            before = self.jiter.current_index();
            key = self.jiter.next_key()?.map(|k| borrowed(self.text, k));
        }
        self.depth -= 1;
        Ok(self.since(start))
    }

    /// Checks that nothing but white space follows the last value.
    ///
    /// # Errors
    /// When something does.
    pub fn finish(mut self) -> Result<(), SyntaxError> {
        Ok(self.jiter.finish()?)
    }

    fn since(&self, start: usize) -> Range {
        Range {
            start,
            end: self.jiter.current_index(),
        }
    }

    /// The range of the key just read: its opening quote is the first one after `before`
    /// (only `{`, `,` and white space come between), and its closing quote the last one
    /// before the reader, which stands just past the `:`.
    fn key_range(&self, before: usize) -> Range {
        let bytes = self.text.as_bytes();
        let now = self.jiter.current_index().min(bytes.len());
        let start = bytes[before.min(now)..now]
            .iter()
            .position(|&b| b == b'"')
            .map_or(before, |i| before + i);
        let end = bytes[start..now]
            .iter()
            .rposition(|&b| b == b'"')
            .map_or(now, |i| start + i + 1);
        Range { start, end }
    }
}

/// The two halves of an array read by [`Stream::array_in_halves`]: the first from a copy of
/// the stream taken at the `[`, the second from the stream itself.
enum Half<'s, 'a> {
    First(Mutex<Stream<'a>>),
    Second(Mutex<&'s mut Stream<'a>>),
}

fn lock<T>(stream: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    stream
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `value`, borrowed from `text` when it is a slice of it (a string without escapes), and
/// copied when the reader unescaped it into its own buffer.
fn borrowed<'a>(text: &'a str, value: &str) -> Cow<'a, str> {
    let offset = value.as_ptr().addr().wrapping_sub(text.as_ptr().addr());
    match text.get(offset..offset.wrapping_add(value.len())) {
        Some(slice) if offset <= text.len() && slice.as_ptr() == value.as_ptr() => {
            Cow::Borrowed(slice)
        }
        _ => Cow::Owned(value.to_owned()),
    }
}

/// Opens `text` as strict JSON for reading with [`Stream`] and `read`, which returns what it
/// makes of the file. A syntax error (also one `read` meets) is reported with `code` at its
/// position, and `None` is returned; so is an empty file. Problems `read` reports go into
/// the [`Reader`] it is given, and reach `diagnostics` only when the whole file is valid
/// JSON. A byte-order mark is skipped; the reader's offset adds its length back to every
/// range.
pub fn read<'a, T>(
    file: FileId,
    text: &'a str,
    code: Code,
    diagnostics: &mut Diagnostics,
    read: impl FnOnce(&mut Stream<'a>, &mut Reader<'_>) -> Result<T, SyntaxError>,
) -> Option<T> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let offset = text.len() - body.len();
    if body.trim_ascii().is_empty() {
        diagnostics.push(
            Diagnostic::new(code, "the file is empty")
                .at(Span::file_start(file), "no JSON value here")
                .help("write a JSON object, or delete the file"),
        );
        return None;
    }
    let mut found = Diagnostics::new();
    let mut reader = Reader {
        file,
        offset,
        diagnostics: &mut found,
    };
    let mut stream = Stream::new(body);
    let result = read(&mut stream, &mut reader).and_then(|value| {
        stream.finish()?;
        Ok(value)
    });
    match result {
        Ok(value) => {
            diagnostics.extend(found);
            Some(value)
        }
        Err(error) if error.place == Place::TooDeep => {
            let at = error.at + offset;
            diagnostics.push(
                Diagnostic::new(
                    Code::InputTooLarge,
                    format!("arrays and objects nest deeper than {MAX_NESTING} levels, the limit"),
                )
                .at(
                    Span::new(file, at, at + 1),
                    format!("level {} starts here", MAX_NESTING + 1),
                )
                .help(
                    "a manifest or package.json needs a few levels at most: flatten the nested values",
                ),
            );
            None
        }
        Err(error) => {
            let start = error.start(body) + offset;
            let end = next_boundary(text, start);
            diagnostics.push(
                Diagnostic::new(code, format!("invalid JSON: {}", error.message(body)))
                    .at(Span::new(file, start, end), "here")
                    .help("fix the JSON syntax at this position; the file must be strict JSON (no comments or trailing commas)"),
            );
            None
        }
    }
}

/// Parses `text` as strict JSON (no comments, no trailing commas) into one [`Value`], as
/// [`read`] does.
pub fn parse<'a>(
    file: FileId,
    text: &'a str,
    code: Code,
    diagnostics: &mut Diagnostics,
) -> Option<(Value<'a>, usize)> {
    read(file, text, code, diagnostics, |stream, reader| {
        Ok((stream.value()?, reader.offset))
    })
}

/// The end of the character that starts at `at` (or `at` itself at the end of the text),
/// so an error's span covers one whole character.
fn next_boundary(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8())
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
    pub fn span(&self, range: Range) -> Span {
        Span::new(
            self.file,
            range.start + self.offset,
            range.end + self.offset,
        )
    }

    /// The span of any value.
    #[must_use]
    pub fn value_span(&self, value: &Value<'_>) -> Span {
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
    pub fn string(&mut self, value: &Value<'_>, what: impl fmt::Display) -> Option<Located<Text>> {
        match value {
            Value::String(s) => Some(Located::new(Text::from(&*s.value), self.span(s.range))),
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
    ) -> Option<Located<Text>> {
        match value {
            Value::Null(_) => None,
            other => self.string(other, what),
        }
    }

    /// Reads an array of strings, skipping (and reporting) elements of other types.
    pub fn strings(&mut self, value: &Value<'_>, what: impl fmt::Display) -> Vec<Located<Text>> {
        match value {
            Value::Array(array) => array
                .elements
                .iter()
                .filter_map(|e| self.string(e, format_args!("each entry of {what}")))
                .collect(),
            Value::Null(_) => Vec::new(),
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
        .find(|p| p.name.value == key)
        .map(|p| &p.value)
}

/// Reports every key that appears twice in `object` (a warning: the last one counts).
pub fn duplicate_keys(reader: &mut Reader<'_>, object: &Object<'_>) {
    let mut seen: Vec<(&str, Range)> = Vec::new();
    for property in &object.properties {
        let name = &*property.name.value;
        let range = property.name.range;
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
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(..) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::Null(_) => "null",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elements of the array that `text` holds, read by one thread with
    /// [`Stream::array`], or the mistake.
    fn one_thread(text: &str) -> Result<Vec<String>, (usize, String)> {
        let mut stream = Stream::new(text);
        let mut seen = Vec::new();
        stream
            .array(|stream| {
                seen.push(describe_element(&stream.value()?));
                Ok(())
            })
            .map_err(|e| (e.start(text), e.message(text).to_owned()))?;
        Ok(seen)
    }

    /// The same with [`Stream::array_in_halves`], and how many parts it made.
    fn in_halves(text: &str) -> Result<(Vec<String>, usize), (usize, String)> {
        let mut stream = Stream::new(text);
        let (range, parts) = stream
            .array_in_halves(Vec::new, |stream, seen: &mut Vec<String>| {
                seen.push(describe_element(&stream.value()?));
                Ok(())
            })
            .map_err(|e| (e.start(text), e.message(text).to_owned()))?;
        assert_eq!(
            range.end,
            text.trim_ascii_end().len(),
            "the stream stands past `]`"
        );
        let count = parts.len();
        Ok((parts.into_iter().flatten().collect(), count))
    }

    fn describe_element(value: &Value<'_>) -> String {
        match value {
            Value::Object(o) => format!("object of {} at {}", o.properties.len(), o.range.start),
            other => format!("{} at {}", describe(other), other.range().start),
        }
    }

    /// An array of `n` objects, each with strings that hold brackets, braces and escaped
    /// quotes, as a skipping reader must not be misled by.
    fn long_array(n: usize) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"id": "A-{i:06}", "text": "a }}, {{ \"tricky\" ] [ text {i}", "tags": ["x", {{"deep": [1, 2, {{}}]}}]}}"#
                )
            })
            .collect();
        format!("[\n  {}\n]\n", items.join(",\n  "))
    }

    /// The offset just inside the first `tags` list at or after `from`.
    fn inside_tags(text: &str, from: usize) -> usize {
        let key = "\"tags\": [";
        text[from..]
            .find(key)
            .map_or(from, |i| from + i + key.len())
    }

    #[test]
    fn a_long_array_read_in_halves_is_what_one_thread_reads() {
        let text = long_array(20_000);
        assert!(text.len() > PARALLEL_ARRAY_BYTES);
        let (halves, parts) = in_halves(&text).expect("valid JSON");
        assert_eq!(Ok(halves), one_thread(&text));
        if crate::parallel::workers(2) == 2 {
            assert_eq!(parts, 2, "read on two threads");
        }
    }

    #[test]
    fn a_short_array_is_one_part() {
        let text = long_array(10);
        let (halves, parts) = in_halves(&text).expect("valid JSON");
        assert_eq!(parts, 1);
        assert_eq!(Ok(halves), one_thread(&text));
    }

    #[test]
    fn an_array_that_ends_before_the_middle_is_one_part() {
        // A short array, then a long string: no element starts past the middle.
        let filler = "x".repeat(2 * PARALLEL_ARRAY_BYTES);
        let text = format!(r#"[{{"a": 1}}, {{"b": 2}}, "{filler}"]"#);
        let (halves, parts) = in_halves(&text).expect("valid JSON");
        assert_eq!(parts, 1);
        assert_eq!(Ok(halves), one_thread(&text));
    }

    #[test]
    fn a_mistake_in_either_half_is_reported_where_one_thread_reports_it() {
        let text = long_array(20_000);
        let quarter = text.len() / 4;
        // A trailing comma, a misspelt `true`, and nesting past the limit, put in an
        // element of the first half and then of the last.
        let too_deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        for bad in [", ]", "tru", too_deep.as_str()] {
            for at in [quarter, 3 * quarter] {
                let start = inside_tags(&text, at);
                let broken = format!("{}{bad}, {}", &text[..start], &text[start..]);
                let expected = one_thread(&broken);
                assert!(expected.is_err(), "{bad} at {at} is a mistake");
                assert_eq!(
                    in_halves(&broken).map(|(seen, _)| seen),
                    expected,
                    "{bad} at {at}"
                );
            }
        }
        // Mistakes in both halves: the first one counts.
        let first = inside_tags(&text, quarter);
        let second = inside_tags(&text, 3 * quarter);
        let broken = format!(
            "{}tru, {}tru, {}",
            &text[..first],
            &text[first..second],
            &text[second..]
        );
        assert_eq!(
            in_halves(&broken).map(|(seen, _)| seen),
            one_thread(&broken)
        );
        assert_eq!(one_thread(&broken).err().map(|e| e.0), Some(first));
    }
}
