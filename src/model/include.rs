//! `include`: other compose files imported into this one, each loaded as its own project (its
//! own directory for relative paths, its own env file for interpolation, its own includes and
//! extends), then its services, networks, volumes, secrets and configs copied in. A resource
//! also defined locally is merged with the local definition as the override.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::LoadError;
use super::extends::apply_extends;
use super::merge::merge_files;
use super::paths::resolve_relative_paths;
use super::service::absolute;

/// Reads, parses and interpolates a compose file with the given environment.
pub type EnvTreeReader<'a> =
    &'a dyn Fn(&Path, &IndexMap<String, String>) -> Result<Value, LoadError>;
/// Reads an env file (None when missing).
pub type EnvFileReader<'a> = &'a dyn Fn(
    &Path,
    &IndexMap<String, String>,
) -> Result<Option<IndexMap<String, String>>, LoadError>;

const IMPORTED: &[&str] = &[
    "services", "networks", "volumes", "secrets", "configs", "models",
];

/// Processes and removes `tree.include`; `stack` holds the files being included, for cycles.
pub fn apply_includes(
    tree: &mut Value,
    working_dir: &Path,
    env: &IndexMap<String, String>,
    stack: &mut Vec<PathBuf>,
    read: EnvTreeReader<'_>,
    read_env: EnvFileReader<'_>,
) -> Result<(), LoadError> {
    let Some(entries) = tree.as_object_mut().and_then(|o| o.shift_remove("include")) else {
        return Ok(());
    };
    let entries = match entries {
        Value::Null => return Ok(()),
        Value::Array(a) => a,
        _ => return Err(LoadError::new("include must be a list")),
    };
    let here = stack.last().cloned();
    for (i, entry) in entries.into_iter().enumerate() {
        let at = |e: LoadError| e.or_at(here.as_deref(), &format!("include[{i}]"));
        let (paths, project_dir, env_files) = match entry {
            Value::String(s) => (vec![s], None, None),
            Value::Object(o) => {
                let paths = match o.get("path") {
                    Some(Value::String(s)) => vec![s.clone()],
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => return Err(LoadError::new(format!("include[{i}] is missing `path`"))),
                };
                let dir = o
                    .get("project_directory")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let files: Option<Vec<String>> = match o.get("env_file") {
                    Some(Value::String(s)) => Some(vec![s.clone()]),
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                    ),
                    _ => None,
                };
                (paths, dir, files)
            }
            _ => {
                return Err(LoadError::new(format!(
                    "include[{i}] must be a string or a mapping"
                )));
            }
        };
        let paths: Vec<PathBuf> = paths
            .iter()
            .map(|p| PathBuf::from(absolute(working_dir, p)))
            .collect();
        let Some(first) = paths.first() else { continue };
        let project_dir = match project_dir {
            Some(d) => PathBuf::from(absolute(working_dir, &d)),
            None => first
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| working_dir.to_path_buf()),
        };
        // The included file's environment: the parent's, with its env files underneath.
        let mut inc_env = env.clone();
        let files: Vec<PathBuf> = match env_files {
            Some(list) => list
                .iter()
                .map(|f| PathBuf::from(absolute(working_dir, f)))
                .collect(),
            None => vec![project_dir.join(".env")],
        };
        let explicit = files.len() != 1 || files[0] != project_dir.join(".env");
        for f in files {
            if f == Path::new("/dev/null") {
                continue;
            }
            match read_env(&f, &inc_env).map_err(at)? {
                Some(vars) => {
                    for (k, v) in vars {
                        inc_env.entry(k).or_insert(v);
                    }
                }
                None if explicit => {
                    return Err(at(LoadError::new(format!(
                        "stat {}: no such file or directory",
                        f.display()
                    ))));
                }
                None => {}
            }
        }
        let mut included: Option<Value> = None;
        for path in &paths {
            if stack.contains(path) {
                let mut msg = String::from("include cycle detected:");
                for (j, p) in stack.iter().chain(std::iter::once(path)).enumerate() {
                    let pre = if j == 0 { "\n" } else { "\n include " };
                    msg.push_str(&format!("{pre}{}", p.display()));
                }
                return Err(at(LoadError::new(msg)));
            }
            stack.push(path.clone());
            let mut sub = read(path, &inc_env).map_err(at)?;
            apply_includes(&mut sub, &project_dir, &inc_env, stack, read, read_env)?;
            stack.pop();
            resolve_relative_paths(&mut sub, &project_dir);
            let reader = |p: &Path| read(p, &inc_env);
            apply_extends(&mut sub, path, &[], &reader)?;
            match &mut included {
                None => included = Some(sub),
                Some(base) => merge_files(base, sub),
            }
        }
        let Some(Value::Object(inc)) = included else {
            continue;
        };
        let top = match tree {
            Value::Object(m) => m,
            _ => return Err(LoadError::new("top-level object must be a mapping")),
        };
        for key in IMPORTED {
            let Some(Value::Object(items)) = inc.get(*key) else {
                continue;
            };
            let target = top
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if target.is_null() {
                *target = Value::Object(Map::new());
            }
            let Value::Object(target) = target else {
                continue;
            };
            for (name, v) in items {
                let merged = match target.get(name) {
                    Some(local) => {
                        let wrap = |v: Value| {
                            let mut m = Map::new();
                            m.insert(name.clone(), v);
                            let mut t = Map::new();
                            t.insert(key.to_string(), Value::Object(m));
                            Value::Object(t)
                        };
                        let mut base = wrap(v.clone());
                        merge_files(&mut base, wrap(local.clone()));
                        base[*key][name].take()
                    }
                    None => v.clone(),
                };
                target.insert(name.clone(), merged);
            }
        }
    }
    Ok(())
}
