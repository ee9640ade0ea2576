//! The structural validator (`model::validate`) against the Compose Specification's official JSON
//! schema, used here as a test oracle only: read at test time from ../shared (never copied into
//! this repository) and run with the `jsonschema` crate. Checks that both agree on every loader
//! case, every real-world and fixture compose file, and a few thousand deterministic mutations of
//! valid files, and that our messages name what compose names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use rcompose::model::interpolate::interpolate_tree;
use rcompose::model::validate::{validate, validate_structure};
use rcompose::model::yaml;
use serde_json::{Map, Value, json};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/");
const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/compose-go/schema/compose-spec.json"
);

/// Inputs where our verdict differs from the schema's on purpose: (case id or file, reason).
/// Kept empty unless a difference is genuinely justified.
const EXCEPTIONS: &[(&str, &str)] = &[];

/// Messages of the rules compose applies after its schema (go/validation): a schema-valid file
/// that `validate` rejects must fail one of these.
const RULE_MESSAGES: &[&str] = &[
    "conflicting parameters \"external\"",
    "attributes are mutually exclusive",
    "must be set",
    "\"count\" and \"device_ids\" attributes are exclusive",
    "value can't be blank",
    "invalid ip address",
];

fn oracle() -> &'static jsonschema::Validator {
    static ORACLE: OnceLock<jsonschema::Validator> = OnceLock::new();
    ORACLE.get_or_init(|| {
        let text = std::fs::read_to_string(SCHEMA).expect("the vendored schema is in ../shared");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("schema compiles")
    })
}

fn is_excepted(id: &str) -> bool {
    EXCEPTIONS.iter().any(|(e, _)| *e == id)
}

/// Parses and interpolates one YAML text; None when it does not parse or interpolate (the
/// validator never sees such files).
fn tree(text: &str, env: &HashMap<String, String>) -> Option<(Value, yaml::Locations)> {
    let (mut v, locations) = yaml::parse(text).ok()?;
    interpolate_tree(&mut v, &|k| env.get(k).cloned(), &mut Vec::new()).ok()?;
    Some((v, locations))
}

fn loader_cases() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{SHARED}conformance/loader-cases.json"))
        .expect("loader cases are in ../shared");
    serde_json::from_str::<Vec<Value>>(&text).expect("loader cases are a JSON array")
}

