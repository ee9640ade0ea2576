//! The canonical model: what `docker compose config` prints for a project.
//!
//! Input is the merged, interpolated compose tree (what [`super::load`] has after merging), the
//! project name, the project directory and the interpolation environment. Output is a tree laid
//! out exactly as compose-go marshals its `Project`, ready for [`to_yaml`] / [`to_json`]. The
//! stages follow compose-go's loader, in its order:
//!
//! 1. [`model`]: short syntax to long syntax (ports, volumes, `depends_on`, `env_file`, `build`,
//!    devices, secrets…), defaults (port protocol and mode, secret targets, build context),
//!    absolute paths against the project directory (`~` is `$HOME`), bare `environment` names
//!    resolved, then [`normalize`]: default network, resource names `<project>_<key>`, implicit
//!    `depends_on`, `pull_policy: if_not_present` → `missing`, build defaults.
//! 2. Only the enabled services are kept, and resources no kept service uses are dropped.
//! 3. `env_file` and `label_file` are folded into `environment` and `labels` (and dropped).
//! 4. [`layout`]: every object is re-encoded the way compose-go's Go types marshal: struct field
//!    order, maps sorted, `x-*` extensions after the fields, durations as Go prints them
//!    (`1m0s`), byte sizes as quoted integers, file modes as octal strings, commands as lists.
//!
//! The only I/O is reading `env_file` / `label_file` through the reader the caller hands in.
//! The same input always gives the same output; [`layout`] is idempotent, so the YAML tree can be
//! re-laid out for JSON ([`json_layout`]).

use std::cmp::Ordering;
use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::service::PathError;

mod emit;
pub(crate) mod syntax;

use crate::settings;
pub use emit::{go_float, go_g, natural_cmp};
pub use syntax::{format_duration, parse_duration};

/// Which of compose's loader stages run (the `config` flags that turn them off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalOptions {
    /// Default network, resource names, implicit dependencies… (off: `--no-normalize`).
    pub normalize: bool,
    /// Make paths absolute against the project directory (off: `--no-path-resolution`).
    pub resolve_paths: bool,
    /// Drop `env_file` and `label_file` once folded into `environment` and `labels` (what
    /// `docker compose config` does).
    pub discard_env_files: bool,
    /// Fold `env_file` into `environment` (off: `config --no-env-resolution`, which keeps
    /// `environment` as written and `env_file` as a list of files).
    pub resolve_env_files: bool,
    /// Drop networks, volumes, secrets and configs that no kept service uses.
    pub prune: bool,
    /// Keep short syntax that does not parse instead of failing (the model was not
    /// interpolated: `--no-interpolate`).
    pub lenient: bool,
}

impl Default for CanonicalOptions {
    fn default() -> Self {
        CanonicalOptions {
            normalize: true,
            resolve_paths: true,
            discard_env_files: true,
            resolve_env_files: true,
            prune: true,
            lenient: false,
        }
    }
}

/// Reads a file the model names (`env_file`, `label_file`).
pub type FileReader<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// Everything [`canonical_with`] needs besides the tree.
pub struct Input<'a> {
    pub project_name: &'a str,
    /// Absolute project directory: base of relative paths.
    pub working_dir: &'a Path,
    /// The interpolation environment (OS environment over `.env`).
    pub env: &'a IndexMap<String, String>,
    pub options: &'a CanonicalOptions,
    /// Services to keep (profiles and the command-line selection applied); None keeps all.
    pub enabled: Option<&'a [String]>,
    /// Top-level `x-*` entries the loader set aside before interpolation; they are interpolated
    /// here (leniently) and printed after the resources.
    pub extensions: Option<&'a Map<String, Value>>,
    pub read_file: FileReader<'a>,
}

/// The canonical tree of a merged compose tree, with `config`'s defaults: normalized, absolute
/// paths, env files folded in, every service kept, unused resources dropped.
pub fn canonical(
    tree: &Value,
    project_name: &str,
    working_dir: &Path,
    env: &IndexMap<String, String>,
) -> Result<Value, PathError> {
    let options = CanonicalOptions::default();
    canonical_with(
        tree,
        &Input {
            project_name,
            working_dir,
            env,
            options: &options,
            enabled: None,
            extensions: None,
            read_file: &|p| std::fs::read_to_string(p),
        },
    )
}

/// The canonical tree, YAML layout ([`to_yaml`]; [`json_layout`] for JSON).
pub fn canonical_with(tree: &Value, input: &Input<'_>) -> Result<Value, PathError> {
    let mut dict = model(tree, input)?;
    select(&mut dict, input.enabled, input.options.prune);
    fold_files(&mut dict, input)?;
    if let (Some(ext), Value::Object(m)) = (input.extensions, &mut dict) {
        let env = project_env(input);
        let lookup = |k: &str| env.get(k).cloned();
        for (k, v) in ext {
            let mut value = v.clone();
            if super::interpolate::interpolate_tree(&mut value, &lookup, &mut Vec::new()).is_err() {
                value = v.clone();
            }
            m.insert(k.clone(), value);
        }
    }
    Ok(layout(&dict, input.project_name, Flavor::Yaml))
}

/// The JSON layout of a canonical tree: Go's `encoding/json` field set and key order.
pub fn json_layout(canonical: &Value) -> Value {
    let name = canonical
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    layout(canonical, name, Flavor::Json)
}

/// YAML text of a tree, as docker compose prints it.
pub fn to_yaml(tree: &Value) -> String {
    emit::yaml(tree)
}

/// JSON text of a tree, as docker compose prints it (no trailing newline).
pub fn to_json(tree: &Value) -> String {
    emit::json(tree)
}

/// `docker compose config` re-escapes every `$` of its output as `$$`, so the output reads back
/// to the same values.
pub fn escape_dollars(text: &str) -> String {
    text.replace('$', "$$")
}

/// Every mapping's keys sorted, the order Go prints a `map[string]any` in: go-yaml's natural
/// order, or byte order for JSON (the raw model of `config --no-interpolate`).
pub fn sort_all(v: &Value, json: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| key_cmp(a, b, json));
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sort_all(&m[k], json)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| sort_all(x, json)).collect()),
        other => other.clone(),
    }
}

fn key_cmp(a: &str, b: &str, json: bool) -> Ordering {
    if json { a.cmp(b) } else { natural_cmp(a, b) }
}

fn perr(path: impl Into<String>, message: impl Into<String>) -> PathError {
    PathError {
        path: path.into(),
        message: message.into(),
    }
}

/// The project environment as compose's loader sees it: `COMPOSE_PROJECT_NAME` is the project
/// name.
fn project_env(input: &Input<'_>) -> IndexMap<String, String> {
    let mut env = input.env.clone();
    env.insert(
        settings::COMPOSE_PROJECT_NAME.into(),
        input.project_name.to_string(),
    );
    env
}

// =============================================================================================
// Stage 1: the model (compose-go's dict after loading and normalization)

/// compose-go's model of the tree: long syntax, defaults, absolute paths, resolved bare
/// environment names, and (unless turned off) [`normalize`]. Key order is not meaningful yet.
pub fn model(tree: &Value, input: &Input<'_>) -> Result<Value, PathError> {
    let mut dict = match tree {
        Value::Object(m) => Value::Object(m.clone()),
        _ => Value::Object(Map::new()),
    };
    if let Value::Object(m) = &mut dict {
        m.shift_remove("version");
        m.shift_remove("include");
    }
    let lenient = input.options.lenient;
    transform(&mut dict, lenient)?;
    set_defaults(&mut dict);
    let env = project_env(input);
    if input.options.resolve_paths {
        let home = env
            .get("HOME")
            .cloned()
            .or_else(|| std::env::var("HOME").ok());
        resolve_paths(&mut dict, input.working_dir, home.as_deref());
    }
    resolve_environment(&mut dict, &env);
    if input.options.normalize {
        normalize(&mut dict, input.project_name, &env);
    }
    Ok(dict)
}

fn services_mut(dict: &mut Value) -> impl Iterator<Item = (&String, &mut Map<String, Value>)> {
    dict.get_mut("services")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|m| m.iter_mut())
        .filter_map(|(k, v)| {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            v.as_object_mut().map(|o| (k, o))
        })
}

fn string_or_list(v: &mut Value) {
    if let Value::String(s) = v {
        *v = json!([s.clone()]);
    }
}

