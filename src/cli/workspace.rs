//! The commands on a workspace folder: each app read and compiled as a single app would be,
//! then the workspace compiled and its files written, the root's to the output folder and
//! each app's into its own folder.

use std::path::{Path, PathBuf};

use super::{
    Cli, Deployment, EXIT_OK, MessageFormat, OutputFormat, WriteMode, analyse, exit_code, io_error,
    keep_users_ignore_file, print_stdout, print_summary, report, resolve, slash_path,
};
use crate::diagnostic::Diagnostics;
use crate::emit::{Artifact, Layout};
use crate::passes::Options;
use crate::workspace::{self, Input, Settings, Workspace, discover, naming};

/// What reading a workspace is for.
pub(super) struct Reading<'a> {
    /// The deployment flags, when building.
    pub deployment: Option<&'a Deployment>,
    /// The output folder of the root's files.
    pub out: &'a Path,
    /// How files on disk are treated, when building.
    pub mode: Option<WriteMode>,
}

/// The project name: the workspace file's, else the root `package.json`'s, else the folder's.
fn project_name(root: &Path, given: Option<String>) -> String {
    let from_package = || {
        let text = std::fs::read_to_string(root.join("package.json")).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        value.get("name")?.as_str().map(str::to_owned)
    };
    let from_folder = || {
        std::fs::canonicalize(root)
            .ok()?
            .file_name()?
            .to_str()
            .map(str::to_owned)
    };
    let name = given
        .or_else(from_package)
        .or_else(from_folder)
        .unwrap_or_else(|| "workspace".to_owned());
    naming::sanitise(&name)
}

/// The build context of `app` relative to `out`, `/`-separated.
fn context(app: &Path, out: &Path) -> Option<String> {
    let app = std::fs::canonicalize(app).ok()?;
    let out = resolve(out).ok()?;
    let relative = pathdiff::diff_paths(&app, &out).and_then(|p| slash_path(&p))?;
    // Compose reads a volume source as a path only when it starts with `.` or `/`.
    Some(if relative.starts_with('.') || relative.starts_with('/') {
        relative
    } else {
        format!("./{relative}")
    })
}

/// Reads and compiles the workspace at `root`.
pub(super) fn read(root: &Path, options: Options, reading: &Reading<'_>) -> Workspace {
    let mut diagnostics = Diagnostics::new();
    let discovery = discover::discover(root, &mut diagnostics);
    let mut inputs = Vec::new();
    for folder in &discovery.members {
        let app_dir = root.join(folder);
        let layout = reading.deployment.map(|d| Layout {
            context: ".".to_owned(),
            dockerfile: "Dockerfile".to_owned(),
            target: d.target,
            image_registry: d.image_registry.clone(),
            replicas: d.replicas,
        });
        let mut compilation = analyse(&app_dir, options, layout.as_ref());
        if reading.mode.is_some_and(|m| m != WriteMode::Force) {
            keep_users_ignore_file(&app_dir, &mut compilation);
        }
        inputs.push(Input {
            folder: folder.clone(),
            compilation,
            context: context(&app_dir, reading.out).unwrap_or_else(|| format!("./{folder}")),
        });
    }
    let settings = Settings {
        name: project_name(root, discovery.name.clone()),
        public: discovery.public.clone(),
        image_registry: reading.deployment.and_then(|d| d.image_registry.clone()),
        emit: reading.deployment.is_some(),
    };
    workspace::compile(inputs, &settings, discovery.sources, diagnostics)
}

/// A single app read as a workspace of one, for `graph`.
pub(super) fn read_single(app_dir: &Path, options: Options) -> Workspace {
    let compilation = analyse(app_dir, options, None);
    let name = compilation
        .ir
        .as_ref()
        .map_or_else(|| project_name(app_dir, None), |ir| ir.app.name.clone());
    let settings = Settings {
        name,
        ..Settings::default()
    };
    let input = Input {
        folder: ".".to_owned(),
        compilation,
        context: ".".to_owned(),
    };
    workspace::compile(
        vec![input],
        &settings,
        crate::source::Sources::new(),
        Diagnostics::new(),
    )
}

