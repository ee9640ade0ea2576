//! Test harness for integration tests against a real Docker Engine.
//!
//! Each [`TestProject`] has its own temp directory and a unique project name, runs the built
//! `rcompose` binary there, and judges the engine independently of rcompose through the docker
//! CLI (`docker ps/inspect/network/volume` filtered by the project label). Dropping a project
//! removes everything labelled with its name, also through the docker CLI.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const BUSYBOX: &str = "rcompose-test/busybox:latest";

static ENGINE: Once = Once::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The docker CLI used as the independent judge (Debian's client talks to the 20.10 daemon).
fn docker_bin() -> &'static str {
    if Path::new("/usr/bin/docker").exists() {
        "/usr/bin/docker"
    } else {
        "docker"
    }
}

/// Fails the test run when no engine answers: integration tests never skip.
pub fn require_engine() {
    ENGINE.call_once(|| {
        let ok = Command::new(docker_bin())
            .args(["version", "--format", "{{.Server.Version}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "no Docker Engine answers: run `bash integration/engine.sh` first (it installs and starts one and builds the test images)"
        );
        let has_busybox = Command::new(docker_bin())
            .args(["image", "inspect", BUSYBOX])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(has_busybox, "image {BUSYBOX} is missing: run `bash integration/engine.sh`");
    });
}

/// True when the engine under test is Podman's Docker-compatible API (DOCKER_HOST pointing at
/// its socket): the few assertions on engine-specific details take Podman's answer there.
pub fn podman() -> bool {
    static PODMAN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PODMAN.get_or_init(|| {
        Command::new(docker_bin())
            .args([
                "version",
                "--format",
                "{{range .Server.Components}}{{.Name}} {{end}}",
            ])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("Podman"))
    })
}

