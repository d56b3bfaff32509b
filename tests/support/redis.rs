//! A throwaway Redis server on a loopback port.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::port::{LOOPBACK, free_port, wait_until};
use super::tool::{Tool, tool};

/// How long a starting server may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// `redis-server` on 127.0.0.1 and a free port, with no persistence (`--save ''`,
/// `--appendonly no`) and its files in a temporary folder.
///
/// It is stopped when dropped, also when the test panics. [`RedisServer::stop`] and
/// [`RedisServer::start`] stop it and start it again on the same port, for tests of
/// reconnecting clients.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    password: Option<String>,
    dir: TempDir,
    child: Option<Child>,
}

/// One reply in Redis's protocol (RESP2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisReply {
    /// `+OK`, `+PONG`: a status line.
    Status(String),
    /// `-ERR ...`, `-NOAUTH ...`: an error line, without the `-`.
    Error(String),
    /// `:1`.
    Integer(i64),
    /// `$5\r\nhello`; `None` for the nil reply `$-1`.
    Bulk(Option<String>),
    /// `*2 ...`; `None` for the nil array `*-1`.
    Array(Option<Vec<RedisReply>>),
}

impl RedisServer {
    /// Starts a server that needs no password.
    #[track_caller]
    pub fn new() -> Self {
        Self::launch(None)
    }

    /// Starts a server that requires `password` (`--requirepass`).
    #[track_caller]
    pub fn with_password(password: &str) -> Self {
        Self::launch(Some(password.to_owned()))
    }

    #[track_caller]
    fn launch(password: Option<String>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("specdeploy-redis-")
            .tempdir()
            .unwrap_or_else(|error| panic!("creating a folder for redis-server: {error}"));
        let mut server = Self {
            port: free_port(),
            password,
            dir,
            child: None,
        };
        // The free port may be taken before redis binds it; a new one is tried then.
        for _ in 0..3 {
            if server.try_start() {
                return server;
            }
            server.port = free_port();
        }
        server.start();
        server
    }

    /// Starts the server again on the same port after [`RedisServer::stop`]. Does nothing
    /// if it is running.
    #[track_caller]
    pub fn start(&mut self) {
        assert!(
            self.try_start(),
            "redis-server did not start on port {}:\n{}",
            self.port,
            self.log()
        );
    }

    fn try_start(&mut self) -> bool {
        if self.is_running() {
            return true;
        }
        let mut command = Command::new(tool(Tool::RedisServer));
        command
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {command:?}: {error}"));
        self.child = Some(child);

        let port = self.port;
        let mut exited = false;
        let ready = wait_until(START_TIMEOUT, || {
            if let Some(child) = self.child.as_mut() {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    exited = true;
                    return true;
                }
            }
            // Without AUTH, a server with a password answers NOAUTH: it is up all the same.
            match command_on(port, None, &["PING"]) {
                Ok(RedisReply::Status(status)) => status == "PONG",
                Ok(RedisReply::Error(error)) => error.starts_with("NOAUTH"),
                _ => false,
            }
        });
        if !ready || exited {
            self.stop();
            return false;
        }
        true
    }

    /// Stops the server (SIGKILL: it keeps nothing on disk) and waits until it has exited.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.kill());
            drop(child.wait());
        }
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((LOOPBACK, self.port))
    }

    /// The password it requires, if any.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// A `redis://` URL for clients, with the password if there is one. The password is
    /// written as given: use passwords made of URL-safe characters.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@{}:{}", LOOPBACK, self.port),
            None => format!("redis://{}:{}", LOOPBACK, self.port),
        }
    }

    /// Sends one command (authenticating first when the server has a password) and returns
    /// the reply. Panics if the server cannot be reached.
    #[track_caller]
    pub fn command(&self, args: &[&str]) -> RedisReply {
        command_on(self.port, self.password.as_deref(), args).unwrap_or_else(|error| {
            panic!(
                "redis on port {}: {args:?} failed: {error}\n{}",
                self.port,
                self.log()
            )
        })
    }

    /// Sends PING; a running server answers `Status("PONG")`.
    #[track_caller]
    pub fn ping(&self) -> RedisReply {
        self.command(&["PING"])
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join("redis.log")
    }

    /// What the server wrote to its log file so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends `args` to the server on `port` of 127.0.0.1 over one new connection.
fn command_on(port: u16, password: Option<&str>, args: &[&str]) -> std::io::Result<RedisReply> {
    let addr = SocketAddr::from((LOOPBACK, port));
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    if let Some(password) = password {
        writer.write_all(&encode(&["AUTH", password]))?;
        let reply = read_reply(&mut reader)?;
        if reply != RedisReply::Status("OK".to_owned()) {
            return Ok(reply);
        }
    }
    writer.write_all(&encode(args))?;
    read_reply(&mut reader)
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        bytes.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        bytes.extend_from_slice(arg.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

fn read_reply(reader: &mut impl BufRead) -> std::io::Result<RedisReply> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let (kind, rest) = line.split_at_checked(1).unwrap_or(("", ""));
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let length = || rest.parse::<i64>().map_err(|_| bad(line));
    Ok(match kind {
        "+" => RedisReply::Status(rest.to_owned()),
        "-" => RedisReply::Error(rest.to_owned()),
        ":" => RedisReply::Integer(length()?),
        "$" => match usize::try_from(length()?) {
            Err(_) => RedisReply::Bulk(None),
            Ok(len) => {
                let mut payload = vec![0; len + 2];
                reader.read_exact(&mut payload)?;
                payload.truncate(len);
                RedisReply::Bulk(Some(String::from_utf8_lossy(&payload).into_owned()))
            }
        },
        "*" => match usize::try_from(length()?) {
            Err(_) => RedisReply::Array(None),
            Ok(count) => RedisReply::Array(Some(
                (0..count)
                    .map(|_| read_reply(reader))
                    .collect::<std::io::Result<_>>()?,
            )),
        },
        _ => return Err(bad(line)),
    })
}
