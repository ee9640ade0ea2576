//! The commands that make, move and fetch images, against a real engine: `commit`, `export`,
//! `push` with credentials (and the digests it pins), `pull --policy`, the classic builder's
//! memory limit and `up --quiet-build`, and `commit`/`push` under `--dry-run`.

use crate::harness::{BUSYBOX, TestProject, docker, docker_ok, sleeper};

#[test]
fn commit_makes_an_image_from_the_service_container() {
    let p = sleeper("commit");
    p.run(&["up", "-d", "web"]).success();
    let web = p.container("web");
    docker(&["exec", &web.id, "sh", "-c", "echo committed > /marker"]);
    let image = format!("rct-commit-{}:snap", std::process::id());
    p.run(&[
        "commit",
        "-a",
        "Tester <t@example.com>",
        "-m",
        "from the test",
        "-c",
        "ENV FROM_COMMIT=yes",
        "web",
        &image,
    ])
    .success();
    let author = docker(&["image", "inspect", "--format", "{{.Author}}", &image]);
    let comment = docker(&["image", "inspect", "--format", "{{.Comment}}", &image]);
    let env = docker(&["image", "inspect", "--format", "{{.Config.Env}}", &image]);
    let marker = docker(&["run", "--rm", &image, "cat", "/marker"]);
    docker_ok(&["rmi", "-f", &image]);
    assert_eq!(author.trim(), "Tester <t@example.com>");
    assert_eq!(comment.trim(), "from the test");
    assert!(env.contains("FROM_COMMIT=yes"), "{env}");
    assert_eq!(marker.trim(), "committed");
    // The container was paused during the commit and runs again.
    assert_eq!(p.container("web").state, "running");

    p.run(&["commit", "--index", "3", "web", "x"])
        .failure()
        .stderr_contains("is not running container #3");
}

#[test]
fn export_writes_the_container_filesystem_as_a_tar() {
    let p = sleeper("export");
    p.run(&["up", "-d", "web"]).success();
    let web = p.container("web");
    docker(&["exec", &web.id, "sh", "-c", "echo exported > /exported.txt"]);
    let out = p.dir.path().join("fs.tar");
    p.run(&["export", "-o", out.to_str().unwrap(), "web"])
        .success();
    let file = std::fs::File::open(&out).expect("the tar file");
    let mut archive = tar::Archive::new(file);
    let mut found = None;
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("an entry");
        if entry
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            == "exported.txt"
        {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut entry, &mut s).unwrap();
            found = Some(s);
        }
    }
    assert_eq!(found.as_deref(), Some("exported\n"));

    // To stdout when redirected: the same archive.
    let piped = p.run(&["export", "web"]);
    piped.success();
    assert!(piped.stdout.len() > 1024, "a tar on stdout");

    p.run(&["export", "other"])
        .failure()
        .stderr_contains("has no container");
}

#[test]
fn pull_policy_missing_skips_local_images_and_always_pulls() {
    // A registry on a closed local port: any pull attempt fails without leaving 127.0.0.1.
    let image = format!("127.0.0.1:1/rct-policy-{}/bb:latest", std::process::id());
    docker(&["tag", BUSYBOX, &image]);
    let p = TestProject::new("policy").compose(&format!(
        "
        services:
          web:
            image: {image}
        "
    ));
    let missing = p.run(&["pull", "--policy", "missing"]);
    let always = p.run(&["pull", "--policy", "always"]);
    let default = p.run(&["pull"]);
    let bad = p.run(&["pull", "--policy", "sometimes"]);
    docker_ok(&["rmi", &image]);
    missing.success();
    assert!(!missing.stderr.contains("Pulling"), "{}", missing.stderr);
    always.failure().stderr_contains(&image);
    default.failure();
    bad.failure()
        .stderr_contains("invalid pull policy \"sometimes\"");
}

