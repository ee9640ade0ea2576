//! Issue #16: a service name the project does not have is refused with one text by every
//! command (`no such service: NAME`, and the nearest name), before anything changes on the
//! engine; `exec` on a service that exists but has no running container keeps compose's
//! `service "NAME" is not running`. Judged by exit code, stderr and the engine's state.

use crate::harness::{BUSYBOX, TestProject};

/// `web` running, `db` defined but never started.
fn project(test: &str) -> TestProject {
    let p = TestProject::new(test).compose(&format!(
        "
        services:
          web:
            image: {BUSYBOX}
            command: sleep 600
            init: true
          db:
            image: {BUSYBOX}
            command: sleep 600
            init: true
        "
    ));
    p.run(&["up", "-d", "web"]).success();
    p
}

/// What the engine holds for the project: containers (id, state), networks and volumes.
fn state(p: &TestProject) -> (Vec<(String, String)>, Vec<String>, Vec<String>) {
    let containers = p
        .containers()
        .into_iter()
        .map(|c| (c.id, c.state))
        .collect();
    (containers, p.networks(), p.volumes())
}

#[track_caller]
fn refused_unchanged(p: &TestProject, args: &[&str], first_line: &str) {
    let before = state(p);
    let r = p.run(args);
    assert_eq!(r.code, 1, "{args:?}: {r:#?}");
    assert_eq!(
        r.stderr.lines().next(),
        Some(first_line),
        "{args:?}: {r:#?}"
    );
    assert_eq!(r.stdout, "", "{args:?}");
    assert_eq!(state(p), before, "{args:?} changed the engine's state");
}

const WBE: &str = "no such service: wbe (did you mean 'web'?)";

#[test]
fn exec_on_an_unknown_service_names_the_nearest_and_a_stopped_one_is_not_running() {
    let p = project("unknown-exec");
    refused_unchanged(&p, &["exec", "-T", "wbe", "true"], WBE);
    refused_unchanged(
        &p,
        &["exec", "-T", "db", "true"],
        "service \"db\" is not running",
    );
    refused_unchanged(
        &p,
        &["exec", "-T", "--index", "2", "web", "true"],
        "service \"web\" is not running container #2",
    );
    // The running one still works.
    p.run(&["exec", "-T", "web", "true"]).success();
}

#[test]
fn logs_on_an_unknown_service_names_the_nearest() {
    let p = project("unknown-logs");
    refused_unchanged(&p, &["logs", "wbe"], WBE);
    refused_unchanged(&p, &["logs", "web", "wbe"], WBE);
    p.run(&["logs", "web"]).success();
}

#[test]
fn run_on_an_unknown_service_names_the_nearest_and_creates_nothing() {
    let p = project("unknown-run");
    refused_unchanged(&p, &["run", "--rm", "-T", "wbe", "true"], WBE);
    refused_unchanged(&p, &["run", "-d", "wbe"], WBE);
    refused_unchanged(&p, &["up", "-d", "wbe"], WBE);
    refused_unchanged(&p, &["restart", "wbe"], WBE);
}
