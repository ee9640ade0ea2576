//! The stack plan: a compose model to Docker Swarm objects (service, network, config and secret
//! specs in the Engine API's JSON shape, named and labelled as `docker stack deploy` names them),
//! and desired specs against the observed stack to the actions of a deploy, each with its reason.
//! Pure: file contents come in as data, observed objects as plain records.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::model::Project;
use crate::model::host::FileSource;

/// The label on every object of a stack, and on its task containers.
pub const NAMESPACE: &str = "com.docker.stack.namespace";
/// The label on a service naming its image as the file wrote it.
pub const IMAGE: &str = "com.docker.stack.image";
/// The hash of the spec rcompose deployed, so a re-deploy leaves an unchanged service alone.
pub const SPEC_HASH: &str = "io.rcompose.stack.spec-hash";

/// Service keys swarm cannot honour: named in one warning, as docker stack does.
const UNSUPPORTED: &[&str] = &[
    "build",
    "cgroup_parent",
    "cgroupns_mode",
    "container_name",
    "depends_on",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
];

/// A network of the stack.
#[derive(Debug, Clone, PartialEq)]
pub struct StackNetwork {
    pub name: String,
    pub external: bool,
    /// The create request (`Name`, `Driver`, `Labels`, ...).
    pub spec: Value,
}

/// A config or secret of the stack: `name` as the file names it; a changed content gets a
/// versioned name at plan time (swarm configs and secrets are immutable).
#[derive(Debug, Clone, PartialEq)]
pub struct StackObject {
    pub key: String,
    pub name: String,
    pub external: bool,
    pub data: Vec<u8>,
}

/// One service's desired spec and its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct StackService {
    pub key: String,
    pub name: String,
    pub spec: Value,
}

/// Everything a deploy wants.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub stack: String,
    pub networks: Vec<StackNetwork>,
    pub configs: Vec<StackObject>,
    pub secrets: Vec<StackObject>,
    pub services: Vec<StackService>,
    /// Service keys that swarm cannot honour, sorted, once each.
    pub unsupported: Vec<String>,
}

/// A swarm object of the stack as the engine shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedObject {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// Configs and secrets: the content (configs only; the engine never returns a secret's).
    pub data: Option<Vec<u8>>,
}

/// The stack's objects on the manager.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedStack {
    pub services: Vec<ObservedObject>,
    pub networks: Vec<ObservedObject>,
    pub configs: Vec<ObservedObject>,
    pub secrets: Vec<ObservedObject>,
}

/// One step of a deploy.
#[derive(Debug, Clone, PartialEq)]
pub enum StackAction {
    CreateNetwork(StackNetwork),
    CreateConfig(StackObject),
    CreateSecret(StackObject),
    CreateService(StackService),
    UpdateService {
        service: StackService,
        id: String,
        reason: String,
    },
    /// The service's spec is unchanged: its tasks stay.
    KeepService {
        name: String,
    },
    /// `--prune`: a service of the stack no longer in the file.
    RemoveService {
        name: String,
        id: String,
    },
}

impl StackAction {
    /// One line for `--dry-run`.
    pub fn describe(&self) -> String {
        match self {
            StackAction::CreateNetwork(n) => format!("create network {}", n.name),
            StackAction::CreateConfig(c) => format!("create config {}", c.name),
            StackAction::CreateSecret(s) => format!("create secret {}", s.name),
            StackAction::CreateService(s) => format!("create service {}: not deployed", s.name),
            StackAction::UpdateService {
                service, reason, ..
            } => format!("update service {}: {reason}", service.name),
            StackAction::KeepService { name } => format!("keep service {name}: spec unchanged"),
            StackAction::RemoveService { name, .. } => {
                format!("remove service {name}: not in the compose file (--prune)")
            }
        }
    }
}

/// The content of each config and secret by `(kind, key)`, read by the caller: `file:` read
/// from disk, `environment:` from the project's environment, `content:` as written.
pub type Contents = BTreeMap<(String, String), Vec<u8>>;

