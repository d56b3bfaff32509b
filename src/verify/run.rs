//! Finding Dafny and TLC and running them: the only place specdeploy starts a process.
//!
//! A run has a time limit. Each tool starts in a process group of its own, so that when the
//! limit passes the whole group is stopped (`tlc` is often a shell script that starts Java),
//! and its output is drained on threads so that a tool filling one pipe cannot stall on the
//! other.
//!
//! Where the tools are:
//! - Dafny: `--dafny PATH`, else `$SPECDEPLOY_DAFNY`, else `dafny` on `PATH`. Dafny 4 (and 3.x
//!   with the command-based CLI) answers `dafny --version` and runs as `dafny verify FILE`;
//!   Dafny 2.x rejects `--version`, prints its version for `dafny /version`, and runs as
//!   `dafny /compile:0 FILE`.
//! - TLC: `--tlc PATH` (a program that takes TLC's own arguments, such as the `tlc` script of
//!   the TLA+ tools), else `$SPECDEPLOY_TLC`, else `--tla2tools JAR` or
//!   `$SPECDEPLOY_TLA2TOOLS`, run as `java -XX:+UseParallelGC -cp JAR tlc2.TLC` (Java from
//!   `$JAVA_HOME/bin/java`, else `PATH`), else `tlc` on `PATH`.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long probing a tool's version may take.
const PROBE_LIMIT: Duration = Duration::from_secs(60);

/// How often a running tool is polled, and the progress display refreshed.
const POLL: Duration = Duration::from_millis(50);

/// What a finished (or stopped) run left.
#[derive(Debug)]
pub struct Finished {
    /// Standard output, then standard error, as text (invalid UTF-8 replaced).
    pub output: String,
    /// The exit code, `None` when a signal ended the tool or the time limit stopped it.
    pub exit_code: Option<i32>,
    /// Whether the time limit stopped it.
    pub timed_out: bool,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Runs `command` to completion or until `limit` passes, calling `tick` with the time spent
/// while it runs.
///
/// # Errors
/// When the program cannot be started.
pub fn run(
    command: &mut Command,
    limit: Duration,
    tick: &mut dyn FnMut(Duration),
) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    own_process_group(command);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let elapsed = started.elapsed();
        if elapsed >= limit {
            timed_out = true;
            stop(&mut child);
            break None;
        }
        tick(elapsed);
        thread::sleep(POLL);
    };
    let elapsed = started.elapsed();
    // After a stop, a grandchild that escaped the group could hold the pipes open: wait a
    // little for the output, then give up on it rather than hang.
    let patience = if timed_out {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(30)
    };
    let mut output = collect(&stdout, patience);
    output.push_str(&collect(&stderr, patience));
    Ok(Finished {
        output,
        exit_code: status.and_then(|s| s.code()),
        timed_out,
        elapsed,
    })
}

#[cfg(unix)]
fn own_process_group(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    command.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_command: &mut Command) {}

/// Stops the tool and everything it started: its process group first (the group id is the
/// tool's pid, see [`own_process_group`]), then the tool itself.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = sender.send(bytes);
        });
    }
    receiver
}

fn collect(receiver: &mpsc::Receiver<Vec<u8>>, patience: Duration) -> String {
    receiver
        .recv_timeout(patience)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Why a tool cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolProblem {
    /// What is wrong, in a sentence.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Which command line a Dafny version takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DafnyCli {
    /// Dafny 4 (and late 3.x): `dafny verify FILE`.
    Commands,
    /// Dafny 2.x and early 3.x: `dafny /compile:0 FILE`.
    Legacy,
}

/// A Dafny that answered.
#[derive(Clone, Debug)]
pub struct Dafny {
    /// The program.
    pub program: PathBuf,
    /// Its version (`4.9.1`, `2.3.0.10506`).
    pub version: String,
    /// Its command line.
    pub cli: DafnyCli,
}

impl Dafny {
    /// The command that verifies the model at `model` (relative to `app_dir`, where it runs).
    #[must_use]
    pub fn command(&self, app_dir: &Path, model: &str) -> Command {
        let mut command = Command::new(&self.program);
        command.current_dir(app_dir);
        match self.cli {
            DafnyCli::Commands => command.arg("verify").arg(model),
            DafnyCli::Legacy => command.arg("/compile:0").arg(model),
        };
        command
    }
}

/// Finds Dafny and asks its version.
///
/// # Errors
/// When no Dafny is found, or the program found does not answer as Dafny does.
pub fn find_dafny(explicit: Option<&Path>) -> Result<Dafny, ToolProblem> {
    let program = explicit
        .map(Path::to_path_buf)
        .or_else(|| env_path("SPECDEPLOY_DAFNY"))
        .or_else(|| on_path("dafny"))
        .ok_or_else(|| ToolProblem {
            message: "Dafny is not installed: SPECDEPLOY_DAFNY is unset and PATH has no `dafny`"
                .to_owned(),
            help: "install Dafny (`dotnet tool install --global dafny`, or Debian's `apt-get install dafny`) or pass --dafny PATH; a toolchain that ran Dafny itself can pass its output with --dafny-log LOG".to_owned(),
        })?;
    if !is_executable(&program) {
        return Err(ToolProblem {
            message: format!("{} is not an executable file", program.display()),
            help: "pass the path of the `dafny` program with --dafny PATH".to_owned(),
        });
    }

    // Dafny 4 answers `--version` with its version and exits 0.
    if let Ok(answer) = probe(Command::new(&program).arg("--version"))
        && answer.exit_code == Some(0)
        && let Some(version) = answer
            .output
            .split_whitespace()
            .next()
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Ok(Dafny {
            program,
            version: version.to_owned(),
            cli: DafnyCli::Commands,
        });
    }
    // Dafny 2.x prints `Dafny 2.3.0.10506` for `/version`, then exits 1 for want of a file.
    let answer = probe(Command::new(&program).arg("/version")).map_err(|e| ToolProblem {
        message: format!("{} could not be started: {e}", program.display()),
        help: "check that Dafny and its runtime (.NET, or mono for Dafny 2) are installed"
            .to_owned(),
    })?;
    let version = answer.output.lines().find_map(|line| {
        line.trim()
            .strip_prefix("Dafny ")
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            .map(|v| v.split_whitespace().next().unwrap_or(v).to_owned())
    });
    match version {
        Some(version) => Ok(Dafny {
            program,
            version,
            cli: DafnyCli::Legacy,
        }),
        None => Err(ToolProblem {
            message: format!(
                "{} does not answer `--version` or `/version` as Dafny does",
                program.display()
            ),
            help: "pass the path of the `dafny` program with --dafny PATH".to_owned(),
        }),
    }
}

