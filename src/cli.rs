//! The command line: argument parsing, reading and writing at the edge, reporting, and exit
//! codes (0 success, 1 the specs have errors, 2 usage or IO problem, 101 internal bug).

mod graph;
mod output;
mod workspace;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::compile::{Compilation, compile};
use crate::diagnostic::render::{self, Colour};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::emit::{Layout, Root, Target, health};
use crate::model::Archetype;
use crate::passes::Options;
use crate::write::{self, Outcome, Standing};
use crate::{explain, load};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the specs have errors.
pub const EXIT_SPEC_ERRORS: u8 = 1;
/// Exit code: a usage or IO problem.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a bug in specdeploy.
pub const EXIT_BUG: u8 = 101;

/// Compiles an app's spec folder into deployment artifacts.
#[derive(Debug, Parser)]
#[command(name = "specdeploy", version, about, long_about = None)]
pub struct Cli {
    /// How diagnostics are printed on stderr.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, global = true)]
    pub message_format: MessageFormat,
    /// Treat warnings as errors.
    #[arg(long, global = true)]
    pub deny_warnings: bool,
    /// Pending, proposed, deferred and denied assertions are errors.
    #[arg(long, global = true)]
    pub require_confirmed: bool,
    /// Formal models that are not verified (no verdict, changed since it, or failing) are
    /// errors.
    #[arg(long, global = true)]
    pub require_verified: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read `APP_DIR/specs` and the app files, write the artifacts.
    Build {
        /// The app folder (holds specs/ and package.json), or a workspace folder of apps.
        #[arg(default_value = ".")]
        app_dir: PathBuf,
        /// Where to write the artifacts (defaults to `APP_DIR`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace files at the artifacts' paths even when specdeploy did not write them.
        #[arg(long)]
        force: bool,
        /// Write nothing; print a unified diff and exit 1 when the artifacts on disk differ
        /// from what the specs produce now (a CI gate against drift).
        #[arg(long, conflicts_with = "force")]
        check: bool,
        /// Which deployments to write: Compose files, a Kustomize layout in deploy/k8s/, or
        /// both.
        #[arg(long, value_enum, default_value_t = TargetArg::Compose)]
        target: TargetArg,
        /// Replicas of a web service on Kubernetes (2 unless given).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        replicas: Option<u16>,
        /// The registry the app's image is pushed to and pulled from, as HOST[:PORT][/PATH]
        /// (`ghcr.io/acme`); it prefixes the image in Compose and Kubernetes.
        #[arg(long, value_name = "HOST/PATH", value_parser = crate::images::registry)]
        image_registry: Option<String>,
    },
    /// Run the same analysis and report diagnostics; writes nothing.
    Check {
        /// The app folder, or a workspace folder of apps.
        #[arg(default_value = ".")]
        app_dir: PathBuf,
    },
    /// Show every inferred need, service, variable and label, and why.
    Explain {
        /// The app folder, or a workspace folder of apps.
        #[arg(default_value = ".")]
        app_dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Print the dependency graph of an app or a workspace (apps, backing services, and the
    /// assertions behind each edge) as Graphviz DOT; with --svg, also draw it.
    Graph {
        /// The app or workspace folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Draw the graph into this SVG file with Graphviz's `dot` (`$SPECDEPLOY_DOT` or PATH).
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Run Dafny and TLC on the formal models (or read their logs) and record the verdicts in
    /// specs/.specdeploy/verification.json.
    Verify(crate::verify::command::VerifyArgs),
}

/// Diagnostic output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// Rendered with source snippets.
    Human,
    /// One JSON object per line.
    Json,
}

/// The deployments `build` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// Compose files and .env.example, for one host.
    Compose,
    /// A Kustomize layout in deploy/k8s/: a base, a dev and a prod overlay.
    #[value(name = "k8s", alias = "kubernetes")]
    Kubernetes,
    /// Both.
    All,
}

impl From<TargetArg> for Target {
    fn from(target: TargetArg) -> Self {
        match target {
            TargetArg::Compose => Target::Compose,
            TargetArg::Kubernetes => Target::Kubernetes,
            TargetArg::All => Target::All,
        }
    }
}

/// Output format of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text.
    Human,
    /// One JSON document.
    Json,
}

