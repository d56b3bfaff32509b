//! Splits spec text into lower-case words with their byte ranges, so rules can match phrases
//! without re-scanning text per rule.

use std::borrow::Cow;

/// One word of a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word, lower case: borrowed from the text when it is written in lower case, as most
    /// words are, so splitting a text allocates one list, not a string per word.
    pub text: Cow<'a, str>,
    /// Byte offset of the word's start in the text.
    pub start: usize,
    /// Byte offset one past its end.
    pub end: usize,
    /// Which clause of the text the word is in: `.`, `;`, `!` and `?` end a clause, so a
    /// negation in one clause never reaches into the next.
    pub clause: usize,
}

/// The words of `text`: runs of letters and digits, lower-cased.
#[must_use]
pub fn split(text: &str) -> Vec<Word<'_>> {
    // The list is sized once, for words of about six bytes.
    let mut words = Vec::with_capacity(text.len() / 6 + 1);
    split_into(text, &mut words);
    words
}

/// Appends the words of `text` to `words`, as [`split`] returns them; a caller that splits
/// many texts in turn reuses one list.
pub fn split_into<'a>(text: &'a str, words: &mut Vec<Word<'a>>) {
    // Most spec text is ASCII: its bytes are classified without decoding characters, and
    // whether a word needs lower-casing is noted on the way.
    let mut start = None;
    let mut plain = true;
    let mut clause = 0;
    let mut i = 0;
    while let Some(&byte) = text.as_bytes().get(i) {
        let (alphanumeric, width) = if byte.is_ascii() {
            (byte.is_ascii_alphanumeric(), 1)
        } else {
            text[i..]
                .chars()
                .next()
                .map_or((false, 1), |c| (c.is_alphanumeric(), c.len_utf8()))
        };
        let lower_ascii = byte.is_ascii_lowercase() || byte.is_ascii_digit();
        match (alphanumeric, start) {
            (true, None) => {
                start = Some(i);
                plain = lower_ascii;
            }
            (true, Some(_)) => plain &= lower_ascii,
            (false, Some(s)) => {
                words.push(word(text, s, i, clause, plain));
                start = None;
            }
            (false, None) => {}
        }
        if matches!(byte, b'.' | b';' | b'!' | b'?') {
            clause += 1;
        }
        i += width;
    }
    if let Some(s) = start {
        words.push(word(text, s, text.len(), clause, plain));
    }
}

/// The word from `start` to `end`; `plain` when it holds only ASCII lower-case letters and
/// digits, and so is borrowed as it is.
fn word(text: &str, start: usize, end: usize, clause: usize, plain: bool) -> Word<'_> {
    let written = &text[start..end];
    Word {
        text: if plain {
            Cow::Borrowed(written)
        } else {
            lower(written)
        },
        start,
        end,
        clause,
    }
}

/// `word` in lower case; most words are ASCII lower case already and are borrowed, and ASCII
/// needs no Unicode case tables.
fn lower(word: &str) -> Cow<'_, str> {
    if !word.is_ascii() {
        Cow::Owned(word.to_lowercase())
    } else if word.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(word.to_ascii_lowercase())
    } else {
        Cow::Borrowed(word)
    }
}

/// Finds `phrase` (words separated by spaces) in `words`; returns the index of its first word.
#[must_use]
pub fn find(words: &[Word<'_>], phrase: &str) -> Option<usize> {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    if wanted.is_empty() || words.len() < wanted.len() {
        return None;
    }
    (0..=words.len() - wanted.len()).find(|&i| {
        wanted
            .iter()
            .enumerate()
            .all(|(k, w)| words.get(i + k).is_some_and(|word| word.text == *w))
    })
}

/// Whether `text` may hold one of `phrases`, a cheap test that spares splitting texts that
/// cannot: ASCII text holds a phrase only where it holds the phrase's first word in some
/// case. Other text may lower-case into ASCII words (the Kelvin sign becomes `k`), so it
/// always may.
#[must_use]
pub fn may_hold(text: &str, phrases: &[&str]) -> bool {
    if !text.is_ascii() {
        return true;
    }
    let bytes = text.as_bytes();
    phrases.iter().any(|phrase| {
        let first = phrase.split(' ').next().unwrap_or_default().as_bytes();
        let Some(&lead) = first.first() else {
            return true;
        };
        // Only where the first letter stands, in either case, can the word start.
        memchr::memchr2_iter(lead.to_ascii_lowercase(), lead.to_ascii_uppercase(), bytes).any(
            |at| {
                bytes
                    .get(at..at + first.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(first))
            },
        )
    })
}

