//! Escaping for each output syntax. Every value from the specs reaches an artifact through
//! one of these, so spec text arrives as data and never changes the artifact's structure.

use std::fmt::Write as _;

/// Why a value cannot be written into an artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsafe {
    /// What the value is.
    pub what: String,
    /// What the format cannot carry.
    pub reason: &'static str,
}

/// Whether YAML may hold `c` unescaped inside a double-quoted scalar. NEL, LS and PS are
/// printable to YAML 1.2 but line breaks to YAML 1.1 readers (Compose's among them), which
/// fold them and the spaces before them: they are escaped.
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{2027}' | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
}

/// A YAML double-quoted scalar holding `value` exactly.
#[must_use]
pub fn yaml(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_yaml(&mut out, value);
    out
}

/// Appends to `out` the YAML double-quoted scalar holding `value` exactly.
pub fn push_yaml(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    // Most values are printable ASCII without quotes or backslashes, and go in as they are.
    if value
        .bytes()
        .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\')
    {
        out.push_str(value);
    } else {
        for c in value.chars() {
            push_yaml_char(out, c);
        }
    }
    out.push('"');
}

/// Appends `c` to `out` as a double-quoted YAML scalar holds it.
fn push_yaml_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if yaml_printable(c) => out.push(c),
        c => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
    }
}

/// Text that Compose does not interpolate: every `$` doubled.
#[must_use]
pub fn compose_literal(value: &str) -> String {
    value.replace('$', "$$")
}

/// Text that Kubernetes does not expand where it expands `$(NAME)` (an env `value`, a
/// container's `command` and `args`, an exec probe): `$` doubled before `(` and before `$`,
/// the two places Kubernetes reads it as syntax. A lone `$` elsewhere stays as written, so a
/// shell's `"$PASSWORD"` reads the same in the manifest as in Compose's source.
#[must_use]
pub fn kubernetes_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('(' | '$')) {
            out.push('$');
        }
    }
    out
}

/// The longest value a Dockerfile string carries: each goes on a line of its own, and
/// `BuildKit` refuses a line over 65,535 bytes, escaping and the key included.
pub const MAX_DOCKERFILE_STRING: usize = 8192;

// Escaping at most doubles each byte: with the key, the longest line stays under 64 KiB.
const _: () = assert!(2 * MAX_DOCKERFILE_STRING + 256 < 65_535);

/// A Dockerfile double-quoted string (for `LABEL` and `ENV`): quotes, backslashes and `$`
/// escaped. Line breaks and other control characters cannot be carried.
///
/// # Errors
/// When `value` holds a control character.
pub fn dockerfile_string(what: &str, value: &str) -> Result<String, Unsafe> {
    if value.chars().any(char::is_control) {
        return Err(Unsafe {
            what: what.to_owned(),
            reason: "a Dockerfile string cannot hold line breaks or other control characters",
        });
    }
    if value.len() > MAX_DOCKERFILE_STRING {
        return Err(Unsafe {
            what: what.to_owned(),
            reason: "a Dockerfile string here holds at most 8192 bytes: BuildKit refuses a line over 64 KiB",
        });
    }
    if value.ends_with('\\') || value.contains("\\\"") {
        return Err(Unsafe {
            what: what.to_owned(),
            reason: "a Dockerfile string cannot end in a backslash or hold one before a quote: linters such as hadolint misread it",
        });
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// A JSON array of strings, the exec form of `CMD`, `ENTRYPOINT` and `HEALTHCHECK`. Docker
/// does no variable substitution in exec form, so JSON escaping is all it needs.
#[must_use]
pub fn json_array(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// A JSON string literal, which is also a TypeScript string literal holding `value` exactly.
#[must_use]
pub fn json_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A dotenv value that Compose and Bun (which loads `.env` when it runs the app) both read
/// back exactly: bare when it is plain; single-quoted when it holds no `$` and no `'` (Bun
/// expands `$` even inside single quotes); double-quoted with `$` escaped as `\$` when it
/// holds `$` or `'` but no `"` or backslash (inside double quotes Compose takes a backslash as
/// an escape and Bun does not).
///
/// # Errors
/// When `value` holds a line break or another control character, ends in a backslash, or
/// holds `$` or `'` together with `"` or a backslash: no quoting reads the same in both.
pub fn dotenv(what: &str, value: &str) -> Result<String, Unsafe> {
    let refuse = |reason| {
        Err(Unsafe {
            what: what.to_owned(),
            reason,
        })
    };
    if value.chars().any(char::is_control) {
        return refuse("a .env value cannot hold a line break or other control characters");
    }
    let plain = value.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '@' | ',' | '+')
    });
    if value.is_empty() || plain {
        return Ok(value.to_owned());
    }
    if value.ends_with('\\') {
        return refuse(
            "a .env value cannot end in a backslash: Compose and Bun read it differently",
        );
    }
    if !value.contains(['$', '\'']) {
        return Ok(format!("'{value}'"));
    }
    if value.contains(['"', '\\']) {
        return refuse(
            "a .env value cannot hold `$` or `'` together with `\"` or a backslash: Compose and Bun read every quoting of it differently",
        );
    }
    Ok(format!("\"{}\"", value.replace('$', "\\$")))
}