/// What the caller must read for [`desired`]: `(kind, key, source)` of each non-external
/// config and secret the services use.
pub fn sources(project: &Project) -> Vec<(&'static str, String, FileSource)> {
    let mut out = Vec::new();
    for (kind, map) in [("config", &project.configs), ("secret", &project.secrets)] {
        for (k, src) in map {
            if !matches!(src, FileSource::External(_)) {
                out.push((kind, k.clone(), src.clone()));
            }
        }
    }
    out
}

/// The stack's desired objects from the loaded model (its canonical form: every key
/// normalized, paths absolute, names resolved with the stack as the project name).
pub fn desired(project: &Project, contents: &Contents) -> Result<Desired, String> {
    let stack = project.name.clone();
    let canon = &project.canonical;
    let mut d = Desired {
        stack: stack.clone(),
        ..Default::default()
    };
    if let Some(nets) = canon.get("networks").and_then(Value::as_object) {
        for (key, n) in nets {
            d.networks.push(network(&stack, key, n));
        }
    }
    for (kind, out) in [("config", &mut d.configs), ("secret", &mut d.secrets)] {
        let Some(map) = canon.get(format!("{kind}s")).and_then(Value::as_object) else {
            continue;
        };
        for (key, c) in map {
            let name = str_of(c, "name").unwrap_or_else(|| format!("{stack}_{key}"));
            let external = is_external(c);
            let data = if external {
                Vec::new()
            } else {
                contents
                    .get(&(kind.to_string(), key.clone()))
                    .cloned()
                    .ok_or_else(|| format!("{kind} {key}: no content read"))?
            };
            out.push(StackObject {
                key: key.clone(),
                name,
                external,
                data,
            });
        }
    }
    let mut unsupported = std::collections::BTreeSet::new();
    if let Some(svcs) = canon.get("services").and_then(Value::as_object) {
        for (key, s) in svcs {
            for k in UNSUPPORTED {
                if s.get(*k).is_some_and(|v| !v.is_null()) {
                    unsupported.insert(k.to_string());
                }
            }
            d.services.push(service(&d, canon, key, s)?);
        }
    }
    d.unsupported = unsupported.into_iter().collect();
    Ok(d)
}

