//! Spec text cannot change the structure of what specdeploy writes. Hostile strings (quotes,
//! line breaks, `#`, `$`, `${…}`, backticks, YAML indicators, `\r`, NUL, right-to-left marks,
//! very long runs) go into the specs where free text reaches the artifacts: a variable's
//! description and default, and the entry point's file name. Each artifact is then parsed
//! back by a real parser for its format (dotenv, Docker Compose, YAML, `BuildKit`'s Dockerfile
//! parser) and the value must arrive exactly, with the structure unchanged; or the specs are
//! refused with a diagnostic, and only for characters the format cannot carry.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use specdeploy::compile::{Compilation, compile};
use specdeploy::diagnostic::Diagnostics;
use specdeploy::emit::{Layout, Root, Target};
use support::{compose_config_json, filled_env, parse_dockerfile};

/// Pieces that break naive emitters of YAML, dotenv, Dockerfiles and shells.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"",
            "'",
            "\\",
            "\n",
            "\r",
            "\r\n",
            "\0",
            "\t",
            "#",
            " #",
            "# ",
            "$",
            "$$",
            "${HOME}",
            "${X:-y}",
            "${X:?}",
            "$(id)",
            "`id`",
            ": ",
            "- ",
            "? ",
            "&anchor",
            "*alias",
            "!!str",
            "{",
            "}",
            "[",
            "]",
            ",",
            "%",
            "@",
            "|",
            ">",
            "---",
            "...",
            "=",
            "export ",
            "\u{1b}[31m",
            "\u{202e}",
            "\u{2066}",
            "\u{200f}",
            "\u{feff}",
            "\u{85}",
            "\u{2028}",
            "é",
            "日本",
            " ",
            "true",
            "null",
            "0x1F",
            "1e3",
            "~",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9._-]{1,8}",
        any::<char>().prop_map(String::from),
    ]
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(piece(), 1..10).prop_map(|p| p.concat()),
        1 => ("[a-z$#\"]{1,4}", 1000..40_000usize).prop_map(|(s, n)| s.repeat(n / s.len().max(1))),
    ]
}

/// `text` as a quoted string of the `.spec` language.
fn spec_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || !c.is_ascii() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A web service whose specs declare `LOG_LEVEL` with `description` and `default`, and whose
/// entry point is `src/<entry>`.
fn app(description: &str, default: &str, entry: &str) -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temporary folder");
    let app = work.path().join("app");
    std::fs::create_dir_all(app.join("specs")).expect("specs");
    std::fs::create_dir_all(app.join("src")).expect("src");
    std::fs::write(
        app.join("package.json"),
        r#"{"name": "probe", "version": "1.0.0", "dependencies": {"hono": "^4.6.0"}}"#,
    )
    .expect("package.json");
    std::fs::write(app.join("bun.lock"), "{}\n").expect("lockfile");
    std::fs::write(app.join("src").join(entry), "export {};\n").expect("entry");
    std::fs::write(
        app.join("specs/app.spec"),
        format!(
            "app probe {{\n  version \"1.0.0\"\n  archetype web service\n  entry {}\n  port 3000\n}}\n\n\
             assertion P-001 \"The probe answers\" {{\n  type liveness\n  category behavior\n  status confirmed\n}}\n\n\
             config LOG_LEVEL {} default {}\n",
            spec_string(&format!("src/{entry}")),
            spec_string(description),
            spec_string(default),
        ),
    )
    .expect("app.spec");
    (work, app)
}

fn compiled(app: &Path) -> Compilation {
    let mut diagnostics = Diagnostics::new();
    let folder = specdeploy::load::load(app, &mut diagnostics);
    let layout = Layout {
        image_registry: Some("ghcr.io/acme".to_owned()),
        replicas: Some(2),
        ..Layout::in_app_folder(Target::All)
    };
    compile(
        folder,
        specdeploy::passes::Options::default(),
        Some(&layout),
        diagnostics,
    )
}

