//! Decides the archetype: declared in a `.spec` file, given by the manifest, or inferred
//! from the app's dependencies and `package.json` fields. Also settles the app's name,
//! version and entry point, which every later pass needs.

use super::{Draft, Input};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{App, Lockfile, Provenance};
use crate::model::Archetype;
use crate::source::{Located, Span, Text};

/// Dependencies that make an app an HTTP server.
const HTTP_SERVERS: &[&str] = &[
    "hono",
    "express",
    "fastify",
    "elysia",
    "koa",
    "@hapi/hapi",
    "itty-router",
    "h3",
    "@nestjs/core",
    "@trpc/server",
    "next",
    "@remix-run/serve",
];

/// Dependencies that make an app a command-line tool.
const CLI_FRAMEWORKS: &[&str] = &[
    "commander",
    "yargs",
    "cac",
    "citty",
    "meow",
    "clipanion",
    "@oclif/core",
];

/// The entry point used when none is declared.
pub const DEFAULT_ENTRY: &str = "src/index.ts";

/// The port a web service listens on when none is declared.
pub const DEFAULT_PORT: u16 = 3000;

/// Sets `draft.app`, or reports why the app cannot be established.
pub fn run(input: &Input<'_>, draft: &mut Draft, diagnostics: &mut Diagnostics) {
    let Some((archetype, provenance)) = archetype(input, diagnostics) else {
        return;
    };
    let Some(name) = name(input, diagnostics) else {
        return;
    };
    let app_decl = &input.specs.app;
    let package = input.package;
    let version = version(
        app_decl.version.as_ref().or(package.version.as_ref()),
        diagnostics,
    );
    let entry = app_decl.entry.as_ref().map_or_else(
        || DEFAULT_ENTRY.to_owned(),
        |e| e.value.trim_start_matches("./").to_owned(),
    );
    let folder = input.folder;
    let lockfile = match (folder.has("bun.lock"), folder.has("bun.lockb")) {
        (true, both) => {
            if both {
                diagnostics.push(
                    Diagnostic::new(Code::TwoLockfiles, "the app has both bun.lock and bun.lockb")
                        .help("Bun 1.2 and later use the text bun.lock; delete bun.lockb so installs in the image and on your machine agree"),
                );
            }
            Lockfile::Text
        }
        (false, true) => Lockfile::Binary,
        (false, false) => Lockfile::None,
    };

    if archetype != Archetype::Library {
        check_app_files(input, &entry, lockfile, diagnostics);
    }
    let port = match archetype {
        Archetype::WebService => Some(port(input, diagnostics)),
        _ => None,
    };
    draft.app = Some(App {
        name,
        version,
        description: package.description.clone(),
        license: package.license.clone(),
        source_url: package.repository.clone(),
        archetype,
        archetype_provenance: provenance,
        entry,
        port,
        schedule: schedule(input, archetype, diagnostics),
        lockfile,
        has_bunfig: folder.has("bunfig.toml"),
        has_tsconfig: folder.has("tsconfig.json"),
        dependencies: package
            .dependencies
            .iter()
            .map(|d| d.value.to_string())
            .collect(),
    });
}

fn provenance(rule: &'static str, field: &'static str, value: &Located<Text>) -> Provenance {
    Provenance {
        rule,
        assertion: None,
        field,
        matched: value.value.as_str().into(),
        span: Some(value.span),
    }
}

fn parse_declared(value: &Located<Text>, diagnostics: &mut Diagnostics) -> Option<Archetype> {
    let parsed = Archetype::parse(&value.value);
    if parsed.is_none() {
        let known: Vec<&str> = Archetype::ALL.iter().map(|a| a.as_str()).collect();
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownArchetype,
                format!(
                    "`{}` is not an archetype specdeploy knows",
                    value.value.escape_debug()
                ),
            )
            .at(value.span, "unknown archetype")
            .help(format!("use one of: {}", known.join(", "))),
        );
    }
    parsed
}

fn archetype(input: &Input<'_>, diagnostics: &mut Diagnostics) -> Option<(Archetype, Provenance)> {
    let declared = input.specs.app.archetype.as_ref();
    let manifest = input.specs.context.archetype.as_ref();
    let from_spec = declared.and_then(|d| parse_declared(d, diagnostics).map(|a| (a, d)));
    let from_manifest = manifest.and_then(|m| parse_declared(m, diagnostics).map(|a| (a, m)));

    if let (Some((a, at)), Some((b, bt))) = (&from_spec, &from_manifest) {
        if a != b {
            diagnostics.push(
                Diagnostic::new(
                    Code::ConflictingArchetype,
                    format!(
                        "the .spec files say {} but the manifest says {}",
                        a.as_str(),
                        b.as_str()
                    ),
                )
                .at(at.span, "used")
                .also(bt.span, "ignored")
                .help("make the two agree; the .spec declaration wins"),
            );
        }
    }
    if let Some((a, at)) = from_spec {
        return Some((a, provenance("archetype.declared", "app declaration", at)));
    }
    if let Some((a, at)) = from_manifest {
        return Some((a, provenance("archetype.manifest", "archetype", at)));
    }
    if declared.is_some() || manifest.is_some() {
        return None;
    }
    if let Some(inferred) = infer(input) {
        return Some(inferred);
    }
    let mut d = Diagnostic::new(Code::NoArchetype, "the specs give no archetype and none can be inferred")
        .help("set \"archetype\" in specs/assertions.json (web-service, cli-tool, data-pipeline or library), or write `app NAME { archetype web service }` in a .spec file");
    if let Some(file) = input.folder.manifest {
        d = d.at(Span::file_start(file), "no archetype here");
    }
    diagnostics.push(d);
    None
}

