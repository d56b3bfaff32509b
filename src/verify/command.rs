//! `specdeploy verify`: runs Dafny on each `specs/dafny/*.dfy` and TLC on each
//! `specs/tla/*.tla` that has a `.cfg` (or reads the logs of a toolchain's own runs), and
//! writes the verdicts into the verification record. The CLI then reports them through the
//! same analysis `build` runs, so a failure reads the same in both.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::locate::{self, ModelText};
use super::record::{self, Entry, HashedFile, Record, Source};
use super::run::{self, Progress, ToolProblem};
use super::{FailureKind, ModelFile, Outcome, Problem, Verdict, Verifier, dafny, tlc};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::emit::{Artifact, Root};
use crate::load::{self, AppFolder};

/// The arguments of `specdeploy verify`.
#[derive(Clone, Debug, clap::Args)]
pub struct VerifyArgs {
    /// The app folder (holds specs/dafny and specs/tla).
    #[arg(default_value = ".")]
    pub app_dir: PathBuf,
    /// Read Dafny's output from LOG instead of running Dafny (repeatable). The exit code is
    /// read from LOG.exit, or from run.exit beside run.log, when present.
    #[arg(long, value_name = "LOG")]
    pub dafny_log: Vec<PathBuf>,
    /// Read TLC's output from LOG instead of running TLC (repeatable); exit code as for
    /// --dafny-log.
    #[arg(long, value_name = "LOG")]
    pub tlc_log: Vec<PathBuf>,
    /// The Dafny program [default: `$SPECDEPLOY_DAFNY`, else `dafny` on PATH].
    #[arg(long, value_name = "PATH")]
    pub dafny: Option<PathBuf>,
    /// A program that runs TLC with TLC's arguments [default: `$SPECDEPLOY_TLC`].
    #[arg(long, value_name = "PATH")]
    pub tlc: Option<PathBuf>,
    /// tla2tools.jar, run with Java when no TLC program is given [default:
    /// `$SPECDEPLOY_TLA2TOOLS`, else `tlc` on PATH].
    #[arg(long, value_name = "JAR")]
    pub tla2tools: Option<PathBuf>,
    /// Seconds one model may take before its tool is stopped and the model counts as not
    /// verified.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
    /// Verify only the models of one tool.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub only: Option<OnlyTool>,
}

/// The tool `--only` picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnlyTool {
    /// The Dafny models.
    Dafny,
    /// The TLA+ models.
    Tlc,
}

impl OnlyTool {
    fn tool(self) -> Verifier {
        match self {
            Self::Dafny => Verifier::Dafny,
            Self::Tlc => Verifier::Tlc,
        }
    }
}

/// What one model got.
#[derive(Clone, Debug)]
pub struct ModelRun {
    /// The model's path relative to the app folder.
    pub path: String,
    /// What the tool concluded.
    pub outcome: Outcome,
    /// Whether the tool ran or a log was read.
    pub source: Source,
    /// How long the tool ran, when it ran here.
    pub elapsed: Option<Duration>,
}

/// A model `verify` could not check, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The model's path.
    pub file: String,
    /// Its tool.
    pub tool: Verifier,
    /// Why it was not checked.
    pub reason: String,
}

/// What `verify` did.
#[derive(Debug, Default)]
pub struct Session {
    /// The models checked, in the order checked.
    pub runs: Vec<ModelRun>,
    /// The models not checked.
    pub skipped: Vec<Skipped>,
    /// Problems with the tools and logs (the verdicts are reported by the analysis).
    pub diagnostics: Diagnostics,
    /// The record written, when one was.
    pub record: Option<PathBuf>,
    /// Whether the app folder has a specs folder at all.
    pub has_specs: bool,
}

