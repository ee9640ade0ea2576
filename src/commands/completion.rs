//! `completion bash|zsh|fish`: prints a shell completion script generated from the clap
//! command definition.

use anyhow::Result;
use clap::CommandFactory;

use super::ExitCode;
use crate::cli::{Cli, CompletionArgs};

pub fn run(args: &CompletionArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "rcompose", &mut std::io::stdout());
    Ok(0)
}