/// Runs the command line.
#[must_use]
pub fn main() -> ExitCode {
    install_panic_hook();
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    ExitCode::from(run(&cli))
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: specdeploy hit an internal bug and stopped: {info}");
        eprintln!(
            "Please report it with the spec folder that caused it. No file was left half-written."
        );
        std::process::exit(i32::from(EXIT_BUG));
    }));
}

fn init_logging() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("SPECDEPLOY_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init();
    }
}

/// Runs a parsed command and returns its exit code.
#[must_use]
pub fn run(cli: &Cli) -> u8 {
    let options = Options {
        require_confirmed: cli.require_confirmed,
        require_verified: cli.require_verified,
        source_date_epoch: std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|epoch: &i64| *epoch >= 0),
    };
    let in_workspace = |dir: &Path| crate::workspace::discover::is_workspace(dir);
    match &cli.command {
        Command::Check { app_dir } if in_workspace(app_dir) => {
            workspace::check(cli, app_dir, options)
        }
        Command::Explain { app_dir, format } if in_workspace(app_dir) => {
            workspace::explain(cli, app_dir, options, *format)
        }
        Command::Graph { dir, svg } => graph::run(cli, dir, svg.as_deref(), options),
        Command::Check { app_dir } => {
            let compilation = analyse(app_dir, options, None);
            let code = finish(cli, &compilation, || {});
            release(compilation);
            code
        }
        Command::Explain { app_dir, format } => {
            let compilation = analyse(app_dir, options, None);
            let code = finish(cli, &compilation, || {
                if let Some(ir) = &compilation.ir {
                    let text = match format {
                        OutputFormat::Human => explain::human(ir, &compilation.folder.sources),
                        OutputFormat::Json => explain::json(ir, &compilation.folder.sources) + "\n",
                    };
                    print_stdout(&text);
                }
            });
            release(compilation);
            code
        }
        Command::Build {
            app_dir,
            out,
            force,
            check,
            target,
            replicas,
            image_registry,
        } => {
            let out = out.as_deref().unwrap_or(app_dir);
            let mode = WriteMode::from_flags(*check, *force);
            let deployment = Deployment {
                target: (*target).into(),
                replicas: *replicas,
                image_registry: image_registry.clone(),
            };
            if in_workspace(app_dir) {
                workspace::build(cli, app_dir, out, mode, options, &deployment)
            } else {
                build(cli, app_dir, out, mode, options, &deployment)
            }
        }
        Command::Verify(args) => verify(cli, args, options),
    }
}

/// Runs the verifiers, then reports their verdicts through the same analysis `build` runs.
/// A failure of a model this run checked is an error; exit code 2 when a tool is missing.
fn verify(cli: &Cli, args: &crate::verify::command::VerifyArgs, options: Options) -> u8 {
    let session = crate::verify::command::verify(args, std::io::stderr().is_terminal());
    let compilation = analyse(&args.app_dir, options, None);
    let checked: Vec<&str> = session.checked().collect();
    let mut diagnostics = Diagnostics::new();
    for d in compilation.diagnostics.clone() {
        let about_checked = d.primary.as_ref().is_some_and(|label| {
            let path = &compilation.folder.sources.get(label.span.file).path;
            checked.iter().any(|c| {
                c == path
                    || c.strip_suffix(".tla")
                        .is_some_and(|s| *path == format!("{s}.cfg"))
            })
        });
        let promote = about_checked
            && matches!(
                d.code,
                Code::StaleVerification | Code::VerificationFailed | Code::NeverVerified
            );
        diagnostics.push(if promote {
            d.severity(Severity::Error)
        } else {
            d
        });
    }
    diagnostics.extend(session.diagnostics.clone());
    if cli.deny_warnings {
        diagnostics.deny_warnings();
    }
    report(cli, &diagnostics, &compilation.folder.sources);
    print_stdout(&match cli.message_format {
        MessageFormat::Human => session.human(),
        MessageFormat::Json => session.json(),
    });
    if diagnostics.has_errors() {
        exit_code(&diagnostics)
    } else {
        EXIT_OK
    }
}

/// Lets go of a compilation whose command has reported: the process ends next, and the
/// system takes its memory back at once, where freeing the model value by value costs a
/// tenth of a 100,000-assertion `check` (`docs/performance.md`). It holds no open files.
fn release(compilation: Compilation) {
    std::mem::forget(compilation);
}

