//! Conformance of the `.env` parser and the interpolation engine with compose-go, using the
//! cases extracted from its test suite in `../shared/conformance` (read at test time, never
//! copied into this repository). Each test prints `passed/total` for its file and fails listing
//! every case that did not pass. Cases that cannot pass on purpose would be listed in
//! `tests/conformance-exceptions.md` and in [`EXCEPTIONS`]; there are none.

use indexmap::IndexMap;
use rcompose::model::dotenv;
use rcompose::model::interpolate::{
    self, InterpolationError, extract_tree_variables, interpolate, interpolate_tree,
    substitution_operator,
};
use serde_json::{Value, json};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/conformance/");

/// Case ids skipped on purpose (see tests/conformance-exceptions.md).
const EXCEPTIONS: &[&str] = &[];

fn cases(file: &str) -> Vec<Value> {
    let path = format!("{DIR}{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    match serde_json::from_str(&text) {
        Ok(Value::Array(items)) => items,
        other => panic!("{path}: expected a JSON array, got {other:?}"),
    }
}

fn case_id(case: &Value, index: usize) -> String {
    let id = case["id"].as_str().or(case["name"].as_str()).unwrap_or("?");
    format!("#{index} {id}")
}

/// Runs `check` on every case, prints the summary and fails with the list of failures.
fn run(file: &str, expected_total: usize, check: impl Fn(&Value) -> Result<(), String>) {
    let all = cases(file);
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut skipped = 0;
    for (i, case) in all.iter().enumerate() {
        if case["id"]
            .as_str()
            .is_some_and(|id| EXCEPTIONS.contains(&id))
        {
            skipped += 1;
            continue;
        }
        match check(case) {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("{}: {why}", case_id(case, i))),
        }
    }
    println!("{file}: {passed}/{} passed ({skipped} skipped)", all.len());
    assert_eq!(
        all.len(),
        expected_total,
        "{file}: unexpected number of cases"
    );
    assert!(
        failures.is_empty(),
        "{file}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn string_map(v: &Value) -> Option<IndexMap<String, String>> {
    let obj = v.as_object()?;
    Some(
        obj.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
    )
}

fn str_field<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
    case[key]
        .as_str()
        .ok_or_else(|| format!("case has no string `{key}`"))
}

fn error_matches(actual: &str, case: &Value) -> Result<(), String> {
    let expected = case["expected_error"].as_str().unwrap_or_default();
    let ok = match case["error_match"].as_str().unwrap_or("exact") {
        "any" => true,
        "contains" => actual.contains(expected),
        _ => actual == expected,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("error {actual:?}, expected {expected:?}"))
    }
}

// ---------------------------------------------------------------------------------------------
// dotenv-cases.json

