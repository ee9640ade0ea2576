//! Foreground `up`: prefixed output of every container until they exit, the exit code of
//! `--exit-code-from`, and Ctrl-C stopping (not removing) the containers with status 130.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::TestProject;

const CI_LIKE: &str = "
    services:
      tests:
        image: rcompose-test/busybox:latest
        command: [sh, -c, 'echo running tests; sleep 1; exit 4']
      server:
        image: rcompose-test/busybox:latest
        command: [sh, -c, 'trap \"exit 143\" TERM; while true; do sleep 0.2; done']
";

#[test]
fn foreground_up_streams_prefixed_output_until_containers_exit() {
    let p = TestProject::new("fgexit").compose(
        "
        services:
          hello:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'echo hello; echo oops >&2']
        ",
    );
    let r = p.run(&["up"]);
    r.success();
    assert!(r.stdout.contains("Attaching to hello-1"), "{}", r.stdout);
    assert!(r.stdout.contains("hello-1  | hello"), "{}", r.stdout);
    assert!(
        r.stderr.contains("hello-1  | oops"),
        "container stderr stays on stderr: {}",
        r.stderr
    );
    assert!(
        r.stdout.contains("hello-1 exited with code 0"),
        "{}",
        r.stdout
    );
    assert_eq!(p.container("hello").state, "exited");
}

#[test]
fn exit_code_from_returns_that_service_code_and_stops_the_rest() {
    let p = TestProject::new("fgcode").compose(CI_LIKE);
    let r = p.run(&["up", "--exit-code-from", "tests"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.contains("Aborting on container exit..."),
        "{}",
        r.stderr
    );
    assert_eq!(
        p.container("server").state,
        "exited",
        "stopped, not removed"
    );
    // The service stopped by the abort reports 143.
    let r = p.run(&["up", "--exit-code-from", "server"]);
    assert_eq!(r.code, 143, "{r:?}");
    p.run(&["up", "--abort-on-container-exit", "-d"]).failure();
}

#[test]
fn ctrl_c_stops_containers_and_exits_130() {
    let p = TestProject::new("fgint").compose(
        "
        services:
          svc:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'trap \"exit 0\" TERM; while true; do sleep 0.2; done']
        ",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", &p.name, "up"])
        .current_dir(p.dir.path())
        .env("COMPOSE_PROGRESS", "plain")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while p.containers().first().map(|c| c.state.as_str()) != Some("running") {
        assert!(Instant::now() < deadline, "container never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT to this child only, by process id.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let c = p.container("svc");
    assert_eq!(c.state, "exited", "stopped, not removed");
}
