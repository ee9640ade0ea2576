//! Faults from the outside world during `up -d`: a published port already taken, a missing image
//! that must not be pulled, a container that exits at once under `restart: always`, two `up -d`
//! racing on one project, Ctrl-C in the middle of `up -d`, and the engine stopping in the
//! middle of `up -d` (on a private dockerd, so the shared one keeps running).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::harness::{BUSYBOX, TestProject};

/// Waits for a spawned rcompose: (exit code, stderr). A signal death is code -1.
fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().expect("waiting for rcompose");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Number of containers per service (all states), as the engine reports them.
fn per_service(p: &TestProject) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for c in p.containers() {
        *counts.entry(c.service().to_string()).or_insert(0) += 1;
    }
    counts
}

fn sleeper_services(n: usize) -> String {
    let mut yaml = String::from("services:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  s{i}:\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n    stop_grace_period: 1s\n"
        ));
    }
    yaml
}

#[test]
fn published_port_taken_fails_and_names_the_port() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a port");
    let port = listener.local_addr().expect("local addr").port();
    let p = TestProject::new("porttaken").compose(&format!(
        "
        services:
          web:
            image: {BUSYBOX}
            command: [sleep, '3600']
            stop_grace_period: 1s
            ports:
              - '127.0.0.1:{port}:80'
          other:
            image: {BUSYBOX}
            command: [sleep, '3600']
            stop_grace_period: 1s
        "
    ));
    let r = p.run(&["up", "-d"]);
    r.failure();
    assert_eq!(r.code, 1, "{r:#?}");
    r.stderr_contains(&port.to_string());
    let other = p.container("other");
    assert_eq!(
        other.state, "running",
        "the independent service keeps running: {r:#?}"
    );
    r.stderr_contains(&format!("{}-web-1", p.name));
    drop(listener);
}

#[test]
fn missing_image_with_pull_policy_never_creates_nothing() {
    let p = TestProject::new("neverpull").compose(
        "
        services:
          web:
            image: rcompose-test/does-not-exist:never
            pull_policy: never
            command: [sleep, '3600']
        ",
    );
    let r = p.run(&["up", "-d"]);
    r.failure();
    assert_eq!(r.code, 1, "{r:#?}");
    r.stderr_contains("rcompose-test/does-not-exist:never");
    assert!(
        p.containers().is_empty(),
        "no container may be created: {r:#?}"
    );
    assert!(p.networks().is_empty(), "no network may be created: {r:#?}");
    assert!(p.volumes().is_empty(), "no volume may be created: {r:#?}");
}

#[test]
fn crashing_container_with_restart_always_is_left_to_the_engine() {
    let p = TestProject::new("crashloop").compose(&format!(
        "
        services:
          crash:
            image: {BUSYBOX}
            command: [sh, -c, 'exit 3']
            restart: always
        "
    ));
    p.run(&["up", "-d"]).success();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let c = p.container("crash");
        // Podman passes through `stopped` between two runs.
        assert!(
            matches!(c.state.as_str(), "running" | "restarting")
                || (crate::harness::podman() && c.state == "stopped"),
            "the engine restarts it: {c:?}"
        );
        seen.push(c.state);
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(per_service(&p).get("crash"), Some(&1), "{seen:?}");
}