/// Text for a `#` comment on one line: control characters become spaces.
#[must_use]
pub fn comment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_comment(&mut out, value);
    out
}

/// Appends `value` to `out` as text for a `#` comment on one line: control characters
/// become spaces.
pub fn push_comment(out: &mut String, value: &str) {
    out.extend(value.chars().map(|c| if c.is_control() { ' ' } else { c }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_writes_plain_ascii_as_each_character_is_written() {
        for c in (0..0x80).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let mut expected = "\"a".to_owned();
            push_yaml_char(&mut expected, c);
            expected.push_str("b\"");
            assert_eq!(yaml(&text), expected, "{c:?}");
        }
        assert_eq!(yaml("plain: # $(x) 'q'"), "\"plain: # $(x) 'q'\"");
    }

    #[test]
    fn yaml_escapes_quotes_breaks_and_controls() {
        assert_eq!(yaml("a\"b\\c\nd\u{7f}"), "\"a\\\"b\\\\c\\nd\\u007f\"");
        assert_eq!(yaml("ünï"), "\"ünï\"");
        assert_eq!(yaml("a \u{2028}b\u{85}"), "\"a \\u2028b\\u0085\"");
    }

    #[test]
    fn kubernetes_literals_escape_only_what_kubernetes_expands() {
        assert_eq!(kubernetes_literal("$(HOME)"), "$$(HOME)");
        assert_eq!(kubernetes_literal("$$(HOME)"), "$$$$(HOME)");
        assert_eq!(
            kubernetes_literal("\"$PASSWORD\" ${PORT:-1}"),
            "\"$PASSWORD\" ${PORT:-1}"
        );
        assert_eq!(kubernetes_literal("costs 5$"), "costs 5$");
    }

    /// Kubernetes' expansion of `$(NAME)` (its `third_party/forked/golang/expansion`), with
    /// every name defined, so that anything not escaped would change.
    fn kubernetes_expand(input: &str) -> String {
        let bytes = input.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' && i + 1 < bytes.len() {
                match bytes[i + 1] {
                    b'$' => {
                        out.push(b'$');
                        i += 2;
                    }
                    b'(' => {
                        if let Some(end) = bytes[i + 2..].iter().position(|&b| b == b')') {
                            out.extend_from_slice(b"EXPANDED");
                            i += end + 3;
                        } else {
                            out.extend_from_slice(b"$(");
                            i += 2;
                        }
                    }
                    other => {
                        out.extend_from_slice(&[b'$', other]);
                        i += 2;
                    }
                }
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("ASCII in, ASCII out")
    }

    #[test]
    fn kubernetes_expansion_gives_back_the_literal() {
        for text in [
            "",
            "$",
            "$$",
            "$$$",
            "$(A)",
            "$$(A)",
            "a$(b",
            "$($(A))",
            "x$y$(z)$$w$",
            "pg_isready -U \"$POSTGRES_USER\"",
        ] {
            assert_eq!(kubernetes_expand(&kubernetes_literal(text)), text, "{text}");
        }
    }

    #[test]
    fn dockerfile_strings_stay_within_a_line_buildkit_reads() {
        assert!(dockerfile_string("x", &"a".repeat(MAX_DOCKERFILE_STRING)).is_ok());
        assert!(dockerfile_string("x", &"a".repeat(MAX_DOCKERFILE_STRING + 1)).is_err());
    }

    #[test]
    fn dockerfile_strings_escape_substitution() {
        assert_eq!(
            dockerfile_string("x", "a $HOME \"q\"").as_deref(),
            Ok("\"a \\$HOME \\\"q\\\"\"")
        );
        assert!(dockerfile_string("x", "a\nb").is_err());
    }

    #[test]
    fn dotenv_quotes_what_is_not_plain() {
        assert_eq!(dotenv("x", "info").as_deref(), Ok("info"));
        assert_eq!(dotenv("x", "a b c").as_deref(), Ok("'a b c'"));
        assert_eq!(dotenv("x", "a b $c").as_deref(), Ok(r#""a b \$c""#));
        assert_eq!(dotenv("x", "it's $5").as_deref(), Ok(r#""it's \$5""#));
        assert_eq!(
            dotenv("x", r#"say "hi" \ bye"#).as_deref(),
            Ok(r#"'say "hi" \ bye'"#)
        );
        assert!(dotenv("x", "it's \"$5\"").is_err());
        assert!(dotenv("x", "ends in \\").is_err());
    }
}
