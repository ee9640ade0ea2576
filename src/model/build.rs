//! The `build:` section of a service, typed. `Service.build` keeps the raw JSON (merged and with
//! its context made absolute by the loader); [`Build::parse`] turns it into this struct.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

/// A service's build instructions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Build {
    /// The build context directory (absolute after loading).
    pub context: PathBuf,
    /// The Dockerfile, relative to the context (default `Dockerfile`).
    pub dockerfile: String,
    /// An inline Dockerfile, used instead of `dockerfile`.
    pub dockerfile_inline: Option<String>,
    pub target: Option<String>,
    /// Build args; `None` for a bare key whose value comes from the environment.
    pub args: IndexMap<String, Option<String>>,
    pub labels: IndexMap<String, String>,
    pub cache_from: Vec<String>,
    pub no_cache: bool,
    pub pull: bool,
    pub network: Option<String>,
    pub shm_size: Option<u64>,
    pub extra_hosts: Vec<String>,
    /// Extra tags, besides the service's image name.
    pub tags: Vec<String>,
    /// `secrets:`: top-level secrets handed to BuildKit (`RUN --mount=type=secret`).
    pub secrets: Vec<BuildSecret>,
    /// `ssh:`: SSH id → agent socket or key path; `None` for `default` (`SSH_AUTH_SOCK`).
    pub ssh: IndexMap<String, Option<String>>,
    /// `additional_contexts:`: name → directory, image (`docker-image://`) or URL.
    pub additional_contexts: IndexMap<String, String>,
}

/// One `build.secrets` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSecret {
    /// The top-level `secrets:` key.
    pub source: String,
    /// The id the Dockerfile mounts it by (`target`, else the source).
    pub id: String,
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(v: Option<&Value>, key: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| scalar(i).ok_or_else(|| format!("build.{key} must be a list of strings")))
            .collect(),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(_) => Err(format!("build.{key} must be a list of strings")),
    }
}

/// A `KEY: value` map or a `["KEY=value", "KEY"]` list; `None` for a key without a value.
fn key_values(v: Option<&Value>, key: &str) -> Result<IndexMap<String, Option<String>>, String> {
    let mut out = IndexMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                out.insert(k.clone(), if v.is_null() { None } else { scalar(v) });
            }
        }
        Some(Value::Array(items)) => {
            for i in items {
                let s = scalar(i).ok_or_else(|| format!("build.{key} entries must be strings"))?;
                match s.split_once('=') {
                    Some((k, v)) => out.insert(k.to_string(), Some(v.to_string())),
                    None => out.insert(s, None),
                };
            }
        }
        Some(_) => return Err(format!("build.{key} must be a mapping or a list")),
    }
    Ok(out)
}

/// `build.secrets`: `[name]` or `[{source, target}]`.
fn build_secrets(v: Option<&Value>) -> Result<Vec<BuildSecret>, String> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("build.secrets must be a list".into()),
    };
    items
        .iter()
        .map(|i| {
            let (source, target) = match i {
                Value::Object(m) => (
                    m.get("source").and_then(scalar),
                    m.get("target").and_then(scalar).filter(|t| !t.is_empty()),
                ),
                other => (scalar(other), None),
            };
            let source = source.ok_or("build.secrets entries need a source")?;
            Ok(BuildSecret {
                id: target.unwrap_or_else(|| source.clone()),
                source,
            })
        })
        .collect()
}

