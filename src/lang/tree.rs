//! The parse tree the lowering reads: the tokens of `grammar/spec.pest`'s visible rules, in
//! the order pest produces them, whether pest parsed the text ([`Tree::read_pest`]) or the
//! hand-written reader of assertions did (`super::fast`), which gives the same tree.
//!
//! A [`Pair`] reads like pest's own: its rule, its place in the text and its inner pairs.

use pest::Token;
use pest::iterators::Pairs;

use super::grammar::Rule;

/// One visible rule that matched: what it covers, and where its inner nodes end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Node {
    /// The rule.
    pub rule: Rule,
    /// Byte offset of its first byte in the text parsed.
    pub start: u32,
    /// One past its last byte.
    pub end: u32,
    /// Index of the first node after this one's inner nodes.
    pub after: u32,
}

/// The nodes of one parse, in pre-order (each node before its inner nodes).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// Forgets the nodes, keeping their memory for the next parse.
    pub(super) fn clear(&mut self) {
        self.nodes.clear();
    }

    /// Starts a node of `rule` at `start`; [`Tree::close`] ends it once its inner nodes are in.
    pub(super) fn open(&mut self, rule: Rule, start: usize) -> usize {
        let index = self.nodes.len();
        self.nodes.push(Node {
            rule,
            start: start as u32,
            end: start as u32,
            after: 0,
        });
        index
    }

    /// Ends the node `index` (from [`Tree::open`]) at `end`.
    pub(super) fn close(&mut self, index: usize, end: usize) {
        let after = self.nodes.len() as u32;
        if let Some(node) = self.nodes.get_mut(index) {
            node.end = end as u32;
            node.after = after;
        }
    }

    /// A node of `rule` with no inner nodes.
    pub(super) fn leaf(&mut self, rule: Rule, start: usize, end: usize) {
        let index = self.open(rule, start);
        self.close(index, end);
    }

    /// Replaces the nodes with those of pest's `pairs`.
    pub(super) fn read_pest(&mut self, pairs: Pairs<'_, Rule>) {
        self.clear();
        let mut open = Vec::new();
        for token in pairs.tokens() {
            match token {
                Token::Start { rule, pos } => open.push(self.open(rule, pos.pos())),
                Token::End { pos, .. } => {
                    if let Some(index) = open.pop() {
                        self.close(index, pos.pos());
                    }
                }
            }
        }
    }

    /// The outermost pairs, over `text` (the text that was parsed).
    pub(super) fn pairs<'t>(&'t self, text: &'t str) -> Inner<'t> {
        Inner {
            text,
            nodes: &self.nodes,
            next: 0,
            end: self.nodes.len(),
        }
    }
}

/// A node with the text it was parsed from.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pair<'t> {
    text: &'t str,
    nodes: &'t [Node],
    index: usize,
}

impl<'t> Pair<'t> {
    fn node(&self) -> Node {
        self.nodes[self.index]
    }

    /// The rule that matched.
    pub(super) fn as_rule(&self) -> Rule {
        self.node().rule
    }

    /// Byte offset of its first byte in the text parsed.
    pub(super) fn start(&self) -> usize {
        self.node().start as usize
    }

    /// One past its last byte.
    pub(super) fn end(&self) -> usize {
        self.node().end as usize
    }

    /// The text it covers.
    pub(super) fn as_str(&self) -> &'t str {
        self.text.get(self.start()..self.end()).unwrap_or_default()
    }

    /// Its inner pairs, in order.
    pub(super) fn into_inner(self) -> Inner<'t> {
        Inner {
            text: self.text,
            nodes: self.nodes,
            next: self.index + 1,
            end: self.node().after as usize,
        }
    }
}

/// The pairs directly inside a pair, in order.
#[derive(Clone, Debug)]
pub(super) struct Inner<'t> {
    text: &'t str,
    nodes: &'t [Node],
    next: usize,
    end: usize,
}

impl<'t> Iterator for Inner<'t> {
    type Item = Pair<'t>;

    fn next(&mut self) -> Option<Pair<'t>> {
        if self.next >= self.end {
            return None;
        }
        let pair = Pair {
            text: self.text,
            nodes: self.nodes,
            index: self.next,
        };
        // A node's `after` always lies past it; `max` keeps a malformed tree from looping.
        self.next = (pair.node().after as usize).max(self.next + 1);
        Some(pair)
    }
}