#[test]
fn concurrent_ups_create_one_container_per_service() {
    let p = TestProject::new("race").compose(&sleeper_services(4));
    let a = p.spawn(&["up", "-d"]);
    let b = p.spawn(&["up", "-d"]);
    let (ca, ea) = finish(a);
    let (cb, eb) = finish(b);
    for (code, err) in [(ca, &ea), (cb, &eb)] {
        assert!(code == 0 || code == 1, "exit {code}:\n{err}");
        if code != 0 {
            assert!(!err.trim().is_empty(), "a failure must say why");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    // The loser of each create race adopts the winner's container and a duplicate network is
    // resolved the same way by both, so both runs succeed.
    assert!(ca == 0 && cb == 0, "both must succeed:\n{ea}\n---\n{eb}");
    let counts = per_service(&p);
    for i in 0..4 {
        assert_eq!(
            counts.get(&format!("s{i}")),
            Some(&1),
            "duplicates or gaps: {counts:?}\n{ea}\n---\n{eb}"
        );
    }
    assert_eq!(
        p.networks().len(),
        1,
        "one default network survives: {:?}\n{ea}\n---\n{eb}",
        p.networks()
    );
    p.run(&["up", "-d"]).success();
    assert!(p.containers().iter().all(|c| c.state == "running"));
}

#[test]
fn sigint_mid_up_then_up_converges() {
    let p = TestProject::new("sigint").compose(&sleeper_services(6));
    let child = p.spawn(&["up", "-d"]);
    std::thread::sleep(Duration::from_millis(400));
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the id of a child we spawned and have not reaped yet.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let (code, err) = finish(child);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        [0, 1, 130, -1].contains(&code),
        "unexpected exit {code}:\n{err}"
    );
    p.run(&["up", "-d"]).success();
    let counts = per_service(&p);
    for i in 0..6 {
        assert_eq!(counts.get(&format!("s{i}")), Some(&1), "{counts:?}");
    }
    assert!(p.containers().iter().all(|c| c.state == "running"));
}

#[test]
fn engine_stopped_mid_up_then_up_converges() {
    let mut engine = crate::harness::PrivateEngine::start();
    // A chain of healthy dependencies makes `up` last several seconds.
    let mut yaml = String::from("services:\n");
    for i in 0..6 {
        yaml.push_str(&format!(
            "  s{i}:\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n    init: true\n    healthcheck: {{test: [CMD, 'true'], interval: 1s}}\n"
        ));
        if i > 0 {
            yaml.push_str(&format!(
                "    depends_on: {{s{}: {{condition: service_healthy}}}}\n",
                i - 1
            ));
        }
    }
    let p = TestProject::new("enginestop")
        .compose(&yaml)
        .env("DOCKER_HOST", &engine.host());
    let label = format!("label=com.docker.compose.project={}", p.name);
    let mut up = p.spawn(&["up", "-d"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while engine
        .docker(&["ps", "-aq", "--filter", &label])
        .lines()
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "up never created containers");
        std::thread::sleep(Duration::from_millis(100));
    }
    engine.stop();
    // rcompose notices and fails, naming the endpoint; it does not hang.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = up.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "up hangs after the engine stopped"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = up.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains(&engine.host()),
        "the endpoint is named: {stderr}"
    );

    engine.resume();
    p.run(&["up", "-d"]).success();
    let names = engine.docker(&[
        "ps",
        "-a",
        "--filter",
        &label,
        "--format",
        "{{.Names}} {{.State}}",
    ]);
    let mut rows: Vec<&str> = names.lines().collect();
    rows.sort();
    let want: Vec<String> = (0..6)
        .map(|i| format!("{}-s{i}-1 running", p.name))
        .collect();
    assert_eq!(
        rows, want,
        "one running container per service, no duplicates"
    );
    let networks = engine.docker(&["network", "ls", "-q", "--filter", &label]);
    assert_eq!(networks.lines().count(), 1, "one network");
}

#[test]
fn named_volume_data_survives_an_engine_restart() {
    let mut engine = crate::harness::PrivateEngine::start();
    let p = TestProject::new("enginerestart")
        .compose(&format!(
            "
            services:
              db:
                image: {BUSYBOX}
                command: [sleep, '3600']
                init: true
                volumes: [data:/data]
            volumes:
              data: {{}}
            "
        ))
        .env("DOCKER_HOST", &engine.host());
    p.run(&["up", "-d"]).success();
    let db = format!("{}-db-1", p.name);
    engine.docker(&["exec", &db, "sh", "-c", "echo kept > /data/f"]);
    engine.stop();
    engine.resume();
    p.run(&["up", "-d"]).success();
    assert_eq!(
        engine.docker(&["exec", &db, "cat", "/data/f"]).trim(),
        "kept",
        "the named volume's data is still there"
    );
    let label = format!("label=com.docker.compose.project={}", p.name);
    assert_eq!(
        engine
            .docker(&["ps", "-q", "--filter", &label])
            .lines()
            .count(),
        1,
        "one running container"
    );
}
