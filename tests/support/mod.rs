//! Helpers shared by the integration tests: finding and running the real tools that check
//! specdeploy's output, running the specdeploy binary itself, and throwaway services.
//!
//! A test file includes it with `mod support;`. Every tool is found with [`tool`], which
//! panics with an install hint when the tool is missing: a check never passes by skipping.
//! `scripts/install-tools.sh` installs the tools; `scripts/test.sh` runs it first.

// Each test binary compiles this module afresh and uses only some of it; the rest would
// otherwise warn, as dead code or unused re-exports, in every binary that does not use it.
#![allow(dead_code, unused_imports)]

mod checks;
mod files;
pub mod kubernetes;
mod port;
mod postgres;
mod redis;
mod run;
mod specdeploy;
mod tool;

pub use checks::{
    DockerfileHeredoc, DockerfileInstruction, compose_config, compose_config_json, hadolint,
    kubectl_kustomize, kubernetes_validate, parse_dockerfile,
};
pub use files::{copy_dir, copy_fixture, files_under, filled_env, fixture_app, relative_files};
pub use port::{LOOPBACK, free_port};
pub use postgres::Postgres;
pub use redis::{RedisReply, RedisServer};
pub use run::{COMMAND_TIMEOUT, Run, run, run_with_input};
pub use specdeploy::{BuiltApp, Specdeploy, build_fixture};
pub use tool::{Tool, tool};
