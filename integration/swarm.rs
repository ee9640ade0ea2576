//! Docker Swarm fixtures for the stack tests: a three-node swarm (one manager, two workers) and a
//! single-node one, each made once per test process by `integration/swarm.sh` (dockerd instances
//! in network namespaces of their own) and shared by the tests; helpers run the docker CLI
//! against a node, deploy stacks and wait for tasks. The script's watcher removes a cluster when
//! the test process exits, however it exits.
//!
//! Nodes are named `m`, `w1`, `w2` (labels `rcompose.name=<name>`, `rcompose.zone=a|b`,
//! `rcompose.disk=ssd` on the last worker). A test that takes a node away (drain, kill) holds
//! [`Swarm::exclusive`]; every other test holds [`Swarm::shared`], so it sees all nodes ready.
//! The kernel here has no IPVS: a service's VIP and the ingress routing mesh carry no traffic;
//! use `endpoint_mode: dnsrr` to reach a service by name and `mode: host` for published ports,
//! reached from the host at [`Swarm::ip`] of the node running the task.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::harness::{require_engine, unindent};

/// The docker CLI with `stack` that matches what users run: the machine's 28.x under
/// /usr/local/bin when it has one, else Debian's 20.10 client ([`DEBIAN_DOCKER`]), which
/// `integration/engine.sh` installs.
pub fn docker_cli() -> &'static str {
    static CLI: OnceLock<&str> = OnceLock::new();
    CLI.get_or_init(|| {
        let newer = "/usr/local/bin/docker";
        if Path::new(newer).exists() {
            newer
        } else {
            DEBIAN_DOCKER
        }
    })
}
pub const DEBIAN_DOCKER: &str = "/usr/bin/docker";

/// How long a poll waits before the test fails (a deadline, not a timing).
pub const PATIENCE: Duration = Duration::from_secs(90);

/// One cluster made by `integration/swarm.sh up`.
pub struct Swarm {
    env: BTreeMap<String, String>,
    pub nodes: Vec<String>,
    gate: RwLock<()>,
}

static THREE: OnceLock<Swarm> = OnceLock::new();
static ONE: OnceLock<Swarm> = OnceLock::new();

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/integration/swarm.sh")
}

/// The three-node swarm of this test process.
pub fn swarm() -> &'static Swarm {
    THREE.get_or_init(|| Swarm::up(3))
}

/// The single-node swarm of this test process.
pub fn swarm1() -> &'static Swarm {
    ONE.get_or_init(|| Swarm::up(1))
}

impl Swarm {
    fn up(nodes: usize) -> Swarm {
        require_engine();
        // Clusters of test processes that died without their watcher go first.
        let _ = Command::new("bash")
            .args([script(), "gc"])
            .stdout(Stdio::null())
            .status();
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(script())
            .args(["up", "--nodes", &nodes.to_string(), "--owner"])
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "integration/swarm.sh up --nodes {nodes} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let env: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        let nodes = env["SWARM_NODES"]
            .split_whitespace()
            .map(str::to_string)
            .collect();
        eprintln!(
            "swarm of {} up in {:.1}s at {}",
            env["SWARM_NODES"],
            started.elapsed().as_secs_f64(),
            env["SWARM_DIR"]
        );
        Swarm {
            env,
            nodes,
            gate: RwLock::new(()),
        }
    }

