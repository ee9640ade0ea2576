//! A service definition: the typed form of one entry under `services:`, and its conversion from
//! the merged, interpolated tree.
//!
//! Short syntaxes are turned into long forms here, relative paths made absolute, `env_file`s
//! read and folded into `environment`. Errors name the key path; the caller locates it in the
//! file. Keys of the compose schema that rcompose does not implement yet are reported as
//! warnings, unknown keys as errors.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use super::short_syntax::{
    MountKind, PortConfig, VolumeMount, parse_duration, parse_port, parse_volume,
};

/// One service, long form. Serializes to the JSON the config hash is computed from; fields that
/// must not trigger a recreate (build, pull policy, scale, dependencies, profiles) are skipped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Service {
    #[serde(skip)]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Raw `build:` section, kept for the builder.
    #[serde(skip)]
    pub build: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Variables; None = declared without a value (passed bare, so left unset).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Option<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeMount>,
    /// Networks the service joins, by top-level key. Empty when `network_mode` is set.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub networks: IndexMap<String, ServiceNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(skip)]
    pub depends_on: IndexMap<String, Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tty: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stdin_open: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// `host:ip` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// `path` or `path:options` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Replicas wanted (`scale` or `deploy.replicas`), None = 1.
    #[serde(skip)]
    pub scale: Option<u32>,
    #[serde(skip)]
    pub profiles: Vec<String>,
    #[serde(skip)]
    pub pull_policy: Option<String>,
    /// Resource limits, namespaces, devices, logging, secrets and the like.
    #[serde(flatten)]
    pub host: super::host::HostOptions,
}

impl Service {
    /// Replicas wanted.
    pub fn replicas(&self) -> u32 {
        self.scale.unwrap_or(1)
    }

    /// Image name to create containers from: `image:` or `<project>-<service>` for built ones.
    pub fn image_name(&self, project: &super::Project) -> String {
        match &self.image {
            Some(i) => i.clone(),
            None => format!("{}{}{}", project.name, project.separator, self.name),
        }
    }
}

/// A service's attachment to one network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceNetwork {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

/// What a service waits for before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::ServiceStarted => "service_started",
            Condition::ServiceHealthy => "service_healthy",
            Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
        }
    }

    pub fn parse(s: &str) -> Option<Condition> {
        match s {
            "service_started" => Some(Condition::ServiceStarted),
            "service_healthy" => Some(Condition::ServiceHealthy),
            "service_completed_successfully" => Some(Condition::ServiceCompletedSuccessfully),
            _ => None,
        }
    }
}

/// One `depends_on` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub condition: Condition,
    /// Restart the dependent when the dependency is recreated or restarted.
    pub restart: bool,
    /// When false, a dependency that fails or is missing only gives a warning.
    pub required: bool,
}

/// Container healthcheck, long form; durations in nanoseconds as the engine takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    /// `["NONE"]` when disabled, else `["CMD", ...]` or `["CMD-SHELL", "..."]`; empty inherits
    /// the image's test.
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
}

/// Keys of the compose schema's service definition that rcompose accepts but does not act on
/// yet: they are reported as warnings rather than silently dropped.
const NOT_YET: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "cpu_count",
    "cpu_percent",
    "credential_spec",
    "develop",
    "gpus",
    "isolation",
    "models",
    "post_start",
    "pre_start",
    "pre_stop",
    "provider",
    "use_api_socket",
    "extends",
];

const KNOWN: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "command",
    "container_name",
    "depends_on",
    "deploy",
    "dns",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extra_hosts",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "mem_limit",
    "network_mode",
    "networks",
    "platform",
    "ports",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "scale",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tmpfs",
    "tty",
    "user",
    "volumes",
    "working_dir",
    "labels",
    "label_file",
];

/// Reads an env file: its variables, None when it does not exist, or an error message.
pub type EnvFileReader<'a> = &'a dyn Fn(&Path) -> Result<Option<IndexMap<String, String>>, String>;

