//! The workspace's dependency graph: one node per app and per backing service, an edge from
//! each app to what it uses or calls, labelled with the assertions that caused it. The graph
//! decides which backing services are shared, the start order, and finds cycles between apps.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher as _;

use hashbrown::HashTable;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::Serialize;

use super::naming;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Ir, Need, Provenance, Technology};
use crate::model::{Archetype, NeedKind, SpecSet};
use crate::passes::config::{service_name, variable_prefix};
use crate::passes::words;
use crate::source::{FileId, Sources, Span};

/// What the graph needs to know of one app.
#[derive(Clone, Copy, Debug)]
pub struct MemberView<'a> {
    /// Its service name.
    pub service: &'a str,
    /// Its folder, relative to the workspace.
    pub folder: &'a str,
    /// Its IR, when its specs allowed one.
    pub ir: Option<&'a Ir>,
    /// Its specs.
    pub specs: &'a SpecSet,
    /// Its sources, paths relative to the workspace.
    pub sources: &'a Sources,
    /// Where its files start in the workspace's table of sources.
    pub offset: u32,
}

/// A node of the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Node {
    /// An app of the workspace.
    App {
        /// Its service name.
        name: String,
        /// Its index among the members.
        member: usize,
        /// `verified`, `failed` or `unverified`, from its formal models.
        status: &'static str,
    },
    /// A backing service.
    Backing {
        /// Its service name.
        name: String,
        /// What it runs.
        technology: Technology,
        /// The app it serves alone, when that app's specs ask for a server of its own.
        dedicated_to: Option<usize>,
    },
    /// An external API, outside the workspace.
    External {
        /// The API's name in the specs.
        name: String,
    },
}

impl Node {
    /// The service name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::App { name, .. } | Self::Backing { name, .. } | Self::External { name } => name,
        }
    }
}

/// One reason for an edge: an assertion (or a boundary or dependency) and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Cause {
    /// The assertion, when one caused it.
    pub assertion: Option<String>,
    /// The field and words, when no assertion did (`boundaries redis-cache`).
    pub field: String,
    /// The words that fired.
    pub matched: String,
    /// The rule.
    pub rule: String,
    /// The file, relative to the workspace, and one-based line.
    pub file: Option<String>,
    /// One-based line.
    pub line: Option<usize>,
    /// The span in the workspace's table of sources.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Cause {
    /// The assertion id, or the field and words, for labels.
    #[must_use]
    pub fn label(&self) -> String {
        self.assertion
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.field, self.matched))
    }
}

/// What an edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// An app uses a backing service.
    Uses,
    /// An app calls another app's API.
    Calls,
    /// An app calls an API outside the workspace.
    Reaches,
}

/// An edge, from the app that depends to what it depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// What it means.
    pub kind: EdgeKind,
    /// Why it exists, each reason once.
    pub causes: Vec<Cause>,
}

impl Edge {
    /// The edge's label: the ids of the assertions that caused it, sorted, or, when no
    /// assertion did, the fields and words that did.
    #[must_use]
    pub fn label(&self) -> String {
        let ids: BTreeSet<&str> = self
            .causes
            .iter()
            .filter_map(|c| c.assertion.as_deref())
            .collect();
        if ids.is_empty() {
            let mut others: Vec<String> = self.causes.iter().map(Cause::label).collect();
            others.dedup();
            others.join(", ")
        } else {
            ids.into_iter().collect::<Vec<_>>().join(", ")
        }
    }
}

/// A call from one app to another, found in an external API need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The calling member.
    pub caller: usize,
    /// The called member.
    pub callee: usize,
    /// The variable that held the API's URL, now set on the Compose network.
    pub url_variable: String,
    /// The key variable specdeploy derived for the API, dropped for an internal call; a key
    /// the specs declare is kept.
    pub derived_key: Option<String>,
}

