//! Unit tests of the stack plan: the mapping of compose keys to swarm specs, and deploy plans.

use super::*;
use crate::model::LoadOptions;
use crate::model::load::load_with_stdin;

fn project(yaml: &str) -> Project {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("page.txt"), "hello\n").expect("write");
    let opts = LoadOptions {
        files: vec!["-".into()],
        cwd: dir.path().to_path_buf(),
        project_name: Some("st".into()),
        os_env: [("TOK".to_string(), "t".to_string())].into_iter().collect(),
        ..Default::default()
    };
    load_with_stdin(&opts, &mut || Ok(yaml.to_string())).expect("loads")
}

fn contents(p: &Project) -> Contents {
    sources(p)
        .into_iter()
        .map(|(k, key, _)| ((k.to_string(), key), b"hello\n".to_vec()))
        .collect()
}

fn desired_of(yaml: &str) -> Desired {
    let p = project(yaml);
    desired(&p, &contents(&p)).expect("maps")
}

const FULL: &str = "
services:
  web:
    image: busybox:1
    command: [httpd, -f]
    entrypoint: [sh, -c]
    environment: {B: '2', A: '1'}
    labels: {team: x}
    ports: ['8080:80', {target: 81, published: 9000, mode: host}]
    volumes: [data:/data, /srv:/srv:ro, {type: tmpfs, target: /t, tmpfs: {size: 1024}}]
    stop_grace_period: 1s
    user: '1000'
    working_dir: /w
    hostname: h
    init: true
    read_only: true
    cap_add: [NET_ADMIN]
    extra_hosts: ['db:10.0.0.9']
    dns: [10.0.0.2]
    sysctls: {net.core.somaxconn: '1024'}
    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}
    healthcheck: {test: [CMD, 'true'], interval: 2s, retries: 3}
    logging: {driver: json-file, options: {max-size: 1m}}
    networks:
      back: {aliases: [www]}
    configs: [page]
    secrets: [{source: tok, target: token, mode: 0400, uid: '1'}]
    build: .
    container_name: fixed
    restart: always
    depends_on: [db]
    deploy:
      replicas: 3
      labels: {tier: front}
      endpoint_mode: dnsrr
      placement:
        constraints: [node.role == worker]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      resources:
        limits: {cpus: '0.5', memory: 50M, pids: 100}
        reservations: {memory: 10M}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 1m}
      update_config: {parallelism: 2, delay: 1s, failure_action: rollback, order: start-first, monitor: 10s, max_failure_ratio: 0.5}
      rollback_config: {parallelism: 1}
  db:
    image: busybox
    deploy: {mode: global}
networks:
  back: {}
volumes:
  data: {}
configs:
  page: {file: ./page.txt}
secrets:
  tok: {environment: TOK}
";

#[test]
fn names_and_labels_are_docker_stacks() {
    let d = desired_of(FULL);
    let web = d.services.iter().find(|s| s.key == "web").unwrap();
    assert_eq!(web.name, "st_web");
    let s = &web.spec;
    assert_eq!(s["Name"], "st_web");
    assert_eq!(s["Labels"][NAMESPACE], "st");
    assert_eq!(s["Labels"][IMAGE], "busybox:1");
    assert_eq!(s["Labels"]["tier"], "front");
    let c = &s["TaskTemplate"]["ContainerSpec"];
    assert_eq!(c["Labels"][NAMESPACE], "st");
    assert_eq!(c["Labels"]["team"], "x");
    assert!(
        c["Labels"].get("tier").is_none(),
        "deploy labels stay on the service"
    );
    let mut nets: Vec<&str> = d.networks.iter().map(|n| n.name.as_str()).collect();
    nets.sort();
    assert_eq!(nets, ["st_back", "st_default"]);
    assert!(
        d.networks
            .iter()
            .all(|n| n.spec["Driver"] == "overlay" && n.spec["Labels"][NAMESPACE] == "st")
    );
    assert_eq!(d.configs[0].name, "st_page");
    assert_eq!(d.secrets[0].name, "st_tok");
}