fn analyse(app_dir: &Path, options: Options, layout: Option<&Layout>) -> Compilation {
    let mut diagnostics = Diagnostics::new();
    let folder = load::load(app_dir, &mut diagnostics);
    let mut compilation = compile(folder, options, layout, diagnostics);
    check_entry_point(app_dir, &mut compilation);
    compilation
}

/// A web service's entry point should mount the generated health routes; say how when it
/// does not. The user's source is only read, never edited.
fn check_entry_point(app_dir: &Path, compilation: &mut Compilation) {
    let Some(ir) = &compilation.ir else {
        return;
    };
    if ir.app.archetype != Archetype::WebService {
        return;
    }
    let entry = ir.app.entry.clone();
    if compilation.folder.package_json.is_some() && !ir.app.dependencies.iter().any(|d| d == "hono")
    {
        compilation.diagnostics.push(
            Diagnostic::new(
                Code::HealthNeedsHono,
                "the generated health routes (src/api/health.ts) are Hono routes, and the app does not depend on hono",
            )
            .help("run `bun add hono`; the routes mount into any Bun server through a Hono app"),
        );
    }
    if !compilation.folder.has(&entry) {
        return;
    }
    let text = match load::read_app_text(app_dir, &entry) {
        Ok(text) => text,
        Err(problem) => {
            compilation.diagnostics.push(*problem);
            return;
        }
    };
    if health::mounts_routes(&text) {
        return;
    }
    let file = compilation.folder.sources.add(entry.clone(), text);
    compilation.diagnostics.push(
        Diagnostic::new(
            Code::HealthRoutesNotMounted,
            format!("{entry} does not mount the health routes, so /live, /ready and /health answer 404 and the container never turns healthy"),
        )
        .at(crate::source::Span::file_start(file), "no health routes mounted in this file")
        .help(format!(
            "add these two lines to {entry}, after the Hono app is created:\n  import {{ health }} from \"{}\";\n  app.route(\"/\", health);",
            health::import_from(&entry)
        )),
    );
}

fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Reports diagnostics; when there are no errors, runs `on_success` (which prints data).
fn finish(cli: &Cli, compilation: &Compilation, on_success: impl FnOnce()) -> u8 {
    let mut diagnostics = compilation.diagnostics.clone();
    if cli.deny_warnings {
        diagnostics.deny_warnings();
    }
    report(cli, &diagnostics, &compilation.folder.sources);
    if diagnostics.has_errors() {
        return exit_code(&diagnostics);
    }
    on_success();
    EXIT_OK
}

fn exit_code(diagnostics: &Diagnostics) -> u8 {
    let io = diagnostics.iter().any(|d| {
        d.severity == Severity::Error
            && matches!(
                d.code,
                Code::NoSpecsFolder
                    | Code::UnreadableFile
                    | Code::InputTooLarge
                    | Code::NotUtf8
                    | Code::EditedArtifact
                    | Code::UnsafeOutputPath
                    | Code::VerifierMissing
                    | Code::UnusableLog
                    | Code::GraphvizMissing
            )
    });
    if io { EXIT_USAGE } else { EXIT_SPEC_ERRORS }
}

/// From how many diagnostics on they are rendered on two threads: a large spec folder can
/// have thousands of warnings, and rendering one for people takes about ten microseconds.
const PARALLEL_DIAGNOSTICS: usize = 256;

fn report(cli: &Cli, diagnostics: &Diagnostics, sources: &crate::source::Sources) {
    let colour = Colour::detect(std::io::stderr().is_terminal());
    let sorted = diagnostics.sorted();
    let halves: Vec<&[&Diagnostic]> =
        if sorted.len() >= PARALLEL_DIAGNOSTICS && crate::parallel::workers(2) == 2 {
            let (first, second) = sorted.split_at(sorted.len() / 2);
            vec![first, second]
        } else {
            vec![&sorted[..]]
        };
    let texts = crate::parallel::in_order("specdeploy-report", &halves, |half| {
        let mut text = String::new();
        for d in *half {
            match cli.message_format {
                MessageFormat::Human => text.push_str(&render::human(d, sources, colour)),
                MessageFormat::Json => text.push_str(&render::json(d, sources)),
            }
            text.push('\n');
        }
        text
    });
    let mut stderr = std::io::stderr().lock();
    for text in texts {
        let _ = stderr.write_all(text.as_bytes());
    }
    if cli.message_format == MessageFormat::Human && !diagnostics.is_empty() {
        let errors = diagnostics.count(Severity::Error);
        let warnings = diagnostics.count(Severity::Warning);
        let _ = writeln!(stderr, "{errors} error(s), {warnings} warning(s)");
    }
}