fn case_env(case: &Value) -> HashMap<String, String> {
    case["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn case_texts(case: &Value) -> Vec<&str> {
    case["files"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

/// Real-world compose files (shared/corpus, named like compose files) plus compose-go's fixtures
/// and the full example, each with the environment it is meant to be read with.
fn corpus() -> Vec<(String, String, HashMap<String, String>)> {
    let mut files = Vec::new();
    let mut corpus = Vec::new();
    yaml_files(Path::new(&format!("{SHARED}corpus")), &mut corpus);
    corpus.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("compose"))
    });
    files.extend(corpus);
    yaml_files(
        Path::new(&format!("{SHARED}conformance/compose-go")),
        &mut files,
    );
    let mut out = Vec::new();
    for p in files {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let name = p.to_string_lossy().replace(SHARED, "");
        out.push((name, text, HashMap::new()));
    }
    let full = format!("{SHARED}conformance/compose-go-full-example/full-example.yml");
    let env: HashMap<String, String> = [
        ("HOME", "/home/user"),
        ("BAR", "this is a secret"),
        ("QUX", "qux_from_environment"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    out.push((
        "full-example.yml".to_string(),
        std::fs::read_to_string(full).expect("full example is in ../shared"),
        env,
    ));
    out
}

fn is_rule_message(message: &str) -> bool {
    RULE_MESSAGES.iter().any(|m| message.contains(m))
}

/// Compares one tree: the structural check must agree with the schema, and `validate` may only
/// add a rejection from one of compose's post-schema rules. Returns a description of any
/// disagreement.
fn compare(v: &Value, rules_apply: bool, expected_error: Option<&str>) -> Option<String> {
    let schema_ok = oracle().is_valid(v);
    let ours = validate_structure(v);
    if schema_ok != ours.is_ok() {
        return Some(match ours {
            Ok(()) => format!(
                "schema rejects ({}), we accept",
                oracle()
                    .iter_errors(v)
                    .next()
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .unwrap_or_default()
            ),
            Err(e) => format!("schema accepts, we reject: {e:?}"),
        });
    }
    if schema_ok
        && rules_apply
        && let Err(e) = validate(v)
    {
        let expected = expected_error.is_some_and(|x| e.message.contains(x));
        if !is_rule_message(&e.message) || !expected {
            return Some(format!("rule rejects a schema-valid file: {e:?}"));
        }
    }
    None
}

#[test]
fn agrees_with_the_schema_on_loader_cases_and_corpus() {
    let mut checked_cases = 0;
    let mut checked_trees = 0;
    let mut skipped = 0;
    let mut disagreements = Vec::new();
    for case in loader_cases() {
        let id = case["id"].as_str().unwrap_or("?").to_string();
        if is_excepted(&id) {
            continue;
        }
        let env = case_env(&case);
        let texts = case_texts(&case);
        let expected = (case["expect"] == "error")
            .then(|| case["expected_error"].as_str())
            .flatten();
        let mut any = false;
        for (i, text) in texts.iter().enumerate() {
            let Some((v, _)) = tree(text, &env) else {
                skipped += 1;
                continue;
            };
            any = true;
            checked_trees += 1;
            // compose applies its post-schema rules to the merged model: only a single-file
            // case is that model.
            if let Some(why) = compare(&v, texts.len() == 1, expected) {
                disagreements.push(format!("{id} file {i}: {why}"));
            }
        }
        checked_cases += usize::from(any);
    }
    let mut checked_files = 0;
    for (name, text, env) in corpus() {
        if is_excepted(&name) {
            continue;
        }
        let Some((v, _)) = tree(&text, &env) else {
            skipped += 1;
            continue;
        };
        checked_files += 1;
        if let Some(why) = compare(&v, true, None) {
            disagreements.push(format!("{name}: {why}"));
        }
    }
    println!(
        "schema agreement: {checked_cases} loader cases ({checked_trees} files), \
         {checked_files} corpus/fixture files, {skipped} unparsable skipped, \
         {} disagreements",
        disagreements.len()
    );
    assert!(
        checked_cases >= 200,
        "only {checked_cases} loader cases checked"
    );
    assert!(
        checked_files >= 39,
        "only {checked_files} corpus files checked"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Corners of the specification that neither the corpus nor the mutations reach: open versus
/// closed mappings, key and string patterns, integer bounds, JSON equality in unique lists.
#[test]
fn agrees_with_the_schema_on_corner_cases() {
    let svc = |s: Value| json!({"services": {"s": s}});
    let corners = [
        json!({"networks": {"my net": 1}}),
        json!({"volumes": {"my vol": {}}}),
        json!({"services": {"x-foo": {"image": 1}}}),
        json!({"services": {"a b": {}}}),
        json!({"models": {"a b": 5}}),
        json!({"models": {"m": {}}}),
        json!({"secrets": {"s": null}}),
        json!({"volumes": {"v": null}, "networks": {"n": null}}),
        json!({"volumes": {"v": {"external": {"name": "x", "other": 1}}}}),
        json!({"secrets": {"s": {"external": {"name": "x", "other": 1}}}}),
        json!({"configs": {"c": {"external": {"other": 1}}}}),
        json!({"networks": {"n": {"external": "yes", "ipam": {"options": {"a\nb": "x"}}}}}),
        json!({"networks": {"n": {"ipam": {"options": {"": "x"}}}}}),
        json!({"networks": {"n": {"driver_opts": {"a\nb": [1]}}}}),
        json!({"name": null}),
        json!({"version": 3}),
        json!({"include": ["a", {"path": 1}]}),
        json!({"include": [{"path": "a", "x-a": 1}]}),
        svc(json!({"ulimits": {"NOFILE": "x"}})),
        svc(json!({"ulimits": {"nofile": {"soft": 1}}})),
        svc(json!({"ulimits": {"nofile": 1.5}})),
        svc(json!({"environment": {"": "x"}})),
        svc(json!({"environment": {"a\nb": "x"}})),
        svc(json!({"environment": ["A=1", "A=1"]})),
        svc(json!({"logging": {"options": {"": [1]}}})),
        svc(json!({"ports": [80, 80.0]})),
        svc(json!({"ports": [{"target": 80}, {"target": 80.0}]})),
        svc(json!({"ports": [{"target": 80, "published": 1}, {"published": 1, "target": 80}]})),
        svc(json!({"expose": ["80", 80]})),
        svc(json!({"cpu_count": 2.0})),
        svc(json!({"cpu_count": -1})),
        svc(json!({"cpu_count": 18_446_744_073_709_551_615u64})),
        svc(json!({"cpu_percent": 101})),
        svc(json!({"cpu_percent": 100.0})),
        svc(json!({"oom_score_adj": -1000})),
        svc(json!({"oom_score_adj": -1001})),
        svc(json!({"container_name": "a"})),
        svc(json!({"container_name": "-ab"})),
        svc(json!({"container_name": "é1"})),
        svc(json!({"container_name": "x."})),
        svc(json!({"pull_policy": "xx_always_yy"})),
        svc(json!({"pull_policy": "every_"})),
        svc(json!({"pull_policy": "every_5"})),
        svc(json!({"pull_policy": "every_5x"})),
        svc(json!({"pull_policy": "every_12hours"})),
        svc(json!({"gpus": "all"})),
        svc(json!({"gpus": "ALL"})),
        svc(json!({"gpus": [{"foo": 1}]})),
        svc(json!({"gpus": [{"count": "x", "device_ids": "y"}]})),
        svc(json!({"depends_on": {"db": {"condition": "service_started", "x-a": 1}}})),
        svc(json!({"depends_on": {"x-db": {"condition": "service_started"}}})),
        svc(json!({"depends_on": {"db": {}}})),
        svc(json!({"depends_on": {"db": {"condition": "service_started", "required": "true"}}})),
        svc(json!({"depends_on": ["a", "a"]})),
        svc(json!({"healthcheck": {"test": []}})),
        svc(json!({"command": null, "entrypoint": [], "pid": null})),
        svc(json!({"deploy": null, "develop": null})),
        svc(
            json!({"deploy": {"resources": {"reservations": {"devices": [{"capabilities": []}]}}}}),
        ),
        svc(json!({"networks": {"n": null, "m": {"priority": "1"}}})),
        svc(json!({"networks": {"a b": null}})),
        svc(json!({"models": {"a b": 1}})),
        svc(json!({"build": {"ssh": null}})),
        svc(json!({"build": {"contxt": "."}})),
        svc(json!({"storage_opt": {"size": [1]}})),
        svc(json!({"storage_opt": []})),
        svc(json!({"volumes": [{"type": "bind", "bind": {"selinux": "Z"}}]})),
        svc(json!({"volumes": [{"type": "npipe", "tmpfs": {"size": "1g"}}]})),
        svc(json!({"volumes": [{"source": "a"}]})),
        svc(json!({"extends": {"file": "a"}})),
        svc(json!({"extends": {"service": "a", "x-a": 1}})),
        svc(json!({"env_file": [{"path": "a", "x-a": 1}]})),
        svc(json!({"provider": {"type": "t", "options": {"a": [[1]]}}})),
        svc(json!({"use_api_socket": "true"})),
        svc(json!({"x-anything": {"goes": [null]}})),
    ];
    let mut disagreements = Vec::new();
    for (i, v) in corners.iter().enumerate() {
        let schema_ok = oracle().is_valid(v);
        let ours = validate_structure(v);
        if schema_ok != ours.is_ok() {
            disagreements.push(format!("#{i} {v}: schema {schema_ok}, ours {ours:?}"));
        }
    }
    println!(
        "corner agreement: {} cases, {} disagreements",
        corners.len(),
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Mutations.

/// A valid file of our own that exercises the long forms the corpus rarely uses.
const RICH: &str = r#"
name: rich
include:
  - other.yaml
  - path: [a.yaml, b.yaml]
    env_file: .env
services:
  web:
    image: nginx
    build:
      context: .
      args: {A: "1"}
      secrets: [token]
      ulimits: {nofile: {soft: 1, hard: 2}}
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: [node_modules]
        - path: ./pkg
          action: sync+exec
          exec:
            command: ["make"]
    volumes:
      - ./a:/a
      - type: volume
        source: data
        target: /data
        volume: {nocopy: true, subpath: x}
      - type: bind
        source: ./b
        target: /b
        bind: {create_host_path: true, selinux: z, recursive: enabled}
      - type: tmpfs
        target: /t
        tmpfs: {size: 1024, mode: 0755}
    ports:
      - "80:80"
      - target: 443
        published: "8443"
        host_ip: 127.0.0.1
        protocol: tcp
    depends_on:
      db:
        condition: service_healthy
        restart: true
        required: false
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 50M, pids: 10}
        reservations:
          devices:
            - capabilities: [gpu]
              count: 1
              driver: nvidia
      restart_policy: {condition: on-failure, max_attempts: 3}
      update_config: {parallelism: 2, order: start-first}
    healthcheck:
      test: ["CMD", "true"]
      interval: 10s
      retries: 3
    networks:
      front:
        aliases: [w]
        ipv4_address: 10.0.0.2
        priority: 10
      back:
    environment:
      A: 1
      B: null
    env_file:
      - .env
      - path: other.env
        required: false
    logging:
      driver: json-file
      options: {max-size: 10m}
    ulimits:
      nproc: 65535
      nofile: {soft: 1, hard: 2}
    extra_hosts:
      host: 1.2.3.4
    cpu_count: 2
    cpu_percent: 50
    oom_score_adj: -500
    cgroup: host
    pull_policy: daily
    container_name: web-1
    gpus:
      - driver: nvidia
        count: 1
    post_start:
      - command: echo hi
        user: root
    pre_start:
      - command: [init]
        image: busybox
    blkio_config:
      weight: 300
      device_read_bps: [{path: /dev/sda, rate: 1024k}]
    models:
      llm:
        endpoint_var: URL
    devices:
      - /dev/a:/dev/a
      - source: /dev/b
        permissions: rwm
    provider:
      type: model
      options: {model: ai/x, flags: [a, 1, true]}
    extends:
      service: base
      file: base.yaml
    x-meta: {a: 1}
  db:
    image: postgres
    command: ["postgres", "-c", "x=1"]
    tmpfs: /run
    expose: [5432, "5433"]
networks:
  front:
    driver: bridge
    ipam:
      config:
        - subnet: 10.0.0.0/24
          aux_addresses: {host1: 10.0.0.5}
  back:
    external: true
volumes:
  data:
    driver_opts: {type: none, o: bind}
    labels: [a=b]
secrets:
  token:
    file: ./token
configs:
  conf:
    content: hello
models:
  llm:
    model: ai/smollm2
    context_size: 1024
x-anchor: {a: 1}
"#;

/// Replacement values for "wrong type" mutations, one per JSON type (and a negative, a float).
fn replacements() -> Vec<Value> {
    vec![
        json!("text"),
        json!(7),
        json!(-3),
        json!(2.5),
        json!(true),
        Value::Null,
        json!([]),
        json!(["a", "a"]),
        json!({}),
        json!({"k": "v"}),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn node_at<'v>(v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn all_paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(Step::Key(k.clone()));
                all_paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                all_paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// A typo of `key`: swap its first two letters after the first (`image` → `imgae`), or append
/// `s` to a short key.
fn typo(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 4 {
        return format!("{key}s");
    }
    let mut c = chars.clone();
    let i = chars.len() / 2;
    c.swap(i - 1, i);
    if c == chars {
        c.remove(i);
    }
    c.into_iter().collect()
}

/// Every mutation of `base`, in a fixed order: each node replaced by each wrong-typed value,
/// each mapping given an unknown key, each key renamed to a typo and each key removed.
fn mutations(base: &Value) -> Vec<(String, Value)> {
    let mut paths = Vec::new();
    all_paths(base, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    let show = |p: &[Step]| -> String {
        p.iter()
            .map(|s| match s {
                Step::Key(k) => format!(".{k}"),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect()
    };
    for path in &paths {
        let here = show(path);
        if !path.is_empty() {
            for r in replacements() {
                let mut m = base.clone();
                if let Some(n) = node_at(&mut m, path)
                    && *n != r
                {
                    *n = r.clone();
                    out.push((format!("{here} = {r}"), m));
                }
            }
        }
        let Some(Value::Object(obj)) = node_at(&mut base.clone(), path).cloned() else {
            continue;
        };
        let mut m = base.clone();
        if let Some(Value::Object(o)) = node_at(&mut m, path) {
            o.insert("not_a_key".to_string(), json!(1));
            out.push((format!("{here} + not_a_key"), m));
        }
        for key in obj.keys() {
            let renamed: Map<String, Value> = obj
                .iter()
                .map(|(k, v)| (if k == key { typo(k) } else { k.clone() }, v.clone()))
                .collect();
            let mut m = base.clone();
            if let Some(n) = node_at(&mut m, path) {
                *n = Value::Object(renamed);
                out.push((format!("{here}.{key} -> {}", typo(key)), m));
            }
            let mut m = base.clone();
            if let Some(Value::Object(o)) = node_at(&mut m, path) {
                o.shift_remove(key);
                out.push((format!("{here} - {key}"), m));
            }
        }
    }
    out
}

#[test]
fn agrees_with_the_schema_on_mutations() {
    let mut bases: Vec<(String, Value)> = Vec::new();
    let (rich, _) = tree(RICH, &HashMap::new()).expect("RICH parses");
    assert!(oracle().is_valid(&rich), "RICH must be schema-valid");
    assert_eq!(validate(&rich), Ok(()));
    bases.push(("rich".to_string(), rich));
    for (name, text, env) in corpus() {
        let wanted = [
            "awesome-compose/elasticsearch-logstash-kibana/",
            "awesome-compose/nginx-golang-mysql/",
            "awesome-compose/react-java-mysql/",
            "awesome-compose/wasmedge-kafka-mysql/",
            "full-example.yml",
        ];
        if wanted.iter().any(|w| name.contains(w))
            && let Some((v, _)) = tree(&text, &env)
            && oracle().is_valid(&v)
        {
            bases.push((name, v));
        }
    }
    assert!(bases.len() >= 4, "too few base files: {}", bases.len());
    let mut checked = 0;
    let mut rejected = 0;
    let mut disagreements = Vec::new();
    for (name, base) in &bases {
        for (what, m) in mutations(base) {
            checked += 1;
            let schema_ok = oracle().is_valid(&m);
            let ours = validate_structure(&m);
            rejected += usize::from(!schema_ok);
            if schema_ok != ours.is_ok() {
                disagreements.push(format!(
                    "{name} {what}: schema {}, ours {ours:?}",
                    if schema_ok { "accepts" } else { "rejects" }
                ));
            }
        }
    }
    println!(
        "mutation agreement: {checked} mutations of {} files ({rejected} invalid), {} disagreements",
        bases.len(),
        disagreements.len()
    );
    assert!(checked >= 500, "only {checked} mutations");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Messages.

#[test]
fn names_what_compose_names_for_rejected_loader_cases() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in loader_cases() {
        if case["expect"] != "error" {
            continue;
        }
        let id = case["id"].as_str().unwrap_or("?");
        let Some(expected) = case["expected_error"].as_str() else {
            continue;
        };
        // Non-string keys are the YAML layer's to report (the tree only has string keys).
        let texts = case_texts(&case);
        if texts.len() != 1 || expected.starts_with("non-string key") {
            continue;
        }
        let env = case_env(&case);
        let Some((v, locations)) = tree(texts[0], &env) else {
            continue;
        };
        let Err(e) = validate(&v) else {
            if !oracle().is_valid(&v) {
                failures.push(format!("{id}: schema rejects, we accept"));
            }
            continue;
        };
        checked += 1;
        // compose prefixes schema errors with "validating <file>: ".
        let expected = expected.rsplit_once("yml: ").map_or(expected, |(_, m)| m);
        if !e.message.contains(expected) {
            failures.push(format!(
                "{id}: {:?} does not contain {expected:?}",
                e.message
            ));
        }
        if !e.path.is_empty() && locations.find(&e.path).is_none() {
            failures.push(format!("{id}: path {:?} is not in the file", e.path));
        }
    }
    println!("messages: {checked} rejected loader cases checked");
    assert!(checked >= 12, "only {checked} cases rejected");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn paths_point_into_the_file() {
    let text = "services:\n  web:\n    image: nginx\n    ports:\n      - 80\n      - [1]\n";
    let (v, locations) = yaml::parse(text).expect("parses");
    let e = validate(&v).expect_err("invalid");
    assert_eq!(e.path, "services.web.ports[1]");
    assert!(
        e.message.starts_with("services.web.ports.1 must be a"),
        "{e:?}"
    );
    assert!(locations.find_exact(&e.path));
}

#[test]
fn is_fast_on_a_hundred_services() {
    let (rich, _) = tree(RICH, &HashMap::new()).expect("RICH parses");
    let web = rich["services"]["web"].clone();
    let mut services = Map::new();
    for i in 0..100 {
        services.insert(format!("web{i}"), web.clone());
    }
    let mut big = rich.clone();
    big["services"] = Value::Object(services);
    let start = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        assert_eq!(validate(&big), Ok(()));
    }
    let per_service = start.elapsed() / (rounds * 100);
    println!("validate: {per_service:?} per service");
    assert!(
        per_service.as_micros() < 1000,
        "{per_service:?} per service is too slow"
    );
}