#[test]
fn service_keys_map_to_the_container_spec() {
    let d = desired_of(FULL);
    let s = &d.services.iter().find(|s| s.key == "web").unwrap().spec;
    let c = &s["TaskTemplate"]["ContainerSpec"];
    assert_eq!(c["Image"], "busybox:1");
    assert_eq!(c["Command"], json!(["sh", "-c"]));
    assert_eq!(c["Args"], json!(["httpd", "-f"]));
    assert_eq!(c["Env"], json!(["A=1", "B=2"]));
    assert_eq!(c["StopGracePeriod"], 1_000_000_000i64);
    assert_eq!(
        (
            c["User"].as_str(),
            c["Dir"].as_str(),
            c["Hostname"].as_str()
        ),
        (Some("1000"), Some("/w"), Some("h"))
    );
    assert_eq!(
        (c["Init"].clone(), c["ReadOnly"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(c["CapabilityAdd"], json!(["NET_ADMIN"]));
    assert_eq!(c["Hosts"], json!(["10.0.0.9 db"]));
    assert_eq!(c["DNSConfig"]["Nameservers"], json!(["10.0.0.2"]));
    assert_eq!(c["Sysctls"]["net.core.somaxconn"], "1024");
    assert_eq!(
        c["Ulimits"],
        json!([{"Name": "nofile", "Soft": 10, "Hard": 20}, {"Name": "nproc", "Soft": 5, "Hard": 5}])
    );
    assert_eq!(c["Healthcheck"]["Test"], json!(["CMD", "true"]));
    assert_eq!(c["Healthcheck"]["Interval"], 2_000_000_000i64);
    assert_eq!(c["Healthcheck"]["Retries"], 3);
    let m = c["Mounts"].as_array().unwrap();
    assert_eq!(m[0]["Type"], "volume");
    assert_eq!(
        m[0]["Source"], "st_data",
        "named volumes get the stack prefix"
    );
    assert_eq!(m[0]["VolumeOptions"]["Labels"][NAMESPACE], "st");
    assert_eq!(
        (m[1]["Type"].as_str(), m[1]["Source"].as_str()),
        (Some("bind"), Some("/srv"))
    );
    assert_eq!(m[1]["ReadOnly"], true);
    assert_eq!(m[2]["TmpfsOptions"]["SizeBytes"], 1024);
    assert_eq!(c["Configs"][0]["ConfigName"], "st_page");
    assert_eq!(c["Configs"][0]["File"]["Name"], "page");
    assert_eq!(c["Configs"][0]["File"]["Mode"], 0o444);
    assert_eq!(c["Secrets"][0]["SecretName"], "st_tok");
    assert_eq!(c["Secrets"][0]["File"]["Name"], "token");
    assert_eq!(c["Secrets"][0]["File"]["Mode"], 0o400);
    assert_eq!(c["Secrets"][0]["File"]["UID"], "1");
    let t = &s["TaskTemplate"];
    assert_eq!(t["LogDriver"]["Name"], "json-file");
    assert_eq!(
        t["Networks"],
        json!([{"Target": "st_back", "Aliases": ["web", "www"]}])
    );
}

#[test]
fn deploy_keys_map_to_the_service_spec() {
    let d = desired_of(FULL);
    let s = &d.services.iter().find(|s| s.key == "web").unwrap().spec;
    assert_eq!(s["Mode"], json!({"Replicated": {"Replicas": 3}}));
    let t = &s["TaskTemplate"];
    assert_eq!(
        t["Placement"]["Constraints"],
        json!(["node.role == worker"])
    );
    assert_eq!(
        t["Placement"]["Preferences"],
        json!([{"Spread": {"SpreadDescriptor": "node.labels.zone"}}])
    );
    assert_eq!(t["Placement"]["MaxReplicas"], 2);
    assert_eq!(t["Resources"]["Limits"]["NanoCPUs"], 500_000_000i64);
    assert_eq!(t["Resources"]["Limits"]["MemoryBytes"], 50 * 1024 * 1024);
    assert_eq!(t["Resources"]["Limits"]["Pids"], 100);
    assert_eq!(
        t["Resources"]["Reservations"]["MemoryBytes"],
        10 * 1024 * 1024
    );
    assert_eq!(t["RestartPolicy"]["Condition"], "on-failure");
    assert_eq!(t["RestartPolicy"]["Delay"], 5_000_000_000i64);
    assert_eq!(t["RestartPolicy"]["MaxAttempts"], 3);
    assert_eq!(t["RestartPolicy"]["Window"], 60_000_000_000i64);
    let u = &s["UpdateConfig"];
    assert_eq!(u["Parallelism"], 2);
    assert_eq!(u["FailureAction"], "rollback");
    assert_eq!(u["Order"], "start-first");
    assert_eq!(u["Monitor"], 10_000_000_000i64);
    assert_eq!(u["MaxFailureRatio"], 0.5);
    assert_eq!(s["RollbackConfig"]["Parallelism"], 1);
    assert_eq!(s["EndpointSpec"]["Mode"], "dnsrr");
    assert_eq!(
        s["EndpointSpec"]["Ports"],
        json!([
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress", "PublishedPort": 8080},
            {"Protocol": "tcp", "TargetPort": 81, "PublishMode": "host", "PublishedPort": 9000}
        ])
    );
    let db = &d.services.iter().find(|s| s.key == "db").unwrap().spec;
    assert_eq!(db["Mode"], json!({"Global": {}}));
    assert_eq!(db["TaskTemplate"]["Networks"][0]["Target"], "st_default");
}

#[test]
fn keys_swarm_cannot_honour_are_named_once() {
    let d = desired_of(FULL);
    assert_eq!(
        d.unsupported,
        ["build", "container_name", "depends_on", "restart"]
    );
    // `restart:` still gives the restart policy when deploy has none.
    let d = desired_of("services:\n  a:\n    image: x\n    restart: always\n");
    assert_eq!(
        d.services[0].spec["TaskTemplate"]["RestartPolicy"]["Condition"],
        "any"
    );
}

#[test]
fn jobs_and_bad_modes() {
    let d = desired_of(
        "services:\n  j:\n    image: x\n    deploy: {mode: replicated-job, replicas: 2}\n",
    );
    assert_eq!(
        d.services[0].spec["Mode"],
        json!({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 2}})
    );
}

fn observed_of(d: &Desired) -> ObservedStack {
    ObservedStack {
        services: d
            .services
            .iter()
            .map(|s| ObservedObject {
                id: format!("id-{}", s.key),
                name: s.name.clone(),
                labels: serde_json::from_value(s.spec["Labels"].clone()).unwrap(),
                data: None,
            })
            .collect(),
        networks: d
            .networks
            .iter()
            .map(|n| ObservedObject {
                name: n.name.clone(),
                ..Default::default()
            })
            .collect(),
        configs: d
            .configs
            .iter()
            .map(|c| ObservedObject {
                name: c.name.clone(),
                data: Some(c.data.clone()),
                ..Default::default()
            })
            .collect(),
        secrets: d
            .secrets
            .iter()
            .map(|c| ObservedObject {
                name: c.name.clone(),
                labels: [(DIGEST.to_string(), digest(&c.data))].into(),
                ..Default::default()
            })
            .collect(),
    }
}

#[test]
fn first_deploy_creates_everything_in_order() {
    let d = desired_of(FULL);
    let a = plan_deploy(&d, &ObservedStack::default(), DeployOptions::default()).unwrap();
    let lines: Vec<String> = a.iter().map(StackAction::describe).collect();
    assert_eq!(
        lines,
        [
            "create network st_back",
            "create network st_default",
            "create config st_page",
            "create secret st_tok",
            "create service st_db: not deployed",
            "create service st_web: not deployed",
        ]
    );
}

#[test]
fn a_redeploy_of_the_same_file_keeps_every_service() {
    let d = desired_of(FULL);
    let a = plan_deploy(&d, &observed_of(&d), DeployOptions { prune: true }).unwrap();
    assert!(
        a.iter()
            .all(|x| matches!(x, StackAction::KeepService { .. })),
        "{a:?}"
    );
}

#[test]
fn a_changed_service_updates_only_that_one() {
    let d = desired_of(FULL);
    let obs = observed_of(&d);
    let d2 = desired_of(&FULL.replace("replicas: 3", "replicas: 4"));
    let a = plan_deploy(&d2, &obs, DeployOptions::default()).unwrap();
    let lines: Vec<String> = a.iter().map(StackAction::describe).collect();
    assert_eq!(
        lines,
        [
            "keep service st_db: spec unchanged",
            "update service st_web: spec changed"
        ]
    );
}

#[test]
fn a_service_without_the_hash_is_updated_and_prune_removes_the_gone() {
    let d = desired_of(FULL);
    let mut obs = observed_of(&d);
    obs.services[1].labels.remove(SPEC_HASH);
    obs.services.push(ObservedObject {
        id: "old".into(),
        name: "st_old".into(),
        ..Default::default()
    });
    let a = plan_deploy(&d, &obs, DeployOptions::default()).unwrap();
    assert_eq!(
        a[1].describe(),
        "update service st_web: not deployed by rcompose"
    );
    assert_eq!(a.len(), 2, "no prune without --prune: {a:?}");
    let a = plan_deploy(&d, &obs, DeployOptions { prune: true }).unwrap();
    assert_eq!(
        a.last().unwrap(),
        &StackAction::RemoveService {
            name: "st_old".into(),
            id: "old".into()
        }
    );
}

#[test]
fn a_changed_config_gets_a_versioned_object_and_rolls_its_service() {
    let d = desired_of(FULL);
    let obs = observed_of(&d);
    let mut d2 = d.clone();
    d2.configs[0].data = b"bye\n".to_vec();
    let a = plan_deploy(&d2, &obs, DeployOptions::default()).unwrap();
    let versioned = format!("st_page_{}", &digest(b"bye\n")[..8]);
    assert_eq!(a[0].describe(), format!("create config {versioned}"));
    assert_eq!(a[1].describe(), "keep service st_db: spec unchanged");
    let StackAction::UpdateService { service, .. } = &a[2] else {
        panic!("{a:?}")
    };
    assert_eq!(
        service.spec["TaskTemplate"]["ContainerSpec"]["Configs"][0]["ConfigName"],
        versioned
    );
    // Deployed, the same file again is a no-op.
    let mut obs2 = obs.clone();
    obs2.configs.push(ObservedObject {
        name: versioned,
        data: Some(b"bye\n".to_vec()),
        ..Default::default()
    });
    obs2.services[1].labels = serde_json::from_value(service.spec["Labels"].clone()).unwrap();
    let a = plan_deploy(&d2, &obs2, DeployOptions::default()).unwrap();
    assert!(
        a.iter()
            .all(|x| matches!(x, StackAction::KeepService { .. })),
        "{a:?}"
    );
}

#[test]
fn external_objects_are_not_created() {
    let d = desired_of(
        "services:\n  a:\n    image: x\n    networks: [n]\n    secrets: [s]\nnetworks:\n  n: {external: true, name: shared}\nsecrets:\n  s: {external: true}\n",
    );
    let a = plan_deploy(&d, &ObservedStack::default(), DeployOptions::default()).unwrap();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        d.services[0].spec["TaskTemplate"]["Networks"][0]["Target"],
        "shared"
    );
}
