//! Lowering parsed declarations into the [`crate::model`]: the state shared by every kind of
//! declaration, and the checks that span more than one of them (one `app` a file, one
//! declaration a variable), which run once the whole file is read.

use std::collections::HashMap;

use super::grammar::Rule;
use super::tree::{Inner, Pair};
use super::{app, assertion, needs, strings, variables};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{
    AppDecl, Assertion, ExplicitNeed, SpecDocument, VariableDecl, is_valid_id,
    is_valid_variable_name,
};
use crate::source::{FileId, Located, Span, Text};

/// What a run of declarations says, in file order, before the checks across declarations.
#[derive(Default)]
pub(super) struct Reading {
    assertions: Vec<Assertion>,
    needs: Vec<ExplicitNeed>,
    variables: Vec<VariableDecl>,
    /// Each `app` declaration with its header (`app NAME`), which a duplicate points at.
    apps: Vec<(AppDecl, Span)>,
    diagnostics: Vec<Diagnostic>,
}

impl Reading {
    /// Adds what the declarations after this reading's say.
    pub(super) fn append(&mut self, mut later: Reading) {
        self.assertions.append(&mut later.assertions);
        self.needs.append(&mut later.needs);
        self.variables.append(&mut later.variables);
        self.apps.append(&mut later.apps);
        self.diagnostics.append(&mut later.diagnostics);
    }

    /// The document of the whole file: the first `app` declaration and the first declaration
    /// of each variable, with a diagnostic for each repeat. Returns how many problems were
    /// reported into `diagnostics`.
    pub(super) fn finish(self, diagnostics: &mut Diagnostics) -> (SpecDocument, usize) {
        let mut problems = self.diagnostics;
        let mut apps = self.apps.into_iter();
        let first = apps.next();
        if let Some((_, first_header)) = &first {
            for (_, header) in apps {
                problems.push(
                    Diagnostic::new(
                        Code::DuplicateAppDeclaration,
                        "this file declares the app twice",
                    )
                    .at(header, "second `app` declaration")
                    .also(*first_header, "first declared here")
                    .help("merge the two `app` blocks into one; the first is used"),
                );
            }
        }

        let mut seen: HashMap<Text, Span> = HashMap::new();
        let mut variables = Vec::with_capacity(self.variables.len());
        for variable in self.variables {
            let name = &variable.name;
            if let Some(&first) = seen.get(&name.value) {
                problems.push(
                    Diagnostic::new(
                        Code::DuplicateVariable,
                        format!("`{}` is declared twice", name.value),
                    )
                    .at(name.span, "declared again here")
                    .also(first, "first declared here")
                    .help(format!(
                        "keep one declaration of `{}`; the first is used",
                        name.value
                    )),
                );
            } else {
                seen.insert(name.value.clone(), name.span);
                variables.push(variable);
            }
        }

        let count = problems.len();
        diagnostics.extend(problems);
        // Held until every file is merged: a tenth of a large check's memory is the room a
        // growing list keeps, and shrinking in place costs no copy.
        let mut assertions = self.assertions;
        assertions.shrink_to_fit();
        let document = SpecDocument {
            app: first.map(|(app, _)| app),
            context: None,
            assertions,
            needs: self.needs,
            variables,
        };
        (document, count)
    }
}

/// Lowers the declarations of one file, or of one run of them: where spans point, where
/// problems go, what was read so far.
pub(super) struct Lowering {
    file: FileId,
    /// Offset of the text being lowered; the tree's positions are relative to it.
    offset: usize,
    reading: Reading,
}

impl Lowering {
    /// A lowering of declarations in `file`.
    pub(super) fn new(file: FileId) -> Self {
        Self {
            file,
            offset: 0,
            reading: Reading::default(),
        }
    }

    /// Lowers the declarations of a run of text parsed from byte `offset` on.
    pub(super) fn piece(&mut self, offset: usize, pairs: Inner<'_>) {
        self.offset = offset;
        let declarations = pairs
            .flat_map(Pair::into_inner)
            .filter(|p| p.as_rule() == Rule::top_decl)
            .flat_map(Pair::into_inner);
        for declaration in declarations {
            match declaration.as_rule() {
                Rule::app_decl => {
                    let app = app::lower(self, declaration);
                    self.reading.apps.push(app);
                }
                Rule::assertion_decl => {
                    if let Some(assertion) = assertion::lower(self, declaration) {
                        self.reading.assertions.push(assertion);
                    }
                }
                Rule::need_decl => {
                    if let Some(need) = needs::lower(self, declaration) {
                        self.reading.needs.push(need);
                    }
                }
                Rule::variable_decl => {
                    if let Some(variable) = variables::lower(self, declaration) {
                        self.reading.variables.push(variable);
                    }
                }
                _ => {}
            }
        }
    }

    /// The file read.
    pub(super) fn file(&self) -> FileId {
        self.file
    }

    /// What was read.
    pub(super) fn into_reading(self) -> Reading {
        self.reading
    }

    /// Records a problem.
    pub(super) fn report(&mut self, diagnostic: Diagnostic) {
        self.reading.diagnostics.push(diagnostic);
    }

    /// The span `pair` covers in the file.
    pub(super) fn span(&self, pair: &Pair<'_>) -> Span {
        Span::new(
            self.file,
            self.offset + pair.start(),
            self.offset + pair.end(),
        )
    }

