//! The value of a quoted string: its escapes resolved.

use std::borrow::Cow;
use std::ops::Range;

/// The text of a quoted string token (with its quotes) with escapes resolved, and the byte
/// ranges (relative to the token) of `\u{...}` escapes that name no Unicode character; each of
/// those stands as U+FFFD in the value.
///
/// The grammar only lets through well-formed escapes, but this function accepts any text: an
/// unknown escape is kept as written. A string without escapes is its own text, not a copy.
pub(super) fn unescape(token: &str) -> (Cow<'_, str>, Vec<Range<usize>>) {
    let body = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token);
    let base = usize::from(body.len() < token.len());
    if !body.contains('\\') {
        return (Cow::Borrowed(body), Vec::new());
    }

    let mut value = String::with_capacity(body.len());
    let mut bad = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => value.push('"'),
            Some((_, '\\')) | None => value.push('\\'),
            Some((_, 'n')) => value.push('\n'),
            Some((_, 't')) => value.push('\t'),
            Some((_, 'u')) if chars.peek().is_some_and(|&(_, c)| c == '{') => {
                chars.next();
                let mut hex = String::new();
                let mut end = at;
                for (i, c) in chars.by_ref() {
                    end = i + c.len_utf8();
                    if c == '}' {
                        break;
                    }
                    hex.push(c);
                }
                if let Some(decoded) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    value.push(decoded);
                } else {
                    value.push(char::REPLACEMENT_CHARACTER);
                    bad.push(base + at..base + end);
                }
            }
            Some((_, other)) => {
                value.push('\\');
                value.push(other);
            }
        }
    }
    (Cow::Owned(value), bad)
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn escapes_resolve() {
        let (value, bad) = unescape(r#""a\"b\\c\nd\te\u{e9}\u{1F600}""#);
        assert_eq!(value, "a\"b\\c\nd\te\u{e9}\u{1F600}");
        assert!(bad.is_empty());
    }

    #[test]
    fn surrogates_and_out_of_range_escapes_are_reported() {
        let token = r#""x\u{D800}y\u{110000}""#;
        let (value, bad) = unescape(token);
        assert_eq!(value, "x\u{FFFD}y\u{FFFD}");
        let written: Vec<&str> = bad.iter().map(|r| &token[r.clone()]).collect();
        assert_eq!(written, [r"\u{D800}", r"\u{110000}"]);
    }

    #[test]
    fn anything_is_accepted() {
        assert_eq!(unescape(r#""\q\""#).0, "\\q\\");
        assert_eq!(unescape("").0, "");
        assert_eq!(unescape("\"").0, "\"");
        assert_eq!(unescape(r#""\u{12""#).0, "\u{12}");
    }
}
