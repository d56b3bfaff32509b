//! Running a command to completion and keeping what it said.

use std::fmt;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long any one command may run before the test fails. Generous: a cold `tsc` or a Dafny
/// proof takes seconds, so reaching this means the tool hangs, and CI should not wait for it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// What a finished command did: its exit status and everything it printed.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, for failure messages.
    pub command: String,
    /// The exit status as the OS reported it.
    pub status: ExitStatus,
    /// The exit code, or `None` when a signal ended the command.
    pub code: Option<i32>,
    /// Standard output, decoded as UTF-8 (invalid bytes replaced).
    pub stdout: String,
    /// Standard error, decoded as UTF-8 (invalid bytes replaced).
    pub stderr: String,
}

impl Run {
    /// The JSON diagnostics on stderr (`--message-format json`), one object per line; other
    /// lines are left out.
    pub fn diagnostics(&self) -> impl Iterator<Item = serde_json::Value> + '_ {
        self.stderr
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    }

    /// Whether the command exited with code 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics, showing the command and its output, unless it exited with code 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "expected success, got {self}");
        self
    }

    /// Panics, showing the command and its output, if it exited with code 0.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "expected failure, got {self}");
        self
    }

    /// Panics, showing the command and its output, unless it exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}, got {self}"
        );
        self
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| format!("{}", self.status), |code| code.to_string());
        writeln!(f, "exit code {code} from {}", self.command)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

/// Runs `command` with no standard input and returns what it did.
///
/// Panics if the command cannot be started, or kills it and panics if it runs longer than
/// [`COMMAND_TIMEOUT`].
#[track_caller]
pub fn run(command: &mut Command) -> Run {
    run_with_input(command, None)
}

/// Like [`run`], writing `input` to the command's standard input first.
#[track_caller]
pub fn run_with_input(command: &mut Command, input: Option<&[u8]>) -> Run {
    let shown = format!("{command:?}");
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("could not start {shown}: {error}"));

    // Each pipe drains on its own thread, so a command that fills one pipe while we wait on
    // another cannot deadlock.
    let feeder = input.map(|bytes| {
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let bytes = bytes.to_vec();
        // A command that exits without reading its input closes the pipe; that is its
        // business, not a test failure.
        thread::spawn(move || drop(stdin.write_all(&bytes)))
    });
    let stdout = drain(child.stdout.take().expect("stdout was piped"));
    let stderr = drain(child.stderr.take().expect("stderr was piped"));

    let status = wait_with_deadline(&mut child, &shown);
    if let Some(feeder) = feeder {
        drop(feeder.join());
    }
    Run {
        command: shown,
        status,
        code: status.code(),
        stdout: joined(stdout),
        stderr: joined(stderr),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        drop(pipe.read_to_end(&mut bytes));
        bytes
    })
}

fn joined(reader: thread::JoinHandle<Vec<u8>>) -> String {
    let bytes = reader.join().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[track_caller]
fn wait_with_deadline(child: &mut Child, shown: &str) -> ExitStatus {
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                drop(child.kill());
                drop(child.wait());
                panic!("{shown} ran longer than {COMMAND_TIMEOUT:?} and was killed");
            }
            Err(error) => panic!("could not wait for {shown}: {error}"),
        }
    }
}
