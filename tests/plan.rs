//! Planner tables: `plan_up`, `plan_stop`, `plan_start` and `plan_down` driven through the public
//! API with a model loaded from YAML and engine state built by hand; no engine involved.

use std::collections::BTreeMap;

use rcompose::model::load::load_with_stdin;
use rcompose::model::service::Condition;
use rcompose::model::{LoadOptions, Project};
use rcompose::plan::observed::{
    ContainerState, ObservedContainer, ObservedNetwork, ObservedVolume, labels,
};
use rcompose::plan::spec::{container_spec, named_volumes, network_spec, volume_spec};
use rcompose::plan::up::UpPlan;
use rcompose::plan::{
    Action, DownOptions, ObservedState, Plan, PlanError, Recreate, RemoveImages, UpOptions,
    images_to_remove, plan_down, plan_start, plan_stop, plan_up,
};

use ContainerState::{Exited, Running};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Loads `yaml` as project `p` through `-f -`, from an empty temporary directory.
pub(crate) fn project(yaml: &str) -> Project {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = LoadOptions {
        files: vec!["-".into()],
        cwd: dir.path().to_path_buf(),
        project_name: Some("p".into()),
        os_env: Default::default(),
        ..Default::default()
    };
    load_with_stdin(&opts, &mut || Ok(yaml.to_string()))
        .unwrap_or_else(|e| panic!("test project does not load: {e}"))
}

/// The local image id the fixtures give every image.
pub(crate) fn image_id(image: &str) -> String {
    format!("sha256:{image}")
}

/// Nothing on the engine but the images of every service.
pub(crate) fn empty_state(p: &Project) -> ObservedState {
    ObservedState {
        project: p.name.clone(),
        images: p
            .services
            .values()
            .map(|s| {
                let i = s.image_name(p);
                (i.clone(), image_id(&i))
            })
            .collect(),
        ..Default::default()
    }
}

/// Replica `number` of `service`, labelled exactly as `up` would create it from `p` now.
pub(crate) fn container(
    p: &Project,
    service: &str,
    number: u32,
    state: ContainerState,
) -> ObservedContainer {
    let s = &p.services[service];
    let image = s.image_name(p);
    let spec = container_spec(p, s, number, Some(&image_id(&image)));
    ObservedContainer {
        id: format!("id-{}", spec.name),
        name: spec.name.clone(),
        service: service.to_string(),
        number: Some(number),
        oneoff: false,
        state,
        networks: spec.networks.iter().map(|e| e.network.clone()).collect(),
        volumes: named_volumes(p, s),
        labels: spec.labels,
        image,
    }
}

/// A container of project `p` for a service the model does not have.
pub(crate) fn foreign_container(
    service: &str,
    number: u32,
    oneoff: bool,
    state: ContainerState,
) -> ObservedContainer {
    let name = if oneoff {
        format!("p-{service}-run-{number:012}")
    } else {
        format!("p-{service}-{number}")
    };
    let mut l = BTreeMap::new();
    l.insert(labels::PROJECT.to_string(), "p".to_string());
    l.insert(labels::SERVICE.to_string(), service.to_string());
    l.insert(labels::CONFIG_HASH.to_string(), "whatever".to_string());
    l.insert(
        labels::ONEOFF.to_string(),
        if oneoff { "True" } else { "False" }.to_string(),
    );
    if !oneoff {
        l.insert(labels::NUMBER.to_string(), number.to_string());
    }
    ObservedContainer {
        id: format!("id-{name}"),
        name,
        service: service.to_string(),
        number: (!oneoff).then_some(number),
        oneoff,
        state,
        labels: l,
        networks: vec![],
        volumes: vec![],
        image: "busybox".into(),
    }
}

/// The project's non-external networks and volumes, labelled as `up` creates them.
pub(crate) fn add_resources(p: &Project, o: &mut ObservedState) {
    for (key, n) in p.networks.iter().filter(|(_, n)| !n.external) {
        o.networks.push(ObservedNetwork {
            id: format!("net-{}", n.name),
            name: n.name.clone(),
            labels: network_spec(&p.name, key, n).labels,
        });
    }
    for (key, v) in p.volumes.iter().filter(|(_, v)| !v.external) {
        o.volumes.push(ObservedVolume {
            name: v.name.clone(),
            labels: volume_spec(&p.name, key, v).labels,
        });
    }
}

/// The state right after a successful `up` of `p`, every container in `state`.
pub(crate) fn up_state(p: &Project, state: ContainerState) -> ObservedState {
    let mut o = empty_state(p);
    add_resources(p, &mut o);
    for (name, s) in &p.services {
        for n in 1..=s.replicas() {
            o.containers.push(container(p, name, n, state));
        }
    }
    o
}

fn labelled(project: Option<&str>, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut l: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(p) = project {
        l.insert(labels::PROJECT.to_string(), p.to_string());
    }
    l
}

// ---------------------------------------------------------------------------------------------
// Plan inspection
// ---------------------------------------------------------------------------------------------

/// Plans `up` and checks the DAG invariant (edges only point backwards).
pub(crate) fn up(p: &Project, o: &ObservedState, opts: &UpOptions) -> UpPlan {
    let planned = plan_up(p, o, opts).unwrap_or_else(|e| panic!("plan_up failed: {e}"));
    check_dag(&planned.plan);
    planned
}

pub(crate) fn check_dag(plan: &Plan) {
    for (i, s) in plan.steps.iter().enumerate() {
        for a in &s.after {
            assert!(
                *a < i,
                "step {i} ({}) waits for later step {a}",
                s.action.describe()
            );
        }
    }
}

/// Index of the step described by `line`; fails listing the plan when absent.
pub(crate) fn step(plan: &Plan, line: &str) -> usize {
    plan.describe()
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("no step {line:?} in plan {:#?}", plan.describe()))
}

/// True when step `later` waits, directly or transitively, for step `earlier`.
pub(crate) fn waits_for(plan: &Plan, later: usize, earlier: usize) -> bool {
    let mut stack = vec![later];
    let mut seen = vec![false; plan.steps.len()];
    while let Some(i) = stack.pop() {
        for &a in &plan.steps[i].after {
            if a == earlier {
                return true;
            }
            if !seen[a] {
                seen[a] = true;
                stack.push(a);
            }
        }
    }
    false
}

