//! Container-control commands on busybox services: `restart`, `kill`, `rm`, `pause`/`unpause`,
//! `wait`, `create` and `scale`, with a compose file and label-only (`-p NAME` from an empty
//! directory), judged by engine state through the docker CLI.

use std::process::{Command, Stdio};

use crate::harness::{BUSYBOX, Run, TestProject, docker, docker_ok, past_podman_stopped};

fn inspect(id: &str, format: &str) -> String {
    past_podman_stopped(
        || {
            docker(&["inspect", "--format", format, id])
                .trim()
                .to_string()
        },
        |v| v == "stopped",
    )
}

/// StartedAt with its fraction padded to nanoseconds, so that strings compare as times.
fn started_at(id: &str) -> String {
    let t = inspect(id, "{{.State.StartedAt}}");
    let t = t.trim_end_matches('Z');
    match t.split_once('.') {
        Some((secs, frac)) => format!("{secs}.{frac:0<9}Z"),
        None => format!("{t}.000000000Z"),
    }
}

/// Runs `rcompose -p NAME ARGS` from an empty directory: no compose file, labels only.
fn run_label_only(p: &TestProject, empty: &tempfile::TempDir, args: &[&str]) -> Run {
    let mut full: Vec<String> = vec!["-p".into(), p.name.clone()];
    full.extend(args.iter().map(|s| s.to_string()));
    let out = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(&full)
        .current_dir(empty.path())
        .env("COMPOSE_PROGRESS", "plain")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROFILES")
        .stdin(Stdio::null())
        .output()
        .expect("rcompose runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        args: full,
    }
}

/// Starts a one-off container of `service` labelled like `rcompose run` would label it.
fn one_off(p: &TestProject, service: &str) -> String {
    let name = format!("{}-{service}-run-1", p.name);
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &name,
        "--label",
        &format!("com.docker.compose.project={}", p.name),
        "--label",
        &format!("com.docker.compose.service={service}"),
        "--label",
        "com.docker.compose.oneoff=True",
        "--label",
        "com.docker.compose.config-hash=oneoff",
        BUSYBOX,
        "sleep",
        "3600",
    ])
    .trim()
    .to_string()
}

/// A project whose commands get `-f compose.yaml`, so they load the model (with `-p` alone,
/// compose and rcompose work from labels).
fn project(test: &str, yaml: &str) -> TestProject {
    let mut p = TestProject::new(test).compose(yaml);
    p.file = Some(p.dir.path().join("compose.yaml"));
    p
}

#[track_caller]
fn stdout_contains(r: &Run, s: &str) {
    assert!(
        r.stdout.contains(s),
        "stdout of {:?} lacks {s:?}:\n{}\nstderr:\n{}",
        r.args,
        r.stdout,
        r.stderr
    );
}

const TRIO: &str = "
    services:
      db:
        image: rcompose-test/busybox:latest
        command: [sleep, '3600']
        init: true
      web:
        image: rcompose-test/busybox:latest
        command: [sleep, '3600']
        init: true
        depends_on:
          db: {condition: service_started, restart: true}
      worker:
        image: rcompose-test/busybox:latest
        command: [sleep, '3600']
        init: true
        depends_on: [db]
";

