//! The graph as Graphviz DOT: apps as boxes coloured by verification status, backing
//! services as cylinders, and edges labelled with the assertions that caused them. The text
//! is the same on every run for the same specs.

use std::fmt::Write as _;

use petgraph::visit::EdgeRef;

use super::Member;
use super::graph::{EdgeKind, Graph, Node};

/// A DOT string literal.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The node's DOT id: its service name; an external API's name after `api:`, so an API and
/// a service of one name stay two nodes.
fn id(node: &Node) -> String {
    match node {
        Node::External { name } => format!("api:{name}"),
        other => other.name().to_owned(),
    }
}

/// Fill and border colour of each verification status.
fn colours(status: &str) -> (&'static str, &'static str) {
    match status {
        "verified" => ("#c8e6c9", "#2e7d32"),
        "failed" => ("#ffcdd2", "#c62828"),
        _ => ("#eeeeee", "#757575"),
    }
}

/// Renders `graph` of the workspace `name` as DOT.
#[must_use]
pub fn render(name: &str, graph: &Graph, members: &[Member]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quoted(name));
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, fontname=\"Helvetica\", label={}, labelloc=t];",
        quoted(&format!(
            "{name}: apps coloured by verification (green verified, red failed, grey unverified){}",
            if graph.cycle_edges.is_empty() {
                ""
            } else {
                "; red arrows call each other in a cycle"
            }
        ))
    );
    out.push_str("  node [fontname=\"Helvetica\", style=filled];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for index in graph.graph.node_indices() {
        match &graph.graph[index] {
            Node::App {
                name,
                member,
                status,
            } => {
                let archetype = members
                    .get(*member)
                    .and_then(|m| m.compilation.ir.as_ref())
                    .map_or("app", |ir| ir.app.archetype.as_str());
                let folder = members
                    .get(*member)
                    .filter(|m| m.folder != ".")
                    .map_or_else(String::new, |m| format!("\n{}/", m.folder));
                let (fill, border) = colours(status);
                let _ = writeln!(
                    out,
                    "  {} [shape=box, fillcolor={}, color={}, label={}];",
                    quoted(name),
                    quoted(fill),
                    quoted(border),
                    quoted(&format!("{name}\n{archetype}, {status}{folder}"))
                );
            }
            Node::Backing {
                name,
                technology,
                dedicated_to,
            } => {
                let users = graph
                    .graph
                    .edges_directed(index, petgraph::Direction::Incoming)
                    .count();
                let sharing = match dedicated_to.and_then(|i| members.get(i)) {
                    Some(m) => format!(", own server of {}", m.service),
                    None if users > 1 => format!(", shared by {users} apps"),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {} [shape=cylinder, fillcolor=\"#e3f2fd\", color=\"#1565c0\", label={}];",
                    quoted(name),
                    quoted(&format!("{name}\n{}{sharing}", technology.as_str()))
                );
            }
            Node::External { name } => {
                let _ = writeln!(
                    out,
                    "  {} [shape=note, style=\"filled,dashed\", fillcolor=\"#fff8e1\", color=\"#8d6e63\", label={}];",
                    quoted(&id(&graph.graph[index])),
                    quoted(&format!("{name}\nexternal API"))
                );
            }
        }
    }
    for edge in graph.graph.edge_references() {
        let style = match edge.weight().kind {
            _ if graph.cycle_edges.contains(&edge.id()) => {
                ", style=bold, color=\"#c62828\", fontcolor=\"#c62828\", penwidth=2"
            }
            EdgeKind::Uses => "",
            EdgeKind::Calls => ", style=bold, color=\"#6a1b9a\"",
            EdgeKind::Reaches => ", style=dashed",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            quoted(&id(&graph.graph[edge.source()])),
            quoted(&id(&graph.graph[edge.target()])),
            quoted(&edge.weight().label())
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quoted("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
