//! The swarm fixtures proved with the docker CLI alone (`docker stack deploy` of the 28.x client
//! and Debian's 20.10 client): spread, global, placement on node labels, an overlay network
//! across nodes, a published port reached from the host, a drained node and a killed worker
//! dockerd giving their tasks to the others, and the single-node swarm. rcompose's `stack`
//! tests get the same scenarios later.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::docker;
use crate::swarm::{DEBIAN_DOCKER, Swarm, docker_cli, swarm, swarm1, wait_for};

/// A busybox httpd answering with its container's hostname; stops at once.
const WEB: &str = r#"
    image: rcompose-test/busybox:latest
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    stop_grace_period: 1s
"#;

/// A file with one service `name` of [`WEB`] plus `extra` (indented as a service's keys).
fn web_file(name: &str, extra: &str) -> String {
    format!("version: \"3.8\"\nservices:\n  {name}:{WEB}{extra}")
}

/// GET / at addr:port from the host; the body.
fn http_at(addr: &str, port: u16) -> Option<String> {
    let mut s = TcpStream::connect_timeout(
        &format!("{addr}:{port}").parse().ok()?,
        Duration::from_secs(3),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET / HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_once("\r\n\r\n")
        .map(|(_, b)| b.trim().to_string())
}

/// Labels of the swarm objects of a stack on the manager: `(kind, name)` pairs.
fn stack_objects(s: &Swarm, stack: &str) -> Vec<String> {
    let filter = format!("label=com.docker.stack.namespace={stack}");
    let mut all = Vec::new();
    for kind in ["service", "network", "config", "secret"] {
        for name in s
            .docker(
                "m",
                &[kind, "ls", "--filter", &filter, "--format", "{{.Name}}"],
            )
            .split_whitespace()
        {
            all.push(format!("{kind} {name}"));
        }
    }
    all
}

#[test]
fn main_engine_keeps_running_beside_the_swarm() {
    let s = swarm();
    let _g = s.shared();
    assert_eq!(
        docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]).trim(),
        "inactive",
        "the main engine must not join the test swarm"
    );
    assert_eq!(s.nodes, ["m", "w1", "w2"]);
    let managers = s.docker("m", &["node", "ls", "--filter", "role=manager", "-q"]);
    assert_eq!(managers.lines().count(), 1, "one manager");
    // Every node has its own engine (ID) and the test image.
    let mut ids = Vec::new();
    for n in &s.nodes {
        ids.push(s.docker(n, &["info", "--format", "{{.ID}}"]));
        s.docker(n, &["image", "inspect", "rcompose-test/busybox:latest"]);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three distinct engines");
}

#[test]
fn replicated_service_spreads_over_the_three_nodes() {
    let s = swarm();
    let _g = s.shared();
    let file = web_file(
        "web",
        "    deploy:\n      replicas: 3\n      placement:\n        max_replicas_per_node: 1\n",
    );
    let st = s.deploy(docker_cli(), "spread", &file);
    assert_eq!(s.wait_running(&st.service("web"), 3), ["m", "w1", "w2"]);
    // Each node's own engine runs one task container, labelled with the stack.
    for n in &s.nodes {
        let ids = s.docker(
            n,
            &[
                "ps",
                "-q",
                "--filter",
                "label=com.docker.stack.namespace=spread",
            ],
        );
        assert_eq!(ids.lines().count(), 1, "one task on {n}");
    }
    // Debian's 20.10 client sees the stack the 28.x client made.
    let out = s.run(
        DEBIAN_DOCKER,
        "m",
        &["stack", "ls", "--format", "{{.Name}} {{.Services}}"],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "spread 1"),
        "stack ls: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn global_service_runs_once_on_every_node() {
    let s = swarm();
    let _g = s.shared();
    let st = s.deploy(
        DEBIAN_DOCKER,
        "global",
        &web_file("web", "    deploy:\n      mode: global\n"),
    );
    assert_eq!(s.wait_running(&st.service("web"), 3), ["m", "w1", "w2"]);
}

