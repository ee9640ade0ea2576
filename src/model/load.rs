//! Loading a project: discover the files, read `.env`, parse, interpolate, merge, convert,
//! apply profiles and the service selection, and check every reference.
//!
//! Input is [`LoadOptions`] (the command-line flags and the process environment as data);
//! output is a [`Project`] or one [`LoadError`]. The only I/O is reading the compose and env
//! files; the result is the same for the same files and environment.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use super::canonical::CanonicalOptions;
use super::error::{SourceFile, Sources};
use super::extends::apply_extends;
use super::graph::DependencyGraph;
use super::include::apply_includes;
use super::interpolate::{TreeInterpolationError, interpolate_tree};
use super::merge::merge_layer;
use super::paths::resolve_relative_paths;
use super::resources::{Network, read_network, read_volume};
use super::service::{PathError, ServiceReader};
use super::short_syntax::MountKind;
use super::{LoadError, Project, dotenv, is_valid_project_name, normalize_project_name, yaml};
use crate::settings;

/// Default compose file names, first match wins.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
/// Override files looked up beside the main file when no file was named.
pub const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// What the user asked for: flags plus the process environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files, in order (relative to `cwd`).
    pub files: Vec<PathBuf>,
    pub project_directory: Option<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--env-file` files.
    pub env_files: Vec<PathBuf>,
    /// `--profile`.
    pub profiles: Vec<String>,
    /// Services named on the command line (their profiles are enabled, and only they and their
    /// dependencies are selected). Empty = all.
    pub services: Vec<String>,
    /// Current directory of the process.
    pub cwd: PathBuf,
    /// The process environment.
    pub os_env: IndexMap<String, String>,
    /// Skip the checks of references between services, networks and volumes
    /// (`config --no-consistency`).
    pub skip_consistency: bool,
    /// Do not build [`Project::canonical`]: only `config` prints it, so other commands save
    /// the time.
    pub skip_canonical: bool,
    /// `--compatibility`: names joined with `_` as docker-compose v1 made them.
    pub compatibility: bool,
    /// `--all-resources`: keep declared networks and volumes no service uses.
    pub all_resources: bool,
    /// The command creates containers (`up`, `create`, `run`, and `config`, which shows
    /// what they would): also check what only matters then, as compose does — container
    /// names unique among the selected services, `start_interval` with a `start_period`.
    pub check_create: bool,
}

/// Project files and directory found by discovery, plus the environment for interpolation.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub working_dir: PathBuf,
    /// OS environment with `.env` values underneath (OS wins).
    pub env: IndexMap<String, String>,
    pub env_files: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

fn abs(cwd: &Path, p: &Path) -> PathBuf {
    PathBuf::from(super::service::absolute(cwd, &p.to_string_lossy()))
}

/// Reads one env file with compose's `.env` syntax; Ok(None) when it does not exist.
pub fn read_env_file(
    path: &Path,
    lookup_env: &IndexMap<String, String>,
) -> Result<Option<IndexMap<String, String>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("failed to read {}: {e}", path.display())),
    };
    let lookup = |k: &str| lookup_env.get(k).cloned();
    dotenv::parse(&text, &lookup).map(Some).map_err(|e| {
        // Compose's text, then where the statement starts, so editors can jump to it.
        format!(
            "failed to read {}: line {}: {}\n  --> {}:{}:1",
            path.display(),
            e.line,
            e.message,
            path.display(),
            e.line,
        )
    })
}

/// Adds the variables of `path` under `env` (existing keys win).
fn layer_env_file(
    env: &mut IndexMap<String, String>,
    path: &Path,
    required: bool,
) -> Result<(), LoadError> {
    match read_env_file(path, env).map_err(LoadError::new)? {
        Some(vars) => {
            for (k, v) in vars {
                env.entry(k).or_insert(v);
            }
            Ok(())
        }
        None if required => Err(LoadError::new(format!(
            "couldn't find env file: {}",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// Finds the compose files, the project directory and the interpolation environment.
pub fn discover(opts: &LoadOptions) -> Result<Discovered, LoadError> {
    let cwd = &opts.cwd;
    let mut warnings = Vec::new();
    let mut env = opts.os_env.clone();
    env.entry("PWD".into())
        .or_insert_with(|| cwd.to_string_lossy().into_owned());
    let initial_dir = opts
        .project_directory
        .as_ref()
        .map(|d| abs(cwd, d))
        .unwrap_or_else(|| cwd.clone());

    // .env: explicit files (flag, else COMPOSE_ENV_FILES) replace the default one.
    let mut env_files: Vec<PathBuf> = opts.env_files.iter().map(|p| abs(cwd, p)).collect();
    if env_files.is_empty()
        && let Some(list) = env
            .get(settings::COMPOSE_ENV_FILES)
            .filter(|s| !s.is_empty())
    {
        env_files = list
            .split(',')
            .map(|p| abs(cwd, Path::new(p.trim())))
            .collect();
    }
    let explicit_env = !env_files.is_empty();
    if explicit_env {
        // later files win, and the OS environment wins over all
        let mut layered: IndexMap<String, String> = IndexMap::new();
        for f in &env_files {
            let mut lookup = env.clone();
            for (k, v) in &layered {
                lookup.entry(k.clone()).or_insert(v.clone());
            }
            match read_env_file(f, &lookup).map_err(LoadError::new)? {
                Some(vars) => layered.extend(vars),
                None => {
                    return Err(LoadError::new(format!(
                        "couldn't find env file: {}",
                        f.display()
                    )));
                }
            }
        }
        for (k, v) in layered {
            env.entry(k).or_insert(v);
        }
    } else if !settings::flag(env.get(settings::COMPOSE_DISABLE_ENV_FILE)) {
        layer_env_file(&mut env, &initial_dir.join(".env"), false)?;
    }

    // Files: -f, else COMPOSE_FILE, else discovery upwards from the project directory.
    let mut named = !opts.files.is_empty();
    let mut files: Vec<PathBuf> = opts
        .files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                f.clone()
            } else {
                abs(cwd, f)
            }
        })
        .collect();
    if files.is_empty()
        && let Some(list) = env.get(settings::COMPOSE_FILE).filter(|s| !s.is_empty())
    {
        let sep = env
            .get(settings::COMPOSE_PATH_SEPARATOR)
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| ":".into());
        for f in list.split(sep.as_str()).filter(|s| !s.is_empty()) {
            let p = abs(&initial_dir, Path::new(f));
            if !p.exists() {
                return Err(LoadError::new(format!(
                    "stat {}: no such file or directory",
                    p.display()
                )));
            }
            files.push(p);
        }
        named = true;
    }
    if files.is_empty() {
        let mut dir = Some(initial_dir.as_path());
        while let Some(d) = dir {
            let found: Vec<&str> = DEFAULT_FILES
                .iter()
                .copied()
                .filter(|n| d.join(n).is_file())
                .collect();
            if let Some(first) = found.first() {
                if found.len() > 1 {
                    warnings.push(format!(
                        "Found multiple config files with supported names: {}",
                        found
                            .iter()
                            .map(|n| d.join(n).display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    warnings.push(format!("Using {}", d.join(first).display()));
                }
                files.push(d.join(first));
                let overrides: Vec<&str> = OVERRIDE_FILES
                    .iter()
                    .copied()
                    .filter(|n| d.join(n).is_file())
                    .collect();
                if let Some(o) = overrides.first() {
                    files.push(d.join(o));
                }
                break;
            }
            dir = d.parent();
        }
        if files.is_empty() {
            return Err(LoadError::no_configuration_file(
                &initial_dir,
                DEFAULT_FILES,
            ));
        }
    }
    let _ = named;
    for f in &files {
        if f.as_os_str() != "-" && !f.exists() {
            return Err(LoadError::new(format!(
                "open {}: no such file or directory",
                f.display()
            )));
        }
    }

    let working_dir = match &opts.project_directory {
        Some(d) => abs(cwd, d),
        None => files
            .iter()
            .find(|f| f.as_os_str() != "-")
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| cwd.clone()),
    };
    // The project directory's .env, when it differs from the one already read.
    if !explicit_env
        && working_dir != initial_dir
        && !settings::flag(env.get(settings::COMPOSE_DISABLE_ENV_FILE))
    {
        layer_env_file(&mut env, &working_dir.join(".env"), false)?;
    }
    Ok(Discovered {
        files,
        working_dir,
        env,
        env_files: if explicit_env { env_files } else { Vec::new() },
        warnings,
    })
}

/// Reads, parses and interpolates a compose file that is not one of the project's own files
/// (an included or extended file): errors name the file, warnings are not collected.
fn read_tree(path: &Path, env: &IndexMap<String, String>) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        LoadError::new(format!("cannot read {}: {}", path.display(), io_reason(&e)))
    })?;
    let (mut tree, locations) = yaml::parse(&text).map_err(|e| {
        let at = e
            .position
            .map(|p| format!(" at line {} column {}", p.line, p.column))
            .unwrap_or_default();
        LoadError::new(format!(
            "failed to parse {}{at}: {}",
            path.display(),
            e.message
        ))
    })?;
    // A file without a document (empty, or comments only) adds nothing, as in compose.
    if tree.is_null()
        && text
            .lines()
            .all(|l| matches!(l.trim().chars().next(), None | Some('#')))
    {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let source = SourceFile {
        path: path.to_path_buf(),
        text,
        locations,
    };
    if !tree.is_object() {
        return Err(LoadError::at(
            format!("{}: top-level object must be a mapping", path.display()),
            &source,
            "",
        ));
    }
    let lookup = |k: &str| env.get(k).cloned();
    interpolate_tree(&mut tree, &lookup, &mut Vec::new())
        .map_err(|e| LoadError::at(e.to_string(), &source, &e.path))?;
    Ok(tree)
}

fn read_env_for_include(
    path: &Path,
    env: &IndexMap<String, String>,
) -> Result<Option<IndexMap<String, String>>, LoadError> {
    if path.is_dir() {
        return Err(LoadError::new(format!("{} is not a file", path.display())));
    }
    read_env_file(path, env).map_err(LoadError::new)
}

/// Loads, merges and validates the project. `stdin` supplies the text of `-f -`.
pub fn load(opts: &LoadOptions) -> Result<Project, LoadError> {
    load_with_stdin(opts, &mut || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
    })
}

/// [`load`] with the source of `-f -` handed in.
pub fn load_with_stdin(
    opts: &LoadOptions,
    stdin: &mut dyn FnMut() -> std::io::Result<String>,
) -> Result<Project, LoadError> {
    load_canonical(opts, &CanonicalOptions::default(), stdin)
}

/// [`load_with_stdin`] with the stages of [`Project::canonical`] chosen (`config
/// --no-normalize`, `--no-path-resolution`).
pub fn load_canonical(
    opts: &LoadOptions,
    canonical_options: &CanonicalOptions,
    stdin: &mut dyn FnMut() -> std::io::Result<String>,
) -> Result<Project, LoadError> {
    let found = discover(opts)?;
    let env = found.env;
    let mut warnings = found.warnings;
    let lookup = |k: &str| env.get(k).cloned();

    let mut sources = Sources::default();
    let mut merged: Option<Value> = None;
    let mut unset: Vec<String> = Vec::new();
    let mut top_extensions = serde_json::Map::new(); // [canonical]
    for path in &found.files {
        let (shown, text) = if path.as_os_str() == "-" {
            let t = stdin().map_err(|e| LoadError::new(format!("failed to read stdin: {e}")))?;
            (opts.cwd.join("-"), t)
        } else {
            let t = std::fs::read_to_string(path).map_err(|e| {
                LoadError::new(format!("open {}: {}", path.display(), io_reason(&e)))
            })?;
            (path.clone(), t)
        };
        if text.trim().is_empty() {
            return Err(LoadError::new(format!(
                "{}: empty compose file",
                shown.display()
            )));
        }
        let docs = yaml::parse_documents(&text).map_err(|e| {
            let mut err = LoadError::new(format!(
                "failed to parse {}: yaml: {}",
                shown.display(),
                yaml_reason(&e)
            ));
            if let Some(pos) = e.position {
                err.location = Some(super::error::SourceLocation {
                    file: shown.clone(),
                    path: String::new(),
                    line: Some(pos.line),
                    column: Some(pos.column),
                    line_text: text
                        .lines()
                        .nth(pos.line.saturating_sub(1) as usize)
                        .map(str::to_string),
                });
            }
            err
        })?;
        // The documents of one file are merged in order, like several files.
        for (mut tree, locations) in docs {
            let source = SourceFile {
                path: shown.clone(),
                text: text.clone(),
                locations,
            };
            if !tree.is_object() {
                return Err(LoadError::at(
                    format!("{}: top-level object must be a mapping", shown.display()),
                    &source,
                    "",
                ));
            }
            if tree.get("version").is_some() {
                warnings.push(format!(
                "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                shown.display()
            ));
            }
            // x- extensions are never interpolated (they only feed anchors).
            if let Value::Object(m) = &mut tree {
                // [canonical] kept aside for `config`'s output
                for (k, v) in m.iter().filter(|(k, _)| k.starts_with("x-")) {
                    top_extensions.insert(k.clone(), v.clone());
                }
                m.retain(|k, _| !k.starts_with("x-"));
            }
            interpolate_tree(&mut tree, &lookup, &mut unset).map_err(
                |e: TreeInterpolationError| LoadError::at(e.to_string(), &source, &e.path),
            )?;
            let mut stack = vec![shown.clone()];
            apply_includes(
                &mut tree,
                &found.working_dir,
                &env,
                &mut stack,
                &read_tree,
                &read_env_for_include,
            )
            .map_err(|e| e.locate_in(&source))?;
            if canonical_options.resolve_paths {
                resolve_relative_paths(&mut tree, &found.working_dir);
            }
            let reader = |p: &Path| read_tree(p, &env);
            let tagged = source.locations.tagged().to_vec();
            apply_extends(&mut tree, &shown, &tagged, &reader).map_err(|e| e.locate_in(&source))?;
            sources.files.push(source);
            // Every file, the first included, goes through the merge: compose de-duplicates lists
            // even in a single file, and a later file's `!reset` / `!override` act on earlier ones.
            let acc = merged.get_or_insert_with(|| Value::Object(serde_json::Map::new()));
            merge_layer(acc, tree, &tagged).map_err(|e| {
                let path = e.path.replace(".[", "[");
                sources.error(&path, e.message)
            })?;
        }
    }
    for v in unset {
        warnings.push(format!(
            "The {v:?} variable is not set. Defaulting to a blank string."
        ));
    }
    let tree = merged.unwrap_or(Value::Null);
    // Checks compose makes outside its schema: legacy external names and device counts.
    for top in ["secrets", "configs"] {
        if let Some(Value::Object(items)) = tree.get(top) {
            for (k, v) in items {
                if v.get("name").is_some_and(|n| !n.is_null())
                    && v.get("external").and_then(|e| e.get("name")).is_some()
                {
                    return Err(sources.error(
                        &format!("{top}.{k}"),
                        format!("{top}.{k}: name and external.name conflict; only use name"),
                    ));
                }
            }
        }
    }
    if let Some(Value::Object(services)) = tree.get("services") {
        for (name, s) in services {
            let devices = s
                .pointer("/deploy/resources/reservations/devices")
                .and_then(Value::as_array);
            for (i, d) in devices.into_iter().flatten().enumerate() {
                if let Some(Value::String(c)) = d.get("count")
                    && c != "all"
                    && c.parse::<i64>().is_err()
                {
                    return Err(sources.error(
                        &format!(
                            "services.{name}.deploy.resources.reservations.devices[{i}].count"
                        ),
                        format!("invalid value {c:?}, the only value allowed is 'all' or a number"),
                    ));
                }
            }
        }
    }
    // The merged model must have the compose file's structure.
    if let Err(e) = super::validate::validate(&tree) {
        let file = sources
            .file_for(&e.path)
            .map(|f| f.path.display().to_string())
            .unwrap_or_default();
        return Err(sources.error(&e.path, format!("validating {file}: {}", e.message)));
    }
    let top = tree.as_object().cloned().unwrap_or_default();
    for key in top.keys() {
        if !matches!(
            key.as_str(),
            "version"
                | "name"
                | "services"
                | "networks"
                | "volumes"
                | "secrets"
                | "configs"
                | "include"
                | "models"
        ) {
            let hint = super::service::nearest(
                key,
                [
                    "name", "services", "networks", "volumes", "secrets", "configs", "include",
                ]
                .into_iter(),
            )
            .map(|k| format!(" (did you mean '{k}'?)"))
            .unwrap_or_default();
            let file = sources
                .file_for(key)
                .map(|f| f.path.display().to_string())
                .unwrap_or_default();
            return Err(sources.error(
                key,
                format!("validating {file}: additional properties '{key}' not allowed{hint}"),
            ));
        }
    }
    for key in ["include", "models"] {
        if top.get(key).is_some_and(|v| !v.is_null()) {
            warnings.push(format!(
                "top-level `{key}` is not supported by rcompose yet and is ignored"
            ));
        }
    }

    // Project name: -p, COMPOSE_PROJECT_NAME, name:, directory basename.
    let name = if let Some(p) = opts.project_name.as_ref().filter(|p| !p.is_empty()) {
        check_project_name(p)?
    } else if let Some(p) = env
        .get(settings::COMPOSE_PROJECT_NAME)
        .filter(|p| !p.is_empty())
    {
        check_project_name(p)?
    } else if let Some(n) = top
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        normalize_project_name(n)
    } else {
        let base = found
            .working_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        normalize_project_name(&base)
    };
    if name.is_empty() {
        return Err(LoadError::new(
            "project name can't be empty. Use ProjectName option to set a valid name",
        ));
    }
    // `${COMPOSE_PROJECT_NAME}` always sees the final name, even one that came from `name:` or
    // the directory: when a file uses it and it was not already that, load again with it set.
    if env.get(settings::COMPOSE_PROJECT_NAME) != Some(&name)
        && sources
            .files
            .iter()
            .any(|f| f.text.contains(settings::COMPOSE_PROJECT_NAME))
    {
        let mut again = opts.clone();
        again
            .os_env
            .insert(settings::COMPOSE_PROJECT_NAME.into(), name.clone());
        again.project_name = Some(name.clone());
        let stdin_text = sources
            .files
            .iter()
            .find(|f| f.path == opts.cwd.join("-"))
            .map(|f| f.text.clone())
            .unwrap_or_default();
        return load_canonical(&again, canonical_options, &mut || Ok(stdin_text.clone()));
    }

    let located = |e: PathError| {
        // Structural errors read as compose's schema errors: `validating <file>: <message>`.
        let schema_like = [
            "services", "networks", "volumes", "secrets", "configs", "name",
        ]
        .iter()
        .any(|k| {
            e.message.starts_with(&format!("{k}.")) || e.message.starts_with(&format!("{k} "))
        }) || e.message.contains("additional properties");
        let message = match sources.file_for(&e.path) {
            Some(f) if schema_like => format!("validating {}: {}", f.path.display(), e.message),
            _ => e.message,
        };
        sources.error(&e.path, message)
    };

    // Services.
    let services_v = match top.get("services") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Null) | None => Default::default(),
        Some(_) => return Err(sources.error("services", "services must be a mapping")),
    };
    let read_env = |p: &Path| read_env_file(p, &env);
    let reader = ServiceReader {
        working_dir: &found.working_dir,
        env: &env,
        read_env_file: &read_env,
        require_image: !opts.skip_consistency,
    };
    let mut all: IndexMap<String, super::Service> = IndexMap::new();
    for (svc, v) in &services_v {
        all.insert(
            svc.clone(),
            reader.read(svc, v, &mut warnings).map_err(located)?,
        );
    }

    // Dependencies must exist; optional ones that do not are dropped with a warning.
    for (svc, s) in all.clone() {
        for (dep, d) in &s.depends_on {
            if !all.contains_key(dep) {
                if d.required && !opts.skip_consistency {
                    // An implicit dependency points at the key it comes from.
                    let names = |l: &[String]| l.iter().any(|v| v.split(':').next() == Some(dep));
                    let key = if s.network_mode.as_deref() == Some(&format!("service:{dep}")) {
                        "network_mode"
                    } else if names(&s.host.volumes_from) {
                        "volumes_from"
                    } else if names(&s.host.links) {
                        "links"
                    } else {
                        "depends_on"
                    };
                    return Err(sources.error(
                        &format!("services.{svc}.{key}"),
                        format!("service {svc:?} depends on undefined service {dep:?}: invalid compose project"),
                    ));
                }
                warnings.push(format!(
                    "service {svc:?} depends on undefined service {dep:?} (required: false): ignored"
                ));
                all[&svc].depends_on.shift_remove(dep);
            }
        }
    }
    let full_graph = DependencyGraph::build(
        all.iter()
            .map(|(k, s)| (k.as_str(), s.depends_on.keys().cloned().collect())),
    )
    .map_err(|m| match m.strip_prefix("cycle found: ") {
        // Told from the service defined first, pointing at its dependencies.
        Some(members) => {
            let mut ring: Vec<&str> = members.split(" -> ").collect();
            ring.pop();
            let start = (0..ring.len())
                .min_by_key(|i| all.get_index_of(ring[*i]).unwrap_or(usize::MAX))
                .unwrap_or(0);
            ring.rotate_left(start);
            let first = ring.first().copied().unwrap_or_default().to_string();
            ring.push(&first);
            sources.error(
                &format!("services.{first}.depends_on"),
                format!("cycle found: {}", ring.join(" -> ")),
            )
        }
        None => LoadError::new(m),
    })?;

    // Profiles: COMPOSE_PROFILES when no --profile; services named on the command line enable theirs.
    let mut profiles: Vec<String> = opts.profiles.clone();
    if profiles.is_empty()
        && let Some(p) = env.get(settings::COMPOSE_PROFILES)
    {
        profiles = p
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    for s in &opts.services {
        if !all.contains_key(s) {
            return Err(LoadError::no_such_service(
                s,
                all.keys().map(String::as_str),
            ));
        }
    }
    let active = |s: &super::Service| {
        s.profiles.is_empty()
            || profiles.iter().any(|p| p == "*" || s.profiles.contains(p))
            || opts.services.contains(&s.name)
    };
    let selected: Vec<String> = if opts.services.is_empty() {
        all.values()
            .filter(|s| active(s))
            .map(|s| s.name.clone())
            .collect()
    } else {
        full_graph.with_dependencies(&opts.services)
    };
    let mut services = IndexMap::new();
    let mut disabled = IndexMap::new();
    for (k, s) in all {
        if selected.contains(&k) {
            services.insert(k, s);
        } else {
            disabled.insert(k, s);
        }
    }
    for (svc, s) in &services {
        for (dep, d) in &s.depends_on {
            if d.required && disabled.contains_key(dep) && opts.services.is_empty() {
                let ps = disabled[dep].profiles.join(", ");
                return Err(sources.error(
                    &format!("services.{svc}.depends_on"),
                    format!(
                        "service {dep} is required by {svc} but is disabled. Can be enabled by profiles [{ps}]"
                    ),
                ));
            }
        }
    }
    // Container names must be unique among the selected services (compose checks after
    // selection: two services sharing a name may each be run alone), and a healthcheck's
    // start_interval needs a start_period.
    let mut names_seen: IndexMap<&str, &str> = IndexMap::new();
    for (svc, s) in services.iter().filter(|_| opts.check_create) {
        if let Some(cn) = &s.container_name {
            if let Some(other) = names_seen.insert(cn.as_str(), svc.as_str()) {
                return Err(sources.error(
                    &format!("services.{svc}.container_name"),
                    format!("services.{svc}: container name {cn:?} is already in use by service {other}\""),
                ));
            }
            if s.replicas() > 1 {
                return Err(sources.error(
                    &format!("services.{svc}.container_name"),
                    format!("services.{svc}: the service is using the custom container name {cn:?}; Docker requires each container to have a unique name. Remove the custom name to scale the service"),
                ));
            }
        }
        if let Some(h) = &s.healthcheck
            && h.start_interval.is_some()
            && h.start_period.is_none()
        {
            return Err(sources.error(
                &format!("services.{svc}.healthcheck.start_interval"),
                "healthcheck.start_interval requires healthcheck.start_period to be set",
            ));
        }
    }
    let graph = DependencyGraph::build(services.iter().map(|(k, s)| {
        (
            k.as_str(),
            s.depends_on
                .keys()
                .filter(|d| services.contains_key(*d))
                .cloned()
                .collect(),
        )
    }))
    .map_err(LoadError::new)?;

    // Secrets and configs: those the enabled services use must be declared.
    let mut secrets = IndexMap::new();
    let mut configs = IndexMap::new();
    for (kind, out) in [("secrets", &mut secrets), ("configs", &mut configs)] {
        let declared = match top.get(kind) {
            Some(Value::Object(m)) => m.clone(),
            _ => Default::default(),
        };
        let singular = &kind[..kind.len() - 1];
        for (svc, s) in &services {
            let refs = if kind == "secrets" {
                &s.host.secrets
            } else {
                &s.host.configs
            };
            let mut used: Vec<(String, &str)> = refs
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("services.{svc}.{kind}[{i}]"), r.source.as_str()))
                .collect();
            // Build secrets (`build.secrets`) refer to the same top-level secrets.
            if kind == "secrets"
                && let Some(Value::Array(items)) = s.build.as_ref().and_then(|b| b.get("secrets"))
            {
                for (i, item) in items.iter().enumerate() {
                    let source = match item {
                        Value::String(src) => Some(src.as_str()),
                        other => other.get("source").and_then(Value::as_str),
                    };
                    if let Some(src) = source {
                        used.push((format!("services.{svc}.build.secrets[{i}]"), src));
                    }
                }
            }
            for (at, source) in used {
                let r = super::host::FileRef {
                    source: source.to_string(),
                    ..Default::default()
                };
                let Some(v) = declared.get(&r.source) else {
                    if opts.skip_consistency {
                        continue;
                    }
                    return Err(sources.error(
                        &at,
                        format!(
                            "service {svc:?} refers to undefined {singular} {}: invalid compose project",
                            r.source
                        ),
                    ));
                };
                if !out.contains_key(&r.source) {
                    let source =
                        super::host::file_source(kind, &r.source, v, &found.working_dir, &env)
                            .map_err(located)?;
                    out.insert(r.source.clone(), source);
                }
            }
        }
    }

    // Networks and volumes: declared ones, checked against what services use.
    let declared_networks = match top.get("networks") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Null) | None => Default::default(),
        Some(_) => return Err(sources.error("networks", "networks must be a mapping")),
    };
    let declared_volumes = match top.get("volumes") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Null) | None => Default::default(),
        Some(_) => return Err(sources.error("volumes", "volumes must be a mapping")),
    };
    let mut all_networks: IndexMap<String, Network> = IndexMap::new();
    for (k, v) in &declared_networks {
        all_networks.insert(k.clone(), read_network(&name, k, v).map_err(located)?);
    }
    let mut all_volumes = IndexMap::new();
    for (k, v) in &declared_volumes {
        all_volumes.insert(k.clone(), read_volume(&name, k, v).map_err(located)?);
    }
    let mut networks = IndexMap::new();
    let mut volumes = IndexMap::new();
    for (svc, s) in services.iter().chain(disabled.iter()) {
        let enabled = services.contains_key(svc);
        for n in s.networks.keys() {
            let net = match all_networks.get(n) {
                Some(net) => net.clone(),
                None if n == "default" => Network {
                    name: format!("{name}_default"),
                    ..Default::default()
                },
                None if opts.skip_consistency => continue,
                None => {
                    return Err(sources.error(
                        &format!("services.{svc}.networks"),
                        format!("service {svc:?} refers to undefined network {n}: invalid compose project"),
                    ));
                }
            };
            if enabled {
                networks.entry(n.clone()).or_insert(net);
            }
        }
        for (i, m) in s.volumes.iter().enumerate() {
            if m.kind != MountKind::Volume {
                continue;
            }
            let Some(src) = &m.source else { continue };
            match all_volumes.get(src) {
                Some(v) if enabled => {
                    volumes.entry(src.clone()).or_insert_with(|| v.clone());
                }
                Some(_) => {}
                None if opts.skip_consistency => {}
                None => {
                    return Err(sources.error(
                        &format!("services.{svc}.volumes[{i}]"),
                        format!("service {svc:?} refers to undefined volume {src}: invalid compose project"),
                    ));
                }
            }
        }
    }

    // `--all-resources`: declared networks and volumes are kept even when no service uses them.
    if opts.all_resources {
        for (k, n) in all_networks {
            networks.entry(k).or_insert(n);
        }
        for (k, v) in all_volumes {
            volumes.entry(k).or_insert(v);
        }
    }

    // [canonical] the model as `config` prints it: enabled services, resources they use.
    let enabled: Vec<String> = services.keys().cloned().collect();
    let canonical = if opts.skip_canonical {
        Value::Null
    } else {
        super::canonical::canonical_with(
            &tree,
            &super::canonical::Input {
                project_name: &name,
                working_dir: &found.working_dir,
                env: &env,
                options: canonical_options,
                enabled: Some(&enabled),
                extensions: Some(&top_extensions),
                read_file: &|p| std::fs::read_to_string(p),
            },
        )
        .map_err(located)?
    };
    // [canonical] end

    let compatibility =
        opts.compatibility || settings::flag(env.get(settings::COMPOSE_COMPATIBILITY));
    Ok(Project {
        separator: if compatibility { "_" } else { "-" },
        name,
        working_dir: found.working_dir,
        config_files: found
            .files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    opts.cwd.join("-")
                } else {
                    f.clone()
                }
            })
            .collect(),
        env_files: found.env_files,
        services,
        disabled_services: disabled,
        networks,
        volumes,
        graph,
        warnings,
        canonical,
        secrets,
        configs,
        environment: env,
    })
}

/// compose's wording for a YAML syntax error: `line N: reason`.
fn yaml_reason(e: &yaml::SyntaxError) -> String {
    // serde-saphyr says `error: line L column C: reason`; keep the reason.
    let reason = match e.message.split_once(": ") {
        Some((head, rest)) if head.starts_with("error") => {
            rest.split_once(": ").map(|(_, r)| r).unwrap_or(rest)
        }
        _ => e.message.as_str(),
    };
    match e.position {
        Some(p) => format!("line {}: {reason}", p.line),
        None => reason.to_string(),
    }
}

fn check_project_name(p: &str) -> Result<String, LoadError> {
    if is_valid_project_name(p) {
        Ok(p.to_string())
    } else {
        Err(LoadError::new(format!(
            "invalid project name {p:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        )))
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
