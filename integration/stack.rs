//! `rcompose stack` on real swarms (integration/swarm.sh): deploy, ls, services, ps, rm on
//! three nodes; spread, global, configs and secrets in tasks, an overlay network across nodes;
//! no-op re-deploys keeping tasks; `--prune`; `--detach=false` failing on a task's error; the
//! docker CLI's `stack` commands managing rcompose's stacks and the other way round; the
//! not-a-manager error; and a single-node swarm for the quick suite.

use std::process::{Command, Output, Stdio};

use crate::swarm::{DEBIAN_DOCKER, Swarm, docker_cli, stack_name, swarm, swarm1, wait_for};

const RCOMPOSE: &str = env!("CARGO_BIN_EXE_rcompose");

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A compose file in a temp dir, with `page.txt` and `token.txt` beside it.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(yaml: &str) -> Files {
        let dir = tempfile::Builder::new()
            .prefix("rcstack")
            .tempdir_in("/tmp")
            .expect("temp dir");
        std::fs::write(dir.path().join("page.txt"), "hello\n").unwrap();
        std::fs::write(dir.path().join("token.txt"), "s3cret\n").unwrap();
        let f = Files { dir };
        f.write(yaml);
        f
    }

    fn write(&self, yaml: &str) {
        std::fs::write(self.file(), crate::harness::unindent(yaml)).unwrap();
    }

    fn file(&self) -> String {
        self.dir
            .path()
            .join("compose.yaml")
            .to_string_lossy()
            .into_owned()
    }
}

/// `rcompose ARGS` against the swarm's manager.
fn rc(s: &Swarm, args: &[&str]) -> Output {
    Command::new(RCOMPOSE)
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_HOST", s.host("m"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("rcompose runs")
}

fn rc_ok(s: &Swarm, args: &[&str]) -> String {
    let o = rc(s, args);
    assert!(o.status.success(), "rcompose {args:?} failed: {}", err(&o));
    text(&o)
}

/// `kind name` of every swarm object labelled with the stack, on the manager.
fn objects(s: &Swarm, stack: &str) -> Vec<String> {
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
    all.sort();
    all
}

/// Task containers of the stack on every node.
fn containers(s: &Swarm, stack: &str) -> usize {
    let filter = format!("label=com.docker.stack.namespace={stack}");
    s.nodes
        .iter()
        .map(|n| {
            s.docker(n, &["ps", "-aq", "--filter", &filter])
                .lines()
                .count()
        })
        .sum()
}

fn assert_gone(s: &Swarm, stack: &str) {
    wait_for(&format!("nothing of stack {stack} left"), || {
        objects(s, stack).is_empty() && containers(s, stack) == 0
    });
}

/// Running task IDs of a service.
fn task_ids(s: &Swarm, svc: &str) -> Vec<String> {
    let mut ids: Vec<String> = s
        .docker(
            "m",
            &[
                "service",
                "ps",
                svc,
                "-q",
                "--filter",
                "desired-state=running",
            ],
        )
        .split_whitespace()
        .map(str::to_string)
        .collect();
    ids.sort();
    ids
}

const APP: &str = r#"
    version: "3.8"
    services:
      web:
        image: rcompose-test/busybox:latest
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
        stop_grace_period: 1s
        networks: [back]
        configs: [page]
        secrets: [token]
        deploy:
          replicas: 3
          endpoint_mode: dnsrr
          placement:
            max_replicas_per_node: 1
      agent:
        image: rcompose-test/busybox:latest
        command: [sleep, "3600"]
        stop_grace_period: 1s
        networks: [back]
        deploy:
          mode: global
    networks:
      back: {}
    configs:
      page:
        file: ./page.txt
    secrets:
      token:
        file: ./token.txt
"#;

