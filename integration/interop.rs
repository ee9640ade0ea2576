//! Switching tools mid-project: a project brought up by docker-compose v1 (Debian's package) is
//! listed, stopped, started and removed by rcompose through its labels, and taken over by
//! `rcompose up` with one recreate per container; v1 sees rcompose's containers the other way.

use std::process::Command;

use crate::harness::{BUSYBOX, Run, TestProject, docker_ok};

/// Runs docker-compose v1 in the project directory; None when it is not installed (engine.sh
/// installs it; under CI its absence fails the test).
fn v1(p: &TestProject, args: &[&str]) -> Option<Run> {
    let found = Command::new("docker-compose")
        .arg("version")
        .arg("--short")
        .output()
        .ok()
        .filter(|o| o.status.success() && o.stdout.starts_with(b"1."));
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "docker-compose v1 is missing; integration/engine.sh installs it"
        );
        eprintln!("docker-compose v1 not installed: skipping");
        return None;
    }
    let out = Command::new("docker-compose")
        .args(["-p", &p.name])
        .args(args)
        .current_dir(p.dir.path())
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .output()
        .expect("docker-compose runs");
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        args: args.iter().map(|s| s.to_string()).collect(),
    })
}

fn project(test: &str) -> TestProject {
    // v1 reads `version:`; v2 and rcompose warn that it is obsolete and go on.
    TestProject::new(test).compose(&format!(
        "
        version: '3.7'
        services:
          db:
            image: {BUSYBOX}
            command: [sh, -c, 'echo kept >> /data/log; exec sleep 3600']
            init: true
            volumes: [data:/data]
          web:
            image: {BUSYBOX}
            command: [sleep, '3600']
            init: true
            depends_on: [db]
        volumes:
          data:
        "
    ))
}

#[test]
fn a_v1_project_is_managed_by_rcompose_through_its_labels() {
    let p = project("v1tov2");
    let Some(r) = v1(&p, &["up", "-d"]) else {
        return;
    };
    assert_eq!(r.code, 0, "{r:#?}");
    let v1_ids: Vec<String> = p.containers().iter().map(|c| c.id.clone()).collect();
    assert_eq!(v1_ids.len(), 2);
    assert!(
        p.containers().iter().all(|c| c.name.contains('_')),
        "v1 names"
    );

    // Label-only commands: no compose file needed.
    let elsewhere = tempfile::tempdir().unwrap();
    let by_name = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["-p", &p.name])
            .args(args)
            .current_dir(elsewhere.path())
            .env("COMPOSE_PROGRESS", "plain")
            .output()
            .expect("rcompose runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    };
    let ps = by_name(&["ps", "--services"]);
    ps.success();
    assert_eq!(
        ps.stdout.lines().collect::<Vec<_>>(),
        ["db", "web"],
        "{ps:#?}"
    );
    by_name(&["stop"]).success();
    assert!(
        p.containers().iter().all(|c| c.state == "exited"),
        "{:?}",
        p.containers()
    );
    by_name(&["start"]).success();
    assert!(p.containers().iter().all(|c| c.state == "running"));
    let same: Vec<String> = p.containers().iter().map(|c| c.id.clone()).collect();
    assert_eq!(same, v1_ids, "stop/start keep v1's containers");

    // `up` with the file takes the project over: each container recreated once, the volume
    // (and its data) kept, no duplicates.
    let r = p.run(&["up", "-d"]);
    r.success();
    let after = p.containers();
    assert_eq!(after.len(), 2, "{after:?}\n{r:#?}");
    assert!(after.iter().all(|c| c.state == "running"));
    let log = crate::harness::docker(&["exec", &p.container("db").name, "cat", "/data/log"]);
    assert!(
        log.lines().count() >= 2,
        "the volume kept v1's data: {log:?}"
    );
    let ids: Vec<String> = after.iter().map(|c| c.id.clone()).collect();
    p.run(&["up", "-d"]).success();
    let again: Vec<String> = p.containers().iter().map(|c| c.id.clone()).collect();
    assert_eq!(again, ids, "a second up changes nothing");

    // And down -v removes what v1 made: network and volume.
    p.run(&["down", "-v"]).success();
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty(), "{:?}", p.networks());
    assert!(p.volumes().is_empty(), "{:?}", p.volumes());
}

#[test]
fn v1_sees_and_stops_rcompose_containers() {
    let p = project("v2tov1");
    p.run(&["up", "-d"]).success();
    let Some(r) = v1(&p, &["ps", "--services"]) else {
        p.run(&["down", "-v"]);
        return;
    };
    assert_eq!(r.code, 0, "{r:#?}");
    let mut services: Vec<&str> = r.stdout.lines().collect();
    services.sort();
    assert_eq!(services, ["db", "web"], "{r:#?}");
    let r = v1(&p, &["stop"]).unwrap();
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(
        p.containers().iter().all(|c| c.state == "exited"),
        "{:?}",
        p.containers()
    );
    let r = v1(&p, &["down", "-v"]).unwrap();
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(p.containers().is_empty(), "{:?}", p.containers());
    assert!(p.volumes().is_empty());
    assert!(!docker_ok(&[
        "network",
        "inspect",
        &format!("{}_default", p.name)
    ]));
}