fn slash_path(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path.components().map(|c| c.as_os_str().to_str()).collect();
    let joined = parts?.join("/");
    Some(if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    })
}

fn layout(app_dir: &Path, out: &Path) -> Result<Layout, String> {
    if out.exists() && !out.is_dir() {
        return Err(format!(
            "{} is not a folder; --out takes a folder",
            out.display()
        ));
    }
    if !out.exists() && out.symlink_metadata().is_ok() {
        return Err(format!(
            "{} is a symbolic link that loops or leads nowhere; --out takes a folder",
            out.display()
        ));
    }
    let app = std::fs::canonicalize(app_dir)
        .map_err(|e| format!("cannot open {}: {e}", app_dir.display()))?;
    let out_abs = resolve(out).map_err(|e| format!("cannot open {}: {e}", out.display()))?;
    let context = pathdiff::diff_paths(&app, &out_abs).and_then(|p| slash_path(&p));
    let dockerfile =
        pathdiff::diff_paths(out_abs.join("Dockerfile"), &app).and_then(|p| slash_path(&p));
    match (context, dockerfile) {
        (Some(context), Some(dockerfile)) => Ok(Layout {
            context,
            dockerfile,
            target: Target::default(),
            image_registry: None,
            replicas: None,
        }),
        _ => Err("the app and output folders must have UTF-8 paths".to_owned()),
    }
}

/// The absolute, symlink-free form of `path`, which need not exist yet: its nearest existing
/// ancestor is resolved and the rest appended. Nothing is created.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut absolute = PathBuf::new();
    for component in std::path::absolute(path)?.components() {
        match component {
            std::path::Component::ParentDir => {
                absolute.pop();
            }
            std::path::Component::CurDir => {}
            other => absolute.push(other),
        }
    }
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            break;
        };
        rest.push(name.to_owned());
        existing = parent;
    }
    let mut resolved = std::fs::canonicalize(existing)?;
    for name in rest.iter().rev() {
        resolved.push(name);
    }
    Ok(resolved)
}

/// What `build` deploys to, from its flags.
struct Deployment {
    target: Target,
    replicas: Option<u16>,
    image_registry: Option<String>,
}

/// How `build` treats the files already on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteMode {
    /// Write, but never over a file specdeploy did not write.
    Safe,
    /// Write, replacing whatever is there.
    Force,
    /// Write nothing; report how the files on disk differ.
    Check,
}

impl WriteMode {
    fn from_flags(check: bool, force: bool) -> Self {
        if check {
            Self::Check
        } else if force {
            Self::Force
        } else {
            Self::Safe
        }
    }
}

fn build(
    cli: &Cli,
    app_dir: &Path,
    out: &Path,
    mode: WriteMode,
    options: Options,
    deployment: &Deployment,
) -> u8 {
    if !app_dir.join("specs").is_dir() {
        let compilation = analyse(app_dir, options, None);
        return finish(cli, &compilation, || {});
    }
    let layout = match layout(app_dir, out) {
        Ok(layout) => Layout {
            target: deployment.target,
            replicas: deployment.replicas,
            image_registry: deployment.image_registry.clone(),
            ..layout
        },
        Err(message) => return io_error(cli, message),
    };
    let mut compilation = analyse(app_dir, options, Some(&layout));
    if let Some(ir) = &compilation.ir {
        if ir.app.archetype == Archetype::Library && !compilation.diagnostics.has_errors() {
            compilation.diagnostics.push(
                Diagnostic::new(
                    Code::LibraryHasNoImage,
                    format!(
                        "{} is a library: nothing to deploy, no artifacts written",
                        ir.app.name
                    ),
                )
                .help(
                    "publish it as a package; the apps that import it get the deployment artifacts",
                ),
            );
        }
    }
    let root_of = |artifact: &crate::emit::Artifact| match artifact.root {
        Root::Out => out.to_path_buf(),
        Root::App => app_dir.to_path_buf(),
    };
    if mode != WriteMode::Force {
        keep_users_ignore_file(app_dir, &mut compilation);
    }
    let planned = compilation.artifacts.iter().map(|a| (root_of(a), a));
    let files = output::claim(planned, mode, &mut compilation.diagnostics);
    if mode == WriteMode::Check {
        let (drift, diff) = output::drift(&files);
        let code = finish(cli, &compilation, || print_stdout(&diff));
        release(compilation);
        return output::check_result(code, drift, cli.message_format == MessageFormat::Human);
    }
    let mut failure = None;
    let code = finish(cli, &compilation, || {
        let (lines, failed) = output::write_all(&files);
        if failed.is_none() || !lines.is_empty() {
            print_summary(
                cli,
                &lines,
                compilation.ir.as_ref().map(|ir| &ir.verification),
            );
        }
        failure = failed;
    });
    release(compilation);
    match failure {
        Some(message) => io_error(cli, message),
        None => code,
    }
}