#[test]
fn deploy_spreads_serves_configs_and_rm_leaves_nothing() {
    let s = swarm();
    let _g = s.shared();
    let st = stack_name("app");
    let f = Files::new(APP);
    let out = rc(
        s,
        &["stack", "deploy", "-c", &f.file(), "--detach=false", &st],
    );
    assert!(out.status.success(), "{}", err(&out));
    let web = format!("{st}_web");
    let agent = format!("{st}_agent");
    for line in [
        format!("Creating network {st}_back"),
        format!("Creating config {st}_page"),
        format!("Creating secret {st}_token"),
        format!("Creating service {web}"),
        format!("Creating service {agent}"),
    ] {
        assert!(
            text(&out).lines().any(|l| l == line),
            "{line:?} in {}",
            text(&out)
        );
    }
    // --detach=false returned after convergence: everything runs now, spread over the nodes.
    assert_eq!(s.running_nodes(&web), ["m", "w1", "w2"]);
    assert_eq!(s.running_nodes(&agent), ["m", "w1", "w2"]);
    // Names and labels as docker stack's: its own commands see the stack.
    let ls = s.docker("m", &["stack", "ls", "--format", "{{.Name}} {{.Services}}"]);
    assert!(ls.lines().any(|l| l == format!("{st} 2")), "{ls}");
    let img = s.docker(
        "m",
        &[
            "service",
            "inspect",
            "-f",
            "{{index .Spec.Labels \"com.docker.stack.image\"}}",
            &web,
        ],
    );
    assert_eq!(img.trim(), "rcompose-test/busybox:latest");
    let driver = s.docker(
        "m",
        &[
            "network",
            "inspect",
            "-f",
            "{{.Driver}}",
            &format!("{st}_back"),
        ],
    );
    assert_eq!(driver.trim(), "overlay");
    // Config and secret readable in a task; the overlay reaches web by name from another node.
    assert_eq!(text(&s.exec("w1", &web, "cat /page")), "hello\n");
    assert_eq!(
        text(&s.exec("w2", &web, "cat /run/secrets/token")),
        "s3cret\n"
    );
    let w1_host = s.docker(
        "w1",
        &[
            "inspect",
            "-f",
            "{{.Config.Hostname}}",
            &s.task_containers("w1", &web)[0],
        ],
    );
    wait_for("web on w1 reachable by name from agent on w2", || {
        let o = s.exec(
            "w2",
            &agent,
            "for i in 1 2 3 4 5 6; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 web 80; done",
        );
        text(&o).contains(w1_host.trim())
    });
    // rcompose's own listings.
    let services = rc_ok(
        s,
        &[
            "stack",
            "services",
            &st,
            "--format",
            "{{.Name}} {{.Mode}} {{.Replicas}}",
        ],
    );
    let mut lines: Vec<&str> = services.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("{agent} global 3/3"),
            format!("{web} replicated 3/3")
        ]
    );
    let table = rc_ok(s, &["stack", "services", &st]);
    assert!(table.starts_with("ID "), "{table}");
    let ps = rc_ok(
        s,
        &[
            "stack",
            "ps",
            &st,
            "--format",
            "{{.Name}} {{.DesiredState}}",
        ],
    );
    assert_eq!(
        ps.lines().filter(|l| l.ends_with(" Running")).count(),
        6,
        "{ps}"
    );
    let ls = rc_ok(s, &["stack", "ls"]);
    assert!(
        ls.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [st.as_str(), "2"]),
        "{ls}"
    );
    // A re-deploy of the same file changes nothing: the same tasks keep running.
    let before = task_ids(s, &web);
    let again = rc(s, &["stack", "deploy", "-c", &f.file(), &st]);
    assert!(again.status.success(), "{}", err(&again));
    assert!(
        !text(&again).contains("Updating service"),
        "{}",
        text(&again)
    );
    let dry = rc_ok(s, &["stack", "deploy", "-c", &f.file(), "--dry-run", &st]);
    assert!(
        dry.contains(&format!("keep service {web}: spec unchanged")),
        "{dry}"
    );
    assert_eq!(task_ids(s, &web), before);
    // rm removes every object and, soon, every task container on every node.
    let rm = rc_ok(s, &["stack", "rm", &st]);
    assert!(rm.contains(&format!("Removing service {web}")), "{rm}");
    assert!(rm.contains(&format!("Removing network {st}_back")), "{rm}");
    assert_gone(s, &st);
}

