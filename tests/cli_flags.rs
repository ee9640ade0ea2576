//! Issue #6: every sub-command of the reference's §1.6 table (priority ★ or ☆) exists, and
//! every `--flag` its row names is a long name or alias of ours (hidden ones count), with the
//! short form the row gives. The table is read from ../shared at test time, never copied here.

use std::collections::BTreeSet;

use clap::CommandFactory;
use rcompose::cli::Cli;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/compose-v2-behaviour.md"
);

/// One row of §1.6: the command names of its first cell, its flags (long name, short form)
/// and its priority.
struct Row {
    commands: Vec<String>,
    flags: Vec<(String, Option<char>)>,
    priority: String,
}

fn rows() -> Vec<Row> {
    let text =
        std::fs::read_to_string(REFERENCE).expect("../shared/reference is beside the checkout");
    let start = text.find("### 1.6").expect("§1.6 in the reference");
    let end = start + text[start..].find("\n### ").unwrap_or(text.len() - start);
    let line_re = regex::Regex::new(r"^\| (`.*?`(?: / `.*?`)*) \| (.*) \| (\S+) \|$").unwrap();
    let cmd_re = regex::Regex::new(r"`([a-z]+)[^`]*`").unwrap();
    let flag_re = regex::Regex::new(r"(?:-([a-zA-Z])/)?--([a-zA-Z][a-zA-Z-]*)").unwrap();
    text[start..end]
        .lines()
        .filter_map(|l| line_re.captures(l))
        .map(|c| Row {
            commands: cmd_re
                .captures_iter(&c[1])
                .map(|m| m[1].to_string())
                .collect(),
            flags: flag_re
                .captures_iter(&c[2])
                .map(|m| {
                    (
                        m[2].to_string(),
                        m.get(1).and_then(|s| s.as_str().chars().next()),
                    )
                })
                .collect(),
            priority: c[3].to_string(),
        })
        .collect()
}

#[test]
fn every_reference_command_has_the_reference_flags() {
    let rows = rows();
    assert!(
        rows.len() >= 30,
        "§1.6 parsed into only {} rows: has the table's layout changed?",
        rows.len()
    );
    let cli = Cli::command();
    let mut problems = Vec::new();
    let mut checked = 0;
    for row in rows
        .iter()
        .filter(|r| r.priority == "★" || r.priority == "☆")
    {
        for name in &row.commands {
            let Some(cmd) = cli.find_subcommand(name) else {
                problems.push(format!("command `{name}` is missing"));
                continue;
            };
            checked += 1;
            for (flag, short) in &row.flags {
                let arg = cmd.get_arguments().find(|a| {
                    a.get_long() == Some(flag.as_str())
                        || a.get_all_aliases()
                            .is_some_and(|al| al.contains(&flag.as_str()))
                });
                match arg {
                    None => problems.push(format!("`{name} --{flag}` is missing")),
                    Some(a) => {
                        if let Some(s) = short
                            && a.get_short() != Some(*s)
                            && !a.get_all_short_aliases().is_some_and(|al| al.contains(s))
                        {
                            problems
                                .push(format!("`{name} --{flag}` should have the short form -{s}"));
                        }
                    }
                }
            }
        }
    }
    assert!(checked >= 25, "only {checked} commands checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn deprecated_flags_stay_hidden() {
    let cli = Cli::command();
    let hidden = |cmd: &str, long: &str| {
        cli.find_subcommand(cmd)
            .and_then(|c| c.get_arguments().find(|a| a.get_long() == Some(long)))
            .unwrap_or_else(|| panic!("{cmd} --{long} exists"))
            .is_hide_set()
    };
    for (cmd, long) in [
        ("build", "parallel"),
        ("build", "compress"),
        ("build", "force-rm"),
        ("build", "no-rm"),
        ("build", "progress"),
        ("pull", "parallel"),
        ("pull", "no-parallel"),
        ("rm", "all"),
        ("exec", "interactive"),
        ("exec", "tty"),
        ("run", "tty"),
    ] {
        assert!(hidden(cmd, long), "{cmd} --{long} should be hidden");
    }
    let names: BTreeSet<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    for c in ["volumes", "commit", "export", "stats", "push"] {
        assert!(names.contains(c), "command {c}");
    }
}

#[test]
fn flags_parse_with_compose_defaults() {
    use clap::Parser;
    use rcompose::cli::Command;
    let parse = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("rcompose").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
            .unwrap()
    };
    match parse(&["ps"]) {
        Command::Ps(a) => assert!(a.orphans),
        other => panic!("{other:?}"),
    }
    match parse(&["ps", "--orphans=false"]) {
        Command::Ps(a) => assert!(!a.orphans),
        other => panic!("{other:?}"),
    }
    match parse(&["commit", "web"]) {
        Command::Commit(a) => assert!(a.pause && a.reference.is_none()),
        other => panic!("{other:?}"),
    }
    match parse(&["commit", "-p=false", "web", "app:v1"]) {
        Command::Commit(a) => assert!(!a.pause && a.reference.as_deref() == Some("app:v1")),
        other => panic!("{other:?}"),
    }
    match parse(&["up", "--y", "-w"]) {
        Command::Up(a) => assert!(a.yes && a.watch),
        other => panic!("{other:?}"),
    }
    match parse(&[
        "build",
        "-m",
        "512m",
        "--no-rm",
        "--parallel",
        "--progress",
        "plain",
    ]) {
        Command::Build(a) => assert_eq!(a.memory.as_deref(), Some("512m")),
        other => panic!("{other:?}"),
    }
}

