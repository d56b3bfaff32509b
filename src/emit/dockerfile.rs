//! The Dockerfile: multi-stage, pinned bases, non-root, exec form, labels from the IR.

use serde::Serialize;

use super::{Artifact, HEADER, Root, escape, render, verbatim};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::images::{self, Image, Libc};
use crate::ir::{Ir, Lockfile, Probe};
use crate::model::Archetype;

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    build_image: minijinja::Value,
    runtime_image: minijinja::Value,
    user: minijinja::Value,
    install_files: minijinja::Value,
    install: minijinja::Value,
    install_production: minijinja::Value,
    entry: String,
    compile: minijinja::Value,
    bundle: String,
    binary: minijinja::Value,
    port: Option<u16>,
    labels: Vec<(String, minijinja::Value)>,
    healthcheck: Option<minijinja::Value>,
    cmd: minijinja::Value,
    lockfile_note: minijinja::Value,
}

/// Renders the Dockerfile for the IR's archetype; a library gets none.
pub fn emit(ir: &Ir, diagnostics: &mut Diagnostics) -> Option<Artifact> {
    let app = &ir.app;
    let (template, runtime): (&str, &Image) = match app.archetype {
        Archetype::WebService => ("Dockerfile.web-service.j2", &images::BUN_SLIM),
        Archetype::CliTool => ("Dockerfile.cli-tool.j2", &images::DISTROLESS_CC),
        Archetype::DataPipeline => ("Dockerfile.data-pipeline.j2", &images::BUN_SLIM),
        Archetype::Library => return None,
    };
    // `bun build --compile` links against the build stage's libc; the runtime must match.
    if app.archetype == Archetype::CliTool && runtime.libc != images::BUN_BUILD.libc {
        diagnostics.push(Diagnostic::new(
            Code::IncompatibleBase,
            format!(
                "{} uses {:?}, but the binary is compiled against {:?}",
                runtime.reference,
                runtime.libc,
                Libc::Glibc
            ),
        ));
        return None;
    }

    let mut install_files = vec!["package.json".to_owned()];
    install_files.extend(app.lockfile.file_name().map(str::to_owned));
    if app.has_bunfig {
        install_files.push("bunfig.toml".to_owned());
    }
    install_files.push("./".to_owned());
    let frozen = if app.lockfile == Lockfile::None {
        ""
    } else {
        " --frozen-lockfile"
    };
    let install = format!("bun install{frozen}");
    let install_production = format!("bun install{frozen} --production");
    let stem = app.entry.rsplit('/').next().unwrap_or("index.ts");
    let bundle = format!("dist/{}.js", stem.rsplit_once('.').map_or(stem, |(s, _)| s));

    let mut labels = Vec::new();
    let mut unsafe_label = false;
    for (key, value) in &ir.labels {
        match escape::dockerfile_string(key, value) {
            Ok(text) => labels.push((key.clone(), verbatim(text))),
            Err(e) => {
                unsafe_label = true;
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnsafeValue,
                        format!("the image label {key} cannot be written: {}", e.reason),
                    )
                    .help("remove the line breaks from the value in package.json or the specs"),
                );
            }
        }
    }
    if unsafe_label {
        return None;
    }

    let healthcheck = ir.app_service().and_then(|s| s.health.as_ref()).map(|h| {
        let command = match &h.probe {
            Probe::Exec(args) => format!("CMD {}", escape::json_array(args)),
            Probe::Shell(line) => format!(
                "CMD {}",
                escape::json_array(&["/bin/sh".to_owned(), "-c".to_owned(), line.clone()])
            ),
        };
        verbatim(format!(
            "--interval={}s --timeout={}s --start-period={}s --retries={} {command}",
            h.interval_s, h.timeout_s, h.start_period_s, h.retries
        ))
    });
    if healthcheck.is_some() && !runtime.has("bun") {
        diagnostics.push(Diagnostic::new(
            Code::ImageProbeMissing,
            format!(
                "the HEALTHCHECK runs bun, which {} does not have",
                runtime.reference
            ),
        ));
        return None;
    }
    let binary = format!("/usr/local/bin/{}", app.name);
    let cmd = match app.archetype {
        Archetype::WebService => escape::json_array(&["bun".to_owned(), bundle.clone()]),
        Archetype::DataPipeline => escape::json_array(&["bun".to_owned(), app.entry.clone()]),
        _ => escape::json_array(std::slice::from_ref(&binary)),
    };
    // Exec form: the entry point reaches `bun` as one argument, never a shell, so no file
    // name can run a command at build time.
    let compile = match app.archetype {
        Archetype::CliTool => vec!["--compile", "--outfile", "/app/program"],
        _ => vec!["--outdir", "dist", "--target", "bun"],
    };
    let compile: Vec<String> = ["bun", "build", app.entry.as_str()]
        .into_iter()
        .chain(compile)
        .map(str::to_owned)
        .collect();
    let context = Context {
        header: verbatim(HEADER.to_owned()),
        build_image: verbatim(images::BUN_BUILD.reference.to_owned()),
        runtime_image: verbatim(runtime.reference.to_owned()),
        user: verbatim(runtime.user.unwrap_or("65532:65532").to_owned()),
        install_files: verbatim(escape::json_array(&install_files)),
        install: verbatim(install),
        install_production: verbatim(install_production),
        entry: app.entry.clone(),
        compile: verbatim(escape::json_array(&compile)),
        bundle,
        binary: verbatim(binary),
        port: app.port,
        labels,
        healthcheck,
        cmd: verbatim(cmd),
        lockfile_note: verbatim(
            if app.lockfile == Lockfile::None {
                "No lockfile: dependencies resolve at build time. Commit bun.lock to pin them."
            } else {
                "Installs exactly what the lockfile pins."
            }
            .to_owned(),
        ),
    };
    let contents = render(template, context, diagnostics)?;
    Some(Artifact {
        path: "Dockerfile".to_owned(),
        root: Root::Out,
        purpose: format!(
            "{} image: multi-stage, non-root, {}",
            app.archetype.as_str(),
            runtime.reference
        ),
        contents,
    })
}
