//! `snapshot save|restore|ls|rm|export|import`: snapshots are volumes on the engine, found by
//! label; rows saved, changed and deleted come back exactly on restore, also into a project that
//! was `down -v`-ed; ownership and modes are kept; old directory snapshots are still restored.

use std::path::PathBuf;
use std::time::Instant;

use crate::harness::{TestProject, docker, docker_ok, free_port, psql};

const HELPER: &str = "rcompose-test/busybox:latest";

fn rows(db: u16) -> String {
    psql(
        db,
        "people",
        "SELECT coalesce(string_agg(name, ',' ORDER BY id), '') FROM people",
    )
}

/// The project's snapshot volumes on the engine (by label), sorted.
fn snapshot_volumes(project: &str) -> Vec<String> {
    let out = docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("label=io.rcompose.snapshot.project={project}"),
    ]);
    let mut v: Vec<String> = out.lines().map(str::to_string).collect();
    v.sort();
    v
}

/// Removes the project's snapshot volumes when the test ends, however it ends.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for v in snapshot_volumes(&self.0) {
            docker_ok(&["volume", "rm", "-f", &v]);
        }
    }
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
        .env("XDG_DATA_HOME", &data.path().to_string_lossy())
        .env("RCOMPOSE_SNAPSHOT_IMAGE", HELPER);
    let _cleanup = Cleanup(p.name.clone());
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
    // On the engine, one labelled volume per saved volume; nothing in the data directory.
    let snap = format!("rcompose-snapshot_{}_seed_db-data", p.name);
    assert_eq!(snapshot_volumes(&p.name), std::slice::from_ref(&snap));
    let labels = TestProject::resource_labels("volume", &snap);
    assert_eq!(labels["io.rcompose.snapshot.name"], "seed");
    assert_eq!(labels["io.rcompose.snapshot.volume"], "db-data");
    assert!(!data.path().join("rcompose").exists());
    // The database was stopped for the copy and is healthy again when save returns: a query
    // right away succeeds, no waiting.
    assert_eq!(p.container("db").state, "running");
    assert_eq!(rows(db), "alice,bob");
    let ls = p.run(&["snapshot", "ls"]);
    ls.success();
    let line = ls
        .stdout
        .lines()
        .find(|l| l.starts_with("seed "))
        .unwrap_or_else(|| panic!("{}", ls.stdout));
    assert!(line.contains("MB") && line.ends_with("db-data"), "{line}");
    p.run(&["snapshot", "save", "seed"])
        .failure()
        .stderr_contains("snapshot seed already exists");

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
    assert_eq!(rows(db), "alice,bob");

    // `down -v` leaves the snapshot; it restores into the project whose volume is gone.
    p.run(&["down", "-v"]).success();
    assert!(p.volumes().is_empty());
    assert_eq!(snapshot_volumes(&p.name), std::slice::from_ref(&snap));
    p.run(&["snapshot", "restore", "seed"]).success();
    assert_eq!(p.volumes(), [format!("{}_db-data", p.name)]);
    p.run(&["up", "-d", "--wait"]).success();
    assert_eq!(rows(db), "alice,bob");

    // Export, remove, import: the same rows come back from the file.
    let file = data.path().join("seed.tar");
    p.run(&["snapshot", "export", "seed", &file.to_string_lossy()])
        .success();
    assert!(std::fs::metadata(&file).unwrap().len() > 1_000_000);
    p.run(&["snapshot", "rm", "seed"]).success();
    assert!(snapshot_volumes(&p.name).is_empty());
    p.run(&["snapshot", "import", &file.to_string_lossy(), "shared"])
        .success();
    assert_eq!(
        snapshot_volumes(&p.name),
        [format!("rcompose-snapshot_{}_shared_db-data", p.name)]
    );
    psql(db, "people", "DELETE FROM people");
    p.run(&["snapshot", "restore", "shared"]).success();
    assert_eq!(rows(db), "alice,bob");

    // Listing and removing need only the project name: no compose file, another directory.
    let elsewhere = tempfile::tempdir().unwrap();
    let by_name = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["-p", &p.name])
            .args(args)
            .current_dir(elsewhere.path())
            .env("XDG_DATA_HOME", data.path())
            .env("RCOMPOSE_SNAPSHOT_IMAGE", HELPER)
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
            .any(|l| l.starts_with("shared ")),
        "{ls:?}"
    );
    let rm = by_name(&["snapshot", "rm", "shared"]);
    assert!(rm.status.success(), "{rm:?}");
    assert!(snapshot_volumes(&p.name).is_empty());
    let again = by_name(&["snapshot", "rm", "shared"]);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("no such snapshot: shared"));
    p.run(&["snapshot", "restore", "shared"]).failure();
}