#[test]
fn a_changed_service_rolls_alone_and_prune_removes_the_dropped_one() {
    let s = swarm();
    let _g = s.shared();
    let st = stack_name("prune");
    let two = r#"
        version: "3.8"
        services:
          a:
            image: rcompose-test/busybox:latest
            command: [sleep, "3600"]
            stop_grace_period: 1s
          b:
            image: rcompose-test/busybox:latest
            command: [sleep, "3600"]
            stop_grace_period: 1s
    "#;
    let f = Files::new(two);
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    let a = format!("{st}_a");
    let b = format!("{st}_b");
    let a_tasks = task_ids(s, &a);
    // b changes (an environment variable), a does not; c is new.
    f.write(
        &(two.replace(
            "      b:\n            image",
            "      b:\n            environment: {X: \"1\"}\n            image",
        )),
    );
    let out = rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    assert!(out.contains(&format!("Updating service {b}")), "{out}");
    assert!(!out.contains(&format!("Updating service {a} ")), "{out}");
    assert_eq!(
        task_ids(s, &a),
        a_tasks,
        "an unchanged service keeps its tasks"
    );
    let env = s.docker(
        "m",
        &[
            "service",
            "inspect",
            "-f",
            "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
            &b,
        ],
    );
    assert!(env.contains("X=1"), "{env}");
    // Without b in the file: kept without --prune, removed with it.
    f.write(&two[..two.find("      b:").unwrap()]);
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), &st]);
    assert_eq!(
        objects(s, &st)
            .iter()
            .filter(|o| o.starts_with("service"))
            .count(),
        2
    );
    let out = rc_ok(s, &["stack", "deploy", "-c", &f.file(), "--prune", &st]);
    assert!(out.contains(&format!("Removing service {b}")), "{out}");
    assert_eq!(
        objects(s, &st),
        [format!("network {st}_default"), format!("service {a}")]
    );
    rc_ok(s, &["stack", "rm", &st]);
    assert_gone(s, &st);
}

#[test]
fn docker_stack_commands_manage_rcompose_stacks_and_back() {
    let s = swarm();
    let _g = s.shared();
    // Made by rcompose, listed and removed by the docker CLI (28.x and Debian's 20.10).
    let st = stack_name("byrc");
    let f = Files::new(APP);
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    let ps = s.run(
        DEBIAN_DOCKER,
        "m",
        &["stack", "ps", &st, "--format", "{{.Name}}"],
    );
    assert_eq!(text(&ps).lines().count(), 6, "{}", text(&ps));
    let svc = s.run(
        docker_cli(),
        "m",
        &[
            "stack",
            "services",
            &st,
            "--format",
            "{{.Name}} {{.Replicas}}",
        ],
    );
    assert!(
        text(&svc).contains(&format!("{st}_web 3/3")),
        "{}",
        text(&svc)
    );
    let rm = s.run(docker_cli(), "m", &["stack", "rm", &st]);
    assert!(rm.status.success(), "{}", err(&rm));
    assert_gone(s, &st);
    // Made by the docker CLI, re-deployed, listed and removed by rcompose.
    let st = stack_name("bydocker");
    let made = s.run(
        docker_cli(),
        "m",
        &["stack", "deploy", "-c", &f.file(), &st],
    );
    assert!(made.status.success(), "{}", err(&made));
    let web = format!("{st}_web");
    s.wait_running(&web, 3);
    s.wait_running(&format!("{st}_agent"), 3);
    let out = rc_ok(
        s,
        &[
            "stack",
            "services",
            &st,
            "--format",
            "{{.Name}} {{.Replicas}}",
        ],
    );
    assert!(out.contains(&format!("{st}_agent 3/3")), "{out}");
    let dry = rc_ok(s, &["stack", "deploy", "-c", &f.file(), "--dry-run", &st]);
    assert!(dry.contains("not deployed by rcompose"), "{dry}");
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    assert_eq!(s.running_nodes(&web), ["m", "w1", "w2"]);
    let rm = rc_ok(s, &["stack", "rm", &st]);
    assert!(rm.contains(&format!("Removing config {st}_page")), "{rm}");
    assert_gone(s, &st);
    let nothing = rc(s, &["stack", "rm", &st]);
    assert!(nothing.status.success());
    assert_eq!(
        err(&nothing).trim(),
        format!("Nothing found in stack: {st}")
    );
}

