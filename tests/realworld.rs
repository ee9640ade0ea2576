//! The real-world corpus (../shared/corpus/realworld, read at test time, never copied here):
//! 173 compose files as their projects publish them. Each is set up as the corpus README says —
//! the file as compose.yaml in a fresh directory, its env file as .env, its aux files beside it,
//! empty stubs for the local files it references — and loaded in-process as `config` loads it.
//! Every file not in invalid.txt must load, and its `config` output (YAML and JSON) read back
//! must print the same config; every file in invalid.txt must fail with compose's reason.

use std::path::{Path, PathBuf};

use rcompose::model::canonical::{escape_dollars, json_layout, to_json, to_yaml};
use rcompose::model::interpolate::interpolate_tree;
use rcompose::model::load::{LoadOptions, discover, load, load_with_stdin};
use rcompose::model::yaml;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/realworld");
const HOME: &str = "/home/realworld";

/// What the error of each file of invalid.txt must mention: compose's reason, in rcompose's
/// words (the service, key or secret it names, and the rule).
const INVALID: &[(&str, &[&str])] = &[
    (
        "006",
        &["\"frontend-proxy\"", "neither an image nor a build"],
    ),
    ("017", &["\"server\"", "neither an image nor a build"]),
    ("020", &["services.dockergen.environment must be a mapping"]),
    ("040", &["\"redis\"", "neither an image nor a build"]),
    (
        "076",
        &["\"taiga-manage\"", "undefined service \"taiga-db\""],
    ),
    (
        "092",
        &["\"authelia-backend\"", "neither an image nor a build"],
    ),
    ("103", &["\"db\"", "neither an image nor a build"]),
    ("106", &["\"solr\"", "neither an image nor a build"]),
    ("107", &["undefined secret zulip__postgres_password"]),
    ("113", &["'depends' not allowed"]),
    ("128", &["\"frigate\"", "neither an image nor a build"]),
    ("135", &["services.nginx.depends_on"]),
    ("159", &["mapping key \"image\" already defined"]),
];

struct Case {
    id: String,
    file: PathBuf,
}

fn cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(format!("{CORPUS}/files"))
        .expect("../shared/corpus/realworld/files")
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let id = name.split("__").next().unwrap_or_default().to_string();
            Case { id, file }
        })
        .collect()
}

/// The ids of invalid.txt (`id<TAB>reason` lines).
fn invalid_ids() -> Vec<String> {
    let text = std::fs::read_to_string(format!("{CORPUS}/invalid.txt")).expect("invalid.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect()
}

fn options(dir: &Path, files: Vec<PathBuf>) -> LoadOptions {
    LoadOptions {
        files,
        cwd: dir.to_path_buf(),
        os_env: [("HOME".to_string(), HOME.to_string())]
            .into_iter()
            .collect(),
        check_create: true,
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Setting a case up

/// Local files a compose tree references, found in its interpolated tree.
#[derive(Default)]
struct References {
    /// env_file, label_file, secrets/configs `file`, include `env_file`: empty files.
    files: Vec<String>,
    /// Build contexts: directories.
    dirs: Vec<String>,
    /// Included compose files: empty files.
    includes: Vec<String>,
    /// extends `file` and the service it names.
    extends: Vec<(String, String)>,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.get("path").map(strings).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn references(tree: &Value, refs: &mut References) {
    let services = tree.get("services").and_then(Value::as_object);
    for s in services.into_iter().flat_map(|m| m.values()) {
        for key in ["env_file", "label_file"] {
            refs.files
                .extend(s.get(key).map(strings).unwrap_or_default());
        }
        match s.get("build") {
            Some(Value::String(c)) => refs.dirs.push(c.clone()),
            Some(b) => refs
                .dirs
                .extend(b.get("context").map(strings).unwrap_or_default()),
            None => {}
        }
        if let Some(Value::Object(e)) = s.get("extends")
            && let (Some(Value::String(f)), Some(Value::String(svc))) =
                (e.get("file"), e.get("service"))
        {
            refs.extends.push((f.clone(), svc.clone()));
        }
    }
    for key in ["secrets", "configs"] {
        let defs = tree.get(key).and_then(Value::as_object);
        for d in defs.into_iter().flat_map(|m| m.values()) {
            refs.files
                .extend(d.get("file").map(strings).unwrap_or_default());
        }
    }
    for entry in tree
        .get("include")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match entry {
            Value::String(p) => refs.includes.push(p.clone()),
            Value::Object(o) => {
                refs.includes
                    .extend(o.get("path").map(strings).unwrap_or_default());
                refs.files
                    .extend(o.get("env_file").map(strings).unwrap_or_default());
            }
            _ => {}
        }
    }
}

/// A relative path of the project that does not exist yet (nor is a URL), or None.
fn missing(dir: &Path, p: &str) -> Option<PathBuf> {
    let local = !p.is_empty() && !p.starts_with(['/', '~']) && !p.contains("://");
    let path = dir.join(p);
    (local && !path.exists() && !p.starts_with("git@")).then_some(path)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The case's directory: compose.yaml, .env, aux files, stubs.
fn set_up(case: &Case) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("realworld-{}-", case.id))
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    std::fs::copy(&case.file, dir.join("compose.yaml")).unwrap();
    let env = PathBuf::from(format!("{CORPUS}/env/{}.env", case.id));
    if env.is_file() {
        std::fs::copy(&env, dir.join(".env")).unwrap();
    }
    let mut yaml_files = vec![dir.join("compose.yaml")];
    if let Ok(aux) = std::fs::read_dir(format!("{CORPUS}/aux/{}", case.id)) {
        for e in aux {
            let from = e.unwrap().path();
            let to = dir.join(from.file_name().unwrap());
            std::fs::copy(&from, &to).unwrap();
            yaml_files.push(to);
        }
    }
    // Copies of the read-only corpus are read-only: let the directory be removed.
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let mut perm = std::fs::metadata(&p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        std::fs::set_permissions(&p, perm).unwrap();
    }
    let mut refs = References::default();
    let env = discover(&options(dir, vec![dir.join("compose.yaml")]))
        .map(|d| d.env)
        .unwrap_or_default();
    for f in &yaml_files {
        let text = std::fs::read_to_string(f).unwrap();
        for (mut tree, _) in yaml::parse_documents(&text).unwrap_or_default() {
            let raw = tree.clone();
            if interpolate_tree(&mut tree, &|k| env.get(k).cloned(), &mut Vec::new()).is_err() {
                tree = raw;
            }
            references(&tree, &mut refs);
        }
    }
    for p in refs.files.iter().chain(&refs.includes) {
        if let Some(path) = missing(dir, p) {
            write(&path, "");
        }
    }
    for p in &refs.dirs {
        if let Some(path) = missing(dir, p) {
            std::fs::create_dir_all(path).unwrap();
        }
    }
    let mut stubs: Vec<(PathBuf, String)> = Vec::new();
    for (f, svc) in &refs.extends {
        if let Some(path) = missing(dir, f) {
            let entry = format!("  {svc}:\n    image: stub\n");
            match stubs.iter_mut().find(|(p, _)| *p == path) {
                Some((_, text)) if text.contains(&entry) => {}
                Some((_, text)) => text.push_str(&entry),
                None => stubs.push((path, format!("services:\n  {svc}:\n    image: stub\n"))),
            }
        }
    }
    for (path, text) in stubs {
        write(&path, &text);
    }
    tmp
}

// ---------------------------------------------------------------------------------------------
// Checks

/// First differing line of two texts.
fn first_difference(got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {}: got {g:?}, want {w:?}", i + 1);
        }
    }
    format!(
        "lengths differ: {} lines, {} lines",
        got.lines().count(),
        want.lines().count()
    )
}

