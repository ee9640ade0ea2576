//! The `clients` tier: rcompose installed as the docker CLI plugin and driven by the clients
//! that call `docker compose` (python-on-whales, testcontainers-python, the npm
//! `docker-compose` wrapper; installed pinned by integration/clients.sh), plus the behaviours
//! those clients rely on (`down SERVICE` dropping unused networks, compose's display names).

use crate::harness::{BUSYBOX, TestProject, docker};

fn long_running(service: &str) -> String {
    format!(
        "\n  {service}:\n    image: {BUSYBOX}\n    command: [sleep, infinity]\n    init: true\n"
    )
}

#[test]
fn down_service_removes_the_networks_its_containers_were_the_last_on() {
    let p = TestProject::new("clients-down-svc").compose(&format!(
        "services:{}    networks: [back]{}    networks: [front, back]\nnetworks:\n  front: {{}}\n  back: {{}}\n",
        long_running("db"),
        long_running("web"),
    ));
    p.run(&["up", "-d"]).success();
    let front = format!("{}_front", p.name);
    let back = format!("{}_back", p.name);
    assert_eq!(p.networks(), [back.clone(), front.clone()]);
    // web goes: front has no container left and goes, back still has db and stays
    let down = p.run(&["down", "web"]);
    down.success();
    assert_eq!(p.networks(), vec![back.clone()]);
    assert!(
        down.stderr
            .contains(&format!("Network {back}  Resource is still in use"))
            || down
                .stderr
                .contains(&format!("Network {back} Resource is still in use")),
        "{}",
        down.stderr
    );
    let left: Vec<String> = p.containers().into_iter().map(|c| c.name).collect();
    assert_eq!(left, [format!("{}-db-1", p.name)]);
    // db goes: nothing is left, not even a network
    p.run(&["down", "db"]).success();
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty(), "{:?}", p.networks());
    assert_eq!(
        docker(&["network", "ls", "-q", "--filter", &format!("name={back}")]).trim(),
        ""
    );
}

#[test]
fn compatibility_names_show_as_service_underscore_number() {
    let p = TestProject::new("clients-compat").compose(&format!(
        "services:\n  one:\n    image: {BUSYBOX}\n    command: [sh, -c, 'echo hello from one']\n  other:\n    image: {BUSYBOX}\n    command: [sh, -c, 'echo hello from other']\n"
    ));
    let up = p.run(&["--compatibility", "up", "--no-attach", "one"]);
    up.success();
    assert!(
        up.stdout.contains("Attaching to other_1\n"),
        "{}",
        up.stdout
    );
    assert!(
        up.stdout.contains("other_1  | hello from other"),
        "{}",
        up.stdout
    );
    assert!(
        up.stdout.contains("other_1 exited with code 0"),
        "{}",
        up.stdout
    );
    assert!(!up.stdout.contains("hello from one"), "{}", up.stdout);
    let names: Vec<String> = p.containers().into_iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [format!("{}_one_1", p.name), format!("{}_other_1", p.name)]
    );
    let logs = p.run(&["--compatibility", "logs", "one"]);
    logs.success();
    assert_eq!(logs.stdout, "one_1  | hello from one\n");
    // label-only mode (no file) under COMPOSE_COMPATIBILITY
    std::fs::remove_file(p.dir.path().join("compose.yaml")).expect("rm compose.yaml");
    let mut cmd = p.command(&["logs"]);
    cmd.env("COMPOSE_COMPATIBILITY", "true");
    let out = cmd.output().expect("rcompose runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("one_1    | hello from one"), "{text}");
    assert!(text.contains("other_1  | hello from other"), "{text}");
}
