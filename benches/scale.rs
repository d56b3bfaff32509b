//! Benchmarks at scale: generated spec folders of 1,000, 10,000 and 100,000 assertions, in
//! the manifest form and spread over `.spec` files (one file per 100 assertions). Each size
//! is timed for reading the specs and for the whole analysis (`specdeploy check`); criterion's
//! throughput is per assertion, so linear growth shows as a flat rate.
//!
//! The `one line` group renders the diagnostics of a minified manifest, one line of megabytes
//! with a warning for every assertion, in both formats: where each diagnostic's place on the
//! line costs more the longer the line, the rate falls with size.
//!
//! The `long lists` group compiles and renders every artifact of an app whose `.spec` file
//! holds one long list: a `because` naming every assertion, or thousands of config variables
//! or external APIs. Where each entry is compared with every other, the rate falls with size.

#[path = "../examples/specgen/corpus.rs"]
#[allow(
    dead_code,
    reason = "the benchmarks use only part of the generator's API"
)]
mod corpus;

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use specdeploy::compile::compile;
use specdeploy::diagnostic::Diagnostics;
use specdeploy::diagnostic::render::{self, Colour};
use specdeploy::emit::{Layout, Target};
use specdeploy::load::{self, AppFolder};
use specdeploy::passes::Options;
use specdeploy::{lang, manifest};

use corpus::{Form, Settings};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// Writes the corpus to a folder under `target/bench/criterion-corpora` and loads it.
fn corpus(form: Form, assertions: usize) -> AppFolder {
    load::load(&written(form, assertions), &mut Diagnostics::new())
}

/// Writes the corpus to a folder under `target/bench/criterion-corpora`; returns the folder.
fn written(form: Form, assertions: usize) -> PathBuf {
    let settings = Settings {
        assertions,
        files: (assertions / 100).max(1),
        form,
        duplicate_rate: 0.001,
        error_rate: 0.001,
        ..Settings::default()
    };
    let name = format!("{form:?}-{assertions}").to_lowercase();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench/criterion-corpora")
        .join(name);
    let _ = std::fs::remove_dir_all(&root);
    corpus::generate(&settings)
        .write_to(&root)
        .expect("the corpus can be written");
    root
}

fn scale(c: &mut Criterion) {
    for form in [Form::Manifest, Form::Spec] {
        let mut group = c.benchmark_group(format!("scale {form:?}").to_lowercase());
        for assertions in SIZES {
            if assertions >= 100_000 {
                group.sample_size(10);
            } else {
                group.sample_size(20);
            }
            group.throughput(Throughput::Elements(assertions as u64));
            let folder = corpus(form, assertions);
            group.bench_with_input(BenchmarkId::new("parse", assertions), &folder, |b, f| {
                b.iter(|| parse(f));
            });
            group.bench_with_input(BenchmarkId::new("check", assertions), &folder, |b, f| {
                b.iter(|| compile(f.clone(), Options::default(), None, Diagnostics::new()));
            });
        }
        group.finish();
    }
    let mut group = c.benchmark_group("one line");
    group.sample_size(10);
    for assertions in [1_000, 10_000] {
        group.throughput(Throughput::Elements(assertions as u64));
        let folder = minified(assertions);
        let checked = compile(folder, Options::default(), None, Diagnostics::new());
        let sources = &checked.folder.sources;
        group.bench_function(BenchmarkId::new("human", assertions), |b| {
            b.iter(|| {
                checked
                    .diagnostics
                    .iter()
                    .map(|d| render::human(d, sources, Colour::Never).len())
                    .sum::<usize>()
            });
        });
        group.bench_function(BenchmarkId::new("json", assertions), |b| {
            b.iter(|| {
                checked
                    .diagnostics
                    .iter()
                    .map(|d| render::json(d, sources).len())
                    .sum::<usize>()
            });
        });
    }
    group.finish();

    let layout = Layout::in_app_folder(Target::All);
    let mut group = c.benchmark_group("long lists");
    group.sample_size(10);
    for shape in [Shape::Because, Shape::Configs, Shape::Apis] {
        for n in [1_000, 4_000] {
            group.throughput(Throughput::Elements(n as u64));
            let folder = listed(shape, n);
            let name = format!("{shape:?}").to_lowercase();
            group.bench_with_input(BenchmarkId::new(name, n), &folder, |b, f| {
                b.iter(|| {
                    compile(
                        f.clone(),
                        Options::default(),
                        Some(&layout),
                        Diagnostics::new(),
                    )
                });
            });
        }
    }
    group.finish();
}

