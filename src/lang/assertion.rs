//! Lowering `assertion ID "TEXT" { ... }` into an [`Assertion`].

use super::tree::Pair;

use super::grammar::Rule;
use super::lower::{Lowering, Seen, values};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Assertion, Category, FormalSpec, KNOWN_TYPES, Status, normalize_type};
use crate::source::{Located, Span, Text};

/// The fields of an assertion block as they are read.
#[derive(Default)]
struct Fields {
    seen: Seen,
    kind: Option<Located<Text>>,
    category: Option<Located<Category>>,
    status: Option<Located<Status>>,
    source: Option<Located<Text>>,
    entity: Option<Located<Text>>,
    property: Option<Located<Text>>,
    constraint: Option<Located<Text>>,
    formal_spec: Option<FormalSpec>,
    dependencies: Vec<Located<Text>>,
    refined_from: Option<Located<Text>>,
    tags: Vec<Located<Text>>,
}

/// The assertion an `assertion_decl` pair declares, or `None` when a required part is missing
/// or invalid (each problem is reported).
pub(super) fn lower(lowering: &mut Lowering, declaration: Pair<'_>) -> Option<Assertion> {
    // An assertion ends with its block's `}`, so pest's span is exact.
    let span = lowering.span(&declaration);
    let keyword = lowering.keyword_span(&declaration, "assertion".len());
    let mut id = None;
    let mut natural = None;
    let mut fields = Fields::default();
    for part in declaration.into_inner() {
        match part.as_rule() {
            Rule::assertion_ref => id = Some(lowering.id(&part)),
            Rule::quoted_string => natural = Some(lowering.text(&part)),
            Rule::assertion_block => {
                for field in part
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::assertion_field)
                    .flat_map(Pair::into_inner)
                {
                    fields.read(lowering, field);
                }
            }
            _ => {}
        }
    }

    let Some(id) = id else {
        lowering.report(
            Diagnostic::new(Code::MissingField, "this assertion has no id")
                .at(keyword, "no id after `assertion`")
                .help("write the id after `assertion`: `assertion A-001 \"What must hold\" {`"),
        );
        return None;
    };
    let at = id.span;
    let missing = |field: &str, help: &str| {
        Diagnostic::new(
            Code::MissingField,
            format!("assertion `{}` has no {field}", id.value),
        )
        .at(at, format!("this assertion needs {field}"))
        .help(help.to_owned())
    };

    // Each missing part is reported; the assertion is kept only when all are there and valid.
    if natural.is_none() {
        lowering.report(missing(
            "text",
            &format!(
                "write the text after the id: `assertion {} \"What must hold\" {{`",
                id.value
            ),
        ));
    }
    for (field, help) in [
        ("type", "add a line such as `type invariant` to its block"),
        (
            "category",
            "add a line `category structure` or `category behavior` to its block",
        ),
        (
            "status",
            "add a line such as `status confirmed` to its block",
        ),
    ] {
        if !fields.seen.has(field) {
            lowering.report(missing(&format!("`{field}`"), help));
        }
    }
    let (Some(natural), Some(kind), Some(category), Some(status)) =
        (natural, fields.kind, fields.category, fields.status)
    else {
        return None;
    };
    // A list grown by pushes has room for four; most assertions name one or two.
    fields.dependencies.shrink_to_fit();
    fields.tags.shrink_to_fit();
    Some(Assertion {
        id,
        natural,
        kind,
        category,
        status,
        source: fields.source,
        entity: fields.entity,
        property: fields.property,
        constraint: fields.constraint.map(Box::new),
        formal_spec: fields.formal_spec.map(Box::new),
        dependencies: fields.dependencies,
        refined_from: fields.refined_from.map(Box::new),
        tags: fields.tags,
        span,
    })
}

impl Fields {
    /// Reads one field pair (`type_field`, `tags_field`, ...).
    fn read(&mut self, lowering: &mut Lowering, field: Pair<'_>) {
        let rule = field.as_rule();
        // Only a `formal spec` field ends in an optional part, after which pest may have counted
        // spaces; every other field ends with its last token.
        let span = if rule == Rule::formal_field {
            lowering.tight_span(&field)
        } else {
            lowering.span(&field)
        };

        // List fields may be given more than once and add up; other fields are given once.
        match rule {
            Rule::depends_field => {
                let lists = field.into_inner().filter(|p| p.as_rule() == Rule::id_list);
                for list in lists {
                    let ids = lowering.ids(list);
                    self.dependencies.extend(ids);
                }
                return;
            }
            Rule::tags_field => {
                let lists = field.into_inner().filter(|p| p.as_rule() == Rule::tag_list);
                for tag in lists.flat_map(values) {
                    self.tags.push(lowering.text(&tag));
                }
                return;
            }
            _ => {}
        }
        let Some(name) = field_name(&field) else {
            return;
        };
        if !self.seen.first(lowering, name, span, "assertion") {
            return;
        }
        if rule == Rule::formal_field {
            self.formal_spec = formal_spec(lowering, field);
            return;
        }
        let Some(value) = values(field).next() else {
            return;
        };
        if name == "refines" {
            self.refined_from = Some(lowering.id(&value));
            return;
        }
        let text = lowering.text(&value);
        match name {
            "type" => self.kind = Some(check_type(lowering, text)),
            "category" => self.category = category(lowering, &text),
            "status" => self.status = status(lowering, &text),
            "source" => self.source = Some(text),
            "entity" => self.entity = Some(text),
            "property" => self.property = Some(text),
            "constraint" => self.constraint = Some(text),
            _ => {}
        }
    }
}

