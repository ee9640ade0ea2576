//! Pulls from a private registry with password auth: credentials from `auths` in a temp
//! `DOCKER_CONFIG`, from a credential helper named in `credHelpers` or `credsStore`, and the
//! errors without or with wrong credentials. Each test runs its own registry (Debian's
//! docker-registry over TLS on 127.0.0.1, started by `integration/registry.sh`) and pushes the
//! local test image to it with `docker login` + `docker push`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::harness::{BUSYBOX, TestProject, docker, docker_ok, free_port, require_engine};

pub(crate) const USER: &str = "rctest";
pub(crate) const PASS: &str = "s3cret-pass";

static INSTALL: Once = Once::new();

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/registry.sh")
}

fn docker_bin() -> &'static str {
    if Path::new("/usr/bin/docker").exists() {
        "/usr/bin/docker"
    } else {
        "docker"
    }
}

/// A running registry holding `<port>/rct/busybox:latest`; dropping it stops the registry,
/// removes the engine's trust for it and the image tag.
pub(crate) struct Registry {
    child: Child,
    pub(crate) port: u16,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) image: String,
}

impl Registry {
    pub(crate) fn start() -> Registry {
        require_engine();
        INSTALL.call_once(|| {
            let ok = Command::new("bash")
                .arg(script())
                .arg("install")
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "integration/registry.sh install failed");
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new("bash")
            .arg(script())
            .args(["serve", &dir.path().to_string_lossy(), &port.to_string()])
            .args([USER, PASS])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("registry.log")).expect("log file"),
            ))
            .spawn()
            .expect("registry.sh runs");
        let image = format!("127.0.0.1:{port}/rct/busybox:latest");
        let mut reg = Registry {
            child,
            port,
            dir,
            image,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = reg.child.try_wait() {
                panic!("registry exited ({status}): {}", reg.log());
            }
            assert!(
                Instant::now() < deadline,
                "registry did not listen: {}",
                reg.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        reg.push();
        reg
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `docker login` (into a config of its own) + `docker push` of the test image, then the
    /// local tag is removed so that only a pull can bring it back.
    fn push(&self) {
        let login_config = self.dir.path().join("login");
        std::fs::create_dir_all(&login_config).expect("mkdir");
        let host = format!("127.0.0.1:{}", self.port);
        let run = |args: &[&str], stdin: &str| {
            use std::io::Write;
            let mut child = Command::new(docker_bin())
                .args(args)
                .env("DOCKER_CONFIG", &login_config)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("docker runs");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(stdin.as_bytes())
                .expect("write");
            let out = child.wait_with_output().expect("docker waits");
            assert!(
                out.status.success(),
                "docker {args:?}: {}\nregistry log: {}",
                String::from_utf8_lossy(&out.stderr),
                self.log()
            );
        };
        run(
            &["login", &host, "-u", USER, "--password-stdin"],
            &format!("{PASS}\n"),
        );
        docker(&["tag", BUSYBOX, &self.image]);
        run(&["push", &self.image], "");
        self.remove_local();
    }

    fn remove_local(&self) {
        docker_ok(&["rmi", &self.image]);
        assert!(!self.local(), "{} still present locally", self.image);
    }

    pub(crate) fn local(&self) -> bool {
        docker_ok(&["image", "inspect", &self.image])
    }

    /// A DOCKER_CONFIG directory holding `config` as its config.json.
    pub(crate) fn config(&self, name: &str, config: &serde_json::Value) -> PathBuf {
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("config.json"), config.to_string()).expect("write config");
        d
    }

    pub(crate) fn auths(&self, name: &str, user: &str, pass: &str) -> PathBuf {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        self.config(
            name,
            &serde_json::json!({
                "auths": { format!("127.0.0.1:{}", self.port): { "auth": auth } }
            }),
        )
    }

    /// A project whose one service `web` runs the registry's image.
    fn project(&self, test: &str, docker_config: &Path) -> TestProject {
        TestProject::new(test)
            .compose(&format!(
                r#"
                services:
                  web:
                    image: {}
                    pull_policy: missing
                    command: ["sleep", "300"]
                "#,
                self.image
            ))
            .env("DOCKER_CONFIG", &docker_config.to_string_lossy())
    }
}

/// Points the project's runs at another DOCKER_CONFIG.
fn with_config<'a>(p: &'a mut TestProject, dir: &Path) -> &'a TestProject {
    p.env.retain(|(k, _)| k != "DOCKER_CONFIG");
    p.env
        .push(("DOCKER_CONFIG".into(), dir.to_string_lossy().into_owned()));
    p
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("bash")
            .arg(script())
            .args(["cleanup", &self.port.to_string()])
            .status();
        docker_ok(&["rmi", &self.image]);
    }
}