#[test]
fn placement_constraints_on_node_labels_pin_the_tasks() {
    let s = swarm();
    let _g = s.shared();
    let file = web_file(
        "ssd",
        "    deploy:\n      replicas: 2\n      placement:\n        constraints: [node.labels.rcompose.disk == ssd]\n",
    ) + "  zonea:"
        + WEB
        + "    deploy:\n      placement:\n        constraints: [node.labels.rcompose.zone == a]\n";
    let st = s.deploy(docker_cli(), "placed", &file);
    assert_eq!(s.wait_running(&st.service("ssd"), 2), ["w2", "w2"]);
    assert_eq!(s.wait_running(&st.service("zonea"), 1), ["m"]);
}

#[test]
fn overlay_network_across_nodes_reaches_a_service_by_name() {
    let s = swarm();
    let _g = s.shared();
    // dnsrr: the name resolves to the task addresses (a VIP needs IPVS, which this kernel lacks).
    let file = web_file(
        "srv",
        "    networks: [back]\n    deploy:\n      endpoint_mode: dnsrr\n      placement:\n        constraints: [node.labels.rcompose.name == w1]\n",
    ) + "  cli:\n    image: rcompose-test/busybox:latest\n    command: [sleep, \"3600\"]\n    stop_grace_period: 1s\n    networks: [back]\n    deploy:\n      placement:\n        constraints: [node.labels.rcompose.name == w2]\nnetworks:\n  back: {}\n";
    let st = s.deploy(docker_cli(), "overlay", &file);
    assert_eq!(s.wait_running(&st.service("srv"), 1), ["w1"]);
    assert_eq!(s.wait_running(&st.service("cli"), 1), ["w2"]);
    let driver = s.docker(
        "m",
        &["network", "inspect", "-f", "{{.Driver}}", "overlay_back"],
    );
    assert_eq!(driver.trim(), "overlay");
    let srv_host = s.docker(
        "w1",
        &[
            "inspect",
            "-f",
            "{{.Config.Hostname}}",
            &s.task_containers("w1", &st.service("srv"))[0],
        ],
    );
    // The name reaches w1's task from w2 over VXLAN (DNS may take a moment to learn the task).
    let mut last = String::new();
    wait_for("srv reachable by name from the task on w2", || {
        let out = s.exec(
            "w2",
            &st.service("cli"),
            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 srv 80",
        );
        last = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        last.contains(srv_host.trim())
    });
}

#[test]
fn published_host_mode_port_answers_from_the_host_on_every_node() {
    let s = swarm();
    let _g = s.shared();
    let file = web_file(
        "web",
        "    ports:\n      - {target: 80, published: 18081, mode: host}\n    deploy:\n      mode: global\n",
    ) + "  mesh:"
        + WEB
        + "    ports: [\"18082:80\"]\n";
    let st = s.deploy(docker_cli(), "ports", &file);
    s.wait_running(&st.service("web"), 3);
    // Each node answers on its own address with its own task.
    let mut seen = Vec::new();
    for n in &s.nodes {
        let want = s
            .docker(
                n,
                &[
                    "inspect",
                    "-f",
                    "{{.Config.Hostname}}",
                    &s.task_containers(n, &st.service("web"))[0],
                ],
            )
            .trim()
            .to_string();
        let mut got = None;
        wait_for(&format!("{}:18081 answering", s.ip(n)), || {
            got = http_at(s.ip(n), 18081);
            got.is_some()
        });
        assert_eq!(
            got.as_deref(),
            Some(want.as_str()),
            "{n} answers with its own task"
        );
        seen.push(want);
    }
    seen.dedup();
    assert_eq!(seen.len(), 3);
    // The routing-mesh port is in the service's endpoint (it carries no traffic without IPVS).
    let ports = s.docker(
        "m",
        &[
            "service",
            "inspect",
            "-f",
            "{{json .Endpoint.Ports}}",
            &st.service("mesh"),
        ],
    );
    assert!(
        ports.contains(r#""PublishMode":"ingress""#) && ports.contains(r#""PublishedPort":18082"#),
        "{ports}"
    );
}

/// Sets a node's availability back to active when dropped.
struct Undrain<'a>(&'a Swarm, String);

impl Drop for Undrain<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(
            DEBIAN_DOCKER,
            "m",
            &["node", "update", "--availability", "active", &self.1],
        );
    }
}

