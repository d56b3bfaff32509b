//! Infers what the app needs from outside its process: database, cache, queue, object
//! storage and external APIs. Explicit needs from `.spec` files come first; then the rules of
//! [`super::rules`] over boundaries, tags, actors, assertion text and dependencies.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

mod apis;
mod corroborate;

use super::rules::{self, Field, OTHER_TECHNOLOGIES, RULES, Rule};
use super::words::{self, Word};
use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Need, Provenance, Technology};
use crate::model::{Assertion, ExplicitNeed, NeedKind};
use crate::source::{Located, Sources, Span, Text};
use apis::external_apis;
use corroborate::corroborated;
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher as _;

/// A piece of spec text a rule can fire on.
struct Item<'a> {
    field: Field,
    assertion: Option<&'a str>,
    text: &'a Located<Text>,
    /// The words, kept only where the later steps read them: boundaries, and texts that an
    /// external-API rule fired on. Holding the words of every text at once would cost more
    /// memory than the specs themselves.
    words: Vec<Word<'a>>,
    /// The technologies specdeploy does not provision that the text names, with their kind,
    /// in the order of its words.
    others: Vec<(NeedKind, &'static str)>,
    /// Offset of the value's first character in the file, when the file holds the value
    /// verbatim (no escapes), so word spans can be exact; found for an assertion's text only,
    /// the one field whose words get spans of their own.
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
    /// Byte range of the phrase in the text.
    start: usize,
    end: usize,
}

impl Hit<'_> {
    fn provenance(&self) -> Provenance {
        let (matched, span) = if self.item.field == Field::Natural {
            (
                self.item
                    .text
                    .value
                    .get(self.start..self.end)
                    .unwrap_or_default(),
                self.item.span_of(self.start, self.end),
            )
        } else {
            (self.item.text.value.as_str(), self.item.text.span)
        };
        Provenance {
            rule: self.rule.id,
            assertion: self.item.assertion.map(Arc::from),
            field: self.item.field.as_str(),
            matched: matched.into(),
            span: Some(span),
        }
    }
}

/// Adds every need of the app to the draft.
pub fn run(input: &Input<'_>, draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let (items, firings) = scan(input);
    let hits = firings
        .into_iter()
        .map(|f| Hit {
            rule: f.rule,
            item: &items[f.item],
            at: f.at,
            len: f.len,
            start: f.start,
            end: f.end,
        })
        .collect();
    let mut needs = Needs::default();

    explicit(&input.specs.needs, &mut needs, diagnostics);
    let hits = corroborated(hits, &items, &input.specs.needs, diagnostics);
    for hit in hits.iter().filter(|h| h.rule.kind != NeedKind::ExternalApi) {
        let gathered = needs.add(hit.rule.kind, None, hit.rule.technology, hit.provenance());
        // `kafka-topic:orders.v1`, `s3-bucket:raw-exports`: the part after the colon names
        // the topic, queue or bucket.
        let boundary = hit.item.field == Field::Boundary;
        if let Some((_, name)) = boundary
            .then(|| hit.item.text.value.split_once(':'))
            .flatten()
        {
            let name = name.trim();
            if !name.is_empty() && gathered.named.insert(name.to_owned()) {
                gathered.names.push(name.to_owned());
            }
        }
    }
    external_apis(&items, &hits, &mut needs, diagnostics);
    draft.needs = needs.finish();
}

fn verbatim_offset(sources: &Sources, text: &Located<Text>) -> Option<usize> {
    let written = sources.slice(text.span);
    if written == text.value {
        return Some(text.span.start());
    }
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    (inner == text.value).then_some(text.span.start() + 1)
}

/// A firing of a rule before the items are all read: the item by its index.
struct Firing {
    rule: &'static Rule,
    item: usize,
    at: usize,
    len: usize,
    start: usize,
    end: usize,
}

/// A text a rule can fire on: its field, its assertion, the text.
type Spoken<'a> = (Field, Option<&'a str>, &'a Located<Text>);