impl Build {
    /// The keys set here that need BuildKit (the classic builder refuses them).
    pub fn buildkit_only_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if !self.secrets.is_empty() {
            keys.push("secrets");
        }
        if !self.ssh.is_empty() {
            keys.push("ssh");
        }
        if !self.additional_contexts.is_empty() {
            keys.push("additional_contexts");
        }
        keys
    }

    /// Parses a raw `build:` value (a context path, or a mapping); relative contexts are taken
    /// relative to `base`.
    pub fn parse(raw: &Value, base: &Path) -> Result<Build, String> {
        let mut b = Build {
            dockerfile: "Dockerfile".into(),
            ..Default::default()
        };
        let context = match raw {
            Value::String(s) => s.clone(),
            Value::Object(m) => {
                let ctx = m
                    .get("context")
                    .and_then(scalar)
                    .unwrap_or_else(|| ".".into());
                if let Some(d) = m.get("dockerfile").and_then(scalar) {
                    b.dockerfile = d;
                }
                b.dockerfile_inline = m.get("dockerfile_inline").and_then(scalar);
                b.target = m.get("target").and_then(scalar);
                b.args = key_values(m.get("args"), "args")?;
                b.labels = key_values(m.get("labels"), "labels")?
                    .into_iter()
                    .map(|(k, v)| (k, v.unwrap_or_default()))
                    .collect();
                b.cache_from = string_list(m.get("cache_from"), "cache_from")?;
                b.no_cache = m.get("no_cache").and_then(Value::as_bool).unwrap_or(false);
                b.pull = m.get("pull").and_then(Value::as_bool).unwrap_or(false);
                b.network = m.get("network").and_then(scalar);
                b.shm_size = match m.get("shm_size") {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(Value::String(s)) => Some(
                        parse_size::parse_size(s)
                            .map_err(|e| format!("build.shm_size {s:?}: {e}"))?,
                    ),
                    Some(_) => return Err("build.shm_size must be a size".into()),
                };
                b.extra_hosts = match m.get("extra_hosts") {
                    Some(Value::Object(h)) => h
                        .iter()
                        .flat_map(|(k, v)| match v {
                            Value::Array(ips) => ips
                                .iter()
                                .filter_map(scalar)
                                .map(|ip| format!("{k}:{ip}"))
                                .collect(),
                            v => vec![format!("{k}:{}", scalar(v).unwrap_or_default())],
                        })
                        .collect(),
                    other => string_list(other, "extra_hosts")?
                        .into_iter()
                        .map(|h| h.replacen('=', ":", 1))
                        .collect(),
                };
                b.tags = string_list(m.get("tags"), "tags")?;
                b.secrets = build_secrets(m.get("secrets"))?;
                b.ssh = key_values(m.get("ssh"), "ssh")?;
                b.additional_contexts =
                    key_values(m.get("additional_contexts"), "additional_contexts")?
                        .into_iter()
                        .map(|(k, v)| (k, v.unwrap_or_default()))
                        .collect();
                ctx
            }
            _ => return Err("build must be a string (the context) or a mapping".into()),
        };
        b.context = base.join(context);
        Ok(b)
    }

    /// Build args with bare keys resolved from `env`; bare keys missing from it are dropped.
    pub fn resolved_args(
        &self,
        env: &IndexMap<String, String>,
        overrides: &[String],
    ) -> IndexMap<String, String> {
        let mut args = self.args.clone();
        for o in overrides {
            match o.split_once('=') {
                Some((k, v)) => args.insert(k.to_string(), Some(v.to_string())),
                None => args.insert(o.clone(), None),
            };
        }
        args.into_iter()
            .filter_map(|(k, v)| {
                let v = v.or_else(|| env.get(&k).cloned())?;
                Some((k, v))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_is_the_context() {
        let b = Build::parse(&json!("./app"), Path::new("/p")).unwrap();
        assert_eq!(b.context, Path::new("/p/./app"));
        assert_eq!(b.dockerfile, "Dockerfile");
        let b = Build::parse(&json!("/abs"), Path::new("/p")).unwrap();
        assert_eq!(b.context, Path::new("/abs"));
    }

    #[test]
    fn mapping_with_every_key() {
        let raw = json!({
            "context": "/ctx", "dockerfile": "Dockerfile.dev", "target": "dev",
            "args": {"A": "1", "B": null, "N": 3}, "labels": ["x=y", "z"],
            "cache_from": ["img:cache"], "no_cache": true, "network": "host",
            "shm_size": "64m", "extra_hosts": ["h=1.2.3.4", "g:5.6.7.8"], "tags": ["t:1"]
        });
        let b = Build::parse(&raw, Path::new("/p")).unwrap();
        assert_eq!(b.context, Path::new("/ctx"));
        assert_eq!(b.dockerfile, "Dockerfile.dev");
        assert_eq!(b.target.as_deref(), Some("dev"));
        assert_eq!(b.args["A"], Some("1".into()));
        assert_eq!(b.args["B"], None);
        assert_eq!(b.args["N"], Some("3".into()));
        assert_eq!(b.labels["x"], "y");
        assert_eq!(b.labels["z"], "");
        assert_eq!(b.cache_from, vec!["img:cache"]);
        assert!(b.no_cache);
        assert_eq!(b.network.as_deref(), Some("host"));
        assert!(b.shm_size.is_some());
        assert_eq!(b.extra_hosts, vec!["h:1.2.3.4", "g:5.6.7.8"]);
        assert_eq!(b.tags, vec!["t:1"]);
    }

    #[test]
    fn args_list_and_env_fallback() {
        let b = Build::parse(
            &json!({"context": ".", "args": ["A=1", "FROM_ENV", "MISSING"]}),
            Path::new("/p"),
        )
        .unwrap();
        let env: IndexMap<String, String> = [("FROM_ENV".to_string(), "e".to_string())].into();
        let args = b.resolved_args(&env, &["A=2".into(), "C=3".into()]);
        assert_eq!(args.get("A").map(String::as_str), Some("2"));
        assert_eq!(args.get("FROM_ENV").map(String::as_str), Some("e"));
        assert_eq!(args.get("C").map(String::as_str), Some("3"));
        assert!(!args.contains_key("MISSING"));
    }

    #[test]
    fn secrets_ssh_and_additional_contexts() {
        let raw = json!({
            "context": ".",
            "secrets": ["token", {"source": "key", "target": "api_key"}, {"source": "s"}],
            "ssh": {"default": null, "gh": "/keys/gh"},
            "additional_contexts": {"extra": "/p/extra", "base": "docker-image://alpine"}
        });
        let b = Build::parse(&raw, Path::new("/p")).unwrap();
        let ids: Vec<(&str, &str)> = b
            .secrets
            .iter()
            .map(|s| (s.source.as_str(), s.id.as_str()))
            .collect();
        assert_eq!(ids, [("token", "token"), ("key", "api_key"), ("s", "s")]);
        assert_eq!(b.ssh["default"], None);
        assert_eq!(b.ssh["gh"].as_deref(), Some("/keys/gh"));
        assert_eq!(b.additional_contexts["extra"], "/p/extra");
        assert_eq!(
            b.buildkit_only_keys(),
            ["secrets", "ssh", "additional_contexts"]
        );
        let list = Build::parse(&json!({"ssh": ["default", "k=/a"]}), Path::new("/p")).unwrap();
        assert_eq!(list.ssh.len(), 2);
        assert_eq!(list.buildkit_only_keys(), ["ssh"]);
        assert!(
            Build::parse(&json!("."), Path::new("/p"))
                .unwrap()
                .buildkit_only_keys()
                .is_empty()
        );
        assert!(Build::parse(&json!({"secrets": [{"target": "x"}]}), Path::new("/p")).is_err());
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(Build::parse(&json!(3), Path::new("/p")).is_err());
        assert!(Build::parse(&json!({"args": 3}), Path::new("/p")).is_err());
    }
}