/// Writes the artifacts under `out` (all of them: the app-folder ones too, so each format is
/// in one place).
fn write_all(compilation: &Compilation, out: &Path) {
    for artifact in &compilation.artifacts {
        let mut artifact = artifact.clone();
        if artifact.root == Root::App {
            artifact.path = format!("app/{}", artifact.path);
        }
        specdeploy::write::write(out, &artifact).expect("write");
    }
}

/// Whether a format may refuse `text`: it holds a character no one-line value can carry.
fn has_uncarriable(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{feff}'))
}

/// Whether `.env.example` may refuse `value` as a default: no quoting of it reads the same in
/// Compose and in Bun (a trailing backslash; `$` or `'` together with `"` or a backslash).
fn dotenv_may_refuse(value: &str) -> bool {
    has_uncarriable(value)
        || value.ends_with('\\')
        || (value.contains(['$', '\'']) && value.contains(['"', '\\']))
}

/// Whether a Dockerfile label may refuse `value`: hadolint misreads a backslash before a
/// quote, the closing one included, and `BuildKit` refuses a line over 64 KiB.
fn label_may_refuse(value: &str) -> bool {
    has_uncarriable(value)
        || value.ends_with('\\')
        || value.contains("\\\"")
        || value.len() > specdeploy::emit::escape::MAX_DOCKERFILE_STRING
}

/// `LOG_LEVEL` as Bun reads it from `.env` when it starts the app.
fn bun_reads(env_file: &str) -> Option<String> {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join(".env"), env_file).expect(".env");
    let mut command = std::process::Command::new(support::tool(support::Tool::Bun));
    command.current_dir(dir.path()).env_clear();
    for kept in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(kept) {
            command.env(kept, value);
        }
    }
    command.args([
        "-e",
        "process.stdout.write(JSON.stringify(process.env.LOG_LEVEL ?? null))",
    ]);
    let ran = support::run(&mut command);
    ran.assert_success();
    serde_json::from_str(&ran.stdout).expect("JSON from bun")
}

/// The error codes of a compilation.
fn errors(compilation: &Compilation) -> BTreeSet<String> {
    compilation
        .diagnostics
        .iter()
        .filter(|d| d.severity == specdeploy::diagnostic::Severity::Error)
        .map(|d| d.code.to_string())
        .collect()
}

/// The keys and values of `.env.example`, as dotenvy reads them.
fn dotenv(path: &Path) -> Vec<(String, String)> {
    dotenvy::from_path_iter(path)
        .expect(".env.example")
        .map(|item| item.expect("a dotenv line"))
        .collect()
}

fn yaml(path: &Path) -> yaml_rust2::Yaml {
    let text = std::fs::read_to_string(path).expect("YAML file");
    let mut documents = yaml_rust2::YamlLoader::load_from_str(&text).expect("valid YAML");
    assert_eq!(documents.len(), 1, "{}", path.display());
    documents.remove(0)
}

