//! Merging compose files (`-f a.yml -f b.yml`, override files) the way docker compose v2 does:
//! the per-path merge rules, the list de-duplication that follows every merge ("unicity"), and
//! the `!reset` / `!override` tags recorded by [`super::yaml`].
//!
//! The loader calls [`merge_layer`] once per file, in order, starting from an empty mapping (the
//! first file too: unicity applies to a single file as well). One layer is:
//!
//! 1. delete from the model merged so far every path the file tagged `!reset` or `!override`
//!    ([`apply_tags`]);
//! 2. merge the file into it ([`merge`]): mappings merge key by key, scalars are replaced, lists
//!    are appended, a `null` override keeps the earlier value, and a list or mapping overridden
//!    by a value of another shape fails with `cannot override <path>`. Special paths:
//!    * `command`, `entrypoint`, `healthcheck.test`, `ulimits.*`: replaced (even by `null`);
//!    * `environment`, `labels`, `annotations`, `sysctls`, `tmpfs`, `dns*`, `env_file`,
//!      `label_file`, `build.args|labels|additional_contexts`, `deploy.labels`,
//!      `networks.*.labels`, `volumes.*.labels`: both sides become a list (a mapping becomes
//!      sorted `k=v` / `k` entries, a string a one-item list), then appended;
//!    * `extra_hosts`, `build.extra_hosts`: the same, dropping override entries already present;
//!    * `depends_on`, `networks`, `models`: a list becomes a mapping (`depends_on` entries get
//!      `{condition: service_started, required: true}`), then mappings merge;
//!    * `build`: a string is `{context: <string>}`; `logging`: merged only when both sides use
//!      the same driver (or one has none), otherwise replaced; `networks.*.ipam.config`: merged
//!      per `subnet`;
//! 3. de-duplicate the lists compose keys by name ([`enforce_unicity`]): a later item with the
//!    same key replaces the earlier one at the earlier position.
//!
//! `extends` merges a service over its base with the same rules ([`extend_service`]).
//!
//! Pure code: no I/O, no panics. Mapping order is kept (earlier keys first, new keys appended).

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use super::canonical::go_g;
use super::yaml::TaggedPath;

/// A merge or de-duplication failure, worded as compose-go words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeError {
    /// Dotted path of the offending node (`services.web.ports`, `services.web.ports.[0]`).
    pub path: String,
    /// The whole message, path included.
    pub message: String,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MergeError {}

/// Merges one more file into the model merged so far, as docker compose does for each file:
/// applies the file's `!reset` / `!override` paths to `acc` (`tagged` comes from
/// [`super::yaml::Locations::tagged`]), merges `over` into it, then enforces unicity.
///
/// Call it for every file in order, the first one included, with `acc` starting as an empty
/// mapping. On error `acc` is left partly merged and should be dropped.
pub fn merge_layer(acc: &mut Value, over: Value, tagged: &[TaggedPath]) -> Result<(), MergeError> {
    apply_tags(acc, tagged);
    merge(acc, over)?;
    enforce_unicity(acc)
}

/// Merges `over` into `base` (both whole compose files) and enforces unicity, ignoring tags and
/// never failing: where compose would fail, the override value is kept (`cannot override`) or
/// the list is left as merged (an item unicity cannot key). Prefer [`merge_layer`].
pub fn merge_files(base: &mut Value, over: Value) {
    let mut path = Vec::new();
    let _ = merge_node(base, over, &mut path, Mode::Lenient);
    let _ = unicity_node(base, &mut path, Mode::Lenient);
}

/// compose-go's `Merge`: merges `over` into `base` (whole files), without unicity.
pub fn merge(base: &mut Value, over: Value) -> Result<(), MergeError> {
    merge_at(base, over, &[])
}

/// Merges `over` into `base` where both sit at `path` in a compose file (for `extends`, the
/// path of the service, `["services", "web"]`), so the special rules below it apply.
pub fn merge_at(base: &mut Value, over: Value, path: &[&str]) -> Result<(), MergeError> {
    let mut path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    merge_node(base, over, &mut path, Mode::Strict)
}