/// Asserts that the step `later` runs after the step `earlier` (by description).
pub(crate) fn assert_after(plan: &Plan, later: &str, earlier: &str) {
    let (l, e) = (step(plan, later), step(plan, earlier));
    assert!(
        waits_for(plan, l, e),
        "{later:?} does not wait for {earlier:?} in {:#?}",
        plan.steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{i}: {} after {:?}", s.action.describe(), s.after))
            .collect::<Vec<_>>()
    );
}

pub(crate) fn assert_no_line_starting(plan: &Plan, prefixes: &[&str]) {
    for l in plan.describe() {
        assert!(
            !prefixes.iter().any(|p| l.starts_with(p)),
            "unexpected step {l:?} in {:#?}",
            plan.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// up
// ---------------------------------------------------------------------------------------------

const DB_APP: &str = r#"
services:
  db:
    image: postgres:16
    volumes:
      - data:/var/lib/postgresql/data
  app:
    image: nginx
    depends_on: [db]
volumes:
  data: {}
"#;

#[test]
fn up_fresh_project_creates_network_volume_and_containers_db_first() {
    let p = project(DB_APP);
    let planned = up(&p, &empty_state(&p), &UpOptions::default());
    let plan = &planned.plan;
    assert_eq!(
        plan.describe(),
        [
            "create network p_default",
            "create volume p_data",
            "create p-db-1",
            "start p-db-1",
            "create p-app-1",
            "start p-app-1",
        ]
    );
    assert_after(plan, "create p-db-1", "create network p_default");
    assert_after(plan, "create p-db-1", "create volume p_data");
    assert_after(plan, "create p-app-1", "create network p_default");
    assert_after(plan, "start p-db-1", "create p-db-1");
    assert_after(plan, "start p-app-1", "create p-app-1");
    assert_after(plan, "start p-app-1", "start p-db-1");
    assert!(
        !waits_for(
            plan,
            step(plan, "start p-db-1"),
            step(plan, "start p-app-1")
        ),
        "db must not wait for its dependent"
    );
    assert!(planned.orphans.is_empty());
    assert!(planned.warnings.is_empty(), "{:?}", planned.warnings);
}

#[test]
fn up_fresh_container_spec_carries_compose_labels() {
    let p = project(DB_APP);
    let planned = up(&p, &empty_state(&p), &UpOptions::default());
    let spec = planned
        .plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Action::CreateContainer { service, spec } if service == "app" => Some(spec.clone()),
            _ => None,
        })
        .expect("app is created");
    let l = &spec.labels;
    assert_eq!(l[labels::PROJECT], "p");
    assert_eq!(l[labels::SERVICE], "app");
    assert_eq!(l[labels::NUMBER], "1");
    assert_eq!(l[labels::ONEOFF], "False");
    assert_eq!(l[labels::DEPENDS_ON], "db:service_started:false");
    assert_eq!(
        l[labels::CONFIG_HASH],
        rcompose::model::hash::service_hash(&p.services["app"])
    );
    assert_eq!(spec.network_mode, "p_default");
    assert_eq!(spec.networks[0].aliases, ["p-app-1", "app"]);
}

#[test]
fn up_waits_for_healthy_dependency_between_starts() {
    let p = project(
        r#"
services:
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready"]
  app:
    image: nginx
    depends_on:
      db:
        condition: service_healthy
"#,
    );
    let planned = up(&p, &empty_state(&p), &UpOptions::default());
    let plan = &planned.plan;
    let wait = "await db service_healthy for app";
    assert_after(plan, wait, "start p-db-1");
    assert_after(plan, "start p-app-1", wait);
    let w = step(plan, wait);
    assert!(
        plan.steps[step(plan, "start p-app-1")].after.contains(&w),
        "app's start waits directly for the healthy check"
    );
    match &plan.steps[w].action {
        Action::AwaitDependency {
            containers,
            required,
            condition,
            ..
        } => {
            assert_eq!(containers, &["p-db-1"]);
            assert!(*required);
            assert_eq!(*condition, Condition::ServiceHealthy);
        }
        other => panic!("expected an await step, got {other:?}"),
    }
}

#[test]
fn up_completed_successfully_dependency_is_awaited() {
    let p = project(
        r#"
services:
  migrate:
    image: busybox
  app:
    image: nginx
    depends_on:
      migrate:
        condition: service_completed_successfully
        required: false
"#,
    );
    let planned = up(&p, &empty_state(&p), &UpOptions::default());
    let plan = &planned.plan;
    let wait = "await migrate service_completed_successfully for app";
    assert_after(plan, wait, "start p-migrate-1");
    assert_after(plan, "start p-app-1", wait);
    assert!(matches!(
        plan.steps[step(plan, wait)].action,
        Action::AwaitDependency {
            required: false,
            ..
        }
    ));
}

#[test]
fn up_pulls_each_missing_image_once_before_creating() {
    let p = project(
        r#"
services:
  a:
    image: busybox
  b:
    image: busybox
  c:
    image: alpine
"#,
    );
    let mut o = empty_state(&p);
    o.images.remove("busybox");
    o.images.remove("alpine");
    o.images.insert("alpine".into(), image_id("alpine"));
    let plan = up(&p, &o, &UpOptions::default()).plan;
    let pulls: Vec<String> = plan
        .describe()
        .into_iter()
        .filter(|l| l.starts_with("pull "))
        .collect();
    assert_eq!(pulls, ["pull busybox"]);
    assert_after(&plan, "create p-a-1", "pull busybox");
    assert_after(&plan, "create p-b-1", "pull busybox");
    assert!(!waits_for(
        &plan,
        step(&plan, "create p-c-1"),
        step(&plan, "pull busybox")
    ));
}

#[test]
fn up_again_on_running_up_to_date_project_only_reports_running() {
    let p = project(DB_APP);
    let planned = up(&p, &up_state(&p, Running), &UpOptions::default());
    assert_eq!(
        planned.plan.describe(),
        ["running p-db-1", "running p-app-1"]
    );
    assert!(planned.orphans.is_empty());
    assert!(planned.warnings.is_empty(), "{:?}", planned.warnings);
}

#[test]
fn up_again_with_healthy_dependency_only_rechecks_the_condition() {
    // compose waits for dependency conditions on every `up`, even when nothing starts
    let p = project(
        "services:\n  db:\n    image: postgres\n  app:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let plan = up(&p, &up_state(&p, Running), &UpOptions::default()).plan;
    assert_eq!(
        plan.describe(),
        [
            "running p-db-1",
            "running p-app-1",
            "await db service_healthy for app"
        ]
    );
}

#[test]
fn up_recreating_a_dependency_leaves_plain_dependents_running() {
    let before = project(
        "services:\n  db:\n    image: postgres\n    environment: {A: '1'}\n  app:\n    image: nginx\n    depends_on: [db]\n",
    );
    let after = project(
        "services:\n  db:\n    image: postgres\n    environment: {A: '2'}\n  app:\n    image: nginx\n    depends_on: [db]\n",
    );
    let plan = up(&after, &up_state(&before, Running), &UpOptions::default()).plan;
    assert_eq!(
        plan.describe(),
        [
            "recreate p-db-1 (environment.A: \"1\" → \"2\")",
            "start p-db-1",
            "running p-app-1"
        ]
    );
}

#[test]
fn up_changed_environment_recreates_with_reason() {
    let before = project("services:\n  web:\n    image: nginx\n    environment:\n      A: '1'\n");
    let after = project("services:\n  web:\n    image: nginx\n    environment:\n      A: '2'\n");
    let mut o = up_state(&before, Running);
    // the network is the same in both versions
    o.networks.clear();
    add_resources(&after, &mut o);
    let plan = up(&after, &o, &UpOptions::default()).plan;
    assert_eq!(
        plan.describe(),
        [
            "recreate p-web-1 (environment.A: \"1\" → \"2\")",
            "start p-web-1"
        ]
    );
    assert_after(
        &plan,
        "start p-web-1",
        "recreate p-web-1 (environment.A: \"1\" → \"2\")",
    );
    match &plan.steps[0].action {
        Action::RecreateContainer {
            old_id,
            old_name,
            spec,
            ..
        } => {
            assert_eq!(old_id, "id-p-web-1");
            assert_eq!(old_name, "p-web-1");
            assert!(spec.env.contains(&"A=2".to_string()), "{:?}", spec.env);
            assert_eq!(spec.labels[labels::NUMBER], "1");
        }
        other => panic!("expected a recreate, got {other:?}"),
    }
}

#[test]
fn up_without_the_config_label_gives_the_coarse_reason() {
    let before = project("services:\n  web:\n    image: nginx\n    environment:\n      A: '1'\n");
    let after = project("services:\n  web:\n    image: nginx\n    environment:\n      A: '2'\n");
    let mut o = up_state(&before, Running);
    for c in &mut o.containers {
        c.labels.remove(labels::CONFIG);
    }
    let plan = up(&after, &o, &UpOptions::default()).plan;
    assert_eq!(
        plan.describe()[0],
        "recreate p-web-1 (configuration changed)"
    );
}

#[test]
fn explained_plan_names_reasons_for_recreate_scale_and_orphans() {
    let before = project(
        "services:\n  web:\n    image: nginx\n    scale: 3\n    environment: {COLOR: blue}\n  old:\n    image: nginx\n",
    );
    let after = project("services:\n  web:\n    image: nginx\n    environment: {COLOR: red}\n");
    let mut o = up_state(&before, Running);
    o.images.insert("nginx".into(), "sha256:newer".into());
    let opts = UpOptions {
        remove_orphans: true,
        ..Default::default()
    };
    let plan = up(&after, &o, &opts).plan;
    let lines: Vec<String> = rcompose::plan::explain::explain(&plan, &after, &o)
        .iter()
        .map(|e| e.line())
        .collect();
    assert!(
        lines.contains(&"old-1: stop (orphan)".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"old-1: remove (orphan)".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"web-3: remove (scale 3 → 1)".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(
            &r#"web-1: recreate (environment.COLOR: "blue" → "red"; image digest changed)"#
                .to_string()
        ),
        "{lines:?}"
    );
    assert!(lines.contains(&"web-1: start".to_string()), "{lines:?}");
}

#[test]
fn up_changed_image_id_recreates() {
    let p = project("services:\n  web:\n    image: nginx\n");
    let mut o = up_state(&p, Running);
    o.images.insert("nginx".into(), "sha256:newer".into());
    let plan = up(&p, &o, &UpOptions::default()).plan;
    assert_eq!(
        plan.describe(),
        ["recreate p-web-1 (image digest changed)", "start p-web-1"]
    );
}

#[test]
fn up_changed_scale_or_dependencies_does_not_recreate() {
    let before = project("services:\n  db:\n    image: postgres\n  web:\n    image: nginx\n");
    let after = project(
        "services:\n  db:\n    image: postgres\n  web:\n    image: nginx\n    depends_on: [db]\n    profiles: []\n",
    );
    let plan = up(&after, &up_state(&before, Running), &UpOptions::default()).plan;
    assert_eq!(plan.describe(), ["running p-db-1", "running p-web-1"]);
}

#[test]
fn up_exited_up_to_date_container_is_started_not_recreated() {
    let p = project(DB_APP);
    let plan = up(&p, &up_state(&p, Exited), &UpOptions::default()).plan;
    assert_eq!(plan.describe(), ["start p-db-1", "start p-app-1"]);
    assert_after(&plan, "start p-app-1", "start p-db-1");
}

#[test]
fn up_created_but_never_started_container_is_started() {
    let p = project("services:\n  web:\n    image: nginx\n");
    let plan = up(
        &p,
        &up_state(&p, ContainerState::Created),
        &UpOptions::default(),
    )
    .plan;
    assert_eq!(plan.describe(), ["start p-web-1"]);
}

#[test]
fn up_force_recreate_recreates_up_to_date_containers() {
    let p = project(DB_APP);
    let opts = UpOptions {
        recreate: Recreate::Force,
        recreate_dependencies: Recreate::Force,
        ..Default::default()
    };
    let plan = up(&p, &up_state(&p, Running), &opts).plan;
    assert_eq!(
        plan.describe(),
        [
            "recreate p-db-1 (forced)",
            "start p-db-1",
            "recreate p-app-1 (forced)",
            "start p-app-1",
        ]
    );
    assert_after(&plan, "start p-app-1", "start p-db-1");
}

#[test]
fn up_force_recreate_of_a_target_leaves_its_dependencies_alone() {
    let p = project(DB_APP);
    let opts = UpOptions {
        recreate: Recreate::Force,
        recreate_dependencies: Recreate::Diverged,
        targets: vec!["app".into()],
        ..Default::default()
    };
    let plan = up(&p, &up_state(&p, Running), &opts).plan;
    assert_eq!(
        plan.describe(),
        [
            "running p-db-1",
            "recreate p-app-1 (forced)",
            "start p-app-1"
        ]
    );
}

#[test]
fn up_no_recreate_keeps_diverged_containers() {
    let before = project("services:\n  web:\n    image: nginx\n    command: ['a']\n");
    let after = project("services:\n  web:\n    image: nginx\n    command: ['b']\n");
    let opts = UpOptions {
        recreate: Recreate::Never,
        recreate_dependencies: Recreate::Never,
        ..Default::default()
    };
    // Diverged by default: recreated.
    let plan = up(&after, &up_state(&before, Running), &UpOptions::default()).plan;
    assert_eq!(
        plan.describe()[0],
        r#"recreate p-web-1 (command: ["a"] → ["b"])"#
    );
    // Never: kept as it is, still started when stopped.
    let plan = up(&after, &up_state(&before, Running), &opts).plan;
    assert_eq!(plan.describe(), ["running p-web-1"]);
    let plan = up(&after, &up_state(&before, Exited), &opts).plan;
    assert_eq!(plan.describe(), ["start p-web-1"]);
}

#[test]
fn up_scale_down_removes_the_highest_numbers() {
    let three = project("services:\n  web:\n    image: nginx\n    scale: 3\n");
    let one = project("services:\n  web:\n    image: nginx\n");
    let plan = up(&one, &up_state(&three, Running), &UpOptions::default()).plan;
    let mut removed: Vec<String> = plan
        .describe()
        .into_iter()
        .filter(|l| l.starts_with("remove "))
        .collect();
    removed.sort();
    assert_eq!(removed, ["remove p-web-2", "remove p-web-3"]);
    assert_after(&plan, "remove p-web-2", "stop p-web-2");
    assert_after(&plan, "remove p-web-3", "stop p-web-3");
    assert!(plan.describe().contains(&"running p-web-1".to_string()));
    assert_no_line_starting(
        &plan,
        &["stop p-web-1", "remove p-web-1", "create", "recreate"],
    );
    assert_eq!(plan.steps.len(), 5, "{:#?}", plan.describe());
}

#[test]
fn up_scale_down_removes_obsolete_containers_first() {
    let before = project("services:\n  web:\n    image: nginx\n    command: ['old']\n");
    let after = project("services:\n  web:\n    image: nginx\n");
    let mut o = up_state(&after, Running);
    o.containers = vec![
        container(&before, "web", 1, Running),
        container(&after, "web", 2, Running),
    ];
    let plan = up(&after, &o, &UpOptions::default()).plan;
    let mut lines = plan.describe();
    lines.sort();
    assert_eq!(lines, ["remove p-web-1", "running p-web-2", "stop p-web-1"]);
}

#[test]
fn up_scale_up_creates_the_next_numbers() {
    let one = project("services:\n  web:\n    image: nginx\n");
    let three = project("services:\n  web:\n    image: nginx\n    scale: 3\n");
    let plan = up(&three, &up_state(&one, Running), &UpOptions::default()).plan;
    assert_eq!(
        plan.describe(),
        [
            "running p-web-1",
            "create p-web-2",
            "create p-web-3",
            "start p-web-2",
            "start p-web-3",
        ]
    );
    assert_after(&plan, "start p-web-2", "create p-web-2");
    assert_after(&plan, "start p-web-3", "create p-web-3");
}

#[test]
fn up_scale_zero_removes_every_replica_and_dependents_do_not_wait() {
    let before = project(
        "services:\n  db:\n    image: postgres\n  app:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let after = project(
        "services:\n  db:\n    image: postgres\n    scale: 0\n  app:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let plan = up(&after, &up_state(&before, Exited), &UpOptions::default()).plan;
    let lines = plan.describe();
    assert!(lines.contains(&"remove p-db-1".to_string()), "{lines:#?}");
    assert!(lines.contains(&"start p-app-1".to_string()), "{lines:#?}");
    assert_no_line_starting(&plan, &["await", "start p-db-1", "create"]);
}

#[test]
fn up_reports_orphans_without_removing_them() {
    let p = project("services:\n  web:\n    image: nginx\n");
    let mut o = up_state(&p, Running);
    o.containers
        .push(foreign_container("old", 1, false, Running));
    o.containers.push(foreign_container("web", 1, true, Exited));
    o.containers
        .push(foreign_container("web", 2, true, Running));
    let planned = up(&p, &o, &UpOptions::default());
    assert_eq!(
        planned.orphans,
        ["p-old-1", "p-web-run-000000000001"],
        "orphans: unknown services and exited one-offs, not running one-offs"
    );
    assert_eq!(planned.plan.describe(), ["running p-web-1"]);
}

#[test]
fn up_remove_orphans_stops_and_removes_them() {
    let p = project("services:\n  web:\n    image: nginx\n");
    let mut o = up_state(&p, Running);
    o.containers
        .push(foreign_container("old", 1, false, Running));
    let opts = UpOptions {
        remove_orphans: true,
        ..Default::default()
    };
    let planned = up(&p, &o, &opts);
    assert!(planned.orphans.is_empty());
    let plan = &planned.plan;
    assert_after(plan, "remove p-old-1", "stop p-old-1");
    assert!(plan.describe().contains(&"running p-web-1".to_string()));
}

#[test]
fn up_disabled_service_containers_are_not_orphans() {
    let p = project(
        "services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n    profiles: [debug]\n",
    );
    assert!(p.disabled_services.contains_key("debug"));
    let mut o = up_state(&p, Running);
    o.containers
        .push(foreign_container("debug", 1, false, Running));
    let planned = up(&p, &o, &UpOptions::default());
    assert!(planned.orphans.is_empty(), "{:?}", planned.orphans);
    assert_eq!(planned.plan.describe(), ["running p-web-1"]);
}

#[test]
fn up_missing_external_volume_fails_before_any_step() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    volumes: ['ext:/data']\nvolumes:\n  ext:\n    external: true\n",
    );
    let err = plan_up(&p, &empty_state(&p), &UpOptions::default()).unwrap_err();
    assert_eq!(err, PlanError("external volume \"ext\" not found".into()));
    assert_eq!(err.to_string(), "external volume \"ext\" not found");
}

#[test]
fn up_missing_external_network_fails_before_any_step() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    networks: [x]\nnetworks:\n  x:\n    external: true\n",
    );
    let err = plan_up(&p, &empty_state(&p), &UpOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "network x declared as external, but could not be found"
    );
}

