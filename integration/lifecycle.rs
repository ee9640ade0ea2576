//! Lifecycle behaviour on busybox services: ordering, idempotence, recreate on change,
//! dependency conditions, scale, orphans and label-only commands, judged by engine state.

use crate::harness::{TestProject, docker};

fn started_at(id: &str) -> String {
    docker(&["inspect", "--format", "{{.State.StartedAt}}", id])
        .trim()
        .to_string()
}

fn finished_at(id: &str) -> String {
    docker(&["inspect", "--format", "{{.State.FinishedAt}}", id])
        .trim()
        .to_string()
}

const TWO: &str = "
    services:
      web:
        image: rcompose-test/busybox:latest
        command: [sleep, '3600']
        init: true
        depends_on: [db]
        environment:
          COLOR: blue
      db:
        image: rcompose-test/busybox:latest
        command: [sleep, '3600']
        init: true
";

#[test]
fn up_is_idempotent_and_recreates_only_what_changed() {
    let p = TestProject::new("recreate").compose(TWO);
    p.run(&["up", "-d"]).success();
    let (web, db) = (p.container("web"), p.container("db"));
    assert_eq!(web.state, "running");
    // The compose release rcompose implements, as `version --short` prints it: clients such
    // as the Dev Containers CLI read both.
    assert_eq!(
        web.label("com.docker.compose.version"),
        rcompose::plan::spec::COMPOSE_VERSION
    );
    for network in p.networks() {
        let labels = TestProject::resource_labels("network", &network);
        assert_eq!(
            labels.get("com.docker.compose.version").map(String::as_str),
            Some(rcompose::plan::spec::COMPOSE_VERSION),
            "{network}"
        );
    }
    assert!(
        started_at(&db.id) <= started_at(&web.id),
        "db starts before web"
    );

    let again = p.run(&["up", "-d"]);
    again.success();
    assert_eq!(p.container("web").id, web.id);
    assert_eq!(p.container("db").id, db.id);

    p.write("compose.yaml", &TWO.replace("COLOR: blue", "COLOR: red"));
    p.run(&["up", "-d"]).success();
    let web2 = p.container("web");
    assert_ne!(web2.id, web.id, "web's environment changed: recreated");
    assert_eq!(web2.name, format!("{}-web-1", p.name));
    assert_eq!(web2.state, "running");
    assert_ne!(
        web2.label("com.docker.compose.config-hash"),
        web.label("com.docker.compose.config-hash")
    );
    assert_eq!(web2.label("com.docker.compose.replace"), web.name);
    assert_eq!(p.container("db").id, db.id, "db unchanged: kept");
    let env = docker(&["inspect", "--format", "{{json .Config.Env}}", &web2.id]);
    assert!(env.contains("COLOR=red"), "{env}");
    assert_eq!(p.containers().len(), 2, "no leftover container");
}

#[test]
fn stop_runs_in_reverse_dependency_order_and_start_restarts() {
    let p = TestProject::new("stoporder").compose(TWO);
    p.run(&["up", "-d"]).success();
    p.run(&["stop"]).success();
    let (web, db) = (p.container("web"), p.container("db"));
    assert_eq!(
        (web.state.as_str(), db.state.as_str()),
        ("exited", "exited")
    );
    assert!(
        finished_at(&web.id) <= finished_at(&db.id),
        "web stops before db"
    );
    p.run(&["start"]).success();
    assert!(p.containers().iter().all(|c| c.state == "running"));
    assert_eq!(p.container("web").id, web.id, "start never recreates");
    // stop and down on nothing exit 0
    p.run(&["down"]).success();
    p.run(&["stop"]).success();
    p.run(&["down", "-v"]).success();
}