/// Owner, group and mode of /data/f and of /data itself in the project's volume.
fn stat(volume: &str) -> String {
    docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/data"),
        HELPER,
        "sh",
        "-c",
        "stat -c '%u:%g:%a' /data /data/f && cat /data/f",
    ])
    .trim()
    .to_string()
}

#[test]
fn snapshot_keeps_owners_and_modes_and_reads_old_directory_snapshots() {
    let data = tempfile::tempdir().unwrap();
    let p = TestProject::new("snapshot-modes")
        .compose(
            r#"
            services:
              box:
                image: rcompose-test/busybox:latest
                command: ["sleep", "3600"]
                init: true
                volumes: [files:/data]
            volumes:
              files: {}
            "#,
        )
        .env("XDG_DATA_HOME", &data.path().to_string_lossy())
        .env("RCOMPOSE_SNAPSHOT_IMAGE", HELPER);
    let _cleanup = Cleanup(p.name.clone());
    p.run(&["up", "-d", "--wait"]).success();
    let volume = format!("{}_files", p.name);
    p.run(&[
        "exec",
        "-T",
        "box",
        "sh",
        "-c",
        "echo one > /data/f && chown 1234:5678 /data/f /data && chmod 640 /data/f && chmod 710 /data",
    ])
    .success();
    let before = stat(&volume);
    assert_eq!(before, "1234:5678:710\n1234:5678:640\none");
    p.run(&["snapshot", "save", "one"]).success();
    assert_eq!(p.container("box").state, "running");
    p.run(&[
        "exec",
        "-T",
        "box",
        "sh",
        "-c",
        "echo two > /data/f && chown 0:0 /data/f /data && chmod 600 /data/f && chmod 755 /data && touch /data/extra",
    ])
    .success();
    p.run(&["snapshot", "restore", "one"]).success();
    assert_eq!(stat(&volume), before);
    let extra = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/data"),
        HELPER,
        "ls",
        "-A",
        "/data",
    ]);
    assert_eq!(extra.trim(), "f", "files not in the snapshot are removed");

    // An old snapshot: a directory with snapshot.json and a .tar.gz per volume.
    let content = tempfile::tempdir().unwrap();
    std::fs::write(content.path().join("f"), "old\n").unwrap();
    let dir = data
        .path()
        .join(format!("rcompose/snapshots/{}/legacy", p.name));
    std::fs::create_dir_all(&dir).unwrap();
    let tar = std::process::Command::new("tar")
        .arg("czf")
        .arg(dir.join("files.tar.gz"))
        .arg("-C")
        .arg(content.path())
        .arg(".")
        .status()
        .unwrap();
    assert!(tar.success());
    std::fs::write(
        dir.join("snapshot.json"),
        format!(
            r#"{{"project":"{}","name":"legacy","created":1700000000,"volumes":[{{"key":"files","name":"{volume}","bytes":100}}]}}"#,
            p.name
        ),
    )
    .unwrap();
    let ls = p.run(&["snapshot", "ls"]);
    ls.success();
    assert!(
        ls.stdout
            .lines()
            .any(|l| l.starts_with("legacy ") && l.contains("old archive")),
        "{}",
        ls.stdout
    );
    p.run(&["snapshot", "restore", "legacy"]).success();
    let got = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/data"),
        HELPER,
        "cat",
        "/data/f",
    ]);
    assert_eq!(got, "old\n");
    p.run(&["snapshot", "rm", "legacy"]).success();
    // No empty directories left: the snapshot's, the project's and rcompose's own are gone.
    assert!(!data.path().join("rcompose").exists());
    p.run(&["snapshot", "rm", "one"]).success();
    assert!(snapshot_volumes(&p.name).is_empty());
}

