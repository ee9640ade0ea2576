//! rcompose: a Docker Compose-compatible lifecycle manager.
//!
//! The pipeline is visible in the module tree, one stage per directory:
//!
//! * [`model`]: files in, [`model::Project`] out. Pure: reads the files it is pointed at and the
//!   environment it is handed, never the engine. Image references are split by one parser,
//!   [`model::image::ImageRef`].
//! * [`plan`]: model plus the engine state observed by label in, ordered actions out. Pure and
//!   synchronous, unit-tested without an engine. Swarm stacks get their own plan
//!   ([`plan::stack`]) from the same model.
//! * [`engine`]: the only code that talks to the Docker Engine API (bollard): observing state,
//!   executing plans concurrently in dependency order, building, pulling and pushing, and
//!   deploying stacks through the swarm services API.
//! * [`cli`]: the clap definitions of every flag and compose's flag rules; [`commands`]: one thin
//!   file per sub-command that wires the stages together.
//! * [`settings`]: the names of the environment variables every stage reads, and compose's
//!   boolean reader for them (a leaf: it imports nothing of the crate).
//! * [`output`]: every byte printed: progress, tables, plans, plain lines, questions, JSON and
//!   error rendering.

pub mod cli;
pub mod commands;
pub mod engine;
pub mod model;
pub mod output;
pub mod plan;
pub mod settings;