/// `extends`: merges the local definition of service `name` over its (already resolved) base
/// service, as compose-go's `ExtendService` does: first the paths the local file tagged
/// `!reset` / `!override` under `services.<name>` are removed from `base`, then `local` is merged
/// with the override rules of a service. `tagged` is the local file's
/// [`super::yaml::Locations::tagged`]. The caller removes `extends` from the result.
pub fn extend_service(
    base: &mut Value,
    local: Value,
    name: &str,
    tagged: &[TaggedPath],
) -> Result<(), MergeError> {
    let mut services = Map::new();
    services.insert(name.to_string(), std::mem::take(base));
    let mut top = Map::new();
    top.insert("services".into(), Value::Object(services));
    let mut wrapped = Value::Object(top);
    apply_tags(&mut wrapped, tagged);
    *base = wrapped
        .get_mut("services")
        .and_then(|s| s.get_mut(name))
        .map(Value::take)
        .unwrap_or(Value::Null);
    merge_at(base, local, &["services", name])
}

/// compose-go's `EnforceUnicity`: de-duplicates the keyed lists of a whole compose file.
pub fn enforce_unicity(tree: &mut Value) -> Result<(), MergeError> {
    unicity_node(tree, &mut Vec::new(), Mode::Strict)
}

/// Deletes from `acc` (the model merged so far) every mapping key whose path a file tagged
/// `!reset` or `!override`. Sequence items are never removed (as in compose-go).
pub fn apply_tags(acc: &mut Value, tagged: &[TaggedPath]) {
    if tagged.is_empty() {
        return;
    }
    let patterns: Vec<&[String]> = tagged.iter().map(|t| t.path.as_slice()).collect();
    reset_node(acc, &mut Vec::new(), &patterns);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Lenient,
}

// ---------------------------------------------------------------------------------------------
// Paths

/// True when `path` matches `pattern` segment by segment, `*` matching any one segment.
fn matches<S: AsRef<str>, P: AsRef<str>>(path: &[S], pattern: &[P]) -> bool {
    path.len() == pattern.len()
        && path
            .iter()
            .zip(pattern)
            .all(|(s, p)| p.as_ref() == "*" || p.as_ref() == s.as_ref())
}

/// True when `prefix` could still lead to a match of `pattern`.
fn is_prefix<S: AsRef<str>, P: AsRef<str>>(prefix: &[S], pattern: &[P]) -> bool {
    prefix.len() < pattern.len() && matches(prefix, &pattern[..prefix.len()])
}

fn dotted(path: &[String]) -> String {
    path.join(".")
}

// ---------------------------------------------------------------------------------------------
// !reset / !override

