//! Reads the spec-driven toolchain's manifest, `specs/assertions.json`, into the model.
//!
//! The reader is lenient where the toolchain's output varies in the wild (type spellings,
//! `null` for absent values, display forms of the archetype) and strict where a wrong value
//! would change the deployment (category, status, ids). Every problem is collected with the
//! span of the value that causes it.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::json::{self, Array, Object, Property, Reader, Stream, SyntaxError, Value};
use crate::model::{
    Assertion, Category, FormalSpec, KNOWN_TYPES, ManifestContext, SpecDocument, Status,
    is_valid_id, normalize_type,
};
use crate::source::{FileId, Located, Span, Text};

/// The fields an assertion must have.
const REQUIRED: [&str; 5] = ["id", "natural", "type", "category", "status"];

/// Reads the manifest text of `file`.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> SpecDocument {
    json::read(file, text, Code::MalformedJson, diagnostics, read_root).unwrap_or_default()
}

/// Reads the manifest's root object. The assertions are read one at a time as the text is
/// read, so only one assertion's JSON is held at once, however large the manifest.
fn read_root(
    stream: &mut Stream<'_>,
    reader: &mut Reader<'_>,
) -> Result<SpecDocument, SyntaxError> {
    let root = stream.value_unless_object()?;
    if let Some(root) = root {
        reader.wrong_type(&root, "the manifest", "a JSON object");
        return Ok(SpecDocument::default());
    }
    let mut properties = Vec::new();
    // The assertions of the last `assertions` array, with the problems found in them: when
    // the key is given twice the last one counts, and the first array's problems do not.
    let mut last = (Vec::new(), Diagnostics::new());
    let range = stream.object(|stream, name| {
        if name.value != "assertions" || !stream.at_array()? {
            let value = stream.value()?;
            properties.push(Property { name, value });
            return Ok(());
        }
        let (file, offset) = (reader.file, reader.offset);
        let (range, parts) = stream.array_in_halves(
            || (Vec::new(), Diagnostics::new()),
            |stream, (assertions, found): &mut (Vec<Assertion>, Diagnostics)| {
                let item = stream.value()?;
                let mut local = Reader {
                    file,
                    offset,
                    diagnostics: found,
                };
                assertions.extend(read_assertion(&mut local, &item));
                Ok(())
            },
        )?;
        // The first half's list grows to hold the second's: a list of its own for both
        // would hold every assertion twice for a moment.
        let mut parts = parts.into_iter();
        let (mut assertions, mut found) = parts.next().unwrap_or_default();
        for (more, problems) in parts {
            assertions.extend(more);
            found.extend(problems);
        }
        last = (assertions, found);
        // Held empty, for the checks of duplicate keys and of which `assertions` counts.
        let value = Value::Array(Array {
            elements: Vec::new(),
            range,
        });
        properties.push(Property { name, value });
        Ok(())
    })?;
    let root = Object { properties, range };

    json::duplicate_keys(reader, &root);
    let context = read_context(reader, &root);
    let assertions = match json::get(&root, "assertions") {
        Some(Value::Array(_)) => {
            reader.diagnostics.extend(last.1);
            last.0
        }
        Some(Value::Null(_)) | None => Vec::new(),
        Some(other) => {
            reader.wrong_type(other, "`assertions`", "an array of assertion objects");
            Vec::new()
        }
    };
    Ok(SpecDocument {
        app: None,
        context: Some(context),
        assertions,
        needs: Vec::new(),
        variables: Vec::new(),
    })
}

fn read_context(reader: &mut Reader<'_>, root: &Object<'_>) -> ManifestContext {
    let mut list = |key: &str| {
        json::get(root, key)
            .map(|v| reader.strings(v, format_args!("`{key}`")))
            .unwrap_or_default()
    };
    let domains = list("domains");
    let actors = list("actors");
    let boundaries = list("boundaries");
    let constraints = list("constraints");
    let archetype =
        json::get(root, "archetype").and_then(|v| reader.optional_string(v, "`archetype`"));
    ManifestContext {
        archetype,
        domains,
        actors,
        boundaries,
        constraints,
    }
}

