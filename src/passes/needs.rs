//! Infers what the app needs from outside its process: database, cache, queue, object
//! storage and external APIs. Explicit needs from `.spec` files come first; then the rules of
//! [`super::rules`] over boundaries, tags, actors, assertion text and dependencies.

use std::collections::{BTreeMap, HashMap};

use super::rules::{self, API_NAME_STOPWORDS, API_TAGS, Field, OTHER_TECHNOLOGIES, RULES, Rule};
use super::words::{self, Word};
use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Need, Provenance, Technology};
use crate::model::{ExplicitNeed, NeedKind};
use crate::source::{Located, Sources, Span};

/// A piece of spec text a rule can fire on.
struct Item<'a> {
    field: Field,
    assertion: Option<&'a str>,
    text: &'a Located<String>,
    words: Vec<Word>,
    /// Offset of the value's first character in the file, when the file holds the value
    /// verbatim (no escapes), so word spans can be exact.
    verbatim_at: Option<usize>,
}

impl Item<'_> {
    fn span_of(&self, from: usize, to: usize) -> Span {
        match self.verbatim_at {
            Some(at) => Span::new(self.text.span.file, at + from, at + to),
            None => self.text.span,
        }
    }
}

/// One firing of a rule.
struct Hit<'a> {
    rule: &'static Rule,
    item: &'a Item<'a>,
    /// Index of the first word of the phrase.
    at: usize,
    /// Number of words in the phrase.
    len: usize,
}

impl Hit<'_> {
    fn provenance(&self) -> Provenance {
        if self.item.field != Field::Natural {
            return Provenance {
                rule: self.rule.id.to_owned(),
                assertion: self.item.assertion.map(str::to_owned),
                field: self.item.field.as_str().to_owned(),
                matched: self.item.text.value.clone(),
                span: Some(self.item.text.span),
            };
        }
        let first = &self.item.words[self.at];
        let last = &self.item.words[self.at + self.len - 1];
        let matched = self
            .item
            .text
            .value
            .get(first.start..last.end)
            .unwrap_or_default();
        Provenance {
            rule: self.rule.id.to_owned(),
            assertion: self.item.assertion.map(str::to_owned),
            field: self.item.field.as_str().to_owned(),
            matched: matched.to_owned(),
            span: Some(self.item.span_of(first.start, last.end)),
        }
    }
}

/// Adds every need of the app to the draft.
pub fn run(input: &Input<'_>, draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let items = collect_items(input);
    let hits = find_hits(&items);
    let mut needs = Needs::default();

    explicit(&input.specs.needs, &mut needs, diagnostics);
    let hits = corroborated(hits, &items, &input.specs.needs, diagnostics);
    for hit in hits.iter().filter(|h| h.rule.kind != NeedKind::ExternalApi) {
        let gathered = needs.add(hit.rule.kind, None, hit.rule.technology, hit.provenance());
        // `kafka-topic:orders.v1`, `s3-bucket:raw-exports`: the part after the colon names
        // the topic, queue or bucket.
        if let Some((_, name)) = hit.item.text.value.split_once(':') {
            let name = name.trim();
            if hit.item.field == Field::Boundary
                && !name.is_empty()
                && !gathered.names.iter().any(|n| n == name)
            {
                gathered.names.push(name.to_owned());
            }
        }
    }
    external_apis(&items, &hits, &mut needs, diagnostics);
    draft.needs = needs.finish();
}

fn verbatim_offset(sources: &Sources, text: &Located<String>) -> Option<usize> {
    let written = sources.slice(text.span);
    if written == text.value {
        return Some(text.span.start);
    }
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    (inner == text.value).then_some(text.span.start + 1)
}

fn collect_items<'a>(input: &'a Input<'a>) -> Vec<Item<'a>> {
    let sources = &input.folder.sources;
    let item = |field, assertion, text: &'a Located<String>| Item {
        field,
        assertion,
        text,
        words: words::split(&text.value),
        verbatim_at: verbatim_offset(sources, text),
    };
    let context = &input.specs.context;
    let mut items: Vec<Item<'a>> = Vec::new();
    items.extend(
        context
            .boundaries
            .iter()
            .map(|b| item(Field::Boundary, None, b)),
    );
    items.extend(context.actors.iter().map(|a| item(Field::Actor, None, a)));
    for assertion in &input.specs.assertions {
        if !assertion.status.value.shapes_deployment() {
            continue;
        }
        let id = Some(assertion.id.value.as_str());
        items.extend(assertion.tags.iter().map(|t| item(Field::Tag, id, t)));
        items.push(item(Field::Natural, id, &assertion.natural));
    }
    items.extend(input.package.dependencies.iter().map(|d| Item {
        field: Field::Dependency,
        assertion: None,
        text: d,
        words: vec![Word {
            text: d.value.clone(),
            start: 0,
            end: d.value.len(),
            clause: 0,
        }],
        verbatim_at: verbatim_offset(sources, d),
    }));
    items
}