/// Runs the docker CLI and returns stdout; panics with its stderr on failure. A listing that
/// races a container's exit on Podman ("no such process") is asked again.
pub fn docker(args: &[&str]) -> String {
    let mut tries = 0;
    let out = loop {
        let out = Command::new(docker_bin())
            .args(args)
            .output()
            .expect("docker CLI runs");
        tries += 1;
        if out.status.success()
            || tries == 5
            || !String::from_utf8_lossy(&out.stderr).contains("no such process")
        {
            break out;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the docker CLI, returning whether it succeeded.
pub fn docker_ok(args: &[&str]) -> bool {
    Command::new(docker_bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The id of the local image `image`.
pub fn image_id(image: &str) -> String {
    docker(&["image", "inspect", "-f", "{{.Id}}", image])
        .trim()
        .to_string()
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The result of one rcompose run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub args: Vec<String>,
}

impl Run {
    #[track_caller]
    pub fn success(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "rcompose {:?} failed\nstdout:\n{}\nstderr:\n{}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(&self) -> &Run {
        assert_ne!(
            self.code, 0,
            "rcompose {:?} should have failed\nstdout:\n{}\nstderr:\n{}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_contains(&self, s: &str) -> &Run {
        assert!(
            self.stderr.contains(s),
            "stderr of {:?} lacks {s:?}:\n{}",
            self.args,
            self.stderr
        );
        self
    }
}

/// One container as the engine reports it.
#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub state: String,
    pub labels: BTreeMap<String, String>,
}

impl Container {
    pub fn label(&self, k: &str) -> &str {
        self.labels.get(k).map(String::as_str).unwrap_or("")
    }

    pub fn service(&self) -> &str {
        self.label("com.docker.compose.service")
    }
}

/// A compose project in a temp directory with a unique name.
pub struct TestProject {
    pub dir: tempfile::TempDir,
    pub name: String,
    pub env: Vec<(String, String)>,
    /// Compose file passed with -f; None runs in `dir` with discovery.
    pub file: Option<PathBuf>,
}

impl TestProject {
    pub fn new(test: &str) -> TestProject {
        require_engine();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("rct-{test}-{}-{n}", std::process::id()).replace('_', "-");
        TestProject {
            dir: tempfile::tempdir().expect("temp dir"),
            name,
            env: Vec::new(),
            file: None,
        }
    }

    /// Writes `compose.yaml` (leading indentation common to all lines is removed).
    pub fn compose(self, yaml: &str) -> TestProject {
        self.write("compose.yaml", yaml);
        self
    }

    /// Writes a file relative to the project directory.
    pub fn write(&self, path: &str, text: &str) {
        let p = self.dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, unindent(text)).expect("write");
    }

    pub fn env(mut self, k: &str, v: &str) -> TestProject {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Runs `rcompose -p <name> [-f file] ARGS` in the project directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut full: Vec<String> = vec!["-p".into(), self.name.clone()];
        if let Some(f) = &self.file {
            full.push("-f".into());
            full.push(f.to_string_lossy().into_owned());
        }
        full.extend(args.iter().map(|s| s.to_string()));
        self.run_raw(&full)
    }

    /// `rcompose -p <name> [-f file] ARGS` set up as [`TestProject::run`] runs it, for tests
    /// that spawn it themselves (stdin piped, signals, background runs).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut full: Vec<String> = vec!["-p".into(), self.name.clone()];
        if let Some(f) = &self.file {
            full.push("-f".into());
            full.push(f.to_string_lossy().into_owned());
        }
        full.extend(args.iter().map(|s| s.to_string()));
        self.raw_command(&full)
    }

    /// [`TestProject::command`] started in the background with stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rcompose starts")
    }

    fn raw_command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcompose"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("COMPOSE_PROGRESS", "plain")
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROFILES")
            // No registry here: snapshots use the local test image as their helper.
            .env("RCOMPOSE_SNAPSHOT_IMAGE", BUSYBOX)
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// [`TestProject::run`] with `input` piped to rcompose's stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rcompose runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("rcompose ends");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Runs rcompose with exactly `args`, in the project directory.
    pub fn run_raw(&self, args: &[String]) -> Run {
        let out = self.raw_command(args).output().expect("rcompose runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.to_vec(),
        }
    }

    fn label_filter(&self) -> String {
        format!("label=com.docker.compose.project={}", self.name)
    }

    /// Every container labelled with the project, sorted by name.
    pub fn containers(&self) -> Vec<Container> {
        past_podman_stopped(
            || self.containers_once(),
            |found| found.iter().any(|c| c.state == "stopped"),
        )
    }

    fn containers_once(&self) -> Vec<Container> {
        let ids = docker(&["ps", "-aq", "--no-trunc", "--filter", &self.label_filter()]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let mut args = vec![
            "inspect",
            "--format",
            "{{.Id}}\t{{.Name}}\t{{.State.Status}}\t{{json .Config.Labels}}",
        ];
        args.extend(ids);
        let mut out: Vec<Container> = docker(&args)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut f = l.splitn(4, '\t');
                let id = f.next().unwrap_or_default().to_string();
                let name = f
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string();
                let state = f.next().unwrap_or_default().to_string();
                let labels: BTreeMap<String, String> =
                    serde_json::from_str(f.next().unwrap_or("{}")).unwrap_or_default();
                Container {
                    id,
                    name,
                    state,
                    labels,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The container of `service` replica 1, panicking when there is none.
    #[track_caller]
    pub fn container(&self, service: &str) -> Container {
        self.containers()
            .into_iter()
            .find(|c| c.service() == service && c.label("com.docker.compose.oneoff") != "True")
            .unwrap_or_else(|| panic!("no container for service {service}"))
    }

    /// Names of networks labelled with the project.
    pub fn networks(&self) -> Vec<String> {
        let mut v: Vec<String> = docker(&[
            "network",
            "ls",
            "--format",
            "{{.Name}}",
            "--filter",
            &self.label_filter(),
        ])
        .lines()
        .map(str::to_string)
        .collect();
        v.sort();
        v
    }

    /// Names of volumes labelled with the project.
    pub fn volumes(&self) -> Vec<String> {
        let mut v: Vec<String> = docker(&[
            "volume",
            "ls",
            "--format",
            "{{.Name}}",
            "--filter",
            &self.label_filter(),
        ])
        .lines()
        .map(str::to_string)
        .collect();
        v.sort();
        v
    }

    /// Labels of a network or volume (`kind` = "network" | "volume").
    pub fn resource_labels(kind: &str, name: &str) -> BTreeMap<String, String> {
        serde_json::from_str(&docker(&[
            kind,
            "inspect",
            "--format",
            "{{json .Labels}}",
            name,
        ]))
        .unwrap_or_default()
    }

    /// Removes everything labelled with the project, without rcompose.
    pub fn purge(&self) {
        let ids = docker(&["ps", "-aq", "--filter", &self.label_filter()]);
        for id in ids.split_whitespace() {
            docker_ok(&["rm", "-f", "-v", id]);
        }
        for n in self.networks() {
            docker_ok(&["network", "rm", &n]);
        }
        for v in self.volumes() {
            docker_ok(&["volume", "rm", "-f", &v]);
        }
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        self.purge();
    }
}

/// Removes the indentation common to all non-empty lines.
pub fn unindent(s: &str) -> String {
    let indent = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    s.lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A minimal HTTP GET to 127.0.0.1:port, returning the body.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    // CGI responses may end their header with a bare "\n\n".
    let buf = buf.replace("\r\n", "\n");
    buf.split_once("\n\n").map(|(_, b)| b.to_string())
}

/// Runs `psql` on the host against 127.0.0.1:port; returns trimmed stdout.
#[track_caller]
pub fn psql(port: u16, db: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            db,
        ])
        .args(["-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs (postgresql-client is installed by integration/engine.sh)");
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A second dockerd of the test's own, on a unix socket in a temp directory (its own data,
/// exec root and containerd) and in a network namespace of its own (`unshare --net`: its
/// bridge and iptables rules never touch the host's, where the shared engine's docker0
/// lives), holding a copy of the test image. Tests that must stop the engine use it, so the
/// shared engine keeps running.
pub struct PrivateEngine {
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateEngine {
    pub fn start() -> PrivateEngine {
        require_engine();
        let dir = tempfile::Builder::new()
            .prefix("rcengine")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let mut e = PrivateEngine { dir, child: None };
        e.resume();
        let load = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{} save {BUSYBOX} | {} -H {} load -q",
                docker_bin(),
                docker_bin(),
                e.host()
            ))
            .output()
            .expect("sh runs");
        assert!(
            load.status.success(),
            "loading {BUSYBOX}: {}",
            String::from_utf8_lossy(&load.stderr)
        );
        e
    }

    /// `unix://…` of its socket, for DOCKER_HOST.
    pub fn host(&self) -> String {
        format!("unix://{}/sock", self.dir.path().display())
    }

    /// Runs the docker CLI against it; returns stdout, panicking on failure.
    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new(docker_bin())
            .arg("-H")
            .arg(self.host())
            .args(args)
            .output()
            .expect("docker CLI runs");
        assert!(
            out.status.success(),
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn answers(&self) -> bool {
        Command::new(docker_bin())
            .args(["-H", &self.host(), "version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts (or starts again) the daemon and waits until it answers.
    pub fn resume(&mut self) {
        let d = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("log"))
            .expect("log file");
        // `unshare --net` (no --fork) execs dockerd itself in the new namespace, so the child
        // is the daemon and a signal to it reaches the daemon.
        let child = Command::new("unshare")
            .args(["--net", "dockerd"])
            .arg(format!("--data-root={}", d.join("data").display()))
            .arg(format!("--exec-root={}", d.join("exec").display()))
            .arg(format!("--pidfile={}", d.join("pid").display()))
            .arg(format!("--host={}", self.host()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dockerd starts");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !self.answers() {
            assert!(
                std::time::Instant::now() < deadline,
                "the private dockerd did not come up: {}",
                std::fs::read_to_string(d.join("log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Stops the daemon as a service manager would (SIGTERM, then wait for it to exit).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateEngine {
    fn drop(&mut self) {
        if self.child.is_some() && self.answers() {
            // Its containers go with it; nothing of it outlives the test.
            let ids = Command::new(docker_bin())
                .args(["-H", &self.host(), "ps", "-aq"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            for id in ids.split_whitespace() {
                let _ = Command::new(docker_bin())
                    .args(["-H", &self.host(), "rm", "-f", id])
                    .output();
            }
        }
        self.stop();
        let _ = Command::new("umount")
            .arg("-R")
            .arg(self.dir.path().join("data"))
            .stderr(Stdio::null())
            .status();
    }
}

/// What `read` returns once it no longer shows Podman's `stopped` state (`passing` says
/// whether it does): Podman shows a container on its way to `exited` that way for a moment,
/// so it is read again (every 100 ms, for up to five seconds) rather than judged.
pub fn past_podman_stopped<T>(read: impl Fn() -> T, passing: impl Fn(&T) -> bool) -> T {
    for _ in 0..50 {
        let v = read();
        if !passing(&v) {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    read()
}

/// Removes, when dropped, every image labelled with project `.0` and every image named after
/// it (`<project>-<service>`: an image the builder took from its cache carries the label of the
/// project that built it first).
pub struct ProjectImages(pub String);

impl Drop for ProjectImages {
    fn drop(&mut self) {
        let ids = docker(&[
            "images",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.0),
        ]);
        let names = docker(&[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            "--filter",
            &format!("reference={}-*", self.0),
        ]);
        for image in ids.split_whitespace().chain(names.split_whitespace()) {
            docker_ok(&["rmi", "-f", image]);
        }
    }
}

/// A project of two long-running busybox services, `web` (with the named volume `data`) and
/// `other`, and a spare volume no service mounts.
pub fn sleeper(test: &str) -> TestProject {
    TestProject::new(test).compose(&format!(
        "
        services:
          web:
            image: {BUSYBOX}
            command: sleep 600
            init: true
            volumes: [data:/data]
          other:
            image: {BUSYBOX}
            command: sleep 600
            init: true
        volumes:
          data: {{}}
          spare: {{}}
        "
    ))
}
