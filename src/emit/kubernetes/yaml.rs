//! The writer of the Kubernetes manifests. A manifest is YAML nested several levels deep,
//! with the same blocks (labels, containers, probes, environments) at different depths; the
//! writer puts it down line by line and indents each block by the call that opens it, so
//! the indentation follows the structure of the code that writes it.
//!
//! Keys and layout come from the backend. A value is written only as a double-quoted
//! scalar ([`escape::push_yaml`]) or a number, and comment text only through
//! [`escape::push_comment`], so spec text never changes a manifest's structure.

use std::fmt::{Display, Write as _};

use crate::emit::{HEADER, escape};

/// Spaces a nested block is indented by.
const STEP: usize = 2;

/// A YAML document being written.
#[derive(Debug)]
pub struct Yaml {
    out: String,
    /// The indentation of the current block.
    indent: usize,
    /// Whether the next line starts a sequence item, with `- ` in its indentation.
    item: bool,
}

impl Yaml {
    /// A document whose first lines are the generated-file header and `about` as comments.
    #[must_use]
    pub fn with_header(about: &str) -> Self {
        let mut yaml = Self {
            out: String::with_capacity(4096),
            indent: 0,
            item: false,
        };
        yaml.comment(HEADER);
        yaml.comment(about);
        yaml
    }

    fn start_line(&mut self) {
        let spaces = if self.item {
            self.indent - STEP
        } else {
            self.indent
        };
        self.out.extend(std::iter::repeat_n(' ', spaces));
        if self.item {
            self.out.push_str("- ");
            self.item = false;
        }
    }

    /// `text`, a line of layout that holds no value: `kind: Deployment`, `emptyDir: {}`.
    pub fn line(&mut self, text: &str) {
        self.start_line();
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// `# text`.
    pub fn comment(&mut self, text: &str) {
        self.start_line();
        self.out.push_str("# ");
        escape::push_comment(&mut self.out, text);
        self.out.push('\n');
    }

    /// `key: "value"`.
    pub fn text(&mut self, key: &str, value: &str) {
        self.start_line();
        self.out.push_str(key);
        self.out.push_str(": ");
        escape::push_yaml(&mut self.out, value);
        self.out.push('\n');
    }

    /// `key: value`, for a number.
    pub fn number(&mut self, key: &str, value: impl Display) {
        self.start_line();
        let _ = writeln!(self.out, "{key}: {value}");
    }

    /// `"key": "value"` for each pair: labels, annotations, data.
    pub fn pairs(&mut self, pairs: &[(String, String)]) {
        for (key, value) in pairs {
            self.pair(key, value);
        }
    }

    /// `"key": "value"`.
    pub fn pair(&mut self, key: &str, value: &str) {
        self.start_line();
        escape::push_yaml(&mut self.out, key);
        self.out.push_str(": ");
        escape::push_yaml(&mut self.out, value);
        self.out.push('\n');
    }

    /// `- "value"`.
    pub fn text_item(&mut self, value: &str) {
        self.start_line();
        self.out.push_str("- ");
        escape::push_yaml(&mut self.out, value);
        self.out.push('\n');
    }

    /// `key:`, and what `body` writes indented under it.
    pub fn block(&mut self, key: &str, body: impl FnOnce(&mut Self)) {
        self.start_line();
        self.out.push_str(key);
        self.out.push_str(":\n");
        self.nested(body);
    }

    /// What `body` writes, indented one level further.
    pub fn nested(&mut self, body: impl FnOnce(&mut Self)) {
        self.indent += STEP;
        body(self);
        self.indent -= STEP;
    }

    /// A sequence item: `- ` before the first line `body` writes, the others lined up with
    /// that line's text.
    pub fn item(&mut self, body: impl FnOnce(&mut Self)) {
        self.indent += STEP;
        self.item = true;
        body(self);
        self.item = false;
        self.indent -= STEP;
    }

    /// The document.
    #[must_use]
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_items_nest_by_the_calls_that_open_them() {
        let mut y = Yaml::with_header("about\nit");
        y.block("spec", |y| {
            y.number("replicas", 2);
            y.block("containers", |y| {
                y.item(|y| {
                    y.text("name", "a\"b");
                    y.block("args", |y| y.text_item("$x"));
                });
            });
            y.pairs(&[("k".to_owned(), "v: w".to_owned())]);
        });
        assert_eq!(
            y.finish(),
            format!(
                "# {HEADER}\n# about it\nspec:\n  replicas: 2\n  containers:\n    - name: \"a\\\"b\"\n      args:\n        - \"$x\"\n  \"k\": \"v: w\"\n"
            )
        );
    }
}
