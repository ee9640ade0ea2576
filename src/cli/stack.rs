//! The arguments of `rcompose stack` (`deploy`, `ls`, `services`, `ps`, `rm`, `config`), as
//! the docker CLI's `docker stack` takes them.

use std::path::PathBuf;

use clap::{ArgAction, Args, Subcommand};

/// `rcompose stack SUBCOMMAND`.
#[derive(Debug, Clone, Args)]
pub struct StackArgs {
    #[command(subcommand)]
    pub command: StackCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum StackCommand {
    /// Deploy a new stack or update an existing stack
    #[command(visible_alias = "up")]
    Deploy(StackDeployArgs),
    /// List stacks
    #[command(visible_alias = "list")]
    Ls(StackLsArgs),
    /// List the services in the stack
    Services(StackServicesArgs),
    /// List the tasks in the stack
    Ps(StackPsArgs),
    /// Remove one or more stacks
    #[command(visible_aliases = ["remove", "down"])]
    Rm(StackRmArgs),
    /// Outputs the final config file, after doing merges and interpolations
    Config(StackConfigArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StackDeployArgs {
    /// Path to a Compose file, or "-" to read from stdin
    #[arg(short = 'c', long = "compose-file", value_name = "FILE")]
    pub compose_file: Vec<PathBuf>,
    /// Prune services that are no longer referenced
    #[arg(long = "prune")]
    pub prune: bool,
    /// Query the registry to resolve image digest and supported platforms ("always", "changed", "never")
    #[arg(long = "resolve-image", value_name = "WHEN", default_value = "always")]
    pub resolve_image: String,
    /// Send registry authentication details to Swarm agents
    #[arg(long = "with-registry-auth")]
    pub with_registry_auth: bool,
    /// Exit immediately instead of waiting for the stack services to converge
    #[arg(short = 'd', long = "detach", action = ArgAction::Set, num_args = 0..=1,
          default_value = "true", default_missing_value = "true", require_equals = true)]
    pub detach: bool,
    /// Suppress progress output
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Print the plan (what would be created, updated, kept or pruned, and why); change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    pub stack: String,
}

#[derive(Debug, Clone, Args)]
pub struct StackLsArgs {
    /// Format output using a custom template: "table", "table TEMPLATE", "json", "TEMPLATE"
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StackServicesArgs {
    /// Only display IDs
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Format output using a custom template
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    pub stack: String,
}

#[derive(Debug, Clone, Args)]
pub struct StackPsArgs {
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Do not map IDs to Names
    #[arg(long = "no-resolve")]
    pub no_resolve: bool,
    /// Only display task IDs
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    pub stack: String,
}

#[derive(Debug, Clone, Args)]
pub struct StackRmArgs {
    /// Do not wait for stack removal
    #[arg(short = 'd', long = "detach", action = ArgAction::Set, num_args = 0..=1,
          default_value = "true", default_missing_value = "true", require_equals = true)]
    pub detach: bool,
    #[arg(required = true)]
    pub stacks: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StackConfigArgs {
    /// Path to a Compose file, or "-" to read from stdin
    #[arg(
        short = 'c',
        long = "compose-file",
        value_name = "FILE",
        required = true
    )]
    pub compose_file: Vec<PathBuf>,
    /// Skip interpolation and output only merged config
    #[arg(long = "skip-interpolation")]
    pub skip_interpolation: bool,
}
