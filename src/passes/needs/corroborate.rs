//! Which rule firings may make needs: generic words in prose need a second source, and an
//! item that names a technology specdeploy does not provision makes nothing of that kind.

use std::collections::BTreeMap;

use super::{Hit, Item};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::Provenance;
use crate::model::{ExplicitNeed, NeedKind};
use crate::passes::rules::{Field, OTHER_TECHNOLOGIES};
use crate::source::Span;

/// Whether `item` names a technology of `kind` that specdeploy does not provision.
fn names_other_technology(item: &Item<'_>, kind: NeedKind) -> Option<&'static str> {
    item.words.iter().find_map(|w| {
        OTHER_TECHNOLOGIES
            .iter()
            .find(|(word, k, _)| *k == kind && w.text == *word)
            .map(|(_, _, name)| *name)
    })
}

/// Keeps the hits that may make needs. Generic words in prose need a second source of the
/// same kind; an item that names a technology specdeploy does not provision makes nothing of
/// that kind. What is dropped is said, as a note or a warning.
pub(super) fn corroborated<'a>(
    hits: Vec<Hit<'a>>,
    items: &[Item<'_>],
    declared: &[ExplicitNeed],
    diagnostics: &mut Diagnostics,
) -> Vec<Hit<'a>> {
    let prose_only =
        |hit: &Hit<'_>| hit.rule.technology.is_none() && hit.item.field == Field::Natural;
    let mut unconfirmed: BTreeMap<NeedKind, Vec<Provenance>> = BTreeMap::new();
    // An assertion that names another technology of a kind anywhere (its text or its tags)
    // makes nothing of that kind; nor does a boundary or actor that names one.
    let vetoed: Vec<(Option<&str>, NeedKind, Span)> = items
        .iter()
        .flat_map(|item| {
            OTHER_TECHNOLOGIES
                .iter()
                .filter(|(word, _, _)| item.words.iter().any(|w| w.text == *word))
                .map(move |(_, kind, _)| (item.assertion, *kind, item.text.span))
        })
        .collect();
    let other = |hit: &Hit<'_>| {
        vetoed.iter().any(|(assertion, kind, span)| {
            *kind == hit.rule.kind
                && match (assertion, hit.item.assertion) {
                    (Some(a), Some(b)) => *a == b,
                    _ => *span == hit.item.text.span,
                }
        })
    };
    let confirmed_kinds: Vec<NeedKind> = hits
        .iter()
        .filter(|h| !prose_only(h) && !other(h))
        .map(|h| h.rule.kind)
        .chain(declared.iter().map(|d| d.kind.value))
        .collect();
    let mut kept = Vec::new();
    let mut reported: Vec<Span> = Vec::new();
    for hit in hits {
        if other(&hit) {
            let naming = vetoed.iter().find(|(assertion, kind, span)| {
                *kind == hit.rule.kind
                    && (assertion.is_some() && *assertion == hit.item.assertion
                        || *span == hit.item.text.span)
            });
            if let Some((_, kind, span)) = naming {
                if !reported.contains(span) {
                    reported.push(*span);
                    let name = items
                        .iter()
                        .find(|i| i.text.span == *span)
                        .and_then(|i| names_other_technology(i, *kind))
                        .unwrap_or("another technology");
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnsupportedTechnology,
                            format!("{name} is named here, and specdeploy does not provision it"),
                        )
                        .at(*span, format!("names {name}"))
                        .help(format!(
                            "run {name} yourself and declare its variables (`config NAME` in a .spec file), or declare `needs {} ...` with a technology specdeploy provides",
                            kind.as_str()
                        )),
                    );
                }
            }
            continue;
        }
        if prose_only(&hit) && !confirmed_kinds.contains(&hit.rule.kind) {
            unconfirmed
                .entry(hit.rule.kind)
                .or_default()
                .push(hit.provenance());
            continue;
        }
        kept.push(hit);
    }
    for (kind, provenance) in unconfirmed {
        let mut ids: Vec<&str> = provenance
            .iter()
            .filter_map(|p| p.assertion.as_deref())
            .collect();
        ids.dedup();
        let words = provenance.first().map_or("", |p| p.matched.as_str());
        let mut d = Diagnostic::new(
            Code::ProseOnlyNeed,
            format!(
                "assertion {} says `{words}` ({}) only in its text, so nothing is provisioned for it",
                ids.join(", "),
                kind.as_str()
            ),
        )
        .help(format!(
            "if the app needs it, declare it (`needs {} ... because {}`) or tag the assertion; if not, nothing needs to change",
            kind.as_str(),
            ids.first().copied().unwrap_or("ID")
        ));
        if let Some(span) = provenance.first().and_then(|p| p.span) {
            d = d.at(span, "only here, in prose");
        }
        diagnostics.push(d);
    }
    kept
}
