//! The `rcompose` binary end to end without an engine: exit codes, stdout/stderr separation and
//! compose's error texts, with DOCKER_HOST pointing at a socket that does not exist so any engine
//! contact fails visibly.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rcompose");
const SOCK: &str = "unix:///nonexistent/rcompose-test.sock";
const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// First line of stderr: the error message itself.
    pub fn first_err_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }

    /// Asserts a failed run with exit status 1 and nothing on stdout.
    pub fn assert_error(&self) -> &Self {
        assert_eq!(self.code, 1, "expected exit status 1: {self:#?}");
        assert_eq!(
            self.stdout, "",
            "errors must not print on stdout: {self:#?}"
        );
        assert!(!self.stderr.is_empty(), "an error must say why: {self:#?}");
        self
    }

    /// Asserts that the engine was reached (and found unreachable): the command got past loading.
    pub fn assert_engine_unreachable(&self) -> &Self {
        self.assert_error();
        assert!(
            self.stderr.contains(SOCK),
            "the error must name the endpoint {SOCK}: {self:#?}"
        );
        assert!(
            self.stderr.contains("Cannot connect to the Docker daemon"),
            "{self:#?}"
        );
        assert!(
            self.stderr.contains("DOCKER_HOST"),
            "the error must say how to get an engine: {self:#?}"
        );
        self
    }
}

/// Runs the binary in `dir` with a clean environment plus `env`, feeding `stdin`.
pub(crate) fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("DOCKER_HOST", SOCK)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawning rcompose");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for rcompose") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rcompose {args:?} did not finish within 60s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = writer.join();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    run_with(dir, args, &[], "")
}

/// A fresh temporary directory (canonical path, as the binary sees its cwd).
pub(crate) fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("rcompose-cli")
        .tempdir()
        .expect("tempdir");
    let path = dir.path().canonicalize().expect("canonical tempdir");
    (dir, path)
}

/// A temporary directory holding `compose.yaml` with `yaml`.
pub(crate) fn project_dir(yaml: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, path) = tmp();
    std::fs::write(path.join("compose.yaml"), yaml).expect("writing compose.yaml");
    (dir, path)
}

/// The `--> file:L:C` location line of a rendered load error: (file, line, column).
pub(crate) fn location(stderr: &str) -> (String, u32, u32) {
    let line = stderr
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .unwrap_or_else(|| panic!("no `--> file:line:col` line in {stderr:?}"));
    let at = line.split(' ').next().unwrap_or(line);
    let mut parts = at.rsplitn(3, ':');
    let col = parts.next().and_then(|c| c.parse().ok());
    let ln = parts.next().and_then(|l| l.parse().ok());
    let file = parts.next();
    match (file, ln, col) {
        (Some(f), Some(l), Some(c)) => (f.to_string(), l, c),
        _ => panic!("location {line:?} is not file:line:col"),
    }
}

const VALID: &str = "services:\n  web:\n    image: nginx\n  db:\n    image: postgres\n";

// ---------------------------------------------------------------------------------------------
// Discovery and file errors
// ---------------------------------------------------------------------------------------------

#[test]
fn no_compose_file_is_an_error_with_compose_text() {
    let (_d, dir) = tmp();
    for a in dir.ancestors() {
        for f in DEFAULT_FILES {
            assert!(
                !a.join(f).exists(),
                "precondition: {} exists, discovery would find it",
                a.join(f).display()
            );
        }
    }
    let r = run(&dir, &["config"]);
    r.assert_error();
    // compose's line as compose prints it, then where rcompose looked and for what.
    let looked = |d: &Path| {
        format!(
            "no configuration file provided: not found\n\
             looked in {} and its parents for compose.yaml, compose.yml, docker-compose.yml, \
             docker-compose.yaml; name a file with -f\n",
            d.display()
        )
    };
    assert_eq!(r.stderr, looked(&dir));
    assert_eq!(r.stdout, "");
    // The search starts at --project-directory, as given relative to the working directory.
    std::fs::create_dir(dir.join("sub")).unwrap();
    let r = run(&dir, &["--project-directory", "sub", "up", "-d"]);
    r.assert_error();
    assert_eq!(r.stderr, looked(&dir.join("sub")));
    let r = run(&dir.join("sub"), &["ps"]);
    r.assert_error();
    assert_eq!(r.stderr, looked(&dir.join("sub")));
}