/// Runs `specdeploy verify`. `progress` is whether stderr is a terminal, where a progress
/// line is shown while a tool runs.
#[must_use]
pub fn verify(args: &VerifyArgs, progress: bool) -> Session {
    // Problems reading the folder are reported by the analysis that follows.
    let folder = load::load(&args.app_dir, &mut Diagnostics::new());
    let mut session = Session {
        has_specs: folder.has_specs_dir,
        ..Session::default()
    };
    if !folder.has_specs_dir {
        return session;
    }
    let previous = folder
        .verification_record
        .and_then(|file| record::parse(&folder.sources.get(file).text).ok());
    let mut record = previous.clone().unwrap_or_default();

    for tool in [Verifier::Dafny, Verifier::Tlc] {
        let models: Vec<&ModelFile> = folder.models.iter().filter(|m| m.tool == tool).collect();
        if models.is_empty() || args.only.is_some_and(|only| only.tool() != tool) {
            continue;
        }
        let logs = match tool {
            Verifier::Dafny => &args.dafny_log,
            Verifier::Tlc => &args.tlc_log,
        };
        let results = if logs.is_empty() {
            run_tool(tool, &models, args, progress, &mut session)
        } else {
            read_logs(tool, &models, logs, &mut session)
        };
        for (model, mut run, ran_at) in results {
            locate::resolve(&mut run.outcome, model_text(&folder, model));
            record.put(Entry {
                file: model.path.clone(),
                sha256: model.sha256.clone(),
                config: model.config.as_ref().map(|c| HashedFile {
                    file: c.path.clone(),
                    sha256: c.sha256.clone(),
                }),
                ran_at,
                source: run.source.clone(),
                outcome: run.outcome.clone(),
            });
            session.runs.push(run);
        }
    }

    // Verdicts on models that are gone are dropped; the rest stay, hashes and all.
    record
        .models
        .retain(|e| folder.models.iter().any(|m| m.path == e.file));
    if !session.runs.is_empty() || previous.as_ref().is_some_and(|p| *p != record) {
        write_record(&args.app_dir, &record, &mut session);
    }
    session
}

fn model_text<'a>(folder: &'a AppFolder, model: &'a ModelFile) -> ModelText<'a> {
    let text =
        |file: Option<crate::source::FileId>| file.map(|f| folder.sources.get(f).text.as_str());
    ModelText {
        path: &model.path,
        text: text(model.text),
        config: model
            .config
            .as_ref()
            .map(|c| (c.path.as_str(), text(c.text))),
    }
}

fn write_record(app_dir: &Path, record: &Record, session: &mut Session) {
    let artifact = Artifact {
        path: record::PATH.to_owned(),
        root: Root::App,
        purpose: "the verdicts of Dafny and TLC on the formal models".to_owned(),
        contents: record::render(record),
    };
    match crate::write::write(app_dir, &artifact) {
        Ok(_) => session.record = Some(app_dir.join(record::PATH)),
        Err(e) => session.diagnostics.push(
            Diagnostic::new(
                Code::UnreadableFile,
                format!("cannot write {}: {e}", app_dir.join(record::PATH).display()),
            )
            .help("check that the specs folder is writable"),
        ),
    }
}

/// A model's run, with when it ran.
type Checked<'a> = (&'a ModelFile, ModelRun, String);

fn missing(tool: Verifier, models: &[&ModelFile], problem: &ToolProblem, session: &mut Session) {
    session.diagnostics.push(
        Diagnostic::new(
            Code::VerifierMissing,
            format!(
                "{}, so {} {} model{} {} not verified",
                problem.message,
                models.len(),
                tool.display_name(),
                if models.len() == 1 { "" } else { "s" },
                if models.len() == 1 { "was" } else { "were" }
            ),
        )
        .help(problem.help.clone()),
    );
    for model in models {
        session.skipped.push(Skipped {
            file: model.path.clone(),
            tool,
            reason: problem.message.clone(),
        });
    }
}