/// The workspace graph.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Nodes and edges.
    pub graph: DiGraph<Node, Edge>,
    /// The node of each member, when it has an IR and deploys.
    pub app_nodes: Vec<Option<NodeIndex>>,
    /// The backing service each member uses for each service kind (`postgres`), by name.
    pub backing_of: Vec<BTreeMap<&'static str, String>>,
    /// Calls between apps.
    pub calls: Vec<Call>,
    /// Members in start order: every app after those it calls; ties in folder order.
    pub start_order: Vec<usize>,
    /// The edges that lie on a cycle between apps, for the picture to show.
    pub cycle_edges: BTreeSet<petgraph::graph::EdgeIndex>,
}

impl Graph {
    /// The backing service named `name`.
    #[must_use]
    pub fn node(&self, name: &str) -> Option<NodeIndex> {
        self.graph.node_indices().find(|n| {
            matches!(self.graph[*n], Node::Backing { .. }) && self.graph[*n].name() == name
        })
    }

    /// The node of the external API `name`, added when it is not there yet.
    fn external(&mut self, name: &str) -> NodeIndex {
        let found = self
            .graph
            .node_indices()
            .find(|n| matches!(&self.graph[*n], Node::External { name: known } if known == name));
        found.unwrap_or_else(|| {
            self.graph.add_node(Node::External {
                name: name.to_owned(),
            })
        })
    }
}

/// The rule that gives an app a backing server of its own.
pub const DEDICATED_RULE: &str = "workspace.dedicated";

/// The text of each assertion of `specs` by its id, the first of an id where two share one:
/// a need can have a provenance for each of many thousands of assertions, each looked up.
#[must_use]
fn texts_by_id(specs: &SpecSet) -> FxHashMap<&str, &str> {
    specs
        .assertions
        .iter()
        .rev()
        .map(|a| (a.id.value.as_str(), a.natural.value.as_str()))
        .collect()
}

/// Whether the specs behind `need` ask for a server of the app's own: an assertion that
/// caused it says `dedicated`, `own server` or `own instance`, or a boundary that names it
/// says `dedicated`.
/// `texts` are the app's [`texts_by_id`].
#[must_use]
fn wants_own_server(need: &Need, texts: &FxHashMap<&str, &str>) -> bool {
    need.provenance.iter().any(|p| {
        let text = match &p.assertion {
            Some(id) => texts.get(&**id).copied(),
            None if p.field == "boundaries" => Some(&*p.matched),
            None => None,
        };
        text.is_some_and(|t| {
            let w = words::split(t);
            [
                "dedicated",
                "own server",
                "own instance",
                "own database server",
            ]
            .iter()
            .any(|phrase| words::find(&w, phrase).is_some())
        })
    })
}

/// Whether an API named `api` is the app `service` (its service name, the app's own name or
/// its folder's last part), ignoring a trailing `-api`, `-service` or `-server`.
#[must_use]
pub fn names_app(api: &str, candidates: &[&str]) -> bool {
    let bare = |s: &str| {
        let s = naming::sanitise(s);
        ["-api", "-service", "-server", "-svc"]
            .iter()
            .find_map(|suffix| s.strip_suffix(suffix).map(str::to_owned))
            .unwrap_or(s)
    };
    let api = bare(api);
    candidates.iter().any(|c| bare(c) == api)
}

/// Whether the API `api` names `other`, an app that serves HTTP on a port: by its service
/// name, its own name, its folder's last part or its whole folder path (`jobs/api` is
/// `jobs-api`).
fn is_called(api: &str, other: &MemberView<'_>) -> bool {
    let last = other.folder.rsplit('/').next().unwrap_or(other.folder);
    let path = naming::sanitise(other.folder);
    deploys(other).is_some_and(|o| {
        o.app.archetype == Archetype::WebService
            && o.app.port.is_some()
            && names_app(api, &[other.service, &o.app.name, last, &path])
    })
}

