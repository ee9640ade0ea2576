//! One thin file per sub-command. Each loads what it needs (the model, or only the project
//! name), observes the engine, plans and executes; this module holds what they share: the
//! process context, project loading with warnings, and the engine connection.

pub mod attach;
pub mod build;
pub mod commit;
pub mod completion;
pub mod config;
pub mod cp;
pub mod create;
pub mod down;
pub mod events;
pub mod exec;
pub mod export;
pub mod graph;
pub mod images;
pub mod kill;
pub mod logs;
pub mod ls;
pub mod pause;
pub mod plan;
pub mod port;
pub mod ps;
pub mod push;
pub mod restart;
pub mod rm;
pub mod run;
pub mod scale;
pub mod snapshot;
pub mod stack;
pub mod start;
pub mod stats;
pub mod stop;
pub mod top;
pub mod up;
pub mod version;
pub mod volumes;
pub mod wait;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use indexmap::IndexMap;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::engine::Engine;
use crate::engine::observe::{Lookups, observe};
use crate::model::{self, DependencyGraph, LoadError, LoadOptions, Project};
use crate::output::console;
use crate::output::progress::{Progress, ProgressMode};
use crate::plan::ObservedState;
use crate::settings;

/// Exit status of a command.
pub type ExitCode = i32;

/// Count of SIGINT/SIGTERM received so far; `main` feeds it.
pub static INTERRUPTS: std::sync::LazyLock<tokio::sync::watch::Sender<u32>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// Set by a command that handles interrupts itself (foreground `up`); otherwise `main` ends
/// the process with status 130 at the first one.
pub static HANDLES_INTERRUPTS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// The process environment and flags every command needs.
pub struct Context {
    pub global: GlobalArgs,
    pub env: IndexMap<String, String>,
    pub cwd: PathBuf,
    pub progress: Progress,
}

impl Context {
    /// Captures the environment and resolves the progress mode.
    pub fn new(global: GlobalArgs) -> Result<Context> {
        let env: IndexMap<String, String> = std::env::vars().collect();
        let cwd = std::env::current_dir()?;
        let mut ctx = Context {
            global,
            env,
            cwd,
            progress: Progress::new(ProgressMode::Plain),
        };
        // COMPOSE_* variables set in the project's .env act as if exported (compose's
        // setEnvWithDotEnv); the process environment wins.
        if let Ok(found) = model::load::discover(&ctx.load_options(&[])) {
            for (k, v) in found.env {
                if k.starts_with(settings::COMPOSE_PREFIX) && !ctx.env.contains_key(&k) {
                    ctx.env.insert(k, v);
                }
            }
        }
        let mut ansi = ctx
            .global
            .ansi
            .clone()
            .or_else(|| ctx.env.get(settings::COMPOSE_ANSI).cloned());
        if ctx.env.get("NO_COLOR").is_some_and(|v| !v.is_empty()) && ansi.is_none() {
            ansi = Some("never".into());
        }
        let progress = ctx
            .global
            .progress
            .clone()
            .or_else(|| ctx.env.get(settings::COMPOSE_PROGRESS).cloned());
        let mode = ProgressMode::resolve(
            progress.as_deref(),
            ansi.as_deref(),
            std::io::stderr().is_terminal(),
        )
        .map_err(anyhow::Error::msg)?;
        ctx.progress = Progress::new(mode);
        Ok(ctx)
    }

    fn load_options(&self, services: &[String]) -> LoadOptions {
        LoadOptions {
            files: self.global.file.clone(),
            project_directory: self.global.project_directory.clone(),
            project_name: self.global.project_name.clone(),
            env_files: self.global.env_file.clone(),
            profiles: self.global.profile.clone(),
            services: services.to_vec(),
            cwd: self.cwd.clone(),
            os_env: self.env.clone(),
            skip_consistency: false,
            skip_canonical: true,
            compatibility: self.global.compatibility,
            all_resources: self.global.all_resources,
            check_create: false,
        }
    }

    /// Whether the boolean setting `key` is true in the environment (compose's reading).
    pub fn flag(&self, key: &str) -> bool {
        settings::flag(self.env.get(key))
    }

