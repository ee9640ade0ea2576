//! `snapshot save|restore|ls|rm` on compose-examples/people: rows saved, changed and deleted
//! come back exactly on restore, also into a project that was `down -v`-ed.

use std::path::PathBuf;
use std::time::Instant;

use crate::harness::{TestProject, free_port, psql};

fn rows(db: u16) -> String {
    psql(
        db,
        "people",
        "SELECT coalesce(string_agg(name, ',' ORDER BY id), '') FROM people",
    )
}

/// Waits until the database accepts queries again after its container was restarted.
fn wait_db(db: u16) {
    for _ in 0..150 {
        let ok = std::process::Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &db.to_string(), "-U", "postgres"])
            .args(["-d", "people", "-Atc", "SELECT 1"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("the database on 127.0.0.1:{db} does not come back");
}

#[test]
fn snapshot_restores_rows_exactly_and_after_down_v() {
    let mut p = TestProject::new("snapshot");
    p.file = Some(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compose-examples/people/compose.yaml"),
    );
    let data = tempfile::tempdir().unwrap();
    let (app, db) = (free_port(), free_port());
    let p = p
        .env("APP_PORT", &app.to_string())
        .env("DB_PORT", &db.to_string())
        .env("XDG_DATA_HOME", &data.path().to_string_lossy());
    p.run(&["up", "-d", "--wait"]).success();
    psql(
        db,
        "people",
        "INSERT INTO people(name) VALUES ('alice'), ('bob')",
    );
    assert_eq!(rows(db), "alice,bob");

    let t = Instant::now();
    p.run(&["snapshot", "save", "seed"]).success();
    eprintln!("snapshot save: {:?}", t.elapsed());
    let dir = data
        .path()
        .join(format!("rcompose/snapshots/{}/seed", p.name));
    assert!(dir.join("db-data.tar.gz").is_file());
    eprintln!(
        "snapshot archive: {} bytes",
        std::fs::metadata(dir.join("db-data.tar.gz")).unwrap().len()
    );
    assert!(dir.join("snapshot.json").is_file());
    // The database was stopped for the copy and runs again.
    assert_eq!(p.container("db").state, "running");
    wait_db(db);
    let ls = p.run(&["snapshot", "ls"]);
    ls.success();
    assert!(
        ls.stdout.lines().any(|l| l.starts_with("seed ")),
        "{}",
        ls.stdout
    );

    psql(
        db,
        "people",
        "UPDATE people SET name = 'carol' WHERE name = 'alice'",
    );
    psql(db, "people", "DELETE FROM people WHERE name = 'bob'");
    psql(db, "people", "INSERT INTO people(name) VALUES ('dave')");
    assert_eq!(rows(db), "carol,dave");

    let t = Instant::now();
    p.run(&["snapshot", "restore", "seed"]).success();
    eprintln!("snapshot restore: {:?}", t.elapsed());
    assert_eq!(p.container("db").state, "running");
    wait_db(db);
    assert_eq!(rows(db), "alice,bob");

    // Into a project whose volume is gone.
    p.run(&["down", "-v"]).success();
    assert!(p.volumes().is_empty());
    p.run(&["snapshot", "restore", "seed"]).success();
    assert_eq!(p.volumes(), [format!("{}_db-data", p.name)]);
    p.run(&["up", "-d", "--wait"]).success();
    assert_eq!(rows(db), "alice,bob");

    // Listing and removing need only the project name: no compose file, another directory.
    let elsewhere = tempfile::tempdir().unwrap();
    let by_name = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["-p", &p.name])
            .args(args)
            .current_dir(elsewhere.path())
            .env("XDG_DATA_HOME", data.path())
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROJECT_NAME")
            .output()
            .expect("rcompose runs")
    };
    let ls = by_name(&["snapshot", "ls"]);
    assert!(ls.status.success(), "{ls:?}");
    assert!(
        String::from_utf8_lossy(&ls.stdout)
            .lines()
            .any(|l| l.starts_with("seed ")),
        "{ls:?}"
    );
    let rm = by_name(&["snapshot", "rm", "seed"]);
    assert!(rm.status.success(), "{rm:?}");
    assert!(!dir.exists());
    let again = by_name(&["snapshot", "rm", "seed"]);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("no such snapshot: seed"));
    p.run(&["snapshot", "restore", "seed"]).failure();
}
