//! External APIs: named by boundaries, attached to by tags and text that share their words,
//! or named anew when the text says `external … API`.

use super::{Hit, Item, Needs};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Provenance, Technology};
use crate::model::NeedKind;
use crate::passes::rules::{API_NAME_STOPWORDS, API_TAGS, Field};
use crate::passes::words::Word;
use rustc_hash::{FxHashMap, FxHashSet};

/// Names an API from the words of a text: the words just before index `end` (exclusive),
/// back to `start`, skipping filler such as `http` and stopping at other stopwords.
pub(super) fn api_name(words: &[Word<'_>], start: usize, end: usize) -> String {
    let end = end.min(words.len());
    let mut picked: Vec<&str> = Vec::new();
    for word in words[start.min(end)..end].iter().rev() {
        let text = &*word.text;
        let filler = matches!(text, "http" | "https" | "rest" | "json" | "graphql" | "api");
        if filler && picked.is_empty() {
            continue;
        }
        if API_NAME_STOPWORDS.contains(&text) || text.chars().all(|c| c.is_ascii_digit()) {
            if start == 0 && end == words.len() {
                continue;
            }
            break;
        }
        picked.push(text);
        if picked.len() == 3 && !(start == 0 && end == words.len()) {
            break;
        }
    }
    picked.reverse();
    picked.join("-")
}

/// Names an API a declaration names (`needs api NAME`): every word of the name, digits and
/// common words included, less filler such as `api` at its end.
pub(super) fn declared_api_name(words: &[Word]) -> String {
    let filler = |w: &&Word| {
        matches!(
            &*w.text,
            "http" | "https" | "rest" | "json" | "graphql" | "api"
        )
    };
    let end = words.len() - words.iter().rev().take_while(filler).count();
    let kept: Vec<&str> = words[..end].iter().map(|w| &*w.text).collect();
    if kept.is_empty() {
        words.iter().map(|w| &*w.text).collect::<Vec<_>>().join("-")
    } else {
        kept.join("-")
    }
}

/// Whether a tag marks an assertion about an external API.
pub(super) fn is_api_tag(tag: &str) -> bool {
    API_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag))
}

fn overlaps(a: &[String], b: &str) -> bool {
    b.split('-').any(|w| a.iter().any(|x| x == w))
}

