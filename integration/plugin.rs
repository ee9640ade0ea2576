//! rcompose installed as the docker CLI plugin (its metadata, the `compose` argument the docker
//! CLI passes) and the shell completion scripts, against a real engine.

use std::process::Command;

#[test]
fn plugin_metadata_and_compose_argument_when_installed_as_docker_compose() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("docker-compose");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rcompose"), &plugin).unwrap();
    let out = Command::new(&plugin)
        .arg("docker-cli-plugin-metadata")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["SchemaVersion"], "0.1.0");
    assert_eq!(v["Vendor"], "rcompose");
    assert_eq!(
        v["Version"],
        format!("v{}", rcompose::plan::spec::COMPOSE_VERSION).as_str()
    );

    let out = Command::new(&plugin)
        .args(["compose", "version", "--short"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", rcompose::plan::spec::COMPOSE_VERSION)
    );
}

#[test]
fn completion_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_rcompose()"),
        ("zsh", "#compdef rcompose"),
        ("fish", "complete -c rcompose"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["completion", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(text.contains("images"), "{shell} completes sub-commands");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["completion", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
