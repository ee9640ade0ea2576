//! A service's engine-side settings that pass through to the container's host config with
//! little interpretation: CPU and memory limits, ulimits, namespaces, devices, logging, DNS
//! options, `volumes_from`, `links`, and the `secrets` / `configs` a service mounts.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::service::{PathError, R, bytes, err, int, string, strings, type_name};

/// Settings read from a service's keys of the same names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HostOptions {
    /// `cpus:` in billionths of a CPU (the engine's NanoCpus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_reservation: Option<u64>,
    /// Bytes, or -1 for unlimited swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memswap_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_swappiness: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_kill_disable: Option<bool>,
    /// name → (soft, hard).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, (i64, i64)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    /// `cgroup:` (`host` or `private`), the cgroup namespace mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    /// `service[:ro|rw]` or `container:name[:ro|rw]`, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// `service[:alias]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// `container[:alias]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<FileRef>,
}

/// A host device made visible in the container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Device {
    pub source: String,
    pub target: String,
    pub permissions: String,
}

/// `logging:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Logging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A service's use of a top-level secret or config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileRef {
    /// The top-level key.
    pub source: String,
    /// Path in the container; relative targets are under `/run/secrets` (secrets) or `/`
    /// (configs).
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

/// The service keys [`read_key`] handles.
pub const KEYS: &[&str] = &[
    "cpus",
    "cpu_shares",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpuset",
    "mem_reservation",
    "memswap_limit",
    "mem_swappiness",
    "pids_limit",
    "oom_score_adj",
    "oom_kill_disable",
    "ulimits",
    "dns_opt",
    "dns_search",
    "group_add",
    "ipc",
    "pid",
    "uts",
    "userns_mode",
    "cgroup",
    "cgroup_parent",
    "runtime",
    "mac_address",
    "devices",
    "device_cgroup_rules",
    "storage_opt",
    "logging",
    "volumes_from",
    "links",
    "external_links",
    "secrets",
    "configs",
];

/// Reads service key `key` (one of [`KEYS`]) at key path `p` into `h`.
pub fn read_key(h: &mut HostOptions, key: &str, v: &Value, p: &str) -> R<()> {
    match key {
        "cpus" => h.cpus = Some((cpus(v, p)? * 1e9).round() as i64),
        "cpu_shares" => h.cpu_shares = Some(int(v, p)?),
        "cpu_period" => h.cpu_period = Some(int(v, p)?),
        "cpu_quota" => h.cpu_quota = Some(int(v, p)?),
        "cpu_rt_period" => h.cpu_rt_period = Some(int(v, p)?),
        "cpu_rt_runtime" => h.cpu_rt_runtime = Some(int(v, p)?),
        "cpuset" => h.cpuset = Some(string(v, p)?),
        "mem_reservation" => h.mem_reservation = Some(bytes(v, p)?),
        "memswap_limit" => {
            h.memswap_limit = Some(match v {
                Value::Number(n) if n.as_i64() == Some(-1) => -1,
                Value::String(s) if s.trim() == "-1" => -1,
                _ => bytes(v, p)? as i64,
            })
        }
        "mem_swappiness" => h.mem_swappiness = Some(int(v, p)?),
        "pids_limit" => h.pids_limit = Some(int(v, p)?),
        "oom_score_adj" => h.oom_score_adj = Some(int(v, p)?),
        "oom_kill_disable" => h.oom_kill_disable = Some(super::service::boolean(v, p)?),
        "ulimits" => h.ulimits = ulimits(v, p)?,
        "dns_opt" => h.dns_opt = strings(v, p)?,
        "dns_search" => h.dns_search = string_or_list(v, p)?,
        "group_add" => h.group_add = strings(v, p)?,
        "ipc" => h.ipc = Some(string(v, p)?),
        "pid" => h.pid = Some(string(v, p)?),
        "uts" => h.uts = Some(string(v, p)?),
        "userns_mode" => h.userns_mode = Some(string(v, p)?),
        "cgroup" => {
            let c = string(v, p)?;
            if c != "host" && c != "private" {
                return Err(err(
                    p,
                    format!("{p} must be \"host\" or \"private\", not {c:?}"),
                ));
            }
            h.cgroup = Some(c)
        }
        "cgroup_parent" => h.cgroup_parent = Some(string(v, p)?),
        "runtime" => h.runtime = Some(string(v, p)?),
        "mac_address" => h.mac_address = Some(string(v, p)?),
        "devices" => h.devices = devices(v, p)?,
        "device_cgroup_rules" => h.device_cgroup_rules = strings(v, p)?,
        "storage_opt" => h.storage_opt = string_values(v, p)?,
        "logging" => h.logging = Some(logging(v, p)?),
        "volumes_from" => h.volumes_from = strings(v, p)?,
        "links" => h.links = strings(v, p)?,
        "external_links" => h.external_links = strings(v, p)?,
        "secrets" => h.secrets = file_refs(v, p)?,
        "configs" => h.configs = file_refs(v, p)?,
        _ => return Err(err(p, format!("{p}: not a host option"))),
    }
    Ok(())
}

