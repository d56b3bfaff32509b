//! A throwaway `PostgreSQL` server on a loopback port.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::port::{LOOPBACK, free_port, wait_until};
use super::run::{Run, run};
use super::tool::{Tool, tool};

/// How long a starting server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A `PostgreSQL` cluster made by `initdb` in a temporary folder and served on 127.0.0.1 and
/// a free port. Local socket connections are trusted; TCP connections need the role's
/// password (`scram-sha-256`).
///
/// `PostgreSQL` refuses to run as root, so when the tests run as root (as in CI) every server
/// command runs as the `postgres` user through `runuser`, and the folder is handed to that
/// user.
///
/// It is stopped when dropped, also when the test panics. [`Postgres::stop`] and
/// [`Postgres::start`] stop it and start it again on the same port.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    user: String,
    password: String,
    as_postgres_user: bool,
    running: bool,
}

impl Postgres {
    /// The role [`Postgres::new`] creates.
    pub const USER: &'static str = "specdeploy";
    /// The password [`Postgres::new`] gives that role.
    pub const PASSWORD: &'static str = "specdeploy-test-password";

    /// Creates and starts a cluster whose superuser is [`Postgres::USER`] with
    /// [`Postgres::PASSWORD`].
    #[track_caller]
    pub fn new() -> Self {
        Self::with_credentials(Self::USER, Self::PASSWORD)
    }

    /// Creates and starts a cluster whose superuser is `user` with `password`.
    #[track_caller]
    pub fn with_credentials(user: &str, password: &str) -> Self {
        let as_postgres_user = running_as_root();
        // The postgres user must be able to reach the folder, so it is made under /tmp
        // rather than a TMPDIR that may sit inside root's home.
        let mut builder = tempfile::Builder::new();
        builder.prefix("specdeploy-pg-");
        let dir = if as_postgres_user {
            builder.tempdir_in("/tmp")
        } else {
            builder.tempdir()
        }
        .unwrap_or_else(|error| panic!("creating a folder for `PostgreSQL`: {error}"));
        let mut server = Self {
            bin: tool(Tool::PgBin),
            dir,
            port: free_port(),
            user: user.to_owned(),
            password: password.to_owned(),
            as_postgres_user,
            running: false,
        };
        server.init();
        // The free port may be taken before the server binds it; a new one is tried then.
        for _ in 0..3 {
            if server.try_start() {
                return server;
            }
            server.port = free_port();
        }
        server.start();
        server
    }

    #[track_caller]
    fn init(&self) {
        let password_file = self.dir.path().join("password");
        fs::write(&password_file, &self.password)
            .unwrap_or_else(|error| panic!("writing {}: {error}", password_file.display()));
        if self.as_postgres_user {
            let (uid, gid) = postgres_user_ids();
            for path in [self.dir.path(), &password_file] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap_or_else(|error| {
                    panic!("handing {} to the postgres user: {error}", path.display())
                });
            }
        }
        let mut initdb = self.server_command("initdb");
        initdb
            .arg("--pgdata")
            .arg(self.data_dir())
            .arg("--username")
            .arg(&self.user)
            .arg("--pwfile")
            .arg(&password_file)
            .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
            .args(["--encoding=UTF8", "--locale=C", "--no-sync"]);
        run(&mut initdb).assert_success();
        drop(fs::remove_file(&password_file));
    }

    /// Starts the server again on the same port after [`Postgres::stop`]. Does nothing if
    /// it is running.
    #[track_caller]
    pub fn start(&mut self) {
        assert!(
            self.try_start(),
            "PostgreSQL did not start on port {}:\n{}",
            self.port,
            self.log()
        );
    }

    fn try_start(&mut self) -> bool {
        if self.running {
            return true;
        }
        // Listen on loopback only; the socket goes in our folder, not /var/run/postgresql.
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k '{}' -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let mut pg_ctl = self.server_command("pg_ctl");
        pg_ctl
            .arg("start")
            .arg("--pgdata")
            .arg(self.data_dir())
            .arg("--log")
            .arg(self.log_path())
            .args(["--wait", "--timeout=30", "--options"])
            .arg(options);
        let started = run(&mut pg_ctl);
        self.running = true;
        if !started.success() {
            self.stop();
            return false;
        }
        let ready = wait_until(START_TIMEOUT, || self.is_ready());
        if !ready {
            self.stop();
        }
        ready
    }

    /// Whether the server accepts connections on its TCP port (`pg_isready`).
    pub fn is_ready(&self) -> bool {
        run(Command::new(self.bin.join("pg_isready"))
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--timeout", "2", "--username"])
            .arg(&self.user))
        .success()
    }

    /// Stops the server (`pg_ctl stop -m fast`, else SIGKILL to the postmaster) and waits
    /// until it has exited.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let mut pg_ctl = self.server_command("pg_ctl");
        pg_ctl
            .arg("stop")
            .arg("--pgdata")
            .arg(self.data_dir())
            .args(["--mode=fast", "--wait", "--timeout=30"]);
        if run(&mut pg_ctl).success() {
            return;
        }
        let pid_file = self.data_dir().join("postmaster.pid");
        if let Some(pid) = fs::read_to_string(pid_file)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
            .filter(|pid| pid.parse::<u32>().is_ok())
        {
            drop(Command::new("kill").args(["-KILL", &pid]).status());
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser role.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The role's password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A `postgres://` URL for the `postgres` database. The user and password are written
    /// as given: use names made of URL-safe characters.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// A `postgres://` URL for `database`.
    pub fn url_for(&self, database: &str) -> String {
        format!(
            "postgres://{}:{}@{LOOPBACK}:{}/{database}",
            self.user, self.password, self.port
        )
    }

    /// Runs `sql` with `psql` over TCP as the superuser, with its password, on the
    /// `postgres` database; unaligned, tuples only, stopping at the first error.
    pub fn psql(&self, sql: &str) -> Run {
        run(Command::new(self.bin.join("psql"))
            .env("PGPASSWORD", &self.password)
            .args([
                "--no-psqlrc",
                "--no-align",
                "--tuples-only",
                "--set",
                "ON_ERROR_STOP=1",
            ])
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--dbname", "postgres", "--username"])
            .arg(&self.user)
            .arg("--command")
            .arg(sql))
    }

    /// The cluster's data folder.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// What the server wrote to its log file so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// A `PostgreSQL` server program, run as the postgres user when we are root.
    fn server_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn running_as_root() -> bool {
    // /proc/self belongs to the process's effective user.
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

#[track_caller]
fn postgres_user_ids() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd")
        .unwrap_or_else(|error| panic!("reading /etc/passwd: {error}"));
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&"postgres"))
        .and_then(|fields| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
        .unwrap_or_else(|| {
            panic!(
                "running as root, `PostgreSQL` needs a `postgres` user, and /etc/passwd has \
                 none; Debian's `postgresql` package creates it (scripts/install-tools.sh)"
            )
        })
}