/// Short syntax → long syntax (compose-go's `transform.Canonical`, then `OmitEmpty`).
fn transform(dict: &mut Value, lenient: bool) -> Result<(), PathError> {
    for (name, s) in services_mut(dict) {
        let at = |key: &str| format!("services.{name}.{key}");
        if let Some(b) = s.get_mut("build") {
            if let Value::String(ctx) = b {
                *b = json!({ "context": ctx.clone() });
            }
            if let Value::Object(build) = b {
                if let Some(Value::Array(secrets)) = build.get_mut("secrets") {
                    file_mounts(secrets);
                }
                for key in ["provenance", "sbom"] {
                    if let Some(v) = build.get_mut(key)
                        && !v.is_string()
                        && !v.is_null()
                    {
                        *v = Value::String(syntax::sprint(v));
                    }
                }
                if let Some(v) = build.get_mut("additional_contexts")
                    && let Value::Array(items) = v
                {
                    let mut m = Map::new();
                    for item in items.iter() {
                        let text = syntax::sprint(item);
                        match text.split_once('=') {
                            Some((k, val)) => {
                                m.insert(k.to_string(), json!(val));
                            }
                            None if lenient => {}
                            None => {
                                return Err(perr(
                                    at("build.additional_contexts"),
                                    format!(
                                        "services.{name}.build.additional_contexts: invalid value {text}, expected key=value"
                                    ),
                                ));
                            }
                        }
                    }
                    *v = Value::Object(m);
                }
                if let Some(v) = build.get_mut("ssh")
                    && let Value::Array(items) = v
                {
                    let mut m = Map::new();
                    for item in items.iter() {
                        let text = syntax::sprint(item);
                        match text.split_once('=') {
                            Some((id, path)) => {
                                m.insert(id.to_string(), json!(path));
                            }
                            None if text == "default" || lenient => {
                                m.insert(text, Value::Null);
                            }
                            None => {
                                return Err(perr(
                                    at("build.ssh"),
                                    format!("invalid ssh key {text:?}"),
                                ));
                            }
                        }
                    }
                    *v = Value::Object(m);
                }
            }
        }
        if let Some(d) = s.get_mut("depends_on") {
            match d {
                Value::Array(items) => {
                    let mut m = Map::new();
                    for item in items.iter() {
                        m.insert(
                            syntax::sprint(item),
                            json!({"condition": "service_started", "required": true}),
                        );
                    }
                    *d = Value::Object(m);
                }
                Value::Object(m) => {
                    for dep in m.values_mut() {
                        if dep.is_null() {
                            *dep = Value::Object(Map::new());
                        }
                        if let Value::Object(o) = dep {
                            o.entry("condition")
                                .or_insert_with(|| json!("service_started"));
                            o.entry("required").or_insert(json!(true));
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(e) = s.get_mut("env_file") {
            string_or_list(e);
            if let Value::Array(items) = e {
                for item in items.iter_mut() {
                    match item {
                        Value::String(p) => *item = json!({"path": p.clone(), "required": true}),
                        Value::Object(o) => {
                            o.entry("required").or_insert(json!(true));
                        }
                        _ => {}
                    }
                }
            }
        }
        for key in ["label_file", "dns"] {
            if let Some(v) = s.get_mut(key) {
                string_or_list(v);
            }
        }
        if let Some(e) = s.get_mut("extends")
            && let Value::String(svc) = e
        {
            *e = json!({ "service": svc.clone() });
        }
        if let Some(g) = s.get_mut("gpus")
            && g.is_string()
        {
            *g = json!([{ "count": "all" }]);
        }
        for key in ["networks", "models"] {
            if let Some(v) = s.get_mut(key)
                && let Value::Array(items) = v
            {
                let m: Map<String, Value> = items
                    .iter()
                    .map(|i| (syntax::sprint(i), Value::Null))
                    .collect();
                *v = Value::Object(m);
            }
        }
        if let Some(Value::Array(vols)) = s.get_mut("volumes") {
            for (i, v) in vols.iter_mut().enumerate() {
                if let Value::String(spec) = v {
                    match syntax::parse_volume(spec) {
                        Ok(m) => *v = Value::Object(m),
                        Err(_) if lenient => {}
                        Err(e) => return Err(perr(format!("services.{name}.volumes[{i}]"), e)),
                    }
                }
            }
        }
        if let Some(Value::Array(devices)) = s.get_mut("devices") {
            for d in devices.iter_mut() {
                if let Value::String(spec) = d {
                    let parts: Vec<&str> = spec.split(':').collect();
                    let (src, dst, perm) = match parts.as_slice() {
                        [a] => (*a, "", "rwm"),
                        [a, b] => (*a, *b, "rwm"),
                        [a, b, c] => (*a, *b, *c),
                        _ if lenient => continue,
                        _ => {
                            return Err(perr(
                                at("devices"),
                                format!("confusing device mapping, please use long syntax: {spec}"),
                            ));
                        }
                    };
                    let dst = if dst.is_empty() { src } else { dst };
                    *d = json!({"source": src, "target": dst, "permissions": perm});
                }
            }
        }
        for key in ["secrets", "configs"] {
            if let Some(Value::Array(items)) = s.get_mut(key) {
                file_mounts(items);
            }
        }
        if let Some(p) = s.get_mut("ports")
            && let Value::Array(items) = p
        {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(_) => out.push(item.clone()),
                    Value::String(_) | Value::Number(_) => {
                        match syntax::parse_port(&syntax::sprint(item)) {
                            Ok(entries) => out.extend(entries.into_iter().map(Value::Object)),
                            Err(_) if lenient => out.push(item.clone()),
                            Err(e) => {
                                return Err(perr(format!("services.{name}.ports[{i}]"), e));
                            }
                        }
                    }
                    other => out.push(other.clone()),
                }
            }
            *p = Value::Array(out);
        }
        if let Some(Value::Array(watch)) = s.get_mut("develop").and_then(|d| d.get_mut("watch")) {
            for w in watch.iter_mut() {
                for key in ["ignore", "include"] {
                    if let Some(v) = w.get_mut(key) {
                        string_or_list(v);
                    }
                }
            }
        }
        // OmitEmpty: `dns` entries that are empty.
        if let Some(Value::Array(dns)) = s.get_mut("dns") {
            dns.retain(|d| !d.is_null() && d.as_str() != Some(""));
        }
    }
    for top in ["volumes", "networks", "secrets", "configs"] {
        let Some(Value::Object(items)) = dict.get_mut(top) else {
            continue;
        };
        for (key, r) in items.iter_mut() {
            let Value::Object(res) = r else { continue };
            let ext_name = match res.get("external") {
                Some(Value::Object(ext)) => Some(ext.get("name").cloned()),
                _ => None,
            };
            if let Some(ext_name) = ext_name {
                res.insert("external".into(), json!(true));
                if let Some(n) = ext_name {
                    match res.get("name") {
                        Some(existing) if existing != &n => {
                            return Err(perr(
                                format!("{top}.{key}"),
                                format!(
                                    "{top}.{key}: name and external.name conflict; only use name"
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            res.insert("name".into(), n);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn file_mounts(items: &mut [Value]) {
    for item in items {
        if let Value::String(src) = item {
            *item = json!({ "source": src.clone() });
        }
    }
}

/// compose-go's `SetDefaultValues`.
fn set_defaults(dict: &mut Value) {
    for (_, s) in services_mut(dict) {
        if let Some(Value::Object(b)) = s.get_mut("build") {
            b.entry("context").or_insert(json!("."));
        }
        if let Some(Value::Array(secrets)) = s.get_mut("secrets") {
            for sec in secrets.iter_mut().filter_map(Value::as_object_mut) {
                if !sec.contains_key("target") {
                    let src = sec.get("source").map(syntax::sprint).unwrap_or_default();
                    sec.insert("target".into(), json!(format!("/run/secrets/{src}")));
                }
            }
        }
        if let Some(Value::Array(ports)) = s.get_mut("ports") {
            for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                p.entry("protocol").or_insert(json!("tcp"));
                p.entry("mode").or_insert(json!("ingress"));
            }
        }
        let mut requests: Vec<&mut Value> = Vec::new();
        if let Some(Value::Array(g)) = s.get_mut("gpus") {
            requests.extend(g.iter_mut());
        }
        for r in requests {
            device_defaults(r);
        }
        if let Some(Value::Array(devs)) = s
            .get_mut("deploy")
            .and_then(|d| d.pointer_mut("/resources/reservations/devices"))
        {
            for d in devs.iter_mut() {
                device_defaults(d);
            }
        }
        if let Some(Value::Array(vols)) = s.get_mut("volumes") {
            for v in vols.iter_mut() {
                if let Some(Value::Object(b)) = v.get_mut("bind") {
                    b.entry("create_host_path").or_insert(json!(true));
                }
            }
        }
    }
}

fn device_defaults(d: &mut Value) {
    if let Value::Object(o) = d
        && !o.contains_key("count")
        && !o.contains_key("device_ids")
    {
        o.insert("count".into(), json!("all"));
    }
}

/// `filepath.Join(base, p)`: joined and cleaned.
fn join(base: &Path, p: &str) -> String {
    syntax::clean_path(&format!("{}/{p}", base.to_string_lossy()))
}

fn expand_user(p: &str, home: Option<&str>) -> String {
    match (p.strip_prefix('~'), home) {
        (Some(rest), Some(home)) => syntax::clean_path(&format!("{home}/{rest}")),
        _ => p.to_string(),
    }
}

fn abs_path(v: &mut Value, base: &Path, home: Option<&str>) {
    if let Value::String(s) = v {
        let e = expand_user(s, home);
        *s = if e.is_empty() || e.starts_with('/') {
            e
        } else {
            join(base, &e)
        };
    }
}

fn abs_context(v: &mut Value, base: &Path, home: Option<&str>) {
    if let Value::String(s) = v {
        let remote = super::paths::is_remote(s) || s.starts_with("service:");
        if !remote {
            abs_path(v, base, home);
        }
    }
}

/// compose-go's `ResolveRelativePaths`.
fn resolve_paths(dict: &mut Value, base: &Path, home: Option<&str>) {
    for (_, s) in services_mut(dict) {
        if let Some(Value::Object(b)) = s.get_mut("build") {
            if let Some(c) = b.get_mut("context") {
                abs_context(c, base, home);
            }
            if let Some(Value::Object(ctxs)) = b.get_mut("additional_contexts") {
                for c in ctxs.values_mut() {
                    abs_context(c, base, home);
                }
            }
            if let Some(Value::Object(ssh)) = b.get_mut("ssh") {
                for p in ssh.values_mut() {
                    abs_path(p, base, home);
                }
            }
        }
        if let Some(Value::Array(files)) = s.get_mut("env_file") {
            for f in files.iter_mut() {
                if let Some(p) = f.get_mut("path") {
                    abs_path(p, base, home);
                }
            }
        }
        if let Some(Value::Array(files)) = s.get_mut("label_file") {
            for f in files.iter_mut() {
                abs_path(f, base, home);
            }
        }
        if let Some(f) = s.get_mut("extends").and_then(|e| e.get_mut("file")) {
            abs_path(f, base, home);
        }
        if let Some(Value::Array(watch)) = s.get_mut("develop").and_then(|d| d.get_mut("watch")) {
            for w in watch.iter_mut() {
                if let Some(p) = w.get_mut("path") {
                    abs_path(p, base, home);
                }
            }
        }
        if let Some(Value::Array(vols)) = s.get_mut("volumes") {
            for v in vols.iter_mut() {
                if v.get("type").and_then(Value::as_str) == Some("bind")
                    && let Some(src) = v.get_mut("source")
                {
                    abs_path(src, base, home);
                }
            }
        }
    }
    for top in ["configs", "secrets"] {
        if let Some(Value::Object(items)) = dict.get_mut(top) {
            for item in items.values_mut() {
                if let Some(f) = item.get_mut("file") {
                    abs_path(f, base, home);
                }
            }
        }
    }
    if let Some(Value::Object(vols)) = dict.get_mut("volumes") {
        for v in vols.values_mut() {
            if v.get("driver").and_then(Value::as_str) != Some("local") {
                continue;
            }
            if let Some(Value::Object(opts)) = v.get_mut("driver_opts")
                && opts.get("o").and_then(Value::as_str) == Some("bind")
                && let Some(dev) = opts.get_mut("device")
            {
                abs_path(dev, base, home);
            }
        }
    }
}

/// compose-go's `ResolveEnvironment` for services: a bare name in an `environment` list takes
/// its value from the project environment.
fn resolve_environment(dict: &mut Value, env: &IndexMap<String, String>) {
    for (_, s) in services_mut(dict) {
        if let Some(Value::Array(items)) = s.get_mut("environment") {
            for item in items.iter_mut() {
                if let Value::String(name) = item
                    && !name.contains('=')
                    && let Some(v) = env.get(name.as_str())
                {
                    *item = json!(format!("{name}={v}"));
                }
            }
        }
    }
}

/// Resolves the unset entries of an `environment` / `args` mapping or list from `env`; unknown
/// ones are kept (`keep_empty`) or dropped.
fn resolve_mapping(v: &mut Value, env: &IndexMap<String, String>, keep_empty: bool) {
    match v {
        Value::Array(items) => {
            items.retain_mut(|item| match item {
                Value::String(s) if !s.contains('=') => match env.get(s.as_str()) {
                    Some(val) => {
                        *item = json!(format!("{s}={val}"));
                        true
                    }
                    None => keep_empty,
                },
                _ => true,
            });
        }
        Value::Object(m) => {
            m.retain(|k, val| {
                if !val.is_null() {
                    return true;
                }
                match env.get(k) {
                    Some(found) => {
                        *val = json!(found);
                        true
                    }
                    None => keep_empty,
                }
            });
        }
        _ => {}
    }
}

fn started(restart: bool) -> Value {
    json!({"condition": "service_started", "restart": restart, "required": true})
}

/// compose-go's `Normalize`: the project name, the default network, `pull_policy`, build
/// defaults, resolved `environment` and build `args`, implicit `depends_on` (links,
/// `service:` namespaces, `volumes_from`), clean volume targets, `pre_start` images, and the
/// names of networks, volumes, configs and secrets.
pub fn normalize(dict: &mut Value, project_name: &str, env: &IndexMap<String, String>) {
    if !dict.is_object() {
        *dict = Value::Object(Map::new());
    }
    if let Value::Object(m) = dict {
        m.insert("name".into(), json!(project_name));
    }
    // Default network.
    let mut uses_default = false;
    for (_, s) in services_mut(dict) {
        if s.contains_key("provider") || s.contains_key("network_mode") {
            continue;
        }
        match s.get("networks") {
            Some(Value::Object(n)) if !n.is_empty() => {
                if n.contains_key("default") {
                    uses_default = true;
                }
            }
            _ => {
                s.insert("networks".into(), json!({ "default": null }));
                uses_default = true;
            }
        }
    }
    if let Value::Object(m) = dict {
        let mut networks = match m.get("networks") {
            Some(Value::Object(n)) => n.clone(),
            _ => Map::new(),
        };
        if uses_default && !networks.contains_key("default") {
            networks.insert("default".into(), Value::Null);
        }
        if !networks.is_empty() {
            m.insert("networks".into(), Value::Object(networks));
        }
    }
    for (_, s) in services_mut(dict) {
        if s.get("pull_policy").and_then(Value::as_str) == Some("if_not_present") {
            s.insert("pull_policy".into(), json!("missing"));
        }
        if let Some(Value::Object(b)) = s.get_mut("build") {
            if b.get("context").is_none_or(Value::is_null) {
                b.insert("context".into(), json!("."));
            }
            if b.get("dockerfile").is_none_or(Value::is_null)
                && b.get("dockerfile_inline").is_none_or(Value::is_null)
            {
                b.insert("dockerfile".into(), json!("Dockerfile"));
            }
            if let Some(a) = b.get_mut("args") {
                resolve_mapping(a, env, false);
            }
        }
        if let Some(e) = s.get_mut("environment") {
            resolve_mapping(e, env, true);
        }
        let mut depends_on = match s.get("depends_on") {
            Some(Value::Object(d)) => d.clone(),
            _ => Map::new(),
        };
        if let Some(Value::Array(links)) = s.get("links") {
            for l in links {
                let link = syntax::sprint(l);
                let parts: Vec<&str> = link.split(':').collect();
                let target = if parts.len() == 2 { parts[0] } else { &link };
                if !depends_on.contains_key(target) {
                    depends_on.insert(target.to_string(), started(true));
                }
            }
        }
        for ns in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
            if let Some(shared) = s
                .get(ns)
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("service:"))
                && !depends_on.contains_key(shared)
            {
                depends_on.insert(shared.to_string(), started(true));
            }
        }
        if let Some(Value::Array(vols)) = s.get_mut("volumes") {
            for v in vols.iter_mut() {
                if let Some(Value::String(t)) = v.get_mut("target") {
                    *t = syntax::clean_path(t);
                }
            }
        }
        if let Some(Value::Array(from)) = s.get("volumes_from") {
            for v in from {
                let vol = syntax::sprint(v);
                if !vol.starts_with("container:") {
                    let name = vol.split(':').next().unwrap_or_default().to_string();
                    if !depends_on.contains_key(&name) {
                        depends_on.insert(name, started(false));
                    }
                }
            }
        }
        if !depends_on.is_empty() {
            s.insert("depends_on".into(), Value::Object(depends_on));
        }
        if let Some(image) = s.get("image").and_then(Value::as_str).map(str::to_string)
            && !image.is_empty()
            && let Some(Value::Array(hooks)) = s.get_mut("pre_start")
        {
            for h in hooks.iter_mut().filter_map(Value::as_object_mut) {
                h.entry("image").or_insert(json!(image));
            }
        }
    }
    for top in ["networks", "volumes", "configs", "secrets"] {
        let Some(Value::Object(items)) = dict.get_mut(top) else {
            continue;
        };
        for (key, r) in items.iter_mut() {
            if r.is_null() {
                *r = Value::Object(Map::new());
            }
            let Value::Object(res) = r else { continue };
            if res.get("name").is_none_or(Value::is_null) {
                let external = res.get("external").is_some_and(|x| {
                    matches!(
                        syntax::sprint(x).as_str(),
                        "1" | "t" | "T" | "true" | "TRUE" | "True"
                    )
                });
                let name = if external {
                    key.clone()
                } else {
                    format!("{project_name}_{key}")
                };
                res.insert("name".into(), json!(name));
            }
        }
    }
}

// =============================================================================================
// Stage 2: enabled services and the resources they use

/// Keeps the `enabled` services (all when None) and, with `prune`, only the networks, volumes,
/// secrets, configs and models they use (compose's `WithoutUnnecessaryResources`).
pub fn select(dict: &mut Value, enabled: Option<&[String]>, prune: bool) {
    if let (Some(keep), Some(Value::Object(services))) = (enabled, dict.get_mut("services")) {
        services.retain(|k, _| keep.iter().any(|e| e == k));
    }
    if !prune {
        return;
    }
    let mut used: IndexMap<&str, Vec<String>> = IndexMap::new();
    for top in ["networks", "volumes", "secrets", "configs", "models"] {
        used.insert(top, Vec::new());
    }
    if let Some(Value::Object(services)) = dict.get("services") {
        for s in services.values() {
            if let Some(Value::Object(n)) = s.get("networks") {
                used["networks"].extend(n.keys().cloned());
            }
            for v in s
                .get("volumes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if v.get("type").and_then(Value::as_str) == Some("volume")
                    && let Some(src) = v.get("source").and_then(Value::as_str)
                    && !src.is_empty()
                {
                    used["volumes"].push(src.to_string());
                }
            }
            let build_secrets = s.get("build").and_then(|b| b.get("secrets"));
            for list in [s.get("secrets"), build_secrets] {
                for m in list.and_then(Value::as_array).into_iter().flatten() {
                    if let Some(src) = m.get("source") {
                        used["secrets"].push(syntax::sprint(src));
                    }
                }
            }
            for m in s
                .get("configs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(src) = m.get("source") {
                    used["configs"].push(syntax::sprint(src));
                }
            }
            if let Some(Value::Object(m)) = s.get("models") {
                used["models"].extend(m.keys().cloned());
            }
        }
    }
    if let Value::Object(m) = dict {
        for (top, names) in used {
            if let Some(Value::Object(items)) = m.get_mut(top) {
                items.retain(|k, _| names.contains(k));
            }
        }
    }
}

// =============================================================================================
// Stage 3: env_file and label_file

/// A mapping or `KEY=VALUE` list as ordered `(key, value or unset)` pairs.
fn mapping_with_equals(v: Option<&Value>) -> IndexMap<String, Option<String>> {
    let mut out = IndexMap::new();
    match v {
        Some(Value::Object(m)) => {
            for (k, val) in m {
                let val = (!val.is_null()).then(|| syntax::sprint(val));
                out.insert(k.clone(), val);
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let text = syntax::sprint(item);
                match text.split_once('=') {
                    Some((k, val)) => out.insert(k.to_string(), Some(val.to_string())),
                    None => out.insert(text, None),
                };
            }
        }
        _ => {}
    }
    out
}

/// A mapping or `KEY=VALUE` list of strings (`labels`): a missing value is `""`.
fn string_mapping(v: Option<&Value>) -> IndexMap<String, String> {
    mapping_with_equals(v)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

fn read_vars(
    input: &Input<'_>,
    path: &str,
    format: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<IndexMap<String, String>>, String> {
    let full = if path.starts_with('/') {
        std::path::PathBuf::from(path)
    } else {
        input.working_dir.join(path)
    };
    let text = match (input.read_file)(&full) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("failed to read {}: {e}", full.display())),
    };
    match format.unwrap_or("") {
        "" | "env" => super::dotenv::parse(&text, lookup)
            .map(Some)
            .map_err(|e| format!("failed to read {}: {e}", full.display())),
        "raw" => {
            let mut out = IndexMap::new();
            for line in text.lines() {
                let line = line.trim_start();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match line.split_once('=') {
                    Some((k, v)) => {
                        out.insert(k.to_string(), v.to_string());
                    }
                    None => {
                        if let Some(v) = lookup(line.trim_end()) {
                            out.insert(line.trim_end().to_string(), v);
                        }
                    }
                }
            }
            Ok(Some(out))
        }
        other => Err(format!("unsupported env_file format {other:?}")),
    }
}

fn not_found(kind: &str, path: &str) -> String {
    format!("{kind} file {path} not found: stat {path}: no such file or directory")
}

/// compose's `WithServicesEnvironmentResolved` and `WithServicesLabelsResolved`: env files under
/// `environment` (which wins, even unset), label files under `labels`.
fn fold_files(dict: &mut Value, input: &Input<'_>) -> Result<(), PathError> {
    let env = project_env(input);
    let discard = input.options.discard_env_files;
    let resolve = input.options.resolve_env_files;
    for (name, s) in services_mut(dict) {
        if resolve {
            fold_env_files(name, s, input, &env, discard)?;
        }

        let label_files: Vec<String> = s
            .get("label_file")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(syntax::sprint).collect())
            .unwrap_or_default();
        if !label_files.is_empty() {
            let at = format!("services.{name}.label_file");
            let mut labels: IndexMap<String, String> = IndexMap::new();
            for path in &label_files {
                let known = labels.clone();
                let lookup = |k: &str| known.get(k).cloned();
                match read_vars(input, path, None, &lookup).map_err(|m| perr(&at, m))? {
                    Some(vars) => labels.extend(vars),
                    None => return Err(perr(&at, not_found("label", path))),
                }
            }
            labels.extend(string_mapping(s.get("labels")));
            let m: Map<String, Value> = labels.into_iter().map(|(k, v)| (k, json!(v))).collect();
            s.insert("labels".into(), Value::Object(m));
        }
        if discard {
            s.shift_remove("label_file");
        }
    }
    Ok(())
}

/// compose's `WithServicesEnvironmentResolved` for one service: env files under `environment`
/// (which wins, even unset); `env_file` dropped when `discard`.
fn fold_env_files(
    name: &str,
    s: &mut Map<String, Value>,
    input: &Input<'_>,
    env: &IndexMap<String, String>,
    discard: bool,
) -> Result<(), PathError> {
    let mut own = mapping_with_equals(s.get("environment"));
    for (k, v) in own.iter_mut() {
        if v.is_none() {
            *v = env.get(k).cloned();
        }
    }
    let mut environment: IndexMap<String, String> = own
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect();
    let files: Vec<Value> = s
        .get("env_file")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let at = format!("services.{name}.env_file");
    for f in &files {
        let Some(path) = f.get("path").map(syntax::sprint) else {
            continue;
        };
        let required = !matches!(f.get("required"), Some(Value::Bool(false)));
        let format = f.get("format").and_then(Value::as_str);
        let lookup = |k: &str| {
            env.get(k)
                .cloned()
                .or_else(|| own.get(k).cloned().flatten())
        };
        match read_vars(input, &path, format, &lookup).map_err(|m| perr(&at, m))? {
            Some(vars) => environment.extend(vars),
            None if required => return Err(perr(&at, not_found("env", &path))),
            None => {}
        }
    }
    let mut merged: IndexMap<String, Option<String>> =
        environment.into_iter().map(|(k, v)| (k, Some(v))).collect();
    for (k, v) in own {
        merged.insert(k, v);
    }
    if merged.is_empty() {
        s.shift_remove("environment");
    } else {
        let m: Map<String, Value> = merged
            .into_iter()
            .map(|(k, v)| (k, v.map_or(Value::Null, Value::String)))
            .collect();
        s.insert("environment".into(), Value::Object(m));
    }
    if discard {
        s.shift_remove("env_file");
    }
    Ok(())
}

// =============================================================================================
// Stage 4: layout (compose-go's Go types, marshalled)

/// Which encoder the layout is for: go-yaml or `encoding/json` (different field sets and key
/// orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Yaml,
    Json,
}

/// How a field is decoded and printed; each mirrors a compose-go field type.
#[derive(Clone, Copy)]
enum K {
    /// `string`, omitted when empty.
    Str,
    /// `string` without omitempty.
    StrKeep,
    /// `bool`, omitted when false.
    Bool,
    /// `bool` without omitempty.
    BoolKeep,
    /// `*bool`: printed when set.
    OptBool,
    /// `int`/`int64`/`uint`, omitted when zero.
    Int,
    /// `*int`/`*uint64`: printed when set.
    OptInt,
    /// `int` without omitempty.
    IntKeep,
    /// `float32`, omitted when zero.
    F32,
    /// `UnitBytes`: a quoted integer, omitted when zero.
    Bytes,
    /// `Duration`, omitted when zero.
    Dur,
    /// `*Duration`: printed when set.
    OptDur,
    /// `*FileMode`: octal string.
    Mode,
    /// `DeviceCount`: `all` is -1.
    Count,
    /// `[]string` / `StringList` / `StringOrNumberList`.
    List,
    /// `ShellCommand`: a list; `[]` kept; always present in JSON.
    Cmd,
    /// `HealthCheckTest`: a string is `[CMD-SHELL, s]`.
    Test,
    /// `Mapping` / `Labels` / `Options`: sorted string map.
    Map,
    /// `MappingWithEquals`: sorted map of strings or null.
    MapEq,
    /// `MultiOptions`: sorted map of string lists.
    MultiOpt,
    /// `HostsList`: sorted `host=ip` list.
    Hosts,
    /// `SSHConfig`: `id` or `id: path` list.
    Ssh,
    /// `map[string]*UlimitsConfig`.
    Ulimits,
    /// `OptOut`: printed only when false.
    OptOut,
    /// `*Struct`: printed when set, even empty.
    Ptr(&'static Ty),
    /// `Struct` (not a pointer): omitted in YAML when empty, always in JSON.
    Inline(&'static Ty),
    /// `[]Struct`.
    Seq(&'static Ty),
    /// `map[string]Struct`: null values are empty structs.
    MapOf(&'static Ty),
    /// `map[string]*Struct`: null values stay null.
    MapPtr(&'static Ty),
}

/// Where a struct prints its `x-*` extensions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ext {
    None,
    End,
    Before(&'static str),
}

/// A compose-go struct: its fields in declaration order.
struct Ty {
    fields: &'static [(&'static str, K)],
    ext: Ext,
    /// Fields have no json tags: JSON names are the Go names (`Path`, `Weight`).
    go_names: bool,
}

const fn ty(fields: &'static [(&'static str, K)]) -> Ty {
    Ty {
        fields,
        ext: Ext::End,
        go_names: false,
    }
}

const fn ty_plain(fields: &'static [(&'static str, K)]) -> Ty {
    Ty {
        fields,
        ext: Ext::None,
        go_names: false,
    }
}

static SERVICE: Ty = ty(&[
    ("profiles", K::List),
    ("annotations", K::Map),
    ("attach", K::OptBool),
    ("build", K::Ptr(&BUILD)),
    ("develop", K::Ptr(&DEVELOP)),
    ("blkio_config", K::Ptr(&BLKIO)),
    ("cap_add", K::List),
    ("cap_drop", K::List),
    ("cgroup_parent", K::Str),
    ("cgroup", K::Str),
    ("cpu_count", K::Int),
    ("cpu_percent", K::F32),
    ("cpu_period", K::Int),
    ("cpu_quota", K::Int),
    ("cpu_rt_period", K::Int),
    ("cpu_rt_runtime", K::Int),
    ("cpus", K::F32),
    ("cpuset", K::Str),
    ("cpu_shares", K::Int),
    ("command", K::Cmd),
    ("configs", K::Seq(&FILE_REF)),
    ("container_name", K::Str),
    ("credential_spec", K::Ptr(&CREDENTIAL_SPEC)),
    ("depends_on", K::MapOf(&DEPENDENCY)),
    ("deploy", K::Ptr(&DEPLOY)),
    ("device_cgroup_rules", K::List),
    ("devices", K::Seq(&DEVICE)),
    ("dns", K::List),
    ("dns_opt", K::List),
    ("dns_search", K::List),
    ("dockerfile", K::Str),
    ("domainname", K::Str),
    ("entrypoint", K::Cmd),
    ("provider", K::Ptr(&PROVIDER)),
    ("environment", K::MapEq),
    ("env_file", K::Seq(&ENV_FILE)),
    ("expose", K::List),
    ("extends", K::Ptr(&EXTENDS)),
    ("external_links", K::List),
    ("extra_hosts", K::Hosts),
    ("group_add", K::List),
    ("gpus", K::Seq(&DEVICE_REQUEST)),
    ("hostname", K::Str),
    ("healthcheck", K::Ptr(&HEALTHCHECK)),
    ("image", K::Str),
    ("init", K::OptBool),
    ("ipc", K::Str),
    ("isolation", K::Str),
    ("labels", K::Map),
    ("label_file", K::List),
    ("links", K::List),
    ("logging", K::Ptr(&LOGGING)),
    ("log_driver", K::Str),
    ("log_opt", K::Map),
    ("mem_limit", K::Bytes),
    ("mem_reservation", K::Bytes),
    ("memswap_limit", K::Bytes),
    ("mem_swappiness", K::Bytes),
    ("mac_address", K::Str),
    ("models", K::MapPtr(&SERVICE_MODEL)),
    ("net", K::Str),
    ("network_mode", K::Str),
    ("networks", K::MapPtr(&SERVICE_NETWORK)),
    ("oom_kill_disable", K::Bool),
    ("oom_score_adj", K::Int),
    ("pid", K::Str),
    ("pids_limit", K::Int),
    ("platform", K::Str),
    ("ports", K::Seq(&PORT)),
    ("privileged", K::Bool),
    ("pull_policy", K::Str),
    ("read_only", K::Bool),
    ("restart", K::Str),
    ("runtime", K::Str),
    ("scale", K::OptInt),
    ("secrets", K::Seq(&FILE_REF)),
    ("security_opt", K::List),
    ("shm_size", K::Bytes),
    ("stdin_open", K::Bool),
    ("stop_grace_period", K::OptDur),
    ("stop_signal", K::Str),
    ("storage_opt", K::Map),
    ("sysctls", K::Map),
    ("tmpfs", K::List),
    ("tty", K::Bool),
    ("ulimits", K::Ulimits),
    ("use_api_socket", K::Bool),
    ("user", K::Str),
    ("userns_mode", K::Str),
    ("uts", K::Str),
    ("volume_driver", K::Str),
    ("volumes", K::Seq(&VOLUME_MOUNT)),
    ("volumes_from", K::List),
    ("working_dir", K::Str),
    ("pre_start", K::Seq(&HOOK)),
    ("post_start", K::Seq(&HOOK)),
    ("pre_stop", K::Seq(&HOOK)),
]);

static BUILD: Ty = ty(&[
    ("context", K::Str),
    ("dockerfile", K::Str),
    ("dockerfile_inline", K::Str),
    ("entitlements", K::List),
    ("args", K::MapEq),
    ("provenance", K::Str),
    ("sbom", K::Str),
    ("ssh", K::Ssh),
    ("labels", K::Map),
    ("cache_from", K::List),
    ("cache_to", K::List),
    ("no_cache", K::Bool),
    ("no_cache_filter", K::List),
    ("additional_contexts", K::Map),
    ("pull", K::Bool),
    ("extra_hosts", K::Hosts),
    ("isolation", K::Str),
    ("network", K::Str),
    ("target", K::Str),
    ("secrets", K::Seq(&FILE_REF)),
    ("shm_size", K::Bytes),
    ("tags", K::List),
    ("ulimits", K::Ulimits),
    ("platforms", K::List),
    ("privileged", K::Bool),
]);

static DEVELOP: Ty = ty(&[("watch", K::Seq(&TRIGGER))]);

static TRIGGER: Ty = ty(&[
    ("path", K::StrKeep),
    ("action", K::StrKeep),
    ("target", K::Str),
    ("exec", K::Inline(&HOOK)),
    ("include", K::List),
    ("ignore", K::List),
    ("initial_sync", K::Bool),
]);

static HOOK: Ty = ty(&[
    ("command", K::Cmd),
    ("image", K::Str),
    ("user", K::Str),
    ("privileged", K::Bool),
    ("working_dir", K::Str),
    ("environment", K::MapEq),
    ("per_replica", K::Bool),
]);

static BLKIO: Ty = ty(&[
    ("weight", K::Int),
    ("weight_device", K::Seq(&WEIGHT_DEVICE)),
    ("device_read_bps", K::Seq(&THROTTLE_DEVICE)),
    ("device_read_iops", K::Seq(&THROTTLE_DEVICE)),
    ("device_write_bps", K::Seq(&THROTTLE_DEVICE)),
    ("device_write_iops", K::Seq(&THROTTLE_DEVICE)),
]);

static WEIGHT_DEVICE: Ty = Ty {
    fields: &[("path", K::StrKeep), ("weight", K::IntKeep)],
    ext: Ext::End,
    go_names: true,
};

static THROTTLE_DEVICE: Ty = Ty {
    fields: &[("path", K::StrKeep), ("rate", K::Bytes)],
    ext: Ext::End,
    go_names: true,
};

static CREDENTIAL_SPEC: Ty = ty(&[("config", K::Str), ("file", K::Str), ("registry", K::Str)]);

static DEPENDENCY: Ty = Ty {
    fields: &[
        ("condition", K::Str),
        ("restart", K::Bool),
        ("required", K::BoolKeep),
    ],
    ext: Ext::Before("required"),
    go_names: false,
};

static DEPLOY: Ty = ty(&[
    ("mode", K::Str),
    ("replicas", K::OptInt),
    ("labels", K::Map),
    ("update_config", K::Ptr(&UPDATE_CONFIG)),
    ("rollback_config", K::Ptr(&UPDATE_CONFIG)),
    ("resources", K::Inline(&RESOURCES)),
    ("restart_policy", K::Ptr(&RESTART_POLICY)),
    ("placement", K::Inline(&PLACEMENT)),
    ("endpoint_mode", K::Str),
]);

static UPDATE_CONFIG: Ty = ty(&[
    ("parallelism", K::OptInt),
    ("delay", K::Dur),
    ("failure_action", K::Str),
    ("monitor", K::Dur),
    ("max_failure_ratio", K::F32),
    ("order", K::Str),
]);

static RESOURCES: Ty = ty(&[
    ("limits", K::Ptr(&RESOURCE)),
    ("reservations", K::Ptr(&RESOURCE)),
]);

static RESOURCE: Ty = ty(&[
    ("cpus", K::F32),
    ("memory", K::Bytes),
    ("pids", K::Int),
    ("devices", K::Seq(&DEVICE_REQUEST)),
    ("generic_resources", K::Seq(&GENERIC_RESOURCE)),
]);

static GENERIC_RESOURCE: Ty = ty(&[("discrete_resource_spec", K::Ptr(&DISCRETE_RESOURCE))]);

static DISCRETE_RESOURCE: Ty = ty(&[("kind", K::StrKeep), ("value", K::IntKeep)]);

static RESTART_POLICY: Ty = ty(&[
    ("condition", K::Str),
    ("delay", K::OptDur),
    ("max_attempts", K::OptInt),
    ("window", K::OptDur),
]);

static PLACEMENT: Ty = ty(&[
    ("constraints", K::List),
    ("preferences", K::Seq(&PLACEMENT_PREFERENCE)),
    ("max_replicas_per_node", K::Int),
]);

static PLACEMENT_PREFERENCE: Ty = ty(&[("spread", K::Str)]);

static DEVICE_REQUEST: Ty = ty_plain(&[
    ("capabilities", K::List),
    ("driver", K::Str),
    ("count", K::Count),
    ("device_ids", K::List),
    ("options", K::Map),
]);

static DEVICE: Ty = ty(&[
    ("source", K::Str),
    ("target", K::Str),
    ("permissions", K::Str),
]);

static PROVIDER: Ty = ty(&[("type", K::Str), ("options", K::MultiOpt)]);

static ENV_FILE: Ty = ty_plain(&[
    ("path", K::Str),
    ("required", K::OptOut),
    ("format", K::Str),
]);

static EXTENDS: Ty = ty_plain(&[("file", K::Str), ("service", K::Str)]);

static HEALTHCHECK: Ty = ty(&[
    ("test", K::Test),
    ("timeout", K::OptDur),
    ("interval", K::OptDur),
    ("retries", K::OptInt),
    ("start_period", K::OptDur),
    ("start_interval", K::OptDur),
    ("disable", K::Bool),
]);

static LOGGING: Ty = ty(&[("driver", K::Str), ("options", K::Map)]);

static SERVICE_MODEL: Ty = ty(&[("endpoint_var", K::Str), ("model_var", K::Str)]);

static SERVICE_NETWORK: Ty = ty(&[
    ("aliases", K::List),
    ("driver_opts", K::Map),
    ("gw_priority", K::Int),
    ("interface_name", K::Str),
    ("ipv4_address", K::Str),
    ("ipv6_address", K::Str),
    ("link_local_ips", K::List),
    ("mac_address", K::Str),
    ("priority", K::Int),
]);

static PORT: Ty = ty(&[
    ("name", K::Str),
    ("mode", K::Str),
    ("host_ip", K::Str),
    ("target", K::Int),
    ("published", K::Str),
    ("protocol", K::Str),
    ("app_protocol", K::Str),
]);

static VOLUME_MOUNT: Ty = ty(&[
    ("type", K::Str),
    ("source", K::Str),
    ("target", K::Str),
    ("read_only", K::Bool),
    ("consistency", K::Str),
    ("bind", K::Ptr(&VOLUME_BIND)),
    ("volume", K::Ptr(&VOLUME_VOLUME)),
    ("tmpfs", K::Ptr(&VOLUME_TMPFS)),
    ("image", K::Ptr(&VOLUME_IMAGE)),
]);

static VOLUME_BIND: Ty = ty(&[
    ("selinux", K::Str),
    ("propagation", K::Str),
    // compose v2.40.3 (compose-go v2.9.1) prints it when true (`create_host_path: true` for every
    // short-syntax bind); compose-go 2.10 omits it when true. Printed whenever set, so that
    // `false` survives a round trip through `config`.
    ("create_host_path", K::OptBool),
    ("recursive", K::Str),
]);

static VOLUME_VOLUME: Ty = ty(&[("labels", K::Map), ("nocopy", K::Bool), ("subpath", K::Str)]);

static VOLUME_TMPFS: Ty = ty(&[("size", K::Bytes), ("mode", K::Int)]);

static VOLUME_IMAGE: Ty = ty(&[("subpath", K::Str)]);

static FILE_REF: Ty = ty(&[
    ("source", K::Str),
    ("target", K::Str),
    ("uid", K::Str),
    ("gid", K::Str),
    ("mode", K::Mode),
]);

static NETWORK: Ty = ty(&[
    ("name", K::Str),
    ("driver", K::Str),
    ("driver_opts", K::Map),
    ("ipam", K::Inline(&IPAM)),
    ("external", K::Bool),
    ("internal", K::Bool),
    ("attachable", K::Bool),
    ("labels", K::Map),
    ("enable_ipv4", K::OptBool),
    ("enable_ipv6", K::OptBool),
]);

static IPAM: Ty = ty(&[
    ("driver", K::Str),
    ("config", K::Seq(&IPAM_POOL)),
    ("options", K::Map),
]);

static IPAM_POOL: Ty = ty(&[
    ("subnet", K::Str),
    ("gateway", K::Str),
    ("ip_range", K::Str),
    ("aux_addresses", K::Map),
]);

static VOLUME: Ty = ty(&[
    ("name", K::Str),
    ("driver", K::Str),
    ("driver_opts", K::Map),
    ("external", K::Bool),
    ("labels", K::Map),
]);

static FILE_OBJECT: Ty = ty(&[
    ("name", K::Str),
    ("file", K::Str),
    ("environment", K::Str),
    ("content", K::Str),
    ("external", K::Bool),
    ("labels", K::Map),
    ("driver", K::Str),
    ("driver_opts", K::Map),
    ("template_driver", K::Str),
]);

static MODEL: Ty = ty(&[
    ("name", K::Str),
    ("model", K::Str),
    ("context_size", K::Int),
    ("runtime_flags", K::List),
]);

/// Lays a model out the way compose-go marshals its `Project` for `flavor`.
pub fn layout(dict: &Value, project_name: &str, flavor: Flavor) -> Value {
    let empty = Map::new();
    let src = dict.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    out.insert("name".into(), json!(project_name));
    let services = src
        .get("services")
        .map(|s| map_of(s, &SERVICE, flavor, false))
        .unwrap_or_default();
    out.insert("services".into(), Value::Object(services));
    let secrets = src.get("secrets").map(|s| without_content(s, true));
    let configs = src.get("configs").map(|s| without_content(s, false));
    let resources: [(&str, Option<&Value>, &Ty); 5] = [
        ("networks", src.get("networks"), &NETWORK),
        ("volumes", src.get("volumes"), &VOLUME),
        ("secrets", secrets.as_ref(), &FILE_OBJECT),
        ("configs", configs.as_ref(), &FILE_OBJECT),
        ("models", src.get("models"), &MODEL),
    ];
    for (key, v, t) in resources {
        if key == "models" && flavor == Flavor::Json {
            continue;
        }
        if let Some(v) = v {
            let m = map_of(v, t, flavor, false);
            if !m.is_empty() {
                out.insert(key.into(), Value::Object(m));
            }
        }
    }
    for (k, v) in extensions(src, flavor) {
        out.insert(k, v);
    }
    if flavor == Flavor::Json {
        let mut keys: Vec<String> = out.keys().cloned().collect();
        keys.sort();
        let mut sorted = Map::new();
        for k in keys {
            if let Some(v) = out.shift_remove(&k) {
                sorted.insert(k, v);
            }
        }
        out = sorted;
    }
    Value::Object(out)
}

/// Secrets never print their content; configs not when it came from `environment`.
fn without_content(v: &Value, secret: bool) -> Value {
    let mut v = v.clone();
    if let Value::Object(items) = &mut v {
        for item in items.values_mut() {
            if let Value::Object(o) = item {
                let from_env = o
                    .get("environment")
                    .is_some_and(|e| !syntax::sprint(e).is_empty() && !e.is_null());
                if secret || from_env {
                    o.shift_remove("content");
                }
            }
        }
    }
    v
}

fn sorted_keys(m: &Map<String, Value>, flavor: Flavor) -> Vec<&String> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_by(|a, b| key_cmp(a, b, flavor == Flavor::Json));
    keys
}

/// The `x-*` entries of an object, sorted, their values' maps sorted too.
fn extensions(src: &Map<String, Value>, flavor: Flavor) -> Vec<(String, Value)> {
    let ext: Map<String, Value> = src
        .iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    sorted_keys(&ext, flavor)
        .into_iter()
        .map(|k| (k.clone(), sort_all(&ext[k], flavor == Flavor::Json)))
        .collect()
}

fn map_of(v: &Value, t: &Ty, flavor: Flavor, null_stays: bool) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(m) = v {
        for k in sorted_keys(m, flavor) {
            let item = &m[k];
            let value = if item.is_null() && null_stays {
                Value::Null
            } else {
                Value::Object(encode_struct(item, t, flavor))
            };
            out.insert(k.clone(), value);
        }
    }
    out
}

fn encode_struct(v: &Value, t: &Ty, flavor: Flavor) -> Map<String, Value> {
    let empty = Map::new();
    let src = v.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    let with_ext = flavor == Flavor::Yaml && t.ext != Ext::None;
    for (name, kind) in t.fields {
        if with_ext && t.ext == Ext::Before(name) {
            out.extend(extensions(src, flavor));
        }
        if let Some(value) = encode_field(src.get(*name), *kind, flavor) {
            let key = if flavor == Flavor::Json && t.go_names {
                let mut c = name.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            } else {
                name.to_string()
            };
            out.insert(key, value);
        }
    }
    if with_ext && t.ext == Ext::End {
        out.extend(extensions(src, flavor));
    }
    out
}

fn some_if(cond: bool, v: Value) -> Option<Value> {
    cond.then_some(v)
}

fn present(raw: Option<&Value>) -> Option<&Value> {
    raw.filter(|v| !v.is_null())
}

fn as_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => syntax::sprint(other),
    }
}

fn as_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "1" | "t" | "y" | "yes" | "on"
        ),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u as i64))
            .or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// A float32 as the shortest decimal that reads back to it, stored as f64.