/// Reports the workspace's problems; runs `on_success` when there are no errors.
pub(super) fn finish(cli: &Cli, workspace: &Workspace, on_success: impl FnOnce()) -> u8 {
    let mut diagnostics = workspace.diagnostics.clone();
    if cli.deny_warnings {
        diagnostics.deny_warnings();
    }
    report(cli, &diagnostics, &workspace.sources);
    if diagnostics.has_errors() {
        return exit_code(&diagnostics);
    }
    on_success();
    EXIT_OK
}

/// `check` on a workspace.
pub(super) fn check(cli: &Cli, root: &Path, options: Options) -> u8 {
    let reading = Reading {
        deployment: None,
        out: root,
        mode: None,
    };
    let workspace = read(root, options, &reading);
    finish(cli, &workspace, || {})
}

/// `explain` on a workspace.
pub(super) fn explain(cli: &Cli, root: &Path, options: Options, format: OutputFormat) -> u8 {
    let reading = Reading {
        deployment: None,
        out: root,
        mode: None,
    };
    let workspace = read(root, options, &reading);
    finish(cli, &workspace, || {
        print_stdout(&match format {
            OutputFormat::Human => workspace::explain::human(&workspace),
            OutputFormat::Json => workspace::explain::json(&workspace) + "\n",
        });
    })
}

/// Every file to write: the root's under `out`, each app's under its folder.
fn planned<'a>(root: &Path, out: &Path, workspace: &'a Workspace) -> Vec<(PathBuf, &'a Artifact)> {
    let mut files: Vec<(PathBuf, &Artifact)> = workspace
        .artifacts
        .iter()
        .map(|a| (out.to_path_buf(), a))
        .collect();
    for m in &workspace.members {
        let dir = root.join(&m.folder);
        files.extend(m.compilation.artifacts.iter().map(|a| (dir.clone(), a)));
    }
    files
}

/// `build` on a workspace.
pub(super) fn build(
    cli: &Cli,
    root: &Path,
    out: &Path,
    mode: WriteMode,
    options: Options,
    deployment: &Deployment,
) -> u8 {
    if out.exists() && !out.is_dir() {
        return io_error(
            cli,
            format!("{} is not a folder; --out takes a folder", out.display()),
        );
    }
    if !out.exists() && out.symlink_metadata().is_ok() {
        return io_error(
            cli,
            format!(
                "{} is a symbolic link that loops or leads nowhere; --out takes a folder",
                out.display()
            ),
        );
    }
    let reading = Reading {
        deployment: Some(deployment),
        out,
        mode: Some(mode),
    };
    let mut workspace = read(root, options, &reading);
    // Owned, so that claiming can add to the workspace's diagnostics.
    let planned: Vec<(PathBuf, Artifact)> = planned(root, out, &workspace)
        .into_iter()
        .map(|(dir, a)| (dir, a.clone()))
        .collect();
    let files = super::output::claim(
        planned.iter().map(|(dir, a)| (dir.clone(), a)),
        mode,
        &mut workspace.diagnostics,
    );
    if mode == WriteMode::Check {
        let (drift, diff) = super::output::drift(&files);
        let code = finish(cli, &workspace, || print_stdout(&diff));
        return super::output::check_result(
            code,
            drift,
            cli.message_format == MessageFormat::Human,
        );
    }
    let mut failure = None;
    let code = finish(cli, &workspace, || {
        let (lines, failed) = super::output::write_all(&files);
        if cli.message_format == MessageFormat::Json || !lines.is_empty() {
            print_summary(cli, &lines, None);
        }
        failure = failed;
    });
    match failure {
        Some(message) => io_error(cli, message),
        None => code,
    }
}