/// How the documentation and diagnostics name the field a pair gives, which for the fields
/// that share a rule is their key.
fn field_name(field: &Pair<'_>) -> Option<&'static str> {
    Some(match field.as_rule() {
        Rule::text_field | Rule::name_field => {
            let key = field.as_str().split([' ', '\t', '"']).next()?;
            ["type", "category", "status", "source", "entity", "property"]
                .into_iter()
                .find(|name| *name == key)?
        }
        Rule::constraint_field => "constraint",
        Rule::formal_field => "formal spec",
        Rule::refines_field => "refines",
        _ => return None,
    })
}

/// The type as written; a type outside [`KNOWN_TYPES`] is kept and warned about.
fn check_type(lowering: &mut Lowering, kind: Located<Text>) -> Located<Text> {
    if !KNOWN_TYPES.contains(&normalize_type(&kind.value).as_str()) {
        lowering.report(
            Diagnostic::new(
                Code::UnknownType,
                format!("`{}` is not a known assertion type", kind.value),
            )
            .at(kind.span, "unknown type")
            .help(format!(
                "the known types are {}; an unknown type is kept as written",
                KNOWN_TYPES.join(", ")
            )),
        );
    }
    kind
}

fn category(lowering: &mut Lowering, text: &Located<Text>) -> Option<Located<Category>> {
    if let Some(category) = Category::parse(&text.value) {
        return Some(Located::new(category, text.span));
    }
    lowering.report(
        Diagnostic::new(
            Code::InvalidCategory,
            format!("`{}` is not an assertion category", text.value),
        )
        .at(text.span, "not `structure` or `behavior`")
        .help(
            "write `category structure` for data and shapes, or `category behavior` for what \
             happens over time",
        ),
    );
    None
}

fn status(lowering: &mut Lowering, text: &Located<Text>) -> Option<Located<Status>> {
    if let Some(status) = Status::parse(&text.value) {
        return Some(Located::new(status, text.span));
    }
    let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    lowering.report(
        Diagnostic::new(
            Code::InvalidStatus,
            format!("`{}` is not an assertion status", text.value),
        )
        .at(text.span, "unknown status")
        .help(format!("the statuses are {}", all.join(", "))),
    );
    None
}

/// The `formal spec FILE lines A to B` link; a range that cannot be right is reported and
/// left out, and the file is kept.
fn formal_spec(lowering: &mut Lowering, field: Pair<'_>) -> Option<FormalSpec> {
    let mut file = None;
    let mut lines = None;
    for part in field.into_inner() {
        match part.as_rule() {
            Rule::quoted_string | Rule::bare_word => file = Some(lowering.text(&part)),
            Rule::line_range => lines = line_range(lowering, &part),
            _ => {}
        }
    }
    file.map(|file| FormalSpec { file, lines })
}

fn line_range(lowering: &mut Lowering, range: &Pair<'_>) -> Option<Located<(u32, u32)>> {
    let span = lowering.span(range);
    let numbers: Vec<(Option<u32>, Span)> = range
        .into_inner()
        .filter(|p| p.as_rule() == Rule::line_number)
        .map(|p| (p.as_str().parse::<u32>().ok(), lowering.span(&p)))
        .collect();
    let (first, last) = match numbers.as_slice() {
        [one] => (*one, *one),
        [first, last] => (*first, *last),
        _ => return None,
    };
    let (at, message) = match (first, last) {
        ((None, at), _) | (_, (None, at)) => (at, "this line number is too large"),
        ((Some(0), at), _) | (_, (Some(0), at)) => (at, "lines are numbered from 1"),
        ((Some(a), _), (Some(b), _)) if b < a => (span, "this line range ends before it starts"),
        ((Some(a), _), (Some(b), _)) => return Some(Located::new((a, b), span)),
    };
    lowering.report(
        Diagnostic::new(Code::InvalidFormalSpec, message)
            .at(at, "not a usable line range")
            .help("write `lines FIRST to LAST` with 1 <= FIRST <= LAST, or `line N`"),
    );
    None
}
