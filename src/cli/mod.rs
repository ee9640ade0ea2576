//! The command line: every flag and sub-command, with docker compose's names, defaults and
//! environment fallbacks. Project flags (`-f`, `-p`, `--profile`, ...) belong to the root
//! command and must come before the sub-command, as in compose. [`parse`] turns a command line
//! into a [`Cli`] with compose's leniencies.

pub mod parse;
pub mod plugin;
pub mod stack;

use std::path::PathBuf;

use crate::settings;
use clap::{Args, Parser, Subcommand};

/// Define and run multi-container applications with Docker (a docker compose drop-in).
#[derive(Debug, Parser)]
// A flag given again overrides its earlier value, as in compose (lists still accumulate).
#[command(
    name = "rcompose",
    version,
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags of the root command.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Compose configuration files
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Project name
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Specify an alternate working directory (default: the path of the first specified Compose file)
    #[arg(
        long = "project-directory",
        visible_alias = "workdir",
        value_name = "DIR"
    )]
    pub project_directory: Option<PathBuf>,
    /// Specify a profile to enable
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profile: Vec<String>,
    /// Specify an alternate environment file
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Control when to print ANSI control characters ("never"|"always"|"auto")
    #[arg(long = "ansi", value_name = "WHEN", env = settings::COMPOSE_ANSI)]
    pub ansi: Option<String>,
    /// Set type of progress output (auto, tty, plain, json, quiet)
    #[arg(long = "progress", value_name = "MODE", env = settings::COMPOSE_PROGRESS)]
    pub progress: Option<String>,
    /// Control max parallelism, -1 for unlimited
    #[arg(long = "parallel", value_name = "N", allow_hyphen_values = true)]
    pub parallel: Option<i64>,
    /// Execute command in dry run mode
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Run compose in backward compatibility mode
    #[arg(long = "compatibility")]
    pub compatibility: bool,
    /// Include all resources, even those not used by services
    #[arg(long = "all-resources")]
    pub all_resources: bool,
    /// Daemon socket to connect to
    #[arg(short = 'H', long = "host", value_name = "HOST")]
    pub host: Option<String>,
    /// Name of the docker context to use (overrides DOCKER_HOST and DOCKER_CONTEXT)
    #[arg(long = "context", value_name = "CONTEXT")]
    pub context: Option<String>,
    /// Show the version (same as the `version` command)
    #[arg(short = 'v', long = "version", hide = true)]
    pub version: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and start containers
    Up(UpArgs),
    /// Stop and remove containers, networks
    Down(DownArgs),
    /// Stop services
    Stop(StopArgs),
    /// Start services
    Start(StartArgs),
    /// List containers
    Ps(PsArgs),
    /// Parse, resolve and render compose file in canonical format
    Config(ConfigArgs),
    /// Show the rcompose version information
    Version(VersionArgs),
    /// Restart service containers
    Restart(RestartArgs),
    /// Force stop service containers
    Kill(KillArgs),
    /// Removes stopped service containers
    Rm(RmArgs),
    /// Pause services
    Pause(PauseArgs),
    /// Unpause services
    Unpause(PauseArgs),
    /// Block until containers of all (or specified) services stop.
    Wait(WaitArgs),
    /// Creates containers for a service
    Create(CreateArgs),
    /// Scale services
    Scale(ScaleArgs),
    /// View output from containers
    Logs(LogsArgs),
    /// Execute a command in a running container
    Exec(ExecArgs),
    /// Run a one-off command on a service
    Run(Box<RunArgs>),
    /// Print the public port for a port binding
    Port(PortArgs),
    /// List running compose projects
    Ls(LsArgs),
    /// Show every action `up` would take and why, without changing anything
    Plan(Box<PlanArgs>),
    /// Show services, their dependencies, networks and volumes as a graph
    Graph(GraphArgs),
    /// Save, restore, list and remove snapshots of the project's named volumes
    Snapshot(SnapshotArgs),
    /// Build or rebuild services
    Build(BuildArgs),
    /// Pull service images
    Pull(PullArgs),
    /// List images used by the created containers
    Images(ImagesArgs),
    /// Display the running processes
    Top(TopArgs),
    /// Receive real time events from containers
    Events(EventsArgs),
    /// Copy files/folders between a service container and the local filesystem
    Cp(CpArgs),
    /// Attach local standard input, output, and error streams to a service's running container
    Attach(AttachArgs),
    /// Generate a shell completion script (bash, zsh or fish)
    Completion(CompletionArgs),
    /// List volumes
    Volumes(VolumesArgs),
    /// Create a new image from a service container's changes
    Commit(CommitArgs),
    /// Export a service container's filesystem as a tar archive
    Export(ExportArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(StatsArgs),
    /// Push service images
    Push(PushArgs),
    /// Manage Swarm stacks (docker stack's commands)
    Stack(stack::StackArgs),
}

