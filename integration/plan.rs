//! `plan` and `up --dry-run`: every action `up` would take, with field-level reasons for
//! recreates, and nothing changed on the engine.

use crate::harness::TestProject;

fn project(color: &str) -> TestProject {
    TestProject::new("plan").compose(&format!(
        "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: ['sleep', '300']
            init: true
            environment:
              COLOR: {color}
          idle:
            image: rcompose-test/busybox:latest
            command: ['sleep', '300']
            init: true
            depends_on: [web]
        volumes:
          data:
        "
    ))
}

fn snapshot(p: &TestProject) -> Vec<(String, String, String)> {
    p.containers()
        .into_iter()
        .map(|c| (c.id, c.name, c.state))
        .collect()
}

#[test]
fn dry_run_on_an_empty_project_creates_nothing() {
    let p = project("blue");
    let out = p.run(&["up", "-d", "--dry-run"]);
    out.success();
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty());
    assert!(p.volumes().is_empty());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.contains(&format!("network {}_default: create", p.name).as_str()),
        "{lines:?}"
    );
    assert!(lines.contains(&"web-1: create"), "{lines:?}");
    assert!(lines.contains(&"idle-1: start"), "{lines:?}");
    // The root flag works too.
    p.run(&["--dry-run", "up", "-d"]).success();
    assert!(p.containers().is_empty());
}

#[test]
fn dry_run_after_an_environment_change_explains_and_changes_nothing() {
    let p = project("blue");
    p.run(&["up", "-d"]).success();
    let before = snapshot(&p);
    assert_eq!(before.len(), 2);
    let web = p.container("web");
    assert!(
        web.label("io.rcompose.config")
            .contains("\"COLOR\":\"blue\""),
        "{}",
        web.label("io.rcompose.config")
    );

    // Nothing to change: everything is up to date.
    let out = p.run(&["plan"]);
    out.success();
    assert_eq!(out.stdout, "web-1: up-to-date\nidle-1: up-to-date\n");

    p.write(
        "compose.yaml",
        &std::fs::read_to_string(p.dir.path().join("compose.yaml"))
            .unwrap()
            .replace("COLOR: blue", "COLOR: red"),
    );
    let out = p.run(&["up", "-d", "--dry-run"]);
    out.success();
    assert!(
        out.stdout
            .lines()
            .any(|l| l == r#"web-1: recreate (environment.COLOR: "blue" → "red")"#),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().any(|l| l == "web-1: start"),
        "{}",
        out.stdout
    );
    assert_eq!(snapshot(&p), before, "the dry run changed the engine");

    let out = p.run(&["plan", "--format", "json"]);
    out.success();
    let actions: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let recreate = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "recreate")
        .expect("a recreate action");
    assert_eq!(recreate["name"], "web-1");
    assert_eq!(
        recreate["reasons"][0],
        r#"environment.COLOR: "blue" → "red""#
    );
    assert_eq!(snapshot(&p), before);

    // The real up recreates with the reason in its progress line.
    let out = p.run(&["up", "-d"]);
    out.success();
    out.stderr_contains(&format!(
        " Container {}-web-1 Recreate environment.COLOR: \"blue\" → \"red\"",
        p.name
    ));
    assert_ne!(p.container("web").id, web.id);
}
