//! A hand-written reader for the declaration that makes up almost all of a large `.spec`
//! file: an `assertion` with its id, its text and a block of fields, as `split` cuts it out.
//!
//! It gives exactly the tree pest gives for the same text parsed as a `decl_chunk`, or
//! nothing. Anything it does not follow to the end (a syntax error, a missing id, a field it
//! does not know) it leaves to pest, which reports the error. pest spends some 150
//! instructions on each rule it enters and reads values a character at a time; this reader
//! goes over each byte about once.
//!
//! Each function below reads one rule of `grammar/spec.pest`, or what follows a field's keyword
//! (`formal_value`, `depends_value`), and quotes it. A change to those rules must be made here
//! too: the unit tests compare both readers on every kind of field and on thousands of edits of
//! them, the `.spec` fixtures are read both ways, and so is every input of the `spec_file`
//! fuzz target.

use super::grammar::Rule;
use super::tree::Tree;

/// Reads `text`, one declaration cut out by `split`, into `tree`; `None` when it is not an
/// assertion this reader follows, and then `tree` holds nothing useful.
pub(super) fn assertion_chunk(text: &str, tree: &mut Tree) -> Option<()> {
    tree.clear();
    let mut reader = Reader {
        bytes: text.as_bytes(),
        tree,
    };
    reader.decl_chunk()
}

/// Whether `byte` is a word character: `'a'..'z' | '-'..':' | '@'..'Z' | "_" | "+"`.
fn is_word(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'-'..=b':' | b'@'..=b'Z' | b'_' | b'+')
}

/// Whether `byte` may be skipped by `string_text`.
fn is_string_text(byte: u8) -> bool {
    !matches!(byte, b'"' | b'\\' | b'\n' | b'\r')
}

/// The text being read, and the tree it is read into.
struct Reader<'a> {
    bytes: &'a [u8],
    tree: &'a mut Tree,
}

