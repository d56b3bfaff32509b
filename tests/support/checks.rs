//! The real tools that check what specdeploy writes: hadolint, Docker Compose,
//! kubernetes-validate, `kubectl kustomize` and `BuildKit`'s Dockerfile parser.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

use super::run::{Run, run};
use super::tool::{Tool, tool};

/// Lints `dockerfile` with hadolint so that a finding at ANY level fails the run.
///
/// hadolint's default threshold lets `style` findings pass with exit 0; here
/// `--failure-threshold style` makes every finding, `info` and `style` included, a failure.
/// A rule the project accepts must be ignored inline (`# hadolint ignore=DL3066`) with a
/// reason. hadolint reads `.hadolint.yaml` from the current folder, the package root.
pub fn hadolint(dockerfile: &Path) -> Run {
    run(Command::new(tool(Tool::Hadolint))
        .args(["--no-color", "--failure-threshold", "style"])
        .arg(dockerfile))
}

/// Runs the real Compose binary's `config -q`: validates and interpolates the project in
/// `dir` made of `files` (relative to `dir`; none means Compose's own discovery of
/// `compose.yaml` there) with variables from `env_file` (relative to `dir`; `None` means
/// Compose's default, `dir/.env` if present).
///
/// The process environment is emptied but for `PATH` and `HOME`, so no variable of the
/// machine running the test takes part in interpolation.
pub fn compose_config<P: AsRef<Path>>(dir: &Path, files: &[P], env_file: Option<&Path>) -> Run {
    run(compose_command(dir, files, env_file).args(["config", "-q"]))
}

/// Like [`compose_config`], returning Compose's normalised project (`config --format json`)
/// as JSON. Panics, showing Compose's output, when the project is invalid.
#[track_caller]
pub fn compose_config_json<P: AsRef<Path>>(
    dir: &Path,
    files: &[P],
    env_file: Option<&Path>,
) -> serde_json::Value {
    let ran = run(compose_command(dir, files, env_file).args(["config", "--format", "json"]));
    ran.assert_success();
    serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|error| panic!("compose printed invalid JSON ({error}): {ran}"))
}

fn compose_command<P: AsRef<Path>>(dir: &Path, files: &[P], env_file: Option<&Path>) -> Command {
    let mut command = Command::new(tool(Tool::Compose));
    command.current_dir(dir).env_clear();
    for kept in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(kept) {
            command.env(kept, value);
        }
    }
    command.arg("--project-directory").arg(dir);
    for file in files {
        command.arg("--file").arg(file.as_ref());
    }
    if let Some(env_file) = env_file {
        command.arg("--env-file").arg(env_file);
    }
    command
}

/// Validates Kubernetes manifests offline against the schemas of kubernetes-validate's
/// default Kubernetes version, with `--strict` so unknown fields are errors.
pub fn kubernetes_validate<P: AsRef<Path>>(paths: &[P]) -> Run {
    run(Command::new(tool(Tool::KubernetesValidate))
        .arg("--strict")
        .args(paths.iter().map(|path| path.as_ref().as_os_str())))
}

/// Renders the kustomization in `dir` with `kubectl kustomize` (offline; no cluster).
pub fn kubectl_kustomize(dir: &Path) -> Run {
    run(Command::new(tool(Tool::Kubectl)).arg("kustomize").arg(dir))
}

/// One instruction as `BuildKit`'s parser reads it (the `dockerfile` package's `Command`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DockerfileInstruction {
    /// The instruction keyword, upper-cased: `FROM`, `RUN`, `COPY`, ...
    pub cmd: String,
    /// For `ONBUILD`, the instruction it wraps.
    pub sub_cmd: Option<String>,
    /// Whether the arguments were written in JSON (exec) form.
    pub json: bool,
    /// The instruction's text as written, continuation lines included.
    pub original: String,
    /// First line, counted from 1.
    pub start_line: usize,
    /// Last line, counted from 1.
    pub end_line: usize,
    /// Flags such as `--chown=1000:1000` or `--from=build`.
    pub flags: Vec<String>,
    /// The arguments after the flags.
    pub value: Vec<String>,
    /// Here-documents attached to the instruction.
    pub heredocs: Vec<DockerfileHeredoc>,
}

/// A here-document (`<<EOF`) of a Dockerfile instruction.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DockerfileHeredoc {
    /// The delimiter word, such as `EOF`.
    pub name: String,
    /// The file descriptor it feeds (0 for standard input).
    pub file_descriptor: u32,
    /// The text between the delimiters.
    pub content: String,
}

const PARSE_DOCKERFILE: &str = r"
import json, sys
import dockerfile
print(json.dumps([
    dict(c._asdict(), heredocs=[h._asdict() for h in c.heredocs])
    for c in dockerfile.parse_file(sys.argv[1])
]))
";

/// Parses `path` with `BuildKit`'s own Dockerfile parser and returns its instructions.
/// Panics, showing the parser's message, when it rejects the file.
#[track_caller]
pub fn parse_dockerfile(path: &Path) -> Vec<DockerfileInstruction> {
    let ran = run(Command::new(tool(Tool::Python))
        .args([OsStr::new("-c"), OsStr::new(PARSE_DOCKERFILE)])
        .arg(path));
    assert!(
        ran.success(),
        "`BuildKit`'s parser rejected {} (if `dockerfile` is not importable, run \
         scripts/install-tools.sh): {ran}",
        path.display()
    );
    serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|error| panic!("unexpected parser output ({error}): {ran}"))
}
