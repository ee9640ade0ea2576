//! Service settings that pass through to the engine (limits, ulimits, DNS options, logging,
//! `volumes_from`, `links`) and the secrets and configs a service mounts, judged by
//! inspecting the containers and reading the files inside them.

use crate::harness::{BUSYBOX, TestProject, docker};

fn inspect(container: &str, template: &str) -> String {
    docker(&["inspect", "-f", template, container])
        .trim()
        .to_string()
}

fn cat(container: &str, path: &str) -> String {
    docker(&["exec", container, "cat", path])
}

#[test]
fn host_options_reach_the_container() {
    let p = TestProject::new("hostopts").compose(&format!(
        "
        services:
          store:
            image: {BUSYBOX}
            command: [sh, -c, 'echo kept > /data/file; exec sleep 3600']
            init: true
            volumes: [/data]
          app:
            image: {BUSYBOX}
            command: [sleep, '3600']
            init: true
            cpus: 0.5
            cpu_shares: 512
            mem_reservation: 32m
            pids_limit: 64
            ulimits:
              nofile: {{soft: 1024, hard: 2048}}
              nproc: 512
            dns_search: [example.internal]
            dns_opt: [ndots:2]
            group_add: ['1234']
            logging:
              driver: json-file
              options: {{max-size: 1m}}
            volumes_from: ['store:ro']
            links: ['store:db']
        "
    ));
    let r = p.run(&["up", "-d"]);
    r.success();
    let app = format!("{}-app-1", p.name);
    let store = format!("{}-store-1", p.name);
    assert_eq!(inspect(&app, "{{.HostConfig.NanoCpus}}"), "500000000");
    assert_eq!(inspect(&app, "{{.HostConfig.CpuShares}}"), "512");
    assert_eq!(
        inspect(&app, "{{.HostConfig.MemoryReservation}}"),
        (32 * 1024 * 1024).to_string()
    );
    assert_eq!(inspect(&app, "{{.HostConfig.PidsLimit}}"), "64");
    // Docker names them `nofile`, Podman `RLIMIT_NOFILE`.
    assert_eq!(
        inspect(
            &app,
            "{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}} {{end}}"
        )
        .to_lowercase()
        .replace("rlimit_", ""),
        "nofile=1024:2048 nproc=512:512"
    );
    // PID 1 (the init) runs with the limits from the container's spec; an exec'd
    // process may inherit the runtime's own limits instead, so it is not asked.
    let limits = docker(&["exec", &app, "cat", "/proc/1/limits"]);
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .map(|l| {
            l.split_whitespace()
                .skip(3)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    assert_eq!(open_files, "1024 2048", "limits of PID 1:\n{limits}");
    assert_eq!(
        inspect(&app, "{{.HostConfig.DnsSearch}}"),
        "[example.internal]"
    );
    assert_eq!(inspect(&app, "{{.HostConfig.DnsOptions}}"), "[ndots:2]");
    assert_eq!(inspect(&app, "{{.HostConfig.GroupAdd}}"), "[1234]");
    // Podman takes the driver but does not report its options back.
    if !crate::harness::podman() {
        assert_eq!(
            inspect(
                &app,
                "{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config \"max-size\"}}"
            ),
            "json-file 1m"
        );
    } else {
        assert_eq!(inspect(&app, "{{.HostConfig.LogConfig.Type}}"), "json-file");
    }
    assert_eq!(
        inspect(&app, "{{.HostConfig.VolumesFrom}}"),
        format!("[{store}:ro]")
    );
    // The volume of `store` is visible, read-only, with its data.
    assert_eq!(cat(&app, "/data/file").trim(), "kept");
    assert!(
        !crate::harness::docker_ok(&["exec", &app, "touch", "/data/x"]),
        "volumes_from :ro mounts read-only"
    );
    // The link name resolves to the store container (Podman's API ignores links).
    if !crate::harness::podman() {
        assert!(
            crate::harness::docker_ok(&["exec", &app, "ping", "-c", "1", "-W", "2", "db"]),
            "link alias db resolves"
        );
    }
    // Recreating nothing: a second up keeps both containers.
    let before = inspect(&app, "{{.Id}}");
    p.run(&["up", "-d"]).success();
    assert_eq!(
        inspect(&app, "{{.Id}}"),
        before,
        "unchanged settings keep the container"
    );
}

#[test]
fn secrets_and_configs_are_files_in_the_container() {
    let p = TestProject::new("secrets")
        .compose(&format!(
            "
            services:
              app:
                image: {BUSYBOX}
                command: [sleep, '3600']
                init: true
                secrets:
                  - db_password
                  - source: api_token
                    target: token
                    mode: 0400
                configs:
                  - source: app_conf
                    target: /etc/app.conf
                  - motd
            secrets:
              db_password:
                file: ./secrets/db_password.txt
              api_token:
                environment: API_TOKEN
            configs:
              app_conf:
                content: |
                  listen=8080
                  name=${{COMPOSE_PROJECT_NAME:-unset}}
              motd:
                file: ./motd.txt
            "
        ))
        .env("API_TOKEN", "t0ken-value");
    p.write("secrets/db_password.txt", "s3cret\n");
    p.write("motd.txt", "hello\n");
    p.run(&["up", "-d"]).success();
    let app = format!("{}-app-1", p.name);
    assert_eq!(cat(&app, "/run/secrets/db_password"), "s3cret\n");
    assert_eq!(cat(&app, "/run/secrets/token"), "t0ken-value");
    assert_eq!(
        docker(&["exec", &app, "stat", "-c", "%a", "/run/secrets/token"]).trim(),
        "400"
    );
    assert!(cat(&app, "/etc/app.conf").starts_with("listen=8080\n"));
    assert_eq!(cat(&app, "/motd"), "hello\n");
    // A file secret is mounted read-only from the host file.
    assert!(!crate::harness::docker_ok(&[
        "exec",
        &app,
        "sh",
        "-c",
        "echo x > /run/secrets/db_password"
    ]));
    // A recreate (changed command) writes the content files again.
    p.write(
        "compose.yaml",
        &std::fs::read_to_string(p.dir.path().join("compose.yaml"))
            .unwrap()
            .replace("'3600'", "'3601'"),
    );
    p.run(&["up", "-d"]).success();
    assert_eq!(cat(&app, "/run/secrets/token"), "t0ken-value");
}

#[test]
fn an_undefined_secret_fails_before_the_engine_is_touched() {
    let p = TestProject::new("nosecret").compose(&format!(
        "
        services:
          app:
            image: {BUSYBOX}
            secrets: [missing]
        "
    ));
    let r = p.run(&["up", "-d"]);
    assert_eq!(r.code, 1, "{r:#?}");
    r.stderr_contains("refers to undefined secret missing");
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty());
}