    /// The separator of default container names for `target`: the model's, or in label-only
    /// mode `_` under `--compatibility` / COMPOSE_COMPATIBILITY as the loader decides it.
    pub fn separator(&self, target: &ProjectOrName) -> &'static str {
        match target {
            ProjectOrName::Project(p) => p.separator,
            ProjectOrName::Name(_) => {
                let on = self.global.compatibility || self.flag(settings::COMPOSE_COMPATIBILITY);
                if on { "_" } else { "-" }
            }
        }
    }

    /// Loads the compose model, selecting `services` and their dependencies; prints warnings.
    pub fn load(&self, services: &[String]) -> Result<Project> {
        self.load_with(self.load_options(services))
    }

    /// [`Context::load`] for commands that create containers, with the checks only they need.
    pub fn load_to_create(&self, services: &[String]) -> Result<Project> {
        let mut opts = self.load_options(services);
        opts.check_create = true;
        self.load_with(opts)
    }

    fn load_with(&self, opts: LoadOptions) -> Result<Project> {
        let project = model::load(&opts).map_err(load_error)?;
        for w in &project.warnings {
            crate::output::warn(w);
        }
        Ok(project)
    }

    /// The model when there is one to read, or only the project name (`-p NAME` without `-f`
    /// where no compose file is found: then commands work from labels alone).
    pub fn project_or_name(&self, services: &[String]) -> Result<ProjectOrName> {
        if let Some(p) = &self.global.project_name
            && self.global.file.is_empty()
        {
            if !model::is_valid_project_name(p) {
                return Err(load_error(LoadError::new(format!(
                    "invalid project name {p:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
                ))));
            }
            return match model::load(&self.load_options(services)) {
                Ok(project) => {
                    for w in &project.warnings {
                        crate::output::warn(w);
                    }
                    Ok(ProjectOrName::Project(Box::new(project)))
                }
                Err(e) if e.message.starts_with("no configuration file provided") => {
                    Ok(ProjectOrName::Name(p.to_lowercase()))
                }
                Err(e) => Err(load_error(e)),
            };
        }
        match model::load(&self.load_options(services)) {
            Ok(p) => {
                for w in &p.warnings {
                    crate::output::warn(w);
                }
                Ok(ProjectOrName::Project(Box::new(p)))
            }
            Err(e) => match self
                .env
                .get(settings::COMPOSE_PROJECT_NAME)
                .filter(|n| !n.is_empty())
            {
                Some(n) if e.message.starts_with("no configuration file provided") => {
                    Ok(ProjectOrName::Name(n.to_lowercase()))
                }
                _ => Err(load_error(e)),
            },
        }
    }

    /// Connects to the engine named by `-H`, `--context`, DOCKER_HOST, DOCKER_CONTEXT or the
    /// docker config's current context (see [`crate::engine::endpoint`]).
    pub async fn engine(&self) -> Result<Engine> {
        let env: HashMap<String, String> = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let req = crate::engine::endpoint::Request {
            host: self.global.host.clone(),
            context: self.global.context.clone(),
        };
        Ok(Engine::connect(&req, &env).await?)
    }
}

/// A loaded model, or just a name for label-only commands.
pub enum ProjectOrName {
    Project(Box<Project>),
    Name(String),
}

impl ProjectOrName {
    pub fn name(&self) -> &str {
        match self {
            ProjectOrName::Project(p) => &p.name,
            ProjectOrName::Name(n) => n,
        }
    }

    /// Observes the project and returns the dependency graph to act in: the model's (all
    /// services, enabled or not) or the one recorded in container labels.
    pub async fn observe(&self, engine: &Engine) -> Result<(ObservedState, DependencyGraph)> {
        match self {
            ProjectOrName::Project(p) => {
                let observed = observe(engine, &p.name, &Lookups::for_project(p, false)).await?;
                let all: Vec<(&str, Vec<String>)> = p
                    .services
                    .iter()
                    .chain(p.disabled_services.iter())
                    .map(|(k, s)| (k.as_str(), s.depends_on.keys().cloned().collect()))
                    .collect();
                let names: Vec<String> = all.iter().map(|(k, _)| k.to_string()).collect();
                let graph = DependencyGraph::build(
                    all.into_iter()
                        .map(|(k, d)| (k, d.into_iter().filter(|x| names.contains(x)).collect())),
                )
                .map_err(anyhow::Error::msg)?;
                Ok((observed, graph))
            }
            ProjectOrName::Name(n) => {
                let observed = observe(engine, n, &Lookups::default()).await?;
                let graph = observed.label_graph();
                Ok((observed, graph))
            }
        }
    }