#[derive(Debug, Clone, Args, Default)]
pub struct ImagesArgs {
    /// Format the output. Values: [table | json]
    #[arg(long = "format", value_name = "FORMAT", default_value = "table")]
    pub format: String,
    /// Only display IDs
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct TopArgs {
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct EventsArgs {
    /// Output events as a stream of json objects
    #[arg(long = "json")]
    pub json: bool,
    /// Show all events created since timestamp
    #[arg(long = "since", value_name = "TIME")]
    pub since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long = "until", value_name = "TIME")]
    pub until: Option<String>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
#[command(
    override_usage = "rcompose cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n       rcompose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH"
)]
pub struct CpArgs {
    /// Include containers created by the run command
    #[arg(long = "all")]
    pub all: bool,
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long = "archive")]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH
    #[arg(short = 'L', long = "follow-link")]
    pub follow_link: bool,
    /// Index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    #[arg(value_name = "SRC")]
    pub source: String,
    #[arg(value_name = "DEST")]
    pub destination: String,
}

#[derive(Debug, Clone, Args, Default)]
pub struct AttachArgs {
    /// Override the key sequence for detaching from a container
    #[arg(long = "detach-keys", value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    /// Do not attach STDIN
    #[arg(long = "no-stdin")]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(
        long = "sig-proxy",
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "true",
        value_name = "BOOL"
    )]
    pub sig_proxy: bool,
    #[arg(value_name = "SERVICE")]
    pub service: String,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionArgs {
    /// The shell to generate the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args, Default)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short = 'f', long = "follow")]
    pub follow: bool,
    /// Number of lines to show from the end of the logs for each container
    #[arg(short = 'n', long = "tail", value_name = "N", default_value = "all")]
    pub tail: String,
    /// Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)
    #[arg(long = "since", value_name = "TIME")]
    pub since: Option<String>,
    /// Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)
    #[arg(long = "until", value_name = "TIME")]
    pub until: Option<String>,
    /// Show timestamps
    #[arg(short = 't', long = "timestamps")]
    pub timestamps: bool,
    /// Produce monochrome output
    #[arg(long = "no-color")]
    pub no_color: bool,
    /// Don't print prefix in logs
    #[arg(long = "no-log-prefix")]
    pub no_log_prefix: bool,
    /// index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
#[command(override_usage = "rcompose exec [OPTIONS] SERVICE COMMAND [ARGS...]")]
pub struct ExecArgs {
    /// Detached mode: Run command in the background
    #[arg(short = 'd', long = "detach")]
    pub detach: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    /// Give extended privileges to the process
    #[arg(long = "privileged")]
    pub privileged: bool,
    /// Run the command as this user
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,
    /// Disable pseudo-TTY allocation. By default 'rcompose exec' allocates a TTY when stdout is a terminal.
    #[arg(
        short = 'T',
        long = "no-tty",
        alias = "no-TTY",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
    )]
    pub no_tty: Option<bool>,
    /// Path to workdir directory for this command
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// Keep STDIN open even if not attached
    #[arg(
        short = 'i',
        long = "interactive",
        hide = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
    )]
    pub interactive: Option<bool>,
    /// Allocate a pseudo-TTY (no effect)
    #[arg(
        short = 't',
        long = "tty",
        hide = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
    )]
    pub tty: Option<bool>,
    /// The service, then the command and its arguments (options after SERVICE belong to the command)
    #[arg(value_name = "ARGS", trailing_var_arg = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
