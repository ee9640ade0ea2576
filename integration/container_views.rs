//! The commands that look at and into a project's containers, against a real engine: `images`,
//! `top`, `ps --format TEMPLATE`, `ps --orphans=false`, `volumes`, `stats --no-stream`,
//! `events`, `cp` and `attach`. Engine state is judged through the docker CLI; output through
//! what scripts read.

use std::process::Command;

use crate::harness::{BUSYBOX, TestProject, docker, image_id, sleeper};

const APP: &str = "
    services:
      web:
        image: rcompose-test/busybox:latest
        command: [sh, -c, 'echo ready; exec sleep 3600']
        init: true
      db:
        image: rcompose-test/busybox:latest
        command: [sleep, '3600']
        init: true
";

#[test]
fn images_lists_each_container_image_as_table_json_and_ids() {
    let p = TestProject::new("images").compose(APP);
    p.run(&["up", "-d"]).success();
    let id = image_id(BUSYBOX);
    let bare = id.trim_start_matches("sha256:");
    let size: i64 = docker(&["image", "inspect", "-f", "{{.Size}}", BUSYBOX])
        .trim()
        .parse()
        .unwrap();
    let platform = docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Os}}/{{.Architecture}}",
        BUSYBOX,
    ])
    .trim()
    .to_string();

    let q = p.run(&["images", "-q"]);
    q.success();
    assert_eq!(q.stdout, format!("{bare}\n"), "one unique id");

    let t = p.run(&["images", "web"]);
    t.success();
    let lines: Vec<&str> = t.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", t.stdout);
    let header: Vec<&str> = lines[0]
        .split("   ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "CONTAINER",
            "REPOSITORY",
            "TAG",
            "PLATFORM",
            "IMAGE ID",
            "SIZE",
            "CREATED"
        ]
    );
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        &cells[..6],
        [
            format!("{}-web-1", p.name).as_str(),
            "rcompose-test/busybox",
            "latest",
            platform.as_str(),
            &bare[..12],
            rcompose::output::images::human_size(size).as_str(),
        ]
    );
    assert_eq!(cells.last(), Some(&"ago"), "{}", t.stdout);

    let j = p.run(&["images", "--format", "json"]);
    j.success();
    let v: serde_json::Value = serde_json::from_str(j.stdout.trim()).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["ContainerName"], format!("{}-db-1", p.name));
    assert_eq!(arr[1]["ContainerName"], format!("{}-web-1", p.name));
    for o in arr {
        assert_eq!(o["ID"], id.as_str());
        assert_eq!(o["Repository"], "rcompose-test/busybox");
        assert_eq!(o["Tag"], "latest");
        assert_eq!(o["Platform"], platform.as_str());
        assert_eq!(o["Size"], size);
        let keys: Vec<&String> = o.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "ID",
                "ContainerName",
                "Repository",
                "Tag",
                "Platform",
                "Size",
                "Created",
                "LastTagTime"
            ]
        );
    }

    p.run_raw(&[
        "-f".into(),
        "compose.yaml".into(),
        "-p".into(),
        p.name.clone(),
        "images".into(),
        "nope".into(),
    ])
    .failure()
    .stderr_contains("no such service: nope");
    p.run(&["images", "--format", "yaml"]).failure();
}

