//! `config`'s canonical output against compose's: the compose-go full example (YAML and JSON,
//! byte for byte), the normalization cases, and every sample of the real-world corpus (accepted,
//! and its printed config reads back to the same config). Data is read from ../shared at test
//! time, never copied here. Each group prints `passed/total`; exceptions are listed in
//! tests/conformance-exceptions.md under `## config-golden`.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use rcompose::model::canonical::{
    self, CanonicalOptions, Input, escape_dollars, json_layout, normalize, to_json, to_yaml,
};
use rcompose::model::interpolate::interpolate_tree;
use rcompose::model::load::{LoadOptions, load, load_with_stdin};
use rcompose::model::yaml;
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/");
const HOME: &str = "/home/golden";

/// Ids skipped on purpose: the `- `id`` items under `## config-golden` in
/// tests/conformance-exceptions.md (a file name of the golden pair, a normalize case id or a
/// corpus sample directory).
fn exceptions() -> Vec<String> {
    super::exceptions::listed("config-golden")
}

fn report(group: &str, passed: usize, total: usize, failures: &[String]) {
    println!("config-golden {group}: {passed}/{total} passed");
    assert!(
        failures.is_empty(),
        "{group}: {} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// First differing line of two texts, for readable failures.
fn first_difference(got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {}: got {g:?}, want {w:?}", i + 1);
        }
    }
    format!(
        "lengths differ: got {} lines, want {} lines",
        got.lines().count(),
        want.lines().count()
    )
}

// ---------------------------------------------------------------------------------------------
// The full example (compose-go's project marshalled without normalization)