fn string_or_list(v: &Value, p: &str) -> R<Vec<String>> {
    match v {
        Value::Array(_) => strings(v, p),
        other => Ok(vec![string(other, p)?]),
    }
}

fn cpus(v: &Value, p: &str) -> R<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 0.0 && n.is_finite() => Ok(n),
        _ => Err(err(p, format!("{p}: invalid number of CPUs {}", shown(v)))),
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn ulimits(v: &Value, p: &str) -> R<BTreeMap<String, (i64, i64)>> {
    let Value::Object(m) = v else {
        return Err(err(
            p,
            format!("{p} must be a mapping, not {}", type_name(v)),
        ));
    };
    let mut out = BTreeMap::new();
    for (name, limit) in m {
        let lp = format!("{p}.{name}");
        let pair = match limit {
            Value::Object(o) => {
                let get = |k: &str| -> R<i64> {
                    let kp = format!("{lp}.{k}");
                    let x = o
                        .get(k)
                        .ok_or_else(|| err(&lp, format!("{lp} is missing `{k}`")))?;
                    limit_value(x, &kp)
                };
                (get("soft")?, get("hard")?)
            }
            other => {
                let n = limit_value(other, &lp)?;
                (n, n)
            }
        };
        out.insert(name.clone(), pair);
    }
    Ok(out)
}

fn limit_value(v: &Value, p: &str) -> R<i64> {
    int(v, p).map_err(|_| err(p, format!("{p}: invalid ulimit value {}", shown(v))))
}

fn devices(v: &Value, p: &str) -> R<Vec<Device>> {
    let Value::Array(items) = v else {
        return Err(err(p, format!("{p} must be a list, not {}", type_name(v))));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        let d = match item {
            Value::Object(o) => Device {
                source: o
                    .get("source")
                    .map(|s| string(s, &format!("{ip}.source")))
                    .transpose()?
                    .ok_or_else(|| err(&ip, format!("{ip} is missing `source`")))?,
                target: o
                    .get("target")
                    .map(|s| string(s, &format!("{ip}.target")))
                    .transpose()?
                    .unwrap_or_default(),
                permissions: o
                    .get("permissions")
                    .map(|s| string(s, &format!("{ip}.permissions")))
                    .transpose()?
                    .unwrap_or_default(),
            },
            other => {
                let s = string(other, &ip)?;
                let parts: Vec<&str> = s.split(':').collect();
                match parts.as_slice() {
                    [src] => Device {
                        source: src.to_string(),
                        ..Default::default()
                    },
                    [src, dst] if dst.starts_with('/') => Device {
                        source: src.to_string(),
                        target: dst.to_string(),
                        ..Default::default()
                    },
                    [src, perms] => Device {
                        source: src.to_string(),
                        permissions: perms.to_string(),
                        ..Default::default()
                    },
                    [src, dst, perms] => Device {
                        source: src.to_string(),
                        target: dst.to_string(),
                        permissions: perms.to_string(),
                    },
                    _ => return Err(err(&ip, format!("{ip}: invalid device {s:?}"))),
                }
            }
        };
        let target = if d.target.is_empty() {
            d.source.clone()
        } else {
            d.target.clone()
        };
        let permissions = if d.permissions.is_empty() {
            "rwm".to_string()
        } else {
            d.permissions.clone()
        };
        out.push(Device {
            target,
            permissions,
            ..d
        });
    }
    Ok(out)
}

fn string_values(v: &Value, p: &str) -> R<BTreeMap<String, String>> {
    let Value::Object(m) = v else {
        return Err(err(
            p,
            format!("{p} must be a mapping, not {}", type_name(v)),
        ));
    };
    m.iter()
        .map(|(k, x)| Ok((k.clone(), string(x, &format!("{p}.{k}"))?)))
        .collect()
}