fn run_tool<'a>(
    tool: Verifier,
    models: &[&'a ModelFile],
    args: &VerifyArgs,
    progress: bool,
    session: &mut Session,
) -> Vec<Checked<'a>> {
    let limit = Duration::from_secs(args.timeout.max(1));
    let mut progress = Progress::new(progress, models.len());
    let mut checked = Vec::new();
    match tool {
        Verifier::Dafny => {
            let dafny = match run::find_dafny(args.dafny.as_deref()) {
                Ok(dafny) => dafny,
                Err(problem) => {
                    missing(tool, models, &problem, session);
                    return checked;
                }
            };
            for (index, model) in models.iter().enumerate() {
                let mut command = dafny.command(&args.app_dir, &model.path);
                let finished = run::run(&mut command, limit, &mut |elapsed| {
                    progress.tick(index, "dafny", &model.path, elapsed);
                });
                progress.clear();
                let finished = match finished {
                    Ok(finished) => finished,
                    Err(e) => {
                        let problem = ToolProblem {
                            message: format!(
                                "{} could not be started: {e}",
                                dafny.program.display()
                            ),
                            help: "check the Dafny installation, or pass another with --dafny PATH"
                                .to_owned(),
                        };
                        missing(tool, &models[index..], &problem, session);
                        return checked;
                    }
                };
                let mut outcome = dafny::read(&finished.output, finished.exit_code);
                outcome.tool_version = Some(dafny.version.clone());
                checked.push(ran(model, outcome, &finished, limit));
            }
        }
        Verifier::Tlc => {
            let tlc = match run::find_tlc(args.tlc.as_deref(), args.tla2tools.as_deref()) {
                Ok(tlc) => tlc,
                Err(problem) => {
                    missing(tool, models, &problem, session);
                    return checked;
                }
            };
            for (index, model) in models.iter().enumerate() {
                let Some(config) = &model.config else {
                    continue;
                };
                let full = args.app_dir.join(&model.path);
                let folder = full.parent().unwrap_or(&args.app_dir).to_path_buf();
                let name = |path: &str| path.rsplit('/').next().unwrap_or(path).to_owned();
                let metadir = match tempfile::tempdir() {
                    Ok(dir) => dir,
                    Err(e) => {
                        let problem = ToolProblem {
                            message: format!("no temporary folder for TLC's working files: {e}"),
                            help: "check that the temporary folder (TMPDIR) is writable".to_owned(),
                        };
                        missing(tool, &models[index..], &problem, session);
                        return checked;
                    }
                };
                let mut command = tlc.command(
                    &folder,
                    &name(&model.path),
                    &name(&config.path),
                    metadir.path(),
                );
                let finished = run::run(&mut command, limit, &mut |elapsed| {
                    progress.tick(index, "tlc", &model.path, elapsed);
                });
                progress.clear();
                let finished = match finished {
                    Ok(finished) => finished,
                    Err(e) => {
                        let problem = ToolProblem {
                            message: format!("{} could not be started: {e}", tlc.program.display()),
                            help: "check the TLC installation, or pass another with --tlc PATH or --tla2tools JAR".to_owned(),
                        };
                        missing(tool, &models[index..], &problem, session);
                        return checked;
                    }
                };
                let outcome = tlc::read(&finished.output, finished.exit_code);
                checked.push(ran(model, outcome, &finished, limit));
            }
        }
    }
    checked
}

/// The run of `model`, with the clock time it ended: the one place specdeploy reads the clock.
fn ran<'a>(
    model: &'a ModelFile,
    mut outcome: Outcome,
    finished: &run::Finished,
    limit: Duration,
) -> Checked<'a> {
    if finished.timed_out {
        outcome.verdict = Verdict::Failed;
        outcome.failure = Some(FailureKind::TimeLimit);
        outcome.exit_code = None;
        outcome.problems.insert(
            0,
            Problem::new(format!(
                "{} was stopped after the time limit of {} s (raise it with --timeout SECONDS)",
                outcome.tool.display_name(),
                limit.as_secs()
            )),
        );
    }
    let run = ModelRun {
        path: model.path.clone(),
        outcome,
        source: Source::Run,
        elapsed: Some(finished.elapsed),
    };
    (model, run, timestamp(SystemTime::now()))
}