/// Loads a valid case, then feeds its config (YAML, then JSON) back in.
fn check_valid(dir: &Path) -> Result<(), String> {
    let first = load(&options(dir, vec![dir.join("compose.yaml")]))
        .map_err(|e| format!("rejected: {}", e.message))?;
    let printed = escape_dollars(&to_yaml(&first.canonical));
    let json = escape_dollars(&to_json(&json_layout(&first.canonical)));
    for (format, text) in [("yaml", &printed), ("json", &json)] {
        let again = load_with_stdin(&options(dir, vec![PathBuf::from("-")]), &mut || {
            Ok(text.clone())
        })
        .map_err(|e| format!("its config --format {format} is rejected: {}", e.message))?;
        let again = escape_dollars(&to_yaml(&again.canonical));
        if again != printed {
            return Err(format!(
                "config --format {format} read back differs: {}",
                first_difference(&again, &printed)
            ));
        }
    }
    Ok(())
}

fn check_invalid(dir: &Path, want: &[&str]) -> Result<(), String> {
    match load(&options(dir, vec![dir.join("compose.yaml")])) {
        Ok(_) => Err("loads, but compose rejects it".into()),
        Err(e) => {
            let text = e.to_string();
            let lacking: Vec<&&str> = want.iter().filter(|w| !text.contains(**w)).collect();
            if lacking.is_empty() {
                Ok(())
            } else {
                Err(format!("error lacks {lacking:?}: {text}"))
            }
        }
    }
}

#[test]
fn realworld_corpus() {
    let cases = cases();
    assert_eq!(cases.len(), 173, "files in the corpus");
    let invalid = invalid_ids();
    let mut listed: Vec<&str> = INVALID.iter().map(|(id, _)| *id).collect();
    let mut named: Vec<&str> = invalid.iter().map(String::as_str).collect();
    listed.sort_unstable();
    named.sort_unstable();
    assert_eq!(listed, named, "INVALID must name the files of invalid.txt");
    let (mut valid_ok, mut invalid_ok) = (0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let tmp = set_up(case);
        let result = match INVALID.iter().find(|(id, _)| *id == case.id) {
            Some((_, want)) => check_invalid(tmp.path(), want).map(|()| invalid_ok += 1),
            None => check_valid(tmp.path()).map(|()| valid_ok += 1),
        };
        if let Err(e) = result {
            failures.push(format!("{}: {e}", case.file.display()));
        }
    }
    println!(
        "realworld: {valid_ok}/{} valid files load and read back, {invalid_ok}/{} invalid ones fail with compose's reason",
        cases.len() - INVALID.len(),
        INVALID.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
