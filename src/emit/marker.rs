//! The generated-file marker: the header line every artifact starts with, followed by a line
//! with the SHA-256 of the rest of the file. `build` replaces a file only while the marker is
//! there and the hash still matches, so a hand edit is never lost.

use super::HEADER;

/// Starts the line after the header, after the format's comment marker.
pub const HASH_LABEL: &str = "specdeploy-sha256: ";

/// Where the header may stand: after a `# syntax=` line at most, so within the first lines.
const HEADER_LINES: usize = 3;

/// Who a file on disk belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// It carries the marker and its contents still match the hash: specdeploy may replace it.
    Generated,
    /// It carries the header, but the hash is missing or no longer matches: someone edited it.
    Edited,
    /// It has no header: the user wrote it, or took it over by deleting the header.
    Foreign,
}

/// `contents` with the hash line inserted after the header line. Contents without a header
/// are returned unchanged.
#[must_use]
pub fn seal(contents: &str) -> String {
    let Some((start, end, prefix, suffix)) = header_line(contents) else {
        return contents.to_owned();
    };
    let hash = digest(contents);
    let mut sealed = String::with_capacity(contents.len() + prefix.len() + suffix.len() + 84);
    sealed.push_str(&contents[..end]);
    if !contents[start..end].ends_with('\n') {
        sealed.push('\n');
    }
    sealed.push_str(prefix);
    sealed.push_str(HASH_LABEL);
    sealed.push_str(&hash);
    sealed.push_str(suffix);
    sealed.push('\n');
    sealed.push_str(&contents[end..]);
    sealed
}

/// Who `text`, the contents of a file on disk, belongs to. A checkout that turned the line
/// endings into CRLF still counts as unchanged.
#[must_use]
pub fn provenance(text: &[u8]) -> Provenance {
    let text = match std::str::from_utf8(text) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(text),
    };
    let text = if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        text
    };
    let Some((_, end, prefix, suffix)) = header_line(&text) else {
        return Provenance::Foreign;
    };
    let rest = &text[end..];
    let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let line = rest[..line_end].trim_end_matches('\n');
    let Some(recorded) = line
        .strip_prefix(prefix)
        .and_then(|l| l.strip_prefix(HASH_LABEL))
        .and_then(|l| l.strip_suffix(suffix))
    else {
        return Provenance::Edited;
    };
    let mut unsealed = String::with_capacity(text.len());
    unsealed.push_str(&text[..end]);
    unsealed.push_str(&rest[line_end..]);
    if digest(&unsealed) == recorded {
        Provenance::Generated
    } else {
        Provenance::Edited
    }
}

/// The header line of `contents`: its start, the offset just past its newline, and what
/// stands before and after the header text on it (`# ` and nothing, `<!-- ` and ` -->`).
fn header_line(contents: &str) -> Option<(usize, usize, &str, &str)> {
    let mut start = 0;
    for line in contents.split_inclusive('\n').take(HEADER_LINES) {
        if let Some(at) = line.find(HEADER) {
            let suffix = line[at + HEADER.len()..].trim_end_matches(['\n', '\r']);
            return Some((start, start + line.len(), &line[..at], suffix));
        }
        start += line.len();
    }
    None
}

fn digest(text: &str) -> String {
    crate::verify::sha256_hex(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> String {
        format!("# syntax=docker/dockerfile:1\n# {HEADER}\nFROM scratch\n")
    }

    #[test]
    fn a_sealed_file_is_recognised_as_generated() {
        let sealed = seal(&generated());
        assert_eq!(
            sealed
                .lines()
                .nth(2)
                .map(|l| l.starts_with("# specdeploy-sha256: ")),
            Some(true)
        );
        assert_eq!(provenance(sealed.as_bytes()), Provenance::Generated);
    }

    #[test]
    fn an_edit_anywhere_is_seen() {
        let sealed = seal(&generated());
        let edited = sealed.replace("FROM scratch", "FROM scratch\nUSER root");
        assert_eq!(provenance(edited.as_bytes()), Provenance::Edited);
        let unsealed = generated();
        assert_eq!(provenance(unsealed.as_bytes()), Provenance::Edited);
    }

    #[test]
    fn deleting_the_header_hands_the_file_over() {
        assert_eq!(provenance(b"FROM scratch\n"), Provenance::Foreign);
        assert_eq!(provenance(b""), Provenance::Foreign);
    }

    #[test]
    fn crlf_line_endings_do_not_count_as_an_edit() {
        let sealed = seal(&generated()).replace('\n', "\r\n");
        assert_eq!(provenance(sealed.as_bytes()), Provenance::Generated);
    }

    #[test]
    fn a_comment_with_an_end_marker_gets_it_on_the_hash_line_too() {
        let sealed = seal(&format!(
            "<?xml version=\"1.0\"?>\n<!-- {HEADER} -->\n<svg/>\n"
        ));
        assert!(
            sealed
                .lines()
                .nth(2)
                .is_some_and(|l| l.starts_with("<!-- specdeploy-sha256: ") && l.ends_with(" -->")),
            "{sealed}"
        );
        assert_eq!(provenance(sealed.as_bytes()), Provenance::Generated);
    }

    #[test]
    fn the_comment_marker_follows_the_format() {
        let sealed = seal(&format!("// {HEADER}\nexport {{}};\n"));
        assert!(
            sealed
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("// specdeploy-sha256: "))
        );
        assert_eq!(provenance(sealed.as_bytes()), Provenance::Generated);
    }
}