/// External APIs: boundaries name them; tags and text attach to those by shared words, or
/// name new ones when the text says `external … API`.
pub(super) fn external_apis(
    items: &[Item<'_>],
    hits: &[Hit<'_>],
    needs: &mut Needs,
    diagnostics: &mut Diagnostics,
) {
    // Boundaries: `external-payment-gateway-api`, `fx-rates-http-api`, `external-auth-service`.
    for item in items.iter().filter(|i| i.field == Field::Boundary) {
        let is_api = item.words.iter().any(|w| w.text == "api")
            || (item.words.first().is_some_and(|w| w.text == "external")
                && !hits
                    .iter()
                    .any(|h| std::ptr::eq(h.item, item) && h.rule.kind != NeedKind::ExternalApi));
        if !is_api {
            continue;
        }
        let name = api_name(&item.words, 0, item.words.len());
        if name.is_empty() {
            continue;
        }
        let provenance = Provenance {
            rule: "external-api.boundary",
            assertion: None,
            field: Field::Boundary.as_str(),
            matched: item.text.value.as_str().into(),
            span: Some(item.text.span),
        };
        let gathered = needs.add(
            NeedKind::ExternalApi,
            Some(&name),
            Some(Technology::Http),
            provenance,
        );
        gathered.words = name.split('-').map(str::to_owned).collect();
    }

    let known: Vec<(String, Vec<String>)> = needs
        .by_key
        .iter()
        .filter(|((kind, _), _)| *kind == NeedKind::ExternalApi)
        .map(|((_, name), g)| (name.clone(), g.words.clone()))
        .collect();

    // Assertions: each with an API tag, or whose text says `external … API` or names a known
    // API next to the word `API`.
    // The API hits of each item, found once: looking through every hit for each assertion
    // would cost the number of assertions times the number of hits.
    let mut api_hits: FxHashMap<*const Item<'_>, Vec<&Hit<'_>>> = FxHashMap::default();
    for hit in hits.iter().filter(|h| h.rule.kind == NeedKind::ExternalApi) {
        api_hits
            .entry(std::ptr::from_ref(hit.item))
            .or_default()
            .push(hit);
    }
    let api_tag = |item: &Item<'_>| item.field == Field::Tag && is_api_tag(&item.text.value);
    // Only the assertions with an API tag or an API hit in their text, in order of id.
    let about_apis: FxHashSet<&str> = items
        .iter()
        .filter(|i| api_tag(i) || api_hits.contains_key(&std::ptr::from_ref(*i)))
        .filter_map(|i| i.assertion)
        .collect();
    // Their items, by id and then in file order (the sort is stable): one list, where a map
    // of lists would make one for each of thousands of assertions.
    let mut by_assertion: Vec<(&str, &Item<'_>)> = items
        .iter()
        .filter_map(|item| Some((item.assertion.filter(|id| about_apis.contains(id))?, item)))
        .collect();
    by_assertion.sort_by_key(|&(id, _)| id);
    for run in by_assertion.chunk_by(|a, b| a.0 == b.0) {
        let id = run[0].0;
        let mut parts = run.iter().map(|&(_, item)| item);
        let tag = parts.clone().find(|i| api_tag(i));
        let Some(natural) = parts.find(|i| i.field == Field::Natural) else {
            continue;
        };
        let mut found = false;
        let natural_hits = api_hits
            .get(&std::ptr::from_ref(natural))
            .map_or(&[][..], Vec::as_slice);
        for &hit in natural_hits {
            let api_at = (hit.at..hit.at + hit.len)
                .find(|&i| natural.words[i].text == "api" || natural.words[i].text == "service")
                .unwrap_or(hit.at);
            let name = api_name(&natural.words, api_at.saturating_sub(4), api_at);
            let external_said = natural.words[api_at.saturating_sub(4)..api_at]
                .iter()
                .any(|w| w.text == "external" || w.text == "third");
            let matching = known
                .iter()
                .find(|(_, w)| overlaps(w, &name))
                .map(|(n, _)| n.clone());
            let target = match matching {
                Some(known_name) => known_name,
                None if (external_said || tag.is_some()) && !name.is_empty() => name.clone(),
                None => continue,
            };
            // Show the words that name the API, not only the word `API`.
            let name_words: Vec<&str> = name.split('-').collect();
            let from = (api_at.saturating_sub(4)..api_at)
                .find(|&i| {
                    let w = &*natural.words[i].text;
                    w == "external" || name_words.contains(&w)
                })
                .unwrap_or(api_at);
            let (start, end) = (natural.words[from].start, natural.words[api_at].end);
            let mut provenance = hit.provenance();
            provenance.matched = natural
                .text
                .value
                .get(start..end)
                .unwrap_or_default()
                .into();
            provenance.span = Some(natural.span_of(start, end));
            needs.add(
                NeedKind::ExternalApi,
                Some(&target),
                Some(Technology::Http),
                provenance,
            );
            found = true;
        }
        if found {
            continue;
        }
        if let Some(tag) = tag {
            let mut known_apis = known.iter();
            match (known_apis.next(), known_apis.next()) {
                (Some((only, _)), None) => {
                    let provenance = Provenance {
                        rule: "external-api.tag",
                        assertion: Some(id.into()),
                        field: Field::Tag.as_str(),
                        matched: tag.text.value.as_str().into(),
                        span: Some(tag.text.span),
                    };
                    let only = only.clone();
                    needs.add(NeedKind::ExternalApi, Some(&only), Some(Technology::Http), provenance);
                }
                _ => diagnostics.push(
                    Diagnostic::new(
                        Code::UnderivableConfig,
                        format!("assertion {id} is about an external API but does not say which"),
                    )
                    .at(tag.text.span, "tagged as an external API")
                    .help("name the API in the text (`the external rates API`), or declare it: `needs api NAME with url NAME_URL and key NAME_API_KEY because ID`"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::words;

    fn name(text: &str) -> String {
        let w = words::split(text);
        api_name(&w, 0, w.len())
    }

    #[test]
    fn declared_api_names_keep_digits_and_common_words() {
        let w = words::split("app-008");
        assert_eq!(declared_api_name(&w), "app-008");
        let w = words::split("the payment gateway api");
        assert_eq!(declared_api_name(&w), "the-payment-gateway");
        let w = words::split("api");
        assert_eq!(declared_api_name(&w), "api");
    }

    #[test]
    fn api_names_drop_filler_words() {
        assert_eq!(name("external-payment-gateway-api"), "payment-gateway");
        assert_eq!(name("fx-rates-http-api"), "fx-rates");
        assert_eq!(name("external-auth-service"), "auth");
    }

    #[test]
    fn api_names_from_text_stop_at_stopwords() {
        let w = words::split("fetched from the external rates API");
        let at = w.len() - 1;
        assert_eq!(api_name(&w, at - 4, at), "rates");
    }
}