/// The texts of `assertions` that shape the deployment: tags, then the text, of each.
fn assertion_texts(assertions: &[Assertion]) -> impl Iterator<Item = Spoken<'_>> {
    assertions
        .iter()
        .filter(|a| a.status.value.shapes_deployment())
        .flat_map(|a| {
            let id = Some(a.id.value.as_str());
            a.tags
                .iter()
                .map(move |t| (Field::Tag, id, t))
                .chain(std::iter::once((Field::Natural, id, &a.natural)))
        })
}

/// Assertions from which the texts are read on two threads.
const PARALLEL_ASSERTIONS: usize = 4096;

/// Every text a rule can fire on, with every firing of the rule table: each text is split
/// into words once, and the table applied in one scan of its words. Many assertions are read
/// in two halves at once, joined in order, so the result is the same as from one thread.
fn scan<'a>(input: &'a Input<'a>) -> (Vec<Item<'a>>, Vec<Firing>) {
    let table = PhraseTable::new();
    let sources = &input.folder.sources;
    let context = &input.specs.context;
    let assertions = &input.specs.assertions[..];
    // Each run: its assertions, and whether it is the first (which reads the boundaries and
    // actors before them) and the last (which reads the dependencies after them).
    let runs = if assertions.len() < PARALLEL_ASSERTIONS {
        vec![(assertions, true, true)]
    } else {
        let (first, second) = assertions.split_at(assertions.len() / 2);
        vec![(first, true, false), (second, false, true)]
    };
    let parts = crate::parallel::in_order("specdeploy-needs", &runs, |&(part, first, last)| {
        let only = |texts: &'a [Located<Text>], keep: bool| if keep { texts } else { &[] };
        let texts = only(&context.boundaries, first)
            .iter()
            .map(|b| (Field::Boundary, None, b))
            .chain(
                only(&context.actors, first)
                    .iter()
                    .map(|a| (Field::Actor, None, a)),
            )
            .chain(assertion_texts(part))
            .chain(
                only(&input.package.dependencies, last)
                    .iter()
                    .map(|d| (Field::Dependency, None, d)),
            );
        scan_texts(&table, sources, texts)
    });
    // The first run's lists grow to hold the others': lists of their own would hold every
    // item twice for a moment.
    let mut parts = parts.into_iter();
    let (mut items, mut firings) = parts.next().unwrap_or_default();
    for (more_items, more_firings) in parts {
        let offset = items.len();
        items.extend(more_items);
        firings.extend(more_firings.into_iter().map(|f| Firing {
            item: f.item + offset,
            ..f
        }));
    }
    (items, firings)
}

/// The items and firings of `texts`, numbered from zero.
fn scan_texts<'a>(
    table: &PhraseTable,
    sources: &Sources,
    texts: impl Iterator<Item = Spoken<'a>>,
) -> (Vec<Item<'a>>, Vec<Firing>) {
    let mut items = Vec::new();
    let mut firings = Vec::new();
    let mut words = Vec::new();
    // The assertion whose tags so far include an API tag: its text is read for the API.
    let mut api_tagged = None;
    for (field, assertion, text) in texts {
        words.clear();
        if field == Field::Dependency {
            words.push(Word {
                text: Cow::Borrowed(text.value.as_str()),
                start: 0,
                end: text.value.len(),
                clause: 0,
            });
        } else {
            words::split_into(&text.value, &mut words);
        }
        let index = items.len();
        let before = firings.len();
        let mut others = Vec::new();
        table.fire(field, &words, index, &mut firings, &mut others);
        let api_firing = firings[before..]
            .iter()
            .any(|f| f.rule.kind == NeedKind::ExternalApi);
        let api_tag = field == Field::Tag && apis::is_api_tag(&text.value);
        if api_tag {
            api_tagged = assertion;
        }
        // Only the texts a later step reads again are kept: those a rule fired on, those
        // that name other technologies, boundaries, API tags and the text of an assertion
        // tagged so. Most assertions make none of them.
        let read_again = firings.len() > before
            || !others.is_empty()
            || field == Field::Boundary
            || api_tag
            || (field == Field::Natural && assertion.is_some() && assertion == api_tagged);
        if !read_again {
            continue;
        }
        let keep_words = field == Field::Boundary || api_firing;
        items.push(Item {
            field,
            assertion,
            text,
            words: if keep_words {
                words.clone()
            } else {
                Vec::new()
            },
            others,
            // Only the words of an assertion's text are given spans of their own; the file's
            // text is not read again for the others.
            verbatim_at: (field == Field::Natural)
                .then(|| verbatim_offset(sources, text))
                .flatten(),
        });
    }
    (items, firings)
}