/// Converts service definitions; errors carry the key path they are about.
pub struct ServiceReader<'a> {
    /// Project directory, base of relative paths.
    pub working_dir: &'a Path,
    /// Variables for `env_file` interpolation and bare `-e NAME` lookups.
    pub env: &'a IndexMap<String, String>,
    /// Reads an env file; returns its variables or an error message.
    pub read_env_file: EnvFileReader<'a>,
    /// Require `image` or `build` (off for `--no-consistency`).
    pub require_image: bool,
}

/// An error about one key path.
#[derive(Debug, Clone)]
pub struct PathError {
    pub path: String,
    pub message: String,
}

pub(super) fn err(path: &str, message: impl Into<String>) -> PathError {
    PathError {
        path: path.to_string(),
        message: message.into(),
    }
}

pub(super) type R<T> = Result<T, PathError>;

impl ServiceReader<'_> {
    /// Converts `services.<name>`; unsupported-but-valid keys are pushed to `warnings`.
    pub fn read(&self, name: &str, v: &Value, warnings: &mut Vec<String>) -> R<Service> {
        let base = format!("services.{name}");
        let map = match v {
            Value::Object(m) => m,
            Value::Null => return Err(err(&base, format!("service {name:?} is empty"))),
            _ => return Err(err(&base, format!("services.{name} must be a mapping"))),
        };
        let mut s = Service {
            name: name.to_string(),
            ..Default::default()
        };
        for (key, val) in map {
            let path = format!("{base}.{key}");
            let p = path.as_str();
            if key.starts_with("x-") {
                continue;
            }
            if NOT_YET.contains(&key.as_str()) {
                warnings.push(format!(
                    "services.{name}: `{key}` is not supported by rcompose yet and is ignored"
                ));
                continue;
            }
            if super::host::KEYS.contains(&key.as_str()) {
                if !val.is_null() {
                    super::host::read_key(&mut s.host, key, val, p)?;
                }
                continue;
            }
            if !KNOWN.contains(&key.as_str()) {
                let hint = nearest(
                    key,
                    KNOWN
                        .iter()
                        .chain(NOT_YET.iter())
                        .chain(super::host::KEYS.iter())
                        .copied(),
                )
                .map(|k| format!(" (did you mean '{k}'?)"))
                .unwrap_or_default();
                return Err(err(
                    p,
                    format!("services.{name} additional properties '{key}' not allowed{hint}"),
                ));
            }
            if val.is_null() {
                continue;
            }
            match key.as_str() {
                "image" => s.image = Some(string(val, p)?),
                "build" => s.build = Some(val.clone()),
                "command" => s.command = Some(command(val, p)?),
                "entrypoint" => s.entrypoint = Some(command(val, p)?),
                "environment" => {
                    for (k, v) in env_map(val, p)? {
                        s.environment.insert(k, v);
                    }
                }
                "env_file" => {} // folded in below, environment wins
                "ports" => {
                    for (i, item) in list(val, p)?.iter().enumerate() {
                        let ip = format!("{p}[{i}]");
                        s.ports.extend(port(item, &ip)?);
                    }
                }
                "expose" => {
                    s.expose = list(val, p)?
                        .iter()
                        .enumerate()
                        .map(|(i, x)| string(x, &format!("{p}[{i}]")))
                        .collect::<R<_>>()?
                }
                "volumes" => {
                    for (i, item) in list(val, p)?.iter().enumerate() {
                        let ip = format!("{p}[{i}]");
                        s.volumes.push(self.volume(item, &ip)?);
                        if let Value::String(spec) = item {
                            for o in super::canonical::syntax::ignored_volume_options(spec) {
                                warnings.push(format!(
                                    "{ip}: volume option {o:?} of {spec:?} is not one compose \
                                     knows and is ignored"
                                ));
                            }
                        }
                    }
                }
                "networks" => s.networks = networks(val, p)?,
                "network_mode" => s.network_mode = Some(string(val, p)?),
                "depends_on" => s.depends_on = depends_on(val, p)?,
                "healthcheck" => s.healthcheck = healthcheck(val, p)?,
                "restart" => {
                    let r = string(val, p)?;
                    let ok = matches!(r.as_str(), "no" | "always" | "unless-stopped")
                        || r == "on-failure"
                        || r.strip_prefix("on-failure:")
                            .is_some_and(|n| n.parse::<u32>().is_ok());
                    if !ok {
                        return Err(err(
                            p,
                            format!(
                                "invalid restart policy {r:?}: expected no, always, on-failure[:N] or unless-stopped"
                            ),
                        ));
                    }
                    s.restart = Some(r)
                }
                "container_name" => s.container_name = Some(string(val, p)?),
                "hostname" => s.hostname = Some(string(val, p)?),
                "domainname" => s.domainname = Some(string(val, p)?),
                "working_dir" => s.working_dir = Some(string(val, p)?),
                "user" => s.user = Some(string(val, p)?),
                "labels" => {
                    for (k, v) in string_map(val, p)? {
                        s.labels.insert(k, v);
                    }
                }
                "label_file" => {
                    // Labels from files come first; `labels:` wins.
                    let mut from_files = BTreeMap::new();
                    for f in string_or_list(val, p)? {
                        let abs = self.working_dir.join(&f);
                        match (self.read_env_file)(&abs).map_err(|m| err(p, m))? {
                            Some(vars) => from_files.extend(vars),
                            None => {
                                return Err(err(
                                    p,
                                    format!("label file {} not found", abs.display()),
                                ));
                            }
                        }
                    }
                    for (k, v) in std::mem::take(&mut s.labels) {
                        from_files.insert(k, v);
                    }
                    s.labels = from_files;
                }
                "stop_signal" => s.stop_signal = Some(string(val, p)?),
                "stop_grace_period" => {
                    let d = parse_duration(&string(val, p)?).map_err(|e| err(p, e))?;
                    s.stop_grace_period = Some(d.as_secs());
                }
                "init" => s.init = Some(boolean(val, p)?),
                "tty" => s.tty = boolean(val, p)?,
                "stdin_open" => s.stdin_open = boolean(val, p)?,
                "privileged" => s.privileged = boolean(val, p)?,
                "read_only" => s.read_only = boolean(val, p)?,
                "extra_hosts" => s.extra_hosts = extra_hosts(val, p)?,
                "cap_add" => s.cap_add = strings(val, p)?,
                "cap_drop" => s.cap_drop = strings(val, p)?,
                "dns" => s.dns = string_or_list(val, p)?,
                "security_opt" => s.security_opt = strings(val, p)?,
                "tmpfs" => s.tmpfs = string_or_list(val, p)?,
                "sysctls" => s.sysctls = string_map(val, p)?,
                "shm_size" => s.shm_size = Some(bytes(val, p)?),
                "mem_limit" => s.mem_limit = Some(bytes(val, p)?),
                "platform" => s.platform = Some(string(val, p)?),
                "scale" => s.scale = Some(uint(val, p)?),
                "deploy" => {
                    if let Some(r) = val.get("replicas").filter(|r| !r.is_null()) {
                        s.scale = Some(uint(r, &format!("{p}.replicas"))?);
                    }
                }
                "profiles" => s.profiles = strings(val, p)?,
                "pull_policy" => {
                    let mut pp = string(val, p)?;
                    if pp == "if_not_present" {
                        pp = "missing".into();
                    }
                    s.pull_policy = Some(pp)
                }
                _ => unreachable!("every KNOWN key has an arm"),
            }
        }
        if let Some(files) = map.get("env_file").filter(|v| !v.is_null()) {
            let p = format!("{base}.env_file");
            let mut from_files = BTreeMap::new();
            for (path, required) in env_files(files, &p)? {
                let abs = self.working_dir.join(&path);
                match (self.read_env_file)(&abs).map_err(|m| err(&p, m))? {
                    Some(vars) => from_files.extend(vars.into_iter().map(|(k, v)| (k, Some(v)))),
                    None if required => {
                        let shown = abs.display();
                        return Err(err(
                            &p,
                            format!(
                                "env file {shown} not found: stat {shown}: no such file or directory"
                            ),
                        ));
                    }
                    None => {}
                }
            }
            for (k, v) in std::mem::take(&mut s.environment) {
                from_files.insert(k, v);
            }
            s.environment = from_files;
        }
        // Variables declared without a value take the value from the environment when it has one.
        for (k, v) in s.environment.iter_mut() {
            if v.is_none() {
                *v = self.env.get(k).cloned();
            }
        }
        // `network_mode: service:x` makes x an implicit dependency that restarts this one.
        if let Some(target) = s
            .network_mode
            .as_deref()
            .and_then(|m| m.strip_prefix("service:"))
        {
            s.depends_on
                .entry(target.to_string())
                .or_insert(Dependency {
                    condition: Condition::ServiceStarted,
                    restart: true,
                    required: true,
                });
        }
        // `volumes_from: [x]` and `links: [x]` make service x an implicit dependency.
        let implicit: Vec<String> = s
            .host
            .volumes_from
            .iter()
            .filter(|v| !v.starts_with("container:"))
            .chain(s.host.links.iter())
            .filter_map(|v| v.split(':').next())
            .map(str::to_string)
            .collect();
        for target in implicit {
            s.depends_on.entry(target).or_insert(Dependency {
                condition: Condition::ServiceStarted,
                restart: false,
                required: true,
            });
        }
        if s.network_mode.is_none() && s.networks.is_empty() {
            s.networks
                .insert("default".into(), ServiceNetwork::default());
        }
        if s.network_mode.is_some() && map.get("networks").is_some_and(|n| !n.is_null()) {
            return Err(err(
                &format!("{base}.network_mode"),
                "'network_mode' and 'networks' cannot be combined",
            ));
        }
        if self.require_image && s.image.is_none() && s.build.is_none() {
            return Err(err(
                &base,
                format!(
                    "service {name:?} has neither an image nor a build context specified: invalid compose project"
                ),
            ));
        }
        Ok(s)
    }

    fn volume(&self, v: &Value, p: &str) -> R<VolumeMount> {
        let mut m = match v {
            Value::String(s) => parse_volume(s).map_err(|e| err(p, e))?,
            Value::Object(o) => {
                let kind = match o
                    .get("type")
                    .map(|t| string(t, &format!("{p}.type")))
                    .transpose()?
                    .as_deref()
                {
                    Some("bind") => MountKind::Bind,
                    Some("volume") | None => MountKind::Volume,
                    Some("tmpfs") => MountKind::Tmpfs,
                    Some("image") => MountKind::Image,
                    Some("npipe") => MountKind::Npipe,
                    Some("cluster") => MountKind::Cluster,
                    Some(other) => {
                        return Err(err(
                            &format!("{p}.type"),
                            format!(
                                "volume type {other:?} is not supported (bind, volume or tmpfs)"
                            ),
                        ));
                    }
                };
                let target = o
                    .get("target")
                    .map(|t| string(t, &format!("{p}.target")))
                    .transpose()?
                    .ok_or_else(|| err(p, "volume is missing `target`"))?;
                let source = o
                    .get("source")
                    .filter(|s| !s.is_null())
                    .map(|s| string(s, &format!("{p}.source")))
                    .transpose()?;
                let read_only = o
                    .get("read_only")
                    .map(|b| boolean(b, &format!("{p}.read_only")))
                    .transpose()?
                    .unwrap_or(false);
                let create_host_path = o
                    .get("bind")
                    .and_then(|b| b.get("create_host_path"))
                    .map(|b| boolean(b, &format!("{p}.bind.create_host_path")))
                    .transpose()?
                    .unwrap_or(true);
                let nocopy = o
                    .get("volume")
                    .and_then(|b| b.get("nocopy"))
                    .map(|b| boolean(b, &format!("{p}.volume.nocopy")))
                    .transpose()?
                    .unwrap_or(false);
                if kind == MountKind::Bind && source.is_none() {
                    return Err(err(p, "a bind mount needs a `source`"));
                }
                let mut options = Vec::new();
                for key in ["selinux", "propagation"] {
                    if let Some(v) = o.get("bind").and_then(|b| b.get(key)) {
                        let v = string(v, &format!("{p}.bind.{key}"))?;
                        if !v.is_empty() {
                            options.push(v);
                        }
                    }
                }
                VolumeMount {
                    kind,
                    source,
                    target,
                    read_only,
                    create_host_path: kind == MountKind::Bind && create_host_path,
                    nocopy,
                    options,
                }
            }
            _ => return Err(err(p, format!("{p} must be a string or a mapping"))),
        };
        if m.kind == MountKind::Bind
            && let Some(src) = &m.source
        {
            let expanded = match src.strip_prefix('~') {
                Some(rest) => {
                    let home = self.env.get("HOME").cloned().unwrap_or_default();
                    format!("{home}{rest}")
                }
                None => src.clone(),
            };
            m.source = Some(absolute(self.working_dir, &expanded));
        }
        Ok(m)
    }
}

