//! Benchmarks at scale: generated spec folders of 1,000, 10,000 and 100,000 assertions, in
//! the manifest form and spread over `.spec` files (one file per 100 assertions). Each size
//! is timed for reading the specs and for the whole analysis (`specdeploy check`); criterion's
//! throughput is per assertion, so linear growth shows as a flat rate.

#[path = "../examples/specgen/corpus.rs"]
#[allow(
    dead_code,
    reason = "the benchmarks use only part of the generator's API"
)]
mod corpus;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use specdeploy::compile::compile;
use specdeploy::diagnostic::Diagnostics;
use specdeploy::load::{self, AppFolder};
use specdeploy::passes::Options;
use specdeploy::{lang, manifest};

use corpus::{Form, Settings};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// Writes the corpus to a folder under `target/bench/criterion-corpora` and loads it.
fn corpus(form: Form, assertions: usize) -> AppFolder {
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
    load::load(&root, &mut Diagnostics::new())
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
