//! Conformance of compose-file merging with compose-go: the 71 merge / unicity cases of
//! `../shared/conformance/merge-cases.json` (read at test time, never copied here), plus the
//! `!reset` / `!override` tags through the loader's per-file call, `merge::merge_layer`.
//!
//! A case's `stage` says what runs on its `files`: `merge` (compose-go's `Merge` of the second
//! file into the first), `merge+unicity` (the same, then `EnforceUnicity`) or `unicity` (on the
//! single file). Trees compare as JSON values: mappings regardless of key order, lists in order.
//! Cases that cannot pass on purpose would be listed in `tests/conformance-exceptions.md` and in
//! [`EXCEPTIONS`]; there are none.

use rcompose::model::merge::{self, MergeError};
use rcompose::model::yaml;
use serde_json::{Value, json};

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/merge-cases.json"
);

/// Case ids skipped on purpose (see tests/conformance-exceptions.md).
const EXCEPTIONS: &[&str] = &[];

fn parse(text: &str) -> Result<(Value, yaml::Locations), String> {
    yaml::parse(text).map_err(|e| format!("yaml: {} at {:?}", e.message, e.position))
}

fn run_case(case: &Value) -> Result<(), String> {
    let stage = case["stage"].as_str().ok_or("no stage")?;
    let files: Vec<&str> = case["files"]
        .as_array()
        .ok_or("no files")?
        .iter()
        .map(|f| f.as_str().ok_or("a file is not a string"))
        .collect::<Result<_, _>>()?;
    let (expected, _) = parse(case["expected"].as_str().ok_or("no expected")?)?;
    let err = |e: MergeError| e.message;
    let got = match stage {
        "merge" | "merge+unicity" => {
            let [first, rest @ ..] = files.as_slice() else {
                return Err("no files".into());
            };
            let (mut tree, _) = parse(first)?;
            for f in rest {
                let (over, locations) = parse(f)?;
                merge::apply_tags(&mut tree, locations.tagged());
                merge::merge(&mut tree, over).map_err(err)?;
            }
            if stage == "merge+unicity" {
                merge::enforce_unicity(&mut tree).map_err(err)?;
            }
            tree
        }
        "unicity" => {
            let [only] = files.as_slice() else {
                return Err("unicity takes one file".into());
            };
            let (mut tree, _) = parse(only)?;
            merge::enforce_unicity(&mut tree).map_err(err)?;
            tree
        }
        other => return Err(format!("unknown stage {other}")),
    };
    // The loader's path (every file through merge_layer, from an empty mapping) must agree.
    if stage != "merge" {
        let mut layered = json!({});
        for f in &files {
            let (tree, locations) = parse(f)?;
            merge::merge_layer(&mut layered, tree, locations.tagged()).map_err(err)?;
        }
        if layered != expected {
            return Err(format!(
                "merge_layer differs:\n got      {layered}\n expected {expected}"
            ));
        }
    }
    if got == expected {
        Ok(())
    } else {
        Err(format!("\n got      {got}\n expected {expected}"))
    }
}