#[test]
fn push_with_credentials_then_digests_pin_the_pushed_image() {
    use crate::registry::{PASS, Registry, USER};
    let reg = Registry::start();
    let pushed = format!("127.0.0.1:{}/rct/pushed:v1", reg.port);
    let good = reg.auths("push-good", USER, PASS);
    let none = reg.config("push-none", &serde_json::json!({}));
    let p = TestProject::new("push")
        .compose(&format!(
            "
            services:
              app:
                build: .
                image: {pushed}
              plain:
                image: {BUSYBOX}
            "
        ))
        .env("DOCKER_CONFIG", &good.to_string_lossy());
    p.write(
        "Dockerfile",
        &format!("FROM {BUSYBOX}\nRUN echo pushed > /pushed\n"),
    );
    p.run(&["build", "-q", "app"]).success();
    // Not pushed nor pulled yet: no digest to pin.
    p.run(&["config", "--resolve-image-digests", "app"])
        .failure()
        .stderr_contains("service \"app\"")
        .stderr_contains("has no registry digest");

    // Without credentials the push fails and says where it looked.
    let mut anonymous = TestProject::new("push-anon").compose(&format!(
        "
        services:
          app:
            build: .
            image: {pushed}
        "
    ));
    anonymous
        .env
        .push(("DOCKER_CONFIG".into(), none.to_string_lossy().into_owned()));
    anonymous
        .run(&["push"])
        .failure()
        .stderr_contains("could not be pushed")
        .stderr_contains("no credentials for");
    anonymous
        .run(&["push", "--ignore-push-failures"])
        .success()
        .stderr_contains("could not be pushed");

    // `plain` builds nothing of its own: skipped, as compose does.
    p.run(&["push"]).success();
    docker_ok(&["rmi", &pushed]);
    assert!(!docker_ok(&["image", "inspect", &pushed]));
    // Back from the registry: it holds what was pushed.
    p.run(&["pull", "app"]).success();
    let content = docker(&["run", "--rm", &pushed, "cat", "/pushed"]);
    assert_eq!(content.trim(), "pushed");

    // `plain`'s image never came from a registry: pinning everything fails on it.
    p.run(&["config", "--resolve-image-digests"])
        .failure()
        .stderr_contains("service \"plain\"");
    // `build --push`: a changed image reaches the registry in the same command.
    p.write(
        "Dockerfile",
        &format!("FROM {BUSYBOX}\nRUN echo rebuilt > /pushed\n"),
    );
    p.run(&["build", "-q", "--push", "app"]).success();
    docker_ok(&["rmi", &pushed]);
    p.run(&["pull", "app"]).success();
    let content = docker(&["run", "--rm", &pushed, "cat", "/pushed"]);
    assert_eq!(content.trim(), "rebuilt");

    let resolved = p.run(&[
        "config",
        "--resolve-image-digests",
        "--format",
        "json",
        "app",
    ]);
    resolved.success();
    let j: serde_json::Value = serde_json::from_str(&resolved.stdout).expect("JSON");
    let app = j["services"]["app"]["image"].as_str().unwrap().to_string();
    assert!(app.starts_with(&format!("{pushed}@sha256:")), "{app}");
    let lock = p.run(&["config", "--lock-image-digests", "--format", "json", "app"]);
    docker_ok(&["rmi", &pushed]);
    let lock = lock.success();
    let j: serde_json::Value = serde_json::from_str(&lock.stdout).expect("JSON");
    assert_eq!(j["services"]["app"]["image"], app.as_str());
    assert!(
        j.get("networks").is_none(),
        "only the pins: {}",
        lock.stdout
    );
}

#[test]
fn build_memory_limits_the_classic_build_container() {
    let p = TestProject::new("buildmem")
        .compose(
            "
            services:
              app:
                build: .
            ",
        )
        .env("DOCKER_BUILDKIT", "0");
    p.write(
        "Dockerfile",
        &format!(
            "FROM {BUSYBOX}\nRUN cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes\n"
        ),
    );
    let image = format!("{}-app", p.name);
    let run = p.run(&["build", "--no-cache", "-m", "64m"]);
    docker_ok(&["rmi", &image]);
    run.success();
    assert!(
        run.stderr
            .lines()
            .any(|l| l.trim_end().ends_with(" 67108864")),
        "the RUN step sees a 64 MiB limit:\n{}",
        run.stderr
    );
}

#[test]
fn up_quiet_build_builds_without_printing_the_build() {
    let p = TestProject::new("quietbuild").compose(
        "
        services:
          app:
            build: .
            command: sleep 600
            init: true
        ",
    );
    p.write(
        "Dockerfile",
        &format!("FROM {BUSYBOX}\nRUN echo quiet-build-step-ran\n"),
    );
    let image = format!("{}-app", p.name);
    let loud = p.run(&["build", "--no-cache"]);
    let quiet = p.run(&["up", "-d", "--build", "--quiet-build"]);
    let state = p.container("app").state;
    p.run(&["down"]).success();
    docker_ok(&["rmi", &image]);
    loud.success();
    assert!(loud.stderr.contains("quiet-build-step"), "{}", loud.stderr);
    quiet.success();
    assert!(
        !quiet.stderr.contains("quiet-build-step") && !quiet.stderr.contains("Building"),
        "{}",
        quiet.stderr
    );
    assert_eq!(state, "running");
}

#[test]
fn commit_and_push_change_nothing_under_dry_run() {
    let p = sleeper("commitdry");
    p.run(&["up", "-d", "web"]).success();
    let image = format!("rct-commitdry-{}:snap", std::process::id());
    p.run(&["--dry-run", "commit", "web", &image])
        .success()
        .stderr_contains("dry run");
    let made = docker_ok(&["image", "inspect", &image]);
    docker_ok(&["rmi", "-f", &image]);
    assert!(!made, "--dry-run committed {image}");

    // A push to a closed local port would fail: under --dry-run none is attempted.
    let q = TestProject::new("pushdry").compose(
        "
        services:
          app:
            build: .
            image: 127.0.0.1:1/rct/never:v1
        ",
    );
    q.run(&["--dry-run", "push"])
        .success()
        .stderr_contains("Would be pushed (dry run)");
    q.run(&["push"])
        .failure()
        .stderr_contains("could not be pushed");
}
