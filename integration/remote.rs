//! Remote engines: a second dockerd in the test's own network namespace, reached over TLS (DOCKER_HOST
//! and a docker context, also `currentContext`) and over ssh; a wrong client certificate fails clearly.
//! The work is in `integration/remote.sh`, which sets up, judges with the docker CLI and cleans up.

use std::process::Command;

use crate::harness::require_engine;

#[test]
fn up_ps_logs_exec_down_against_a_second_engine_over_tls_contexts_and_ssh() {
    require_engine();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/integration/remote.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_rcompose"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("remote: all scenarios passed"),
        "remote.sh failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}