/// An API name that names more than one app: wiring it to either would be a guess.
fn ambiguous_call(
    api: &str,
    named: &[usize],
    members: &[MemberView<'_>],
    causes: &[Cause],
) -> Diagnostic {
    let listed: Vec<String> = named
        .iter()
        .map(|j| {
            let m = &members[*j];
            format!("{} (service `{}`)", m.folder, m.service)
        })
        .collect();
    let ways: Vec<String> = named
        .iter()
        .map(|j| {
            let m = &members[*j];
            format!("`{}` for {}", naming::sanitise(m.folder), m.folder)
        })
        .collect();
    let message = format!(
        "the API `{api}` names more than one app of the workspace: {}",
        listed.join(", ")
    );
    let d = Diagnostic::new(Code::InvalidWorkspace, message);
    let d = match causes.iter().find_map(|c| c.span) {
        Some(span) => d.at(
            span,
            format!("`{api}` could be any of {} apps", named.len()),
        ),
        None => d,
    };
    d.help(format!(
        "name the app by its folder path instead: {}",
        ways.join(", ")
    ))
}

fn cause(p: &Provenance, member: &MemberView<'_>) -> Cause {
    let place = p.span.map(|s| {
        let file = member.sources.get(s.file);
        (file.path.clone(), file.line_of(s.start()))
    });
    Cause {
        assertion: p.assertion.as_deref().map(str::to_owned),
        field: p.field.to_owned(),
        matched: p.matched.to_string(),
        rule: p.rule.to_owned(),
        file: place.as_ref().map(|(f, _)| f.clone()),
        line: place.map(|(_, l)| l),
        span: p
            .span
            .map(|s| Span::new(FileId(s.file.0 + member.offset), s.start(), s.end())),
    }
}

fn status(ir: &Ir) -> &'static str {
    let models = &ir.verification.models;
    if models.iter().any(|m| m.status == "failed") {
        "failed"
    } else if !models.is_empty() && models.iter().all(|m| m.status == "verified") {
        "verified"
    } else {
        "unverified"
    }
}

/// Adds each of `causes` that `edge` does not hold yet, in order. One edge can have a cause
/// for each of many thousands of assertions, so the check is a lookup in a table of the
/// causes' places in the list, not a search of the list.
fn add_causes(edge: &mut Edge, causes: impl IntoIterator<Item = Cause>) {
    let hash = |c: &Cause| FxBuildHasher.hash_one(c);
    let list = &mut edge.causes;
    let mut held: HashTable<usize> = HashTable::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        held.insert_unique(hash(c), i, |&j| hash(&list[j]));
    }
    for c in causes {
        let h = hash(&c);
        if held.find(h, |&j| list[j] == c).is_none() {
            list.push(c);
            held.insert_unique(h, list.len() - 1, |&j| hash(&list[j]));
        }
    }
}

/// The member's IR, when it deploys (a library does not).
fn deploys<'a>(m: &MemberView<'a>) -> Option<&'a Ir> {
    m.ir.filter(|ir| ir.app.archetype != Archetype::Library)
}

