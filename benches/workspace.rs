//! The workspace build at scale: 200 small generated apps (web services on one port, some
//! sharing PostgreSQL and Redis, every tenth calling the one before it), discovered, read,
//! compiled one by one and merged into one deployment with its artifacts rendered. Writing
//! the files is left out; `specdeploy build` on the same folder adds that.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use specdeploy::compile::compile;
use specdeploy::diagnostic::Diagnostics;
use specdeploy::emit::{Layout, Target};
use specdeploy::load;
use specdeploy::passes::Options;
use specdeploy::workspace::{self, Input, Settings, discover};

/// How many apps the generated workspace holds.
const APPS: usize = 200;

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(path, text).expect("write file");
}

/// The name of app `n`: letters only (`app-aab`), since an API name drops words of digits.
fn name(n: usize) -> String {
    let letter = |k: usize| char::from(b'a' + u8::try_from(k % 26).unwrap_or(0));
    format!("app-{}{}{}", letter(n / 676), letter(n / 26), letter(n))
}

/// Writes app `n` of the generated workspace into `root/apps/NAME`.
fn generate(root: &Path, n: usize) {
    let name = name(n);
    let dir = root.join("apps").join(&name);
    let mut needs = String::from("needs database postgres because G-001\n");
    if n % 2 == 0 {
        needs.push_str("needs cache redis because G-001\n");
    }
    if n % 10 == 9 {
        let callee = self::name(n - 1);
        let url = callee.to_uppercase().replace('-', "_");
        let _ = writeln!(
            needs,
            "needs api {callee} with url {url}_URL, required, because G-001"
        );
    }
    write(
        &dir.join("specs/app.spec"),
        &format!(
            "app {name} {{\n  version \"1.0.0\"\n  archetype web service\n  entry \"src/index.ts\"\n  port 3000\n}}\n\n\
             assertion G-001 \"Every order is stored before the API answers\" {{\n  type invariant\n  category behavior\n  status confirmed\n}}\n\n{needs}"
        ),
    );
    write(
        &dir.join("package.json"),
        &format!(
            "{{ \"name\": \"{name}\", \"version\": \"1.0.0\", \"dependencies\": {{ \"hono\": \"^4.13.23\" }} }}\n"
        ),
    );
    write(
        &dir.join("src/index.ts"),
        "import { Hono } from \"hono\";\nimport { health } from \"./api/health\";\nconst app = new Hono();\napp.route(\"/\", health);\nexport default app;\n",
    );
}

fn build(root: &Path) -> workspace::Workspace {
    let mut diagnostics = Diagnostics::new();
    let discovery = discover::discover(root, &mut diagnostics);
    let layout = Layout::in_app_folder(Target::Compose);
    let inputs = discovery
        .members
        .iter()
        .map(|folder| {
            let mut problems = Diagnostics::new();
            let loaded = load::load(&root.join(folder), &mut problems);
            Input {
                folder: folder.clone(),
                compilation: compile(loaded, Options::default(), Some(&layout), problems),
                context: format!("./{folder}"),
            }
        })
        .collect();
    let settings = Settings {
        name: "generated".to_owned(),
        emit: true,
        ..Settings::default()
    };
    workspace::compile(inputs, &settings, discovery.sources, diagnostics)
}

fn workspace_build(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    for n in 0..APPS {
        generate(dir.path(), n);
    }
    let built = build(dir.path());
    assert_eq!(built.members.len(), APPS);
    assert!(!built.diagnostics.has_errors(), "{:?}", built.diagnostics);
    assert_eq!(built.graph.calls.len(), APPS / 10);
    let mut group = c.benchmark_group("workspace");
    group.sample_size(10);
    group.bench_function("build 200 apps", |b| b.iter(|| build(dir.path())));
    group.finish();
}

criterion_group!(benches, workspace_build);
criterion_main!(benches);
