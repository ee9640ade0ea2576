//! Top-level `networks:` and `volumes:` entries, typed, with engine names resolved
//! (`<project>_<key>` unless `name:` is given; external ones keep their key or name).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::service::{PathError, string};

/// A network declared at top level (or the implicit `default`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Network {
    /// Name on the engine.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub attachable: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enable_ipv6: bool,
    /// Address management: subnets, ranges and gateways of the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Managed outside the project: must exist, never created or removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// `networks.<key>.ipam`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ipam {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// One address pool of `ipam.config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpamPool {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
}

/// Reads `ipam` (already checked against the schema).
fn read_ipam(v: &Value, p: &str) -> Result<Option<Ipam>, PathError> {
    let Some(ipam) = v.get("ipam").filter(|x| !x.is_null()) else {
        return Ok(None);
    };
    let p = format!("{p}.ipam");
    let opt_str = |x: &Value, k: &str, at: &str| -> Result<Option<String>, PathError> {
        x.get(k)
            .filter(|y| !y.is_null())
            .map(|y| string(y, &format!("{at}.{k}")))
            .transpose()
    };
    let mut config = Vec::new();
    if let Some(list) = ipam.get("config").and_then(Value::as_array) {
        for (i, pool) in list.iter().enumerate() {
            let at = format!("{p}.config[{i}]");
            config.push(IpamPool {
                subnet: opt_str(pool, "subnet", &at)?,
                ip_range: opt_str(pool, "ip_range", &at)?,
                gateway: opt_str(pool, "gateway", &at)?,
                aux_addresses: match pool.get("aux_addresses") {
                    Some(a) if !a.is_null() => map(a, &format!("{at}.aux_addresses"))?,
                    _ => BTreeMap::new(),
                },
            });
        }
    }
    Ok(Some(Ipam {
        driver: opt_str(ipam, "driver", &p)?,
        config,
        options: match ipam.get("options") {
            Some(o) if !o.is_null() => map(o, &format!("{p}.options"))?,
            _ => BTreeMap::new(),
        },
    }))
}

/// A named volume declared at top level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// Name on the engine.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

fn err(path: &str, message: impl Into<String>) -> PathError {
    PathError {
        path: path.to_string(),
        message: message.into(),
    }
}

/// Fields shared by networks and volumes: resolved name, driver, options, labels, external.
struct Common {
    name: String,
    driver: Option<String>,
    driver_opts: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    external: bool,
}

fn common(
    project: &str,
    key: &str,
    v: &Value,
    p: &str,
    allowed: &[&str],
) -> Result<Common, PathError> {
    let mut c = Common {
        name: format!("{project}_{key}"),
        driver: None,
        driver_opts: BTreeMap::new(),
        labels: BTreeMap::new(),
        external: false,
    };
    let m = match v {
        Value::Null => return Ok(c),
        Value::Object(m) => m,
        _ => return Err(err(p, format!("{p} must be a mapping"))),
    };
    let mut explicit_name = None;
    for (k, val) in m {
        let kp = format!("{p}.{k}");
        if k.starts_with("x-") || val.is_null() {
            continue;
        }
        match k.as_str() {
            "name" => explicit_name = Some(string(val, &kp)?),
            "driver" => c.driver = Some(string(val, &kp)?),
            "driver_opts" => c.driver_opts = map(val, &kp)?,
            "labels" => c.labels = labels(val, &kp)?,
            "external" => match val {
                Value::Bool(b) => c.external = *b,
                // legacy `external: {name: x}`
                Value::Object(o) => {
                    c.external = true;
                    if let Some(n) = o.get("name") {
                        if m.get("name").is_some_and(|x| !x.is_null()) {
                            return Err(err(
                                p,
                                format!("{p}: name and external.name conflict; only use name"),
                            ));
                        }
                        explicit_name = Some(string(n, &format!("{kp}.name"))?);
                    }
                }
                _ => return Err(err(&kp, format!("{kp} must be a boolean"))),
            },
            other if allowed.contains(&other) => {}
            other => {
                let hint = super::service::nearest(
                    other,
                    ["name", "driver", "driver_opts", "labels", "external"]
                        .iter()
                        .chain(allowed.iter())
                        .copied(),
                )
                .map(|k| format!(" (did you mean '{k}'?)"))
                .unwrap_or_default();
                return Err(err(
                    &kp,
                    format!("{p} additional properties '{other}' not allowed{hint}"),
                ));
            }
        }
    }
    c.name = match explicit_name {
        Some(n) => n,
        None if c.external => key.to_string(),
        None => format!("{project}_{key}"),
    };
    Ok(c)
}

fn map(v: &Value, p: &str) -> Result<BTreeMap<String, String>, PathError> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), string(v, &format!("{p}.{k}"))?)))
            .collect(),
        _ => Err(err(p, format!("{p} must be a mapping"))),
    }
}

fn labels(v: &Value, p: &str) -> Result<BTreeMap<String, String>, PathError> {
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let s = string(x, &format!("{p}[{i}]"))?;
                Ok(match s.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (s, String::new()),
                })
            })
            .collect(),
        _ => map(v, p),
    }
}

/// Converts `networks.<key>`.
pub fn read_network(project: &str, key: &str, v: &Value) -> Result<Network, PathError> {
    let p = format!("networks.{key}");
    let c = common(
        project,
        key,
        v,
        &p,
        &[
            "internal",
            "attachable",
            "enable_ipv6",
            "ipam",
            "enable_ipv4",
        ],
    )?;
    let flag = |k: &str| -> bool { v.get(k).and_then(Value::as_bool).unwrap_or(false) };
    Ok(Network {
        name: c.name,
        driver: c.driver,
        driver_opts: c.driver_opts,
        internal: flag("internal"),
        attachable: flag("attachable"),
        enable_ipv6: flag("enable_ipv6"),
        ipam: read_ipam(v, &p)?,
        labels: c.labels,
        external: c.external,
    })
}

/// Converts `volumes.<key>`.
pub fn read_volume(project: &str, key: &str, v: &Value) -> Result<Volume, PathError> {
    let p = format!("volumes.{key}");
    let c = common(project, key, v, &p, &[])?;
    Ok(Volume {
        name: c.name,
        driver: c.driver,
        driver_opts: c.driver_opts,
        labels: c.labels,
        external: c.external,
    })
}