#[test]
fn top_prints_one_table_of_every_running_containers_processes() {
    let p = TestProject::new("top").compose(APP);
    p.run(&["up", "-d"]).success();
    let r = p.run(&["top"]);
    r.success();
    let lines: Vec<&str> = r.stdout.lines().collect();
    // compose's header: SERVICE, #, the engine's titles, CMD last (tabwriter 4/1/2).
    assert!(
        lines[0].starts_with("SERVICE  #   UID ") && lines[0].ends_with("CMD"),
        "{}",
        r.stdout
    );
    assert!(lines[0].contains(" PID "), "{}", r.stdout);
    // init + the command in each of db and web, sorted by container name.
    assert_eq!(lines.len(), 5, "{}", r.stdout);
    assert!(lines[1].starts_with("db       1   "), "{}", r.stdout);
    assert!(lines[4].starts_with("web      1   "), "{}", r.stdout);
    assert!(lines[4].ends_with("sleep 3600"), "{}", r.stdout);
    let one = p.run(&["top", "web"]);
    one.success();
    assert_eq!(one.stdout.lines().count(), 3, "{}", one.stdout);
    assert!(one.stdout.lines().skip(1).all(|l| l.starts_with("web ")));

    p.run(&["stop", "-t", "0", "db"]).success();
    let r = p.run(&["top", "db"]);
    r.success();
    assert_eq!(r.stdout, "", "stopped containers have no processes to show");
}

#[test]
fn ps_go_templates_and_ps_format_from_the_docker_config() {
    let p = TestProject::new("pstpl").compose(APP);
    p.run(&["up", "-d"]).success();
    let n = &p.name;

    let r = p.run(&[
        "ps",
        "--format",
        "{{.Name}} {{.Service}} {{.State}} {{.Project}} {{.ExitCode}} {{.Image}} {{.Health}}|",
    ]);
    r.success();
    assert_eq!(
        r.stdout,
        format!("{n}-db-1 db running {n} 0 {BUSYBOX} |\n{n}-web-1 web running {n} 0 {BUSYBOX} |\n")
    );

    let r = p.run(&["ps", "--format", "table {{.Service}}\\t{{.State}}"]);
    r.success();
    assert_eq!(
        r.stdout,
        "SERVICE   STATE\ndb        running\nweb       running\n"
    );

    let id = p.container("web").id;
    let r = p.run(&["ps", "--format", "{{.ID}}", "web"]);
    r.success();
    assert_eq!(r.stdout, format!("{}\n", &id[..12]));

    let r = p.run(&["ps", "--format", "{{json .}}", "web"]);
    r.success();
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["Name"], format!("{n}-web-1").as_str());
    assert_eq!(v["Service"], "web");

    p.run(&["ps", "--format", "{{.Nope}}"])
        .failure()
        .stderr_contains("can't evaluate field Nope");

    let cfg = tempfile::tempdir().unwrap();
    std::fs::write(
        cfg.path().join("config.json"),
        r#"{"psFormat": "{{.Service}}={{.Status}}"}"#,
    )
    .unwrap();
    let p = p.env("DOCKER_CONFIG", cfg.path().to_str().unwrap());
    let r = p.run(&["ps", "db"]);
    r.success();
    assert!(r.stdout.starts_with("db=Up "), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 1);
    // --format wins over psFormat
    let r = p.run(&["ps", "--format", "{{.Service}}", "db"]);
    r.success();
    assert_eq!(r.stdout, "db\n");
}

fn exec_out(container: &str, sh: &str) -> String {
    docker(&["exec", container, "sh", "-c", sh])
}

