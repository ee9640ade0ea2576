//! The everyday commands of dev scripts against a real engine: `logs`, `exec`, `run`, `port`,
//! `ls` and `ps --format json`. Engine state is judged through the docker CLI; output through
//! what scripts read (stdout for data, exit codes).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{TestProject, docker, docker_ok};

const APP: &str = "
    services:
      web:
        image: rcompose-test/busybox:latest
        command: [sh, -c, 'echo web one; echo web two >&2; echo web three; exec sleep 3600']
        init: true
        restart: always
        ports: ['127.0.0.1::80']
        depends_on: [db]
      db:
        image: rcompose-test/busybox:latest
        command: [sh, -c, 'echo db ready; exec sleep 3600']
        init: true
";

/// Waits until `docker logs` of `container` contains `text`.
#[track_caller]
fn wait_for_log(container: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = Command::new("docker")
            .args(["logs", container])
            .output()
            .expect("docker logs");
        let all = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if all.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{container} never logged {text:?}: {all}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn logs_prefixes_merge_stderr_and_honour_tail_and_no_prefix() {
    let p = TestProject::new("logs").compose(APP);
    p.run(&["up", "-d"]).success();
    wait_for_log(&format!("{}-web-1", p.name), "web three");
    wait_for_log(&format!("{}-db-1", p.name), "db ready");

    let all = p.run(&["logs"]);
    all.success();
    // Names padded to the longest plus one; stderr lines on stdout too; containers in name
    // order (stdout and stderr of one container may interleave either way).
    let lines: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", all.stdout);
    assert_eq!(lines[0], "db-1   | db ready");
    let mut web: Vec<&str> = lines[1..].to_vec();
    web.sort();
    assert_eq!(
        web,
        vec!["web-1  | web one", "web-1  | web three", "web-1  | web two"]
    );
    assert!(!all.stderr.contains("web two"), "{}", all.stderr);

    let web = p.run(&["logs", "web"]);
    web.success();
    assert!(web.stdout.contains("web-1  | web one\n"), "{}", web.stdout);
    assert!(web.stdout.contains("web-1  | web two\n"), "{}", web.stdout);
    assert!(!web.stdout.contains("db ready"), "{}", web.stdout);

    let tail = p.run(&["logs", "--tail", "1", "db"]);
    tail.success();
    assert_eq!(tail.stdout, "db-1  | db ready\n");
    let tail = p.run(&["logs", "-n", "0", "web"]);
    tail.success();
    assert_eq!(tail.stdout, "");

    let bare = p.run(&["logs", "--no-log-prefix", "--no-color", "db"]);
    bare.success();
    assert_eq!(bare.stdout, "db ready\n");

    let stamped = p.run(&["logs", "-t", "--no-log-prefix", "db"]);
    stamped.success();
    let (stamp, text) = stamped
        .stdout
        .trim_end()
        .split_once(' ')
        .expect("a timestamp");
    assert_eq!(text, "db ready");
    // RFC 3339 (Docker adds nanoseconds, Podman gives whole seconds).
    assert!(
        stamp.len() >= 20 && stamp.contains('T') && stamp.ends_with('Z'),
        "{stamp}"
    );

    let since = p.run(&["logs", "--since", "1h", "db"]);
    since.success();
    assert_eq!(since.stdout, "db-1  | db ready\n");
    let until = p.run(&["logs", "--until", "2000-01-01T00:00:00Z", "db"]);
    until.success();
    assert_eq!(until.stdout, "");

    let index = p.run(&["logs", "--index", "1", "--no-log-prefix", "db"]);
    index.success();
    assert_eq!(index.stdout, "db ready\n");
    p.run(&["logs", "--index", "1"])
        .failure()
        .stderr_contains("--index requires one service to be selected");
    // With the compose file at hand, services are checked against it.
    let args: Vec<String> = ["-p", &p.name, "-f", "compose.yaml", "logs", "nope"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    p.run_raw(&args)
        .failure()
        .stderr_contains("no such service: nope");
    p.run(&["logs", "--since", "yesterday"]).failure();
}

#[test]
fn logs_follow_picks_up_containers_started_later_and_ends_when_they_stop() {
    let p = TestProject::new("logsfollow").compose(
        "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'echo web up; exec sleep 3600']
            init: true
          late:
            image: rcompose-test/busybox:latest
            command: [sh, -c, 'sleep 1; echo late hello; exit 3']
        ",
    );
    p.run(&["up", "-d", "web"]).success();
    wait_for_log(&format!("{}-web-1", p.name), "web up");
    let mut follower = p
        .command(&["logs", "-f", "--no-color"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logs -f runs");
    std::thread::sleep(Duration::from_millis(1500));
    p.run(&["up", "-d", "late"]).success();
    // late prints, then exits 3 on its own.
    let deadline = Instant::now() + Duration::from_secs(20);
    while p.container("late").state != "exited" {
        assert!(Instant::now() < deadline, "late never exited");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    p.run(&["stop"]).success();
    // Every followed container has stopped: logs -f ends by itself.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = follower.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = follower.kill();
            panic!("logs -f did not end after every container stopped");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut out = String::new();
    follower
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read");
    assert!(status.success(), "{out}");
    assert!(
        out.contains("web-1   | web up\n") || out.contains("web-1  | web up\n"),
        "{out}"
    );
    assert!(
        out.contains("late hello"),
        "a container started later is followed: {out}"
    );
    assert!(out.contains("late-1 exited with code 3\n"), "{out}");
    assert!(out.contains("web-1 exited with code"), "{out}");
}

#[test]
fn exec_returns_the_status_pipes_stdin_and_takes_env_workdir_user() {
    let p = TestProject::new("exec")
        .compose(APP)
        .env("RCT_FROM_HOST", "host-value");
    p.run(&["up", "-d"]).success();

    let r = p.run(&["exec", "-T", "web", "sh", "-c", "exit 7"]);
    assert_eq!(r.code, 7, "{r:?}");
    assert_eq!(r.stderr, "", "no message for a command's own status");
    p.run(&["exec", "-T", "web", "true"]).success();

    let piped = p.run_with_stdin(&["exec", "-T", "web", "cat"], "hi\nthere\n");
    piped.success();
    assert_eq!(piped.stdout, "hi\nthere\n");

    let out = p.run(&["exec", "-T", "web", "sh", "-c", "echo out; echo err >&2"]);
    out.success();
    assert_eq!(out.stdout, "out\n");
    assert!(out.stderr.contains("err\n"), "{}", out.stderr);

    let env = p.run(&[
        "exec",
        "-T",
        "-e",
        "FOO=bar",
        "-e",
        "RCT_FROM_HOST",
        "-e",
        "RCT_UNSET_VAR",
        "web",
        "sh",
        "-c",
        "echo $FOO $RCT_FROM_HOST ${RCT_UNSET_VAR-unset}",
    ]);
    env.success();
    assert_eq!(env.stdout, "bar host-value unset\n");

    let wd = p.run(&["exec", "-T", "-w", "/bin", "web", "pwd"]);
    wd.success();
    assert_eq!(wd.stdout, "/bin\n");
    let user = p.run(&["exec", "-T", "-u", "1000", "web", "sh", "-c", "id -u"]);
    user.success();
    assert_eq!(user.stdout, "1000\n");
    // Flags after SERVICE belong to the command.
    let dash = p.run(&["exec", "-T", "web", "echo", "-T", "-e", "x"]);
    dash.success();
    assert_eq!(dash.stdout, "-T -e x\n");
    // Detached: returns at once, the command runs.
    p.run(&["exec", "-d", "web", "sh", "-c", "echo done > /marker"])
        .success();
    std::thread::sleep(Duration::from_millis(500));
    let marker = p.run(&["exec", "-T", "web", "cat", "/marker"]);
    marker.success();
    assert_eq!(marker.stdout, "done\n");

    // An unknown service is refused as every command refuses one (issue #16).
    p.run(&["exec", "-T", "nope", "true"])
        .failure()
        .stderr_contains("no such service: nope");
    p.run(&["exec", "-T", "--index", "2", "web", "true"])
        .failure()
        .stderr_contains("service \"web\" is not running container #2");
    p.run(&["stop", "db"]).success();
    p.run(&["exec", "-T", "db", "true"])
        .failure()
        .stderr_contains("service \"db\" is not running");
}

#[test]
fn run_rm_starts_dependencies_returns_the_exit_code_and_removes_the_container() {
    let p = TestProject::new("runrm").compose(APP);
    let r = p.run(&[
        "run",
        "--rm",
        "web",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(
        r.stdout, "out\n",
        "stdout holds the container's output only"
    );
    assert!(r.stderr.contains("err"), "{}", r.stderr);
    let containers = p.containers();
    assert!(
        containers
            .iter()
            .all(|c| c.label("com.docker.compose.oneoff") == "False"),
        "--rm removed the one-off container: {containers:?}"
    );
    assert_eq!(
        p.container("db").state,
        "running",
        "the dependency was started"
    );
    assert!(
        containers.iter().all(|c| c.service() != "web"),
        "run does not start the service itself"
    );

    let piped = p.run_with_stdin(&["run", "--rm", "-T", "db", "cat"], "through stdin\n");
    piped.success();
    assert_eq!(piped.stdout, "through stdin\n");

    let ok = p.run(&[
        "run",
        "--rm",
        "--no-deps",
        "-e",
        "X=1",
        "-w",
        "/bin",
        "-u",
        "1000",
        "db",
        "sh",
        "-c",
        "echo $X $(pwd) $(id -u)",
    ]);
    ok.success();
    assert_eq!(ok.stdout, "1 /bin 1000\n");
    let ep = p.run(&["run", "--rm", "--entrypoint", "echo", "db", "a", "-b"]);
    ep.success();
    assert_eq!(ep.stdout, "a -b\n");
    assert!(
        p.containers()
            .iter()
            .all(|c| c.label("com.docker.compose.oneoff") == "False")
    );

    p.run(&["run", "--rm", "nope"])
        .failure()
        .stderr_contains("no such service: nope");
    p.run(&["run", "-p", "1:1", "-P", "web"])
        .failure()
        .stderr_contains("--service-ports and --publish are incompatible");
}

#[test]
fn run_detached_prints_the_id_of_a_oneoff_container() {
    let p = TestProject::new("rund").compose(APP);
    let r = p.run(&["run", "-d", "web", "sleep", "300"]);
    r.success();
    let id = r.stdout.trim();
    assert_eq!(id.len(), 64, "{:?}", r.stdout);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    let c = p
        .containers()
        .into_iter()
        .find(|c| c.id == id)
        .expect("the printed id is a container of the project");
    assert_eq!(c.state, "running");
    assert_eq!(c.label("com.docker.compose.oneoff"), "True");
    assert_eq!(c.service(), "web");
    assert_eq!(c.label("com.docker.compose.slug").len(), 64);
    assert!(!c.labels.contains_key("com.docker.compose.container-number"));
    let prefix = format!("{}-web-run-", p.name);
    assert!(c.name.starts_with(&prefix), "{}", c.name);
    assert_eq!(c.name.len(), prefix.len() + 12);
    assert!(
        c.label("com.docker.compose.slug")
            .starts_with(&c.name[prefix.len()..])
    );
    // No ports and no restart policy for a one-off container.
    let bindings = docker(&[
        "inspect",
        "--format",
        "{{json .HostConfig.PortBindings}}",
        id,
    ]);
    assert!(matches!(bindings.trim(), "{}" | "null"), "{bindings}");
    let policy = docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.RestartPolicy.Name}}",
        id,
    ]);
    assert!(matches!(policy.trim(), "" | "no"), "{policy}");
    assert_eq!(p.container("db").state, "running");
    // ps without -a hides one-off containers; with -a they show.
    let ps = p.run(&["ps", "-q"]);
    assert!(!ps.stdout.contains(id), "{}", ps.stdout);
    let ps = p.run(&["ps", "-a", "-q"]);
    assert!(ps.stdout.contains(id), "{}", ps.stdout);

    let named = p.run(&[
        "run",
        "-d",
        "--rm",
        "--name",
        &format!("{}-custom", p.name),
        "-l",
        "k=v",
        "db",
        "sleep",
        "300",
    ]);
    named.success();
    let id = named.stdout.trim();
    let c = p
        .containers()
        .into_iter()
        .find(|c| c.id == id)
        .expect("created");
    assert_eq!(c.name, format!("{}-custom", p.name));
    assert_eq!(c.label("k"), "v");
    docker(&["kill", id]);
    // --rm -d: the engine removes it once it exits.
    let deadline = Instant::now() + Duration::from_secs(20);
    while docker_ok(&["inspect", id]) {
        assert!(Instant::now() < deadline, "auto-removed");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn port_prints_the_published_address() {
    let p = TestProject::new("port").compose(APP);
    p.run(&["up", "-d"]).success();
    let r = p.run(&["port", "web", "80"]);
    r.success();
    let want = docker(&["port", &format!("{}-web-1", p.name), "80/tcp"]);
    let want = want.lines().next().expect("docker port").trim();
    assert_eq!(r.stdout.trim(), want);
    assert!(r.stdout.starts_with("127.0.0.1:"), "{}", r.stdout);
    let port: u16 = r.stdout.trim().rsplit(':').next().unwrap().parse().unwrap();
    assert!(port > 0);
    p.run(&["port", "web", "81"])
        .failure()
        .stderr_contains(&format!(
            "no port 81/tcp for container {}-web-1: 80/tcp",
            p.name
        ));
    p.run(&["port", "--protocol", "udp", "web", "80"])
        .failure()
        .stderr_contains("no port 80/udp");
    p.run(&["port", "web", "http"])
        .failure()
        .stderr_contains("invalid syntax");
    p.run(&["stop", "web"]).success();
    p.run(&["port", "web", "80"])
        .failure()
        .stderr_contains("service \"web\" is not running");
}

#[test]
fn ls_lists_the_project_with_its_status_and_files() {
    let p = TestProject::new("ls").compose(APP);
    p.run(&["up", "-d"]).success();
    let filter = format!("name=^{}$", p.name);
    let files = p.dir.path().join("compose.yaml");
    let files = files.to_string_lossy();

    let table = p.run(&["ls", "--filter", &filter]);
    table.success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", table.stdout);
    assert!(
        lines[0].starts_with("NAME                STATUS              CONFIG FILES"),
        "{}",
        lines[0]
    );
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(cells, vec![p.name.as_str(), "running(2)", &files]);

    let json = p.run(&["ls", "--format", "json", "--filter", &filter]);
    json.success();
    assert_eq!(json.stdout.lines().count(), 1, "one line: {}", json.stdout);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!([{"Name": p.name, "Status": "running(2)", "ConfigFiles": files}])
    );
    let q = p.run(&["ls", "-q", "--filter", &filter]);
    assert_eq!(q.stdout, format!("{}\n", p.name));
    let all = p.run(&["ls", "-q"]);
    assert!(all.stdout.lines().any(|l| l == p.name), "{}", all.stdout);

    p.run(&["stop", "web"]).success();
    let mixed = p.run(&["ls", "-a", "--format", "json", "--filter", &filter]);
    let v: serde_json::Value = serde_json::from_str(&mixed.stdout).expect("JSON");
    assert_eq!(v[0]["Status"], "exited(1), running(1)");
    p.run(&["stop"]).success();
    let gone = p.run(&["ls", "--format", "json", "--filter", &filter]);
    assert_eq!(gone.stdout, "[]\n", "stopped projects need -a");
    p.run(&["ls", "--filter", "status=running"])
        .failure()
        .stderr_contains("invalid filter 'status'");
}

#[test]
fn ps_format_json_lines_carry_the_compose_keys() {
    let p = TestProject::new("psjson").compose(APP);
    p.run(&["up", "-d"]).success();
    let r = p.run(&["ps", "--format", "json"]);
    r.success();
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert_eq!(lines[0]["Name"], format!("{}-db-1", p.name));
    assert_eq!(lines[1]["Name"], format!("{}-web-1", p.name));
    let web = &lines[1];
    assert_eq!(web["Service"], "web");
    assert_eq!(web["Project"], p.name.as_str());
    assert_eq!(web["State"], "running");
    assert_eq!(web["Health"], "");
    assert_eq!(web["ExitCode"], 0);
    // The image as the engine lists it (Podman qualifies local names with `localhost/`).
    let listed = crate::harness::docker(&[
        "ps",
        "--filter",
        &format!("name={}-web-1", p.name),
        "--format",
        "{{.Image}}",
    ]);
    assert_eq!(web["Image"], listed.trim());
    assert_eq!(web["ID"].as_str().unwrap().len(), 12);
    assert!(
        web["Labels"]
            .as_str()
            .unwrap()
            .contains("com.docker.compose.service=web")
    );
    assert!(web["Status"].as_str().unwrap().starts_with("Up"));
    let publishers = web["Publishers"].as_array().expect("an array");
    assert_eq!(publishers.len(), 1);
    assert_eq!(publishers[0]["URL"], "127.0.0.1");
    assert_eq!(publishers[0]["TargetPort"], 80);
    assert_eq!(publishers[0]["Protocol"], "tcp");
    let published = publishers[0]["PublishedPort"].as_u64().unwrap();
    assert_eq!(
        web["Ports"],
        format!("127.0.0.1:{published}->80/tcp").as_str()
    );
    assert_eq!(lines[0]["Publishers"], serde_json::json!([]));
    let keys: Vec<&String> = web.as_object().unwrap().keys().collect();
    for k in [
        "Command",
        "CreatedAt",
        "ExitCode",
        "Health",
        "ID",
        "Image",
        "Labels",
        "LocalVolumes",
        "Mounts",
        "Name",
        "Names",
        "Networks",
        "Ports",
        "Project",
        "Publishers",
        "RunningFor",
        "Service",
        "Size",
        "State",
        "Status",
    ] {
        assert!(keys.iter().any(|x| *x == k), "missing {k}: {keys:?}");
    }
    let full = p.run(&["ps", "--format", "json", "--no-trunc", "web"]);
    let v: serde_json::Value = serde_json::from_str(full.stdout.trim()).unwrap();
    assert_eq!(v["ID"], p.container("web").id.as_str());

    p.run(&["stop", "db"]).success();
    let r = p.run(&["ps", "-a", "--format", "json", "db"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["State"], "exited");
    assert_eq!(v["ExitCode"], 143);
}