#[test]
fn up_existing_external_resources_are_used_not_created() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    networks: [x]\n    volumes: ['vol:/data']\nnetworks:\n  x:\n    external: true\nvolumes:\n  vol:\n    external: true\n    name: shared-data\n",
    );
    let mut o = empty_state(&p);
    o.networks.push(ObservedNetwork {
        id: "n1".into(),
        name: "x".into(),
        labels: BTreeMap::new(),
    });
    o.volumes.push(ObservedVolume {
        name: "shared-data".into(),
        labels: BTreeMap::new(),
    });
    let planned = up(&p, &o, &UpOptions::default());
    assert_eq!(planned.plan.describe(), ["create p-web-1", "start p-web-1"]);
    assert!(planned.warnings.is_empty(), "{:?}", planned.warnings);
    let spec = match &planned.plan.steps[0].action {
        Action::CreateContainer { spec, .. } => spec,
        other => panic!("expected a create, got {other:?}"),
    };
    assert_eq!(spec.network_mode, "x");
    assert_eq!(spec.binds, ["shared-data:/data:rw"]);
}

#[test]
fn up_unlabelled_existing_volume_and_network_are_reused_with_warnings() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    volumes: ['data:/data']\nvolumes:\n  data: {}\n",
    );
    let mut o = empty_state(&p);
    o.networks.push(ObservedNetwork {
        id: "n1".into(),
        name: "p_default".into(),
        labels: BTreeMap::new(),
    });
    o.volumes.push(ObservedVolume {
        name: "p_data".into(),
        labels: BTreeMap::new(),
    });
    let planned = up(&p, &o, &UpOptions::default());
    assert_eq!(planned.plan.describe(), ["create p-web-1", "start p-web-1"]);
    assert_eq!(
        planned.warnings,
        [
            "a network with name p_default exists but was not created by compose.\nSet `external: true` to use an existing network",
            "volume \"p_data\" already exists but was not created by Docker Compose. Use `external: true` to use an existing volume",
        ]
    );
}

