//! Which rule firings may make needs: generic words in prose need a second source, and an
//! item that names a technology specdeploy does not provision makes nothing of that kind.

use std::collections::BTreeMap;

use super::{Hit, Item};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::Provenance;
use crate::model::{ExplicitNeed, NeedKind};
use crate::passes::rules::Field;
use crate::source::Span;
use rustc_hash::{FxHashMap, FxHashSet};

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
    // makes nothing of that kind; nor does a boundary or actor that names one. Each is held
    // with the span of the first item that names it, for the report.
    let mut by_assertion: FxHashMap<(&str, NeedKind), Span> = FxHashMap::default();
    let mut by_item: FxHashMap<(Span, NeedKind), &'static str> = FxHashMap::default();
    for item in items {
        let span = item.text.span;
        for &(kind, name) in &item.others {
            by_item.entry((span, kind)).or_insert(name);
            if let Some(id) = item.assertion {
                by_assertion.entry((id, kind)).or_insert(span);
            }
        }
    }
    // The span of the item that names another technology of the hit's kind, if one does.
    let naming = |hit: &Hit<'_>| {
        let span = hit.item.text.span;
        if let Some(id) = hit.item.assertion {
            by_assertion.get(&(id, hit.rule.kind)).copied()
        } else {
            by_item.contains_key(&(span, hit.rule.kind)).then_some(span)
        }
    };
    let mut confirmed_kinds: FxHashSet<NeedKind> = declared.iter().map(|d| d.kind.value).collect();
    confirmed_kinds.extend(
        hits.iter()
            .filter(|h| !prose_only(h) && naming(h).is_none())
            .map(|h| h.rule.kind),
    );
    let mut reported: FxHashSet<Span> = FxHashSet::default();
    // Filtered where they are: the list of hits is as long as the texts that fire.
    let kept = hits
        .into_iter()
        .filter(|hit| {
            if let Some(span) = naming(hit) {
                let kind = hit.rule.kind;
                if reported.insert(span) {
                    let name = by_item
                        .get(&(span, kind))
                        .copied()
                        .unwrap_or("another technology");
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnsupportedTechnology,
                            format!("{name} is named here, and specdeploy does not provision it"),
                        )
                        .at(span, format!("names {name}"))
                        .help(format!(
                            "run {name} yourself and declare its variables (`config NAME` in a .spec file), or declare `needs {} ...` with a technology specdeploy provides",
                            kind.as_str()
                        )),
                    );
                }
                return false;
            }
            if prose_only(hit) && !confirmed_kinds.contains(&hit.rule.kind) {
                unconfirmed
                    .entry(hit.rule.kind)
                    .or_default()
                    .push(hit.provenance());
                return false;
            }
            true
        })
        .collect();
    for (kind, provenance) in unconfirmed {
        let mut ids: Vec<&str> = provenance
            .iter()
            .filter_map(|p| p.assertion.as_deref())
            .collect();
        ids.dedup();
        let words = provenance.first().map_or("", |p| &*p.matched);
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