    /// For a test that leaves every node in place: waits until all are ready and active.
    pub fn shared(&self) -> RwLockReadGuard<'_, ()> {
        let g = self.gate.read().unwrap_or_else(|e| e.into_inner());
        self.wait_all_ready();
        g
    }

    /// For a test that drains, stops or kills a node: no other test of this cluster runs
    /// meanwhile. The test must give the node back (and [`Swarm::wait_all_ready`]).
    pub fn exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        let g = self.gate.write().unwrap_or_else(|e| e.into_inner());
        self.wait_all_ready();
        g
    }

    /// The cluster's directory (sockets, logs, per-node state).
    pub fn dir(&self) -> &Path {
        Path::new(&self.env["SWARM_DIR"])
    }

    /// DOCKER_HOST of the manager.
    #[allow(dead_code)] // for rcompose's stack tests
    pub fn manager(&self) -> &str {
        &self.env["SWARM_MANAGER"]
    }

    /// DOCKER_HOST of a node (`m`, `w1`, ...).
    pub fn host(&self, node: &str) -> &str {
        &self.env[&format!("SWARM_HOST_{node}")]
    }

    /// A node's address, reachable from the host (published ports in `mode: host`).
    pub fn ip(&self, node: &str) -> &str {
        &self.env[&format!("SWARM_IP_{node}")]
    }

    /// A node's hostname, which swarm shows as its name (`docker node ls`, `{{.Node}}`).
    pub fn hostname(&self, node: &str) -> String {
        let dir = self.dir().to_string_lossy();
        let id = dir.rsplit('.').next().unwrap_or_default();
        format!("rcs{id}-{node}")
    }

    /// The short node name (`m`, `w1`, ...) of a swarm node hostname.
    pub fn short(&self, hostname: &str) -> String {
        hostname.rsplit('-').next().unwrap_or(hostname).to_string()
    }

    /// Runs `bin` (a docker CLI) against a node; returns the run.
    pub fn run(&self, bin: &str, node: &str, args: &[&str]) -> std::process::Output {
        Command::new(bin)
            .env_remove("DOCKER_CONTEXT")
            .env("DOCKER_HOST", self.host(node))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("docker CLI runs")
    }

    /// The Debian docker CLI against a node; stdout, panicking with stderr on failure.
    pub fn docker(&self, node: &str, args: &[&str]) -> String {
        let out = self.run(DEBIAN_DOCKER, node, args);
        assert!(
            out.status.success(),
            "docker -H {} {args:?} failed: {}",
            self.host(node),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `swarm.sh SUBCOMMAND DIR ARGS...` (kill-node, start-node).
    pub fn script(&self, sub: &str, args: &[&str]) {
        let out = Command::new("bash")
            .arg(script())
            .arg(sub)
            .arg(self.dir())
            .args(args)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "swarm.sh {sub} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `(status, availability)` of each node, by short name, as the manager sees them.
    pub fn node_states(&self) -> BTreeMap<String, (String, String)> {
        self.docker(
            "m",
            &[
                "node",
                "ls",
                "--format",
                "{{.Hostname}} {{.Status}} {{.Availability}}",
            ],
        )
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 3).then(|| (self.short(f[0]), (f[1].to_string(), f[2].to_string())))
        })
        .collect()
    }

    pub fn wait_all_ready(&self) {
        wait_for("every node Ready and Active", || {
            let s = self.node_states();
            s.len() == self.nodes.len()
                && s.values().all(|(st, av)| st == "Ready" && av == "Active")
        });
    }

    /// Writes `yaml` (unindented) to a temp dir and runs `bin stack deploy -c FILE STACK` on
    /// the manager; the returned guard removes the stack (`docker stack rm`) when dropped.
    pub fn deploy(&self, bin: &str, stack: &str, yaml: &str) -> Stack<'_> {
        let dir = tempfile::Builder::new()
            .prefix("rcstack")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, unindent(yaml)).expect("write compose file");
        let out = self.run(
            bin,
            "m",
            &["stack", "deploy", "-c", &file.to_string_lossy(), stack],
        );
        assert!(
            out.status.success(),
            "{bin} stack deploy {stack} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Stack {
            swarm: self,
            name: stack.to_string(),
            _dir: dir,
            file,
        }
    }

    /// The nodes (short names) of a service's tasks that are meant to run and are running.
    pub fn running_nodes(&self, service: &str) -> Vec<String> {
        let mut nodes: Vec<String> = self
            .docker(
                "m",
                &[
                    "service",
                    "ps",
                    service,
                    "--filter",
                    "desired-state=running",
                    "--format",
                    "{{.Node}} {{.CurrentState}}",
                ],
            )
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("Running"))
            .map(|l| self.short(l.split_whitespace().next().unwrap_or_default()))
            .collect();
        nodes.sort();
        nodes
    }

    /// Waits until `service` has exactly `n` running tasks; returns their nodes.
    pub fn wait_running(&self, service: &str, n: usize) -> Vec<String> {
        let mut nodes = Vec::new();
        wait_for(&format!("{n} running tasks of {service}"), || {
            nodes = self.running_nodes(service);
            nodes.len() == n
        });
        nodes
    }

    /// Container IDs of a service's tasks on one node (its own engine, by the task label).
    pub fn task_containers(&self, node: &str, service: &str) -> Vec<String> {
        self.docker(
            node,
            &[
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.swarm.service.name={service}"),
            ],
        )
        .split_whitespace()
        .map(str::to_string)
        .collect()
    }

    /// Runs `sh -c SCRIPT` in a running task of `service` on `node`; returns the run.
    pub fn exec(&self, node: &str, service: &str, script: &str) -> std::process::Output {
        let ids = self.task_containers(node, service);
        let id = ids
            .first()
            .unwrap_or_else(|| panic!("no task of {service} runs on {node}"));
        self.run(DEBIAN_DOCKER, node, &["exec", id, "sh", "-c", script])
    }
}

/// A deployed stack; dropping it runs `docker stack rm` on the manager.
pub struct Stack<'a> {
    swarm: &'a Swarm,
    pub name: String,
    _dir: tempfile::TempDir,
    #[allow(dead_code)] // for rcompose's stack tests
    pub file: PathBuf,
}

impl Stack<'_> {
    /// `<stack>_<service>`.
    pub fn service(&self, svc: &str) -> String {
        format!("{}_{svc}", self.name)
    }
}

impl Drop for Stack<'_> {
    fn drop(&mut self) {
        let _ = self
            .swarm
            .run(docker_cli(), "m", &["stack", "rm", &self.name]);
    }
}

/// Polls `ok` (every 200 ms) until it holds; panics naming `what` after [`PATIENCE`].
pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ok() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A stack name unique to this test process.
pub fn stack_name(test: &str) -> String {
    format!("rcs{}{test}", std::process::id())
}