impl Reader<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// The end of the run of bytes from `at` that `keep` holds for.
    fn run(&self, at: usize, keep: impl Fn(u8) -> bool) -> usize {
        let rest = self.bytes.get(at..).unwrap_or_default();
        at + rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len())
    }

    /// `ws = _{ (" " | "\t")* }`
    fn ws(&self, at: usize) -> usize {
        self.run(at, |b| b == b' ' || b == b'\t')
    }

    /// The end of the word at `at` (`at` itself when none starts there).
    fn word(&self, at: usize) -> usize {
        self.run(at, is_word)
    }

    /// Whether the word at `at` is `keyword`: the keyword, then `word_end`.
    fn keyword(&self, at: usize, keyword: &str) -> bool {
        self.bytes.get(at..self.word(at)) == Some(keyword.as_bytes())
    }

    /// The end of a comment from `at` (a `#`) to the end of its line.
    fn comment(&self, at: usize) -> usize {
        self.run(at, |b| b != b'\n' && b != b'\r')
    }

    /// `line_end = @{ ("#" ~ (!("\n" | "\r") ~ ANY)*)? ~ NEWLINE
    ///   ~ (" " | "\t" | "\n" | "\r" | ("#" ~ (!("\n" | "\r") ~ ANY)*))* }`, as a leaf.
    fn line_end(&mut self, at: usize) -> Option<usize> {
        let mut end = at;
        if self.byte(end) == Some(b'#') {
            end = self.comment(end);
        }
        match self.byte(end) {
            Some(b'\r') if self.byte(end + 1) == Some(b'\n') => end += 2,
            Some(b'\n' | b'\r') => end += 1,
            _ => return None,
        }
        loop {
            match self.byte(end) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => end += 1,
                Some(b'#') => end = self.comment(end),
                _ => break,
            }
        }
        self.tree.leaf(Rule::line_end, at, end);
        Some(end)
    }

    /// A leaf of `rule` over the word at `at`, which must not be empty.
    fn word_leaf(&mut self, rule: Rule, at: usize) -> Option<usize> {
        let end = self.word(at);
        if end == at {
            return None;
        }
        self.tree.leaf(rule, at, end);
        Some(end)
    }

    /// A leaf of `rule` over `keyword`, which must be the word at `at`.
    fn keyword_leaf(&mut self, rule: Rule, at: usize, keyword: &str) -> Option<usize> {
        self.keyword(at, keyword).then_some(())?;
        self.tree.leaf(rule, at, at + keyword.len());
        Some(at + keyword.len())
    }

    /// `decl_chunk = { SOI ~ ws ~ line_end? ~ (top_decl ~ (ws ~ line_end ~ top_decl)*)? ~ ws
    ///   ~ line_end? ~ ws ~ line_comment? ~ EOI }`, for one assertion.
    fn decl_chunk(&mut self) -> Option<()> {
        let chunk = self.tree.open(Rule::decl_chunk, 0);
        let mut at = self.ws(0);
        at = self.line_end(at).unwrap_or(at);
        // `top_decl = { app_decl | assertion_decl | need_decl | variable_decl }`
        let top = self.tree.open(Rule::top_decl, at);
        at = self.assertion_decl(at)?;
        self.tree.close(top, at);
        // `split` leaves one declaration in the text, so no `top_decl` follows a line end.
        at = self.ws(at);
        at = self.line_end(at).unwrap_or(at);
        at = self.ws(at);
        if self.byte(at) == Some(b'#') {
            let end = self.comment(at);
            self.tree.leaf(Rule::line_comment, at, end);
            at = end;
        }
        (at == self.bytes.len()).then_some(())?;
        self.tree.leaf(Rule::EOI, at, at);
        self.tree.close(chunk, at);
        Some(())
    }

    /// `assertion_decl = { "assertion" ~ word_end ~ (ws ~ assertion_ref)?
    ///   ~ (ws ~ quoted_string)? ~ ws ~ assertion_block }`, with both optional parts there.
    fn assertion_decl(&mut self, at: usize) -> Option<usize> {
        self.keyword(at, "assertion").then_some(())?;
        let declaration = self.tree.open(Rule::assertion_decl, at);
        let mut end = self.ws(at + "assertion".len());
        end = self.word_leaf(Rule::assertion_ref, end)?;
        end = self.ws(end);
        end = self.quoted_string(end)?;
        end = self.ws(end);
        end = self.assertion_block(end)?;
        self.tree.close(declaration, end);
        Some(end)
    }

    /// `assertion_block = { open_brace ~ ws ~ line_end?
    ///   ~ (assertion_field ~ (ws ~ line_end ~ assertion_field)*)? ~ ws ~ line_end? ~ ws
    ///   ~ close_brace }`
    fn assertion_block(&mut self, at: usize) -> Option<usize> {
        (self.byte(at) == Some(b'{')).then_some(())?;
        let block = self.tree.open(Rule::assertion_block, at);
        self.tree.leaf(Rule::open_brace, at, at + 1);
        let mut end = self.ws(at + 1);
        end = self.line_end(end).unwrap_or(end);
        // Where a field may start, only a field or the `}` can follow: pest would fail too.
        while self.byte(end) != Some(b'}') {
            end = self.assertion_field(end)?;
            end = self.ws(end);
            if let Some(next) = self.line_end(end) {
                end = self.ws(next);
            } else if self.byte(end) != Some(b'}') {
                return None;
            }
        }
        self.tree.leaf(Rule::close_brace, end, end + 1);
        self.tree.close(block, end + 1);
        Some(end + 1)
    }

    /// `assertion_field = { text_field | name_field | constraint_field | formal_field
    ///   | depends_field | refines_field | tags_field }`
    fn assertion_field(&mut self, at: usize) -> Option<usize> {
        let key = self.bytes.get(at..self.word(at))?;
        let rule = match key {
            // `text_field = { ("type" | "category" | "status" | "source") ~ word_end ~ ws
            //   ~ (quoted_string | word_phrase) }`
            b"type" | b"category" | b"status" | b"source" => Rule::text_field,
            // `name_field = { ("entity" | "property") ~ word_end ~ ws
            //   ~ (quoted_string | bare_word) }`
            b"entity" | b"property" => Rule::name_field,
            // `constraint_field = { "constraint" ~ word_end ~ ws ~ quoted_string }`
            b"constraint" => Rule::constraint_field,
            b"formal" => Rule::formal_field,
            b"depends" => Rule::depends_field,
            // `refines_field = { "refines" ~ word_end ~ ws ~ assertion_ref }`
            b"refines" => Rule::refines_field,
            // `tags_field = { "tags" ~ word_end ~ ws ~ tag_list }`
            b"tags" => Rule::tags_field,
            _ => return None,
        };
        let field = self.tree.open(Rule::assertion_field, at);
        let inner = self.tree.open(rule, at);
        let value = self.ws(at + key.len());
        let end = match rule {
            Rule::text_field => self
                .quoted_string(value)
                .or_else(|| self.word_phrase(value)),
            Rule::name_field => self.value(value),
            Rule::constraint_field => self.quoted_string(value),
            Rule::formal_field => self.formal_value(value),
            Rule::depends_field => self.depends_value(value),
            Rule::refines_field => self.word_leaf(Rule::assertion_ref, value),
            _ => self.tag_list(value),
        }?;
        self.tree.close(inner, end);
        self.tree.close(field, end);
        Some(end)
    }

    /// `quoted_string | bare_word`
    fn value(&mut self, at: usize) -> Option<usize> {
        self.quoted_string(at)
            .or_else(|| self.word_leaf(Rule::bare_word, at))
    }

    /// `formal_field = { "formal" ~ word_end ~ ws ~ kw_spec ~ ws ~ (quoted_string | bare_word)
    ///   ~ (ws ~ line_range)? }`, after `formal`.
    fn formal_value(&mut self, at: usize) -> Option<usize> {
        let mut end = self.keyword_leaf(Rule::kw_spec, at, "spec")?;
        end = self.value(self.ws(end))?;
        let range = self.ws(end);
        if self.keyword(range, "lines") || self.keyword(range, "line") {
            end = self.line_range(range)?;
        }
        Some(end)
    }

    /// `line_range = { (kw_lines ~ ws ~ line_number ~ ws ~ kw_to ~ ws ~ line_number)
    ///   | (kw_line ~ ws ~ line_number) }`
    fn line_range(&mut self, at: usize) -> Option<usize> {
        let range = self.tree.open(Rule::line_range, at);
        let end = if self.keyword(at, "lines") {
            let end = self.keyword_leaf(Rule::kw_lines, at, "lines")?;
            let end = self.line_number(self.ws(end))?;
            let end = self.keyword_leaf(Rule::kw_to, self.ws(end), "to")?;
            self.line_number(self.ws(end))?
        } else {
            let end = self.keyword_leaf(Rule::kw_line, at, "line")?;
            self.line_number(self.ws(end))?
        };
        self.tree.close(range, end);
        Some(end)
    }

    /// `line_number = @{ ASCII_DIGIT+ ~ word_end }`
    fn line_number(&mut self, at: usize) -> Option<usize> {
        let end = self.run(at, |b| b.is_ascii_digit());
        (end > at && !self.byte(end).is_some_and(is_word)).then_some(())?;
        self.tree.leaf(Rule::line_number, at, end);
        Some(end)
    }

    /// `depends_field = { "depends" ~ word_end ~ ws ~ kw_on ~ ws ~ id_list }`, after `depends`.
    fn depends_value(&mut self, at: usize) -> Option<usize> {
        let end = self.keyword_leaf(Rule::kw_on, at, "on")?;
        self.id_list(self.ws(end))
    }

    /// `id_list = { assertion_ref ~ (ws ~ list_comma ~ ws ~ !kw_required ~ assertion_ref)* }`
    fn id_list(&mut self, at: usize) -> Option<usize> {
        let list = self.tree.open(Rule::id_list, at);
        let mut end = self.word_leaf(Rule::assertion_ref, at)?;
        while let Some(comma) = self.list_comma(self.ws(end)) {
            let next = self.ws(comma);
            // `required` after a comma ends the list, and no field goes on that way.
            if self.keyword(next, "required") {
                return None;
            }
            end = self.word_leaf(Rule::assertion_ref, next)?;
        }
        self.tree.close(list, end);
        Some(end)
    }

    /// `tag_list = { (quoted_string | bare_word) ~ (ws ~ list_comma ~ ws
    ///   ~ (quoted_string | bare_word))* }`
    fn tag_list(&mut self, at: usize) -> Option<usize> {
        let list = self.tree.open(Rule::tag_list, at);
        let mut end = self.value(at)?;
        while let Some(comma) = self.list_comma(self.ws(end)) {
            end = self.value(self.ws(comma))?;
        }
        self.tree.close(list, end);
        Some(end)
    }

    /// `list_comma = { "," ~ (ws ~ line_end)? }`; `None` when no comma is at `at`. What
    /// follows a comma is always read on: a list item that does not makes pest fail too.
    fn list_comma(&mut self, at: usize) -> Option<usize> {
        (self.byte(at) == Some(b',')).then_some(())?;
        let comma = self.tree.open(Rule::list_comma, at);
        let spaced = self.ws(at + 1);
        let end = self.line_end(spaced).unwrap_or(at + 1);
        self.tree.close(comma, end);
        Some(end)
    }

    /// `word_phrase = @{ word ~ ((" " | "\t")+ ~ word)* }`, where `word` is a run of word
    /// characters.
    fn word_phrase(&mut self, at: usize) -> Option<usize> {
        let mut end = self.word(at);
        (end > at).then_some(())?;
        loop {
            let next = self.ws(end);
            let word = self.word(next);
            if next == end || word == next {
                break;
            }
            end = word;
        }
        self.tree.leaf(Rule::word_phrase, at, end);
        Some(end)
    }

    /// `quoted_string = ${ "\"" ~ string_text ~ (string_escape ~ string_text)* ~ "\"" }`
    fn quoted_string(&mut self, at: usize) -> Option<usize> {
        (self.byte(at) == Some(b'"')).then_some(())?;
        let string = self.tree.open(Rule::quoted_string, at);
        let mut end = self.string_text(at + 1);
        while self.byte(end) == Some(b'\\') {
            end = self.string_escape(end)?;
            end = self.string_text(end);
        }
        (self.byte(end) == Some(b'"')).then_some(())?;
        self.tree.close(string, end + 1);
        Some(end + 1)
    }

    /// `string_text = @{ (!("\"" | "\\" | "\n" | "\r") ~ ANY)* }`, as a leaf.
    fn string_text(&mut self, at: usize) -> usize {
        let end = self.run(at, is_string_text);
        self.tree.leaf(Rule::string_text, at, end);
        end
    }

    /// `string_escape = ${ "\\" ~ escape_code }` and `escape_code = ${ "\"" | "\\" | "n" | "t"
    ///   | ("u{" ~ unicode_hex ~ unicode_close) }`, at the `\`.
    fn string_escape(&mut self, at: usize) -> Option<usize> {
        let escape = self.tree.open(Rule::string_escape, at);
        let code = self.tree.open(Rule::escape_code, at + 1);
        let end = match self.byte(at + 1)? {
            b'"' | b'\\' | b'n' | b't' => at + 2,
            b'u' if self.byte(at + 2) == Some(b'{') => {
                // `unicode_hex = @{ ASCII_HEX_DIGIT{1, 6} }` and `unicode_close = { "}" }`
                let hex = at + 3;
                let digits = self.run(hex, |b| b.is_ascii_hexdigit()) - hex;
                (1..=6).contains(&digits).then_some(())?;
                self.tree.leaf(Rule::unicode_hex, hex, hex + digits);
                let close = hex + digits;
                (self.byte(close) == Some(b'}')).then_some(())?;
                self.tree.leaf(Rule::unicode_close, close, close + 1);
                close + 1
            }
            _ => return None,
        };
        self.tree.close(code, end);
        self.tree.close(escape, end);
        Some(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Assertions that use every rule the reader follows, in the ways the grammar allows.
    const ASSERTIONS: &[&str] = &[
        "assertion A-1 \"x\" {\n type invariant\n category structure\n status confirmed\n}\n",
        "assertion A-001 \"Stock \\\"on hand\\\" \\\\ \\n \\t \\u{1F600} \\u{41}\" {\n  \
         type mutual exclusion\n  category behaviour\n  status Confirmed\n  \
         source \"user-interview-001\"\n  entity Inventory\n  property \"on hand\"\n  \
         constraint \"0 <= reserved <= onHand\"\n  formal spec a.dfy line 3\n  \
         depends on A-002,\n    A-003 , A-004,# more\n\n  # between\n   A-005\n  \
         refines A-000\n  tags x, \"y z\",\n    w\n}",
        "\t assertion  A.b:c_d+e@f/g\t\"\"  {  type\tliveness \n category\"behavior\" }  # c",
        "assertion A-2 \"t\" {\r\n\ttype safety\r\n\tformal spec \"s.dfy\" lines 10 to 14\r\n\
         \tstatus pending # why\r\n\r\n}\r\n\r\n# after\r\n",
        "assertion A-3 \"t\" {\r  tags a\r  depends on B-1\r}\r",
        "assertion A-4 \"\" {\n}\n\n\n",
        "assertion A-5\"t\"{type\"x\"\n}",
        "assertion A-6 \"t\" {\n  formal spec x.tla\n  formal spec y.tla lines 1 to 2 \n}\n",
        "assertion A-7 \"t\" { }",
        "assertion A-8 \"t\" {\n  type x y  z\t w\n  tags \"a,b\" , c\n}\n# end",
    ];

    fn agrees(text: &str) -> usize {
        super::super::fast_reads_as_pest(text)
    }

    #[test]
    fn every_field_reads_as_pest_reads_it() {
        for text in ASSERTIONS {
            assert_eq!(agrees(text), 1, "{text:?}");
        }
    }

    #[test]
    fn edited_assertions_read_as_pest_reads_them_or_go_to_pest() {
        // Every text one byte short of a good one, or with one byte more from those the
        // grammar cares about: whatever this reader takes, pest must read the same way.
        let inserted = [
            " ", "\t", "\n", "\r", "#", ",", "\"", "\\", "{", "}", "a", "1", "-", "é", "u{",
        ];
        let mut read = 0;
        let mut tried = 0;
        for text in ASSERTIONS {
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for pair in boundaries.windows(2) {
                let shorter = format!("{}{}", &text[..pair[0]], &text[pair[1]..]);
                read += agrees(&shorter);
                tried += 1;
            }
            for &at in &boundaries {
                for extra in inserted {
                    let longer = format!("{}{extra}{}", &text[..at], &text[at..]);
                    read += agrees(&longer);
                    tried += 1;
                }
            }
        }
        // Most edits still leave an assertion this reader reads, so the check has teeth.
        assert!(read * 4 > tried, "{read} of {tried}");
    }

    #[test]
    fn the_fixtures_read_as_pest_reads_them() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut read = 0;
        for entry in walkdir::WalkDir::new(root) {
            let entry = entry.expect("the fixtures can be walked");
            if entry.path().extension().is_some_and(|e| e == "spec") {
                let text = std::fs::read_to_string(entry.path()).expect("a fixture is text");
                read += agrees(&text);
            }
        }
        assert!(read > 0);
    }

    /// Fields as they are written, and what may stand between two of them.
    const FIELDS: &[&str] = &[
        "type invariant",
        "type mutual  exclusion\t",
        "category structure",
        "status confirmed # why",
        "source \"s\"",
        "entity E",
        "property \"p \\\" q\"",
        "constraint \"0 <= a\"",
        "formal spec f.dfy",
        "formal spec \"f.tla\" lines 1 to 2",
        "formal spec f line 3",
        "depends on A-2",
        "depends on A-2 , A-3,\n   A-4",
        "refines A-0",
        "tags a",
        "tags a, \"b c\",# more\n  d",
        "",
    ];
    const BETWEEN: &[&str] = &["\n", "\r\n", "\r", "\n\n  ", " \n", "\t# c\n\t"];
    /// What an edit puts in.
    const PIECES: &[&str] = &[
        " ", "\t", "\n", "\r", "#", ",", "\"", "\\", "\\u{41}", "{", "}", "x", "1", "é", "on",
        "spec", "lines", "line", "to", "required", "type",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4096, ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn assertions_of_any_fields_read_as_pest_reads_them(
            fields in proptest::collection::vec((0..FIELDS.len(), 0..BETWEEN.len()), 0..8),
            edits in proptest::collection::vec((0..=1000_usize, 0..PIECES.len()), 0..3),
        ) {
            let mut text = String::from("assertion A-1 \"t\" {\n");
            for &(field, between) in &fields {
                text.push_str(FIELDS[field]);
                text.push_str(BETWEEN[between]);
            }
            text.push_str("}\n");
            for &(place, piece) in &edits {
                let mut at = place * text.len() / 1000;
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text.insert_str(at, PIECES[piece]);
            }
            agrees(&text);
        }
    }

    #[test]
    fn what_pest_would_refuse_goes_to_pest() {
        for text in [
            "assertion A-1 {\n type x\n}",
            "assertion \"x\" {\n type x\n}",
            "assertion A-1 \"x\" {\n type x\n",
            "assertion A-1 \"x\" {\n type x }}",
            "assertion A-1 \"x\" {\n colour red\n}",
            "assertion A-1 \"x\" {\n depends on A-2, required\n}",
            "assertion A-1 \"x\" {\n tags a,\n}",
            "assertion A-1 \"x\" {\n formal spec f lines 3\n}",
            "assertion A-1 \"x\" {\n formal spec f line 3x\n}",
            "assertion A-1 \"x\\q\" {\n}",
            "assertion A-1 \"x\\u{1234567}\" {\n}",
            "assertion A-1 \"x\n\" {\n}",
            "assertion A-1 \"x\" {\n} junk",
            "assertions A-1 \"x\" {\n}",
            "app x",
        ] {
            assert!(
                assertion_chunk(text, &mut Tree::default()).is_none(),
                "{text:?}"
            );
        }
    }
}