/// The fields of one assertion object, as read, before required ones are checked.
#[derive(Default)]
struct Fields {
    id: Option<Located<Text>>,
    natural: Option<Located<Text>>,
    kind: Option<Located<Text>>,
    category: Option<Located<Category>>,
    status: Option<Located<Status>>,
    /// Required fields that were present but unusable, so "missing" is not said of them.
    invalid: Vec<&'static str>,
}

fn read_assertion(reader: &mut Reader<'_>, item: &Value<'_>) -> Option<Assertion> {
    let Value::Object(object) = item else {
        reader.wrong_type(item, "each entry of `assertions`", "an assertion object");
        return None;
    };
    json::duplicate_keys(reader, object);
    let span = reader.span(object.range);
    let mut fields = Fields::default();
    let text = |reader: &mut Reader<'_>, key: &str| {
        json::get(object, key).and_then(|v| reader.optional_string(v, format_args!("`{key}`")))
    };

    fields.id = text(reader, "id").and_then(|id| check_id(reader, id, &mut fields.invalid));
    fields.natural = text(reader, "natural");
    fields.kind = text(reader, "type");
    if let Some(kind) = &fields.kind {
        check_type(reader, kind);
    }
    fields.category = text(reader, "category").and_then(|c| {
        parse_category(reader, &c).or_else(|| {
            fields.invalid.push("category");
            None
        })
    });
    fields.status = text(reader, "status").and_then(|s| {
        parse_status(reader, &s).or_else(|| {
            fields.invalid.push("status");
            None
        })
    });

    let dependencies = json::get(object, "dependencies")
        .map(|v| reader.strings(v, "`dependencies`"))
        .unwrap_or_default();
    let tags = json::get(object, "tags")
        .map(|v| reader.strings(v, "`tags`"))
        .unwrap_or_default();
    let formal_spec = json::get(object, "formalSpec")
        .and_then(|v| read_formal_spec(reader, v))
        .map(Box::new);
    let source = text(reader, "source");
    let entity = text(reader, "entity");
    let property = text(reader, "property");
    let constraint = text(reader, "constraint").map(Box::new);
    let refined_from = text(reader, "refinedFrom").map(Box::new);

    let Fields {
        id: Some(id),
        natural: Some(natural),
        kind: Some(kind),
        category: Some(category),
        status: Some(status),
        ..
    } = fields
    else {
        report_missing(reader, object, &fields, span);
        return None;
    };
    Some(Assertion {
        id,
        natural,
        kind,
        category,
        status,
        source,
        entity,
        property,
        constraint,
        formal_spec,
        dependencies,
        refined_from,
        tags,
        span,
    })
}

fn report_missing(reader: &mut Reader<'_>, object: &Object<'_>, fields: &Fields, span: Span) {
    let present = [
        fields.id.is_some(),
        fields.natural.is_some(),
        fields.kind.is_some(),
        fields.category.is_some(),
        fields.status.is_some(),
    ];
    let name = fields.id.as_ref().map_or_else(
        || "an assertion".to_owned(),
        |id| format!("assertion {}", id.value),
    );
    let place = fields
        .id
        .as_ref()
        .map_or(Span::new(span.file, span.start(), span.start() + 1), |id| {
            id.span
        });
    for (field, present) in REQUIRED.into_iter().zip(present) {
        if present || fields.invalid.contains(&field) {
            continue;
        }
        let written = json::get(object, field);
        if written.is_some_and(|v| !matches!(v, Value::Null(_))) {
            // Present with the wrong type: that problem is already reported.
            continue;
        }
        let message = if written.is_some() {
            format!("{name} has `{field}` set to null")
        } else {
            format!("{name} has no `{field}`")
        };
        reader.diagnostics.push(
            Diagnostic::new(Code::MissingField, message)
                .at(place, format!("`{field}` is required here"))
                .help(format!(
                    "add `\"{field}\": {}` to the assertion",
                    example(field)
                )),
        );
    }
}

fn example(field: &str) -> &'static str {
    match field {
        "id" => "\"A-001\"",
        "natural" => "\"what must hold, in a sentence\"",
        "type" => "\"invariant\"",
        "category" => "\"structure\" (or \"behavior\")",
        _ => "\"confirmed\"",
    }
}