fn infer(input: &Input<'_>) -> Option<(Archetype, Provenance)> {
    let package = input.package;
    let found = |list: &[&str]| {
        package
            .dependencies
            .iter()
            .find(|d| list.contains(&d.value.as_str()))
    };
    if let Some(dep) = found(HTTP_SERVERS) {
        return Some((
            Archetype::WebService,
            provenance("archetype.http-server", "package.json dependencies", dep),
        ));
    }
    if let Some(bin) = &package.has_bin {
        return Some((
            Archetype::CliTool,
            provenance("archetype.bin", "package.json", bin),
        ));
    }
    if let Some(dep) = found(CLI_FRAMEWORKS) {
        return Some((
            Archetype::CliTool,
            provenance("archetype.cli-framework", "package.json dependencies", dep),
        ));
    }
    if input.specs.app.schedule.is_some() {
        let schedule = input.specs.app.schedule.as_ref()?;
        return Some((
            Archetype::DataPipeline,
            provenance("archetype.schedule", "app declaration", schedule),
        ));
    }
    let main = package.main.as_ref()?;
    Some((
        Archetype::Library,
        provenance("archetype.main", "package.json", main),
    ))
}

/// The app's name: declared, or from package.json (a scope becomes a prefix).
fn name(input: &Input<'_>, diagnostics: &mut Diagnostics) -> Option<String> {
    let declared = input.specs.app.name.as_ref();
    let from_package = input.package.name.as_ref();
    let Some(source) = declared.or(from_package) else {
        if input.folder.package_json.is_none() {
            return Some("app".to_owned());
        }
        // A package.json that does not parse (nor nests within the limit), or whose name is
        // not a string, is reported already; "no name" would only repeat it less precisely.
        let in_package = |d: &Diagnostic| {
            d.primary
                .as_ref()
                .is_some_and(|l| Some(l.span.file) == input.folder.package_json)
        };
        if diagnostics.iter().any(|d| {
            matches!(d.code, Code::MalformedPackageJson | Code::WrongFieldType)
                || (d.code == Code::InputTooLarge && in_package(d))
        }) {
            return None;
        }
        diagnostics.push(
            Diagnostic::new(Code::InvalidName, "the app has no name")
                .at(
                    Span::file_start(input.folder.package_json?),
                    "no `name` here",
                )
                .help("add \"name\" to package.json, or declare `app NAME { … }` in a .spec file"),
        );
        return None;
    };
    let candidate = if declared.is_some() {
        source.value.to_string()
    } else {
        source.value.trim_start_matches('@').replace('/', "-")
    };
    if is_valid_image_name(&candidate) {
        return Some(candidate);
    }
    diagnostics.push(
        Diagnostic::new(
            Code::InvalidName,
            format!("`{}` is not valid as an image or service name", source.value.escape_debug()),
        )
        .at(source.span, "invalid name")
        .help("use lower-case letters and digits, separated by single `-`, `_` or `.`, starting with a letter, at most 63 characters (for example `storefront-api`)"),
    );
    None
}

/// A pipeline's cron schedule, checked field by field; other archetypes run no schedule.
fn schedule(
    input: &Input<'_>,
    archetype: Archetype,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    let declared = input.specs.app.schedule.as_ref()?;
    if archetype != Archetype::DataPipeline {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("a {} runs no schedule; the schedule is ignored", archetype.as_str()),
            )
            .at(declared.span, "ignored")
            .help("remove the schedule, or declare the app a data pipeline: `archetype data pipeline`")
            .severity(crate::diagnostic::Severity::Warning),
        );
        return None;
    }
    let text = declared.value.trim();
    let fields = text.split_whitespace().count();
    let parsed = text.parse::<croner::Cron>();
    if text.starts_with('@') || (fields == 5 && parsed.is_ok()) {
        return Some(text.to_owned());
    }
    let why = parsed
        .err()
        .map_or_else(|| "it needs five fields".to_owned(), |e| e.to_string());
    diagnostics.push(
        Diagnostic::new(
            Code::InvalidValue,
            format!("`{}` is not a cron schedule: {why}", declared.value.escape_debug()),
        )
        .at(declared.span, "not a schedule")
        .help("write five fields, minute hour day-of-month month day-of-week, such as \"0 3 * * *\" for 03:00 every day"),
    );
    None
}

