//! `build.secrets`, `build.ssh` and `build.additional_contexts` against the real engine's
//! BuildKit: secrets from a file and from the environment reach `RUN --mount=type=secret` and
//! stay out of the image except where the Dockerfile copied them, an ssh-agent reaches
//! `RUN --mount=type=ssh`, additional contexts and the classic builder are refused clearly.

use std::process::{Child, Command, Stdio};

use crate::harness::{ProjectImages, TestProject, docker, docker_ok};

#[test]
fn secrets_from_file_and_environment_reach_run_mount_only() {
    let p = TestProject::new("build-secrets")
        .compose(
            "
            services:
              app:
                build:
                  context: .
                  secrets:
                    - token
                    - source: from_env
                      target: env_token
            secrets:
              token:
                file: ./token.txt
              from_env:
                environment: BUILD_SECRET_VALUE
            ",
        )
        .env("BUILD_SECRET_VALUE", "env-s3cr3t-7731");
    let _images = ProjectImages(p.name.clone());
    p.write("token.txt", "file-s3cr3t-4242\n");
    p.write(".dockerignore", "token.txt\n");
    p.write(
        "Dockerfile",
        r#"
        FROM rcompose-test/busybox:latest
        RUN --mount=type=secret,id=token cp /run/secrets/token /copied
        RUN --mount=type=secret,id=env_token wc -c < /run/secrets/env_token > /env-length
        "#,
    );
    let r = p.run(&["build"]);
    r.success();
    let printed = format!("{}{}", r.stdout, r.stderr);
    assert!(
        !printed.contains("s3cr3t"),
        "a secret was printed: {printed}"
    );

    let img = format!("{}-app", p.name);
    // Only the copy the Dockerfile made holds a value.
    assert_eq!(
        docker(&["run", "--rm", &img, "cat", "/copied"]).trim(),
        "file-s3cr3t-4242"
    );
    assert_eq!(
        docker(&["run", "--rm", &img, "cat", "/env-length"]).trim(),
        "env-s3cr3t-7731".len().to_string()
    );
    assert!(!docker_ok(&[
        "run",
        "--rm",
        &img,
        "test",
        "-e",
        "/run/secrets/token"
    ]));
    let found = docker(&[
        "run",
        "--rm",
        &img,
        "sh",
        "-c",
        "find / -xdev -type f ! -path /copied | xargs grep -l s3cr3t 2>/dev/null; true",
    ]);
    assert_eq!(found.trim(), "", "secret value found in image files");
    let history = docker(&["history", "--no-trunc", &img]);
    assert!(!history.contains("s3cr3t"), "secret in history: {history}");
    let config = docker(&["image", "inspect", &img]);
    assert!(!config.contains("s3cr3t"), "secret in image config");
}

#[test]
fn missing_secret_file_names_service_and_secret() {
    let p = TestProject::new("build-secret-missing").compose(
        "
        services:
          app:
            build:
              context: .
              secrets: [token]
        secrets:
          token:
            file: ./absent.txt
        ",
    );
    let _images = ProjectImages(p.name.clone());
    p.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nRUN --mount=type=secret,id=token true\n",
    );
    let r = p.run(&["build"]);
    r.failure();
    r.stderr_contains("\"app\"");
    r.stderr_contains("build secret \"token\"");
}

/// A throwaway ssh-agent holding a fresh key; killed when dropped.
struct Agent {
    child: Child,
    socket: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start() -> Agent {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .expect("ssh-agent runs (apt-get install openssh-client)");
        for _ in 0..100 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let key = dir.path().join("key");
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen runs");
        assert!(made.success());
        let added = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &socket)
            .stderr(Stdio::null())
            .status()
            .expect("ssh-add runs");
        assert!(added.success());
        Agent {
            child,
            socket,
            _dir: dir,
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_default_and_named_agent_reach_run_mount() {
    let agent = Agent::start();
    let sock = agent.socket.to_string_lossy().into_owned();
    let p = TestProject::new("build-ssh")
        .compose(&format!(
            "
            services:
              app:
                build:
                  context: .
                  ssh:
                    - default
                    - deploy={sock}
            "
        ))
        .env("SSH_AUTH_SOCK", &sock);
    let _images = ProjectImages(p.name.clone());
    p.write(
        "Dockerfile",
        r#"
        FROM rcompose-test/busybox:latest
        RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo default-ok > /ssh-default
        RUN --mount=type=ssh,id=deploy test -S "$SSH_AUTH_SOCK" && echo deploy-ok > /ssh-deploy
        "#,
    );
    p.run(&["build"]).success();
    let img = format!("{}-app", p.name);
    assert_eq!(
        docker(&["run", "--rm", &img, "cat", "/ssh-default", "/ssh-deploy"]).trim(),
        "default-ok\ndeploy-ok"
    );

    // Without an agent, the build stops before reaching the engine and says why.
    let q = TestProject::new("build-ssh-none")
        .compose(
            "
            services:
              app:
                build:
                  context: .
                  ssh: [default]
            ",
        )
        .env("SSH_AUTH_SOCK", "");
    let _q_images = ProjectImages(q.name.clone());
    q.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nRUN --mount=type=ssh true\n",
    );
    let r = q.run(&["build"]);
    r.failure();
    r.stderr_contains("SSH_AUTH_SOCK is not set");
    r.stderr_contains("\"app\"");
}

#[test]
fn additional_contexts_are_refused_with_the_reason() {
    let p = TestProject::new("build-contexts").compose(
        "
        services:
          app:
            build:
              context: .
              additional_contexts:
                extra: ./extra
        ",
    );
    let _images = ProjectImages(p.name.clone());
    p.write("extra/hello.txt", "hi\n");
    p.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nCOPY --from=extra hello.txt /hello.txt\n",
    );
    let r = p.run(&["build"]);
    r.failure();
    r.stderr_contains("\"app\"");
    r.stderr_contains("`build.additional_contexts` (extra) is not supported");
}

#[test]
fn classic_builder_refuses_secrets_ssh_and_contexts_by_key() {
    let p = TestProject::new("build-secrets-classic")
        .compose(
            "
            services:
              withsecret:
                build:
                  context: .
                  secrets: [token]
              withssh:
                build:
                  context: .
                  ssh: [default]
            secrets:
              token:
                file: ./token.txt
            ",
        )
        .env("DOCKER_BUILDKIT", "0");
    let _images = ProjectImages(p.name.clone());
    p.write("token.txt", "classic-s3cr3t\n");
    p.write("Dockerfile", "FROM rcompose-test/busybox:latest\n");
    let r = p.run(&["build", "withsecret"]);
    r.failure();
    r.stderr_contains("\"withsecret\"");
    r.stderr_contains("does not support `build.secrets`");
    assert!(!r.stderr.contains("classic-s3cr3t"));
    let r = p.run(&["build", "withssh"]);
    r.failure();
    r.stderr_contains("\"withssh\"");
    r.stderr_contains("does not support `build.ssh`");
}
