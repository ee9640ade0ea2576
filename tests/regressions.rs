//! Divergences from docker compose found while writing tests/plan.rs and tests/cli.rs, each
//! fixed since: every test states compose's behaviour so the fix stays in place.

use rcompose::model::service::Condition;
use rcompose::plan::observed::ContainerState::{Exited, Running};
use rcompose::plan::{Action, UpOptions, plan_start};

use super::cli::{project_dir, run};
use super::plan::{
    add_resources, assert_after, container, empty_state, model_conditions, project, step, up,
    up_state,
};

/// compose numbers new replicas from the highest existing number + 1
/// (`convergence.go nextContainerNumber`, reference §2.1); rcompose fills the gap and creates
/// `p-web-1` here.
#[test]
fn up_scale_up_numbers_new_replicas_after_the_highest_existing() {
    let p = project("services:\n  web:\n    image: nginx\n    scale: 2\n");
    let mut o = empty_state(&p);
    add_resources(&p, &mut o);
    o.containers.push(container(&p, "web", 2, Running));
    let plan = up(&p, &o, &UpOptions::default()).plan;
    assert_eq!(
        plan.describe(),
        ["running p-web-2", "create p-web-3", "start p-web-3"]
    );
}

/// `depends_on: {db: {restart: true}}`: when `up` recreates db, compose stops the dependent's
/// containers before the recreate and starts them again afterwards (`reconcile.go
/// planStopDependents`, reference §2.2); rcompose leaves `p-app-1` running.
#[test]
fn up_recreating_a_dependency_restarts_restart_true_dependents() {
    let yaml = |a: &str| {
        format!(
            "services:\n  db:\n    image: postgres\n    environment: {{A: '{a}'}}\n  app:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_started\n        restart: true\n"
        )
    };
    let before = project(&yaml("1"));
    let after = project(&yaml("2"));
    let plan = up(&after, &up_state(&before, Running), &UpOptions::default()).plan;
    assert_after(
        &plan,
        "recreate p-db-1 (environment.A: \"1\" → \"2\")",
        "stop p-app-1",
    );
    assert_after(&plan, "start p-app-1", "start p-db-1");
    assert!(
        !plan.describe().contains(&"running p-app-1".to_string()),
        "{:#?}",
        plan.describe()
    );
}

/// `network_mode: service:db` adds an implicit `depends_on: db` (compose-go normalisation,
/// reference §1.5) and is resolved to the db container (`container:<id>`, reference §2.1); the
/// dependent can only be created once db's container exists. rcompose passes `service:db` to
/// the engine verbatim and creates app before db.
#[test]
fn network_mode_service_depends_on_and_joins_that_container() {
    let p = project(
        "services:\n  app:\n    image: nginx\n    network_mode: service:db\n  db:\n    image: postgres\n",
    );
    let dep = p.services["app"]
        .depends_on
        .get("db")
        .expect("implicit depends_on db");
    assert_eq!(dep.condition, Condition::ServiceStarted);
    assert!(dep.required && dep.restart);
    assert_eq!(p.graph.order(), ["db", "app"]);

    let plan = up(&p, &empty_state(&p), &UpOptions::default()).plan;
    assert_after(&plan, "create p-app-1", "create p-db-1");
    assert_after(&plan, "start p-app-1", "start p-db-1");
    match &plan.steps[step(&plan, "create p-app-1")].action {
        Action::CreateContainer { spec, .. } => assert!(
            spec.network_mode.starts_with("container:"),
            "network_mode {:?} must name the db container",
            spec.network_mode
        ),
        other => panic!("expected a create, got {other:?}"),
    }
}

/// compose's `start` skips services scaled to 0 (`start.go startService`: replicas 0 → nothing
/// to do; reference §2.5 "no container for a service with scale > 0"); rcompose fails with
/// `service "tools" has no container to start`.
#[test]
fn start_skips_services_scaled_to_zero() {
    let p = project(
        "services:\n  tools:\n    image: busybox\n    scale: 0\n  app:\n    image: nginx\n",
    );
    let mut o = empty_state(&p);
    o.containers.push(container(&p, "app", 1, Exited));
    let plan = plan_start(&p.graph, &o, &[], &model_conditions(&p))
        .unwrap_or_else(|e| panic!("start must skip the scaled-to-zero service: {e}"));
    assert_eq!(plan.describe(), ["start p-app-1"]);
}

/// compose prefixes schema errors with `validating <file>: ` (reference §4.5:
/// `validating /abs/compose.yaml: services.web additional properties 'foo' not allowed`);
/// rcompose prints the bare `services.web additional properties ...`.
#[test]
fn unknown_service_key_message_starts_with_validating_and_the_file() {
    let (_d, dir) = project_dir("services:\n  web:\n    imgae: nginx\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    let expected = format!(
        "validating {}: services.web additional properties 'imgae' not allowed",
        dir.join("compose.yaml").display()
    );
    assert!(
        r.first_err_line().starts_with(&expected),
        "expected {expected:?}, got {:?}",
        r.first_err_line()
    );
}

/// compose reports YAML syntax errors as `failed to parse <file>: yaml: line N: <reason>`
/// (reference §4.5); rcompose prints `failed to parse <file>: error: line 3 column 12: ...`.
#[test]
fn invalid_yaml_message_uses_compose_line_form() {
    let (_d, dir) = project_dir("services:\n  web:\n    image: [nginx\n");
    let r = run(&dir, &["config"]);
    r.assert_error();
    let expected = format!(
        "failed to parse {}: yaml: line ",
        dir.join("compose.yaml").display()
    );
    assert!(
        r.first_err_line().starts_with(&expected),
        "expected {expected:?}…, got {:?}",
        r.first_err_line()
    );
}
