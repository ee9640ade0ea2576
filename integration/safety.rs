//! Nothing the user did not ask to delete is deleted, and bad input changes nothing on the
//! engine.

use crate::harness::{TestProject, docker, docker_ok, sleeper};

#[test]
fn invalid_input_changes_nothing_on_the_engine() {
    let bad = [
        "services:\n  web:\n    image: [unclosed\n",
        "services:\n  web:\n    image: rcompose-test/busybox:latest\n    depends_on: [db]\n",
        "services:\n  a:\n    image: rcompose-test/busybox:latest\n    depends_on: [b]\n  b:\n    image: rcompose-test/busybox:latest\n    depends_on: [a]\n",
        "services:\n  web:\n    image: rcompose-test/busybox:latest\n    ports: ['80:80:80:80']\nvolumes:\n  data:\n",
        "services:\n  web:\n    image: rcompose-test/busybox:latest\n    volumes: ['missing:/data']\n",
    ];
    for yaml in bad {
        let p = TestProject::new("badinput").compose(yaml);
        let r = p.run(&["up", "-d"]);
        r.failure();
        assert_eq!(r.code, 1);
        assert!(p.containers().is_empty(), "{yaml}");
        assert!(p.networks().is_empty(), "{yaml}");
        assert!(p.volumes().is_empty(), "{yaml}");
    }
}

#[test]
fn missing_external_volume_fails_before_creating_anything() {
    let p = TestProject::new("extmissing").compose(
        "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            volumes: [data:/data]
        volumes:
          data:
            external: true
            name: rct-does-not-exist-volume
        ",
    );
    p.run(&["up", "-d"])
        .failure()
        .stderr_contains("external volume \"rct-does-not-exist-volume\" not found");
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty());
}

#[test]
fn down_v_never_removes_external_or_foreign_volumes() {
    let other = TestProject::new("foreign").compose(
        "
        services:
          keep:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            volumes: [data:/data]
        volumes:
          data:
        ",
    );
    other.run(&["up", "-d"]).success();
    let foreign = format!("{}_data", other.name);
    let p = TestProject::new("owner");
    let external = format!("{}-external", p.name);
    docker(&["volume", "create", &external]);
    let p = p.compose(&format!(
        "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            volumes: [ext:/ext, theirs:/theirs, mine:/mine, /anon]
        volumes:
          ext:
            external: true
            name: {external}
          theirs:
            name: {foreign}
          mine:
        "
    ));
    p.run(&["up", "-d"]).success();
    let anon = docker(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}",
        &p.container("web").id,
    ])
    .trim()
    .to_string();
    assert!(!anon.is_empty());
    p.run(&["down", "-v"]).success();
    assert!(
        docker_ok(&["volume", "inspect", &external]),
        "external volume kept"
    );
    assert!(
        docker_ok(&["volume", "inspect", &foreign]),
        "another project's volume kept"
    );
    assert!(
        !docker_ok(&["volume", "inspect", &format!("{}_mine", p.name)]),
        "own volume removed"
    );
    assert!(
        !docker_ok(&["volume", "inspect", &anon]),
        "anonymous volume removed with -v"
    );
    assert_eq!(
        other.container("keep").state,
        "running",
        "other project untouched"
    );
    docker_ok(&["volume", "rm", &external]);
}

#[test]
fn down_without_v_keeps_anonymous_and_named_volumes() {
    let p = TestProject::new("keepvols").compose(
        "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            volumes: [data:/data, /anon]
        volumes:
          data:
        ",
    );
    p.run(&["up", "-d"]).success();
    let anon = docker(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}",
        &p.container("web").id,
    ])
    .trim()
    .to_string();
    p.run(&["down"]).success();
    assert!(p.containers().is_empty());
    assert_eq!(p.volumes(), [format!("{}_data", p.name)]);
    assert!(
        docker_ok(&["volume", "inspect", &anon]),
        "anonymous volume kept without -v"
    );
    docker_ok(&["volume", "rm", &anon]);
}

#[test]
fn anonymous_volume_data_survives_recreate_unless_renewed() {
    let yaml = "
        services:
          web:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
            init: true
            volumes: [/anon]
            environment: {V: '1'}
        ";
    let p = TestProject::new("anoninherit").compose(yaml);
    p.run(&["up", "-d"]).success();
    let first = p.container("web");
    docker(&["exec", &first.id, "sh", "-c", "echo kept > /anon/data"]);

    // A changed service is recreated; its anonymous volume comes along.
    p.write("compose.yaml", &yaml.replace("V: '1'", "V: '2'"));
    p.run(&["up", "-d"]).success();
    let second = p.container("web");
    assert_ne!(second.id, first.id, "recreated");
    assert_eq!(
        docker(&["exec", &second.id, "cat", "/anon/data"]).trim(),
        "kept"
    );

    // -V gives the new container a fresh anonymous volume (the old one is left, unattached).
    let old_volume = docker(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}",
        &second.id,
    ])
    .trim()
    .to_string();
    p.run(&["up", "-d", "--force-recreate", "-V"]).success();
    let third = p.container("web");
    assert_ne!(third.id, second.id);
    assert!(
        !docker_ok(&["exec", &third.id, "test", "-e", "/anon/data"]),
        "renewed volume is empty"
    );
    p.run(&["down", "-v"]).success();
    assert!(
        docker_ok(&["volume", "rm", &old_volume]),
        "the replaced anonymous volume was kept"
    );
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