fn reset_node(v: &mut Value, path: &mut Vec<String>, patterns: &[&[String]]) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                path.push(k);
                if patterns.iter().any(|p| matches(path, p)) {
                    if let Some(k) = path.last() {
                        map.shift_remove(k);
                    }
                } else if patterns.iter().any(|p| is_prefix(path, p))
                    && let Some(child) = path.last().and_then(|k| map.get_mut(k))
                {
                    reset_node(child, path, patterns);
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(format!("[{i}]"));
                if !patterns.iter().any(|p| matches(path, p))
                    && patterns.iter().any(|p| is_prefix(path, p))
                {
                    reset_node(item, path, patterns);
                }
                path.pop();
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Merge

#[derive(Debug, Clone, Copy)]
enum Special {
    /// The override replaces the earlier value, `null` included.
    Replace,
    /// Both sides as `k=v` lists, appended.
    ToSequence,
    /// Both sides as `k=v` lists, override entries already present dropped.
    ExtraHosts,
    /// String → `{context}`, then mapping merge.
    Build,
    /// Lists → mappings with a default value per entry, then mapping merge.
    DependsOn,
    /// Lists → mappings with `null` values, then mapping merge.
    ToMapping,
    Logging,
    IpamConfig,
}

const MERGE_SPECIALS: &[(&[&str], Special)] = &[
    (&["networks", "*", "ipam", "config"], Special::IpamConfig),
    (&["networks", "*", "labels"], Special::ToSequence),
    (&["volumes", "*", "labels"], Special::ToSequence),
    (&["services", "*", "annotations"], Special::ToSequence),
    (&["services", "*", "build"], Special::Build),
    (&["services", "*", "build", "args"], Special::ToSequence),
    (
        &["services", "*", "build", "additional_contexts"],
        Special::ToSequence,
    ),
    (
        &["services", "*", "build", "extra_hosts"],
        Special::ExtraHosts,
    ),
    (&["services", "*", "build", "labels"], Special::ToSequence),
    (&["services", "*", "command"], Special::Replace),
    (&["services", "*", "depends_on"], Special::DependsOn),
    (&["services", "*", "deploy", "labels"], Special::ToSequence),
    (&["services", "*", "dns"], Special::ToSequence),
    (&["services", "*", "dns_opt"], Special::ToSequence),
    (&["services", "*", "dns_search"], Special::ToSequence),
    (&["services", "*", "entrypoint"], Special::Replace),
    (&["services", "*", "env_file"], Special::ToSequence),
    (&["services", "*", "label_file"], Special::ToSequence),
    (&["services", "*", "environment"], Special::ToSequence),
    (&["services", "*", "extra_hosts"], Special::ExtraHosts),
    (&["services", "*", "healthcheck", "test"], Special::Replace),
    (&["services", "*", "labels"], Special::ToSequence),
    (
        &["services", "*", "volumes", "*", "volume", "labels"],
        Special::ToSequence,
    ),
    (&["services", "*", "logging"], Special::Logging),
    (&["services", "*", "models"], Special::ToMapping),
    (&["services", "*", "networks"], Special::ToMapping),
    (&["services", "*", "sysctls"], Special::ToSequence),
    (&["services", "*", "tmpfs"], Special::ToSequence),
    (&["services", "*", "ulimits", "*"], Special::Replace),
];

fn merge_special(path: &[String]) -> Option<Special> {
    MERGE_SPECIALS
        .iter()
        .find(|(pattern, _)| matches(path, pattern))
        .map(|(_, s)| *s)
}

fn cannot_override(
    base: &mut Value,
    over: Value,
    path: &[String],
    mode: Mode,
) -> Result<(), MergeError> {
    match mode {
        Mode::Strict => {
            let p = dotted(path);
            Err(MergeError {
                message: format!("cannot override {p}"),
                path: p,
            })
        }
        Mode::Lenient => {
            *base = over;
            Ok(())
        }
    }
}

fn merge_node(
    base: &mut Value,
    over: Value,
    path: &mut Vec<String>,
    mode: Mode,
) -> Result<(), MergeError> {
    if let Some(special) = merge_special(path) {
        return merge_special_node(special, base, over, path, mode);
    }
    if over.is_null() {
        return Ok(());
    }
    match base {
        Value::Object(bm) => match over {
            Value::Object(om) => merge_maps(bm, om, path, mode),
            other => cannot_override(base, other, path, mode),
        },
        Value::Array(ba) => match over {
            Value::Array(oa) => {
                ba.extend(oa);
                Ok(())
            }
            other => cannot_override(base, other, path, mode),
        },
        _ => {
            *base = over;
            Ok(())
        }
    }
}

/// Merges mapping `om` into `bm`: new keys are appended, existing ones merged by path.
fn merge_maps(
    bm: &mut Map<String, Value>,
    om: Map<String, Value>,
    path: &mut Vec<String>,
    mode: Mode,
) -> Result<(), MergeError> {
    for (k, v) in om {
        match bm.get_mut(&k) {
            None => {
                bm.insert(k, v);
            }
            Some(existing) => {
                path.push(k);
                let r = merge_node(existing, v, path, mode);
                path.pop();
                r?;
            }
        }
    }
    Ok(())
}

fn merge_special_node(
    special: Special,
    base: &mut Value,
    over: Value,
    path: &mut Vec<String>,
    mode: Mode,
) -> Result<(), MergeError> {
    match special {
        Special::Replace => *base = over,
        Special::ToSequence => {
            let mut seq = into_sequence(std::mem::take(base));
            seq.extend(into_sequence(over));
            *base = Value::Array(seq);
        }
        Special::ExtraHosts => {
            let mut seq = into_sequence(std::mem::take(base));
            let added: Vec<Value> = into_sequence(over)
                .into_iter()
                .filter(|v| !seq.contains(v))
                .collect();
            seq.extend(added);
            *base = Value::Array(seq);
        }
        Special::Build => {
            let b = build_mapping(std::mem::take(base));
            let o = build_mapping(over);
            *base = Value::Object(merge_optional_maps(b, o, path, mode)?);
        }
        Special::DependsOn => {
            let mut default = Map::new();
            default.insert("condition".into(), Value::String("service_started".into()));
            default.insert("required".into(), Value::Bool(true));
            let default = Value::Object(default);
            let b = into_mapping(std::mem::take(base), &default);
            let o = into_mapping(over, &default);
            *base = Value::Object(merge_optional_maps(b, o, path, mode)?);
        }
        Special::ToMapping => {
            let b = into_mapping(std::mem::take(base), &Value::Null);
            let o = into_mapping(over, &Value::Null);
            *base = Value::Object(merge_optional_maps(b, o, path, mode)?);
        }
        Special::Logging => match (&mut *base, over) {
            (_, Value::Null) => {}
            (Value::Object(bm), Value::Object(om)) => {
                let same_driver = match (bm.get("driver"), om.get("driver")) {
                    (Some(b), Some(o)) => b == o,
                    _ => true,
                };
                if same_driver {
                    merge_maps(bm, om, path, mode)?;
                } else {
                    *base = Value::Object(om);
                }
            }
            (Value::Object(_), other) => cannot_override(base, other, path, mode)?,
            (_, other) => *base = other,
        },
        Special::IpamConfig => {
            let b = std::mem::take(base);
            *base = merge_ipam_config(b, over, path, mode)?;
        }
    }
    Ok(())
}

/// Merges two optional mappings; a missing side counts as empty.
fn merge_optional_maps(
    base: Option<Map<String, Value>>,
    over: Option<Map<String, Value>>,
    path: &mut Vec<String>,
    mode: Mode,
) -> Result<Map<String, Value>, MergeError> {
    let mut b = base.unwrap_or_default();
    if let Some(o) = over {
        merge_maps(&mut b, o, path, mode)?;
    }
    Ok(b)
}

/// `build: <string>` as `{context: <string>}`.
fn build_mapping(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::String(s) => {
            let mut m = Map::new();
            m.insert("context".into(), Value::String(s));
            Some(m)
        }
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A list of names as a mapping of each name to `default`; a mapping as itself.
fn into_mapping(v: Value, default: &Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        Value::Array(items) => Some(
            items
                .into_iter()
                .map(|item| {
                    let key = match item {
                        Value::String(s) => s,
                        other => go_format('v', &other),
                    };
                    (key, default.clone())
                })
                .collect(),
        ),
        _ => None,
    }
}

/// A mapping as sorted `k=v` entries (`k` alone for `null`, one entry per item for a list
/// value), a string as a one-item list, a list as itself, anything else as nothing.
fn into_sequence(v: Value) -> Vec<Value> {
    match v {
        Value::Object(m) => {
            let mut seq: Vec<String> = Vec::with_capacity(m.len());
            for (k, val) in m {
                match val {
                    Value::Null => seq.push(k),
                    Value::Array(items) => {
                        for item in items {
                            seq.push(format!("{k}={}", go_format('v', &item)));
                        }
                    }
                    other => seq.push(format!("{k}={}", go_format('v', &other))),
                }
            }
            seq.sort();
            seq.into_iter().map(Value::String).collect()
        }
        Value::Array(items) => items,
        Value::String(s) => vec![Value::String(s)],
        _ => Vec::new(),
    }
}

/// `networks.*.ipam.config`: each earlier entry is merged with the override entries of the same
/// `subnet`; override entries with a new subnet are added once. An empty earlier list keeps
/// nothing (compose-go's algorithm, quirks included).
fn merge_ipam_config(
    base: Value,
    over: Value,
    path: &mut Vec<String>,
    mode: Mode,
) -> Result<Value, MergeError> {
    let (configs, overrides) = match (base, over) {
        (Value::Array(b), Value::Array(o)) => (b, o),
        (b, o) => {
            if mode == Mode::Lenient {
                return Ok(if o.is_null() { b } else { o });
            }
            let p = dotted(path);
            return Err(MergeError {
                message: format!("{p}: unexpected type {}", go_type(&b)),
                path: p,
            });
        }
    };
    let mut rights: Vec<Map<String, Value>> = configs
        .into_iter()
        .map(|c| into_mapping(c, &Value::Null).unwrap_or_default())
        .collect();
    let lefts: Vec<Map<String, Value>> = overrides
        .into_iter()
        .map(|c| into_mapping(c, &Value::Null).unwrap_or_default())
        .collect();
    // Result entries refer to a (possibly still changing) earlier entry or to an override entry.
    #[derive(Clone, Copy)]
    enum Slot {
        Right(usize),
        Left(usize),
    }
    fn subnet(m: &Map<String, Value>) -> Option<&Value> {
        m.get("subnet").filter(|v| !v.is_null())
    }
    let mut slots: Vec<Slot> = Vec::new();
    for r in 0..rights.len() {
        for (l, left) in lefts.iter().enumerate() {
            let slot_subnet =
                |slots: &[Slot], rights: &[Map<String, Value>], s: usize| match slots[s] {
                    Slot::Right(i) => subnet(&rights[i]).cloned(),
                    Slot::Left(j) => subnet(&lefts[j]).cloned(),
                };
            let left_subnet = subnet(left).cloned();
            if left_subnet.as_ref() != subnet(&rights[r]) {
                let present =
                    (0..slots.len()).any(|s| slot_subnet(&slots, &rights, s) == left_subnet);
                if !present {
                    slots.push(Slot::Left(l));
                    continue;
                }
            }
            merge_maps(&mut rights[r], left.clone(), path, mode)?;
            let merged_subnet = subnet(&rights[r]).cloned();
            match (0..slots.len()).find(|&s| slot_subnet(&slots, &rights, s) == merged_subnet) {
                Some(s) => slots[s] = Slot::Right(r),
                None => slots.push(Slot::Right(r)),
            }
        }
    }
    Ok(Value::Array(
        slots
            .into_iter()
            .map(|s| {
                Value::Object(match s {
                    Slot::Right(i) => rights[i].clone(),
                    Slot::Left(j) => lefts[j].clone(),
                })
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Unicity

#[derive(Debug, Clone, Copy)]
enum Indexer {
    /// The part before `=`.
    KeyValue,
    /// The mount target (short syntax parsed).
    Volume,
    /// `src:dst` → `dst`.
    Device,
    /// The target, or `<default>/<source>`.
    Mount(&'static str),
    /// `host_ip:published:target/protocol` for the long syntax, the text for the short one.
    Port,
    EnvFile,
    Expose,
}

const UNIQUE: &[(&[&str], Indexer)] = &[
    (&["networks", "*", "labels"], Indexer::KeyValue),
    (&["networks", "*", "ipam", "options"], Indexer::KeyValue),
    (&["services", "*", "annotations"], Indexer::KeyValue),
    (&["services", "*", "build", "args"], Indexer::KeyValue),
    (
        &["services", "*", "build", "additional_contexts"],
        Indexer::KeyValue,
    ),
    (&["services", "*", "build", "platform"], Indexer::KeyValue),
    (&["services", "*", "build", "tags"], Indexer::KeyValue),
    (&["services", "*", "build", "labels"], Indexer::KeyValue),
    (&["services", "*", "cap_add"], Indexer::KeyValue),
    (&["services", "*", "cap_drop"], Indexer::KeyValue),
    (&["services", "*", "devices"], Indexer::Device),
    (&["services", "*", "configs"], Indexer::Mount("")),
    (&["services", "*", "deploy", "labels"], Indexer::KeyValue),
    (&["services", "*", "dns"], Indexer::KeyValue),
    (&["services", "*", "dns_opt"], Indexer::KeyValue),
    (&["services", "*", "dns_search"], Indexer::KeyValue),
    (&["services", "*", "environment"], Indexer::KeyValue),
    (&["services", "*", "env_file"], Indexer::EnvFile),
    (&["services", "*", "expose"], Indexer::Expose),
    (&["services", "*", "labels"], Indexer::KeyValue),
    (&["services", "*", "links"], Indexer::KeyValue),
    (
        &["services", "*", "networks", "*", "aliases"],
        Indexer::KeyValue,
    ),
    (
        &["services", "*", "networks", "*", "link_local_ips"],
        Indexer::KeyValue,
    ),
    (&["services", "*", "ports"], Indexer::Port),
    (&["services", "*", "profiles"], Indexer::KeyValue),
    (
        &["services", "*", "secrets"],
        Indexer::Mount("/run/secrets"),
    ),
    (&["services", "*", "sysctls"], Indexer::KeyValue),
    (&["services", "*", "tmpfs"], Indexer::KeyValue),
    (&["services", "*", "volumes"], Indexer::Volume),
];

fn unicity_node(v: &mut Value, path: &mut Vec<String>, mode: Mode) -> Result<(), MergeError> {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                path.push(k.clone());
                let r = unicity_node(child, path, mode);
                path.pop();
                r?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(indexer) = UNIQUE
                .iter()
                .find(|(pattern, _)| matches(path, pattern))
                .map(|(_, i)| *i)
            else {
                return Ok(());
            };
            let mut keys = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match index(indexer, item, path, i) {
                    Ok(k) => keys.push(k),
                    Err(e) if mode == Mode::Strict => return Err(e),
                    Err(_) => return Ok(()),
                }
            }
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (item, key) in std::mem::take(items).into_iter().zip(keys) {
                match seen.get(&key) {
                    Some(&at) => out[at] = item,
                    None => {
                        seen.insert(key, out.len());
                        out.push(item);
                    }
                }
            }
            *items = out;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The de-duplication key of item `i` of the list at `path`.
fn index(indexer: Indexer, item: &Value, path: &[String], i: usize) -> Result<String, MergeError> {
    let fail = |message: String| {
        let p = item_path(path, i);
        MergeError {
            message: message.replace("{p}", &p),
            path: p,
        }
    };
    match indexer {
        Indexer::KeyValue => match item {
            Value::String(s) => Ok(s.split_once('=').map_or(s.as_str(), |(k, _)| k).to_string()),
            other => Err(fail(format!("{{p}}: unexpected type {}", go_type(other)))),
        },
        Indexer::Volume => match item {
            Value::Object(m) => match m.get("target") {
                Some(Value::String(t)) => Ok(t.clone()),
                _ => Err(fail("service volume {p} is missing a mount target".into())),
            },
            Value::String(s) => volume_target(s).map_err(|e| {
                let p = item_path(path, i);
                MergeError {
                    message: e,
                    path: p,
                }
            }),
            _ => Ok(String::new()),
        },
        Indexer::Device => match item {
            Value::Object(m) => match m.get("target") {
                Some(Value::String(t)) => Ok(t.clone()),
                _ => Err(fail("service device {p} is missing a mount target".into())),
            },
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                Ok(parts.get(1).unwrap_or(&parts[0]).to_string())
            }
            _ => Ok(String::new()),
        },
        Indexer::Mount(default) => match item {
            Value::String(s) => Ok(format!("{default}/{s}")),
            Value::Object(m) => Ok(match m.get("target") {
                Some(Value::String(t)) => t.clone(),
                Some(other) => go_format('v', other),
                None => format!(
                    "{default}/{}",
                    go_format('s', m.get("source").unwrap_or(&Value::Null))
                ),
            }),
            other => Err(fail(format!(
                "{{p}}: unsupported expose value {}",
                go_format('s', other)
            ))),
        },
        Indexer::Port => match item {
            Value::Number(n) => Ok(n.as_i64().map(|i| i.to_string()).unwrap_or_default()),
            Value::Object(m) => {
                let Some(target) = m.get("target") else {
                    return Err(fail("service ports {p} is missing a target port".into()));
                };
                let host = m
                    .get("host_ip")
                    .cloned()
                    .unwrap_or_else(|| Value::String("0.0.0.0".into()));
                let protocol = m
                    .get("protocol")
                    .cloned()
                    .unwrap_or_else(|| Value::String("tcp".into()));
                let published = m.get("published").unwrap_or(&Value::Null);
                Ok(format!(
                    "{}:{}:{}/{}",
                    go_format('s', &host),
                    go_format('s', published),
                    go_format('d', target),
                    go_format('s', &protocol)
                ))
            }
            Value::String(s) => Ok(s.clone()),
            _ => Ok(String::new()),
        },
        Indexer::EnvFile => match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(m) => match m.get("path") {
                Some(Value::String(p)) => Ok(p.clone()),
                Some(other) => Ok(go_format('v', other)),
                None => Err(fail("environment path attribute {p} is missing".into())),
            },
            _ => Ok(String::new()),
        },
        Indexer::Expose => match item {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) if n.as_i64().is_some() => {
                Ok(n.as_i64().map(|i| i.to_string()).unwrap_or_default())
            }
            other => Err(fail(format!(
                "{{p}}: unsupported expose value {}",
                go_format('s', other)
            ))),
        },
    }
}

/// compose-go's path of a list item: `services.web.ports.[0]`.
fn item_path(path: &[String], i: usize) -> String {
    format!("{}.[{i}]", dotted(path))
}

/// The target of a short-syntax volume (`src:dst[:opts]`, `dst`, `C:\src:dst`), with compose's
/// errors for an empty spec, an empty section and too many colons.
fn volume_target(spec: &str) -> Result<String, String> {
    match spec.len() {
        0 => return Err("invalid empty volume spec".into()),
        1 | 2 => return Ok(spec.to_string()),
        _ => {}
    }
    let bytes = spec.as_bytes();
    let mut source = String::new();
    let mut target = String::new();
    let mut buffer = String::new();
    let mut in_var = 0usize;
    let chars = spec
        .char_indices()
        .chain(std::iter::once((spec.len(), '\0')));
    for (i, c) in chars {
        if c == '$' && bytes.get(i + 1) == Some(&b'{') {
            in_var += 1;
            buffer.push(c);
            continue;
        }
        if c == '}' && in_var > 0 {
            in_var -= 1;
            buffer.push(c);
            continue;
        }
        let mut buf_chars = buffer.chars();
        let windows_drive = c == ':'
            && matches!((buf_chars.next(), buf_chars.next()), (Some(l), None) if l.is_alphabetic());
        if windows_drive {
            buffer.push(c);
        } else if (c == ':' || c == '\0') && in_var == 0 {
            let problem = if buffer.is_empty() {
                Some("empty section between colons")
            } else if source.is_empty() && c == '\0' {
                target = std::mem::take(&mut buffer);
                None
            } else if source.is_empty() {
                source = std::mem::take(&mut buffer);
                None
            } else if target.is_empty() {
                target = std::mem::take(&mut buffer);
                None
            } else if c == ':' {
                Some("too many colons")
            } else {
                None // options: not part of the key
            };
            if let Some(problem) = problem {
                return Err(format!("invalid spec: {spec}: {problem}"));
            }
            buffer.clear();
        } else {
            buffer.push(c);
        }
    }
    Ok(target)
}

// ---------------------------------------------------------------------------------------------
// Go's fmt, for the texts compose-go builds from YAML values

/// The Go type name of a decoded YAML value, as `%T` prints it.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int",
        Value::Number(n) if n.is_u64() => "uint64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// `fmt.Sprintf("%<verb>", v)` for verbs `v`, `s` and `d`, wrong-type markers included
/// (`%!d(string=80)`), so that keys built from odd values compare as compose-go's do.
fn go_format(verb: char, v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|i| go_format(verb, i)).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        go_format(verb, &Value::String(k.clone())),
                        go_format(verb, v)
                    )
                })
                .collect();
            format!("map[{}]", inner.join(" "))
        }
        Value::Null if verb == 'v' => "<nil>".into(),
        Value::Null => format!("%!{verb}(<nil>)"),
        _ => {
            let plain = match v {
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => i.to_string(),
                    (_, Some(u), _) => u.to_string(),
                    (_, _, Some(f)) => go_g(f),
                    _ => n.to_string(),
                },
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            let fits = match verb {
                'v' => true,
                's' => v.is_string(),
                'd' => v.is_i64() || v.is_u64(),
                _ => false,
            };
            if fits {
                plain
            } else {
                format!("%!{verb}({}={plain})", go_type(v))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::yaml;
    use serde_json::json;

    fn layered(files: &[&str]) -> Result<Value, MergeError> {
        let mut acc = json!({});
        for f in files {
            let (tree, locs) = yaml::parse(f).expect("yaml");
            merge_layer(&mut acc, tree, locs.tagged())?;
        }
        Ok(acc)
    }

    #[test]
    fn merges_services() {
        let mut base = json!({"services": {"web": {
            "image": "a", "command": ["x", "y"], "ports": ["80"],
            "environment": ["A=1", "B=2"], "volumes": ["dv:/data", "/anon"]}}});
        merge_files(
            &mut base,
            json!({"services": {"web": {
            "image": "b", "command": ["z"], "ports": ["80", "81"],
            "environment": {"B": "3"}, "volumes": ["ev:/data"]}, "db": {"image": "p"}}}),
        );
        let web = &base["services"]["web"];
        assert_eq!(web["image"], "b");
        assert_eq!(web["command"], json!(["z"]));
        assert_eq!(web["ports"], json!(["80", "81"]));
        assert_eq!(web["environment"], json!(["A=1", "B=3"]));
        assert_eq!(web["volumes"], json!(["ev:/data", "/anon"]));
        assert_eq!(base["services"]["db"]["image"], "p");
    }

    #[test]
    fn reset_and_override_tags() {
        let a = "services:\n  web:\n    image: a\n    command: [x]\n    ports: ['80', '81']\n    environment: {A: '1'}\n";
        let b = "services:\n  web:\n    command: !reset null\n    ports: !override ['90']\n    environment: !reset {}\n    labels: !reset []\n";
        let merged = layered(&[a, b]).unwrap();
        assert_eq!(
            merged,
            json!({"services": {"web": {"image": "a", "ports": ["90"]}}})
        );
        // A single file: tags resolved, nothing left of them.
        let single = layered(&[b]).unwrap();
        assert_eq!(single, json!({"services": {"web": {"ports": ["90"]}}}));
        let (plain, _) = yaml::parse(b).unwrap();
        assert_eq!(plain, single);
    }

    #[test]
    fn tags_through_anchors_and_sequences() {
        let a = "services:\n  web:\n    image: a\n    command: [x]\n    dns: [d1]\n";
        let b = "x-r: &r !reset null\nservices:\n  web:\n    command: *r\n    dns:\n      - !reset d2\n      - d3\n";
        let merged = layered(&[a, b]).unwrap();
        assert_eq!(
            merged["services"]["web"],
            json!({"image": "a", "dns": ["d1", "d3"]})
        );
    }

    #[test]
    fn override_mismatch_fails() {
        let err = layered(&[
            "services:\n  web:\n    ports: ['80']\n",
            "services:\n  web:\n    ports: '81'\n",
        ])
        .unwrap_err();
        assert_eq!(err.message, "cannot override services.web.ports");
        let err = layered(&["services:\n  web:\n    environment: [1]\n"]).unwrap_err();
        assert_eq!(
            err.message,
            "services.web.environment.[0]: unexpected type int"
        );
        let err = layered(&["services:\n  web:\n    volumes: ['ab::c']\n"]).unwrap_err();
        assert_eq!(
            err.message,
            "invalid spec: ab::c: empty section between colons"
        );
    }

    #[test]
    fn depends_on_and_build_shapes() {
        let merged = layered(&[
            "services:\n  web:\n    build: .\n    depends_on: [db]\n",
            "services:\n  web:\n    build: {dockerfile: D}\n    depends_on:\n      cache: {condition: service_healthy}\n",
        ])
        .unwrap();
        assert_eq!(
            merged["services"]["web"],
            json!({
                "build": {"context": ".", "dockerfile": "D"},
                "depends_on": {
                    "db": {"condition": "service_started", "required": true},
                    "cache": {"condition": "service_healthy"}
                }
            })
        );
    }

    #[test]
    fn go_formatting() {
        assert_eq!(go_g(1.0), "1");
        assert_eq!(go_g(1.5), "1.5");
        assert_eq!(go_g(123456.0), "123456");
        assert_eq!(go_g(1234567.0), "1.234567e+06");
        assert_eq!(go_g(0.0001), "0.0001");
        assert_eq!(go_g(0.00001), "1e-05");
        assert_eq!(go_g(-2.5e-7), "-2.5e-07");
        assert_eq!(go_format('d', &json!("80")), "%!d(string=80)");
        assert_eq!(go_format('s', &Value::Null), "%!s(<nil>)");
        assert_eq!(
            go_format('v', &json!({"b": 1, "a": [true, null]})),
            "map[a:[true <nil>] b:1]"
        );
    }

    #[test]
    fn volume_targets() {
        assert_eq!(volume_target("data:/b:ro").unwrap(), "/b");
        // A one-letter source is a Windows drive, as in compose-go.
        assert_eq!(volume_target("a:/b:ro").unwrap(), "ro");
        assert_eq!(volume_target("/anon").unwrap(), "/anon");
        assert_eq!(volume_target("C:\\x:/y").unwrap(), "/y");
        assert_eq!(volume_target("${A:-x}:/y").unwrap(), "/y");
        assert!(volume_target("ab:cd:ef:gh").is_err());
        assert!(volume_target("").is_err());
    }
}
