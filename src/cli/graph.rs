//! `specdeploy graph`: the dependency graph of an app or a workspace as DOT on stdout, and
//! with `--svg FILE` drawn by Graphviz's `dot` (the command's one child process).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{Cli, io_error, print_stdout, workspace as ws};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::emit::{Artifact, HEADER, Root, marker};
use crate::passes::Options;
use crate::workspace::{discover, dot};
use crate::write::{self, Standing};

/// The `dot` to run: `$SPECDEPLOY_DOT`, else `dot` on PATH.
fn dot_program() -> std::ffi::OsString {
    std::env::var_os("SPECDEPLOY_DOT")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "dot".into())
}

/// Runs `dot -Tsvg` on `source`; a problem is a diagnostic (`SD0705`).
fn svg(source: &str) -> Result<String, Box<Diagnostic>> {
    let program = dot_program();
    let shown = program.to_string_lossy().into_owned();
    let missing = |why: String| {
        Box::new(
            Diagnostic::new(Code::GraphvizMissing, why).help(
                "install Graphviz (Debian and Ubuntu: `apt-get install graphviz`), or point SPECDEPLOY_DOT at its `dot`; the DOT text on stdout needs no Graphviz",
            ),
        )
    };
    let mut child = Command::new(&program)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            missing(format!(
                "cannot run Graphviz's `{shown}` to draw the graph: {e}"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(source.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|e| missing(format!("Graphviz's `{shown}` did not finish: {e}")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        let said = if said.is_empty() {
            " and printed no reason".to_owned()
        } else {
            format!(": {said}")
        };
        return Err(missing(format!(
            "Graphviz's `{shown}` could not draw the graph ({}){said}",
            output.status
        )));
    }
    String::from_utf8(output.stdout).map_err(|_| {
        missing(format!(
            "Graphviz's `{shown}` wrote an SVG that is not UTF-8"
        ))
    })
}

/// The SVG with the generated-file header as an XML comment after its XML declaration, so a
/// later run may replace it and never a file the user made.
fn with_header(svg: &str) -> String {
    let comment = format!("<!-- {HEADER} -->\n");
    match svg.split_once('\n') {
        Some((first, rest)) if first.starts_with("<?xml") => format!("{first}\n{comment}{rest}"),
        _ => format!("{comment}{svg}"),
    }
}

/// Runs `graph`.
pub(super) fn run(cli: &Cli, dir: &Path, svg_file: Option<&Path>, options: Options) -> u8 {
    // The drawing goes into a folder the user has: a mistyped path is refused, not created.
    if let Some(parent) = svg_file
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty() && !p.is_dir())
    {
        return io_error(
            cli,
            format!(
                "the folder {} for --svg does not exist; nothing was drawn (create it first, or choose a file in a folder that exists)",
                parent.display()
            ),
        );
    }
    let mut workspace = if discover::is_workspace(dir) {
        let reading = ws::Reading {
            deployment: None,
            out: dir,
            mode: None,
        };
        ws::read(dir, options, &reading)
    } else {
        ws::read_single(dir, options)
    };
    let text = dot::render(&workspace.name, &workspace.graph, &workspace.members);
    let mut drawn = None;
    if let Some(file) = svg_file.filter(|_| !workspace.diagnostics.has_errors()) {
        match svg(&text) {
            Ok(svg) => match write::standing(file) {
                Ok(Standing::Absent | Standing::Generated) => {
                    drawn = Some(marker::seal(&with_header(&svg)));
                }
                Ok(Standing::Edited) => workspace.diagnostics.push(
                    Diagnostic::new(
                        Code::EditedArtifact,
                        format!(
                            "{} was edited since specdeploy drew it; nothing was written",
                            file.display()
                        ),
                    )
                    .help("choose another file for --svg, or delete this one and draw again"),
                ),
                Ok(Standing::Foreign) | Err(_) => workspace.diagnostics.push(
                    Diagnostic::new(
                        Code::UnsafeOutputPath,
                        format!(
                            "{} exists and was not written by specdeploy; nothing was written",
                            file.display()
                        ),
                    )
                    .help("choose another file for --svg, or move yours aside"),
                ),
            },
            Err(d) => workspace.diagnostics.push(*d),
        }
    }
    let code = ws::finish(cli, &workspace, || print_stdout(&text));
    // A cycle between apps is best understood by looking at it: the graph is printed with
    // the cycle in red, and the exit code still says the workspace cannot be deployed.
    let only_cycles = workspace
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .all(|d| d.code == Code::AppCycle);
    if workspace.diagnostics.has_errors() && only_cycles {
        print_stdout(&text);
    }
    let (Some(file), Some(contents)) = (svg_file, drawn) else {
        return code;
    };
    let Some(name) = file.file_name() else {
        return io_error(cli, format!("{} is not a file name", file.display()));
    };
    let folder = file
        .parent()
        .filter(|f| !f.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let artifact = Artifact {
        path: name.to_string_lossy().into_owned(),
        root: Root::Out,
        purpose: "the dependency graph, drawn by Graphviz".to_owned(),
        contents,
    };
    match write::write(folder, &artifact) {
        Ok(_) => code,
        Err(e) => io_error(cli, format!("cannot write {}: {e}", file.display())),
    }
}