/// Compiles the specs with these strings and checks every format carries them as data.
fn round_trip(description: &str, default: &str) -> Result<(), TestCaseError> {
    let (work, app) = app(description, default, "index.ts");
    let compilation = compiled(&app);
    if compilation.diagnostics.has_errors() {
        let codes = errors(&compilation);
        prop_assert!(
            has_uncarriable(description) || dotenv_may_refuse(default),
            "refused {default:?} with {codes:?}"
        );
        prop_assert!(
            codes.iter().all(|c| c == "SD0606" || c.starts_with("SD02")),
            "{codes:?}"
        );
        return Ok(());
    }
    let out = work.path().join("out");
    write_all(&compilation, &out);

    // dotenv: the default is the value, the description stays a comment.
    let entries = dotenv(&out.join(".env.example"));
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    prop_assert_eq!(keys, vec!["LOG_LEVEL"], "{:?}", entries);
    prop_assert_eq!(&entries[0].1, default);

    // Compose: the value from `${LOG_LEVEL:-…}` when .env does not set it, and from Compose's
    // own reading of the .env line when it does; the services stay the same.
    let template = std::fs::read_to_string(out.join(".env.example")).expect(".env.example");
    let filled = filled_env(&template, Some("LOG_LEVEL"));
    let unset: String = filled
        .lines()
        .filter(|l| !l.starts_with("LOG_LEVEL="))
        .flat_map(|l| [l, "\n"])
        .collect();
    std::fs::write(out.join("unset.env"), unset).expect("env");
    std::fs::write(out.join("set.env"), &filled).expect("env");
    if !specdeploy::emit::compose::can_default(default) {
        // `${NAME:-…}` cannot hold `$` or `}`: such a default makes the variable required,
        // and the value comes from .env alone.
        let run = support::compose_config(&out, &["compose.yaml"], Some(&out.join("unset.env")));
        prop_assert!(
            !run.success() && run.stderr.contains("LOG_LEVEL is required"),
            "{}",
            run
        );
    }
    for env in ["unset.env", "set.env"] {
        if env == "unset.env" && !specdeploy::emit::compose::can_default(default) {
            continue;
        }
        let project = compose_config_json(&out, &["compose.yaml"], Some(&out.join(env)));
        let services: Vec<&String> = project["services"]
            .as_object()
            .expect("services")
            .keys()
            .collect();
        prop_assert_eq!(services, vec!["probe"]);
        // `config` prints every `$` of a value doubled, so that its output is a valid
        // Compose file again; the container gets the value with single ones.
        let received = project["services"]["probe"]["environment"]["LOG_LEVEL"]
            .as_str()
            .map(|v| v.replace("$$", "$"));
        prop_assert_eq!(received.as_deref(), Some(default), "{}", env);
    }

    // Bun, which loads .env when it runs the app, reads the same value.
    let bun = bun_reads(&filled);
    prop_assert_eq!(bun.as_deref(), Some(default));

    // Kubernetes: the ConfigMap holds the default as one string value.
    let configmap = yaml(&out.join("deploy/k8s/base/configmap.yaml"));
    prop_assert_eq!(configmap["data"]["LOG_LEVEL"].as_str(), Some(default));
    prop_assert_eq!(configmap["kind"].as_str(), Some("ConfigMap"));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn descriptions_and_defaults_arrive_as_data(description in hostile(), default in hostile()) {
        round_trip(&description, &default)?;
    }
}

#[test]
fn known_hostile_values_arrive_as_data() {
    for value in [
        "${HOME}",
        "$$",
        "a # not a comment",
        "\"quoted\" and 'single'",
        "`id` $(id)",
        "key: value",
        "- item",
        "&anchor *alias !!str",
        "\u{202e}reversed\u{202c}",
        "",
        " leading and trailing ",
        "it's",
        "ends in a backslash \\",
        ": \u{2028} line separator",
        "next line \u{85}",
    ] {
        round_trip("Hostile", value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        round_trip(value, "info").unwrap_or_else(|e| panic!("{value:?}: {e}"));
    }
}

/// File names for an entry point: anything a Linux file name holds but `/` and NUL.
fn file_stem() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 1..6).prop_map(|p| {
        let stem: String = p.concat().replace(['/', '\0'], "_");
        stem.chars().take(60).collect()
    })
}

/// The Dockerfile under `out` as `BuildKit` parses it, once hadolint finds nothing in it and
/// its instructions are those of a plain app's: spec text changed no step.
fn dockerfile_steps(out: &Path) -> Result<Vec<support::DockerfileInstruction>, TestCaseError> {
    let linted = support::hadolint(&out.join("Dockerfile"));
    prop_assert!(linted.success(), "{}", linted);
    let instructions = parse_dockerfile(&out.join("Dockerfile"));
    let kinds: Vec<String> = instructions.iter().map(|i| i.cmd.to_lowercase()).collect();
    prop_assert_eq!(
        kinds,
        baseline_kinds(),
        "spec text changed the Dockerfile's steps"
    );
    Ok(instructions)
}