#[test]
fn detach_false_fails_with_the_task_error_when_the_image_is_missing() {
    let s = swarm();
    let _g = s.shared();
    let st = stack_name("noimg");
    let f = Files::new(
        r#"
        version: "3.8"
        services:
          x:
            image: rcompose-test/not-here:1
            command: [sleep, "3600"]
    "#,
    );
    let out = rc(
        s,
        &[
            "stack",
            "deploy",
            "-c",
            &f.file(),
            "--resolve-image",
            "never",
            "--detach=false",
            &st,
        ],
    );
    assert!(!out.status.success(), "must fail: {}", text(&out));
    assert!(
        err(&out).contains(&format!("service {st}_x:")),
        "{}",
        err(&out)
    );
    assert!(
        err(&out).to_lowercase().contains("no such image"),
        "{}",
        err(&out)
    );
    rc_ok(s, &["stack", "rm", &st]);
    assert_gone(s, &st);
}

#[test]
fn an_engine_that_is_not_a_manager_gets_a_clear_error_and_nothing() {
    let s = swarm();
    let _g = s.shared();
    let st = stack_name("worker");
    let f = Files::new(APP);
    // A worker of the test swarm: not a manager.
    let out = Command::new(RCOMPOSE)
        .env("DOCKER_HOST", s.host("w1"))
        .args(["stack", "deploy", "-c", &f.file(), &st])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = err(&out);
    assert!(
        e.contains(s.host("w1")) && e.contains("docker swarm init"),
        "{e}"
    );
    assert!(objects(s, &st).is_empty(), "nothing created");
    // Bad input is refused before the engine is asked.
    f.write("services:\n  x:\n    image: [1\n");
    let out = rc(s, &["stack", "deploy", "-c", &f.file(), &st]);
    assert!(!out.status.success());
    assert!(err(&out).contains("compose.yaml:"), "{}", err(&out));
}