fn str_of(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn is_external(v: &Value) -> bool {
    v.get("external").is_some_and(|e| e.as_bool() == Some(true))
}

fn labels_with(v: Option<&Value>, extra: &[(&str, &str)]) -> Value {
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(o) = v.and_then(Value::as_object) {
        for (k, v) in o {
            m.insert(k.clone(), Value::String(plain(v)));
        }
    }
    for (k, v) in extra {
        m.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!(m)
}

/// A scalar as text (numbers and bools as YAML wrote them).
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn network(stack: &str, key: &str, n: &Value) -> StackNetwork {
    let name = str_of(n, "name").unwrap_or_else(|| format!("{stack}_{key}"));
    let external = is_external(n);
    let mut spec = json!({
        "Name": name,
        "Driver": str_of(n, "driver").unwrap_or_else(|| "overlay".into()),
        "Labels": labels_with(n.get("labels"), &[(NAMESPACE, stack)]),
        "Attachable": n.get("attachable").and_then(Value::as_bool).unwrap_or(false),
        "Internal": n.get("internal").and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(opts) = n.get("driver_opts").filter(|o| o.is_object()) {
        spec["Options"] = labels_with(Some(opts), &[]);
    }
    if let Some(cfg) = n.pointer("/ipam/config").and_then(Value::as_array) {
        let cfgs: Vec<Value> = cfg
            .iter()
            .map(|c| json!({"Subnet": str_of(c, "subnet").unwrap_or_default()}))
            .collect();
        spec["IPAM"] = json!({"Driver": "default", "Config": cfgs});
    }
    StackNetwork {
        name,
        external,
        spec,
    }
}

/// A Go duration (`1m30s`) in nanoseconds.
fn nanos(v: Option<&Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_i64()),
        Some(Value::String(s)) => {
            crate::model::short_syntax::parse_duration(s).map(|d| Some(d.as_nanos() as i64))
        }
        Some(other) => Err(format!("invalid duration {other}")),
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Sets `obj[k] = v` unless `v` is null.
fn put(obj: &mut Value, k: &str, v: Value) {
    if !v.is_null() {
        obj[k] = v;
    }
}

fn service(d: &Desired, canon: &Value, key: &str, s: &Value) -> Result<StackService, String> {
    let stack = d.stack.as_str();
    let name = format!("{stack}_{key}");
    let image = str_of(s, "image").ok_or_else(|| format!("service {key}: no image"))?;
    let deploy = s.get("deploy").cloned().unwrap_or(Value::Null);
    let mut container = container_spec(d, canon, key, s, &image)?;
    if let Some(hc) = s.get("healthcheck") {
        put(&mut container, "Healthcheck", healthcheck(hc)?);
    }
    let mut task = json!({ "ContainerSpec": container });
    put(&mut task, "Resources", resources(&deploy));
    put(&mut task, "RestartPolicy", restart_policy(&deploy, s)?);
    put(&mut task, "Placement", placement(&deploy));
    task["Networks"] = service_networks(canon, key, s, stack);
    if let Some(l) = s.get("logging").filter(|l| l.is_object()) {
        let mut ld = json!({ "Name": str_of(l, "driver").unwrap_or_default() });
        put(
            &mut ld,
            "Options",
            l.get("options").cloned().unwrap_or(Value::Null),
        );
        task["LogDriver"] = ld;
    }
    let mut spec = json!({
        "Name": name,
        "Labels": labels_with(deploy.get("labels"), &[(IMAGE, &image), (NAMESPACE, stack)]),
        "TaskTemplate": task,
        "Mode": mode(&deploy)?,
        "EndpointSpec": endpoint(&deploy, s)?,
    });
    put(
        &mut spec,
        "UpdateConfig",
        update_config(deploy.get("update_config"))?,
    );
    put(
        &mut spec,
        "RollbackConfig",
        update_config(deploy.get("rollback_config"))?,
    );
    let hash = spec_hash(&spec);
    spec["Labels"][SPEC_HASH] = Value::String(hash);
    Ok(StackService {
        key: key.to_string(),
        name,
        spec,
    })
}

/// sha256 of the spec's JSON, without the hash label itself.
pub fn spec_hash(spec: &Value) -> String {
    let mut s = spec.clone();
    if let Some(l) = s.get_mut("Labels").and_then(Value::as_object_mut) {
        l.remove(SPEC_HASH);
    }
    hex(&Sha256::digest(s.to_string().as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn string_list(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(a)) if !a.is_empty() => Value::Array(a.clone()),
        Some(Value::String(s)) => json!([s]),
        _ => Value::Null,
    }
}

fn container_spec(
    d: &Desired,
    canon: &Value,
    key: &str,
    s: &Value,
    image: &str,
) -> Result<Value, String> {
    let mut c = json!({
        "Image": image,
        "Labels": labels_with(s.get("labels"), &[(NAMESPACE, &d.stack)]),
    });
    put(&mut c, "Command", string_list(s.get("entrypoint")));
    put(&mut c, "Args", string_list(s.get("command")));
    for (k, api) in [
        ("hostname", "Hostname"),
        ("working_dir", "Dir"),
        ("user", "User"),
        ("stop_signal", "StopSignal"),
    ] {
        put(&mut c, api, s.get(k).cloned().unwrap_or(Value::Null));
    }
    for (k, api) in [
        ("tty", "TTY"),
        ("stdin_open", "OpenStdin"),
        ("read_only", "ReadOnly"),
        ("init", "Init"),
    ] {
        if let Some(b) = s.get(k).and_then(Value::as_bool) {
            c[api] = Value::Bool(b);
        }
    }
    if let Some(env) = s.get("environment").and_then(Value::as_object) {
        let mut e: Vec<String> = env
            .iter()
            .map(|(k, v)| match v {
                Value::Null => k.clone(),
                v => format!("{k}={}", plain(v)),
            })
            .collect();
        e.sort();
        c["Env"] = json!(e);
    }
    put(
        &mut c,
        "StopGracePeriod",
        json!(nanos(s.get("stop_grace_period"))?),
    );
    put(&mut c, "CapabilityAdd", string_list(s.get("cap_add")));
    put(&mut c, "CapabilityDrop", string_list(s.get("cap_drop")));
    if let Some(sys) = s.get("sysctls").filter(|v| v.is_object()) {
        c["Sysctls"] = labels_with(Some(sys), &[]);
    }
    if let Some(hosts) = s.get("extra_hosts").and_then(Value::as_array) {
        let h: Vec<String> = hosts
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|h| h.split_once('=').or_else(|| h.split_once(':')))
            .map(|(host, ip)| format!("{ip} {host}"))
            .collect();
        c["Hosts"] = json!(h);
    }
    let mut dns = json!({});
    put(&mut dns, "Nameservers", string_list(s.get("dns")));
    put(&mut dns, "Search", string_list(s.get("dns_search")));
    put(&mut dns, "Options", string_list(s.get("dns_opt")));
    if dns.as_object().is_some_and(|o| !o.is_empty()) {
        c["DNSConfig"] = dns;
    }
    if let Some(u) = s.get("ulimits").and_then(Value::as_object) {
        let l: Vec<Value> = u
            .iter()
            .map(|(name, v)| match v {
                Value::Object(_) => {
                    json!({"Name": name, "Soft": int(v.get("soft")), "Hard": int(v.get("hard"))})
                }
                n => json!({"Name": name, "Soft": int(Some(n)), "Hard": int(Some(n))}),
            })
            .collect();
        c["Ulimits"] = json!(l);
    }
    put(&mut c, "Mounts", mounts(canon, s, &d.stack)?);
    put(&mut c, "Configs", file_refs(d, key, s, "config")?);
    put(&mut c, "Secrets", file_refs(d, key, s, "secret")?);
    Ok(c)
}

fn mounts(canon: &Value, s: &Value, stack: &str) -> Result<Value, String> {
    let Some(vols) = s.get("volumes").and_then(Value::as_array) else {
        return Ok(Value::Null);
    };
    let mut out = Vec::new();
    for v in vols {
        let ty = str_of(v, "type").unwrap_or_else(|| "volume".into());
        let target = str_of(v, "target").unwrap_or_default();
        let mut m = json!({"Type": ty, "Target": target});
        if v.get("read_only").and_then(Value::as_bool) == Some(true) {
            m["ReadOnly"] = json!(true);
        }
        match ty.as_str() {
            "volume" => {
                if let Some(src) = str_of(v, "source") {
                    let top = canon.pointer(&format!("/volumes/{src}"));
                    let name = top
                        .and_then(|t| str_of(t, "name"))
                        .unwrap_or_else(|| format!("{stack}_{src}"));
                    m["Source"] = json!(name);
                    let mut opts = json!({"Labels": labels_with(top.and_then(|t| t.get("labels")), &[(NAMESPACE, stack)])});
                    if let Some(t) = top
                        && let Some(driver) = str_of(t, "driver")
                    {
                        opts["DriverConfig"] = json!({"Name": driver, "Options": labels_with(t.get("driver_opts"), &[])});
                    }
                    if v.pointer("/volume/nocopy").and_then(Value::as_bool) == Some(true) {
                        opts["NoCopy"] = json!(true);
                    }
                    m["VolumeOptions"] = opts;
                }
            }
            "bind" => {
                m["Source"] = json!(str_of(v, "source").unwrap_or_default());
                if let Some(p) = v.pointer("/bind/propagation").and_then(Value::as_str) {
                    m["BindOptions"] = json!({"Propagation": p});
                }
            }
            "tmpfs" => {
                if let Some(size) = int(v.pointer("/tmpfs/size")) {
                    m["TmpfsOptions"] = json!({"SizeBytes": size});
                }
            }
            other => return Err(format!("volume type {other:?} is not supported by swarm")),
        }
        out.push(m);
    }
    Ok(json!(out))
}

fn file_refs(d: &Desired, key: &str, s: &Value, kind: &str) -> Result<Value, String> {
    let Some(refs) = s.get(format!("{kind}s")).and_then(Value::as_array) else {
        return Ok(Value::Null);
    };
    let objects = if kind == "config" {
        &d.configs
    } else {
        &d.secrets
    };
    let mut out = Vec::new();
    for r in refs {
        let source = str_of(r, "source").unwrap_or_default();
        let obj = objects
            .iter()
            .find(|o| o.key == source)
            .ok_or_else(|| format!("service {key} refers to undefined {kind} {source}"))?;
        let target = str_of(r, "target").unwrap_or_else(|| source.clone());
        let mode = match r.get("mode") {
            Some(Value::String(m)) => u32::from_str_radix(m.trim_start_matches("0o"), 8)
                .map_err(|_| format!("service {key}: {kind} {source}: invalid mode {m:?}"))?,
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0o444) as u32,
            _ => 0o444,
        };
        let (id_key, name_key) = if kind == "config" {
            ("ConfigID", "ConfigName")
        } else {
            ("SecretID", "SecretName")
        };
        out.push(json!({
            "File": {
                "Name": target,
                "UID": str_of(r, "uid").unwrap_or_else(|| "0".into()),
                "GID": str_of(r, "gid").unwrap_or_else(|| "0".into()),
                "Mode": mode,
            },
            id_key: "",
            name_key: obj.name,
        }));
    }
    Ok(json!(out))
}

fn healthcheck(hc: &Value) -> Result<Value, String> {
    if hc.get("disable").and_then(Value::as_bool) == Some(true) {
        return Ok(json!({"Test": ["NONE"]}));
    }
    let mut h = json!({});
    put(&mut h, "Test", string_list(hc.get("test")));
    for (k, api) in [
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ] {
        put(&mut h, api, json!(nanos(hc.get(k))?));
    }
    put(&mut h, "Retries", json!(int(hc.get("retries"))));
    Ok(h)
}

fn resources(deploy: &Value) -> Value {
    let part = |p: &str| -> Value {
        let Some(r) = deploy.pointer(&format!("/resources/{p}")) else {
            return Value::Null;
        };
        let mut o = json!({});
        if let Some(c) = r.get("cpus").and_then(|c| match c {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }) {
            o["NanoCPUs"] = json!((c * 1e9).round() as i64);
        }
        put(&mut o, "MemoryBytes", json!(int(r.get("memory"))));
        if p == "limits" {
            put(&mut o, "Pids", json!(int(r.get("pids"))));
        }
        if let Some(g) = r.get("generic_resources").and_then(Value::as_array) {
            let gr: Vec<Value> = g
                .iter()
                .filter_map(|x| x.get("discrete_resource_spec"))
                .map(|x| json!({"DiscreteResourceSpec": {"Kind": str_of(x, "kind"), "Value": int(x.get("value"))}}))
                .collect();
            o["GenericResources"] = json!(gr);
        }
        o
    };
    let mut out = json!({});
    put(&mut out, "Limits", part("limits"));
    put(&mut out, "Reservations", part("reservations"));
    if out.as_object().is_some_and(Map::is_empty) {
        Value::Null
    } else {
        out
    }
}

fn restart_policy(deploy: &Value, s: &Value) -> Result<Value, String> {
    if let Some(r) = deploy.get("restart_policy").filter(|r| r.is_object()) {
        let mut p = json!({});
        put(
            &mut p,
            "Condition",
            r.get("condition").cloned().unwrap_or(Value::Null),
        );
        put(&mut p, "Delay", json!(nanos(r.get("delay"))?));
        put(&mut p, "MaxAttempts", json!(int(r.get("max_attempts"))));
        put(&mut p, "Window", json!(nanos(r.get("window"))?));
        return Ok(p);
    }
    // Without deploy.restart_policy, docker stack reads the service's `restart:`.
    Ok(match s.get("restart").and_then(Value::as_str) {
        Some("no") => json!({"Condition": "none"}),
        Some("always") | Some("unless-stopped") => json!({"Condition": "any"}),
        Some(r) if r.starts_with("on-failure") => {
            let mut p = json!({"Condition": "on-failure"});
            if let Some((_, n)) = r.split_once(':') {
                put(&mut p, "MaxAttempts", json!(n.parse::<i64>().ok()));
            }
            p
        }
        _ => Value::Null,
    })
}

fn placement(deploy: &Value) -> Value {
    let Some(p) = deploy.get("placement") else {
        return Value::Null;
    };
    let mut o = json!({});
    put(&mut o, "Constraints", string_list(p.get("constraints")));
    if let Some(prefs) = p.get("preferences").and_then(Value::as_array) {
        let v: Vec<Value> = prefs
            .iter()
            .filter_map(|x| str_of(x, "spread"))
            .map(|s| json!({"Spread": {"SpreadDescriptor": s}}))
            .collect();
        o["Preferences"] = json!(v);
    }
    put(
        &mut o,
        "MaxReplicas",
        json!(int(p.get("max_replicas_per_node"))),
    );
    o
}

fn mode(deploy: &Value) -> Result<Value, String> {
    let replicas = int(deploy.get("replicas"));
    Ok(
        match deploy
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("replicated")
        {
            "replicated" => json!({"Replicated": {"Replicas": replicas.unwrap_or(1)}}),
            "global" => json!({"Global": {}}),
            "replicated-job" => {
                let n = replicas.unwrap_or(1);
                json!({"ReplicatedJob": {"MaxConcurrent": n, "TotalCompletions": n}})
            }
            "global-job" => json!({"GlobalJob": {}}),
            other => return Err(format!("unknown deploy.mode {other:?}")),
        },
    )
}

fn endpoint(deploy: &Value, s: &Value) -> Result<Value, String> {
    let mut ports = Vec::new();
    for p in s
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let target = int(p.get("target")).ok_or("a port without target")?;
        let mut port = json!({
            "Protocol": str_of(p, "protocol").unwrap_or_else(|| "tcp".into()),
            "TargetPort": target,
            "PublishMode": str_of(p, "mode").unwrap_or_else(|| "ingress".into()),
        });
        match p.get("published").map(plain).filter(|x| !x.is_empty()) {
            Some(pub_) => match pub_.split_once('-') {
                None => {
                    port["PublishedPort"] = json!(
                        pub_.parse::<u16>()
                            .map_err(|_| format!("invalid published port {pub_:?}"))?
                    );
                    ports.push(port);
                }
                Some((a, b)) => {
                    let (a, b): (u16, u16) = (
                        a.parse()
                            .map_err(|_| format!("invalid port range {pub_:?}"))?,
                        b.parse()
                            .map_err(|_| format!("invalid port range {pub_:?}"))?,
                    );
                    for (i, n) in (a..=b).enumerate() {
                        let mut q = port.clone();
                        q["PublishedPort"] = json!(n);
                        q["TargetPort"] = json!(target + i as i64);
                        ports.push(q);
                    }
                }
            },
            None => ports.push(port),
        }
    }
    let mode = str_of(deploy, "endpoint_mode").unwrap_or_else(|| "vip".into());
    if mode != "vip" && mode != "dnsrr" {
        return Err(format!("unknown deploy.endpoint_mode {mode:?}"));
    }
    Ok(json!({"Mode": mode, "Ports": ports}))
}

fn update_config(u: Option<&Value>) -> Result<Value, String> {
    let Some(u) = u.filter(|u| u.is_object()) else {
        return Ok(Value::Null);
    };
    let mut o = json!({"Parallelism": int(u.get("parallelism")).unwrap_or(1)});
    put(&mut o, "Delay", json!(nanos(u.get("delay"))?));
    put(
        &mut o,
        "FailureAction",
        u.get("failure_action").cloned().unwrap_or(Value::Null),
    );
    put(&mut o, "Monitor", json!(nanos(u.get("monitor"))?));
    if let Some(r) = u.get("max_failure_ratio").and_then(Value::as_f64) {
        o["MaxFailureRatio"] = json!(r);
    }
    put(
        &mut o,
        "Order",
        u.get("order").cloned().unwrap_or(Value::Null),
    );
    Ok(o)
}

fn service_networks(canon: &Value, key: &str, s: &Value, stack: &str) -> Value {
    let mut out = Vec::new();
    let nets: Vec<(String, Value)> = match s.get("networks") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => vec![("default".into(), Value::Null)],
    };
    for (net, cfg) in nets {
        let name = canon
            .pointer(&format!("/networks/{net}/name"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{stack}_{net}"));
        let mut aliases = vec![key.to_string()];
        if let Some(a) = cfg.get("aliases").and_then(Value::as_array) {
            aliases.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
        }
        out.push(json!({"Target": name, "Aliases": aliases}));
    }
    out.sort_by_key(|n| n["Target"].as_str().unwrap_or_default().to_string());
    json!(out)
}

/// Settings of a deploy that change the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeployOptions {
    pub prune: bool,
}

/// Desired against observed: networks, configs and secrets to create (a changed config or
/// secret gets a versioned name and the services using it roll), services to create, update,
/// keep or (with `--prune`) remove.
pub fn plan_deploy(
    desired: &Desired,
    observed: &ObservedStack,
    opts: DeployOptions,
) -> Result<Vec<StackAction>, String> {
    let mut actions = Vec::new();
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for n in &desired.networks {
        if n.external || observed.networks.iter().any(|o| o.name == n.name) {
            continue;
        }
        actions.push(StackAction::CreateNetwork(n.clone()));
    }
    for (kind, wanted, have) in [
        ("config", &desired.configs, &observed.configs),
        ("secret", &desired.secrets, &observed.secrets),
    ] {
        for obj in wanted.iter().filter(|o| !o.external) {
            let versioned = format!("{}_{}", obj.name, &hex(&Sha256::digest(&obj.data))[..8]);
            let same = |o: &ObservedObject| match &o.data {
                Some(d) => *d == obj.data,
                // A secret's content is not readable: its digest label says what it holds.
                None => o.labels.get(DIGEST).map(String::as_str) == Some(&digest(&obj.data)),
            };
            let name = match have.iter().find(|o| o.name == obj.name) {
                None => obj.name.clone(),
                Some(o) if same(o) => continue,
                Some(_) => {
                    renamed.insert(format!("{kind}:{}", obj.name), versioned.clone());
                    if have.iter().any(|o| o.name == versioned) {
                        continue;
                    }
                    versioned
                }
            };
            let o = StackObject {
                name,
                ..obj.clone()
            };
            actions.push(if kind == "config" {
                StackAction::CreateConfig(o)
            } else {
                StackAction::CreateSecret(o)
            });
        }
    }
    for svc in &desired.services {
        let svc = with_versions(svc, &renamed);
        match observed.services.iter().find(|o| o.name == svc.name) {
            None => actions.push(StackAction::CreateService(svc)),
            Some(o) => {
                let want = svc.spec["Labels"][SPEC_HASH].as_str().unwrap_or_default();
                match o.labels.get(SPEC_HASH) {
                    Some(h) if h == want => actions.push(StackAction::KeepService {
                        name: svc.name.clone(),
                    }),
                    h => actions.push(StackAction::UpdateService {
                        id: o.id.clone(),
                        reason: if h.is_some() {
                            "spec changed".into()
                        } else {
                            "not deployed by rcompose".into()
                        },
                        service: svc,
                    }),
                }
            }
        }
    }
    if opts.prune {
        for o in &observed.services {
            if !desired.services.iter().any(|s| s.name == o.name) {
                actions.push(StackAction::RemoveService {
                    name: o.name.clone(),
                    id: o.id.clone(),
                });
            }
        }
    }
    Ok(actions)
}

/// The label on a secret giving its content's digest (a secret cannot be read back).
pub const DIGEST: &str = "io.rcompose.stack.digest";

/// sha256 of a secret's content, as [`DIGEST`] holds it.
pub fn digest(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The service with config/secret names replaced by their versioned names (and its hash anew).
fn with_versions(svc: &StackService, renamed: &BTreeMap<String, String>) -> StackService {
    if renamed.is_empty() {
        return svc.clone();
    }
    let mut s = svc.clone();
    for (kind, list, name_key) in [
        ("config", "Configs", "ConfigName"),
        ("secret", "Secrets", "SecretName"),
    ] {
        if let Some(a) = s.spec["TaskTemplate"]["ContainerSpec"]
            .get_mut(list)
            .and_then(Value::as_array_mut)
        {
            for r in a {
                let n = r[name_key].as_str().unwrap_or_default().to_string();
                if let Some(v) = renamed.get(&format!("{kind}:{n}")) {
                    r[name_key] = json!(v);
                }
            }
        }
    }
    let h = spec_hash(&s.spec);
    s.spec["Labels"][SPEC_HASH] = json!(h);
    s
}

#[cfg(test)]
mod tests;