/// godotenv's `Read`, `ReadWithLookup` and `Load` drop keys starting with a digit (after optional
/// whitespace); compose itself uses `GetEnvFromFile` / `ParseWithLookup`, which keep them.
fn drop_digit_keys(map: IndexMap<String, String>) -> IndexMap<String, String> {
    map.into_iter()
        .filter(|(k, _)| !k.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

fn dotenv_case(case: &Value) -> Result<(), String> {
    let api = str_field(case, "api")?;
    let lookup_env = string_map(&case["lookup_env"]);
    let lookup = |k: &str| lookup_env.as_ref().and_then(|m| m.get(k).cloned());
    let result: Result<IndexMap<String, String>, String> = if api == "GetEnvFromFile" {
        let texts: Vec<&str> = case["files"]
            .as_array()
            .ok_or("case has no `files`")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let names: Vec<String> = (0..texts.len()).map(|i| format!("file{i}.env")).collect();
        let files: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(texts).collect();
        dotenv::parse_files(&files, &lookup).map_err(|e| e.to_string())
    } else if api.starts_with("ProjectEnvironment") {
        let os = lookup_env.clone().unwrap_or_default();
        let input = str_field(case, "input")?;
        dotenv::project_environment(&os, &[(".env", input)]).map_err(|e| e.to_string())
    } else {
        let input = str_field(case, "input")?;
        let parsed = dotenv::parse(input, &lookup).map_err(|e| e.to_string());
        match api {
            "Read" | "ReadWithLookup" | "Load" => parsed.map(drop_digit_keys),
            _ => parsed,
        }
    };

    if case.get("expected_error").is_some() {
        return match result {
            Ok(map) => Err(format!("parsed {map:?}, expected an error")),
            Err(e) => error_matches(&e, case),
        };
    }
    let got = result.map_err(|e| format!("unexpected error {e:?}"))?;
    let expected = string_map(&case["expected"]).ok_or("case has no `expected` map")?;
    let exact = case["match"].as_str() == Some("exact");
    for (k, v) in &expected {
        if got.get(k) != Some(v) {
            return Err(format!(
                "{k:?}: got {:?}, expected {v:?} (all: {got:?})",
                got.get(k)
            ));
        }
    }
    if exact && got.len() != expected.len() {
        return Err(format!("got {got:?}, expected exactly {expected:?}"));
    }
    Ok(())
}

#[test]
fn conformance_dotenv() {
    run("dotenv-cases.json", 93, dotenv_case);
}

// ---------------------------------------------------------------------------------------------
// interpolation-cases.json

/// Builds a tree holding `leaf` at a compose path such as `services.test.labels[]`,
/// `servicea.volumes[0]` or `myservice.environment.TESTVAR`, and the path of that leaf as
/// [`interpolate_tree`] names it.
fn tree_at(path: &str, leaf: &str) -> (Value, String) {
    let mut value = Value::String(leaf.to_string());
    let mut shown = Vec::new();
    for seg in path.split('.').rev() {
        let (key, index) = match seg.find('[') {
            Some(b) => {
                let index = seg[b + 1..]
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .unwrap_or(0);
                (&seg[..b], Some(index))
            }
            None => (seg, None),
        };
        if let Some(index) = index {
            let mut items = vec![Value::Null; index];
            items.push(value);
            value = Value::Array(items);
        }
        let mut map = serde_json::Map::new();
        map.insert(key.to_string(), value);
        value = Value::Object(map);
        shown.push(match index {
            Some(i) => format!("{key}[{i}]"),
            None => key.to_string(),
        });
    }
    shown.reverse();
    (value, shown.join("."))
}

fn leaf_at<'a>(tree: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = tree;
    for seg in path.split('.') {
        match seg.find('[') {
            Some(b) => {
                let index = seg[b + 1..].trim_end_matches(']').parse::<usize>().ok()?;
                v = v.get(&seg[..b])?.get(index)?;
            }
            None => v = v.get(seg)?,
        }
    }
    Some(v)
}

fn interpolation_case(case: &Value) -> Result<(), String> {
    let template = str_field(case, "template")?;
    let env = string_map(&case["env"]).unwrap_or_default();
    let lookup = |k: &str| env.get(k).cloned();
    let result = interpolate(template, &lookup);
    let path = case["path"].as_str();

    if case.get("expected_error").is_some() {
        let err = match result {
            Ok(v) => return Err(format!("got {:?}, expected an error", v.value)),
            Err(e) => e,
        };
        error_matches(&err.to_string(), case)?;
        if let (Some(path), Some(expected)) = (path, case["expected_path_error"].as_str()) {
            let (mut tree, _) = tree_at(path, template);
            match interpolate_tree(&mut tree, &lookup, &mut Vec::new()) {
                Ok(()) => return Err("tree interpolation did not fail".to_string()),
                Err(e) if e.to_string() == expected => {}
                Err(e) => {
                    return Err(format!(
                        "tree error {:?}, expected {expected:?}",
                        e.to_string()
                    ));
                }
            }
        }
        return Ok(());
    }

    let expected = str_field(case, "expected")?;
    let got = result.map_err(|e| format!("unexpected error {:?}", e.to_string()))?;
    if got.value != expected {
        return Err(format!("got {:?}, expected {expected:?}", got.value));
    }
    if let Some(n) = case["expected_warnings"].as_u64()
        && got.unset.len() as u64 != n
    {
        return Err(format!(
            "unset variables {:?}, expected {n} warning(s)",
            got.unset
        ));
    }
    if let Some(path) = path {
        let (mut tree, shown) = tree_at(path, template);
        let mut unset = Vec::new();
        interpolate_tree(&mut tree, &lookup, &mut unset)
            .map_err(|e| format!("tree interpolation failed: {e}"))?;
        let leaf = leaf_at(&tree, &shown);
        if leaf != Some(&json!(expected)) {
            return Err(format!(
                "tree value at {shown}: {leaf:?}, expected {expected:?}"
            ));
        }
        if unset != got.unset {
            return Err(format!("tree unset {unset:?} differs from {:?}", got.unset));
        }
    }
    Ok(())
}

#[test]
fn conformance_interpolation() {
    run("interpolation-cases.json", 128, interpolation_case);
}

// ---------------------------------------------------------------------------------------------
// interpolation-operator-choice.json

fn operator_case(case: &Value) -> Result<(), String> {
    let body = str_field(case, "braced_body")?;
    let expected = str_field(case, "operator")?;
    let got = substitution_operator(body).map(interpolate::Operator::as_str);
    if got != Some(expected) {
        return Err(format!("operator {got:?}, expected {expected:?}"));
    }
    // And the substitution really behaves as that operator, with VARNAME unset and empty.
    let arg = &body["VARNAME".len() + expected.len()..];
    let template = format!("${{{body}}}");
    for value in [None, Some("")] {
        let lookup = |k: &str| {
            if k == "VARNAME" {
                value.map(str::to_string)
            } else {
                None
            }
        };
        let result = interpolate(&template, &lookup).map(|i| i.value);
        let taken = match expected {
            ":-" | ":?" => true,
            "-" | "?" => value.is_none(),
            ":+" => false,
            _ => value.is_some(), // "+"
        };
        let want = match (expected, taken) {
            (":?" | "?", true) => Err(InterpolationError::Required {
                variable: "VARNAME".to_string(),
                message: arg.to_string(),
            }),
            (_, true) => Ok(arg.to_string()),
            (_, false) => Ok(String::new()),
        };
        if result != want {
            return Err(format!(
                "VARNAME={value:?}: got {result:?}, expected {want:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn conformance_operator_choice() {
    run("interpolation-operator-choice.json", 12, operator_case);
}

// ---------------------------------------------------------------------------------------------
// extract-variables-cases.json

fn extract_case(case: &Value) -> Result<(), String> {
    let expected: IndexMap<String, (String, String, bool)> = case["expected"]
        .as_object()
        .ok_or("case has no `expected` map")?
        .iter()
        .map(|(k, v)| {
            let s = |f: &str| v[f].as_str().unwrap_or_default().to_string();
            (
                k.clone(),
                (
                    s("DefaultValue"),
                    s("PresenceValue"),
                    v["Required"] == json!(true),
                ),
            )
        })
        .collect();
    let vars = extract_tree_variables(&case["dict"]);
    let got: IndexMap<String, (String, String, bool)> = vars
        .iter()
        .map(|v| {
            let attrs = (
                v.default.clone().unwrap_or_default(),
                v.alternate.clone().unwrap_or_default(),
                v.required,
            );
            (v.name.clone(), attrs)
        })
        .collect();
    if got.len() != vars.len() {
        return Err(format!("duplicate names in {vars:?}"));
    }
    let same = got.len() == expected.len() && expected.iter().all(|(k, v)| got.get(k) == Some(v));
    if same {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {expected:?}"))
    }
}

#[test]
fn conformance_extract_variables() {
    run("extract-variables-cases.json", 18, extract_case);
}