/// Applies the whole rule table in one scan of each item's words.
fn find_hits<'a>(items: &'a [Item<'a>]) -> Vec<Hit<'a>> {
    let mut by_first_word: HashMap<&str, Vec<(&'static Rule, Vec<&'static str>)>> = HashMap::new();
    for rule in RULES {
        for phrase in rule.phrases {
            let parts: Vec<&'static str> = if rule.fields == [Field::Dependency] {
                vec![phrase]
            } else {
                phrase.split(' ').collect()
            };
            by_first_word
                .entry(parts[0])
                .or_default()
                .push((rule, parts));
        }
    }
    let mut hits = Vec::new();
    for item in items {
        let mut fired: Vec<&'static str> = Vec::new();
        for (i, word) in item.words.iter().enumerate() {
            let Some(candidates) = by_first_word.get(word.text.as_str()) else {
                continue;
            };
            for (rule, parts) in candidates {
                let matches = rule.fields.contains(&item.field)
                    && parts
                        .iter()
                        .enumerate()
                        .all(|(k, p)| item.words.get(i + k).is_some_and(|w| w.text == *p))
                    && !words::negated(&item.words, i, parts.len())
                    && !fired.contains(&rule.id);
                if matches {
                    fired.push(rule.id);
                    hits.push(Hit {
                        rule,
                        item,
                        at: i,
                        len: parts.len(),
                    });
                }
            }
        }
    }
    hits
}

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
fn corroborated<'a>(
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

/// Needs as they are gathered, keyed by kind and (for APIs) name.
#[derive(Default)]
struct Needs {
    by_key: BTreeMap<(NeedKind, String), Gathered>,
}

#[derive(Default)]
struct Gathered {
    technology: Option<(Technology, bool)>,
    names: Vec<String>,
    required: bool,
    url_variable: Option<String>,
    key_variable: Option<String>,
    words: Vec<String>,
    provenance: Vec<Provenance>,
}

impl Needs {
    fn add(
        &mut self,
        kind: NeedKind,
        name: Option<&str>,
        technology: Option<Technology>,
        provenance: Provenance,
    ) -> &mut Gathered {
        let key = (kind, name.unwrap_or_default().to_owned());
        let need = self.by_key.entry(key).or_default();
        if let (Some(t), None) = (technology, need.technology) {
            need.technology = Some((t, provenance.rule == "explicit"));
        }
        if !need.provenance.contains(&provenance) {
            need.provenance.push(provenance);
        }
        need
    }

    fn finish(self) -> Vec<Need> {
        self.by_key
            .into_iter()
            .map(|((kind, name), gathered)| {
                let technology = gathered
                    .technology
                    .map_or_else(|| default_technology(kind), |t| t.0);
                let mut names = gathered.names;
                if !name.is_empty() && !names.contains(&name) {
                    names.insert(0, name);
                }
                Need {
                    kind,
                    technology,
                    names,
                    required: gathered.required,
                    url_variable: gathered.url_variable,
                    key_variable: gathered.key_variable,
                    provenance: gathered.provenance,
                }
            })
            .collect()
    }
}

fn default_technology(kind: NeedKind) -> Technology {
    match kind {
        NeedKind::Database => Technology::Postgres,
        NeedKind::Cache => Technology::Redis,
        NeedKind::Queue => rules::DEFAULT_QUEUE,
        NeedKind::ObjectStorage => Technology::S3,
        NeedKind::ExternalApi => Technology::Http,
    }
}

fn technology_named(kind: NeedKind, name: &str) -> Option<Technology> {
    let name = name.to_ascii_lowercase().replace('_', "-");
    let technology = match (kind, name.as_str()) {
        (NeedKind::Database, "postgres" | "postgresql" | "pg") => Technology::Postgres,
        (NeedKind::Cache, "redis" | "valkey") => Technology::Redis,
        (NeedKind::Queue, "kafka" | "redpanda") => Technology::Kafka,
        (NeedKind::Queue, "rabbitmq" | "amqp") => Technology::RabbitMq,
        (NeedKind::Queue, "nats" | "jetstream") => Technology::Nats,
        (NeedKind::Queue, "redis-streams" | "redis") => Technology::RedisStreams,
        (NeedKind::ObjectStorage, "s3" | "minio") => Technology::S3,
        _ => return None,
    };
    Some(technology)
}