#[test]
fn cp_files_and_directories_both_ways_to_every_replica() {
    let p = TestProject::new("cp").compose(APP);
    p.run(&["up", "-d", "--scale", "web=2"]).success();
    let (w1, w2) = (format!("{}-web-1", p.name), format!("{}-web-2", p.name));
    for c in [&w1, &w2] {
        exec_out(c, "mkdir -p /tmp");
    }
    p.write("local/one.txt", "one\n");
    p.write("local/sub/two.txt", "two\n");

    // A file into a new path: every replica gets it under the new name.
    p.run(&["cp", "local/one.txt", "web:/tmp/renamed.txt"])
        .success();
    for c in [&w1, &w2] {
        assert_eq!(exec_out(c, "cat /tmp/renamed.txt"), "one\n");
    }
    // A directory into an existing directory lands inside it; --index picks one replica.
    p.run(&["cp", "--index", "2", "local", "web:/tmp"])
        .success();
    assert_eq!(exec_out(&w2, "cat /tmp/local/sub/two.txt"), "two\n");
    assert!(!crate::harness::docker_ok(&[
        "exec",
        &w1,
        "test",
        "-e",
        "/tmp/local"
    ]));

    // Out of the container: a file to a new local name, a directory into a directory.
    docker(&[
        "exec",
        &w1,
        "sh",
        "-c",
        "mkdir -p /srv/d/e && echo deep > /srv/d/e/f",
    ]);
    p.run(&["cp", "web:/srv/d", "out"]).success();
    assert_eq!(
        std::fs::read_to_string(p.dir.path().join("out/e/f")).unwrap(),
        "deep\n"
    );
    p.run(&["cp", "web:/srv/d/e/f", "out/g.txt"]).success();
    assert_eq!(
        std::fs::read_to_string(p.dir.path().join("out/g.txt")).unwrap(),
        "deep\n"
    );
    p.run(&["cp", "web:/srv/d", "out"]).success();
    assert!(p.dir.path().join("out/d/e/f").exists());

    // `-` streams a tar on stdout.
    let r = p.run(&["cp", "web:/srv/d/e/f", "-"]);
    r.success();
    let mut a = tar::Archive::new(r.stdout.as_bytes());
    let names: Vec<String> = a
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["f"]);

    p.run(&["cp", "web:/nope", "x"]).failure();
    p.run(&["cp", "nope-local", "web:/tmp"]).failure();
    p.run(&["cp", "web:/a", "db:/b"])
        .failure()
        .stderr_contains("copying between services is not supported");
    p.run(&["cp", "a", "b"])
        .failure()
        .stderr_contains("unknown copy direction");
    p.run(&["cp", "a", "ghost:/b"])
        .failure()
        .stderr_contains("no such service: ghost");
}

#[test]
fn events_streams_the_project_container_events_as_json_and_text() {
    use std::io::{BufRead, BufReader};
    let p = TestProject::new("events").compose(APP);
    p.run(&["up", "-d"]).success();
    let spawn = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcompose"));
        cmd.args(["-p", &p.name, "events"]);
        if json {
            cmd.arg("--json");
        }
        cmd.arg("db")
            .current_dir(p.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut json = spawn(true);
    let mut text = spawn(false);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    p.run(&["pause", "web"]).success();
    p.run(&["pause", "db"]).success();
    let db_id = p.container("db").id;

    let mut line = String::new();
    BufReader::new(json.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["action"], "pause", "only db events: {line}");
    assert_eq!(v["id"], db_id.as_str());
    assert_eq!(v["service"], "db");
    assert_eq!(v["type"], "container");
    assert_eq!(v["attributes"]["name"], format!("{}-db-1", p.name).as_str());
    assert!(v["attributes"].get("com.docker.compose.project").is_none());
    assert!(v["time"].as_str().unwrap().ends_with('Z'));

    let mut line = String::new();
    BufReader::new(text.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let re = regex::Regex::new(&format!(
        r"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{{6}} container pause {db_id} \(.*name={}-db-1.*\)\n$",
        p.name
    ))
    .unwrap();
    assert!(re.is_match(&line), "{line:?}");
    for mut c in [json, text] {
        c.kill().unwrap();
        c.wait().unwrap();
    }
}

#[test]
fn attach_forwards_stdin_and_streams_output_until_the_container_exits() {
    use std::io::Write;
    let p = TestProject::new("attach").compose(
        "
        services:
          echo:
            image: rcompose-test/busybox:latest
            stdin_open: true
            command: [sh, -c, 'while read l; do echo got $$l; [ \"$$l\" = bye ] && exit 3; done']
        ",
    );
    p.run(&["up", "-d"]).success();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", &p.name, "attach", "echo"])
        .current_dir(p.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\nbye\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "got hello\ngot bye\n");
    let c = p.container("echo");
    assert_eq!(c.state, "exited");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.ExitCode}}", &c.id]).trim(),
        "3"
    );
    p.run(&["attach", "echo"])
        .failure()
        .stderr_contains("service \"echo\" is not running");
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
