//! The bad-input corpus: `tests/bad-input/<case>/` holds a compose project that is wrong the way
//! users get it wrong, an optional `args` file (project flags placed before the sub-command,
//! split on whitespace) and `expect.txt` (one substring per line that the error must contain:
//! file name, `:LINE:`, key path). `up -d` and `config` must both fail with exit status 1, print
//! nothing on stdout and report the model's error, never reaching the (nonexistent) engine.
//!
//! Cases rcompose does not report well enough yet live in `tests/bad-input-pending/` and are not
//! run here.

use std::path::{Path, PathBuf};

use crate::cli::run;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("reading tests/bad-input")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// What is wrong with one run of one case, if anything.
fn check(case: &Path, sub: &[&str]) -> Option<String> {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let expect = std::fs::read_to_string(case.join("expect.txt"))
        .unwrap_or_else(|e| panic!("{name}: expect.txt: {e}"));
    let flags = std::fs::read_to_string(case.join("args")).unwrap_or_default();
    let mut args: Vec<&str> = flags.split_whitespace().collect();
    args.extend_from_slice(sub);
    let r = run(case, &args);
    let mut problems = Vec::new();
    if r.code != 1 {
        problems.push(format!("exit status {} (want 1)", r.code));
    }
    if !r.stdout.is_empty() {
        problems.push(format!("stdout not empty: {:?}", r.stdout));
    }
    if r.stderr.contains("Cannot connect to the Docker daemon") {
        problems.push("reached the engine: the model accepted the project".to_string());
    }
    for want in expect.lines().filter(|l| !l.trim().is_empty()) {
        if !r.stderr.contains(want) {
            problems.push(format!("stderr lacks {want:?}"));
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{name} ({}): {}\n--- stderr ---\n{}",
            args.join(" "),
            problems.join("; "),
            r.stderr
        )
    })
}

#[test]
fn corpus_is_large_enough() {
    let n = cases().len();
    assert!(n >= 50, "only {n} bad-input cases");
}

#[test]
fn up_fails_with_the_models_error() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|c| check(c, &["up", "-d"]))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn config_fails_with_the_models_error() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|c| check(c, &["config"]))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