/// `time` as RFC 3339 in UTC, to the second.
fn timestamp(time: SystemTime) -> String {
    let time = time::OffsetDateTime::from(time);
    let time = time.replace_nanosecond(0).unwrap_or(time);
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn read_logs<'a>(
    tool: Verifier,
    models: &[&'a ModelFile],
    logs: &[PathBuf],
    session: &mut Session,
) -> Vec<Checked<'a>> {
    let mut checked: Vec<Checked<'a>> = Vec::new();
    let mut general_logs = 0;
    for path in logs {
        let log = match load::read_log(path) {
            Ok(log) => log,
            Err(diagnostic) => {
                session.diagnostics.push(*diagnostic);
                continue;
            }
        };
        let outcome = match tool {
            Verifier::Dafny => dafny::read(&log.text, log.exit_code),
            Verifier::Tlc => tlc::read(&log.text, log.exit_code),
        };
        let (covered, general) = covered_by(tool, path, &log.text, models);
        if general {
            general_logs += 1;
        }
        if covered.is_empty() || general_logs > 1 {
            session.diagnostics.push(
                Diagnostic::new(
                    Code::UnusableLog,
                    format!(
                        "cannot tell which {} model {} is about",
                        tool.display_name(),
                        path.display()
                    ),
                )
                .help(format!(
                    "name each log after its model (`{}.log` for {}){}",
                    stem_of(&models[0].path),
                    models[0].path,
                    match tool {
                        Verifier::Dafny =>
                            ", or give one Dafny log of a run over every Dafny model",
                        Verifier::Tlc => "; TLC checks one model a run",
                    }
                )),
            );
            continue;
        }
        let ran_at = timestamp(log.modified.unwrap_or_else(SystemTime::now));
        let shared = covered.len() > 1;
        for model in covered {
            let run = ModelRun {
                path: model.path.clone(),
                outcome: narrow(&outcome, model, shared),
                source: Source::Log(path.display().to_string()),
                elapsed: None,
            };
            checked.retain(|(m, _, _)| m.path != model.path);
            checked.push((model, run, ran_at.clone()));
        }
    }
    for model in models {
        if !checked.iter().any(|(m, _, _)| m.path == model.path) {
            session.skipped.push(Skipped {
                file: model.path.clone(),
                tool,
                reason: format!("no {} log given is about it", tool.display_name()),
            });
        }
    }
    checked
}

/// A path's file name up to its first dot: `structure` for `specs/dafny/structure.dfy` and
/// for `logs/structure.dfy.log`.
fn stem_of(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name).to_owned()
}

/// The models a log is about, and whether it is a log of a run over every model: a TLC log
/// names the module it parsed first; a log named after a model (`structure.log`,
/// `structure.dfy.log`) is about that model; any other Dafny log is about every Dafny model,
/// and any other TLC log about the one TLA+ model when there is one.
fn covered_by<'a>(
    tool: Verifier,
    path: &Path,
    text: &str,
    models: &[&'a ModelFile],
) -> (Vec<&'a ModelFile>, bool) {
    if tool == Verifier::Tlc
        && let Some(parsed) = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Parsing file "))
    {
        let parsed = parsed.split(" (").next().unwrap_or(parsed);
        let named: Vec<&ModelFile> = models
            .iter()
            .copied()
            .filter(|m| locate::names_file(parsed, &m.path))
            .collect();
        if !named.is_empty() {
            return (named, false);
        }
    }
    let log_stem = stem_of(&path.display().to_string());
    let named: Vec<&ModelFile> = models
        .iter()
        .copied()
        .filter(|m| stem_of(&m.path) == log_stem)
        .collect();
    if !named.is_empty() {
        return (named, false);
    }
    match tool {
        Verifier::Dafny => (models.to_vec(), true),
        Verifier::Tlc if models.len() == 1 => (models.to_vec(), true),
        Verifier::Tlc => (Vec::new(), true),
    }
}