/// The example's directory, absolute and clean (it is the project directory).
fn example_dir() -> String {
    let dir = format!("{SHARED}conformance/compose-go-full-example");
    std::fs::canonicalize(&dir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or(dir)
}

fn full_example() -> (String, String) {
    let dir = example_dir();
    let text = std::fs::read_to_string(format!("{dir}/full-example.yml")).unwrap();
    let env: IndexMap<String, String> = [
        ("HOME", HOME),
        ("QUX", "qux_from_environment"),
        ("COMPOSE_PROJECT_NAME", "full_example_project_name"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (mut tree, _) = yaml::parse(&text).expect("full example parses");
    interpolate_tree(&mut tree, &|k| env.get(k).cloned(), &mut Vec::new())
        .expect("full example interpolates");
    // The reference marshals the project without normalization and keeps env_file/label_file.
    let options = CanonicalOptions {
        normalize: false,
        discard_env_files: false,
        prune: false,
        ..CanonicalOptions::default()
    };
    let out = canonical::canonical_with(
        &tree,
        &Input {
            project_name: "full_example_project_name",
            working_dir: Path::new(&dir),
            env: &env,
            options: &options,
            enabled: None,
            extensions: None,
            read_file: &|p| std::fs::read_to_string(p),
        },
    )
    .expect("full example is canonical");
    let yaml_text = escape_dollars(&to_yaml(&out));
    let json_text = escape_dollars(&to_json(&json_layout(&out)));
    (yaml_text, json_text)
}

fn expected(file: &str) -> String {
    let dir = example_dir();
    let text = std::fs::read_to_string(format!("{dir}/{file}"))
        .unwrap()
        .replace("{{WORKING_DIR}}", &dir)
        .replace("{{HOME_DIR}}", HOME);
    as_compose_2_40(&text)
}

/// The fixture comes from compose-go 2.10 or later, which omits `create_host_path` when true
/// and so prints `bind: {}` for a short-syntax bind. Docker Compose v2.40.3 (compose-go v2.9.1),
/// the release rcompose implements, prints `create_host_path: true` there (listed in
/// tests/conformance-exceptions.md).
fn as_compose_2_40(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let indent = &line[..line.len() - line.trim_start().len()];
        match line.trim() {
            "bind: {}" => out.push_str(&format!(
                "{indent}bind:\n{indent}  create_host_path: true\n"
            )),
            "\"bind\": {}," | "\"bind\": {}" => {
                let comma = if line.trim().ends_with(',') { "," } else { "" };
                out.push_str(&format!(
                    "{indent}\"bind\": {{\n{indent}  \"create_host_path\": true\n{indent}}}{comma}\n"
                ));
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[test]
fn config_golden_full_example() {
    let (yaml_text, json_text) = full_example();
    let skip = exceptions();
    let mut failures = Vec::new();
    let mut passed = 0;
    for (name, got, want) in [
        ("expected.yaml", yaml_text, expected("expected.yaml")),
        ("expected.json", json_text, expected("expected.json")),
    ] {
        if skip.iter().any(|e| e == name) {
            continue;
        }
        if got == want {
            passed += 1;
        } else {
            failures.push(format!(
                "{name}: {}\n--- got ---\n{got}",
                first_difference(&got, &want)
            ));
        }
    }
    report("full-example", passed, 2, &failures);
}

// ---------------------------------------------------------------------------------------------
// Normalization cases

#[test]
fn config_golden_normalize_cases() {
    let text =
        std::fs::read_to_string(format!("{SHARED}conformance/normalize-cases.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let skip = exceptions();
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        if skip.iter().any(|e| e == id) {
            continue;
        }
        let env: IndexMap<String, String> = case["env"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let (mut input, _) = yaml::parse(case["input"].as_str().unwrap()).unwrap();
        let (want, _) = yaml::parse(case["expected"].as_str().unwrap()).unwrap();
        let name = input["name"].as_str().unwrap_or_default().to_string();
        normalize(&mut input, &name, &env);
        // Maps compare regardless of key order.
        if input == want {
            passed += 1;
        } else {
            failures.push(format!(
                "{id}:\n got {}\nwant {}",
                serde_json::to_string(&input).unwrap(),
                serde_json::to_string(&want).unwrap()
            ));
        }
    }
    assert_eq!(
        cases.len(),
        9,
        "normalize-cases.json: unexpected number of cases"
    );
    report("normalize-cases", passed, cases.len(), &failures);
}

// ---------------------------------------------------------------------------------------------
// The corpus: accepted, and config of the config is the same config

fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let root = PathBuf::from(format!("{SHARED}corpus/awesome-compose"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        for name in [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
        ] {
            let f = d.join(name);
            if f.is_file() {
                out.push(f);
                break;
            }
        }
    }
    out
}

fn options_for(dir: &Path, files: Vec<PathBuf>) -> LoadOptions {
    LoadOptions {
        files,
        project_directory: Some(dir.to_path_buf()),
        cwd: dir.to_path_buf(),
        os_env: [("HOME".to_string(), HOME.to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

fn corpus_case(file: &Path) -> Result<(), String> {
    let dir = file.parent().unwrap();
    let first = load(&options_for(dir, vec![file.to_path_buf()]))
        .map_err(|e| format!("rejected: {}", e.message))?;
    let printed = escape_dollars(&to_yaml(&first.canonical));
    let second = load_with_stdin(&options_for(dir, vec![PathBuf::from("-")]), &mut || {
        Ok(printed.clone())
    })
    .map_err(|e| format!("its config is rejected: {}\n{printed}", e.message))?;
    let again = escape_dollars(&to_yaml(&second.canonical));
    if again != printed {
        return Err(format!(
            "not idempotent: {}\n--- first ---\n{printed}--- second ---\n{again}",
            first_difference(&again, &printed)
        ));
    }
    // The JSON form is laid out from the same tree and must print too.
    let json_text = to_json(&json_layout(&first.canonical));
    serde_json::from_str::<Value>(&json_text).map_err(|e| format!("JSON output: {e}"))?;
    Ok(())
}

#[test]
fn config_golden_corpus() {
    let files = corpus_files();
    let skip = exceptions();
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut skipped = 0;
    for f in &files {
        let id = f
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if skip.contains(&id) {
            skipped += 1;
            continue;
        }
        match corpus_case(f) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    assert!(
        files.len() >= 39,
        "only {} corpus samples found",
        files.len()
    );
    println!("config-golden corpus: {skipped} skipped");
    report("corpus", passed, files.len(), &failures);
}