#[test]
fn label_only_stop_start_and_ps() {
    let p = TestProject::new("labelonly").compose(TWO);
    p.run(&["up", "-d"]).success();
    let empty = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["-p", &p.name])
            .args(args)
            .current_dir(empty.path())
            .env("COMPOSE_PROGRESS", "plain")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ids = run(&["ps", "-q"]);
    let mut want: Vec<String> = p.containers().iter().map(|c| c.id.clone()).collect();
    want.sort_by_key(|id| {
        p.containers()
            .iter()
            .find(|c| &c.id == id)
            .map(|c| c.name.clone())
    });
    assert_eq!(ids.lines().collect::<Vec<_>>(), want);
    let table = run(&["ps"]);
    assert!(table.starts_with("NAME "), "{table}");
    assert!(table.contains(&format!("{}-db-1", p.name)), "{table}");
    run(&["stop"]);
    assert!(p.containers().iter().all(|c| c.state == "exited"));
    assert_eq!(
        run(&["ps", "-q"]),
        "",
        "ps without -a lists running containers only"
    );
    assert_eq!(run(&["ps", "-aq"]).lines().count(), 2);
    run(&["start"]);
    assert!(p.containers().iter().all(|c| c.state == "running"));
}

#[test]
fn unhealthy_dependency_fails_up_and_leaves_dependent_created() {
    let p = TestProject::new("unhealthy").compose(
        "
        services:
          app:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            depends_on:
              db: {condition: service_healthy}
          db:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            healthcheck:
              test: [CMD, 'false']
              interval: 1s
              timeout: 1s
              retries: 1
        ",
    );
    let r = p.run(&["up", "-d"]);
    r.failure().stderr_contains(&format!(
        "dependency failed to start: container {}-db-1 is unhealthy",
        p.name
    ));
    assert_eq!(r.code, 1);
    assert_eq!(
        p.container("app").state,
        "created",
        "dependent is created, not started"
    );
    assert_eq!(p.container("db").state, "running");
}

#[test]
fn completed_successfully_dependency() {
    let p = TestProject::new("completed").compose(
        "
        services:
          app:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            depends_on:
              init: {condition: service_completed_successfully}
          init:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'exit ${INIT_CODE:-0}']
        ",
    );
    p.run(&["up", "-d"]).success();
    assert_eq!(p.container("app").state, "running");
    assert_eq!(p.container("init").state, "exited");

    let q = TestProject::new("completedfail").compose(
        "
        services:
          app:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            depends_on:
              init: {condition: service_completed_successfully}
          init:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'exit 3']
        ",
    );
    q.run(&["up", "-d"])
        .failure()
        .stderr_contains("service \"init\" didn't complete successfully: exit 3");
    assert_eq!(q.container("app").state, "created");
}

#[test]
fn replicas_scale_down_keeps_lowest_numbers_and_orphans_are_kept_until_asked() {
    let yaml = "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            deploy: {replicas: 3}
          extra:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
        ";
    let p = TestProject::new("scale").compose(yaml);
    p.run(&["up", "-d"]).success();
    let numbers = |p: &TestProject| {
        let mut v: Vec<String> = p
            .containers()
            .iter()
            .filter(|c| c.service() == "web")
            .map(|c| c.label("com.docker.compose.container-number").to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(numbers(&p), ["1", "2", "3"]);
    p.write("compose.yaml", &yaml.replace("replicas: 3", "replicas: 1"));
    p.run(&["up", "-d"]).success();
    assert_eq!(numbers(&p), ["1"]);

    // Remove `extra` from the file: it is an orphan, warned about and kept.
    let without_extra = yaml.replace("replicas: 3", "replicas: 1");
    let cut = without_extra.find("          extra:").unwrap();
    p.write("compose.yaml", &without_extra[..cut]);
    p.run(&["up", "-d"])
        .success()
        .stderr_contains("Found orphan containers");
    assert_eq!(p.container("extra").state, "running");
    p.run(&["up", "-d", "--remove-orphans"]).success();
    assert!(p.containers().iter().all(|c| c.service() != "extra"));
}

#[test]
fn exited_one_shot_is_started_again_not_recreated() {
    let p = TestProject::new("oneshot").compose(
        "
        services:
          job:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'date +%s%N >> /tmp/runs']
        ",
    );
    p.run(&["up", "-d"]).success();
    let first = p.container("job");
    for _ in 0..50 {
        if p.container("job").state == "exited" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let before = started_at(&first.id);
    p.run(&["up", "-d"]).success();
    let second = p.container("job");
    assert_eq!(second.id, first.id);
    assert_ne!(
        started_at(&second.id),
        before,
        "up starts exited containers again"
    );
}
