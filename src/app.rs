//! Reads the app's own `package.json`: name, version and dependencies.

use crate::diagnostic::{Code, Diagnostics};
use crate::json::{self, Reader, Value};
use crate::source::{FileId, Located, Text};

/// What `package.json` says that matters for deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    /// `name`.
    pub name: Option<Located<Text>>,
    /// `version`.
    pub version: Option<Located<Text>>,
    /// `description`.
    pub description: Option<String>,
    /// `license`.
    pub license: Option<String>,
    /// `repository` (a string or `{ "url": ... }`).
    pub repository: Option<String>,
    /// Whether there is a `bin` field: the package installs a command.
    pub has_bin: Option<Located<Text>>,
    /// `main` or `module`: the package is meant to be imported.
    pub main: Option<Located<Text>>,
    /// `dependencies`, by name, in file order.
    pub dependencies: Vec<Located<Text>>,
    /// `devDependencies`, by name.
    pub dev_dependencies: Vec<Located<Text>>,
}

/// Reads `package.json` text; problems go to `diagnostics` with code `SD0504`.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Package {
    let Some((root, offset)) = json::parse(file, text, Code::MalformedPackageJson, diagnostics)
    else {
        return Package::default();
    };
    let mut reader = Reader {
        file,
        offset,
        diagnostics,
    };
    let Value::Object(root) = &root else {
        reader.wrong_type(&root, "package.json", "a JSON object");
        return Package::default();
    };
    json::duplicate_keys(&mut reader, root);
    let name = json::get(root, "name").and_then(|v| reader.string(v, "`name` in package.json"));
    let version =
        json::get(root, "version").and_then(|v| reader.string(v, "`version` in package.json"));
    let mut text_field = |key: &str| {
        json::get(root, key).and_then(|v| match v {
            Value::String(_) => reader.string(v, format_args!("`{key}`")),
            _ => None,
        })
    };
    let description = text_field("description").map(|l| l.value.into());
    let license = text_field("license").map(|l| l.value.into());
    let main = text_field("module").or_else(|| text_field("main"));
    let repository = match json::get(root, "repository") {
        Some(Value::String(s)) => Some(s.value.to_string()),
        Some(Value::Object(o)) => match json::get(o, "url") {
            Some(Value::String(s)) => Some(s.value.to_string()),
            _ => None,
        },
        _ => None,
    };
    let has_bin =
        json::get(root, "bin").map(|v| Located::new(Text::from("bin"), reader.value_span(v)));
    let names = |reader: &mut Reader<'_>, key: &str| match json::get(root, key) {
        Some(Value::Object(deps)) => {
            json::duplicate_keys(reader, deps);
            deps.properties
                .iter()
                .map(|p| Located::new(Text::from(&*p.name.value), reader.span(p.name.range)))
                .collect()
        }
        Some(other) => {
            reader.wrong_type(
                other,
                format_args!("`{key}`"),
                "an object of package names and versions",
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let dependencies = names(&mut reader, "dependencies");
    let dev_dependencies = names(&mut reader, "devDependencies");
    Package {
        name,
        version,
        description,
        license,
        repository,
        has_bin,
        main,
        dependencies,
        dev_dependencies,
    }
}

impl Package {
    /// Whether `name` is a runtime dependency.
    #[must_use]
    pub fn depends_on(&self, name: &str) -> Option<&Located<Text>> {
        self.dependencies.iter().find(|d| d.value == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    fn read(text: &str) -> (Package, Diagnostics) {
        let mut sources = Sources::new();
        let file = sources.add("package.json", text);
        let mut diagnostics = Diagnostics::new();
        (parse(file, text, &mut diagnostics), diagnostics)
    }

    #[test]
    fn a_key_given_twice_is_reported_and_the_last_counts() {
        let (package, diagnostics) = read(
            r#"{"name": "a", "dependencies": {"hono": "^4", "hono": "^4.1"}, "dependencies": {}}"#,
        );
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [Code::DuplicateKey],
            "the root's `dependencies` twice"
        );
        assert!(
            package.dependencies.is_empty(),
            "the last `dependencies` counts"
        );

        let (package, diagnostics) =
            read(r#"{"name": "a", "dependencies": {"hono": "^4", "hono": "^4.1"}}"#);
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::DuplicateKey], "`hono` twice");
        assert_eq!(package.dependencies.len(), 2);
    }
}