fn f32_value(v: &Value) -> Option<f64> {
    let f = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    let short = format!("{}", f as f32);
    short.parse().ok()
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        json!(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn string_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.iter().map(|x| json!(as_string(x))).collect(),
        Value::Null => Vec::new(),
        other => vec![json!(as_string(other))],
    }
}

fn sorted_object(pairs: IndexMap<String, Value>, flavor: Flavor) -> Map<String, Value> {
    let mut keys: Vec<&String> = pairs.keys().collect();
    keys.sort_by(|a, b| key_cmp(a, b, flavor == Flavor::Json));
    keys.into_iter()
        .map(|k| (k.clone(), pairs[k].clone()))
        .collect()
}

fn duration_text(v: &Value) -> Option<(bool, Value)> {
    let text = as_string(v);
    match syntax::parse_duration(&text) {
        Ok(ns) => Some((ns != 0, json!(syntax::format_duration(ns)))),
        // Not a duration compose would accept: printed as written.
        Err(_) => Some((true, json!(text))),
    }
}

fn encode_field(raw: Option<&Value>, kind: K, flavor: Flavor) -> Option<Value> {
    match kind {
        K::Str => {
            let s = as_string(present(raw)?);
            some_if(!s.is_empty(), json!(s))
        }
        K::StrKeep => Some(json!(raw.map(as_string).unwrap_or_default())),
        K::Bool => some_if(as_bool(present(raw)?), json!(true)),
        K::BoolKeep => Some(json!(raw.is_some_and(as_bool))),
        K::OptBool => Some(json!(as_bool(present(raw)?))),
        K::Int => {
            let v = present(raw)?;
            match as_int(v) {
                Some(i) => some_if(i != 0, json!(i)),
                None => Some(v.clone()),
            }
        }
        K::OptInt => {
            let v = present(raw)?;
            Some(as_int(v).map_or_else(|| v.clone(), |i| json!(i)))
        }
        K::IntKeep => Some(json!(raw.and_then(as_int).unwrap_or(0))),
        K::F32 => {
            let f = f32_value(present(raw)?)?;
            some_if(f != 0.0, number(f))
        }
        K::Bytes => {
            let v = present(raw)?;
            let n = match v {
                Value::Number(_) => as_int(v),
                other => syntax::parse_bytes(&as_string(other)).ok(),
            };
            match n {
                Some(n) => some_if(n != 0, json!(n.to_string())),
                None => Some(json!(as_string(v))),
            }
        }
        K::Dur => {
            let (nonzero, v) = duration_text(present(raw)?)?;
            some_if(nonzero, v)
        }
        K::OptDur => duration_text(present(raw)?).map(|(_, v)| v),
        K::Mode => {
            let v = present(raw)?;
            let mode = match v {
                Value::String(s) => i64::from_str_radix(s, 8).ok(),
                other => as_int(other),
            };
            Some(mode.map_or_else(|| v.clone(), |m| json!(format!("0{m:o}"))))
        }
        K::Count => {
            let v = present(raw)?;
            let n = match v {
                Value::String(s) if s.eq_ignore_ascii_case("all") => Some(-1),
                other => as_int(other),
            };
            match n {
                Some(n) => some_if(n != 0, json!(n)),
                None => Some(v.clone()),
            }
        }
        K::List => {
            let items = string_list(present(raw)?);
            some_if(!items.is_empty(), Value::Array(items))
        }
        K::Cmd => match present(raw) {
            None => some_if(flavor == Flavor::Json, Value::Null),
            Some(Value::String(s)) => {
                let words = syntax::shell_words(s).unwrap_or_else(|_| vec![s.clone()]);
                Some(json!(words))
            }
            Some(other) => Some(Value::Array(string_list(other))),
        },
        K::Test => {
            let items = match present(raw)? {
                Value::String(s) => vec![json!("CMD-SHELL"), json!(s)],
                other => string_list(other),
            };
            some_if(!items.is_empty(), Value::Array(items))
        }
        K::Map => {
            let pairs: IndexMap<String, Value> = string_mapping(present(raw))
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            some_if(
                !pairs.is_empty(),
                Value::Object(sorted_object(pairs, flavor)),
            )
        }
        K::MapEq => {
            let pairs: IndexMap<String, Value> = mapping_with_equals(present(raw))
                .into_iter()
                .map(|(k, v)| (k, v.map_or(Value::Null, Value::String)))
                .collect();
            some_if(
                !pairs.is_empty(),
                Value::Object(sorted_object(pairs, flavor)),
            )
        }
        K::MultiOpt => {
            let Value::Object(m) = present(raw)? else {
                return None;
            };
            let pairs: IndexMap<String, Value> = m
                .iter()
                .map(|(k, v)| (k.clone(), Value::Array(string_list(v))))
                .collect();
            some_if(
                !pairs.is_empty(),
                Value::Object(sorted_object(pairs, flavor)),
            )
        }
        K::Hosts => {
            let mut list: Vec<String> = Vec::new();
            let unbracket = |ip: &str| match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']'))
            {
                Some(inner) if ip.len() > 2 => inner.to_string(),
                _ => ip.to_string(),
            };
            match present(raw)? {
                Value::Object(m) => {
                    for (host, ips) in m {
                        for ip in string_list(ips) {
                            list.push(format!("{host}={}", unbracket(&as_string(&ip))));
                        }
                        if ips.is_null() {
                            list.push(format!("{host}="));
                        }
                    }
                }
                other => {
                    for entry in string_list(other) {
                        let e = as_string(&entry);
                        let split = e.split_once('=').or_else(|| e.split_once(':'));
                        match split {
                            Some((host, ips)) => {
                                for ip in ips.split(',') {
                                    list.push(format!("{host}={}", unbracket(ip)));
                                }
                            }
                            None => list.push(e),
                        }
                    }
                }
            }
            list.sort();
            some_if(!list.is_empty(), json!(list))
        }
        K::Ssh => {
            let mut keys: Vec<(String, Option<String>)> = match present(raw)? {
                Value::Object(m) => m
                    .iter()
                    .map(|(k, v)| (k.clone(), present(Some(v)).map(as_string)))
                    .collect(),
                other => string_list(other)
                    .iter()
                    .map(|item| {
                        let s = as_string(item);
                        match s.split_once('=').or_else(|| s.split_once(": ")) {
                            Some((id, p)) => (id.to_string(), Some(p.to_string())),
                            None => (s, None),
                        }
                    })
                    .collect(),
            };
            keys.sort();
            let items: Vec<Value> = keys
                .into_iter()
                .map(|(id, path)| match path.filter(|p| !p.is_empty()) {
                    None => json!(id),
                    Some(p) if flavor == Flavor::Yaml => json!(format!("{id}: {p}")),
                    Some(p) => json!(format!("{id}={p}")),
                })
                .collect();
            some_if(!items.is_empty(), Value::Array(items))
        }
        K::Ulimits => {
            let Value::Object(m) = present(raw)? else {
                return None;
            };
            let mut pairs = IndexMap::new();
            for (name, v) in m {
                let value = match v {
                    Value::Object(o) => {
                        let soft = o.get("soft").and_then(as_int).unwrap_or(0);
                        let hard = o.get("hard").and_then(as_int).unwrap_or(0);
                        let mut u = Map::new();
                        if flavor == Flavor::Yaml || soft != 0 {
                            u.insert("soft".into(), json!(soft));
                        }
                        if flavor == Flavor::Yaml || hard != 0 {
                            u.insert("hard".into(), json!(hard));
                        }
                        Value::Object(u)
                    }
                    other => as_int(other).map_or_else(|| other.clone(), |i| json!(i)),
                };
                pairs.insert(name.clone(), value);
            }
            some_if(
                !pairs.is_empty(),
                Value::Object(sorted_object(pairs, flavor)),
            )
        }
        K::OptOut => {
            let v = present(raw)?;
            some_if(!as_bool(v), json!(false))
        }
        K::Ptr(t) => Some(Value::Object(encode_struct(present(raw)?, t, flavor))),
        K::Inline(t) => {
            let m = encode_struct(raw.unwrap_or(&Value::Null), t, flavor);
            some_if(flavor == Flavor::Json || !m.is_empty(), Value::Object(m))
        }
        K::Seq(t) => {
            let items: Vec<Value> = match present(raw)? {
                Value::Array(a) => a
                    .iter()
                    .map(|x| Value::Object(encode_struct(x, t, flavor)))
                    .collect(),
                _ => return None,
            };
            some_if(!items.is_empty(), Value::Array(items))
        }
        K::MapOf(t) => {
            let m = map_of(present(raw)?, t, flavor, false);
            some_if(!m.is_empty(), Value::Object(m))
        }
        K::MapPtr(t) => {
            let m = map_of(present(raw)?, t, flavor, true);
            some_if(!m.is_empty(), Value::Object(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input_for<'a>(
        env: &'a IndexMap<String, String>,
        options: &'a CanonicalOptions,
    ) -> Input<'a> {
        Input {
            project_name: "p",
            working_dir: Path::new("/work/p"),
            env,
            options,
            enabled: None,
            extensions: None,
            read_file: &|_| Err(std::io::ErrorKind::NotFound.into()),
        }
    }

    #[test]
    fn short_syntax_becomes_long_syntax() {
        let env = IndexMap::from([("HOME".to_string(), "/home/u".to_string())]);
        let options = CanonicalOptions::default();
        let tree = json!({"services": {"web": {
            "image": "nginx",
            "build": "./app",
            "ports": ["8080:80"],
            "volumes": ["./src:/src", "data:/data", "~/x:/x:ro"],
            "depends_on": ["db"],
            "environment": ["A=1", "B"],
            "command": "echo hi",
            "healthcheck": {"test": "curl x", "interval": "90s"},
            "deploy": {"resources": {"limits": {"memory": "1g", "cpus": "0.5"}}},
            "pull_policy": "if_not_present",
            "x-z": 1
        }, "db": {"image": "postgres"}}, "volumes": {"data": null}});
        let out = canonical_with(&tree, &input_for(&env, &options)).unwrap();
        let yaml = to_yaml(&out);
        let expected = "\
name: p
services:
  db:
    image: postgres
    networks:
      default: null
  web:
    build:
      context: /work/p/app
      dockerfile: Dockerfile
    command:
      - echo
      - hi
    depends_on:
      db:
        condition: service_started
        required: true
    deploy:
      resources:
        limits:
          cpus: 0.5
          memory: \"1073741824\"
    environment:
      A: \"1\"
      B: null
    healthcheck:
      test:
        - CMD-SHELL
        - curl x
      interval: 1m30s
    image: nginx
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: \"8080\"
        protocol: tcp
    pull_policy: missing
    volumes:
      - type: bind
        source: /work/p/src
        target: /src
        bind:
          create_host_path: true
      - type: volume
        source: data
        target: /data
        volume: {}
      - type: bind
        source: /home/u/x
        target: /x
        read_only: true
        bind:
          create_host_path: true
    x-z: 1
networks:
  default:
    name: p_default
volumes:
  data:
    name: p_data
";
        assert_eq!(yaml, expected);
        // The layout reads its own output back unchanged.
        assert_eq!(layout(&out, "p", Flavor::Yaml), out);
        let js = to_json(&json_layout(&out));
        assert!(js.contains("\"entrypoint\": null"), "{js}");
        assert!(js.contains("\"placement\": {}"), "{js}");
        assert!(!js.contains("x-z"), "{js}");
    }

    #[test]
    fn profiles_and_pruning() {
        let env = IndexMap::new();
        let options = CanonicalOptions::default();
        let enabled = vec!["a".to_string()];
        let mut input = input_for(&env, &options);
        input.enabled = Some(&enabled);
        let tree = json!({"services": {
            "a": {"image": "x", "volumes": ["v1:/v"]},
            "b": {"image": "y", "volumes": ["v2:/v"], "networks": ["back"]}
        }, "volumes": {"v1": {}, "v2": {}}, "networks": {"back": {}}});
        let out = canonical_with(&tree, &input).unwrap();
        assert!(out["services"].get("b").is_none());
        assert!(out["volumes"].get("v2").is_none());
        assert!(out["networks"].get("back").is_none());
        assert_eq!(out["networks"]["default"]["name"], "p_default");
    }
}