#[test]
fn restart_extends_to_restart_true_dependents_in_dependency_order() {
    let p = project("restart", TRIO);
    p.run(&["up", "-d"]).success();
    let (db, web, worker) = (p.container("db"), p.container("web"), p.container("worker"));
    let before = |id: &str| started_at(id);
    let (db0, web0, worker0) = (before(&db.id), before(&web.id), before(&worker.id));

    let r = p.run(&["restart", "-t", "0", "db"]);
    r.success()
        .stderr_contains(&format!(" Container {}-db-1 Restarting ", p.name))
        .stderr_contains(&format!(" Container {}-web-1 Started ", p.name));
    assert!(
        !r.stderr.contains("worker"),
        "worker has no restart: true: {}",
        r.stderr
    );
    let (db1, web1) = (started_at(&db.id), started_at(&web.id));
    assert_ne!(db1, db0, "db restarted");
    assert_ne!(
        web1, web0,
        "web depends on db with restart: true: restarted"
    );
    assert_eq!(started_at(&worker.id), worker0, "worker untouched");
    assert!(db1 <= web1, "db restarts before its dependent");
    assert_eq!(p.container("db").id, db.id, "restart never recreates");

    p.run(&["restart", "--no-deps", "-t", "0", "db"]).success();
    assert_ne!(started_at(&db.id), db1);
    assert_eq!(started_at(&web.id), web1, "--no-deps: dependents untouched");

    // restart works on stopped containers too
    p.run(&["stop", "-t", "0"]).success();
    assert!(p.containers().iter().all(|c| c.state == "exited"));
    p.run(&["restart", "-t", "0"]).success();
    assert!(p.containers().iter().all(|c| c.state == "running"));
    assert_eq!(p.containers().len(), 3);

    p.run(&["restart", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
}

#[test]
fn restart_waits_for_a_healthy_dependency() {
    let p = project(
        "restarthealthy",
        "
        services:
          db:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            healthcheck:
              test: [CMD, 'true']
              interval: 1s
              timeout: 1s
              retries: 3
          app:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            depends_on:
              db: {condition: service_healthy, restart: true}
        ",
    );
    p.run(&["up", "-d"]).success();
    let app0 = started_at(&p.container("app").id);
    let r = p.run(&["restart", "-t", "0", "db"]);
    r.success()
        .stderr_contains(&format!(" Container {}-db-1 Healthy ", p.name))
        .stderr_contains(&format!(" Container {}-app-1 Started ", p.name));
    let healthy_at = r.stderr.find(&format!("{}-db-1 Healthy", p.name)).unwrap();
    let app_at = r
        .stderr
        .find(&format!("{}-app-1 Restarting", p.name))
        .unwrap();
    assert!(
        healthy_at < app_at,
        "app restarts once db is healthy:\n{}",
        r.stderr
    );
    assert_ne!(started_at(&p.container("app").id), app0);
}

#[test]
fn kill_signals_running_containers_including_one_offs() {
    let p = project("kill", TRIO);
    p.run(&["up", "-d", "db", "web"]).success();
    let oneoff = one_off(&p, "web");

    p.run(&["kill", "-s", "SIGTERM", "db"])
        .success()
        .stderr_contains(&format!(" Container {}-db-1 Killing ", p.name))
        .stderr_contains(&format!(" Container {}-db-1 Killed ", p.name));
    let db = p.container("db");
    for _ in 0..50 {
        if inspect(&db.id, "{{.State.Status}}") == "exited" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(inspect(&db.id, "{{.State.ExitCode}}"), "143", "SIGTERM");
    assert_eq!(p.container("web").state, "running");
    assert_eq!(inspect(&oneoff, "{{.State.Status}}"), "running");

    // All: web and the one-off container of web get SIGKILL.
    p.run(&["kill"]).success();
    let web = p.container("web");
    assert_eq!(inspect(&web.id, "{{.State.Status}}"), "exited");
    assert_eq!(inspect(&web.id, "{{.State.ExitCode}}"), "137");
    assert_eq!(inspect(&oneoff, "{{.State.Status}}"), "exited");

    let none = p.run(&["kill"]);
    none.success().stderr_contains("No container to kill");
    p.run(&["kill", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
}

#[test]
fn rm_asks_before_removing_stopped_containers() {
    let p = project(
        "rm",
        "
        services:
          a:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
          b:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            volumes: [/data]
        ",
    );
    p.run(&["up", "-d"]).success();
    p.run(&["rm", "-f"])
        .success()
        .stderr_contains("No stopped containers");
    assert_eq!(p.containers().len(), 2, "running containers are kept");

    p.run(&["stop", "-t", "0", "a"]).success();
    let declined = p.run_with_stdin(&["rm"], "n\n");
    declined.success();
    stdout_contains(&declined, &format!("Going to remove {}-a-1", p.name));
    stdout_contains(&declined, "Are you sure? [yN]");
    assert_eq!(p.containers().len(), 2, "answer no: nothing removed");
    // No answer at all (stdin closed) is a no.
    p.run(&["rm"]).success();
    assert_eq!(p.containers().len(), 2);

    let accepted = p.run_with_stdin(&["rm", "a"], "y\n");
    accepted
        .success()
        .stderr_contains(&format!(" Container {}-a-1 Removed ", p.name));
    assert!(p.containers().iter().all(|c| c.service() != "a"));

    // -s stops first, -f skips the question, -v takes the anonymous volume along.
    let b = p.container("b");
    let volume = inspect(&b.id, "{{range .Mounts}}{{.Name}}{{end}}");
    assert!(!volume.is_empty(), "b has an anonymous volume");
    let oneoff = one_off(&p, "b");
    docker(&["stop", "-t", "0", &oneoff]);
    let forced = p.run(&["rm", "-f", "-s", "-v", "b"]);
    forced.success();
    stdout_contains(&forced, &format!("Going to remove {}-b-1", p.name));
    assert!(!forced.stdout.contains("Are you sure"), "{}", forced.stdout);
    assert!(!docker_ok(&["inspect", &b.id]), "b removed");
    assert!(
        !docker_ok(&["volume", "inspect", &volume]),
        "-v removed its volume"
    );
    assert!(
        docker_ok(&["inspect", &oneoff]),
        "one-off containers are kept"
    );

    p.run(&["rm", "-f", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
}

#[test]
fn pause_and_unpause() {
    let p = project("pause", TRIO);
    p.run(&["up", "-d"]).success();
    let db = p.container("db");
    p.run(&["pause", "db"])
        .success()
        .stderr_contains(&format!(" Container {}-db-1 Paused ", p.name));
    assert_eq!(p.container("db").state, "paused");
    assert_eq!(p.container("web").state, "running");
    let again = p.run(&["pause", "db"]);
    again.failure().stderr_contains("already paused");
    assert_eq!(again.code, 1);
    p.run(&["unpause", "db"])
        .success()
        .stderr_contains(&format!(" Container {}-db-1 Unpaused ", p.name));
    assert_eq!(p.container("db").state, "running");
    assert_eq!(p.container("db").id, db.id, "not recreated");

    p.run(&["pause"]).success();
    assert!(p.containers().iter().all(|c| c.state == "paused"));
    p.run(&["unpause"]).success();
    assert!(p.containers().iter().all(|c| c.state == "running"));

    p.run(&["pause", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
    p.run(&["unpause", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
    // No container: nothing to do.
    p.run(&["down", "-t", "0"]).success();
    p.run(&["pause"]).success();
    p.run(&["unpause", "db"]).success();
}

#[test]
fn wait_reports_exit_codes_and_can_take_the_project_down() {
    let p = project(
        "wait",
        "
        services:
          job:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'sleep 3; exit 3']
          ok:
            image: rcompose-test/busybox:latest
            # Long enough that `wait` starts before it ends even on a loaded machine.
            command: [sh, -c, 'sleep 8']
          server:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
        ",
    );
    p.run(&["up", "-d"]).success();
    let job = p.container("job");
    let r = p.run(&["wait", "job"]);
    assert_eq!(r.code, 3, "exit code of the container: {r:?}");
    assert_eq!(
        r.stdout,
        format!("container \"{}\" exited with status code 3\n", job.id)
    );
    assert_eq!(inspect(&job.id, "{{.State.Status}}"), "exited");

    // Nothing running for the service any more.
    p.run(&["wait", "job"])
        .failure()
        .stderr_contains(&format!("no containers for project \"{}\"", p.name));
    p.run(&["wait", "nope"])
        .failure()
        .stderr_contains("no such service: nope");

    p.run(&["up", "-d", "ok"]).success();
    let r = p.run(&["wait", "--down-project", "ok"]);
    r.success();
    assert!(
        r.stdout.ends_with("exited with status code 0\n"),
        "{}",
        r.stdout
    );
    assert!(
        p.containers().is_empty(),
        "--down-project removes everything"
    );
    assert!(p.networks().is_empty());
}

#[test]
fn create_makes_containers_without_starting_them() {
    let p = project("create", TRIO);
    p.run(&["create", "web"]).success();
    let names: Vec<(String, String)> = p
        .containers()
        .iter()
        .map(|c| (c.service().to_string(), c.state.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("db".to_string(), "created".to_string()),
            ("web".to_string(), "created".to_string())
        ]
    );
    let web = p.container("web");
    p.run(&["create"]).success();
    assert_eq!(p.containers().len(), 3);
    assert_eq!(p.container("web").id, web.id, "up to date: kept");
    assert!(p.containers().iter().all(|c| c.state == "created"));

    p.run(&["create", "--force-recreate", "web"]).success();
    assert_ne!(p.container("web").id, web.id, "--force-recreate");
    assert_eq!(p.container("web").state, "created");

    p.run(&["create", "--scale", "worker=2"]).success();
    assert_eq!(
        p.containers()
            .iter()
            .filter(|c| c.service() == "worker")
            .count(),
        2
    );

    p.run(&["create", "--build", "--no-build"])
        .failure()
        .stderr_contains("--build and --no-build are incompatible");
    p.run(&["create", "--force-recreate", "--no-recreate"])
        .failure()
        .stderr_contains("--force-recreate and --no-recreate are incompatible");
    p.run(&["create", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
}

#[test]
fn scale_sets_replicas_of_the_named_services() {
    let p = project("scalecmd", TRIO);
    let count = |p: &TestProject, svc: &str| {
        p.containers()
            .iter()
            .filter(|c| c.service() == svc && c.state == "running")
            .count()
    };
    p.run(&["up", "-d", "--scale", "db=2"]).success();
    assert_eq!(count(&p, "db"), 2);

    p.run(&["scale", "--no-deps", "web=3"]).success();
    assert_eq!(count(&p, "web"), 3);
    assert_eq!(count(&p, "db"), 2, "--no-deps leaves db alone");

    p.run(&["scale", "web=1"]).success();
    assert_eq!(count(&p, "web"), 1);
    assert_eq!(count(&p, "db"), 1, "db is reconciled with the model");

    p.run(&["scale", "web=0"]).success();
    assert_eq!(count(&p, "web"), 0);

    p.run(&["scale", "web"])
        .failure()
        .stderr_contains("invalid scale specifier: web");
    p.run(&["scale", "web=x"])
        .failure()
        .stderr_contains("invalid scale specifier: can't parse replica value as int: web=x");
    p.run(&["scale", "nope=2"])
        .failure()
        .stderr_contains("no such service: nope");
}

#[test]
fn control_commands_work_from_labels_alone() {
    let p = project(
        "ctllabels",
        "
        services:
          db:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            depends_on:
              db: {condition: service_started, restart: true}
          job:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'sleep 3; exit 5']
        ",
    );
    p.run(&["up", "-d"]).success();
    let empty = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_label_only(&p, &empty, args);
    let (db, web) = (p.container("db"), p.container("web"));

    let r = run(&["wait", "job"]);
    assert_eq!(r.code, 5, "{r:?}");
    stdout_contains(&r, "exited with status code 5");

    run(&["pause"]).success();
    assert_eq!(p.container("db").state, "paused");
    assert_eq!(p.container("web").state, "paused");
    run(&["unpause"]).success();
    assert_eq!(p.container("db").state, "running");

    let (db0, web0) = (started_at(&db.id), started_at(&web.id));
    run(&["restart", "-t", "0", "db"])
        .success()
        .stderr_contains(&format!(" Container {}-web-1 Started ", p.name));
    assert_ne!(started_at(&db.id), db0);
    assert_ne!(
        started_at(&web.id),
        web0,
        "restart: true read from the depends_on label"
    );

    run(&["kill", "web"]).success();
    assert_eq!(inspect(&web.id, "{{.State.Status}}"), "exited");
    assert_eq!(p.container("db").state, "running");

    let r = run(&["rm", "-f"]);
    r.success();
    stdout_contains(&r, &format!("{}-web-1", p.name));
    stdout_contains(&r, &format!("{}-job-1", p.name));
    assert_eq!(
        p.containers()
            .iter()
            .map(|c| c.service().to_string())
            .collect::<Vec<_>>(),
        ["db"]
    );
    run(&["rm", "-f"])
        .success()
        .stderr_contains("No stopped containers");

    run(&["kill"]).success();
    run(&["kill"])
        .success()
        .stderr_contains("No container to kill");
    run(&["restart", "-t", "0"]).success();
    assert_eq!(p.container("db").state, "running");
}
