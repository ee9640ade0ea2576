//! Integration tests against a real Docker Engine (started by `integration/engine.sh`).
//! They judge engine state through the docker CLI, by label, not rcompose's output.

mod build;
mod build_secrets;
mod clients;
mod commands;
mod container_views;
mod e2e;
mod everyday;
mod faults;
mod foreground;
mod harness;
mod host;
mod image_commands;
mod interop;
mod lifecycle;
mod plan;
mod plugin;
mod registry;
mod remote;
mod safety;
mod seed;
mod snapshot;
mod stack;
mod swarm;
mod swarm_cli;
mod tty_progress;
mod unknown_service;