/// Builds the graph of `members`; a cycle of calls between apps is a diagnostic (`SD0612`).
pub fn build(members: &[MemberView<'_>], diagnostics: &mut Diagnostics) -> Graph {
    let mut g = Graph {
        app_nodes: vec![None; members.len()],
        backing_of: vec![BTreeMap::new(); members.len()],
        ..Graph::default()
    };
    for (i, m) in members.iter().enumerate() {
        if let Some(ir) = deploys(m) {
            g.app_nodes[i] = Some(g.graph.add_node(Node::App {
                name: m.service.to_owned(),
                member: i,
                status: status(ir),
            }));
        }
    }

    // Backing services: one per kind, shared, unless an app's specs want its own.
    let mut taken: BTreeSet<String> = members.iter().map(|m| m.service.to_owned()).collect();
    for (i, m) in members.iter().enumerate() {
        let (Some(ir), Some(app)) = (deploys(m), g.app_nodes[i]) else {
            continue;
        };
        // Made once the app has a need that can have a server of its own.
        let mut texts = None;
        for need in ir.needs.iter().filter(|n| n.technology != Technology::Http) {
            let kind = service_name(need.technology);
            let own = matches!(
                need.technology,
                Technology::Postgres | Technology::Redis | Technology::RedisStreams
            ) && {
                let texts = texts.get_or_insert_with(|| texts_by_id(m.specs));
                ir.needs
                    .iter()
                    .filter(|n| service_name(n.technology) == kind)
                    .any(|n| wants_own_server(n, texts))
            };
            let name = match g.backing_of[i].get(kind) {
                Some(name) => name.clone(),
                None if own => {
                    let base = format!("{}-{kind}", m.service);
                    let name = if taken.contains(&base) {
                        naming::numbered(&base, &taken)
                    } else {
                        base
                    };
                    taken.insert(name.clone());
                    name
                }
                None => kind.to_owned(),
            };
            g.backing_of[i].insert(kind, name.clone());
            let node = g.node(&name).unwrap_or_else(|| {
                g.graph.add_node(Node::Backing {
                    name: name.clone(),
                    technology: need.technology,
                    dedicated_to: own.then_some(i),
                })
            });
            let causes: Vec<Cause> = need.provenance.iter().map(|p| cause(p, m)).collect();
            if let Some(e) = g.graph.find_edge(app, node) {
                add_causes(&mut g.graph[e], causes);
            } else {
                let mut edge = Edge {
                    kind: EdgeKind::Uses,
                    causes: Vec::new(),
                };
                add_causes(&mut edge, causes);
                g.graph.add_edge(app, node, edge);
            }
        }
    }

    // Calls: an external API that names another app of the workspace.
    for (i, m) in members.iter().enumerate() {
        let (Some(ir), Some(app)) = (deploys(m), g.app_nodes[i]) else {
            continue;
        };
        for need in ir.needs.iter().filter(|n| n.kind == NeedKind::ExternalApi) {
            let Some(api) = need.name() else { continue };
            let named: Vec<usize> = members
                .iter()
                .enumerate()
                .filter(|(j, other)| *j != i && is_called(api, other))
                .map(|(j, _)| j)
                .collect();
            let causes: Vec<Cause> = need.provenance.iter().map(|p| cause(p, m)).collect();
            if named.len() > 1 {
                diagnostics.push(ambiguous_call(api, &named, members, &causes));
                continue;
            }
            let callee = named.first().copied();
            let (Some(j), Some(target)) = (callee, callee.and_then(|j| g.app_nodes[j])) else {
                // An API outside the workspace: a node of its own, shared by every app that
                // names it, so the picture shows what the deployment reaches out to.
                let node = g.external(api);
                let mut edge = Edge {
                    kind: EdgeKind::Reaches,
                    causes: Vec::new(),
                };
                add_causes(&mut edge, causes);
                g.graph.add_edge(app, node, edge);
                continue;
            };
            let prefix = variable_prefix(api);
            let declared = need.provenance.iter().any(|p| p.rule == "explicit");
            let derived_key = match (&need.key_variable, &need.url_variable) {
                (None, Some(_)) if declared => None,
                (None, _) => Some(format!("{prefix}_API_KEY")),
                (Some(_), _) => None,
            };
            g.calls.push(Call {
                caller: i,
                callee: j,
                url_variable: need
                    .url_variable
                    .clone()
                    .unwrap_or_else(|| format!("{prefix}_URL")),
                derived_key,
            });
            let mut edge = Edge {
                kind: EdgeKind::Calls,
                causes: Vec::new(),
            };
            add_causes(&mut edge, causes);
            g.graph.add_edge(app, target, edge);
        }
    }

    if report_cycles(&g, diagnostics) {
        g.cycle_edges = cycle_edges(&g);
        return g;
    }
    g.start_order = start_order(&g, members.len());
    g
}

/// Members in start order (Kahn's algorithm, the lowest folder index first among those
/// ready), so the order is the same on every run.
fn start_order(g: &Graph, count: usize) -> Vec<usize> {
    let mut waiting: Vec<usize> = vec![0; count];
    for call in &g.calls {
        waiting[call.caller] += 1;
    }
    let mut ready: BTreeSet<usize> = (0..count)
        .filter(|i| g.app_nodes[*i].is_some() && waiting[*i] == 0)
        .collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for call in g.calls.iter().filter(|c| c.callee == next) {
            waiting[call.caller] -= 1;
            if waiting[call.caller] == 0 {
                ready.insert(call.caller);
            }
        }
    }
    order
}