#[test]
fn single_node_swarm_stack_round_trip() {
    let s = swarm1();
    let _g = s.shared();
    let st = stack_name("one");
    let f = Files::new(APP);
    // Three replicas at most one per node cannot be placed on one node: --detach=false says so.
    let out = rc(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    assert!(!out.status.success());
    assert!(err(&out).contains("no suitable node"), "{}", err(&out));
    f.write(&APP.replace("replicas: 3", "replicas: 1"));
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    assert_eq!(s.running_nodes(&format!("{st}_web")).len(), 1);
    assert_eq!(
        text(&s.exec("m", &format!("{st}_web"), "cat /page")),
        "hello\n"
    );
    // A changed config is a new object; the service rolls to it.
    std::fs::write(f.dir.path().join("page.txt"), "bye\n").unwrap();
    let out = rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    assert!(
        out.contains(&format!("Creating config {st}_page_")),
        "{out}"
    );
    wait_for("the new page in the task", || {
        s.task_containers("m", &format!("{st}_web")).len() == 1
            && text(&s.exec("m", &format!("{st}_web"), "cat /page")) == "bye\n"
    });
    rc_ok(s, &["stack", "rm", &st]);
    assert_gone(s, &st);
}

const ROLLING: &str = r#"
    version: "3.8"
    services:
      web:
        image: rcompose-test/busybox:latest
        command: ["sh", "-c", "exec sleep 3600"]
        stop_grace_period: 1s
        environment: {V: "1"}
        deploy:
          replicas: 3
          placement:
            max_replicas_per_node: 1
          update_config:
            parallelism: 1
            delay: 1s
            order: stop-first
            failure_action: rollback
            monitor: 3s
          rollback_config:
            parallelism: 1
"#;

#[test]
fn rolling_update_takes_one_task_down_at_a_time() {
    let s = swarm();
    let _g = s.shared();
    let st = stack_name("roll");
    let web = format!("{st}_web");
    let f = Files::new(ROLLING);
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    assert_eq!(s.running_nodes(&web).len(), 3);
    // While the update runs, a watcher samples the running tasks: never fewer than two.
    f.write(&ROLLING.replace("V: \"1\"", "V: \"2\""));
    let stop = std::sync::atomic::AtomicBool::new(false);
    let fewest = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut fewest = usize::MAX;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                fewest = fewest.min(s.running_nodes(&web).len());
            }
            fewest
        });
        let out = rc(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
        assert!(out.status.success(), "{}", err(&out));
        wait_for("update completed", || {
            s.docker(
                "m",
                &["service", "inspect", "-f", "{{.UpdateStatus.State}}", &web],
            )
            .trim()
                == "completed"
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        watcher.join().unwrap()
    });
    assert_eq!(
        fewest, 2,
        "parallelism 1, stop-first: exactly one task down at a time"
    );
    let env = s.docker(
        "m",
        &[
            "service",
            "inspect",
            "-f",
            "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
            &web,
        ],
    );
    assert!(env.contains("V=2"), "{env}");
    s.wait_running(&web, 3);
    rc_ok(s, &["stack", "rm", &st]);
    assert_gone(s, &st);
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
fn a_drained_node_hands_its_tasks_over_and_a_named_volume_keeps_its_data() {
    let s = swarm();
    let _g = s.exclusive();
    let st = stack_name("drain");
    let f = Files::new(
        r#"
        version: "3.8"
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, "3600"]
            stop_grace_period: 1s
            deploy:
              replicas: 3
          db:
            image: rcompose-test/busybox:latest
            command: [sleep, "3600"]
            stop_grace_period: 1s
            volumes: [data:/data]
            deploy:
              placement:
                constraints: [node.labels.rcompose.disk == ssd]
        volumes:
          data: {}
    "#,
    );
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    let web = format!("{st}_web");
    let db = format!("{st}_db");
    assert_eq!(s.running_nodes(&db), ["w2"]);
    // The named volume carries the stack's prefix and label; its data survives a re-deploy
    // that replaces the task.
    let vol = format!("{st}_data");
    let label = s.docker(
        "w2",
        &[
            "volume",
            "inspect",
            "-f",
            "{{index .Labels \"com.docker.stack.namespace\"}}",
            &vol,
        ],
    );
    assert_eq!(label.trim(), st);
    let o = s.exec("w2", &db, "echo kept > /data/f");
    assert!(o.status.success());
    let old = s.task_containers("w2", &db);
    f.write(&std::fs::read_to_string(f.file()).unwrap().replace(
        "volumes: [data:/data]",
        "volumes: [data:/data]\n    environment: {X: \"1\"}",
    ));
    rc_ok(s, &["stack", "deploy", "-c", &f.file(), "-d=false", &st]);
    wait_for("db's task replaced", || {
        let now = s.task_containers("w2", &db);
        now.len() == 1 && now != old
    });
    assert_eq!(text(&s.exec("w2", &db, "cat /data/f")), "kept\n");
    // Draining w1 moves its web tasks to the others.
    let w1 = s.hostname("w1");
    let undrain = Undrain(s, w1.clone());
    s.docker("m", &["node", "update", "--availability", "drain", &w1]);
    wait_for("3 web tasks off w1", || {
        let nodes = s.running_nodes(&web);
        nodes.len() == 3 && !nodes.contains(&"w1".to_string())
    });
    drop(undrain);
    s.wait_all_ready();
    rc_ok(s, &["stack", "rm", &st]);
    assert_gone(s, &st);
}
