//! Running the real `specdeploy` binary the way a user does.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::run::{Run, run_with_input};

/// A `specdeploy` command line to run: the binary cargo built for this test, real arguments,
/// a working folder, and what it prints.
///
/// Colour is off (`NO_COLOR=1`, no `FORCE_COLOR`) so output compares as plain text; a test
/// that wants colour sets the variables itself with [`Specdeploy::env`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Specdeploy {
    args: Vec<OsString>,
    current_dir: Option<PathBuf>,
    envs: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
}

impl Specdeploy {
    /// The path of the binary under test.
    pub fn bin() -> &'static Path {
        Path::new(env!("CARGO_BIN_EXE_specdeploy"))
    }

    /// A command with no arguments yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Runs in `dir` instead of the test's own working folder (the package root).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.current_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes an environment variable for the run.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.envs.push((key.as_ref().to_owned(), None));
        self
    }

    /// Writes `input` to the command's standard input (otherwise it reads nothing).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Runs the binary to completion and returns its exit code, stdout and stderr.
    #[track_caller]
    pub fn run(&self) -> Run {
        let mut command = Command::new(Self::bin());
        command
            .args(&self.args)
            .env("NO_COLOR", "1")
            .env_remove("FORCE_COLOR");
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        run_with_input(&mut command, self.stdin.as_deref())
    }
}

/// A fixture's app, copied and built with `--out`: where the copy and the artifacts are.
pub struct BuiltApp {
    /// Holds the folders; they go when the build does.
    _work: tempfile::TempDir,
    /// The copy of the app (`.dockerignore` and health code are written here).
    pub app: PathBuf,
    /// The output folder.
    pub out: PathBuf,
}

/// Copies fixture `case`, lets `change` edit the copy, and builds it into `out/`; panics
/// unless `build` succeeds.
#[track_caller]
pub fn build_fixture(case: &str, change: impl FnOnce(&Path)) -> BuiltApp {
    let (work, app) = super::copy_fixture(case);
    change(&app);
    let out = work.path().join("out");
    Specdeploy::new()
        .arg("build")
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .run()
        .assert_success();
    BuiltApp {
        _work: work,
        app,
        out,
    }
}