    /// The span of the first `len` bytes of `pair`: the keyword it opens with.
    pub(super) fn keyword_span(&self, pair: &Pair<'_>, len: usize) -> Span {
        let end = (pair.start() + len).min(pair.end());
        Span::new(self.file, self.offset + pair.start(), self.offset + end)
    }

    /// The span from the first to the last token of `pair`, leaving out the spaces, line breaks
    /// and comments pest may count at the end of a rule whose last part is optional.
    pub(super) fn tight_span(&self, pair: &Pair<'_>) -> Span {
        let start = pair.start();
        let mut last = *pair;
        // A quoted string ends with its closing quote, which is not a token of its own.
        while last.as_rule() != Rule::quoted_string {
            let Some(inner) = last
                .into_inner()
                .filter(|p| !matches!(p.as_rule(), Rule::line_end | Rule::line_comment))
                .last()
            else {
                break;
            };
            last = inner;
        }
        let end = last.end().max(start);
        Span::new(self.file, self.offset + start, self.offset + end)
    }

    /// The value of a quoted string, a bare word or a phrase of words, with its span. For a
    /// quoted string the span covers the quotes; for a phrase it runs from the first word to the
    /// last, and the value is the text as written between them.
    pub(super) fn text(&mut self, pair: &Pair<'_>) -> Located<Text> {
        let span = self.span(pair);
        if pair.as_rule() != Rule::quoted_string {
            return Located::new(Text::from(pair.as_str()), span);
        }
        let (value, bad) = strings::unescape(pair.as_str());
        for range in bad {
            let at = Span::new(
                self.file,
                span.start() + range.start,
                span.start() + range.end,
            );
            self.report(
                Diagnostic::new(Code::SpecSyntax, "this escape names no Unicode character")
                    .at(at, "not a Unicode scalar value")
                    .help("`\\u{...}` takes a code point from 0 to 10FFFF, outside D800 to DFFF"),
            );
        }
        Located::new(value.into(), span)
    }

    /// An assertion id, checked with [`is_valid_id`].
    pub(super) fn id(&mut self, pair: &Pair<'_>) -> Located<Text> {
        let id = self.text(pair);
        if !is_valid_id(&id.value) {
            self.report(
                Diagnostic::new(
                    Code::InvalidId,
                    format!("`{}` is not a valid assertion id", id.value),
                )
                .at(id.span, "not an id")
                .help(
                    "an id starts with a letter and holds letters, digits, `-`, `_`, `.` and \
                     `:`, at most 128 characters (`A-001`)",
                ),
            );
        }
        id
    }

    /// Every assertion id of an `id_list` pair, each checked.
    pub(super) fn ids(&mut self, list: Pair<'_>) -> Vec<Located<Text>> {
        list.into_inner()
            .filter(|p| p.as_rule() == Rule::assertion_ref)
            .map(|p| self.id(&p))
            .collect()
    }

    /// The ids of a `because` clause.
    pub(super) fn because(&mut self, clause: Pair<'_>) -> Vec<Located<Text>> {
        clause
            .into_inner()
            .filter(|p| p.as_rule() == Rule::id_list)
            .flat_map(|list| self.ids(list))
            .collect()
    }

    /// A variable name, checked with [`is_valid_variable_name`].
    pub(super) fn variable_name(&mut self, pair: &Pair<'_>) -> Located<Text> {
        let name = self.text(pair);
        if !is_valid_variable_name(&name.value) {
            let upper = name.value.to_ascii_uppercase().replace(['-', '.'], "_");
            let help = if is_valid_variable_name(&upper) {
                format!("write it as `{upper}`: upper-case letters, digits and `_`")
            } else {
                "a variable name is upper-case letters, digits and `_`, not starting with a \
                 digit, at most 128 characters (`PAYMENT_GATEWAY_URL`)"
                    .to_owned()
            };
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is not a valid variable name", name.value),
                )
                .at(name.span, "not a variable name")
                .help(help),
            );
        }
        name
    }
}

/// The inner pairs of `pair` that carry a value (not keywords, commas or line breaks).
pub(super) fn values(pair: Pair<'_>) -> impl Iterator<Item = Pair<'_>> {
    pair.into_inner().filter(|p| {
        matches!(
            p.as_rule(),
            Rule::quoted_string
                | Rule::bare_word
                | Rule::word_phrase
                | Rule::assertion_ref
                | Rule::variable_name
                | Rule::technology_name
        )
    })
}

/// The fields already given in one block, so that a second one is reported.
#[derive(Default)]
pub(super) struct Seen {
    fields: Vec<(&'static str, Span)>,
}

impl Seen {
    /// Whether `field` (at `span`) is given for the first time in this `owner` (`assertion`,
    /// `app`); a repeat is reported as an error and should be ignored.
    pub(super) fn first(
        &mut self,
        lowering: &mut Lowering,
        field: &'static str,
        span: Span,
        owner: &str,
    ) -> bool {
        let Some(&(_, first)) = self.fields.iter().find(|(name, _)| *name == field) else {
            self.fields.push((field, span));
            return true;
        };
        lowering.report(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{field}` is given twice in this {owner}"),
            )
            .at(span, format!("second `{field}`"))
            .also(first, "first given here")
            .help(format!("keep one `{field}`; the first is used")),
        );
        false
    }

    /// Whether `field` was given at all.
    pub(super) fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| *name == field)
    }
}