#[test]
fn a_drained_node_gives_its_tasks_to_the_others() {
    let s = swarm();
    let _g = s.exclusive();
    let st = s.deploy(
        docker_cli(),
        "drain",
        &web_file("web", "    deploy:\n      replicas: 3\n"),
    );
    let svc = st.service("web");
    assert_eq!(s.wait_running(&svc, 3), ["m", "w1", "w2"]);
    let w1 = s.hostname("w1");
    let _undrain = Undrain(s, w1.clone());
    s.docker("m", &["node", "update", "--availability", "drain", &w1]);
    wait_for("3 tasks off w1", || {
        let nodes = s.running_nodes(&svc);
        nodes.len() == 3 && !nodes.contains(&"w1".to_string())
    });
    wait_for("no task container left on w1", || {
        s.task_containers("w1", &svc).is_empty()
    });
    drop(_undrain);
    s.wait_all_ready();
}

/// Starts a killed node's dockerd again when dropped, and waits for the node to be ready.
struct Revive<'a>(&'a Swarm, &'static str);

impl Drop for Revive<'_> {
    fn drop(&mut self) {
        self.0.script("start-node", &[self.1]);
    }
}

#[test]
fn a_killed_worker_dockerd_gets_its_tasks_rescheduled() {
    let s = swarm();
    let _g = s.exclusive();
    let st = s.deploy(
        docker_cli(),
        "kill",
        &web_file("web", "    deploy:\n      replicas: 3\n"),
    );
    let svc = st.service("web");
    assert_eq!(s.wait_running(&svc, 3), ["m", "w1", "w2"]);
    s.script("kill-node", &["w2"]);
    let revive = Revive(s, "w2");
    wait_for("w2 seen down", || s.node_states()["w2"].0 == "Down");
    wait_for("3 tasks on m and w1", || {
        let nodes = s.running_nodes(&svc);
        nodes.len() == 3 && nodes.iter().all(|n| n != "w2")
    });
    drop(revive);
    s.wait_all_ready();
    // Back up, w2 runs none of the service's tasks: they were shut down, not duplicated.
    wait_for("no task container left on w2", || {
        s.task_containers("w2", &svc).is_empty()
    });
    assert_eq!(s.running_nodes(&svc).len(), 3);
}

#[test]
fn single_node_swarm_deploys_lists_and_removes_a_stack() {
    let s = swarm1();
    let _g = s.shared();
    assert_eq!(s.nodes, ["m"]);
    let file = web_file(
        "web",
        "    deploy:\n      replicas: 2\n    configs: [page]\n",
    ) + "  job:\n    image: rcompose-test/busybox:latest\n    command: [sleep, \"3600\"]\n    stop_grace_period: 1s\nconfigs:\n  page:\n    file: ./page.txt\n";
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("page.txt"), "hello\n").expect("write");
    std::fs::write(dir.path().join("compose.yaml"), &file).expect("write");
    let f = dir.path().join("compose.yaml");
    let out = s.run(
        DEBIAN_DOCKER,
        "m",
        &["stack", "deploy", "-c", &f.to_string_lossy(), "one"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "Creating network one_default",
        "Creating config one_page",
        "Creating service one_web",
        "Creating service one_job",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    s.wait_running("one_web", 2);
    s.wait_running("one_job", 1);
    let services = s.docker(
        "m",
        &[
            "stack",
            "services",
            "one",
            "--format",
            "{{.Name}} {{.Replicas}}",
        ],
    );
    let mut lines: Vec<&str> = services.lines().collect();
    lines.sort();
    assert_eq!(lines, ["one_job 1/1", "one_web 2/2"]);
    let page = s.exec("m", "one_web", "cat /page");
    assert_eq!(String::from_utf8_lossy(&page.stdout), "hello\n");
    assert_eq!(
        stack_objects(s, "one"),
        [
            "service one_job",
            "service one_web",
            "network one_default",
            "config one_page"
        ]
    );
    let rm = s.run(docker_cli(), "m", &["stack", "rm", "one"]);
    assert!(
        rm.status.success(),
        "{}",
        String::from_utf8_lossy(&rm.stderr)
    );
    // The network goes once the tasks are gone: `stack rm` does not wait for it.
    wait_for("stack rm leaves nothing", || {
        stack_objects(s, "one").is_empty()
    });
    wait_for("task containers gone", || {
        s.docker(
            "m",
            &[
                "ps",
                "-aq",
                "--filter",
                "label=com.docker.stack.namespace=one",
            ],
        )
        .trim()
        .is_empty()
    });
}
