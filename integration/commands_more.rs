//! The commands and flags added for issue #6 against a real engine: `volumes`, `commit`,
//! `export`, `stats --no-stream`, `ps --orphans=false`, `pull --policy` and the refusal of
//! `up --watch`, judged through the docker CLI and exit codes.

use crate::harness::{BUSYBOX, TestProject, docker, docker_ok};

fn sleeper(test: &str) -> TestProject {
    TestProject::new(test).compose(&format!(
        "
        services:
          web:
            image: {BUSYBOX}
            command: sleep 600
            init: true
            volumes: [data:/data]
          other:
            image: {BUSYBOX}
            command: sleep 600
            init: true
        volumes:
          data: {{}}
          spare: {{}}
        "
    ))
}

#[test]
fn volumes_lists_the_project_volumes() {
    let p = sleeper("volumes");
    p.run(&["up", "-d"]).success();
    let data = format!("{}_data", p.name);
    assert!(p.volumes().contains(&data), "{:?}", p.volumes());

    let table = p.run(&["volumes"]);
    table.success();
    let mut lines = table.stdout.lines();
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["DRIVER", "VOLUME", "NAME"])
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    assert!(
        rows.contains(&vec!["local", data.as_str()]),
        "{}",
        table.stdout
    );
    // Only the project's volumes: every row is one the engine labels with the project.
    for r in &rows {
        assert!(p.volumes().contains(&r[1].to_string()), "{r:?}");
    }

    let quiet = p.run(&["volumes", "-q"]);
    quiet.success();
    let mut names: Vec<String> = quiet.stdout.lines().map(String::from).collect();
    names.sort();
    let mut engine = p.volumes();
    engine.sort();
    assert_eq!(names, engine);

    // A service that mounts no volume has none; `web` has `data`.
    assert_eq!(p.run(&["volumes", "-q", "other"]).success().stdout, "");
    assert_eq!(
        p.run(&["volumes", "-q", "web"]).success().stdout.trim(),
        data
    );

    let t = p.run(&[
        "volumes",
        "--format",
        "table {{.Name}}\\t{{.Driver}}",
        "web",
    ]);
    assert_eq!(
        t.success()
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .collect::<Vec<_>>(),
        vec![
            vec!["VOLUME", "NAME", "DRIVER"],
            vec![data.as_str(), "local"]
        ]
    );

    let json = p.run(&["volumes", "--format", "json"]);
    json.success();
    let first: serde_json::Value =
        serde_json::from_str(json.stdout.lines().next().expect("a line")).expect("JSON line");
    assert_eq!(first["Driver"], "local");
    assert!(
        first["Labels"]
            .as_str()
            .unwrap()
            .contains(&format!("com.docker.compose.project={}", p.name))
    );

    p.run(&["volumes", "nosuch"])
        .failure()
        .stderr_contains("no such service: nosuch");
}

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
fn stats_no_stream_prints_one_row_per_running_container() {
    let p = sleeper("stats");
    p.run(&["up", "-d"]).success();
    let run = p.run(&["stats", "--no-stream"]);
    run.success();
    let mut lines = run.stdout.lines();
    let header = lines.next().expect("a header");
    for col in [
        "CONTAINER ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    for c in p.containers() {
        let row = rows
            .iter()
            .find(|r| r.split_whitespace().nth(1) == Some(c.name.as_str()))
            .unwrap_or_else(|| panic!("a row for {}: {}", c.name, run.stdout));
        assert!(row.starts_with(&c.id[..12]), "{row}");
        assert!(row.contains('%') && row.contains(" / "), "{row}");
    }

    let one = p.run(&["stats", "--no-stream", "--format", "json", "web"]);
    one.success();
    let lines: Vec<&str> = one.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", one.stdout);
    let j: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
    assert_eq!(j["Name"], p.container("web").name);
    assert!(j["PIDs"].as_str().unwrap().parse::<u32>().unwrap() >= 1);

    // Go-style templates, plain and as a table with docker stats' titles.
    let web = p.container("web");
    let t = p.run(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}}={{.ID}}",
        "web",
    ]);
    assert_eq!(
        t.success().stdout,
        format!("{}={}\n", web.name, &web.id[..12])
    );
    let t = p.run(&[
        "stats",
        "--no-stream",
        "--format",
        "table {{.Name}}\\t{{.CPUPerc}}\\t{{.PIDs}}",
        "web",
    ]);
    let out = t.success().stdout.clone();
    let mut lines = out.lines();
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["NAME", "CPU", "%", "PIDS"]),
        "{out}"
    );
    let row: Vec<&str> = lines.next().expect("a row").split_whitespace().collect();
    assert_eq!(row[0], web.name, "{out}");
    assert!(row[1].ends_with('%'), "{out}");
    p.run(&["stats", "--no-stream", "--format", "{{.Nope}}"])
        .failure()
        .stderr_contains("Nope");
}

#[test]
fn ps_orphans_false_hides_containers_of_removed_services() {
    let p = sleeper("orphans");
    p.run(&["up", "-d"]).success();
    // `other` leaves the model: its container is now an orphan.
    p.write(
        "compose.yaml",
        &format!(
            "
            services:
              web:
                image: {BUSYBOX}
                command: sleep 600
                init: true
                volumes: [data:/data]
            volumes:
              data: {{}}
            "
        ),
    );
    let services = |args: &[&str]| {
        let mut all = vec!["ps", "--services"];
        all.extend_from_slice(args);
        let mut v: Vec<String> = p
            .run(&all)
            .success()
            .stdout
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    assert_eq!(services(&[]), ["other", "web"]);
    assert_eq!(services(&["--orphans=true"]), ["other", "web"]);
    assert_eq!(services(&["--orphans=false"]), ["web"]);
    // The orphan still runs: ps only hides it.
    assert_eq!(p.container("other").state, "running");
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
fn up_watch_is_refused_before_anything_is_created() {
    let p = sleeper("watch");
    for flag in ["--watch", "-w"] {
        p.run(&["up", "-d", flag])
            .failure()
            .stderr_contains("--watch is not supported by rcompose");
    }
    assert!(p.containers().is_empty());
    assert!(p.volumes().is_empty());
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