/// Words that negate what follows them closely (`does not use a cache`).
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "without", "nor", "instead", "cannot", "doesn", "don", "isn", "aren",
    "won", "mustn", "shouldn", "nothing", "none",
];

/// Words that, after `is not` or `are never`, say the thing is absent (`Redis is not used`).
const ABSENT: &[&str] = &[
    "used",
    "needed",
    "required",
    "involved",
    "present",
    "available",
];

/// Whether the phrase of `len` words at `index` is negated: by one of the four words before
/// it (`never talks to a Postgres database`), or by what follows it (`Redis is not used`).
#[must_use]
pub fn negated(words: &[Word<'_>], index: usize, len: usize) -> bool {
    let clause = words[index].clause;
    let before = words[index.saturating_sub(4)..index]
        .iter()
        .any(|w| w.clause == clause && NEGATIONS.contains(&&*w.text));
    // The four words after the phrase in its clause, without a list of their own: a hundred
    // thousand assertions can fire as many phrases.
    let mut after = [""; 4];
    let mut count = 0;
    for (slot, w) in after.iter_mut().zip(
        words
            .iter()
            .skip(index + len)
            .take_while(|w| w.clause == clause),
    ) {
        *slot = &*w.text;
        count += 1;
    }
    let absent = match &after[..count] {
        [copula, negation, state, ..] | [copula, negation, _, state, ..]
            if matches!(*copula, "is" | "are" | "was" | "were" | "isn" | "aren")
                && NEGATIONS.contains(negation)
                || matches!(*copula, "isn" | "aren") =>
        {
            ABSENT.contains(state) || ABSENT.contains(negation)
        }
        _ => false,
    };
    before || absent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_punctuation_and_lowercases() {
        let words = split("Kafka-topic:orders.v1");
        let texts: Vec<&str> = words.iter().map(|w| &*w.text).collect();
        assert_eq!(texts, ["kafka", "topic", "orders", "v1"]);
        assert_eq!((words[1].start, words[1].end), (6, 11));
    }

    #[test]
    fn finds_phrases_and_negations() {
        let words = split("The service does not use a Redis cache");
        let at = find(&words, "redis cache").expect("found");
        assert_eq!(words[at].text, "redis");
        assert!(negated(&words, at, 2));
        let words = split("Redis is not used; Kafka messages are never lost");
        assert!(negated(&words, 0, 1), "Redis is not used");
        let kafka = find(&words, "kafka").expect("found");
        assert!(
            !negated(&words, kafka, 1),
            "never lost does not negate Kafka"
        );
        assert!(find(&words, "cache redis").is_none());
    }

    /// The words of `text` found character by character: the plain way that `split`'s reading
    /// of ASCII bytes stands in for.
    fn split_by_characters(text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut words = Vec::new();
        let (mut start, mut clause) = (None, 0);
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    words.push((text[s..i].to_lowercase(), s, i, clause));
                    start = None;
                }
                _ => {}
            }
            if matches!(c, '.' | ';' | '!' | '?') {
                clause += 1;
            }
        }
        words
    }

    #[test]
    fn splitting_by_bytes_finds_what_splitting_by_characters_finds() {
        let texts = [
            "",
            "Redis",
            "  the Order-Service writes to Postgres.Then; Kafka!  ",
            "Ünïcödé Wörds, ÇA and çà; the Kelvin sign \u{212a} and ΣΊΣΥΦΟΣ",
            "mixed AbC123 x9Y! 中文字 and emoji 😀 between?words",
            "trailing word",
            "v1.2.3:s3-bucket/raw_exports+more@host",
        ];
        for text in texts {
            let words: Vec<(String, usize, usize, usize)> = split(text)
                .into_iter()
                .map(|w| (w.text.into_owned(), w.start, w.end, w.clause))
                .collect();
            assert_eq!(words, split_by_characters(text), "{text:?}");
        }
    }

    #[test]
    fn may_hold_only_rules_out_what_split_would_not_find() {
        let phrases = ["json web token", "jwt"];
        assert!(may_hold("Signs a JSON Web Token", &phrases));
        assert!(may_hold("a JWT per session", &phrases));
        assert!(!may_hold("stores the cart in Postgres", &phrases));
        // Not ASCII: the Kelvin sign lower-cases to `k`, so nothing is ruled out.
        assert!(may_hold("\u{212a}afka", &["kafka"]));
        assert_eq!(split("\u{212a}afka")[0].text, "kafka");
    }
}