/// Makes `p` absolute against `base`, folding `.` and `..` components.
pub fn absolute(base: &Path, p: &str) -> String {
    use std::path::Component;
    let joined = base.join(p);
    let mut out = std::path::PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

/// The closest of `candidates` to `key` by edit distance, when close enough to be a typo.
pub fn nearest<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(key, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A scalar as text (numbers and booleans are accepted where compose accepts them).
pub fn string(v: &Value, p: &str) -> R<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(err(
            p,
            format!("{p} must be a string, not {}", type_name(other)),
        )),
    }
}

pub(super) fn boolean(v: &Value, p: &str) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" | "1" => Ok(true),
            "false" | "no" | "n" | "off" | "0" => Ok(false),
            _ => Err(err(p, format!("{p} must be a boolean, not {s:?}"))),
        },
        other => Err(err(
            p,
            format!("{p} must be a boolean, not {}", type_name(other)),
        )),
    }
}

fn uint(v: &Value, p: &str) -> R<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| err(p, format!("{p} must be a non-negative integer")))
}

/// A signed integer (number or numeric string).
pub(super) fn int(v: &Value, p: &str) -> R<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| err(p, format!("{p} must be an integer")))
}

pub(super) fn bytes(v: &Value, p: &str) -> R<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| err(p, format!("{p} must be a size"))),
        Value::String(s) => super::short_syntax::parse_bytes(s).map_err(|e| err(p, e)),
        other => Err(err(
            p,
            format!("{p} must be a size, not {}", type_name(other)),
        )),
    }
}

