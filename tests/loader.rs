//! The reference loader's cases (../shared/conformance/loader-cases.json) run through rcompose's
//! loader: every `ok` input must load, every `error` input must fail naming the same key,
//! variable or file. Exceptions, each with its reason, are listed in
//! tests/conformance-exceptions.md and skipped by id.

use std::path::PathBuf;

use indexmap::IndexMap;
use rcompose::model::{LoadOptions, load};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/loader-cases.json"
    );
    let text = std::fs::read_to_string(path).expect("shared/conformance is beside the checkout");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Ids listed under "## loader-cases" in conformance-exceptions.md.
fn exceptions() -> Vec<String> {
    super::exceptions::listed("loader-cases")
}

/// Loads one case; Err carries the error text.
fn run_case(case: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let files: Vec<PathBuf> = case["files"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, f)| {
            let p = dir.path().join(format!("filename{i}.yml"));
            std::fs::write(&p, f.as_str().unwrap_or_default()).expect("write case file");
            p
        })
        .collect();
    let env: IndexMap<String, String> = case["env"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let options: Vec<&str> = case["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let opts = LoadOptions {
        files,
        cwd: dir.path().to_path_buf(),
        os_env: env,
        // A case without `name:` gets a fixed project name (the temp dir's would vary).
        project_name: Some("test".into()).filter(|_| {
            case["files"].as_array().is_some_and(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .all(|t| !t.contains("\nname:") && !t.starts_with("name:"))
            })
        }),
        skip_consistency: options.contains(&"SkipConsistencyCheck"),
        // Relative paths in the cases point at the reference loader's test data.
        project_directory: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/conformance/compose-go/loader"
        ))),
        ..Default::default()
    };
    load(&opts).map(|_| ()).map_err(|e| e.message)
}

#[test]
fn loader_cases() {
    let skip = exceptions();
    let all = cases();
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut run = 0;
    for case in &all {
        let id = case["id"].as_str().unwrap_or_default();
        if skip.iter().any(|s| s == id) {
            continue;
        }
        run += 1;
        let result = run_case(case);
        let ok = match (case["expect"].as_str(), &result) {
            (Some("ok"), Ok(())) => true,
            (Some("error"), Err(msg)) => {
                let want = case["expected_error"].as_str().unwrap_or_default();
                match case["error_match"].as_str() {
                    Some("any") | None => true,
                    _ => names_same_thing(msg, want),
                }
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "{id}: expected {} got {:?}",
                case["expect"], result
            ));
        }
    }
    println!(
        "loader-cases: {passed}/{run} passed ({} skipped as listed exceptions)",
        all.len() - run
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// True when our message names what compose's names: the same key path (compose writes list
/// indices as `.0`, rcompose as `[0]`), variable or file, or contains compose's text.
fn names_same_thing(ours: &str, theirs: &str) -> bool {
    let norm = |s: &str| s.replace('[', ".").replace(']', "").to_lowercase();
    let (o, t) = (norm(ours), norm(theirs));
    o.contains(&t)
        || t.split_whitespace()
            .filter(|w| w.contains('.') || w.contains('_'))
            .all(|w| {
                o.contains(w.trim_matches(|c: char| {
                    !c.is_alphanumeric() && c != '.' && c != '_' && c != '-'
                }))
            })
}