/// The app's version, which also tags its image. A tag holds letters, digits, `_`, `.` and
/// `-`: a semver build suffix (`1.0.0+build.5`) keeps its meaning with `_` for `+`; anything
/// else no tag can carry is an error at the version's place.
fn version(declared: Option<&Located<Text>>, diagnostics: &mut Diagnostics) -> String {
    let Some(declared) = declared.filter(|v| !v.value.trim().is_empty()) else {
        return "0.0.0".to_owned();
    };
    let tag = declared.value.replace('+', "_");
    let valid = tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !valid {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidName,
                format!("version `{}` cannot tag an image", declared.value.escape_debug()),
            )
            .at(declared.span, "not a valid image tag")
            .help("use a version made of letters, digits, `.`, `-` and `+`, at most 128 characters (for example `1.4.0` or `1.4.0-rc.1`)"),
        );
    }
    tag
}

/// Whether `name` can be an image name, a Compose service name and a DNS label all at once.
#[must_use]
pub fn is_valid_image_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let separator = |b: u8| matches!(b, b'-' | b'_' | b'.');
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || separator(b))
        && !bytes.windows(2).any(|w| separator(w[0]) && separator(w[1]))
}

fn check_app_files(
    input: &Input<'_>,
    entry: &str,
    lockfile: Lockfile,
    diagnostics: &mut Diagnostics,
) {
    let folder = input.folder;
    if folder.package_json.is_none() && !folder.has("package.json") {
        diagnostics.push(
            Diagnostic::new(Code::MissingPackageJson, "the app has no package.json")
                .help("run `bun init` in the app folder, or point specdeploy at the folder that holds package.json and specs/"),
        );
        return;
    }
    let outside = entry.starts_with('/') || entry.split('/').any(|part| part == "..");
    // Exec form keeps any name one argument, but Dockerfile linters read shell syntax into
    // it and a backslash is a path separator elsewhere: names keep to the plain characters.
    let odd = entry
        .chars()
        .find(|&c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '@' | '+' | ' ')));
    if let (false, Some(c)) = (outside, odd) {
        let mut d = Diagnostic::new(
            Code::InvalidValue,
            format!("the entry point {entry} has a {c:?} in its name"),
        )
        .help("name the entry point with letters, digits, spaces and . _ - / @ + only, such as `entry \"src/index.ts\"`");
        if let Some(declared) = &input.specs.app.entry {
            d = d.at(declared.span, "an odd character in this name");
        }
        diagnostics.push(d);
        return;
    }
    if outside {
        let mut d = Diagnostic::new(
            Code::InvalidValue,
            format!("the entry point {entry} lies outside the app folder"),
        )
        .help("declare an entry point inside the app folder, relative to it: `entry \"src/index.ts\"`");
        if let Some(declared) = &input.specs.app.entry {
            d = d.at(declared.span, "outside the app folder");
        }
        diagnostics.push(d);
        return;
    }
    if !folder.has(entry) {
        let mut d = Diagnostic::new(
            Code::MissingEntryPoint,
            format!("the entry point {entry} does not exist"),
        )
        .help("create it, or declare the real one: `app NAME { entry \"src/main.ts\" }`");
        if let Some(declared) = &input.specs.app.entry {
            d = d.at(declared.span, "declared here");
        }
        diagnostics.push(d);
    }
    if lockfile == Lockfile::None {
        let mut d = Diagnostic::new(Code::MissingLockfile, "the app has no lockfile, so image builds cannot pin dependencies")
            .help("run `bun install` and commit bun.lock; until then the image installs without --frozen-lockfile");
        if let Some(file) = folder.package_json {
            d = d.at(Span::file_start(file), "no bun.lock beside this file");
        }
        diagnostics.push(d);
    }
}

fn port(input: &Input<'_>, diagnostics: &mut Diagnostics) -> u16 {
    let Some(declared) = &input.specs.app.port else {
        return DEFAULT_PORT;
    };
    match u16::try_from(declared.value) {
        Ok(port) if port > 0 => port,
        _ => {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidPort,
                    format!("port {} is outside 1 to 65535", declared.value),
                )
                .at(declared.span, "invalid port")
                .help("declare a port from 1 to 65535; 3000 is Bun's usual one"),
            );
            DEFAULT_PORT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_follow_the_strictest_of_image_service_and_dns_rules() {
        assert!(is_valid_image_name("storefront-api"));
        assert!(is_valid_image_name("orders.etl2"));
        assert!(!is_valid_image_name("Storefront"));
        assert!(!is_valid_image_name("a--b"));
        assert!(!is_valid_image_name("-a"));
        assert!(!is_valid_image_name("a b"));
        assert!(!is_valid_image_name(&"a".repeat(64)));
    }
}
