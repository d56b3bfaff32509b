//! `docs/diagnostics.md` documents every diagnostic code once: each code defined in
//! `src/diagnostic/code.rs` has a `## SDxxxx: <title>` section with its default severity, in
//! numeric order, and the page documents no code that `code.rs` lacks.
//!
//! Both files are read as text, so the test depends on no crate internals: a code is a line
//! of the `codes!` table, `Variant = "SD0103", Severity, "title";`.

/// The page, read at compile time so editing it reruns the test.
const DOC: &str = include_str!("../docs/diagnostics.md");

/// The code table.
const CODES: &str = include_str!("../src/diagnostic/code.rs");

/// One row of the code table.
#[derive(Debug, PartialEq, Eq)]
struct Defined {
    code: String,
    severity: String,
    title: String,
}

/// Every code defined in `code.rs`, in the order written.
fn defined() -> Vec<Defined> {
    let mut rows = Vec::new();
    for line in CODES.lines() {
        let Some((_, rest)) = line.split_once("= \"SD") else {
            continue;
        };
        let (digits, rest) = rest
            .split_once('"')
            .unwrap_or_else(|| panic!("unterminated code in `{line}`"));
        let mut parts = rest.splitn(3, ',').map(str::trim);
        let _ = parts.next();
        let severity = parts
            .next()
            .unwrap_or_else(|| panic!("no severity in `{line}`"))
            .to_ascii_lowercase();
        let quoted = parts
            .next()
            .unwrap_or_else(|| panic!("no title in `{line}`"));
        let title = quoted
            .trim_end_matches(';')
            .trim()
            .trim_matches('"')
            .to_owned();
        rows.push(Defined {
            code: format!("SD{digits}"),
            severity,
            title,
        });
    }
    rows
}

/// One `## SDxxxx: title` section of the page.
#[derive(Debug)]
struct Section<'a> {
    code: &'a str,
    title: &'a str,
    body: String,
}

/// Every code section of the page, in the order written. A section runs from its heading to
/// the next heading of level one or two; headings inside code blocks do not count.
fn sections() -> Vec<Section<'static>> {
    let mut sections: Vec<Section<'static>> = Vec::new();
    let mut open = false;
    let mut in_fence = false;
    for line in DOC.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && (line.starts_with("# ") || line.starts_with("## ")) {
            open = false;
            if let Some(heading) = line.strip_prefix("## ").filter(|h| h.starts_with("SD")) {
                let (code, title) = heading.split_once(':').unwrap_or((heading, ""));
                sections.push(Section {
                    code: code.trim(),
                    title: title.trim(),
                    body: String::new(),
                });
                open = true;
            }
            continue;
        }
        if let Some(last) = sections.last_mut().filter(|_| open) {
            last.body.push_str(line);
            last.body.push('\n');
        }
    }
    sections
}

#[test]
fn code_table_is_read() {
    let rows = defined();
    assert!(
        rows.len() > 30,
        "only {} codes found in code.rs",
        rows.len()
    );
    assert!(
        rows.iter().any(|r| r.code == "SD0103"),
        "SD0103 not found in code.rs"
    );
    for row in &rows {
        assert_eq!(row.code.len(), 6, "odd code {row:?}");
        assert!(
            ["error", "warning", "note"].contains(&row.severity.as_str()),
            "odd severity {row:?}"
        );
        assert!(!row.title.is_empty(), "no title {row:?}");
    }
}

#[test]
fn every_defined_code_is_documented() {
    let documented: Vec<&str> = sections().iter().map(|s| s.code).collect();
    let missing: Vec<String> = defined()
        .into_iter()
        .map(|r| r.code)
        .filter(|c| !documented.contains(&c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/diagnostics.md has no `## SDxxxx` section for {missing:?}"
    );
}

#[test]
fn no_undefined_code_is_documented() {
    let defined: Vec<String> = defined().into_iter().map(|r| r.code).collect();
    let extra: Vec<&str> = sections()
        .iter()
        .map(|s| s.code)
        .filter(|c| !defined.iter().any(|d| d == c))
        .collect();
    assert!(
        extra.is_empty(),
        "docs/diagnostics.md documents {extra:?}, which src/diagnostic/code.rs does not define"
    );
}

#[test]
fn each_code_is_documented_once_in_numeric_order() {
    let documented: Vec<&str> = sections().iter().map(|s| s.code).collect();
    let mut sorted = documented.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        documented, sorted,
        "code sections must be unique and in numeric order"
    );
}

#[test]
fn headings_and_severities_match_the_code_table() {
    let sections = sections();
    for row in defined() {
        let Some(section) = sections.iter().find(|s| s.code == row.code) else {
            continue;
        };
        assert_eq!(
            section.title, row.title,
            "the heading of {} must be `## {}: {}`",
            row.code, row.code, row.title
        );
        let severity_line = section
            .body
            .lines()
            .find_map(|l| l.strip_prefix("**Severity:** "))
            .unwrap_or_else(|| panic!("{} has no `**Severity:**` line", row.code));
        assert!(
            severity_line.starts_with(&row.severity),
            "{} is a{} {} in code.rs, but the page says `{severity_line}`",
            row.code,
            if row.severity == "error" { "n" } else { "" },
            row.severity
        );
    }
}

#[test]
fn each_section_says_when_it_fires_and_how_to_fix_it() {
    for section in sections() {
        for part in ["**When:**", "**Bad input:**", "**Fix:**"] {
            assert!(
                section.body.contains(part),
                "{} has no {part} paragraph",
                section.code
            );
        }
    }
}

/// The severity and exit-code tables near the top list, as exit-code-2 errors, only codes
/// that are errors.
#[test]
fn the_exit_code_tables_name_only_errors() {
    let codes = defined();
    let tables: Vec<&str> = DOC
        .lines()
        .filter(|l| l.starts_with("| error |") || l.starts_with("| 2 |"))
        .collect();
    assert_eq!(tables.len(), 2, "{tables:?}");
    for line in tables {
        for word in line.split('`').filter(|w| w.starts_with("SD")) {
            let row = codes
                .iter()
                .find(|d| d.code == word)
                .unwrap_or_else(|| panic!("{word} is not defined"));
            assert_eq!(
                row.severity, "error",
                "{word} is listed as an error in `{line}`"
            );
        }
    }
}