    /// Fails with compose's `no such service: X` (and the nearest name) for services the
    /// model does not have; label-only mode knows no names to check.
    pub fn check_services(&self, services: &[String]) -> Result<()> {
        if let ProjectOrName::Project(p) = self {
            p.check_services(services)?;
        }
        Ok(())
    }

    /// What control commands (`kill`, `pause`, `rm`, ...) act on: the named services (all when
    /// none), within the model's enabled services plus the named ones; label-only mode knows
    /// every service found in labels.
    pub fn selection(&self, services: &[String]) -> crate::plan::control::Selection {
        let known = match self {
            ProjectOrName::Project(p) => {
                Some(p.services.keys().chain(services.iter()).cloned().collect())
            }
            ProjectOrName::Name(_) => None,
        };
        crate::plan::control::Selection {
            services: services.to_vec(),
            known,
        }
    }
}

/// Wraps a load error so `main` renders it with its location.
pub fn load_error(e: LoadError) -> anyhow::Error {
    anyhow::Error::new(e)
}

/// The sub-command's name as the live progress header shows it (`[+] up 2/3`): the variant
/// name, which is the sub-command's name for each of them.
fn operation(command: &Command) -> String {
    let debug = format!("{command:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

/// Runs the parsed command line; returns the exit status.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let Cli { global, command } = cli;
    let command = match command {
        Some(c) => c,
        None if global.version && !crate::cli::plugin::running_as_plugin() => {
            console::line(&format!(
                "rcompose version v{}",
                crate::plan::spec::RCOMPOSE_VERSION
            ));
            return Ok(0);
        }
        None if global.version => Command::Version(Default::default()),
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            return Ok(0);
        }
    };
    if let Command::Completion(a) = &command {
        return completion::run(a);
    }
    let ctx = Context::new(global)?;
    ctx.progress.set_title(&operation(&command));
    match command {
        Command::Up(a) => up::run(&ctx, a).await,
        Command::Down(a) => down::run(&ctx, a).await,
        Command::Stop(a) => stop::run(&ctx, a).await,
        Command::Start(a) => start::run(&ctx, a).await,
        Command::Ps(a) => ps::run(&ctx, a).await,
        Command::Config(a) => config::run(&ctx, a),
        Command::Version(a) => version::run(&ctx, a),
        Command::Restart(a) => restart::run(&ctx, a).await,
        Command::Kill(a) => kill::run(&ctx, a).await,
        Command::Rm(a) => rm::run(&ctx, a).await,
        Command::Pause(a) => pause::run(&ctx, a, true).await,
        Command::Unpause(a) => pause::run(&ctx, a, false).await,
        Command::Wait(a) => wait::run(&ctx, a).await,
        Command::Create(a) => create::run(&ctx, a).await,
        Command::Scale(a) => scale::run(&ctx, a).await,
        Command::Logs(a) => logs::run(&ctx, a).await,
        Command::Exec(a) => exec::run(&ctx, a).await,
        Command::Run(a) => run::run(&ctx, *a).await,
        Command::Port(a) => port::run(&ctx, a).await,
        Command::Ls(a) => ls::run(&ctx, a).await,
        Command::Plan(a) => plan::run(&ctx, *a).await,
        Command::Graph(a) => graph::run(&ctx, a),
        Command::Snapshot(a) => snapshot::run(&ctx, a).await,
        Command::Build(a) => build::run(&ctx, a).await,
        Command::Pull(a) => build::run_pull(&ctx, a).await,
        Command::Images(a) => images::run(&ctx, a).await,
        Command::Top(a) => top::run(&ctx, a).await,
        Command::Events(a) => events::run(&ctx, a).await,
        Command::Cp(a) => cp::run(&ctx, a).await,
        Command::Attach(a) => attach::run(&ctx, a).await,
        Command::Completion(_) => unreachable!("handled before the context"),
        Command::Volumes(a) => volumes::run(&ctx, a).await,
        Command::Commit(a) => commit::run(&ctx, a).await,
        Command::Export(a) => export::run(&ctx, a).await,
        Command::Stats(a) => stats::run(&ctx, a).await,
        Command::Push(a) => push::run(&ctx, a).await,
        Command::Stack(a) => stack::run(&ctx, a).await,
    }
}
