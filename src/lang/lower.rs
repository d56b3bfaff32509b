//! Lowering parsed declarations into the [`crate::model`]: the state shared by every kind of
//! declaration, and the checks that span more than one of them (one `app` a file, one
//! declaration a variable).

use std::collections::HashMap;

use pest::iterators::{Pair, Pairs};

use super::grammar::Rule;
use super::{app, assertion, needs, strings, variables};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{SpecDocument, is_valid_id, is_valid_variable_name};
use crate::source::{FileId, Located, Span};

/// What lowering one file needs: where spans point, where problems go, what was read so far.
pub(super) struct Lowering<'d> {
    file: FileId,
    /// Offset of the declaration being lowered; pest's positions are relative to it.
    offset: usize,
    diagnostics: &'d mut Diagnostics,
    document: SpecDocument,
    /// How many problems were reported.
    reported: usize,
    /// The header (`app NAME`) of the first `app` declaration.
    first_app: Option<Span>,
    /// The name span of each variable declared so far.
    variables: HashMap<String, Span>,
}

impl<'d> Lowering<'d> {
    /// A lowering of `file` that reports into `diagnostics`.
    pub(super) fn new(file: FileId, diagnostics: &'d mut Diagnostics) -> Self {
        Self {
            file,
            offset: 0,
            reported: 0,
            diagnostics,
            document: SpecDocument::default(),
            first_app: None,
            variables: HashMap::new(),
        }
    }

    /// Lowers the declarations of one piece of the file, parsed from byte `offset` on.
    pub(super) fn piece(&mut self, offset: usize, pairs: Pairs<'_, Rule>) {
        self.offset = offset;
        let declarations = pairs
            .flat_map(Pair::into_inner)
            .filter(|p| p.as_rule() == Rule::declaration)
            .flat_map(Pair::into_inner);
        for declaration in declarations {
            match declaration.as_rule() {
                Rule::app_decl => self.app(declaration),
                Rule::assertion_decl => {
                    if let Some(assertion) = assertion::lower(self, declaration) {
                        self.document.assertions.push(assertion);
                    }
                }
                Rule::need_decl => {
                    if let Some(need) = needs::lower(self, declaration) {
                        self.document.needs.push(need);
                    }
                }
                Rule::variable_decl => self.variable(declaration),
                _ => {}
            }
        }
    }

    /// The document read so far, and how many problems were reported while reading it.
    pub(super) fn finish(self) -> (SpecDocument, usize) {
        (self.document, self.reported)
    }

    fn app(&mut self, declaration: Pair<'_, Rule>) {
        let (decl, header) = app::lower(self, declaration);
        if let Some(first) = self.first_app {
            self.report(
                Diagnostic::new(
                    Code::DuplicateAppDeclaration,
                    "this file declares the app twice",
                )
                .at(header, "second `app` declaration")
                .also(first, "first declared here")
                .help("merge the two `app` blocks into one; the first is used"),
            );
        } else {
            self.first_app = Some(header);
            self.document.app = Some(decl);
        }
    }

    fn variable(&mut self, declaration: Pair<'_, Rule>) {
        let Some(variable) = variables::lower(self, declaration) else {
            return;
        };
        let name = &variable.name;
        if let Some(&first) = self.variables.get(&name.value) {
            let diagnostic = Diagnostic::new(
                Code::DuplicateVariable,
                format!("`{}` is declared twice", name.value),
            )
            .at(name.span, "declared again here")
            .also(first, "first declared here")
            .help(format!(
                "keep one declaration of `{}`; the first is used",
                name.value
            ));
            self.report(diagnostic);
        } else {
            self.variables.insert(name.value.clone(), name.span);
            self.document.variables.push(variable);
        }
    }

    /// Records a problem.
    pub(super) fn report(&mut self, diagnostic: Diagnostic) {
        self.reported += 1;
        self.diagnostics.push(diagnostic);
    }

    /// The span `pair` covers in the file.
    pub(super) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(
            self.file,
            self.offset + span.start(),
            self.offset + span.end(),
        )
    }

    /// The span from the first to the last token of `pair`, leaving out the spaces, line breaks
    /// and comments pest may count at the end of a rule whose last part is optional.
    pub(super) fn tight_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        let mut last = pair.clone();
        while let Some(inner) = last
            .clone()
            .into_inner()
            .rev()
            .find(|p| !matches!(p.as_rule(), Rule::line_end | Rule::line_comment))
        {
            last = inner;
        }
        let end = last.as_span().end().max(start);
        Span::new(self.file, self.offset + start, self.offset + end)
    }

    /// The value of a quoted string, a bare word or a phrase of words, with its span. For a
    /// quoted string the span covers the quotes; for a phrase it runs from the first word to the
    /// last, and the value is the text as written between them.
    pub(super) fn text(&mut self, pair: &Pair<'_, Rule>) -> Located<String> {
        let span = self.span(pair);
        if pair.as_rule() != Rule::quoted_string {
            return Located::new(pair.as_str().to_owned(), span);
        }
        let (value, bad) = strings::unescape(pair.as_str());
        for range in bad {
            let at = Span::new(self.file, span.start + range.start, span.start + range.end);
            self.report(
                Diagnostic::new(Code::SpecSyntax, "this escape names no Unicode character")
                    .at(at, "not a Unicode scalar value")
                    .help("`\\u{...}` takes a code point from 0 to 10FFFF, outside D800 to DFFF"),
            );
        }
        Located::new(value, span)
    }

    /// An assertion id, checked with [`is_valid_id`].
    pub(super) fn id(&mut self, pair: &Pair<'_, Rule>) -> Located<String> {
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
    pub(super) fn ids(&mut self, list: Pair<'_, Rule>) -> Vec<Located<String>> {
        list.into_inner()
            .filter(|p| p.as_rule() == Rule::assertion_ref)
            .map(|p| self.id(&p))
            .collect()
    }

    /// The ids of a `because` clause.
    pub(super) fn because(&mut self, clause: Pair<'_, Rule>) -> Vec<Located<String>> {
        clause
            .into_inner()
            .filter(|p| p.as_rule() == Rule::id_list)
            .flat_map(|list| self.ids(list))
            .collect()
    }

    /// A variable name, checked with [`is_valid_variable_name`].
    pub(super) fn variable_name(&mut self, pair: &Pair<'_, Rule>) -> Located<String> {
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
pub(super) fn values(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| {
        matches!(
            p.as_rule(),
            Rule::quoted_string
                | Rule::bare_word
                | Rule::word_phrase
                | Rule::assertion_ref
                | Rule::variable_name
                | Rule::technology
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
        lowering: &mut Lowering<'_>,
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
