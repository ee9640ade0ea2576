//! rcompose: a Docker Compose-compatible lifecycle manager.
//!
//! The pipeline is visible in the module tree, one stage per directory:
//!
//! * [`model`]: files in, [`model::Project`] out. Pure: reads the files it is pointed at and the
//!   environment it is handed, never the engine.
//! * [`plan`]: model plus the engine state observed by label in, ordered actions out. Pure and
//!   synchronous, unit-tested without an engine.
//! * [`engine`]: the only code that talks to the Docker Engine API (bollard): observing state and
//!   executing plans concurrently in dependency order.
//! * [`cli`]: the clap definitions of every flag; [`commands`]: one thin file per sub-command that
//!   wires the stages together.
//! * [`output`]: progress lines, tables, JSON and error rendering.

pub mod cli;
pub mod commands;
pub mod engine;
pub mod model;
pub mod output;
pub mod plan;
pub mod settings;