/// A way to start TLC.
#[derive(Clone, Debug)]
pub struct Tlc {
    /// The program: a `tlc` launcher, or `java`.
    pub program: PathBuf,
    /// Arguments before TLC's own (`-cp JAR tlc2.TLC` for Java).
    pub prefix: Vec<OsString>,
}

impl Tlc {
    /// The command that checks `module` (a `.tla` file name) with `config` (a `.cfg` file
    /// name), both in `folder`, where it runs. TLC's working files go to `metadir`, and no
    /// trace-exploration module is written beside the model.
    #[must_use]
    pub fn command(&self, folder: &Path, module: &str, config: &str, metadir: &Path) -> Command {
        let mut command = Command::new(&self.program);
        command
            .current_dir(folder)
            .args(&self.prefix)
            .args([
                "-workers",
                "auto",
                "-cleanup",
                "-noGenerateSpecTE",
                "-metadir",
            ])
            .arg(metadir)
            .args(["-config", config, module]);
        command
    }
}

/// Finds TLC.
///
/// # Errors
/// When neither a `tlc` program nor `tla2tools.jar` with Java is found.
pub fn find_tlc(explicit: Option<&Path>, jar: Option<&Path>) -> Result<Tlc, ToolProblem> {
    let program = explicit
        .map(Path::to_path_buf)
        .or_else(|| env_path("SPECDEPLOY_TLC"));
    if let Some(program) = program {
        if !is_executable(&program) {
            return Err(ToolProblem {
                message: format!("{} is not an executable file", program.display()),
                help: "pass a program that runs TLC with --tlc PATH, or tla2tools.jar with --tla2tools JAR".to_owned(),
            });
        }
        return Ok(Tlc {
            program,
            prefix: Vec::new(),
        });
    }
    let jar = jar
        .map(Path::to_path_buf)
        .or_else(|| env_path("SPECDEPLOY_TLA2TOOLS"));
    if let Some(jar) = jar {
        if !jar.is_file() {
            return Err(ToolProblem {
                message: format!("{} does not exist", jar.display()),
                help: "pass the path of tla2tools.jar with --tla2tools JAR".to_owned(),
            });
        }
        let java = std::env::var_os("JAVA_HOME")
            .map(|home| PathBuf::from(home).join("bin/java"))
            .filter(|java| is_executable(java))
            .or_else(|| on_path("java"))
            .ok_or_else(|| ToolProblem {
                message: "Java is not installed: JAVA_HOME is unset and PATH has no `java`, so tla2tools.jar cannot run".to_owned(),
                help: "install a Java runtime (11 or later), or set JAVA_HOME".to_owned(),
            })?;
        return Ok(Tlc {
            program: java,
            prefix: vec![
                "-XX:+UseParallelGC".into(),
                "-cp".into(),
                jar.into_os_string(),
                "tlc2.TLC".into(),
            ],
        });
    }
    on_path("tlc")
        .map(|program| Tlc {
            program,
            prefix: Vec::new(),
        })
        .ok_or_else(|| ToolProblem {
            message: "TLC is not installed: SPECDEPLOY_TLC and SPECDEPLOY_TLA2TOOLS are unset and PATH has no `tlc`".to_owned(),
            help: "download tla2tools.jar from the TLA+ project and pass --tla2tools JAR (Java runs it), or pass a `tlc` launcher with --tlc PATH; a toolchain that ran TLC itself can pass its output with --tlc-log LOG".to_owned(),
        })
}

fn probe(command: &mut Command) -> std::io::Result<Finished> {
    run(command, PROBE_LIMIT, &mut |_| {})
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The one-line progress display of `verify`, on stderr, shown only when stderr is a
/// terminal: which model runs, with which tool, for how long.
#[derive(Debug)]
pub struct Progress {
    shown: bool,
    total: usize,
    last: Option<u64>,
}

impl Progress {
    /// A display for `total` runs; `shown` is whether stderr is a terminal.
    #[must_use]
    pub fn new(shown: bool, total: usize) -> Self {
        Self {
            shown,
            total,
            last: None,
        }
    }

    /// Redraws the line for run `index` (zero-based) of `model` after `elapsed`.
    pub fn tick(&mut self, index: usize, tool: &str, model: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs();
        if !self.shown || self.last == Some(seconds) {
            return;
        }
        self.last = Some(seconds);
        eprint!(
            "\r\x1b[2K[{}/{}] {tool} {model} {seconds}s",
            index + 1,
            self.total
        );
    }

    /// Clears the line after a run.
    pub fn clear(&mut self) {
        if self.shown && self.last.is_some() {
            eprint!("\r\x1b[2K");
        }
        self.last = None;
    }
}