/// The outcome of a run over several models, for one of them: its verdict is the run's (a run
/// that failed verified none of them for certain), and its problems are those in it or
/// placed nowhere.
fn narrow(outcome: &Outcome, model: &ModelFile, shared: bool) -> Outcome {
    let mut mine = outcome.clone();
    if !shared || outcome.is_verified() {
        return mine;
    }
    mine.problems.retain(|p| {
        p.location.is_none()
            || p.places()
                .any(|place| locate::names_file(&place.file, &model.path))
    });
    if mine.problems.is_empty() {
        let kind = outcome.failure.map_or("a failure", FailureKind::describe);
        mine.problems.push(Problem::new(format!(
            "not verified: the {} run over every model ended in {kind} in another model",
            outcome.tool.display_name()
        )));
    }
    mine
}

#[derive(Serialize)]
struct JsonRun<'a> {
    file: &'a str,
    tool: Verifier,
    verdict: Verdict,
    failure: Option<FailureKind>,
    tool_version: Option<&'a str>,
    counts: &'a super::Counts,
    source: &'a Source,
}

impl Session {
    /// What `verify` did, for people: one line per model.
    #[must_use]
    pub fn human(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        if !self.has_specs {
            return out;
        }
        if self.runs.is_empty() && self.skipped.is_empty() {
            out.push_str(
                "No formal models to verify (specs/dafny/*.dfy, specs/tla/*.tla with a .cfg).\n",
            );
            return out;
        }
        let width = self
            .runs
            .iter()
            .map(|r| r.path.len())
            .chain(self.skipped.iter().map(|s| s.file.len()))
            .max()
            .unwrap_or(0);
        for run in &self.runs {
            let outcome = &run.outcome;
            let verdict = if outcome.is_verified() {
                "verified"
            } else {
                "failed"
            };
            let tool = match &outcome.tool_version {
                Some(v) => format!("{} {v}", outcome.tool.display_name()),
                None => outcome.tool.display_name().to_owned(),
            };
            let why = outcome
                .failure
                .map_or(String::new(), |k| format!("{}; ", k.describe()));
            let duration = run
                .elapsed
                .map_or(String::new(), |e| format!(" in {:.1} s", e.as_secs_f64()));
            let from = match &run.source {
                Source::Run => String::new(),
                Source::Log(log) => format!(" (from {log})"),
            };
            let _ = writeln!(
                out,
                "  {verdict:<9} {:<width$}  {tool}: {why}{}{duration}{from}",
                run.path,
                outcome.counts_text()
            );
        }
        for skipped in &self.skipped {
            let _ = writeln!(
                out,
                "  {:<9} {:<width$}  {}",
                "not run", skipped.file, skipped.reason
            );
        }
        if let Some(record) = &self.record {
            let _ = writeln!(out, "Recorded in {}", record.display());
        }
        out
    }

    /// What `verify` did, as one JSON document.
    #[must_use]
    pub fn json(&self) -> String {
        let runs: Vec<JsonRun<'_>> = self
            .runs
            .iter()
            .map(|r| JsonRun {
                file: &r.path,
                tool: r.outcome.tool,
                verdict: r.outcome.verdict,
                failure: r.outcome.failure,
                tool_version: r.outcome.tool_version.as_deref(),
                counts: &r.outcome.counts,
                source: &r.source,
            })
            .collect();
        serde_json::json!({
            "models": runs,
            "skipped": self.skipped,
            "record": self.record.as_ref().map(|p| p.display().to_string()),
        })
        .to_string()
            + "\n"
    }

    /// The models this session put a verdict on.
    pub fn checked(&self) -> impl Iterator<Item = &str> {
        self.runs.iter().map(|r| r.path.as_str())
    }
}
