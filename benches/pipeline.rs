//! Benchmarks of each stage of the pipeline on the example web service: loading the folder,
//! reading the manifest, each analysis pass, each emitter backend, and the whole compilation.
//! A regression shows in the stage it comes from.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use specdeploy::app::Package;
use specdeploy::compile::compile;
use specdeploy::diagnostic::Diagnostics;
use specdeploy::emit::{self, Layout, Target};
use specdeploy::load::{self, AppFolder};
use specdeploy::model::SpecDocument;
use specdeploy::passes::{self, Draft, Input, Options, PASSES};
use specdeploy::{app, manifest, merge};

fn example() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/web-service/app"
    ))
}

fn layout() -> Layout {
    Layout::in_app_folder(Target::All)
}

/// The example's specs and package, read as [`compile`] reads them.
fn read(folder: &AppFolder) -> (specdeploy::model::SpecSet, Package) {
    let mut diagnostics = Diagnostics::new();
    let mut documents: Vec<SpecDocument> = Vec::new();
    if let Some(file) = folder.manifest {
        let text = folder.sources.get(file).text.clone();
        documents.push(manifest::parse(file, &text, &mut diagnostics));
    }
    let specs = merge::merge(documents, &mut diagnostics);
    let package = folder.package_json.map_or_else(Package::default, |file| {
        let text = folder.sources.get(file).text.clone();
        app::parse(file, &text, &mut diagnostics)
    });
    (specs, package)
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("web-service");
    group.bench_function("load", |b| {
        b.iter(|| load::load(example(), &mut Diagnostics::new()));
    });
    let folder = load::load(example(), &mut Diagnostics::new());
    let manifest_file = folder.manifest.expect("the example has a manifest");
    let manifest_text = folder.sources.get(manifest_file).text.clone();
    group.bench_function("parse manifest", |b| {
        b.iter(|| manifest::parse(manifest_file, &manifest_text, &mut Diagnostics::new()));
    });

    let (specs, package) = read(&folder);
    let input = Input {
        specs: &specs,
        folder: &folder,
        package: &package,
        options: Options::default(),
    };
    // Each pass runs on the draft the passes before it left.
    let mut draft = Draft::default();
    for (name, pass) in PASSES {
        group.bench_function(format!("pass {name}"), |b| {
            b.iter(|| {
                let mut after = draft.clone();
                pass(&input, &mut after, &mut Diagnostics::new());
                after
            });
        });
        pass(&input, &mut draft, &mut Diagnostics::new());
    }

    let ir = passes::run(&input, &mut Diagnostics::new())
        .finish()
        .expect("the example makes an IR");
    let layout = layout();
    group.bench_function("emit dockerfile", |b| {
        b.iter(|| emit::dockerfile::emit(&ir, &mut Diagnostics::new()));
    });
    group.bench_function("emit dockerignore", |b| {
        b.iter(|| emit::dockerignore::emit(&ir));
    });
    group.bench_function("emit compose", |b| {
        b.iter(|| emit::compose::emit(&ir, &layout, &mut Diagnostics::new()));
    });
    group.bench_function("emit env file", |b| {
        b.iter(|| emit::env_file::emit(&ir, &mut Diagnostics::new()));
    });
    group.bench_function("emit health", |b| {
        b.iter(|| emit::health::emit(&ir, &mut Diagnostics::new()));
    });
    group.bench_function("emit kubernetes", |b| {
        b.iter(|| emit::kubernetes::emit(&ir, &layout, &mut Diagnostics::new()));
    });

    group.bench_function("analyse", |b| {
        b.iter(|| compile(folder.clone(), Options::default(), None, Diagnostics::new()));
    });
    group.bench_function("compile and emit", |b| {
        b.iter(|| {
            compile(
                folder.clone(),
                Options::default(),
                Some(&layout),
                Diagnostics::new(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