fn list<'v>(v: &'v Value, p: &str) -> R<&'v Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(err(
            p,
            format!("{p} must be a list, not {}", type_name(other)),
        )),
    }
}

pub(super) fn strings(v: &Value, p: &str) -> R<Vec<String>> {
    list(v, p)?
        .iter()
        .enumerate()
        .map(|(i, x)| string(x, &format!("{p}[{i}]")))
        .collect()
}

fn string_or_list(v: &Value, p: &str) -> R<Vec<String>> {
    match v {
        Value::Array(_) => strings(v, p),
        other => Ok(vec![string(other, p)?]),
    }
}

fn command(v: &Value, p: &str) -> R<Vec<String>> {
    match v {
        Value::String(s) => shell_words::split(s).map_err(|e| err(p, format!("{p}: {e} in {s:?}"))),
        Value::Array(_) => strings(v, p),
        other => Err(err(
            p,
            format!("{p} must be a string or a list, not {}", type_name(other)),
        )),
    }
}

/// `environment` as a map or a `KEY=VALUE` list; a key without value maps to None.
fn env_map(v: &Value, p: &str) -> R<Vec<(String, Option<String>)>> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let val = match v {
                    Value::Null => None,
                    other => Some(string(other, &format!("{p}.{k}"))?),
                };
                Ok((k.clone(), val))
            })
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let s = string(x, &format!("{p}[{i}]"))?;
                let (k, v) = match s.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (s, None),
                };
                if k.ends_with(char::is_whitespace) {
                    return Err(err(
                        &format!("{p}[{i}]"),
                        format!("environment variable {k} is declared with a trailing space"),
                    ));
                }
                Ok((k, v))
            })
            .collect(),
        other => Err(err(
            p,
            format!("{p} must be a mapping or a list, not {}", type_name(other)),
        )),
    }
}