fn entry_round_trip(stem: &str) -> Result<(), TestCaseError> {
    let entry = format!("{stem}.ts");
    let (work, app) = app("Log level", "info", &entry);
    let compilation = compiled(&app);
    if compilation.diagnostics.has_errors() {
        let codes = errors(&compilation);
        let plain = |c: char| c.is_alphanumeric() || "._-@+ ".contains(c);
        prop_assert!(!stem.chars().all(plain), "refused {stem:?} with {codes:?}");
        prop_assert_eq!(codes, BTreeSet::from(["SD0204".to_owned()]));
        return Ok(());
    }
    let out = work.path().join("out");
    write_all(&compilation, &out);
    let instructions = dockerfile_steps(&out)?;
    let build = instructions
        .iter()
        .find(|i| i.value.len() > 2 && i.value[..2] == ["bun", "build"])
        .expect("the build step");
    prop_assert!(build.json, "the build step runs no shell");
    prop_assert_eq!(&build.value[2], &format!("src/{entry}"));
    let cmd = instructions.last().expect("CMD");
    prop_assert!(cmd.json);
    prop_assert_eq!(&cmd.value[1], &format!("dist/{stem}.js"));
    Ok(())
}

/// The Dockerfile's instructions for a plain entry point, `src/index.ts`.
fn baseline_kinds() -> Vec<String> {
    static KINDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KINDS
        .get_or_init(|| {
            let (work, app) = app("Log level", "info", "index.ts");
            let out = work.path().join("out");
            write_all(&compiled(&app), &out);
            parse_dockerfile(&out.join("Dockerfile"))
                .iter()
                .map(|i| i.cmd.to_lowercase())
                .collect()
        })
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn entry_point_names_reach_the_dockerfile_as_one_argument(stem in file_stem()) {
        entry_round_trip(&stem)?;
    }
}

#[test]
fn an_entry_point_named_like_a_command_is_never_run() {
    for stem in [
        "`id`",
        "$(touch pwned)",
        "a\" && id && \"b",
        "x;id",
        "$HOME",
    ] {
        entry_round_trip(stem).unwrap_or_else(|e| panic!("{stem:?}: {e}"));
    }
}

/// A double-quoted Dockerfile word as `BuildKit` reads it at build time: a backslash keeps
/// the next character as it is.
fn dockerfile_word(word: &str) -> Option<String> {
    let inner = word.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn label_round_trip(description: &str) -> Result<(), TestCaseError> {
    let (work, app) = app("Log level", "info", "index.ts");
    let package = serde_json::json!({
        "name": "probe",
        "version": "1.0.0",
        "description": description,
        "dependencies": {"hono": "^4.6.0"},
    });
    std::fs::write(app.join("package.json"), package.to_string()).expect("package.json");
    let compilation = compiled(&app);
    if compilation.diagnostics.has_errors() {
        let codes = errors(&compilation);
        prop_assert!(
            label_may_refuse(description),
            "refused {description:?} with {codes:?}"
        );
        prop_assert_eq!(codes, BTreeSet::from(["SD0606".to_owned()]));
        return Ok(());
    }
    let out = work.path().join("out");
    write_all(&compilation, &out);
    let instructions = dockerfile_steps(&out)?;
    let label = instructions
        .iter()
        .find(|i| i.cmd.eq_ignore_ascii_case("label"))
        .expect("LABEL");
    let words: Vec<String> = label
        .value
        .iter()
        .map(|w| dockerfile_word(w).expect("a double-quoted word"))
        .collect();
    prop_assert!(words.len() % 2 == 0, "{:?}", words);
    let pairs: Vec<(&str, &str)> = words
        .chunks(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    prop_assert!(
        keys.iter().all(
            |k| k.starts_with("org.opencontainers.image.") || k.starts_with("com.spec-driven.")
        ),
        "{:?}",
        keys
    );
    prop_assert_eq!(
        pairs
            .iter()
            .find(|(k, _)| *k == "org.opencontainers.image.description")
            .map(|(_, v)| *v),
        if description.is_empty() {
            None
        } else {
            Some(description)
        }
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn package_descriptions_reach_the_image_label_as_data(description in hostile()) {
        label_round_trip(&description)?;
    }
}
