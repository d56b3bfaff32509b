//! Infers what the app needs from outside its process: database, cache, queue, object
//! storage and external APIs. Explicit needs from `.spec` files come first; then the rules of
//! [`super::rules`] over boundaries, tags, actors, assertion text and dependencies.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

mod apis;
mod corroborate;

use super::rules::{self, Field, RULES, Rule};
use super::words::{self, Word};
use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Need, Provenance, Technology};
use crate::model::{ExplicitNeed, NeedKind};
use crate::source::{Located, Sources, Span};
use apis::external_apis;
use corroborate::corroborated;
use rustc_hash::{FxHashMap, FxHashSet};

/// A piece of spec text a rule can fire on.
struct Item<'a> {
    field: Field,
    assertion: Option<&'a str>,
    text: &'a Located<String>,
    words: Vec<Word<'a>>,
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
                rule: self.rule.id,
                assertion: self.item.assertion.map(Arc::from),
                field: self.item.field.as_str(),
                matched: self.item.text.value.as_str().into(),
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
            rule: self.rule.id,
            assertion: self.item.assertion.map(Arc::from),
            field: self.item.field.as_str(),
            matched: matched.into(),
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
            text: Cow::Borrowed(d.value.as_str()),
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
    let mut by_first_word: FxHashMap<&str, Vec<(&'static Rule, Vec<&'static str>)>> =
        FxHashMap::default();
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
            let Some(candidates) = by_first_word.get(&*word.text) else {
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
    /// The provenances already in `provenance`: one need may gather thousands.
    held: FxHashSet<Provenance>,
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
        if need.held.insert(provenance.clone()) {
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
            rule: "explicit",
            assertion: assertion.map(|a| a.value.as_str().into()),
            field: "need declaration",
            matched: kind.as_str().into(),
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
            let api_name = apis::declared_api_name(&words::split(&name.value));
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
                    .map(|w| w.text.into_owned())
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