fn string_map(v: &Value, p: &str) -> R<BTreeMap<String, String>> {
    Ok(env_map(v, p)?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

fn extra_hosts(v: &Value, p: &str) -> R<Vec<String>> {
    match v {
        Value::Object(m) => {
            let mut out = Vec::new();
            for (host, ips) in m {
                for ip in string_or_list(ips, &format!("{p}.{host}"))? {
                    out.push(format!("{host}:{ip}"));
                }
            }
            Ok(out)
        }
        Value::Array(_) => strings(v, p)?
            .into_iter()
            .enumerate()
            // compose accepts `host=ip` as well as `host:ip`
            .map(|(i, e)| match e.split_once('=') {
                Some((h, ip)) => Ok(format!("{h}:{ip}")),
                None if e.contains(':') => Ok(e),
                None => Err(err(
                    &format!("{p}[{i}]"),
                    format!("{p}[{i}]: invalid extra host {e:?}: expected host:ip or host=ip"),
                )),
            })
            .collect(),
        other => Err(err(
            p,
            format!("{p} must be a mapping or a list, not {}", type_name(other)),
        )),
    }
}

fn port(v: &Value, p: &str) -> R<Vec<PortConfig>> {
    match v {
        Value::String(s) => parse_port(s).map_err(|e| err(p, e)),
        Value::Number(n) => parse_port(&n.to_string()).map_err(|e| err(p, e)),
        Value::Object(o) => {
            let target = o
                .get("target")
                .ok_or_else(|| err(p, "port is missing `target`"))?;
            let target = match target {
                Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }
            .ok_or_else(|| err(&format!("{p}.target"), "target must be a port number"))?;
            let published = o
                .get("published")
                .filter(|x| !x.is_null())
                .map(|x| string(x, &format!("{p}.published")))
                .transpose()?;
            let host_ip = o
                .get("host_ip")
                .filter(|x| !x.is_null())
                .map(|x| string(x, &format!("{p}.host_ip")))
                .transpose()?;
            let protocol = o
                .get("protocol")
                .map(|x| string(x, &format!("{p}.protocol")))
                .transpose()?
                .unwrap_or_else(|| "tcp".into());
            let mode = o
                .get("mode")
                .map(|x| string(x, &format!("{p}.mode")))
                .transpose()?
                .unwrap_or_else(|| "ingress".into());
            Ok(vec![PortConfig {
                target,
                published,
                host_ip,
                protocol,
                mode,
            }])
        }
        other => Err(err(
            p,
            format!(
                "{p} must be a string, a number or a mapping, not {}",
                type_name(other)
            ),
        )),
    }
}

fn networks(v: &Value, p: &str) -> R<IndexMap<String, ServiceNetwork>> {
    let mut out = IndexMap::new();
    match v {
        Value::Array(_) => {
            for n in strings(v, p)? {
                out.insert(n, ServiceNetwork::default());
            }
        }
        Value::Object(m) => {
            for (k, cfg) in m {
                let np = format!("{p}.{k}");
                let mut n = ServiceNetwork::default();
                if let Value::Object(c) = cfg {
                    if let Some(a) = c.get("aliases").filter(|a| !a.is_null()) {
                        n.aliases = strings(a, &format!("{np}.aliases"))?;
                    }
                    if let Some(a) = c.get("ipv4_address").filter(|a| !a.is_null()) {
                        n.ipv4_address = Some(string(a, &format!("{np}.ipv4_address"))?);
                    }
                    if let Some(a) = c.get("ipv6_address").filter(|a| !a.is_null()) {
                        n.ipv6_address = Some(string(a, &format!("{np}.ipv6_address"))?);
                    }
                    if let Some(Value::Number(x)) = c.get("priority") {
                        n.priority = x.as_i64();
                    }
                } else if !cfg.is_null() {
                    return Err(err(&np, format!("{np} must be a mapping or null")));
                }
                out.insert(k.clone(), n);
            }
        }
        other => {
            return Err(err(
                p,
                format!("{p} must be a list or a mapping, not {}", type_name(other)),
            ));
        }
    }
    Ok(out)
}

fn depends_on(v: &Value, p: &str) -> R<IndexMap<String, Dependency>> {
    let started = Dependency {
        condition: Condition::ServiceStarted,
        restart: false,
        required: true,
    };
    let mut out = IndexMap::new();
    match v {
        Value::Array(_) => {
            for n in strings(v, p)? {
                out.insert(n, started);
            }
        }
        Value::Object(m) => {
            for (k, cfg) in m {
                let dp = format!("{p}.{k}");
                let mut d = started;
                if let Value::Object(c) = cfg {
                    if let Some(cond) = c.get("condition") {
                        let cs = string(cond, &format!("{dp}.condition"))?;
                        d.condition = Condition::parse(&cs).ok_or_else(|| {
                            err(
                                &format!("{dp}.condition"),
                                format!("invalid condition {cs:?}: expected service_started, service_healthy or service_completed_successfully"),
                            )
                        })?;
                    }
                    if let Some(r) = c.get("restart") {
                        d.restart = boolean(r, &format!("{dp}.restart"))?;
                    }
                    if let Some(r) = c.get("required") {
                        d.required = boolean(r, &format!("{dp}.required"))?;
                    }
                } else if !cfg.is_null() {
                    return Err(err(&dp, format!("{dp} must be a mapping")));
                }
                out.insert(k.clone(), d);
            }
        }
        other => {
            return Err(err(
                p,
                format!("{p} must be a list or a mapping, not {}", type_name(other)),
            ));
        }
    }
    Ok(out)
}

fn healthcheck(v: &Value, p: &str) -> R<Option<Healthcheck>> {
    let Value::Object(m) = v else {
        return Err(err(p, format!("{p} must be a mapping")));
    };
    let mut h = Healthcheck::default();
    if m.get("disable")
        .map(|d| boolean(d, &format!("{p}.disable")))
        .transpose()?
        == Some(true)
    {
        h.test = vec!["NONE".into()];
        return Ok(Some(h));
    }
    if let Some(t) = m.get("test").filter(|t| !t.is_null()) {
        h.test = match t {
            Value::String(s) => vec!["CMD-SHELL".into(), s.clone()],
            _ => strings(t, &format!("{p}.test"))?,
        };
        if let Some(first) = h.test.first()
            && !matches!(first.as_str(), "CMD" | "CMD-SHELL" | "NONE")
        {
            return Err(err(
                &format!("{p}.test"),
                format!("{p}.test must start with CMD, CMD-SHELL or NONE, not {first:?}"),
            ));
        }
    }
    let dur = |key: &str| -> R<Option<i64>> {
        m.get(key)
            .filter(|x| !x.is_null())
            .map(|x| {
                let kp = format!("{p}.{key}");
                parse_duration(&string(x, &kp)?)
                    .map(|d| d.as_nanos() as i64)
                    .map_err(|e| err(&kp, e))
            })
            .transpose()
    };
    h.interval = dur("interval")?;
    h.timeout = dur("timeout")?;
    h.start_period = dur("start_period")?;
    h.start_interval = dur("start_interval")?;
    if let Some(r) = m.get("retries").filter(|x| !x.is_null()) {
        h.retries = Some(i64::from(uint(r, &format!("{p}.retries"))?));
    }
    Ok(Some(h))
}

fn env_files(v: &Value, p: &str) -> R<Vec<(String, bool)>> {
    match v {
        Value::String(s) => Ok(vec![(s.clone(), true)]),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let ip = format!("{p}[{i}]");
                match x {
                    Value::String(s) => Ok((s.clone(), true)),
                    Value::Object(o) => {
                        let path = o
                            .get("path")
                            .map(|x| string(x, &format!("{ip}.path")))
                            .transpose()?
                            .ok_or_else(|| err(&ip, "env_file entry is missing `path`"))?;
                        let required = o
                            .get("required")
                            .map(|x| boolean(x, &format!("{ip}.required")))
                            .transpose()?
                            .unwrap_or(true);
                        Ok((path, required))
                    }
                    other => Err(err(
                        &ip,
                        format!(
                            "{ip} must be a string or a mapping, not {}",
                            type_name(other)
                        ),
                    )),
                }
            })
            .collect(),
        other => Err(err(
            p,
            format!("{p} must be a string or a list, not {}", type_name(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_key() {
        assert_eq!(nearest("imgae", KNOWN.iter().copied()), Some("image"));
        assert_eq!(
            nearest("enviroment", KNOWN.iter().copied()),
            Some("environment")
        );
        assert_eq!(nearest("zzzzzz", KNOWN.iter().copied()), None);
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute(Path::new("/p/q"), "./data"), "/p/q/data");
        assert_eq!(absolute(Path::new("/p/q"), "../x"), "/p/x");
        assert_eq!(absolute(Path::new("/p/q"), "/abs"), "/abs");
    }
}
