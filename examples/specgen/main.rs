//! `specgen`: writes a synthetic app folder for benchmarks and scale tests.
//!
//! ```sh
//! cargo run --release --example specgen -- --assertions 10000 --form spec --files 100 \
//!     --out target/bench/spec-10000
//! ```
//!
//! Options: `--assertions N` (100), `--form manifest|spec|both` (manifest), `--files N` (1,
//! the `.spec` files the assertions are spread over), `--seed N` (1), `--duplicates RATE`
//! and `--errors RATE` (0: the share of assertions with a repeated id, and with an invalid or
//! missing required field), `--out DIR` (required; its `specs/` folder is replaced). It
//! prints the size of the specs and the errors `specdeploy check` must report.

mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

use corpus::{Form, Settings};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("specgen: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut settings = Settings::default();
    let mut out: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--assertions" => settings.assertions = number(&flag, &value()?)?,
            "--files" => settings.files = number(&flag, &value()?)?,
            "--seed" => settings.seed = number(&flag, &value()?)?,
            "--duplicates" => settings.duplicate_rate = rate(&flag, &value()?)?,
            "--errors" => settings.error_rate = rate(&flag, &value()?)?,
            "--form" => {
                let text = value()?;
                settings.form = Form::parse(&text)
                    .ok_or_else(|| format!("--form takes manifest, spec or both, not {text}"))?;
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown option {other}; see examples/specgen")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;

    let corpus = corpus::generate(&settings);
    // Spec files of an earlier, larger corpus would be read with the new ones.
    let specs = out.join("specs");
    if specs.exists() {
        std::fs::remove_dir_all(&specs)
            .map_err(|e| format!("cannot clear {}: {e}", specs.display()))?;
    }
    corpus
        .write_to(&out)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let errors: Vec<String> = corpus
        .expected
        .iter()
        .map(|(code, n)| format!("{code} x{n}"))
        .collect();
    println!(
        "{}: {} assertions, {} bytes of specs, errors: {}",
        out.display(),
        settings.assertions,
        corpus.spec_bytes(),
        if errors.is_empty() {
            "none".to_owned()
        } else {
            errors.join(", ")
        }
    );
    Ok(())
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag} takes a whole number, not {text}"))
}

fn rate(flag: &str, text: &str) -> Result<f64, String> {
    text.parse()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| format!("{flag} takes a share from 0 to 1, not {text}"))
}
