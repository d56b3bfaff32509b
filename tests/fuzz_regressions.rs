//! Replays, through the fuzz targets' entry points, every input the fuzzers found that broke
//! specdeploy (`fuzz/regressions/TARGET/`), and the fixtures the fuzzers start from, so a
//! fixed crash stays fixed without a nightly toolchain. `scripts/fuzz.sh` runs the fuzzers.

mod support;

use std::path::{Path, PathBuf};

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    if !dir.is_dir() {
        return Vec::new();
    }
    support::files_under(dir)
        .into_iter()
        .filter(|p| keep(p))
        .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn regressions(target: &str) -> Vec<Vec<u8>> {
    files_under(&root().join("fuzz/regressions").join(target), &|_| true)
        .iter()
        .map(|p| std::fs::read(p).expect("regression input"))
        .collect()
}

fn fixtures_named(name: &dyn Fn(&Path) -> bool) -> Vec<Vec<u8>> {
    let found = files_under(&root().join("fixtures"), name);
    assert!(!found.is_empty(), "no fixture seeds");
    found
        .iter()
        .map(|p| std::fs::read(p).expect("fixture"))
        .collect()
}

#[test]
fn spec_file_inputs_replay() {
    let seeds = fixtures_named(&|p| p.extension().is_some_and(|e| e == "spec"));
    for input in seeds.iter().chain(&regressions("spec_file")) {
        specdeploy::fuzz::spec_file(input);
    }
}

#[test]
fn manifest_inputs_replay() {
    let seeds = fixtures_named(&|p| p.file_name().is_some_and(|n| n == "assertions.json"));
    for input in seeds.iter().chain(&regressions("manifest")) {
        specdeploy::fuzz::manifest(input);
    }
}

#[test]
fn pipeline_inputs_replay() {
    let mut seeds = Vec::new();
    for app in files_under(&root().join("fixtures"), &|p| {
        p.file_name().is_some_and(|n| n == "package.json")
    }) {
        let app = app.parent().expect("app folder");
        let manifest = std::fs::read(app.join("specs/assertions.json")).unwrap_or_default();
        let spec = files_under(&app.join("specs"), &|p| {
            p.extension().is_some_and(|e| e == "spec")
        })
        .first()
        .map(|p| std::fs::read(p).expect("spec"))
        .unwrap_or_default();
        let package = std::fs::read(app.join("package.json")).expect("package.json");
        seeds.push([manifest, vec![0xFF], spec, vec![0xFF], package].concat());
    }
    assert!(seeds.len() > 5, "{} seeds", seeds.len());
    for input in seeds.iter().chain(&regressions("pipeline")) {
        specdeploy::fuzz::pipeline(input);
    }
}