/// An app whose one `.spec` file holds a long list of `n` entries of `shape`.
fn listed(shape: Shape, n: usize) -> AppFolder {
    // The generated app's own files, with a `.spec` file of the shape's in place of its specs.
    let base = written(Form::Spec, 100);
    let root = base.with_file_name(format!("lists-{shape:?}-{n}").to_lowercase());
    let _ = std::fs::remove_dir_all(&root);
    std::fs::rename(&base, &root).expect("the corpus can be moved");
    let specs = root.join("specs");
    std::fs::remove_dir_all(&specs).expect("the corpus's specs can be removed");
    std::fs::create_dir(&specs).expect("the specs folder can be made");
    let mut lines = vec![
        "app storefront-api {\n  archetype web service\n  entry \"src/index.ts\"\n  port 3000\n}"
            .to_owned(),
    ];
    let ids = if shape == Shape::Because { n } else { 1 };
    lines.extend((0..ids).map(|i| {
        format!(
            "assertion A-{i:07} \"The total of cart {i} never goes below zero\" {{\n  type invariant\n  category structure\n  status confirmed\n}}"
        )
    }));
    match shape {
        Shape::Because => {
            let list: Vec<String> = (0..n).map(|i| format!("A-{i:07}")).collect();
            lines.push(format!(
                "needs database postgres because {}",
                list.join(", ")
            ));
            lines.push(format!("secret JWT_SECRET because {}", list.join(", ")));
        }
        Shape::Configs => lines.extend((0..n).map(|i| {
            format!("config VAR_{i:07} \"desc {i}\" default \"v{i}\", because A-0000000")
        })),
        Shape::Apis => lines.extend((0..n).map(|i| {
            format!("needs api vendor-{i} with url VENDOR_{i}_URL and key VENDOR_{i}_KEY")
        })),
    }
    let text = lines.join("\n") + "\n";
    std::fs::write(specs.join("lists.spec"), text).expect("the spec file can be written");
    load::load(&root, &mut Diagnostics::new())
}

/// What the long list of [`listed`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Assertions, each named in one `needs ... because` and one `secret ... because`.
    Because,
    /// `config` declarations.
    Configs,
    /// `needs api` declarations.
    Apis,
}

/// The manifest corpus of `assertions`, every one pending (each gets a warning), written on
/// one line.
fn minified(assertions: usize) -> AppFolder {
    let root = written(Form::Manifest, assertions);
    let path = root.join("specs/assertions.json");
    let text = std::fs::read_to_string(&path).expect("the manifest can be read");
    let mut manifest: serde_json::Value = serde_json::from_str(&text).expect("the corpus is JSON");
    for assertion in manifest["assertions"]
        .as_array_mut()
        .expect("the corpus lists assertions")
    {
        assertion["status"] = "pending".into();
    }
    std::fs::write(&path, manifest.to_string()).expect("the manifest can be written");
    load::load(&root, &mut Diagnostics::new())
}

/// Parses every spec file of `folder`, as the first step of a compilation does.
fn parse(folder: &AppFolder) -> usize {
    let mut diagnostics = Diagnostics::new();
    let mut assertions = 0;
    if let Some(file) = folder.manifest {
        let text = &folder.sources.get(file).text;
        assertions += manifest::parse(file, text, &mut diagnostics)
            .assertions
            .len();
    }
    for &file in &folder.spec_files {
        let text = &folder.sources.get(file).text;
        assertions += lang::parse(file, text, &mut diagnostics).assertions.len();
    }
    assertions
}

criterion_group!(benches, scale);
criterion_main!(benches);