fn check_id(
    reader: &mut Reader<'_>,
    id: Located<Text>,
    invalid: &mut Vec<&'static str>,
) -> Option<Located<Text>> {
    if is_valid_id(&id.value) {
        return Some(id);
    }
    reader.diagnostics.push(
        Diagnostic::new(Code::InvalidId, format!("`{}` is not a valid assertion id", id.value.escape_debug()))
            .at(id.span, "invalid id")
            .help("an id starts with a letter and holds only letters, digits, `-`, `_`, `.` and `:`, at most 128 characters (for example `A-001`)"),
    );
    invalid.push("id");
    None
}

fn check_type(reader: &mut Reader<'_>, kind: &Located<Text>) {
    if KNOWN_TYPES.contains(&normalize_type(&kind.value).as_str()) {
        return;
    }
    reader.diagnostics.push(
        Diagnostic::new(
            Code::UnknownType,
            format!(
                "`{}` is not a known assertion type",
                kind.value.escape_debug()
            ),
        )
        .at(kind.span, "unknown type")
        .help(format!("known types: {}", KNOWN_TYPES.join(", "))),
    );
}

fn parse_category(reader: &mut Reader<'_>, text: &Located<Text>) -> Option<Located<Category>> {
    if let Some(category) = Category::parse(&text.value) {
        return Some(Located::new(category, text.span));
    }
    reader.diagnostics.push(
        Diagnostic::new(Code::InvalidCategory, format!("`{}` is not a category", text.value.escape_debug()))
            .at(text.span, "expected `structure` or `behavior`")
            .help("use \"structure\" for data constraints and invariants, \"behavior\" for what happens over time"),
    );
    None
}

fn parse_status(reader: &mut Reader<'_>, text: &Located<Text>) -> Option<Located<Status>> {
    if let Some(status) = Status::parse(&text.value) {
        return Some(Located::new(status, text.span));
    }
    let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    reader.diagnostics.push(
        Diagnostic::new(
            Code::InvalidStatus,
            format!("`{}` is not a status", text.value.escape_debug()),
        )
        .at(text.span, "unknown status")
        .help(format!("use one of: {}", known.join(", "))),
    );
    None
}

fn read_formal_spec(reader: &mut Reader<'_>, value: &Value<'_>) -> Option<FormalSpec> {
    let object = match value {
        Value::Null(_) => return None,
        Value::Object(object) => object,
        other => {
            reader.wrong_type(other, "`formalSpec`", "an object with `file` and `lines`");
            return None;
        }
    };
    let file =
        json::get(object, "file").and_then(|v| reader.optional_string(v, "`formalSpec.file`"));
    let Some(file) = file else {
        reader.diagnostics.push(
            Diagnostic::new(Code::InvalidFormalSpec, "`formalSpec` names no file")
                .at(reader.span(object.range), "no `file` here")
                .help("add `\"file\": \"specs/dafny/model.dfy\"`, or set `formalSpec` to null"),
        );
        return None;
    };
    let lines = json::get(object, "lines").and_then(|v| read_lines(reader, v));
    Some(FormalSpec { file, lines })
}

fn read_lines(reader: &mut Reader<'_>, value: &Value<'_>) -> Option<Located<(u32, u32)>> {
    let span = reader.value_span(value);
    let range = match value {
        Value::Null(_) => return None,
        Value::String(s) => parse_line_range(&s.value),
        Value::Number(n) => n.value.parse().ok().map(|l| (l, l)),
        Value::Array(a) => match a.elements.as_slice() {
            [Value::Number(from), Value::Number(to)] => {
                from.value.parse().ok().zip(to.value.parse().ok())
            }
            _ => None,
        },
        _ => None,
    };
    match range {
        Some((from, to)) if from >= 1 && from <= to => Some(Located::new((from, to), span)),
        _ => {
            reader.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidFormalSpec,
                    "`formalSpec.lines` is not a line range",
                )
                .at(span, "expected a range such as \"10-14\"")
                .help("write the first and last line, one-based, as \"FROM-TO\" (FROM <= TO)"),
            );
            None
        }
    }
}