/// One line per entry of the volume mounted at /v: name, type, size, mode, owner, mtime (ns; a
/// symbolic link's target instead of its time) and each file's md5 — sorted.
const LISTING: &str = "cd /v && { find . ! -type l -exec stat -c '%n|%F|%s|%a|%u:%g|%y' {} +; \
    find . -type l -exec stat -c '%n|%F|%N|%u:%g' {} +; \
    find . -type f -exec md5sum {} +; } | sort";

fn listing(volume: &str) -> String {
    docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/v:ro"),
        HELPER,
        "sh",
        "-c",
        LISTING,
    ])
}

fn inode(volume: &str, path: &str) -> String {
    docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/v:ro"),
        HELPER,
        "stat",
        "-c",
        "%i",
        &format!("/v/{path}"),
    ])
}

#[test]
fn snapshot_restore_rewrites_only_what_changed_and_equals_a_full_copy() {
    let data = tempfile::tempdir().unwrap();
    let p = TestProject::new("snapshot-sync")
        .compose(
            r#"
            services:
              box:
                image: rcompose-test/busybox:latest
                command: ["sleep", "3600"]
                init: true
                volumes: [files:/data]
            volumes:
              files: {}
            "#,
        )
        .env("XDG_DATA_HOME", &data.path().to_string_lossy())
        .env("RCOMPOSE_SNAPSHOT_IMAGE", HELPER);
    let _cleanup = Cleanup(p.name.clone());
    p.run(&["up", "-d", "--wait"]).success();
    let volume = format!("{}_files", p.name);
    let sh = |script: &str| {
        p.run(&["exec", "-T", "box", "sh", "-c", script]).success();
    };
    sh(
        "cd /data && head -c 300000 /dev/zero | tr '\\0' k > keep && printf aaaa > same \
        && mkdir -p d1/sub d2 dirtofile && echo x > d1/x && echo y > d1/sub/y \
        && echo z > dirtofile/z && echo f > filetodir && ln -s keep link \
        && echo m > mode && chmod 600 mode && echo w > 'we ird|name' && chmod 750 d2 \
        && chown -R 1234:5678 d2 d1",
    );
    p.run(&["snapshot", "save", "one"]).success();
    let snap = snapshot_volumes(&p.name).pop().expect("a snapshot volume");
    let saved = listing(&snap);
    assert!(saved.contains("./d1/sub/y"), "{saved}");
    let keep_inode = inode(&volume, "keep");

    // What a test run does: change contents at the same size (new mtime), modes and owners,
    // replace a file by a directory and a directory by a file, add and delete trees.
    sh(
        "cd /data && printf bbbb > same && rm -rf d1 && rm filetodir && mkdir -p filetodir/in \
        && echo in > filetodir/in/f && rm -r dirtofile && echo now-a-file > dirtofile \
        && rm link && ln -s same link && chmod 644 mode && chown 7:7 mode \
        && echo new > d2/new && chmod 700 d2 && chown 0:0 d2 && mkdir -p added/deep \
        && echo a > added/deep/f && echo b > addedfile && rm 'we ird|name'",
    );
    assert_ne!(listing(&volume), saved);
    p.run(&["snapshot", "restore", "one"]).success();
    assert_eq!(listing(&volume), saved);
    assert_eq!(
        inode(&volume, "keep"),
        keep_inode,
        "an unchanged file is not rewritten"
    );
    assert_eq!(p.container("box").state, "running");

    // After down -v the volume is empty: the full copy gives the same tree.
    p.run(&["down", "-v"]).success();
    p.run(&["snapshot", "restore", "one"]).success();
    assert_eq!(listing(&volume), saved);
    p.run(&["snapshot", "rm", "one"]).success();
    p.run(&["down", "-v"]).success();
}