#[command(override_usage = "rcompose run [OPTIONS] SERVICE [COMMAND] [ARGS...]")]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long = "detach")]
    pub detach: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Set environment variables from file
    #[arg(long = "env-from-file", value_name = "FILE")]
    pub env_from_file: Vec<String>,
    /// Add or override a label
    #[arg(short = 'l', long = "label", alias = "labels", value_name = "KEY=VAL")]
    pub label: Vec<String>,
    /// Automatically remove the container when it exits
    #[arg(long = "rm")]
    pub rm: bool,
    /// Disable pseudo-TTY allocation (default: auto-detected)
    #[arg(
        short = 'T',
        long = "no-tty",
        alias = "no-TTY",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
    )]
    pub no_tty: Option<bool>,
    /// Assign a name to the container
    #[arg(long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Run as specified username or uid
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// Override the entrypoint of the image
    #[arg(long = "entrypoint", value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Add Linux capabilities
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Don't start linked services
    #[arg(long = "no-deps")]
    pub no_deps: bool,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume", alias = "volumes", value_name = "VOLUME")]
    pub volume: Vec<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish", value_name = "PORT")]
    pub publish: Vec<String>,
    /// Use the service's network aliases in the network(s) the container connects to
    #[arg(long = "use-aliases")]
    pub use_aliases: bool,
    /// Run command with all service's ports enabled and mapped to the host
    #[arg(short = 'P', long = "service-ports")]
    pub service_ports: bool,
    /// Pull image before running ("always"|"missing"|"never")
    #[arg(long = "pull", value_name = "POLICY")]
    pub pull: Option<String>,
    /// Don't print anything to STDOUT
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Suppress progress output from the build process
    #[arg(long = "quiet-build")]
    pub quiet_build: bool,
    /// Pull without printing progress information
    #[arg(long = "quiet-pull")]
    pub quiet_pull: bool,
    /// Build image before starting container
    #[arg(long = "build")]
    pub build: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Keep STDIN open even if not attached
    #[arg(
        short = 'i',
        long = "interactive",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
    )]
    pub interactive: Option<bool>,
    /// Allocate a pseudo-TTY
    #[arg(
        short = 't',
        long = "tty",
        hide = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
    )]
    pub tty: Option<bool>,
    /// The service, then the command and its arguments (options after SERVICE belong to the command)
    #[arg(value_name = "ARGS", trailing_var_arg = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
#[command(override_usage = "rcompose port [OPTIONS] SERVICE PRIVATE_PORT")]
pub struct PortArgs {
    /// Index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    /// tcp or udp
    #[arg(long = "protocol", value_name = "PROTO", default_value = "tcp")]
    pub protocol: String,
    #[arg(value_name = "SERVICE")]
    pub service: String,
    #[arg(value_name = "PRIVATE_PORT")]
    pub private_port: String,
}

#[derive(Debug, Clone, Args, Default)]
pub struct LsArgs {
    /// Show all stopped Compose projects
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Filter output based on conditions provided
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format the output. Values: [table | json]
    #[arg(long = "format", value_name = "FORMAT", default_value = "table")]
    pub format: String,
    /// Only display project names
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args, Default)]
pub struct RestartArgs {
    /// Specify a shutdown timeout in seconds
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub timeout: Option<i64>,
    /// Don't restart dependent services
    #[arg(long = "no-deps")]
    pub no_deps: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct KillArgs {
    /// SIGNAL to send to the container
    #[arg(
        short = 's',
        long = "signal",
        value_name = "SIGNAL",
        default_value = "SIGKILL"
    )]
    pub signal: String,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct RmArgs {
    /// Don't ask to confirm removal
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Stop the containers, if required, before removing
    #[arg(short = 's', long = "stop")]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers
    #[arg(short = 'v', long = "volumes")]
    pub volumes: bool,
    /// Deprecated - no effect
    #[arg(short = 'a', long = "all", hide = true)]
    pub all: bool,
    pub services: Vec<String>,
}

