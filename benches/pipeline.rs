//! Benchmarks of the pipeline on the example app: loading, analysis, and emission.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use specdeploy::compile::compile;
use specdeploy::diagnostic::Diagnostics;
use specdeploy::emit::{Layout, Target};
use specdeploy::load;
use specdeploy::passes::Options;

fn example() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/web-service/app"
    ))
}

fn pipeline(c: &mut Criterion) {
    let layout = Layout {
        context: ".".to_owned(),
        dockerfile: "Dockerfile".to_owned(),
        target: Target::All,
        image_registry: None,
        replicas: None,
    };
    c.bench_function("load web-service", |b| {
        b.iter(|| load::load(example(), &mut Diagnostics::new()));
    });
    let folder = load::load(example(), &mut Diagnostics::new());
    c.bench_function("analyse web-service", |b| {
        b.iter(|| compile(folder.clone(), Options::default(), None, Diagnostics::new()));
    });
    c.bench_function("compile and emit web-service", |b| {
        b.iter(|| {
            compile(
                folder.clone(),
                Options::default(),
                Some(&layout),
                Diagnostics::new(),
            )
        });
    });
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