/// The rule table by the first word of each phrase, with the unprovisioned technologies by
/// their word: one lookup a word finds both.
struct PhraseTable {
    by_word: FxHashMap<&'static str, Entry>,
}

/// What one word can start or name.
#[derive(Default)]
struct Entry {
    /// The rules with a phrase that starts with the word, and the phrase's words.
    phrases: Vec<(&'static Rule, Vec<&'static str>)>,
    /// [`OTHER_TECHNOLOGIES`] of that word, with their kind and name.
    others: Vec<(NeedKind, &'static str)>,
}

impl PhraseTable {
    fn new() -> Self {
        let mut by_word: FxHashMap<&str, Entry> = FxHashMap::default();
        for rule in RULES {
            for phrase in rule.phrases {
                let parts: Vec<&'static str> = if rule.fields == [Field::Dependency] {
                    vec![phrase]
                } else {
                    phrase.split(' ').collect()
                };
                by_word
                    .entry(parts[0])
                    .or_default()
                    .phrases
                    .push((rule, parts));
            }
        }
        for &(word, kind, name) in OTHER_TECHNOLOGIES {
            by_word.entry(word).or_default().others.push((kind, name));
        }
        Self { by_word }
    }

    /// Adds to `firings` every rule that fires on `words`, the words of item `item` (each
    /// rule at most once an item), and to `others` the unprovisioned technologies they name.
    fn fire(
        &self,
        field: Field,
        words: &[Word<'_>],
        item: usize,
        firings: &mut Vec<Firing>,
        others: &mut Vec<(NeedKind, &'static str)>,
    ) {
        let mut fired: Vec<&'static str> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            let Some(entry) = self.by_word.get(&*word.text) else {
                continue;
            };
            others.extend_from_slice(&entry.others);
            for (rule, parts) in &entry.phrases {
                let matches = rule.fields.contains(&field)
                    && parts
                        .iter()
                        .enumerate()
                        .all(|(k, p)| words.get(i + k).is_some_and(|w| w.text == *p))
                    && !words::negated(words, i, parts.len())
                    && !fired.contains(&rule.id);
                if matches {
                    fired.push(rule.id);
                    firings.push(Firing {
                        rule,
                        item,
                        at: i,
                        len: parts.len(),
                        start: word.start,
                        end: words[i + parts.len() - 1].end,
                    });
                }
            }
        }
    }
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
    /// The names in `names`: a need can gather thousands, one for each boundary.
    named: rustc_hash::FxHashSet<String>,
    required: bool,
    url_variable: Option<String>,
    key_variable: Option<String>,
    words: Vec<String>,
    provenance: Vec<Provenance>,
    /// The provenances already in `provenance`, by their index there: one need may gather
    /// one for each of a hundred thousand assertions, and a copy of each would double them.
    held: HashTable<u32>,
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
        let Gathered {
            provenance: list,
            held,
            ..
        } = need;
        let hash = FxBuildHasher.hash_one(&provenance);
        if held
            .find(hash, |&i| list[i as usize] == provenance)
            .is_none()
        {
            let index = u32::try_from(list.len()).unwrap_or(u32::MAX);
            list.push(provenance);
            held.insert_unique(hash, index, |&i| FxBuildHasher.hash_one(&list[i as usize]));
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
        let provenance = |assertion: Option<&Located<Text>>| Provenance {
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
                gathered.url_variable = need.url_variable.as_ref().map(|v| v.value.to_string());
                gathered.key_variable = need.key_variable.as_ref().map(|v| v.value.to_string());
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
