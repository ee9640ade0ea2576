//! `extends`: a service built on another service of the same file or of another file. The base
//! is resolved first (recursively, cycles reported with their chain), then the local
//! definition is merged over it with the ordinary override rules. Paths of an extended file
//! are rebased onto that file's directory.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::LoadError;
use super::merge::extend_service;
use super::paths::resolve_relative_paths;
use super::yaml::TaggedPath;

/// Reads, parses and interpolates a compose file into a tree.
pub type TreeReader<'a> = &'a dyn Fn(&Path) -> Result<Value, LoadError>;

/// Resolves every `extends` in `tree`, which was read from `file`; `tagged` are the file's
/// `!reset` / `!override` nodes, applied when a local definition is merged over its base.
pub fn apply_extends(
    tree: &mut Value,
    file: &Path,
    tagged: &[TaggedPath],
    read: TreeReader<'_>,
) -> Result<(), LoadError> {
    let Some(Value::Object(services)) = tree.get("services") else {
        return Ok(());
    };
    let names: Vec<String> = services
        .iter()
        .filter(|(_, s)| s.get("extends").is_some_and(|e| !e.is_null()))
        .map(|(k, _)| k.clone())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let snapshot = services.clone();
    for name in names {
        let resolved = resolve(&snapshot, file, &name, tagged, &mut Vec::new(), read)
            .map_err(|e| e.or_at(Some(file), &format!("services.{name}.extends")))?;
        if let Some(Value::Object(s)) = tree.get_mut("services") {
            s.insert(name, resolved);
        }
    }
    Ok(())
}

fn resolve(
    services: &Map<String, Value>,
    file: &Path,
    name: &str,
    tagged: &[TaggedPath],
    chain: &mut Vec<(String, PathBuf)>,
    read: TreeReader<'_>,
) -> Result<Value, LoadError> {
    let mut svc = services.get(name).cloned().ok_or_else(|| {
        LoadError::new(format!(
            "cannot extend service {name:?} in {}: service {name:?} not found",
            file.display()
        ))
    })?;
    let Some(ext) = svc.as_object_mut().and_then(|o| o.shift_remove("extends")) else {
        return Ok(svc);
    };
    if ext.is_null() {
        return Ok(svc);
    }
    let (base_name, base_file) = match &ext {
        Value::String(s) => (s.clone(), None),
        Value::Object(o) => {
            let Some(service) = o.get("service").and_then(Value::as_str) else {
                return Err(LoadError::new(format!(
                    "extends.{name}.service is required"
                )));
            };
            (
                service.to_string(),
                o.get("file").and_then(Value::as_str).map(PathBuf::from),
            )
        }
        _ => {
            return Err(LoadError::new(format!(
                "services.{name}.extends must be a string or a mapping"
            )));
        }
    };
    let here = (name.to_string(), file.to_path_buf());
    if chain.contains(&here) {
        let mut msg = String::from("Circular reference:");
        for (i, (n, f)) in chain.iter().chain(std::iter::once(&here)).enumerate() {
            let verb = if i == 0 { "" } else { "extends " };
            msg.push_str(&format!("\n  {verb}{n} in {}", f.display()));
        }
        return Err(LoadError::new(msg));
    }
    chain.push(here);
    let base = match base_file {
        None => {
            if !services.contains_key(&base_name) {
                return Err(LoadError::new(format!(
                    "cannot extend service {name:?} in {}: service {base_name:?} not found",
                    file.display()
                )));
            }
            resolve(services, file, &base_name, tagged, chain, read)?
        }
        Some(other) => {
            let other = if other.is_absolute() {
                other
            } else {
                file.parent().unwrap_or(Path::new("/")).join(other)
            };
            let mut tree = read(&other)?;
            if let Some(dir) = other.parent() {
                resolve_relative_paths(&mut tree, dir);
            }
            let Some(Value::Object(other_services)) = tree.get("services") else {
                return Err(LoadError::new(format!(
                    "cannot extend service {name:?} in {}: no services section",
                    file.display()
                )));
            };
            if !other_services.contains_key(&base_name) {
                return Err(LoadError::new(format!(
                    "cannot extend service {name:?} in {}: service {base_name:?} not found in {}",
                    file.display(),
                    other.display()
                )));
            }
            let other_services = other_services.clone();
            resolve(&other_services, &other, &base_name, &[], chain, read)?
        }
    };
    chain.pop();
    let mut merged = base;
    extend_service(&mut merged, svc, name, tagged)
        .map_err(|e| LoadError::new(format!("{}: {}", e.path, e.message)))?;
    if let Some(o) = merged.as_object_mut() {
        o.shift_remove("extends");
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_files(p: &Path) -> Result<Value, LoadError> {
        Err(LoadError::new(format!("cannot read {}", p.display())))
    }

    #[test]
    fn extends_same_file_recursively() {
        let mut t = json!({"services": {
            "a": {"extends": "b", "environment": {"X": "a"}},
            "b": {"extends": {"service": "c"}, "image": "img", "environment": {"Y": "b"}},
            "c": {"command": ["run"], "environment": {"X": "c"}}
        }});
        apply_extends(&mut t, Path::new("/p/compose.yaml"), &[], &no_files).unwrap();
        let a = &t["services"]["a"];
        assert_eq!(a["image"], "img");
        assert_eq!(a["command"], json!(["run"]));
        // compose merges environment mappings; the local value wins.
        let env = serde_json::to_string(&a["environment"]).unwrap();
        assert!(
            env.contains("X") && env.contains("a") && env.contains("Y"),
            "{env}"
        );
        assert!(!env.contains("\"c\""), "{env}");
        assert!(a.get("extends").is_none());
    }

    #[test]
    fn cycle_is_named() {
        let mut t = json!({"services": {"a": {"extends": "b"}, "b": {"extends": "a"}}});
        let e = apply_extends(&mut t, Path::new("/f.yml"), &[], &no_files).unwrap_err();
        assert!(
            e.message.starts_with("Circular reference:"),
            "{}",
            e.message
        );
        assert!(e.message.contains("extends b in /f.yml"), "{}", e.message);
    }

    #[test]
    fn missing_base_is_named() {
        let mut t = json!({"services": {"a": {"extends": "zz"}}});
        let e = apply_extends(&mut t, Path::new("/f.yml"), &[], &no_files).unwrap_err();
        assert_eq!(
            e.message,
            "cannot extend service \"a\" in /f.yml: service \"zz\" not found"
        );
    }
}