/// `pause` and `unpause`.
#[derive(Debug, Clone, Args, Default)]
pub struct PauseArgs {
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct WaitArgs {
    /// Drops project when the first container stops
    #[arg(long = "down-project")]
    pub down_project: bool,
    #[arg(required = true, value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct CreateArgs {
    /// Build images before starting containers
    #[arg(long = "build")]
    pub build: bool,
    /// Don't build an image, even if it's policy
    #[arg(long = "no-build")]
    pub no_build: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long = "force-recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them. Incompatible with --force-recreate.
    #[arg(long = "no-recreate")]
    pub no_recreate: bool,
    /// Pull image before running ("always"|"missing"|"never"|"build")
    #[arg(long = "pull", value_name = "POLICY")]
    pub pull: Option<String>,
    /// Pull without printing progress information
    #[arg(long = "quiet-pull")]
    pub quiet_pull: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.
    #[arg(long = "scale", value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Assume "yes" as answer to all prompts and run non-interactively
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ScaleArgs {
    /// Don't start linked services
    #[arg(long = "no-deps")]
    pub no_deps: bool,
    #[arg(required = true, value_name = "SERVICE=REPLICAS")]
    pub scale: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct UpArgs {
    /// Detached mode: Run containers in the background
    #[arg(short = 'd', long = "detach")]
    pub detach: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long = "force-recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long = "no-recreate")]
    pub no_recreate: bool,
    /// Recreate dependent containers
    #[arg(long = "always-recreate-deps")]
    pub always_recreate_deps: bool,
    /// Don't start linked services
    #[arg(long = "no-deps")]
    pub no_deps: bool,
    /// Don't start the services after creating them
    #[arg(long = "no-start")]
    pub no_start: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Use this timeout in seconds for container shutdown when containers are already running
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Wait for services to be running|healthy. Implies detached mode
    #[arg(long = "wait")]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy
    #[arg(long = "wait-timeout", value_name = "SECONDS")]
    pub wait_timeout: Option<i64>,
    /// Build images before starting containers
    #[arg(long = "build")]
    pub build: bool,
    /// Don't build an image, even if it's policy
    #[arg(long = "no-build")]
    pub no_build: bool,
    /// Pull image before running ("always"|"missing"|"never")
    #[arg(long = "pull", value_name = "POLICY")]
    pub pull: Option<String>,
    /// Scale SERVICE to NUM instances
    #[arg(long = "scale", value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers
    #[arg(short = 'V', long = "renew-anon-volumes")]
    pub renew_anon_volumes: bool,
    /// Produce monochrome output
    #[arg(long = "no-color")]
    pub no_color: bool,
    /// Don't print prefix in logs
    #[arg(long = "no-log-prefix")]
    pub no_log_prefix: bool,
    /// Stops all containers if any container was stopped. Incompatible with -d
    #[arg(long = "abort-on-container-exit")]
    pub abort_on_container_exit: bool,
    /// Stops all containers if any container exited with failure. Incompatible with -d
    #[arg(long = "abort-on-container-failure")]
    pub abort_on_container_failure: bool,
    /// Return the exit code of the selected service container. Implies --abort-on-container-exit
    #[arg(long = "exit-code-from", value_name = "SERVICE")]
    pub exit_code_from: Option<String>,
    /// Restrict attaching to the specified services. Incompatible with --attach-dependencies
    #[arg(long = "attach", value_name = "SERVICE")]
    pub attach: Vec<String>,
    /// Do not attach (stream logs) to the specified services
    #[arg(long = "no-attach", value_name = "SERVICE")]
    pub no_attach: Vec<String>,
    /// Automatically attach to log output of dependent services
    #[arg(long = "attach-dependencies")]
    pub attach_dependencies: bool,
    /// Show timestamps
    #[arg(long = "timestamps")]
    pub timestamps: bool,
    /// Pull without printing progress information
    #[arg(long = "quiet-pull")]
    pub quiet_pull: bool,
    /// Assume "yes" as answer to all prompts
    #[arg(short = 'y', long = "yes", alias = "y")]
    pub yes: bool,
    /// Suppress the build output
    #[arg(long = "quiet-build")]
    pub quiet_build: bool,
    /// Watch source code and rebuild/refresh containers when files are updated (not
    /// implemented by rcompose: refused with an explanation)
    #[arg(short = 'w', long = "watch")]
    pub watch: bool,
    /// Print the actions up would take, with the reasons for recreates, and change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Set by `plan`: print the plan in this format (text or json) and change nothing
    #[arg(skip)]
    pub plan_format: Option<String>,
    /// Enable interactive shortcuts when running attached (rcompose has none; accepted for
    /// scripts written for docker compose)
    #[arg(
        long = "menu",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        env = settings::COMPOSE_MENU
    )]
    pub menu: Option<bool>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct PlanArgs {
    /// Output format: text or json
    #[arg(long = "format", value_name = "FORMAT", default_value = "text")]
    pub format: String,
    #[command(flatten)]
    pub up: UpArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    /// Image of the helper container that copies the volumes (needs sh, cp, tar, find, du, stat)
    #[arg(
        long = "helper-image",
        value_name = "IMAGE",
        env = settings::RCOMPOSE_SNAPSHOT_IMAGE,
        global = true
    )]
    pub helper_image: Option<String>,
    #[command(subcommand)]
    pub command: SnapshotCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SnapshotCommand {
    /// Save the project's named volumes (all by default) as snapshot NAME
    Save { name: String, volumes: Vec<String> },
    /// Replace the volumes' contents with snapshot NAME
    Restore { name: String },
    /// List the project's snapshots
    Ls,
    /// Remove snapshot NAME
    Rm { name: String },
    /// Write snapshot NAME to FILE, a tar to share a seeded state
    Export {
        name: String,
        file: std::path::PathBuf,
    },
    /// Read a snapshot from FILE (made by `snapshot export`), as NAME when given
    Import {
        file: std::path::PathBuf,
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Args, Default)]
pub struct GraphArgs {
    /// Output format: text, dot or mermaid
    #[arg(long = "format", value_name = "FORMAT", default_value = "text")]
    pub format: String,
}

#[derive(Debug, Clone, Args, Default)]
pub struct DownArgs {
    /// Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers
    #[arg(short = 'v', long = "volumes", visible_alias = "volume")]
    pub volumes: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Remove images used by services ("local"|"all")
    #[arg(long = "rmi", value_name = "TYPE")]
    pub rmi: Option<String>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct StopArgs {
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<i64>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct StartArgs {
    /// Wait for services to be running|healthy
    #[arg(long = "wait")]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy
    #[arg(long = "wait-timeout", value_name = "SECONDS")]
    pub wait_timeout: Option<i64>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct PsArgs {
    /// Show all stopped containers (including those created by the run command)
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Only display IDs
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Display services
    #[arg(long = "services")]
    pub services_only: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]
    #[arg(long = "status", value_name = "STATUS")]
    pub status: Vec<String>,
    /// Filter services by a property (supported filters: status)
    #[arg(long = "filter", value_name = "KEY=VAL")]
    pub filter: Option<String>,
    /// Format the output. Values: [table | json | TEMPLATE]
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Include orphaned services (not declared by project)
    #[arg(
        long = "orphans",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub orphans: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ConfigArgs {
    /// Only validate the configuration, don't print anything
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Print the service names, one per line
    #[arg(long = "services")]
    pub services_only: bool,
    /// Print the volume names, one per line
    #[arg(long = "volumes")]
    pub volumes: bool,
    /// Print the network names, one per line
    #[arg(long = "networks")]
    pub networks: bool,
    /// Print the image names, one per line
    #[arg(long = "images")]
    pub images: bool,
    /// Print the profile names, one per line
    #[arg(long = "profiles")]
    pub profiles: bool,
    /// Print the service config hash, one per line
    #[arg(long = "hash", value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Format the output. Values: [yaml | json]
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Save to file (default to stdout)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Don't interpolate environment variables
    #[arg(long = "no-interpolate")]
    pub no_interpolate: bool,
    /// Don't normalize compose model
    #[arg(long = "no-normalize")]
    pub no_normalize: bool,
    /// Don't resolve file paths
    #[arg(long = "no-path-resolution")]
    pub no_path_resolution: bool,
    /// Don't check model consistency - warning: may produce invalid Compose output
    #[arg(long = "no-consistency")]
    pub no_consistency: bool,
    /// Print model variables and default values
    #[arg(long = "variables")]
    pub variables: bool,
    /// Print environment used for interpolation
    #[arg(long = "environment")]
    pub environment: bool,
    /// Print the model names, one per line
    #[arg(long = "models")]
    pub models: bool,
    /// Don't resolve service env files
    #[arg(long = "no-env-resolution")]
    pub no_env_resolution: bool,
    /// Pin image tags to digests
    #[arg(long = "resolve-image-digests")]
    pub resolve_image_digests: bool,
    /// Produces an override file with image digests
    #[arg(long = "lock-image-digests")]
    pub lock_image_digests: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct VersionArgs {
    /// Format the output. Values: [pretty | json]
    #[arg(short = 'f', long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Shows only Compose's version number
    #[arg(long = "short")]
    pub short: bool,
}

#[derive(Debug, Clone, Args, Default)]
pub struct BuildArgs {
    /// Do not use cache when building the image
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the image
    #[arg(long = "pull")]
    pub pull: bool,
    /// Don't print anything to STDOUT
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Set build-time variables for services
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]")]
    pub build_arg: Vec<String>,
    /// Also build dependencies (transitively)
    #[arg(long = "with-dependencies")]
    pub with_dependencies: bool,
    /// Set builder to use (only the engine's default builder exists for rcompose)
    #[arg(long = "builder", value_name = "NAME")]
    pub builder: Option<String>,
    /// Check build configuration (not supported by rcompose: refused)
    #[arg(long = "check")]
    pub check: bool,
    /// Set memory limit for the build container (classic builder)
    #[arg(short = 'm', long = "memory", value_name = "BYTES")]
    pub memory: Option<String>,
    /// Print equivalent bake file (not supported by rcompose: refused)
    #[arg(long = "print")]
    pub print: bool,
    /// Add a provenance attestation (not supported by rcompose: refused unless "false")
    #[arg(long = "provenance", value_name = "VALUE")]
    pub provenance: Option<String>,
    /// Push service images
    #[arg(long = "push")]
    pub push: bool,
    /// Add a SBOM attestation (not supported by rcompose: refused unless "false")
    #[arg(long = "sbom", value_name = "VALUE")]
    pub sbom: Option<String>,
    /// Set SSH authentications used when building service images (not supported by rcompose:
    /// refused)
    #[arg(long = "ssh", value_name = "SSH")]
    pub ssh: Option<String>,
    /// Deprecated - no effect
    #[arg(
        long = "parallel",
        hide = true,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub parallel: Option<bool>,
    /// Deprecated - no effect
    #[arg(long = "compress", hide = true)]
    pub compress: bool,
    /// Deprecated - no effect
    #[arg(long = "force-rm", hide = true)]
    pub force_rm: bool,
    /// Deprecated - no effect
    #[arg(long = "no-rm", hide = true)]
    pub no_rm: bool,
    /// Deprecated - use the global --progress
    #[arg(long = "progress", hide = true, value_name = "MODE")]
    pub progress: Option<String>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct PullArgs {
    /// Pull what it can and ignores images with pull failures
    #[arg(long = "ignore-pull-failures")]
    pub ignore_pull_failures: bool,
    /// Also pull services declared as dependencies
    #[arg(long = "include-deps")]
    pub include_deps: bool,
    /// Ignore images that can be built
    #[arg(long = "ignore-buildable")]
    pub ignore_buildable: bool,
    /// Pull without printing progress information
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Apply pull policy ("missing"|"always")
    #[arg(long = "policy", value_name = "POLICY")]
    pub policy: Option<String>,
    /// Deprecated - no effect
    #[arg(
        long = "parallel",
        hide = true,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub parallel: Option<bool>,
    /// Deprecated - no effect
    #[arg(long = "no-parallel", hide = true)]
    pub no_parallel: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct VolumesArgs {
    /// Format the output. Values: [table | json]
    #[arg(long = "format", value_name = "FORMAT", default_value = "table")]
    pub format: String,
    /// Only display volume names
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct CommitArgs {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short = 'a', long = "author", value_name = "AUTHOR")]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change", value_name = "CHANGE")]
    pub change: Vec<String>,
    /// index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    /// Commit message
    #[arg(short = 'm', long = "message", value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Pause container during commit
    #[arg(
        short = 'p',
        long = "pause",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub pause: bool,
    #[arg(value_name = "SERVICE")]
    pub service: String,
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ExportArgs {
    /// index of the container if service has multiple replicas
    #[arg(long = "index", value_name = "N", default_value_t = 0)]
    pub index: u32,
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(value_name = "SERVICE")]
    pub service: String,
}

#[derive(Debug, Clone, Args, Default)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Format output using a custom template: 'table' (default) or 'json'
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Disable streaming stats and only pull the first result
    #[arg(long = "no-stream")]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct PushArgs {
    /// Push what it can and ignores images with push failures
    #[arg(long = "ignore-push-failures")]
    pub ignore_push_failures: bool,
    /// Also push images of services declared as dependencies
    #[arg(long = "include-deps")]
    pub include_deps: bool,
    /// Push without printing progress information
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    pub services: Vec<String>,
}