/// A `.dockerignore` the user wrote is kept: ours is not written, and theirs is checked for
/// the rules that keep secrets out and the lockfile in.
fn keep_users_ignore_file(app_dir: &Path, compilation: &mut Compilation) {
    let path = app_dir.join(".dockerignore");
    if !matches!(write::standing(&path), Ok(Standing::Foreign)) {
        return;
    }
    let text = match load::read_app_text(app_dir, ".dockerignore") {
        Ok(text) => text,
        Err(problem) => {
            compilation.diagnostics.push(*problem);
            return;
        }
    };
    compilation
        .artifacts
        .retain(|a| !(a.root == Root::App && a.path == ".dockerignore"));
    let lockfile = compilation
        .ir
        .as_ref()
        .and_then(|ir| ir.app.lockfile.file_name());
    let missing = crate::emit::dockerignore::missing_rules(&text, lockfile);
    if missing.is_empty() {
        return;
    }
    let file = compilation.folder.sources.add(".dockerignore", text);
    compilation.diagnostics.push(
        Diagnostic::new(
            Code::WeakIgnoreFile,
            format!("your .dockerignore is kept, but it lacks {}", missing.join(", ")),
        )
        .at(crate::source::Span::file_start(file), "written by you, left as it is")
        .help("add the missing lines, so secrets stay out of the build context and the lockfile reaches the build"),
    );
}

fn io_error(cli: &Cli, message: String) -> u8 {
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(
        Diagnostic::new(Code::UnreadableFile, message).help("check the path and its permissions"),
    );
    report(cli, &diagnostics, &crate::source::Sources::new());
    EXIT_USAGE
}

fn print_summary(
    cli: &Cli,
    lines: &[(PathBuf, &crate::emit::Artifact, Outcome)],
    verification: Option<&crate::ir::VerificationSummary>,
) {
    let verb = |o: Outcome| match o {
        Outcome::Created => "created",
        Outcome::Updated => "updated",
        Outcome::Unchanged => "unchanged",
    };
    if cli.message_format == MessageFormat::Json {
        let entries: Vec<serde_json::Value> = lines
            .iter()
            .map(|(file, a, o)| {
                serde_json::json!({
                    "path": a.path,
                    "root": a.root,
                    "file": file.display().to_string(),
                    "outcome": verb(*o),
                    "purpose": a.purpose,
                })
            })
            .collect();
        let document = serde_json::json!({ "artifacts": entries, "verification": verification });
        print_stdout(&(document.to_string() + "\n"));
        return;
    }
    if lines.is_empty() {
        return;
    }
    let shown: Vec<String> = lines
        .iter()
        .map(|(file, _, _)| file.display().to_string())
        .collect();
    let width = shown.iter().map(String::len).max().unwrap_or(0);
    let mut text = format!("Wrote {} artifacts:\n", lines.len());
    for ((_, artifact, outcome), file) in lines.iter().zip(&shown) {
        let _ = std::fmt::Write::write_fmt(
            &mut text,
            format_args!(
                "  {:<9} {file:<width$}  {}\n",
                verb(*outcome),
                artifact.purpose
            ),
        );
    }
    if let Some(v) = verification.filter(|v| !v.models.is_empty()) {
        let _ = std::fmt::Write::write_fmt(
            &mut text,
            format_args!("Labels say {}:\n", crate::verify::summary::verdicts(v)),
        );
        text.push_str(&crate::verify::summary::human(v, "  "));
    }
    print_stdout(&text);
}
