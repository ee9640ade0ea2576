//! Issue #6: every sub-command of the reference's §1.6 table (priority ★ or ☆) exists, and
//! every `--flag` its row names is a long name or alias of ours (hidden ones count), with the
//! short form the row gives. The table is read from ../shared at test time, never copied here.
//!
//! Issues #14 and #16: every flag of every command, enumerated from clap's `CommandFactory` so
//! new flags are covered as they are added, parses as compose's pflag does: given twice, the
//! last value wins (list flags accumulate); a boolean flag takes `--flag=VALUE` with the values
//! of Go's `strconv.ParseBool`, and `--flag VALUE` stays two words.

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
    use rcompose::cli::Command;
    let parse = |args: &[&str]| {
        let argv: Vec<String> = std::iter::once("rcompose")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        rcompose::cli::parse::parse(&argv, "rcompose")
            .unwrap_or_else(|e| panic!("{args:?}: {e:?}"))
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

// ---------------------------------------------------------------------------------------------
// Every flag of every command, as pflag parses it
// ---------------------------------------------------------------------------------------------

/// One command of the tree: the words that reach it and the command itself (from the derived
/// `CommandFactory`, built so that globals and defaults are filled in).
fn commands() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(path: Vec<String>, cmd: &clap::Command, out: &mut Vec<(Vec<String>, clap::Command)>) {
        // A command that needs a sub-command is checked through them (its flags are global).
        if !cmd.is_subcommand_required_set() {
            out.push((path.clone(), cmd.clone()));
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(p, sub, out);
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut out = Vec::new();
    walk(Vec::new(), &root, &mut out);
    out
}

/// The flags of `cmd` a user types: everything but positionals and clap's help.
fn flags(cmd: &clap::Command) -> impl Iterator<Item = &clap::Arg> {
    cmd.get_arguments().filter(|a| {
        !a.is_positional()
            && !matches!(
                a.get_action(),
                clap::ArgAction::Help | clap::ArgAction::HelpShort | clap::ArgAction::HelpLong
            )
    })
}

/// A flag whose value is a boolean (a switch, or one already taking `=BOOL`).
fn is_bool(a: &clap::Arg) -> bool {
    matches!(a.get_action(), clap::ArgAction::SetTrue)
        || a.get_value_parser().type_id() == std::any::TypeId::of::<bool>()
}

/// Words filling the required flags (`stack config -c FILE`) not among `given`, and the
/// required positionals of `cmd` (after the flags under test).
fn positionals(cmd: &clap::Command, given: &[String]) -> Vec<String> {
    let required_flags = flags(cmd)
        .filter(|a| a.is_required_set() && !given.contains(&typed(a)))
        .flat_map(|a| [typed(a), "compose.yaml".to_string()]);
    required_flags
        .chain(
            cmd.get_positionals()
                .filter(|a| a.is_required_set())
                .map(|a| match a.get_possible_values().first() {
                    Some(v) => v.get_name().to_string(),
                    None if a.get_id() == "source" => "web:/etc".into(),
                    None if a.get_id() == "private_port" => "80".into(),
                    None if a.get_id() == "scale" => "web=1".into(),
                    None => "web".into(),
                }),
        )
        .collect()
}

/// Two different values `arg` accepts.
fn two_values(arg: &clap::Arg) -> (String, String) {
    let possible = arg.get_possible_values();
    match (possible.first(), possible.last()) {
        (Some(a), Some(b)) if possible.len() > 1 => {
            (a.get_name().to_string(), b.get_name().to_string())
        }
        _ => ("1".into(), "2".into()),
    }
}

fn typed(arg: &clap::Arg) -> String {
    match arg.get_long() {
        Some(l) => format!("--{l}"),
        None => format!("-{}", arg.get_short().expect("a flag has a name")),
    }
}

/// Parses `path + words + positionals` with rcompose's parser; the matches of the command
/// at `path` (or clap's error).
fn matches_of(
    path: &[String],
    words: &[String],
    cmd: &clap::Command,
) -> Result<clap::ArgMatches, clap::Error> {
    let argv: Vec<String> = std::iter::once("rcompose".to_string())
        .chain(path.iter().cloned())
        .chain(words.iter().cloned())
        .chain(positionals(cmd, words))
        .collect();
    let mut m = rcompose::cli::parse::command().try_get_matches_from(&argv)?;
    for name in path {
        m = m
            .subcommand_matches(name)
            .unwrap_or_else(|| panic!("{argv:?} reaches {name}"))
            .clone();
    }
    // What rcompose runs on must come out of the same words.
    rcompose::cli::parse::parse(&argv, "rcompose")
        .unwrap_or_else(|e| panic!("{argv:?} is refused: {e:?}"));
    Ok(m)
}

fn raw(m: &clap::ArgMatches, id: &str) -> Vec<String> {
    m.get_raw(id)
        .map(|vs| vs.map(|v| v.to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn every_flag_may_be_given_twice_the_last_value_winning_and_lists_accumulating() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, cmd) in commands() {
        for arg in flags(&cmd) {
            let id = arg.get_id().as_str();
            let flag = typed(arg);
            checked += 1;
            let takes_value = arg.get_num_args().is_some_and(|n| n.min_values() > 0);
            let words: Vec<String> = if is_bool(arg) {
                // The first says true, the second false: false must win.
                vec![flag.clone(), format!("{flag}=false")]
            } else if takes_value {
                let (a, b) = two_values(arg);
                vec![flag.clone(), a, flag.clone(), b]
            } else {
                vec![flag.clone(), flag.clone()]
            };
            let m = match matches_of(&path, &words, &cmd) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(format!("{path:?} {words:?}: {e}"));
                    continue;
                }
            };
            let got = raw(&m, id);
            let want: Vec<String> = if is_bool(arg) {
                vec!["false".into()]
            } else if takes_value {
                let (a, b) = two_values(arg);
                match arg.get_action() {
                    clap::ArgAction::Append => vec![a, b],
                    _ => vec![b],
                }
            } else {
                got.clone()
            };
            if got != want {
                problems.push(format!("{path:?} {words:?}: {id} = {got:?}, want {want:?}"));
            }
        }
    }
    assert!(checked > 150, "only {checked} flags found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn list_flags_accumulate_into_the_arguments() {
    use rcompose::cli::Command;
    let argv = |words: &[&str]| -> Vec<String> {
        std::iter::once("rcompose")
            .chain(words.iter().copied())
            .map(String::from)
            .collect()
    };
    let cli = rcompose::cli::parse::parse(
        &argv(&[
            "-f",
            "a.yml",
            "-f",
            "b.yml",
            "--profile",
            "x",
            "--profile",
            "y",
            "-p",
            "one",
            "-p",
            "two",
            "--env-file",
            "e1",
            "--env-file",
            "e2",
            "exec",
            "-e",
            "A=1",
            "-e",
            "B=2",
            "-T",
            "-T",
            "web",
            "sh",
        ]),
        "rcompose",
    )
    .expect("parses");
    assert_eq!(
        cli.global.file,
        ["a.yml", "b.yml"].map(std::path::PathBuf::from)
    );
    assert_eq!(cli.global.profile, ["x", "y"]);
    assert_eq!(cli.global.env_file.len(), 2);
    assert_eq!(cli.global.project_name.as_deref(), Some("two"));
    match cli.command {
        Some(Command::Exec(e)) => {
            assert_eq!(e.env, ["A=1", "B=2"]);
            assert_eq!(e.no_tty, Some(true));
            assert_eq!(e.args, ["web", "sh"]);
        }
        other => panic!("{other:?}"),
    }
}

/// Every spelling `strconv.ParseBool` accepts, with its value.
const GO_BOOLS: &[(&str, bool)] = &[
    ("1", true),
    ("t", true),
    ("T", true),
    ("TRUE", true),
    ("true", true),
    ("True", true),
    ("0", false),
    ("f", false),
    ("F", false),
    ("FALSE", false),
    ("false", false),
    ("False", false),
];

#[test]
fn every_boolean_flag_takes_go_bool_values_after_an_equals_sign() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, cmd) in commands() {
        for arg in flags(&cmd).filter(|a| is_bool(a)) {
            let id = arg.get_id().as_str();
            checked += 1;
            let mut spellings: Vec<String> = arg
                .get_long()
                .map(|l| format!("--{l}"))
                .into_iter()
                .collect();
            spellings.extend(arg.get_short().map(|s| format!("-{s}")));
            for flag in &spellings {
                let mut cases: Vec<(Vec<String>, bool)> = vec![(vec![flag.clone()], true)];
                cases.extend(
                    GO_BOOLS
                        .iter()
                        .map(|(v, b)| (vec![format!("{flag}={v}")], *b)),
                );
                for (words, want) in cases {
                    match matches_of(&path, &words, &cmd) {
                        Ok(m) => {
                            let got = m.get_one::<bool>(id).copied();
                            if got != Some(want) {
                                problems.push(format!("{path:?} {words:?}: {got:?}"));
                            }
                        }
                        Err(e) => problems.push(format!("{path:?} {words:?}: {e}")),
                    }
                }
                // A value that is not a boolean is refused, in compose's words.
                let argv: Vec<String> = std::iter::once("rcompose".to_string())
                    .chain(path.iter().cloned())
                    .chain([format!("{flag}=maybe")])
                    .chain(positionals(&cmd, &[]))
                    .collect();
                match rcompose::cli::parse::parse(&argv, "rcompose") {
                    Err(rcompose::cli::parse::Refusal::Message(m))
                        if m.starts_with("invalid argument \"maybe\" for \"")
                            && m.ends_with(
                                "strconv.ParseBool: parsing \"maybe\": invalid syntax",
                            ) => {}
                    other => problems.push(format!("{argv:?}: {other:?}")),
                }
                // `--flag false` is the flag and then a word of its own, never the flag's value.
                let words = vec![flag.clone(), "false".to_string()];
                if let Ok(m) = matches_of(&path, &words, &cmd)
                    && m.get_one::<bool>(id) != Some(&true)
                {
                    problems.push(format!("{path:?} {words:?} took `false` as the value"));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} boolean flags found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn boolean_short_flags_combine() {
    let mut checked = 0;
    for (path, cmd) in commands() {
        let shorts: Vec<&clap::Arg> = flags(&cmd)
            .filter(|a| is_bool(a) && a.get_short().is_some() && !a.is_hide_set())
            .collect();
        if shorts.len() < 2 {
            continue;
        }
        checked += 1;
        let cluster: String = shorts.iter().filter_map(|a| a.get_short()).collect();
        let words = vec![format!("-{cluster}")];
        let m =
            matches_of(&path, &words, &cmd).unwrap_or_else(|e| panic!("{path:?} {words:?}: {e}"));
        for a in shorts {
            assert_eq!(
                m.get_one::<bool>(a.get_id().as_str()),
                Some(&true),
                "{path:?} {words:?}: {}",
                a.get_id()
            );
        }
    }
    assert!(
        checked >= 3,
        "only {checked} commands with combinable shorts"
    );
}

#[test]
fn help_shows_boolean_flags_as_compose_does() {
    use rcompose::cli::parse::{Refusal, parse};
    let argv: Vec<String> = ["rcompose", "up", "--help"].map(String::from).to_vec();
    let help = match parse(&argv, "rcompose") {
        Err(Refusal::Clap(e)) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(help.contains("-d, --detach "), "{help}");
    assert!(!help.contains("--detach[="), "{help}");
}