/// Parses `"10-14"`, `"10"` or `"10..14"`.
fn parse_line_range(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (from, to) = text
        .split_once("..")
        .or_else(|| text.split_once('-'))
        .unwrap_or((text, text));
    Some((from.trim().parse().ok()?, to.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    fn read(text: &str) -> (SpecDocument, Diagnostics) {
        let mut sources = Sources::new();
        let file = sources.add("specs/assertions.json", text);
        let mut diagnostics = Diagnostics::new();
        let document = parse(file, text, &mut diagnostics);
        (document, diagnostics)
    }

    fn codes(diagnostics: &Diagnostics) -> Vec<Code> {
        diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn line_ranges_accept_common_forms() {
        assert_eq!(parse_line_range("10-14"), Some((10, 14)));
        assert_eq!(parse_line_range("32"), Some((32, 32)));
        assert_eq!(parse_line_range("3..4"), Some((3, 4)));
        assert_eq!(parse_line_range("x"), None);
    }

    #[test]
    fn a_missing_status_is_reported_once_at_the_id() {
        let (doc, diags) = read(
            r#"{"assertions": [{"id": "A-1", "natural": "n", "type": "invariant", "category": "structure"}]}"#,
        );
        assert!(doc.assertions.is_empty());
        assert_eq!(codes(&diags), vec![Code::MissingField]);
        let diag = diags.iter().next().expect("one diagnostic");
        assert!(diag.message.contains("status"), "{}", diag.message);
    }

    #[test]
    fn an_invalid_status_is_not_also_called_missing() {
        let (_, diags) = read(
            r#"{"assertions": [{"id": "A-1", "natural": "n", "type": "invariant", "category": "structure", "status": "approved"}]}"#,
        );
        assert_eq!(codes(&diags), vec![Code::InvalidStatus]);
    }

    #[test]
    fn underscore_types_are_known_and_odd_ones_warn() {
        let (doc, diags) = read(
            r#"{"assertions": [
                {"id": "A-1", "natural": "n", "type": "data_constraint", "category": "structure", "status": "confirmed"},
                {"id": "A-2", "natural": "n", "type": "vibe", "category": "Behavior", "status": "Confirmed"}]}"#,
        );
        assert_eq!(doc.assertions.len(), 2);
        assert_eq!(codes(&diags), vec![Code::UnknownType]);
    }

    #[test]
    fn syntax_errors_point_at_their_position() {
        let (_, diags) = read("{\"assertions\": [,]}");
        let diag = diags.iter().next().expect("one diagnostic");
        assert_eq!(diag.code, Code::MalformedJson);
        assert_eq!(diag.primary.as_ref().map(|l| l.span.start()), Some(16));
    }

    #[test]
    fn a_lone_surrogate_escape_is_named() {
        let (_, diags) = read(r#"{"assertions": [{"id": "A-1", "natural": "cut \ud83d"}]}"#);
        let diag = diags.iter().next().expect("one diagnostic");
        assert_eq!(diag.code, Code::MalformedJson);
        assert!(diag.message.contains("surrogate"), "{}", diag.message);
    }

    #[test]
    fn a_string_left_open_at_the_end_of_its_line_is_named() {
        let (_, diags) = read("{\"archetype\": \"web-service,\n \"assertions\": []}");
        let diag = diags.iter().next().expect("one diagnostic");
        assert!(diag.message.contains("not closed"), "{}", diag.message);
    }

    /// Each mistake is shown where it starts, not where the reader noticed it.
    #[test]
    fn syntax_errors_point_at_the_start_of_the_mistake() {
        for (text, mistake) in [
            (r#"{"a": tru, "b": 1}"#, "tru"),
            (r#"{"a": 01}"#, "01"),
            (r#"{"a": "x\qy"}"#, "\\q"),
            (r#"{"a": "é\ud800", "b": 1}"#, "\\ud800"),
            (r#"{"a": "ab\udc00z"}"#, "\\udc00"),
            ("{\"assertions\": [1,  ]}", ",  ]"),
        ] {
            let (_, diags) = read(text);
            let diag = diags.iter().next().expect("one diagnostic");
            let start = diag.primary.as_ref().expect("a label").span.start();
            assert!(
                text[start..].starts_with(mistake),
                "{text}: shown at {:?}",
                &text[start..]
            );
        }
    }

    #[test]
    fn a_byte_order_mark_keeps_spans_right() {
        let text = "\u{feff}{\"archetype\": 7}";
        let (_, diags) = read(text);
        let diag = diags.iter().next().expect("one diagnostic");
        let span = diag.primary.as_ref().expect("label").span;
        assert_eq!(&text[span.start()..span.end()], "7");
    }
}