/// Runs the binary in `dir` against an engine socket that does not exist, so any engine contact
/// fails visibly.
fn rcompose(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_HOST", "unix:///nonexistent/rcompose-flags.sock")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .output()
        .expect("rcompose runs")
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: flags\nservices:\n  web:\n    image: busybox\n    build: .\n    env_file: [web.env]\n    environment:\n      OWN: \"1\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("web.env"), "FROM_FILE=yes\n").unwrap();
    dir
}

#[test]
fn flags_rcompose_cannot_honour_are_refused_by_name() {
    let dir = project();
    for (args, says) in [
        (&["up", "--watch"][..], "--watch is not supported"),
        (&["up", "-w", "-d"][..], "--watch is not supported"),
        (&["build", "--check"][..], "--check is not supported"),
        (&["build", "--print"][..], "--print is not supported"),
        (
            &["build", "--provenance", "mode=max"][..],
            "--provenance mode=max",
        ),
        (&["build", "--sbom", "true"][..], "--sbom true"),
        (&["build", "--ssh", ""][..], "--ssh default"),
        (
            &["build", "--builder", "mybuilder"][..],
            "--builder mybuilder",
        ),
        (&["build", "-m", "lots"][..], "invalid --memory"),
        (
            &["pull", "--policy", "sometimes"][..],
            "invalid pull policy",
        ),
    ] {
        let out = rcompose(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("Cannot connect"),
            "{args:?} is refused before any engine contact: {stderr}"
        );
    }
}

#[test]
fn config_no_env_resolution_keeps_env_file_and_models_lists_none() {
    let dir = project();
    let resolved = rcompose(dir.path(), &["config"]);
    let text = String::from_utf8_lossy(&resolved.stdout);
    assert!(resolved.status.success());
    assert!(
        text.contains("FROM_FILE: \"yes\"") && !text.contains("env_file"),
        "{text}"
    );

    let raw = rcompose(dir.path(), &["config", "--no-env-resolution"]);
    let text = String::from_utf8_lossy(&raw.stdout);
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    assert!(
        text.contains("env_file:") && text.contains("web.env"),
        "{text}"
    );
    assert!(
        text.contains("OWN: \"1\"") && !text.contains("FROM_FILE"),
        "{text}"
    );

    let models = rcompose(dir.path(), &["config", "--models"]);
    assert!(models.status.success());
    assert_eq!(String::from_utf8_lossy(&models.stdout), "");
}