#[test]
fn up_no_start_creates_without_starting() {
    let p = project(DB_APP);
    let opts = UpOptions {
        no_start: true,
        ..Default::default()
    };
    let plan = up(&p, &empty_state(&p), &opts).plan;
    assert_eq!(
        plan.describe(),
        [
            "create network p_default",
            "create volume p_data",
            "create p-db-1",
            "create p-app-1",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// stop
// ---------------------------------------------------------------------------------------------

const CHAIN: &str = r#"
services:
  db:
    image: postgres
  api:
    image: nginx
    depends_on: [db]
  web:
    image: nginx
    depends_on: [api]
"#;

#[test]
fn stop_is_reverse_dependency_order() {
    let p = project(CHAIN);
    let o = up_state(&p, Running);
    let plan = plan_stop(&p.graph, &o, &[], Some(3));
    check_dag(&plan);
    assert_eq!(
        plan.describe(),
        ["stop p-web-1", "stop p-api-1", "stop p-db-1"]
    );
    assert_after(&plan, "stop p-api-1", "stop p-web-1");
    assert_after(&plan, "stop p-db-1", "stop p-api-1");
    assert_after(&plan, "stop p-db-1", "stop p-web-1");
    assert!(plan.steps.iter().all(|s| matches!(
        s.action,
        Action::StopContainer {
            timeout: Some(3),
            ..
        }
    )));
}

#[test]
fn stop_from_labels_alone_uses_the_recorded_dependencies() {
    let p = project(CHAIN);
    let mut o = up_state(&p, Running);
    // label mode: the engine lists containers in any order
    o.containers.reverse();
    let graph = o.label_graph();
    let plan = plan_stop(&graph, &o, &[], None);
    assert_eq!(
        plan.describe(),
        ["stop p-web-1", "stop p-api-1", "stop p-db-1"]
    );
    assert_after(&plan, "stop p-db-1", "stop p-web-1");
}

#[test]
fn stop_selected_service_stops_only_it_and_never_one_offs() {
    let p = project(CHAIN);
    let mut o = up_state(&p, Running);
    o.containers.push(foreign_container("db", 1, true, Running));
    let plan = plan_stop(&p.graph, &o, &["db".into()], None);
    assert_eq!(plan.describe(), ["stop p-db-1"]);
    let all = plan_stop(&p.graph, &o, &[], None);
    assert_eq!(all.steps.len(), 3, "{:#?}", all.describe());
}

#[test]
fn stop_includes_already_stopped_containers() {
    let p = project(CHAIN);
    let plan = plan_stop(&p.graph, &up_state(&p, Exited), &[], None);
    assert_eq!(
        plan.describe(),
        ["stop p-web-1", "stop p-api-1", "stop p-db-1"]
    );
}

// ---------------------------------------------------------------------------------------------
// start
// ---------------------------------------------------------------------------------------------

/// The `conditions` argument of `plan_start` for a loaded model.
pub(crate) fn model_conditions(
    p: &Project,
) -> impl Fn(&str) -> Vec<(String, Condition, bool)> + '_ {
    move |svc| {
        p.services
            .get(svc)
            .map(|s| {
                s.depends_on
                    .iter()
                    .map(|(d, dep)| (d.clone(), dep.condition, dep.required))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[test]
fn start_starts_stopped_containers_in_dependency_order() {
    let p = project(CHAIN);
    let plan = plan_start(&p.graph, &up_state(&p, Exited), &[], &model_conditions(&p)).unwrap();
    check_dag(&plan);
    assert_eq!(
        plan.describe(),
        ["start p-db-1", "start p-api-1", "start p-web-1"]
    );
    assert_after(&plan, "start p-api-1", "start p-db-1");
    assert_after(&plan, "start p-web-1", "start p-api-1");
}

#[test]
fn start_on_running_project_does_nothing() {
    let p = project(CHAIN);
    let plan = plan_start(&p.graph, &up_state(&p, Running), &[], &model_conditions(&p)).unwrap();
    assert!(plan.is_empty(), "{:#?}", plan.describe());
}

#[test]
fn start_service_includes_its_dependencies() {
    let p = project(CHAIN);
    let plan = plan_start(
        &p.graph,
        &up_state(&p, Exited),
        &["api".into()],
        &model_conditions(&p),
    )
    .unwrap();
    assert_eq!(plan.describe(), ["start p-db-1", "start p-api-1"]);
}

#[test]
fn start_waits_for_healthy_dependency() {
    let p = project(
        "services:\n  db:\n    image: postgres\n  app:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let plan = plan_start(&p.graph, &up_state(&p, Exited), &[], &model_conditions(&p)).unwrap();
    assert_eq!(
        plan.describe(),
        [
            "start p-db-1",
            "await db service_healthy for app",
            "start p-app-1"
        ]
    );
    assert_after(&plan, "await db service_healthy for app", "start p-db-1");
    assert_after(&plan, "start p-app-1", "await db service_healthy for app");
}

#[test]
fn start_without_containers_fails_with_compose_text() {
    let p = project(CHAIN);
    let mut o = empty_state(&p);
    o.containers.push(foreign_container("db", 1, true, Exited));
    let err = plan_start(&p.graph, &o, &[], &model_conditions(&p)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no container found for project \"p\": not found"
    );

    // A service named (as `start` names every enabled service with replicas) but never created.
    let mut o = up_state(&p, Exited);
    o.containers.retain(|c| c.service != "web");
    let all: Vec<String> = p.services.keys().cloned().collect();
    let err = plan_start(&p.graph, &o, &all, &model_conditions(&p)).unwrap_err();
    assert_eq!(err.to_string(), "service \"web\" has no container to start");
}

// ---------------------------------------------------------------------------------------------
// down
// ---------------------------------------------------------------------------------------------

/// `down` options as the command builds them from a loaded model.
fn model_down(p: &Project, volumes: bool, services: &[&str]) -> DownOptions {
    DownOptions {
        services: services.iter().map(|s| s.to_string()).collect(),
        volumes,
        remove_orphans: false,
        timeout: None,
        known_services: Some(p.all_service_names().map(str::to_string).collect()),
        networks: Some(
            p.networks
                .values()
                .filter(|n| !n.external)
                .map(|n| n.name.clone())
                .collect(),
        ),
        named_volumes: Some(
            p.volumes
                .values()
                .filter(|v| !v.external)
                .map(|v| v.name.clone())
                .collect(),
        ),
        images: Vec::new(),
    }
}

/// `down` options in label-only mode (`-p NAME` without a file).
fn label_down(volumes: bool) -> DownOptions {
    DownOptions {
        volumes,
        ..Default::default()
    }
}

#[test]
fn down_rmi_local_takes_built_and_labelled_images_only() {
    let services = vec![
        ("app".to_string(), None),
        ("db".to_string(), Some("postgres:15".to_string())),
    ];
    let labelled = vec![
        ("p-app:latest".to_string(), "app".to_string()),
        ("custom:dev".to_string(), "app".to_string()),
        ("other:1".to_string(), "gone".to_string()),
    ];
    assert_eq!(
        images_to_remove(RemoveImages::Local, "p", &services, &labelled, false),
        ["p-app:latest", "custom:dev"],
        "the default name `p-app` is the same image as `p-app:latest`"
    );
    assert_eq!(
        images_to_remove(RemoveImages::All, "p", &services, &labelled, false),
        ["p-app:latest", "custom:dev", "postgres:15"]
    );
    assert_eq!(
        images_to_remove(RemoveImages::Local, "p", &services, &labelled, true),
        ["p-app:latest", "custom:dev", "other:1"],
        "--remove-orphans adds images of services no longer in the file"
    );
}

#[test]
fn down_rmi_removes_images_after_every_container() {
    let p = project(DB_APP);
    let o = up_state(&p, Running);
    let mut opts = model_down(&p, false, &[]);
    opts.images = vec!["p-app".to_string()];
    let plan = plan_down(&p.graph, &o, &opts);
    check_dag(&plan);
    let d = plan.describe();
    let image = d
        .iter()
        .position(|s| s == "remove image p-app")
        .expect("image step");
    let removals: Vec<usize> = d
        .iter()
        .enumerate()
        .filter(|(_, s)| s.starts_with("remove p-"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(removals.len(), 2, "{d:?}");
    for r in removals {
        assert!(
            plan.steps[image].after.contains(&r),
            "the image goes after container step {r}: {d:?}"
        );
    }
}

#[test]
fn down_removes_containers_then_network_and_keeps_volumes() {
    let p = project(DB_APP);
    let o = up_state(&p, Running);
    let plan = plan_down(&p.graph, &o, &model_down(&p, false, &[]));
    check_dag(&plan);
    assert_eq!(
        plan.describe(),
        [
            "stop p-app-1",
            "stop p-db-1",
            "remove p-app-1",
            "remove p-db-1",
            "remove network p_default",
        ]
    );
    assert_after(&plan, "stop p-db-1", "stop p-app-1");
    assert_after(&plan, "remove p-app-1", "stop p-app-1");
    assert_after(&plan, "remove network p_default", "remove p-app-1");
    assert_after(&plan, "remove network p_default", "remove p-db-1");
    assert!(
        plan.steps
            .iter()
            .all(|s| !matches!(s.action, Action::RemoveContainer { volumes: true, .. }))
    );
}

#[test]
fn down_with_volumes_removes_named_and_anonymous_volumes() {
    let p = project(DB_APP);
    let o = up_state(&p, Running);
    let plan = plan_down(&p.graph, &o, &model_down(&p, true, &[]));
    check_dag(&plan);
    let lines = plan.describe();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("remove volume p_data")
    );
    assert_after(&plan, "remove volume p_data", "remove p-db-1");
    assert_after(&plan, "remove volume p_data", "remove p-app-1");
    assert!(lines.contains(&"remove network p_default".to_string()));
    for s in &plan.steps {
        if let Action::RemoveContainer { volumes, name, .. } = &s.action {
            assert!(volumes, "{name} must be removed with its anonymous volumes");
        }
    }
}

#[test]
fn down_never_removes_foreign_or_unlabelled_volumes_model_mode() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    volumes: ['mine:/a', 'theirs:/b', 'bare:/c']\nvolumes:\n  mine: {}\n  theirs:\n    name: shared\n  bare:\n    name: bare\n",
    );
    let mut o = up_state(&p, Running);
    o.volumes = vec![
        ObservedVolume {
            name: "p_mine".into(),
            labels: labelled(Some("p"), &[(labels::VOLUME, "mine")]),
        },
        ObservedVolume {
            name: "shared".into(),
            labels: labelled(Some("other"), &[(labels::VOLUME, "theirs")]),
        },
        ObservedVolume {
            name: "bare".into(),
            labels: BTreeMap::new(),
        },
    ];
    let plan = plan_down(&p.graph, &o, &model_down(&p, true, &[]));
    let volumes: Vec<String> = plan
        .describe()
        .into_iter()
        .filter(|l| l.starts_with("remove volume"))
        .collect();
    assert_eq!(volumes, ["remove volume p_mine"]);
}

#[test]
fn down_never_removes_foreign_or_unlabelled_volumes_label_mode() {
    let p = project(DB_APP);
    let mut o = up_state(&p, Running);
    o.volumes.push(ObservedVolume {
        name: "other_data".into(),
        labels: labelled(Some("other"), &[(labels::VOLUME, "data")]),
    });
    o.volumes.push(ObservedVolume {
        name: "unlabelled".into(),
        labels: BTreeMap::new(),
    });
    o.networks.push(ObservedNetwork {
        id: "n2".into(),
        name: "other_default".into(),
        labels: labelled(Some("other"), &[(labels::NETWORK, "default")]),
    });
    let graph = o.label_graph();
    let plan = plan_down(&graph, &o, &label_down(true));
    check_dag(&plan);
    let resources: Vec<String> = plan
        .describe()
        .into_iter()
        .filter(|l| l.starts_with("remove network") || l.starts_with("remove volume"))
        .collect();
    assert_eq!(
        resources,
        ["remove network p_default", "remove volume p_data"]
    );
    assert_after(&plan, "stop p-db-1", "stop p-app-1");
    // without -v no volume at all
    let plan = plan_down(&graph, &o, &label_down(false));
    assert_no_line_starting(&plan, &["remove volume"]);
}

#[test]
fn down_never_removes_external_or_unlabelled_networks() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    networks: [front, ext]\nnetworks:\n  front: {}\n  ext:\n    external: true\n",
    );
    let mut o = up_state(&p, Running);
    o.networks = vec![
        ObservedNetwork {
            id: "n1".into(),
            name: "p_front".into(),
            labels: BTreeMap::new(),
        },
        ObservedNetwork {
            id: "n2".into(),
            name: "ext".into(),
            labels: BTreeMap::new(),
        },
    ];
    let plan = plan_down(&p.graph, &o, &model_down(&p, true, &[]));
    assert_eq!(plan.describe(), ["stop p-web-1", "remove p-web-1"]);
}

#[test]
fn down_service_removes_it_and_its_dependents_and_keeps_resources_in_use() {
    let p = project(
        r#"
services:
  db:
    image: postgres
    volumes: ['data:/d']
  api:
    image: nginx
    depends_on: [db]
  cache:
    image: redis
volumes:
  data: {}
"#,
    );
    let o = up_state(&p, Running);
    let plan = plan_down(&p.graph, &o, &model_down(&p, true, &["db"]));
    check_dag(&plan);
    let mut lines = plan.describe();
    lines.sort();
    assert_eq!(
        lines,
        [
            "keep network p_default (in use)",
            "remove p-api-1",
            "remove p-db-1",
            "remove volume p_data",
            "stop p-api-1",
            "stop p-db-1"
        ]
    );
    assert_after(&plan, "stop p-db-1", "stop p-api-1");
    assert_after(&plan, "keep network p_default (in use)", "remove p-db-1");
    assert_after(&plan, "remove volume p_data", "remove p-db-1");

    // db stays and mounts data: with -v the volume is kept as in use, without it not touched
    let plan = plan_down(&p.graph, &o, &model_down(&p, true, &["api"]));
    assert_eq!(
        plan.describe(),
        [
            "stop p-api-1",
            "remove p-api-1",
            "keep network p_default (in use)",
            "keep volume p_data (in use)"
        ]
    );
    let plan = plan_down(&p.graph, &o, &model_down(&p, false, &["db"]));
    assert_no_line_starting(&plan, &["remove volume", "keep volume"]);
}

#[test]
fn down_service_removes_the_networks_no_remaining_container_uses() {
    let p = project(
        r#"
services:
  db:
    image: postgres
    networks: [back]
  web:
    image: nginx
    networks: [front, back]
networks:
  front: {}
  back: {}
"#,
    );
    let mut o = up_state(&p, Running);
    // down web: p_front has no container left, p_back still has db
    let plan = plan_down(&p.graph, &o, &model_down(&p, false, &["web"]));
    check_dag(&plan);
    let mut lines = plan.describe();
    lines.sort();
    assert_eq!(
        lines,
        [
            "keep network p_back (in use)",
            "remove network p_front",
            "remove p-web-1",
            "stop p-web-1"
        ]
    );
    assert_after(&plan, "remove network p_front", "remove p-web-1");
    // the last container already gone (e.g. `down db` after `down web`): both networks go,
    // with no container step at all
    o.containers.retain(|c| c.service == "db");
    let plan = plan_down(&p.graph, &o, &model_down(&p, false, &["db"]));
    let mut lines = plan.describe();
    lines.sort();
    assert_eq!(
        lines,
        [
            "remove network p_back",
            "remove network p_front",
            "remove p-db-1",
            "stop p-db-1"
        ]
    );
    o.containers.clear();
    let plan = plan_down(&p.graph, &o, &model_down(&p, false, &["db"]));
    assert_eq!(
        plan.describe(),
        ["remove network p_back", "remove network p_front"]
    );
    // a one-off `run` container keeps its network too
    let mut run = container(&p, "db", 1, Running);
    run.oneoff = true;
    run.name = "p-db-run-123".into();
    o.containers.push(run);
    let plan = plan_down(&p.graph, &o, &model_down(&p, false, &["db"]));
    assert_eq!(
        plan.describe(),
        ["keep network p_back (in use)", "remove network p_front"]
    );
}

#[test]
fn down_remove_orphans_takes_unknown_services_and_one_offs() {
    let p = project("services:\n  web:\n    image: nginx\n");
    let mut o = up_state(&p, Running);
    o.containers
        .push(foreign_container("old", 1, false, Exited));
    o.containers
        .push(foreign_container("web", 1, true, Running));
    let mut opts = model_down(&p, false, &[]);
    let plan = plan_down(&p.graph, &o, &opts);
    assert_no_line_starting(&plan, &["remove p-old-1", "remove p-web-run"]);

    opts.remove_orphans = true;
    let plan = plan_down(&p.graph, &o, &opts);
    check_dag(&plan);
    assert_after(&plan, "remove p-old-1", "stop p-old-1");
    assert_after(
        &plan,
        "remove p-web-run-000000000001",
        "stop p-web-run-000000000001",
    );
    assert_after(&plan, "remove network p_default", "remove p-old-1");
}

#[test]
fn down_on_nothing_plans_nothing() {
    let p = project(DB_APP);
    let plan = plan_down(&p.graph, &empty_state(&p), &model_down(&p, true, &[]));
    assert!(plan.is_empty(), "{:#?}", plan.describe());
}

// ---------------------------------------------------------------------------------------------
// Networks and volumes whose configuration changed
// ---------------------------------------------------------------------------------------------

#[test]
fn up_recreates_a_changed_network_and_keeps_its_containers() {
    let before = project(
        "services:\n  web: {image: busybox, networks: [front]}\nnetworks:\n  front: {labels: {v: '1'}}\n",
    );
    let after = project(
        "services:\n  web: {image: busybox, networks: [front]}\nnetworks:\n  front: {labels: {v: '2'}}\n",
    );
    let o = up_state(&before, Running);
    let planned = up(&after, &o, &UpOptions::default());
    let plan = &planned.plan;
    let stop = step(plan, "stop p-web-1");
    let recreate = step(plan, "recreate network p_front");
    let start = step(plan, "start p-web-1");
    assert!(waits_for(plan, recreate, stop), "{:#?}", plan.describe());
    assert!(waits_for(plan, start, recreate), "{:#?}", plan.describe());
    assert!(
        !plan
            .describe()
            .iter()
            .any(|l| l.starts_with("recreate p-web")),
        "the container is kept: {:#?}",
        plan.describe()
    );
    match &plan.steps[recreate].action {
        Action::RecreateNetwork { reconnect, .. } => {
            assert_eq!(reconnect.len(), 1);
            assert_eq!(reconnect[0].0, "p-web-1");
            assert!(reconnect[0].1.aliases.contains(&"web".to_string()));
        }
        other => panic!("unexpected {other:?}"),
    }
    // Unchanged: nothing happens to the network.
    let planned = up(&before, &o, &UpOptions::default());
    assert!(
        !planned
            .plan
            .describe()
            .iter()
            .any(|l| l.contains("network")),
        "{:#?}",
        planned.plan.describe()
    );
}

#[test]
fn up_keeps_a_changed_volume_unless_asked_and_then_recreates_it_with_its_users() {
    let before = project(
        "services:\n  db: {image: busybox, volumes: ['data:/d']}\n  other: {image: busybox}\nvolumes:\n  data: {labels: {v: '1'}}\n",
    );
    let after = project(
        "services:\n  db: {image: busybox, volumes: ['data:/d']}\n  other: {image: busybox}\nvolumes:\n  data: {labels: {v: '2'}}\n",
    );
    let o = up_state(&before, Running);
    let kept = up(&after, &o, &UpOptions::default());
    assert_eq!(kept.diverged_volumes, vec!["p_data".to_string()]);
    assert!(
        !kept.plan.describe().iter().any(|l| l.contains("volume")),
        "without -y the volume is not touched: {:#?}",
        kept.plan.describe()
    );
    let opts = UpOptions {
        recreate_diverged_volumes: true,
        ..Default::default()
    };
    let planned = up(&after, &o, &opts);
    let plan = &planned.plan;
    let remove_user = step(plan, "remove p-db-1");
    let remove = step(plan, "remove volume p_data");
    let create = step(plan, "create volume p_data");
    let recreate_user = step(plan, "create p-db-1");
    assert!(waits_for(plan, remove, remove_user));
    assert!(waits_for(plan, create, remove));
    assert!(waits_for(plan, recreate_user, create));
    assert!(
        !plan
            .describe()
            .iter()
            .any(|l| l.contains("p-other-1") && l != "running p-other-1"),
        "other services are untouched: {:#?}",
        plan.describe()
    );
}
