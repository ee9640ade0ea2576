//! The seed scenario on compose-examples/people: an app and PostgreSQL with a named volume.
//! Data survives `stop` + `up -d` and `down` + `up -d`; `down -v` + `up -d` starts empty.

use std::path::PathBuf;

use crate::harness::{TestProject, free_port, http_get, psql};

fn people_project() -> (TestProject, u16, u16) {
    let mut p = TestProject::new("people");
    let example =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compose-examples/people/compose.yaml");
    p.file = Some(example);
    let (app, db) = (free_port(), free_port());
    let p = p
        .env("APP_PORT", &app.to_string())
        .env("DB_PORT", &db.to_string());
    (p, app, db)
}

fn people(app_port: u16) -> String {
    // The app reads the database through the project network; its httpd may need a moment.
    for _ in 0..100 {
        if let Some(body) = http_get(app_port, "/cgi-bin/people") {
            return body.trim().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the app does not answer on 127.0.0.1:{app_port}");
}

#[test]
fn seed_workflow_keeps_data_until_down_v() {
    let (p, app, db) = people_project();
    p.run(&["up", "-d"]).success();

    // Engine state: two running containers with compose's names and labels.
    let cs = p.containers();
    let names: Vec<&str> = cs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [format!("{}-app-1", p.name), format!("{}-db-1", p.name)]
    );
    for c in &cs {
        assert_eq!(c.state, "running", "{}", c.name);
        assert_eq!(c.label("com.docker.compose.project"), p.name);
        assert_eq!(c.label("com.docker.compose.container-number"), "1");
        assert_eq!(c.label("com.docker.compose.oneoff"), "False");
        assert_eq!(c.label("com.docker.compose.config-hash").len(), 64);
        assert!(
            c.label("com.docker.compose.project.working_dir")
                .ends_with("compose-examples/people")
        );
        assert!(
            c.label("com.docker.compose.project.config_files")
                .ends_with("compose-examples/people/compose.yaml")
        );
        assert!(c.label("com.docker.compose.image").starts_with("sha256:"));
    }
    assert_eq!(
        p.container("app").label("com.docker.compose.depends_on"),
        "db:service_healthy:false"
    );
    assert_eq!(p.networks(), [format!("{}_default", p.name)]);
    assert_eq!(p.volumes(), [format!("{}_db-data", p.name)]);
    let vl = TestProject::resource_labels("volume", &format!("{}_db-data", p.name));
    assert_eq!(
        vl.get("com.docker.compose.volume").map(String::as_str),
        Some("db-data")
    );
    let nl = TestProject::resource_labels("network", &format!("{}_default", p.name));
    assert_eq!(
        nl.get("com.docker.compose.network").map(String::as_str),
        Some("default")
    );

    psql(
        db,
        "people",
        "INSERT INTO people(name) VALUES ('alice'), ('bob')",
    );
    assert_eq!(people(app), "alice\nbob");

    // A second up changes nothing.
    let ids: Vec<String> = p.containers().iter().map(|c| c.id.clone()).collect();
    p.run(&["up", "-d"]).success();
    assert_eq!(
        p.containers()
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        ids
    );

    // stop keeps containers and data; up starts the same containers again.
    p.run(&["stop"]).success();
    assert!(p.containers().iter().all(|c| c.state == "exited"));
    p.run(&["up", "-d"]).success();
    assert_eq!(
        p.containers()
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        ids
    );
    assert!(p.containers().iter().all(|c| c.state == "running"));
    assert_eq!(psql(db, "people", "SELECT count(*) FROM people"), "2");

    // down removes containers and the network but keeps the volume.
    p.run(&["down"]).success();
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty());
    assert_eq!(p.volumes(), [format!("{}_db-data", p.name)]);
    p.run(&["up", "-d"]).success();
    assert_eq!(
        psql(
            db,
            "people",
            "SELECT string_agg(name, ',' ORDER BY id) FROM people"
        ),
        "alice,bob"
    );

    // down -v resets the database: the schema comes back empty.
    p.run(&["down", "-v"]).success();
    assert!(p.containers().is_empty());
    assert!(p.volumes().is_empty());
    p.run(&["up", "-d"]).success();
    assert_eq!(psql(db, "people", "SELECT count(*) FROM people"), "0");
    assert_eq!(people(app), "");
}

#[test]
fn label_only_down_needs_no_compose_file() {
    let (p, _, _) = people_project();
    p.run(&["up", "-d"]).success();
    assert_eq!(p.containers().len(), 2);
    // From an empty directory, with only the project name.
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", &p.name, "down", "-v"])
        .current_dir(empty.path())
        .env("COMPOSE_PROGRESS", "plain")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty());
    assert!(p.volumes().is_empty());
}