#[test]
fn merge_cases() {
    let text = std::fs::read_to_string(CASES).unwrap_or_else(|e| panic!("reading {CASES}: {e}"));
    let cases: Vec<Value> = match serde_json::from_str(&text) {
        Ok(Value::Array(items)) => items,
        other => panic!("{CASES}: expected a JSON array, got {other:?}"),
    };
    let mut passed = 0;
    let mut skipped = 0;
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let id = case["id"].as_str().unwrap_or("?");
        if EXCEPTIONS.contains(&id) {
            skipped += 1;
            continue;
        }
        match run_case(case) {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("#{i} {id}: {why}")),
        }
    }
    println!(
        "merge-cases: {passed}/{} passed ({skipped} skipped)",
        cases.len()
    );
    assert_eq!(cases.len(), 71, "unexpected number of merge cases");
    assert!(
        failures.is_empty(),
        "{} merge case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs files through the loader's per-file call.
fn layered(files: &[&str]) -> Result<Value, String> {
    let mut acc = json!({});
    for f in files {
        let (tree, locations) = parse(f)?;
        merge::merge_layer(&mut acc, tree, locations.tagged()).map_err(|e| e.message)?;
    }
    Ok(acc)
}

#[test]
fn reset_removes_earlier_values() {
    let base = "
services:
  web:
    image: nginx
    command: [run, --fast]
    ports: ['80:80', '443:443']
    environment:
      A: '1'
      B: '2'
    build:
      context: .
      args: [X=1]
";
    let over = "
services:
  web:
    command: !reset null
    ports: !reset []
    environment: !reset {}
    build:
      args: !reset
";
    let merged = layered(&[base, over]).unwrap();
    assert_eq!(
        merged,
        json!({"services": {"web": {"image": "nginx", "build": {"context": "."}}}})
    );
}

#[test]
fn override_replaces_without_merging() {
    let base = "
services:
  web:
    image: nginx
    ports: ['80:80']
    environment: {A: '1', B: '2'}
    networks:
      front: {aliases: [a]}
";
    let over = "
services:
  web:
    ports: !override ['8080:80']
    environment: !override
      C: '3'
    networks: !override [back]
";
    let merged = layered(&[base, over]).unwrap();
    assert_eq!(
        merged,
        json!({"services": {"web": {
            "image": "nginx",
            "ports": ["8080:80"],
            "environment": {"C": "3"},
            "networks": ["back"]
        }}})
    );
}

#[test]
fn a_single_file_has_its_tags_resolved() {
    let text = "
services:
  web:
    image: nginx
    command: !reset [x]
    ports: !override ['80']
    dns:
      - !reset 1.1.1.1
      - 8.8.8.8
";
    let expected =
        json!({"services": {"web": {"image": "nginx", "ports": ["80"], "dns": ["8.8.8.8"]}}});
    let (tree, locations) = parse(text).unwrap();
    assert_eq!(tree, expected);
    let tags: Vec<(yaml::MergeTag, String)> = locations
        .tagged()
        .iter()
        .map(|t| (t.tag, t.path.join(".")))
        .collect();
    assert_eq!(
        tags,
        vec![
            (yaml::MergeTag::Reset, "services.web.command".to_string()),
            (yaml::MergeTag::Override, "services.web.ports".to_string()),
            (yaml::MergeTag::Reset, "services.web.dns.0".to_string()),
        ]
    );
    assert_eq!(layered(&[text]).unwrap(), expected);
}

#[test]
fn tags_travel_through_aliases_and_merge_keys() {
    let base = "
services:
  web:
    image: nginx
    command: [a]
    entrypoint: [b]
";
    let over = "
x-clear: &clear
  command: !reset null
x-empty: &empty !reset []
services:
  web:
    <<: *clear
    entrypoint: *empty
";
    let merged = layered(&[base, over]).unwrap();
    // The anchors' own keys are reset too: `x-clear` is left empty, `x-empty` is gone.
    assert_eq!(
        merged,
        json!({"x-clear": {}, "services": {"web": {"image": "nginx"}}})
    );
}

#[test]
fn tags_inside_an_override_are_plain_and_sequence_items_are_not_reset_in_the_base() {
    let base = "
services:
  web:
    image: nginx
    dns: [1.1.1.1, 8.8.8.8]
    labels: {a: '1'}
";
    let over = "
services:
  web:
    dns:
      - !reset 1.1.1.1
      - 9.9.9.9
    healthcheck: !override
      test: !reset [CMD, true]
";
    let merged = layered(&[base, over]).unwrap();
    assert_eq!(
        merged["services"]["web"],
        json!({
            "image": "nginx",
            "dns": ["1.1.1.1", "8.8.8.8", "9.9.9.9"],
            "labels": {"a": "1"},
            "healthcheck": {"test": ["CMD", true]}
        })
    );
}

#[test]
fn merge_errors_name_the_path() {
    let err = layered(&[
        "services:\n  web:\n    ports: ['80']\n",
        "services:\n  web:\n    ports: {a: b}\n",
    ])
    .unwrap_err();
    assert_eq!(err, "cannot override services.web.ports");
    let err = layered(&["services:\n  web:\n    ports: [{published: '80'}]\n"]).unwrap_err();
    assert_eq!(
        err,
        "service ports services.web.ports.[0] is missing a target port"
    );
    let err = layered(&["services:\n  web:\n    volumes: [{source: a}]\n"]).unwrap_err();
    assert_eq!(
        err,
        "service volume services.web.volumes.[0] is missing a mount target"
    );
}

#[test]
fn lenient_merge_files_never_fails() {
    let mut base = json!({"services": {"web": {"ports": ["80"], "environment": [1, "A=1"]}}});
    merge::merge_files(
        &mut base,
        json!({"services": {"web": {"ports": "81", "environment": {"A": "2"}}}}),
    );
    assert_eq!(
        base,
        json!({"services": {"web": {"ports": "81", "environment": [1, "A=1", "A=2"]}}})
    );
}

#[test]
fn any_pair_of_case_files_merges_without_panicking() {
    let text = std::fs::read_to_string(CASES).unwrap_or_else(|e| panic!("reading {CASES}: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
    let mut trees: Vec<Value> = cases
        .iter()
        .flat_map(|c| {
            let files = c["files"].as_array().cloned().unwrap_or_default();
            files.into_iter().chain([c["expected"].clone()])
        })
        .filter_map(|f| parse(f.as_str()?).ok().map(|(t, _)| t))
        .collect();
    trees.extend([
        Value::Null,
        json!(1),
        json!([]),
        json!({"services": {"test": null}}),
        json!({"services": {"test": {"build": 1, "logging": [], "depends_on": [1, {}],
            "ports": [1.5, true, null, {"target": "80"}], "ulimits": {"nofile": null}}}}),
        json!({"networks": {"network1": {"ipam": {"config": [1, [], {"subnet": null}]}}}}),
    ]);
    let mut seen = std::collections::HashSet::new();
    trees.retain(|t| seen.insert(t.to_string()));
    for a in &trees {
        for b in &trees {
            let mut strict = a.clone();
            let _ = merge::merge_layer(&mut strict, b.clone(), &[]);
            let mut lenient = a.clone();
            merge::merge_files(&mut lenient, b.clone());
        }
    }
}

#[test]
fn extends_honours_reset_of_the_local_definition() {
    let text = "
services:
  foo:
    extends:
      service: bar
    volumes: !reset []
    environment: {A: '2'}
  bar:
    image: alpine
    command: echo
    volumes:
      - .:/src
    environment: {A: '1', B: '1'}
";
    let (mut tree, locations) = parse(text).unwrap();
    let local = tree["services"]["foo"].take();
    let mut base = tree["services"]["bar"].clone();
    merge::extend_service(&mut base, local, "foo", locations.tagged()).unwrap();
    assert_eq!(
        base,
        json!({
            "image": "alpine",
            "command": "echo",
            "environment": ["A=1", "B=1", "A=2"],
            "extends": {"service": "bar"}
        })
    );
}