fn explicit(declared: &[ExplicitNeed], needs: &mut Needs, diagnostics: &mut Diagnostics) {
    let mut chosen: HashMap<NeedKind, &ExplicitNeed> = HashMap::new();
    for need in declared {
        let kind = need.kind.value;
        let provenance = |assertion: Option<&Located<String>>| Provenance {
            rule: "explicit".to_owned(),
            assertion: assertion.map(|a| a.value.clone()),
            field: "need declaration".to_owned(),
            matched: kind.as_str().to_owned(),
            span: Some(need.span),
        };
        let provenances: Vec<Provenance> = if need.because.is_empty() {
            vec![provenance(None)]
        } else {
            need.because.iter().map(|a| provenance(Some(a))).collect()
        };
        if kind == NeedKind::ExternalApi {
            let Some(name) = &need.technology else {
                diagnostics.push(
                    Diagnostic::new(Code::UnderivableConfig, "an external API need has no name")
                        .at(need.span, "name the API")
                        .help("write `needs api NAME with url NAME_URL and key NAME_API_KEY`"),
                );
                continue;
            };
            let api_name = api_name(&words::split(&name.value), 0, usize::MAX);
            if api_name.is_empty() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnderivableConfig,
                        format!("`{}` does not name an API", name.value.escape_debug()),
                    )
                    .at(name.span, "no usable name")
                    .help("name the API with letters or digits (`needs api payment-gateway`): its variables are named after it"),
                );
                continue;
            }
            for p in provenances {
                let gathered = needs.add(kind, Some(&api_name), Some(Technology::Http), p);
                gathered.required |= need.required;
                gathered.words = words::split(&name.value)
                    .into_iter()
                    .map(|w| w.text)
                    .collect();
                gathered.url_variable = need.url_variable.as_ref().map(|v| v.value.clone());
                gathered.key_variable = need.key_variable.as_ref().map(|v| v.value.clone());
            }
            continue;
        }
        let technology = need.technology.as_ref().and_then(|name| {
            let technology = technology_named(kind, &name.value);
            if technology.is_none() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "specdeploy cannot provision `{}` as a {}",
                            name.value,
                            kind.as_str()
                        ),
                    )
                    .at(name.span, "unknown technology")
                    .help(supported(kind)),
                );
            }
            technology
        });
        if let Some(previous) = chosen.get(&kind) {
            let before = previous
                .technology
                .as_ref()
                .and_then(|t| technology_named(kind, &t.value));
            if technology.is_some() && before.is_some() && technology != before {
                diagnostics.push(
                    Diagnostic::new(
                        Code::ConflictingNeeds,
                        format!("two different {} technologies are declared", kind.as_str()),
                    )
                    .at(need.span, "declared here")
                    .also(previous.span, "and here")
                    .help(format!("keep one `needs {}` declaration", kind.as_str())),
                );
                continue;
            }
        } else {
            chosen.insert(kind, need);
        }
        for p in provenances {
            needs.add(kind, None, technology, p);
        }
    }
}

fn supported(kind: NeedKind) -> String {
    let names = match kind {
        NeedKind::Database => "postgres",
        NeedKind::Cache => "redis",
        NeedKind::Queue => "kafka, rabbitmq, nats, redis-streams",
        NeedKind::ObjectStorage => "s3",
        NeedKind::ExternalApi => "any name",
    };
    format!("supported: {names}")
}

/// Names an API from the words of a text: the words just before index `end` (exclusive),
/// back to `start`, skipping filler such as `http` and stopping at other stopwords.
fn api_name(words: &[Word], start: usize, end: usize) -> String {
    let end = end.min(words.len());
    let mut picked: Vec<&str> = Vec::new();
    for word in words[start.min(end)..end].iter().rev() {
        let text = word.text.as_str();
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

fn overlaps(a: &[String], b: &str) -> bool {
    b.split('-').any(|w| a.iter().any(|x| x == w))
}

/// External APIs: boundaries name them; tags and text attach to those by shared words, or
/// name new ones when the text says `external … API`.
fn external_apis(
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
            rule: "external-api.boundary".to_owned(),
            assertion: None,
            field: Field::Boundary.as_str().to_owned(),
            matched: item.text.value.clone(),
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
    let mut by_assertion: BTreeMap<&str, Vec<&Item<'_>>> = BTreeMap::new();
    for item in items.iter().filter(|i| i.assertion.is_some()) {
        if let Some(id) = item.assertion {
            by_assertion.entry(id).or_default().push(item);
        }
    }
    for (id, parts) in by_assertion {
        let tag = parts.iter().find(|i| {
            i.field == Field::Tag && API_TAGS.contains(&i.text.value.to_ascii_lowercase().as_str())
        });
        let Some(natural) = parts.iter().find(|i| i.field == Field::Natural) else {
            continue;
        };
        let mut found = false;
        for hit in hits
            .iter()
            .filter(|h| h.rule.kind == NeedKind::ExternalApi && std::ptr::eq(h.item, *natural))
        {
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
                    let w = natural.words[i].text.as_str();
                    w == "external" || name_words.contains(&w)
                })
                .unwrap_or(api_at);
            let (start, end) = (natural.words[from].start, natural.words[api_at].end);
            let mut provenance = hit.provenance();
            natural
                .text
                .value
                .get(start..end)
                .unwrap_or_default()
                .clone_into(&mut provenance.matched);
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
                        rule: "external-api.tag".to_owned(),
                        assertion: Some(id.to_owned()),
                        field: Field::Tag.as_str().to_owned(),
                        matched: tag.text.value.clone(),
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

    fn name(text: &str) -> String {
        let w = words::split(text);
        api_name(&w, 0, w.len())
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