#[test]
fn pull_with_auths_and_clear_errors_without_or_with_wrong_credentials() {
    let reg = Registry::start();
    let host = format!("127.0.0.1:{}", reg.port);

    // No credentials at all: fails, naming the service, the image and the registry.
    let none = reg.config("none", &serde_json::json!({}));
    let p = reg.project("reg-none", &none);
    let r = p.run(&["pull"]);
    r.failure()
        .stderr_contains("Error response from daemon")
        .stderr_contains("service \"web\"")
        .stderr_contains(&reg.image)
        .stderr_contains(&format!("registry {host}"))
        .stderr_contains("no credentials for");
    assert!(!reg.local());

    // Wrong password: the engine's "unauthorized" is kept.
    let wrong = reg.auths("wrong", USER, "not-the-password");
    let p = reg.project("reg-wrong", &wrong);
    p.run(&["pull"])
        .failure()
        .stderr_contains("unauthorized")
        .stderr_contains("service \"web\"")
        .stderr_contains(&reg.image)
        .stderr_contains(&format!("registry {host}"));
    // --ignore-pull-failures turns it into a warning.
    p.run(&["pull", "--ignore-pull-failures"])
        .success()
        .stderr_contains("unauthorized");
    assert!(!reg.local());

    // The right credentials in `auths`.
    let good = reg.auths("good", USER, PASS);
    let p = reg.project("reg-good", &good);
    p.run(&["pull"]).success();
    assert!(reg.local(), "{} was not pulled", reg.image);

    // The very file `docker login` wrote.
    reg.remove_local();
    let p = reg.project("reg-login", &reg.dir.path().join("login"));
    p.run(&["pull"]).success();
    assert!(
        reg.local(),
        "{} was not pulled with docker login's config",
        reg.image
    );

    // `run` pulls a missing image with credentials too.
    reg.remove_local();
    let p = reg.project("reg-run", &good);
    p.run(&["run", "--rm", "-T", "web", "true"]).success();
    assert!(reg.local(), "{} was not pulled by run", reg.image);
}

#[test]
fn up_with_pull_policy_missing_pulls_with_credentials() {
    let reg = Registry::start();
    let wrong = reg.auths("wrong", USER, "nope");
    let p = reg.project("reg-up-wrong", &wrong);
    p.run(&["up", "-d"])
        .failure()
        .stderr_contains("unauthorized")
        .stderr_contains(&reg.image);
    assert!(p.containers().is_empty());

    let good = reg.auths("good", USER, PASS);
    let p = reg.project("reg-up", &good);
    p.run(&["up", "-d"]).success();
    assert!(reg.local());
    let c = p.container("web");
    assert_eq!(c.state, "running");
    let image = docker(&["inspect", "-f", "{{.Config.Image}}", &c.id]);
    assert_eq!(image.trim(), reg.image);
}

#[test]
fn credential_helpers_from_cred_helpers_and_creds_store() {
    let reg = Registry::start();
    let host = format!("127.0.0.1:{}", reg.port);
    // A helper on PATH that answers for this registry only, like docker-credential-* do.
    let bin = reg.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let helper = bin.join("docker-credential-rctest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\nif [ \"$server\" = \"{host}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASS}\"}}\\n' \"$server\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n"
        ),
    )
    .expect("write helper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let helpers = reg.config(
        "helpers",
        &serde_json::json!({ "credHelpers": { host.clone(): "rctest" } }),
    );
    let p = reg.project("reg-helper", &helpers).env("PATH", &path);
    p.run(&["pull"]).success();
    assert!(reg.local(), "{} was not pulled via credHelpers", reg.image);

    reg.remove_local();
    let store = reg.config("store", &serde_json::json!({ "credsStore": "rctest" }));
    let p = reg.project("reg-store", &store).env("PATH", &path);
    p.run(&["up", "-d"]).success();
    assert!(reg.local(), "{} was not pulled via credsStore", reg.image);

    // A helper that is not on PATH is named in the error.
    reg.remove_local();
    let missing = reg.config(
        "missing",
        &serde_json::json!({ "credHelpers": { host.clone(): "absent-helper" } }),
    );
    reg.project("reg-nohelper", &missing)
        .run(&["pull"])
        .failure()
        .stderr_contains("service \"web\"")
        .stderr_contains(&reg.image)
        .stderr_contains("docker-credential-absent-helper");
}

/// The classic builder gets every registry's credentials (X-Registry-Config) and pulls a private
/// base image. BuildKit is given the same credentials through its session, but cannot be checked
/// here: dockerd 20.10's BuildKit speaks plain HTTP to 127.0.0.1 registries (certs.d is read only
/// at daemon start) and the registry needs TLS for password auth.
#[test]
fn classic_build_pulls_a_private_base_image_with_credentials() {
    let reg = Registry::start();
    let mut p = TestProject::new("reg-build")
        .compose(
            r#"
            services:
              app:
                build: .
            "#,
        )
        .env("DOCKER_BUILDKIT", "0");
    p.write(
        "Dockerfile",
        &format!("FROM {}\nRUN echo built > /built\n", reg.image),
    );
    let image = format!("{}-app", p.name);

    let wrong = reg.auths("wrong", USER, "nope");
    with_config(&mut p, &wrong)
        .run(&["build"])
        .failure()
        .stderr_contains("unauthorized");

    let good = reg.auths("good", USER, PASS);
    with_config(&mut p, &good).run(&["build"]).success();
    assert!(docker_ok(&["image", "inspect", &image]), "{image} missing");
    docker_ok(&["rmi", &image]);
}