/// Reports each cycle of calls; whether there was one.
fn report_cycles(g: &Graph, diagnostics: &mut Diagnostics) -> bool {
    let mut found = false;
    let mut components: Vec<Vec<NodeIndex>> = tarjan_scc(&g.graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    for c in &mut components {
        c.sort();
    }
    components.sort();
    for component in components {
        found = true;
        let Some(path) = cycle_through(g, &component) else {
            continue;
        };
        let mut hops = Vec::new();
        let mut names = vec![g.graph[path[0].0].name().to_owned()];
        let mut d: Option<Diagnostic> = None;
        for &(from, to, edge) in &path {
            let edge = &g.graph[edge];
            names.push(g.graph[to].name().to_owned());
            let mut labels = BTreeSet::new();
            let why: Vec<String> = edge
                .causes
                .iter()
                .filter(|c| labels.insert(c.label()))
                .map(|c| match (&c.file, c.line) {
                    (Some(f), Some(l)) => format!("{} at {f}:{l}", c.label()),
                    _ => c.label(),
                })
                .collect();
            hops.push(format!(
                "  {} calls {} because of {}",
                g.graph[from].name(),
                g.graph[to].name(),
                why.join(", ")
            ));
            let label = format!("{} calls {} here", g.graph[from].name(), g.graph[to].name());
            if let Some(span) = edge.causes.iter().find_map(|c| c.span) {
                d = Some(match d {
                    None => Diagnostic::new(Code::AppCycle, String::new()).at(span, label),
                    Some(d) => d.also(span, label),
                });
            }
        }
        let mut d = d.unwrap_or_else(|| Diagnostic::new(Code::AppCycle, String::new()));
        d.message = format!(
            "apps of the workspace call each other in a cycle: {}\n{}",
            names.join(" -> "),
            hops.join("\n")
        );
        diagnostics.push(d.help(
            "break the cycle: one of these apps must start without calling the other, so stop it naming the other as an API (or give that API its own URL outside the workspace)",
        ));
    }
    found
}

/// Every edge between two nodes of one strongly connected component: each lies on a cycle.
fn cycle_edges(g: &Graph) -> BTreeSet<petgraph::graph::EdgeIndex> {
    let mut component_of = BTreeMap::new();
    for (i, component) in tarjan_scc(&g.graph).into_iter().enumerate() {
        if component.len() > 1 {
            for n in component {
                component_of.insert(n, i);
            }
        }
    }
    g.graph
        .edge_references()
        .filter(|e| {
            component_of
                .get(&e.source())
                .is_some_and(|c| component_of.get(&e.target()) == Some(c))
        })
        .map(|e| e.id())
        .collect()
}

type Hop = (NodeIndex, NodeIndex, petgraph::graph::EdgeIndex);

/// Extends `path` depth-first from `at` until it returns to `start`, inside `inside` only.
fn search(
    g: &Graph,
    at: NodeIndex,
    start: NodeIndex,
    inside: &BTreeSet<NodeIndex>,
    seen: &mut BTreeSet<NodeIndex>,
    path: &mut Vec<Hop>,
) -> bool {
    let mut next: Vec<_> = g
        .graph
        .edges(at)
        .filter(|e| inside.contains(&e.target()))
        .map(|e| (e.target(), e.id()))
        .collect();
    next.sort();
    for (to, edge) in next {
        path.push((at, to, edge));
        if to == start {
            return true;
        }
        if seen.insert(to) && search(g, to, start, inside, seen, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// A cycle through the first node of `component`, as hops, found by a depth-first search
/// that tries lower nodes first.
fn cycle_through(g: &Graph, component: &[NodeIndex]) -> Option<Vec<Hop>> {
    let start = *component.first()?;
    let inside: BTreeSet<NodeIndex> = component.iter().copied().collect();
    let mut path: Vec<Hop> = Vec::new();
    let mut seen = BTreeSet::from([start]);
    search(g, start, start, &inside, &mut seen, &mut path).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_names_an_app_with_or_without_its_suffix() {
        assert!(names_app("storefront", &["storefront-api"]));
        assert!(names_app("storefront-api", &["shop", "storefront-api"]));
        assert!(names_app("Storefront API", &["storefront"]));
        assert!(!names_app("payment-gateway", &["storefront-api"]));
    }
}