#[test]
fn missing_file_flag_names_the_absolute_path() {
    let (_d, dir) = tmp();
    let r = run(&dir, &["-f", "missing.yml", "config"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        format!(
            "open {}: no such file or directory",
            dir.join("missing.yml").display()
        )
    );
}

#[test]
fn compose_file_variable_pointing_nowhere_is_a_stat_error() {
    let (_d, dir) = tmp();
    let r = run_with(&dir, &["config"], &[("COMPOSE_FILE", "nope.yml")], "");
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        format!(
            "stat {}: no such file or directory",
            dir.join("nope.yml").display()
        )
    );
}

#[test]
fn missing_env_file_flag_is_an_error() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["--env-file", "none.env", "config"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        format!("couldn't find env file: {}", dir.join("none.env").display())
    );
}

#[test]
fn compose_file_is_found_in_a_parent_directory() {
    let (_d, dir) = project_dir(VALID);
    let sub = dir.join("deep").join("er");
    std::fs::create_dir_all(&sub).unwrap();
    let r = run(&sub, &["config", "--services"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(r.stdout, "web\ndb\n");
}

#[test]
fn empty_file_is_an_error() {
    let (_d, dir) = project_dir("\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    assert!(r.first_err_line().ends_with("empty compose file"), "{r:#?}");
}

#[test]
fn stdin_file_is_read() {
    let (_d, dir) = tmp();
    let r = run_with(&dir, &["-f", "-", "config", "--services"], &[], VALID);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(r.stdout, "web\ndb\n");
}

// ---------------------------------------------------------------------------------------------
// Model errors
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_yaml_names_the_file_line_and_column() {
    let (_d, dir) = project_dir("services:\n  web:\n    image: [nginx\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    let file = dir.join("compose.yaml").display().to_string();
    assert!(
        r.first_err_line()
            .starts_with(&format!("failed to parse {file}")),
        "{r:#?}"
    );
    let (f, line, col) = location(&r.stderr);
    assert_eq!(f, file);
    assert_eq!(line, 3, "{r:#?}");
    assert!(col >= 1, "{r:#?}");
}

#[test]
fn unknown_service_key_names_the_service_and_suggests_the_nearest() {
    let (_d, dir) = project_dir("services:\n  web:\n    imgae: nginx\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    let first = r.first_err_line();
    assert!(
        first.contains("services.web additional properties 'imgae' not allowed"),
        "{r:#?}"
    );
    assert!(first.contains("did you mean 'image'"), "{r:#?}");
    let (f, line, col) = location(&r.stderr);
    assert_eq!(f, dir.join("compose.yaml").display().to_string());
    assert_eq!((line, col), (3, 5));
    assert!(r.stderr.contains("services.web.imgae"), "{r:#?}");
}

#[test]
fn unknown_top_level_key_suggests_the_nearest() {
    let (_d, dir) = project_dir("service:\n  web:\n    image: nginx\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    assert!(
        r.first_err_line()
            .contains("additional properties 'service' not allowed"),
        "{r:#?}"
    );
    assert!(r.first_err_line().contains("'services'"), "{r:#?}");
}

#[test]
fn invalid_port_names_the_key_path_and_line() {
    let (_d, dir) =
        project_dir("services:\n  web:\n    image: nginx\n    ports:\n      - \"8o:80\"\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    assert!(r.first_err_line().contains("8o:80"), "{r:#?}");
    assert!(r.stderr.contains("services.web.ports[0]"), "{r:#?}");
    let (f, line, _) = location(&r.stderr);
    assert_eq!(f, dir.join("compose.yaml").display().to_string());
    assert_eq!(line, 5);
}

#[test]
fn undefined_dependency_is_an_invalid_project() {
    let (_d, dir) = project_dir("services:\n  web:\n    image: nginx\n    depends_on: [db]\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "service \"web\" depends on undefined service \"db\": invalid compose project"
    );
}

#[test]
fn dependency_cycle_names_its_members() {
    let (_d, dir) = project_dir(
        "services:\n  alpha:\n    image: x\n    depends_on: [beta]\n  beta:\n    image: x\n    depends_on: [alpha]\n  gamma:\n    image: x\n",
    );
    let r = run(&dir, &["config"]);
    r.assert_error();
    let first = r.first_err_line();
    let cycle = first
        .strip_prefix("cycle found: ")
        .unwrap_or_else(|| panic!("{r:#?}"));
    let members: Vec<&str> = cycle.split(" -> ").collect();
    assert_eq!(members.len(), 3, "{first}");
    assert_eq!(
        members.first(),
        members.last(),
        "a cycle ends where it starts: {first}"
    );
    assert!(
        members.contains(&"alpha") && members.contains(&"beta"),
        "{first}"
    );
    assert!(!first.contains("gamma"), "{first}");
}

#[test]
fn invalid_project_name_flag_is_refused() {
    let (_d, dir) = project_dir(VALID);
    let expected = "invalid project name \"Bad_Name\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number";
    let r = run(&dir, &["-p", "Bad_Name", "config"]);
    r.assert_error();
    assert_eq!(r.first_err_line(), expected);
    // label-only commands check it too, before any engine contact
    let r = run(&dir, &["-p", "Bad_Name", "ps"]);
    r.assert_error();
    assert_eq!(r.first_err_line(), expected);
}

#[test]
fn invalid_compose_project_name_variable_is_refused() {
    let (_d, dir) = project_dir(VALID);
    let r = run_with(&dir, &["config"], &[("COMPOSE_PROJECT_NAME", "Nope!")], "");
    r.assert_error();
    assert!(
        r.first_err_line()
            .starts_with("invalid project name \"Nope!\": must consist only of"),
        "{r:#?}"
    );
}

#[test]
fn required_variable_unset_is_an_interpolation_error() {
    let (_d, dir) = project_dir("services:\n  web:\n    image: ${IMG:?please set IMG}\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "error while interpolating services.web.image: required variable IMG is missing a value: please set IMG"
    );
    // set, it loads
    let r = run_with(&dir, &["config", "--images"], &[("IMG", "nginx:1")], "");
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(r.stdout, "nginx:1\n");
}

#[test]
fn unknown_service_argument_is_an_error() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["config", "nope"]);
    r.assert_error();
    assert_eq!(r.first_err_line(), "no such service: nope");
}

/// Every command that takes service names, each with one unknown name (`wbe`, a typo of `web`).
const UNKNOWN_SERVICE: &[&[&str]] = &[
    &["up", "wbe"],
    &["up", "--scale", "wbe=2"],
    &["create", "wbe"],
    &["start", "wbe"],
    &["stop", "wbe"],
    &["restart", "wbe"],
    &["kill", "wbe"],
    &["rm", "wbe"],
    &["pause", "wbe"],
    &["unpause", "wbe"],
    &["down", "wbe"],
    &["wait", "wbe"],
    &["logs", "wbe"],
    &["exec", "wbe", "true"],
    &["run", "wbe", "true"],
    &["port", "wbe", "80"],
    &["build", "wbe"],
    &["pull", "wbe"],
    &["push", "wbe"],
    &["images", "wbe"],
    &["top", "wbe"],
    &["events", "wbe"],
    &["cp", "wbe:/etc", "out"],
    &["cp", "in", "wbe:/tmp"],
    &["attach", "wbe"],
    &["volumes", "wbe"],
    &["commit", "wbe"],
    &["export", "wbe"],
    &["stats", "wbe"],
    &["ps", "wbe"],
    &["config", "wbe"],
    &["scale", "wbe=2"],
    &["plan", "wbe"],
];

#[test]
fn an_unknown_service_is_reported_with_one_text_everywhere_before_the_engine() {
    use clap::CommandFactory;
    let (_d, dir) = project_dir(VALID);
    for args in UNKNOWN_SERVICE {
        let r = run(&dir, args);
        r.assert_error();
        assert_eq!(
            r.stderr, "no such service: wbe (did you mean 'web'?)\n",
            "{args:?}"
        );
    }
    // A name like none of the services gets compose's text alone.
    let r = run(&dir, &["exec", "nope", "true"]);
    r.assert_error();
    assert_eq!(r.stderr, "no such service: nope\n");
    // Every command with service arguments is in the list above.
    let names = ["services", "service", "args", "scale", "source"];
    for cmd in rcompose::cli::Cli::command().get_subcommands() {
        if cmd
            .get_positionals()
            .any(|a| names.contains(&a.get_id().as_str()))
        {
            assert!(
                UNKNOWN_SERVICE.iter().any(|a| a[0] == cmd.get_name()),
                "`{}` takes service names: add it to UNKNOWN_SERVICE",
                cmd.get_name()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Engine contact
// ---------------------------------------------------------------------------------------------

#[test]
fn up_detached_without_engine_names_the_endpoint() {
    let (_d, dir) = project_dir(VALID);
    run(&dir, &["up", "-d"]).assert_engine_unreachable();
}

#[test]
fn up_on_invalid_file_fails_on_the_model_before_the_engine() {
    let (_d, dir) = project_dir("services:\n  web:\n    image: nginx\n    depends_on: [db]\n");
    let r = run(&dir, &["up", "-d"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "service \"web\" depends on undefined service \"db\": invalid compose project"
    );
    assert!(!r.stderr.contains("Cannot connect"), "{r:#?}");
    assert!(!r.stderr.contains(SOCK), "{r:#?}");
}

#[test]
fn up_without_compose_file_fails_on_discovery_before_the_engine() {
    let (_d, dir) = tmp();
    let r = run(&dir, &["up", "-d"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "no configuration file provided: not found"
    );
}

#[test]
fn label_commands_with_project_name_need_no_compose_file() {
    let (_d, dir) = tmp();
    for cmd in ["ps", "stop", "start", "down"] {
        let r = run(&dir, &["-p", "myproj", cmd]);
        r.assert_engine_unreachable();
        assert!(!r.stderr.contains("no configuration file"), "{cmd}: {r:#?}");
    }
}

#[test]
fn label_commands_fall_back_to_compose_project_name() {
    let (_d, dir) = tmp();
    let r = run(&dir, &["ps"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "no configuration file provided: not found"
    );
    let r = run_with(&dir, &["ps"], &[("COMPOSE_PROJECT_NAME", "myproj")], "");
    r.assert_engine_unreachable();
}

#[test]
fn ps_with_a_compose_file_reaches_the_engine() {
    let (_d, dir) = project_dir(VALID);
    run(&dir, &["ps"]).assert_engine_unreachable();
}

#[test]
fn host_flag_overrides_docker_host() {
    let (_d, dir) = project_dir(VALID);
    let other = "unix:///nonexistent/other-rcompose.sock";
    let r = run(&dir, &["-H", other, "ps"]);
    r.assert_error();
    assert!(r.stderr.contains(other), "{r:#?}");
}

// ---------------------------------------------------------------------------------------------
// config, version, flags
// ---------------------------------------------------------------------------------------------

#[test]
fn config_services_prints_names_on_stdout_and_warnings_on_stderr() {
    let (_d, dir) = project_dir(
        "version: '3.8'\nservices:\n  web:\n    image: nginx\n  db:\n    image: ${UNSET_X}\n",
    );
    let r = run(&dir, &["config", "--services"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(r.stdout, "web\ndb\n");
    assert!(r.stderr.contains("obsolete"), "{r:#?}");
    assert!(
        r.stderr.contains("UNSET_X") && r.stderr.contains("Defaulting to a blank string"),
        "{r:#?}"
    );
}

#[test]
fn config_quiet_prints_nothing() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["config", "-q"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "");
    // and still validates
    let (_d2, bad) = project_dir("services:\n  web:\n    imgae: nginx\n");
    run(&bad, &["config", "-q"]).assert_error();
}

#[test]
fn project_name_comes_from_the_directory_basename_normalized() {
    let (_d, root) = tmp();
    let dir = root.join("My_App");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("compose.yaml"), VALID).unwrap();
    let r = run(&dir, &["config"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(
        r.stdout.lines().any(|l| l == "name: my_app"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("my_app_default"), "{}", r.stdout);
}

#[test]
fn compose_project_name_interpolates_to_the_final_name() {
    let yaml = "name: From File\nservices:\n  a:\n    image: busybox\n    environment:\n      P: ${COMPOSE_PROJECT_NAME}\n";
    let (_d, dir) = project_dir(yaml);
    let p_of = |r: Run| {
        assert_eq!(r.code, 0, "{r:#?}");
        assert!(!r.stderr.contains("not set"), "{}", r.stderr);
        r.stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("P: "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no P in {}", r.stdout))
    };
    assert_eq!(p_of(run(&dir, &["config"])), "fromfile", "from name:");
    assert_eq!(
        p_of(run(&dir, &["-p", "flag", "config"])),
        "flag",
        "from -p"
    );
    assert_eq!(
        p_of(run_with(
            &dir,
            &["config"],
            &[("COMPOSE_PROJECT_NAME", "env")],
            ""
        )),
        "env"
    );
    // From the directory, through stdin.
    let r = run_with(
        &dir,
        &["-f", "-", "config"],
        &[],
        "services:\n  a:\n    image: busybox\n    environment:\n      P: ${COMPOSE_PROJECT_NAME}\n",
    );
    let base = dir.file_name().unwrap().to_string_lossy().to_lowercase();
    let want: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert_eq!(p_of(r), want);
}

#[test]
fn project_name_precedence_flag_then_variable_then_name_key() {
    let (_d, dir) = project_dir(&format!("name: \"From File\"\n{VALID}"));
    let name_of = |r: Run| {
        assert_eq!(r.code, 0, "{r:#?}");
        r.stdout
            .lines()
            .find_map(|l| l.strip_prefix("name: "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no name line in {}", r.stdout))
    };
    assert_eq!(name_of(run(&dir, &["config"])), "fromfile");
    assert_eq!(
        name_of(run_with(
            &dir,
            &["config"],
            &[("COMPOSE_PROJECT_NAME", "env")],
            ""
        )),
        "env"
    );
    assert_eq!(
        name_of(run_with(
            &dir,
            &["-p", "flag", "config"],
            &[("COMPOSE_PROJECT_NAME", "env")],
            ""
        )),
        "flag"
    );
}

#[test]
fn version_prints_the_compose_release_and_rcompose_after_it() {
    let (_d, dir) = tmp();
    let compose = rcompose::plan::spec::COMPOSE_VERSION;
    assert!(
        compose.starts_with("2."),
        "clients refuse anything below v2"
    );
    let r = run(&dir, &["version", "--short"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(r.stdout, format!("{compose}\n"));
    assert_eq!(r.stderr, "");
    let r = run(&dir, &["version"]);
    assert_eq!(
        r.stdout,
        format!(
            "Docker Compose version v{compose} (rcompose {})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    let r = run(&dir, &["version", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v, serde_json::json!({ "version": format!("v{compose}") }));
    // `rcompose --version` stays rcompose's own.
    let r = run(&dir, &["--version"]);
    assert_eq!(
        r.stdout,
        format!("rcompose version v{}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_unknown_sub_command_gets_compose_text_and_the_nearest() {
    let (_d, dir) = project_dir(VALID);
    for (args, err) in [
        (
            &["upp"][..],
            "unknown docker command: \"compose upp\" (did you mean 'up'?)\n\
             See 'rcompose --help'.\n",
        ),
        (
            &["-p", "x", "--ansi", "never", "frobnicate"],
            "unknown docker command: \"compose frobnicate\"\nSee 'rcompose --help'.\n",
        ),
    ] {
        let r = run(&dir, args);
        r.assert_error();
        assert_eq!(r.stderr, err, "{args:?}");
    }
}

#[test]
fn unknown_flags_exit_with_status_1() {
    let (_d, dir) = project_dir(VALID);
    for args in [&["--bogus"][..], &["up", "--bogus"], &["config", "--bogus"]] {
        let r = run(&dir, args);
        r.assert_error();
        assert!(r.stderr.contains("--bogus"), "{args:?}: {r:#?}");
    }
}

#[test]
fn unknown_flags_get_compose_text_and_the_nearest_flag() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["up", "--detatch"]);
    r.assert_error();
    assert_eq!(
        r.stderr,
        "unknown flag: --detatch (did you mean '--detach'?)\nSee 'rcompose up --help'.\n"
    );
    let r = run(&dir, &["ps", "-x"]);
    r.assert_error();
    assert_eq!(
        r.stderr,
        "unknown shorthand flag: 'x' in -x\nSee 'rcompose ps --help'.\n"
    );
    // exec and run: a flag before SERVICE is still a flag, not the service's name.
    let r = run(&dir, &["exec", "-x", "web", "ls"]);
    r.assert_error();
    assert_eq!(r.first_err_line(), "unknown shorthand flag: 'x' in -x");
    let r = run(&dir, &["logs", "--folow"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "unknown flag: --folow (did you mean '--follow'?)"
    );
}

#[test]
fn project_flags_belong_before_the_sub_command() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["config", "-p", "x"]);
    r.assert_error();
    let r = run(&dir, &["up", "-f", "compose.yaml", "-d"]);
    r.assert_error();
    assert!(!r.stderr.contains("Cannot connect"), "{r:#?}");
    // The user's own command line, rewritten with each flag where it belongs.
    for (args, text) in [
        (
            &["up", "-d", "-p", "people"][..],
            "unknown shorthand flag: 'p' in -p\nproject flags such as -p go before the sub-command: rcompose -p people up -d\nSee 'rcompose up --help'.\n",
        ),
        (
            &[
                "--ansi=never",
                "up",
                "-dV",
                "-f",
                "x.yml",
                "--menu=false",
                "web",
            ][..],
            "unknown shorthand flag: 'f' in -f\nproject flags such as -f go before the sub-command: rcompose --ansi=never -f x.yml up -d -V --menu=false web\nSee 'rcompose up --help'.\n",
        ),
        (
            &["ps", "--profile", "debug", "-a"][..],
            "unknown flag: --profile\nproject flags such as --profile go before the sub-command: rcompose --profile debug ps -a\nSee 'rcompose ps --help'.\n",
        ),
        (
            &["logs", "-f", "--project-name=my app", "web"][..],
            "unknown flag: --project-name\nproject flags such as --project-name go before the sub-command: rcompose '--project-name=my app' logs -f web\nSee 'rcompose logs --help'.\n",
        ),
        (
            &["--detach", "up", "web"][..],
            "unknown flag: --detach\nflags of 'up' such as --detach go after it: rcompose up --detach web\nSee 'rcompose --help'.\n",
        ),
    ] {
        let r = run(&dir, args);
        r.assert_error();
        assert_eq!(r.stderr, text, "{args:?}");
        assert!(!r.stderr.contains("'-- "), "not clap's tip: {r:#?}");
    }
}

#[test]
fn repeated_flags_are_accepted_the_last_value_winning() {
    let (_d, dir) = project_dir(VALID);
    for args in [
        &["-p", "x", "-p", "x", "config", "--services"][..],
        &["--ansi", "never", "--ansi", "never", "config", "--services"],
        &[
            "config",
            "--format",
            "json",
            "--format",
            "yaml",
            "--services",
        ],
        &["config", "-q", "-q"],
    ] {
        let r = run(&dir, args);
        assert_eq!(r.code, 0, "{args:?}: {r:#?}");
    }
    let r = run(&dir, &["config", "--format", "yaml", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(r.stdout.starts_with('{'), "json won: {}", r.stdout);
    for args in [
        &["exec", "-T", "-T", "web", "true"][..],
        &["ps", "-a", "-a"],
        &["down", "-v", "-v"],
        &["images", "--format", "json", "--format", "json"],
        &["up", "--detach=true", "--wait=false", "--menu=false", "-d"],
    ] {
        run(&dir, args).assert_engine_unreachable();
    }
}

#[test]
fn boolean_flags_refuse_values_parse_bool_refuses() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["up", "--detach=yes"]);
    r.assert_error();
    assert_eq!(
        r.stderr,
        "invalid argument \"yes\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"yes\": invalid syntax\n"
    );
    // `--flag false` is two words: `false` is a service name here.
    let r = run(&dir, &["up", "--no-start", "false"]);
    r.assert_error();
    assert_eq!(r.first_err_line(), "no such service: false");
}

#[test]
fn up_refuses_incompatible_flags_before_the_engine() {
    let (_d, dir) = project_dir(VALID);
    let r = run(&dir, &["up", "-d", "--force-recreate", "--no-recreate"]);
    r.assert_error();
    assert_eq!(
        r.first_err_line(),
        "--force-recreate and --no-recreate are incompatible"
    );
}

/// Arguments, extra environment, expected first line of stderr.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn flag_and_environment_conflicts_fail_before_the_engine() {
    let (_d, dir) = project_dir(VALID);
    let cases: &[Case] = &[
        (
            &["up", "-d", "--remove-orphans"],
            &[("COMPOSE_IGNORE_ORPHANS", "1")],
            "cannot combine COMPOSE_IGNORE_ORPHANS and --remove-orphans",
        ),
        (
            &["up", "-d", "--scale", "nope=2"],
            &[],
            "no such service: nope",
        ),
        (
            &["--progress", "bogus", "ps"],
            &[],
            "unsupported --progress value \"bogus\"",
        ),
        (
            &["ps"],
            &[("COMPOSE_PROGRESS", "bogus")],
            "unsupported --progress value \"bogus\"",
        ),
        (
            &["--ansi", "never", "--progress", "tty", "ps"],
            &[],
            "can't use --progress tty while ANSI support is disabled",
        ),
    ];
    for (args, env, message) in cases {
        let r = run_with(&dir, args, env, "");
        r.assert_error();
        assert_eq!(r.first_err_line(), *message, "{args:?}: {r:#?}");
        assert!(!r.stderr.contains("Cannot connect"), "{args:?}: {r:#?}");
    }
}

#[test]
fn compose_variables_in_dot_env_act_as_if_exported() {
    let (_d, dir) = project_dir("services:\n  web:\n    image: nginx\n");
    std::fs::write(dir.join(".env"), "COMPOSE_PROGRESS=bogus\n").unwrap();
    let r = run(&dir, &["config", "-q"]);
    r.assert_error();
    assert!(
        r.stderr.contains("unsupported --progress value \"bogus\""),
        "{r:#?}"
    );
}
