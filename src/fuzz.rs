//! Entry points that take untrusted bytes through a stage of the pipeline and through both
//! renderings of its diagnostics. The fuzz targets under `fuzz/` call them, and the
//! regression tests replay every input the fuzzers found through them. Each panics only on a
//! bug: an input that breaks an invariant of specdeploy's, never one that is merely invalid.

use crate::compile::compile;
use crate::diagnostic::Diagnostics;
use crate::diagnostic::render::{self, Colour};
use crate::emit::marker::{Provenance, provenance};
use crate::emit::{Layout, Target};
use crate::passes::Options;
use crate::source::Sources;

/// Parses `data` as a `.spec` file. Each assertion the hand-written reader reads must read
/// the same with pest.
///
/// # Panics
/// When the two readers disagree.
pub fn spec_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    crate::lang::fast_reads_as_pest(text);
    let mut sources = Sources::new();
    let file = sources.add("specs/fuzz.spec", text);
    let mut diagnostics = Diagnostics::new();
    let _ = crate::lang::parse(file, text, &mut diagnostics);
    render_all(&diagnostics, &sources);
}

/// Parses `data` as `specs/assertions.json`.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::new();
    let file = sources.add("specs/assertions.json", text);
    let mut diagnostics = Diagnostics::new();
    let _ = crate::manifest::parse(file, text, &mut diagnostics);
    render_all(&diagnostics, &sources);
}

/// Compiles an app whose manifest, `.spec` file and `package.json` are the parts of `data`
/// between `0xFF` bytes (a byte UTF-8 never holds), and renders every artifact. Every
/// artifact must carry the generated-file marker with the hash of its contents.
///
/// # Panics
/// When an artifact lacks a valid marker.
pub fn pipeline(data: &[u8]) {
    let mut parts = data.split(|&b| b == 0xFF).map(std::str::from_utf8);
    let (Some(Ok(manifest)), Some(Ok(spec)), package) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let package = match package {
        Some(Ok(text)) => text,
        Some(Err(_)) => return,
        None => r#"{"name": "fuzz", "version": "1.0.0"}"#,
    };
    let folder = crate::load::from_texts([
        ("specs/assertions.json", manifest),
        ("specs/app.spec", spec),
        ("package.json", package),
        ("bun.lock", "{}"),
        ("src/index.ts", "export {};"),
    ]);
    let layout = Layout::in_app_folder(Target::All);
    let compilation = compile(
        folder,
        Options::default(),
        Some(&layout),
        Diagnostics::new(),
    );
    for artifact in &compilation.artifacts {
        assert_eq!(
            provenance(artifact.contents.as_bytes()),
            Provenance::Generated,
            "{} lacks a valid marker",
            artifact.path
        );
    }
    if let Some(ir) = &compilation.ir {
        let _ = crate::explain::human(ir, &compilation.folder.sources);
        let json = crate::explain::json(ir, &compilation.folder.sources);
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "explain printed invalid JSON"
        );
    }
    render_all(&compilation.diagnostics, &compilation.folder.sources);
}

/// Renders every diagnostic both ways; the JSON rendering must be one JSON object.
fn render_all(diagnostics: &Diagnostics, sources: &Sources) {
    for diagnostic in diagnostics.iter() {
        let _ = render::human(diagnostic, sources, Colour::Never);
        let json = render::json(diagnostic, sources);
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok_and(|v| v.is_object()),
            "the JSON rendering is not one object: {json}"
        );
    }
}