fn logging(v: &Value, p: &str) -> R<Logging> {
    let Value::Object(m) = v else {
        return Err(err(
            p,
            format!("{p} must be a mapping, not {}", type_name(v)),
        ));
    };
    Ok(Logging {
        driver: m
            .get("driver")
            .filter(|d| !d.is_null())
            .map(|d| string(d, &format!("{p}.driver")))
            .transpose()?,
        options: match m.get("options") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(o) => string_values(o, &format!("{p}.options"))?,
        },
    })
}

fn file_refs(v: &Value, p: &str) -> R<Vec<FileRef>> {
    let Value::Array(items) = v else {
        return Err(err(p, format!("{p} must be a list, not {}", type_name(v))));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        let r = match item {
            Value::String(s) => FileRef {
                source: s.clone(),
                target: s.clone(),
                ..Default::default()
            },
            Value::Object(o) => {
                let field = |k: &str| -> R<Option<String>> {
                    o.get(k)
                        .filter(|x| !x.is_null())
                        .map(|x| string(x, &format!("{ip}.{k}")))
                        .transpose()
                };
                let source = field("source")?
                    .ok_or_else(|| err(&ip, format!("{ip} is missing `source`")))?;
                let mode = match o.get("mode") {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    // Quoted modes are octal, as in `"0440"`.
                    Some(Value::String(s)) => u32::from_str_radix(s.trim(), 8).ok(),
                    Some(_) => None,
                };
                if o.get("mode").is_some_and(|m| !m.is_null()) && mode.is_none() {
                    return Err(err(
                        &format!("{ip}.mode"),
                        format!("{ip}.mode: invalid mode"),
                    ));
                }
                FileRef {
                    target: field("target")?.unwrap_or_else(|| source.clone()),
                    source,
                    mode,
                    uid: field("uid")?,
                    gid: field("gid")?,
                }
            }
            other => {
                return Err(err(
                    &ip,
                    format!(
                        "{ip} must be a string or a mapping, not {}",
                        type_name(other)
                    ),
                ));
            }
        };
        out.push(r);
    }
    Ok(out)
}

/// Where a top-level secret or config comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FileSource {
    /// A file on the host (absolute path), bind-mounted read-only.
    File(String),
    /// The value of the variable `environment:` names, copied into the container.
    Environment(String),
    /// Inline text (configs only), copied into the container.
    Content(String),
    /// Managed by a swarm under this name: `up` refuses it.
    External(String),
}

/// Reads top-level `secrets:` or `configs:` (`kind`) entry `key` from `v`; `working_dir`
/// resolves relative files and `env` gives `environment:` values. External ones are
/// refused: they only exist in swarm mode.
pub fn file_source(
    kind: &str,
    key: &str,
    v: &Value,
    working_dir: &std::path::Path,
    env: &indexmap::IndexMap<String, String>,
) -> Result<FileSource, PathError> {
    let p = format!("{kind}.{key}");
    let Value::Object(m) = v else {
        return Err(err(
            &p,
            format!("{p} must be a mapping, not {}", type_name(v)),
        ));
    };
    if m.get("external")
        .is_some_and(|e| e.as_bool() == Some(true) || e.is_object())
    {
        let name = m
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_string();
        return Ok(FileSource::External(name));
    }
    if let Some(f) = m.get("file").filter(|f| !f.is_null()) {
        let f = string(f, &format!("{p}.file"))?;
        return Ok(FileSource::File(super::service::absolute(working_dir, &f)));
    }
    if let Some(e) = m.get("environment").filter(|e| !e.is_null()) {
        let var = string(e, &format!("{p}.environment"))?;
        return match env.get(&var) {
            Some(value) => Ok(FileSource::Environment(value.clone())),
            None => Err(err(
                &format!("{p}.environment"),
                format!("environment variable {var:?} required by {kind} {key:?} is not set"),
            )),
        };
    }
    if kind == "configs"
        && let Some(c) = m.get("content").filter(|c| !c.is_null())
    {
        return Ok(FileSource::Content(string(c, &format!("{p}.content"))?));
    }
    Err(err(
        &p,
        format!(
            "{p}: one of file, environment{} is required",
            if kind == "configs" { " or content" } else { "" }
        ),
    ))
}
