//! Makes the relative paths of one compose tree absolute against a base directory, before trees
//! from different directories (included or extended files) are merged: build contexts, env and
//! label files, bind-mount sources, `extends.file`, secret and config files.
//!
//! URLs (`https://…`, `git@…`) and paths already absolute are left as they are; `~` is left for
//! the service reader, which knows HOME.

use std::path::Path;

use serde_json::Value;

use super::service::absolute;

/// Whether a path-like value is a URL or git remote (`https://…`, `git@…`, `github.com/…`)
/// rather than a local path.
pub fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

fn fix(v: &mut Value, base: &Path) {
    if let Value::String(s) = v
        && !s.is_empty()
        && !s.starts_with('/')
        && !s.starts_with('~')
        && !is_remote(s)
    {
        *s = absolute(base, s);
    }
}

fn fix_list_or_one(v: &mut Value, base: &Path, key_in_map: &str) {
    match v {
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(o) => {
                        if let Some(p) = o.get_mut(key_in_map) {
                            fix(p, base);
                        }
                    }
                    other => fix(other, base),
                }
            }
        }
        other => fix(other, base),
    }
}

/// A short volume string whose source is a relative host path gets an absolute source.
fn fix_short_volume(s: &mut String, base: &Path) {
    let parts: Vec<&str> = s.splitn(2, ':').collect();
    if parts.len() == 2 && parts[0].starts_with('.') {
        *s = format!("{}:{}", absolute(base, parts[0]), parts[1]);
    }
}

/// Rewrites the relative paths of `tree` (a whole compose file) against `base`.
pub fn resolve_relative_paths(tree: &mut Value, base: &Path) {
    if let Some(Value::Object(services)) = tree.get_mut("services") {
        for svc in services.values_mut() {
            let Value::Object(s) = svc else { continue };
            match s.get_mut("build") {
                Some(b @ Value::String(_)) => fix(b, base),
                Some(Value::Object(b)) => {
                    // A build context defaults to the directory the file came from.
                    let ctx = b
                        .entry("context")
                        .or_insert_with(|| Value::String(".".into()));
                    fix(ctx, base);
                }
                _ => {}
            }
            if let Some(v) = s.get_mut("env_file") {
                fix_list_or_one(v, base, "path");
            }
            if let Some(v) = s.get_mut("label_file") {
                fix_list_or_one(v, base, "path");
            }
            if let Some(Value::Object(e)) = s.get_mut("extends")
                && let Some(f) = e.get_mut("file")
            {
                fix(f, base);
            }
            if let Some(Value::Array(vols)) = s.get_mut("volumes") {
                for v in vols {
                    match v {
                        Value::String(short) => fix_short_volume(short, base),
                        Value::Object(o) => {
                            let is_bind = o.get("type").and_then(Value::as_str) == Some("bind");
                            if is_bind && let Some(src) = o.get_mut("source") {
                                fix(src, base);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for top in ["secrets", "configs"] {
        if let Some(Value::Object(items)) = tree.get_mut(top) {
            for item in items.values_mut() {
                if let Some(f) = item.get_mut("file") {
                    fix(f, base);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rebases_relative_paths_only() {
        let mut t = json!({"services": {"a": {
            "build": "./app",
            "env_file": ["./a.env", {"path": "b.env"}, "/abs.env"],
            "volumes": ["./src:/src", "data:/data", {"type": "bind", "source": "../x", "target": "/x"}],
            "extends": {"file": "base.yml", "service": "b"}
        }}, "secrets": {"s": {"file": "./s.txt"}}});
        resolve_relative_paths(&mut t, Path::new("/p/q"));
        let a = &t["services"]["a"];
        assert_eq!(a["build"], "/p/q/app");
        assert_eq!(
            a["env_file"],
            json!(["/p/q/a.env", {"path": "/p/q/b.env"}, "/abs.env"])
        );
        assert_eq!(a["volumes"][0], "/p/q/src:/src");
        assert_eq!(a["volumes"][1], "data:/data");
        assert_eq!(a["volumes"][2]["source"], "/p/x");
        assert_eq!(a["extends"]["file"], "/p/q/base.yml");
        assert_eq!(t["secrets"]["s"]["file"], "/p/q/s.txt");
    }
}
