//! specdeploy compiles the specification folder of a TypeScript/Bun app into deployment
//! artifacts: Dockerfiles, Compose files, env templates and labels, each traceable to the
//! assertions that caused it.
//!
//! The modules follow the pipeline in the order data flows through it:
//!
//! 1. [`load`] reads the app folder (the only module that reads files);
//! 2. [`manifest`] and [`lang`] turn `assertions.json` and `*.spec` files into the
//!    [`model`]; [`merge`] joins them into one [`model::SpecSet`];
//! 3. [`app`] reads the app's own files (`package.json`, lockfile);
//! 4. [`passes`] infer the archetype, needs, variables, verification summary and services
//!    into the [`ir`];
//! 5. [`emit`] renders the IR into artifacts;
//! 6. [`write`] puts them on disk (the only module that writes files).
//!
//! Beside the pipeline, [`verify`] reads what Dafny and TLC say about the formal models and
//! keeps their verdicts in a record that the [`passes::verification`] pass trusts only while
//! each model's hash matches; `specdeploy verify` runs the tools.
//!
//! Problems are collected as [`diagnostic::Diagnostic`]s by every stage.

// The `.spec` parser that pest derives without its `std` feature names `alloc` (see Cargo.toml).
extern crate alloc;

pub mod app;
pub mod cli;
pub mod compile;
pub mod diagnostic;
pub mod emit;
pub mod explain;
pub mod fuzz;
pub mod images;
pub mod ir;
pub mod json;
pub mod lang;
pub mod load;
pub mod manifest;
pub mod merge;
pub mod model;
pub mod parallel;
pub mod passes;
pub mod source;
pub mod verify;
pub mod workspace;
pub mod write;
