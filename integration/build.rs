//! Builds against the real engine's BuildKit: multi-stage targets with build args, ENV vs ARG
//! across stages, cache mounts that survive between builds, bind-mounted sources that change
//! live, `up` building only missing images, failing steps, the classic builder, and `pull`'s
//! decisions that need no registry.

use crate::harness::{ProjectImages, TestProject, docker, docker_ok, image_id};

const DOCKERFILE: &str = r#"
    ARG APP_VERSION=1.2.3
    FROM rcompose-test/busybox:latest AS base
    ENV SHARED=from-base
    ARG GREETING=unset
    RUN echo "base saw $GREETING" > /base-greeting

    FROM base AS dev
    ARG APP_VERSION
    ARG GREETING
    ARG BUST=1
    ENV STAGE=dev SEEN_VERSION=$APP_VERSION SEEN_GREETING=$GREETING
    RUN --mount=type=cache,target=/root/.cache,id=CACHE_ID \
        n=$(cat /root/.cache/count 2>/dev/null || echo 0); n=$((n+1)); \
        echo $n > /root/.cache/count; echo "bust $BUST run $n" > /build-count
    WORKDIR /app

    FROM base AS prod
    ARG GREETING
    ENV STAGE=prod SEEN_VERSION=${APP_VERSION:-undeclared} SEEN_GREETING=$GREETING
    COPY src/ /app/
    WORKDIR /app
"#;

fn dev_prod_project(test: &str) -> TestProject {
    let p = TestProject::new(test).compose(
        "
        services:
          app-dev:
            build:
              context: .
              target: dev
              args:
                GREETING: hello-dev
            command: [sleep, '3600']
            init: true
            volumes: ['./src:/app']
          app-prod:
            build:
              context: .
              target: prod
              args: [GREETING=hello-prod]
            command: [sleep, '3600']
            init: true
        ",
    );
    p.write("Dockerfile", &DOCKERFILE.replace("CACHE_ID", &p.name));
    p.write("src/hello.txt", "v1\n");
    p.write(".dockerignore", "*.secret\n");
    p.write("token.secret", "do not send\n");
    p
}

fn env(container: &str, var: &str) -> String {
    exec(container, &["sh", "-c", &format!("echo ${var}")])
}

fn exec(container: &str, cmd: &[&str]) -> String {
    let mut args = vec!["exec", container];
    args.extend_from_slice(cmd);
    docker(&args).trim().to_string()
}

#[test]
fn multi_stage_dev_prod_with_cache_mount_and_live_sources() {
    let p = dev_prod_project("build-devprod");
    let _images = ProjectImages(p.name.clone());
    let dev_image = format!("{}-app-dev", p.name);
    let prod_image = format!("{}-app-prod", p.name);
    let dev = format!("{}-app-dev-1", p.name);
    let prod = format!("{}-app-prod-1", p.name);

    // `up` on missing images builds them.
    let r = p.run(&["--progress", "plain", "up", "-d"]);
    r.success();
    r.stderr_contains(&format!("Image {dev_image} Building"));
    r.stderr_contains(&format!("Image {dev_image} Built"));
    r.stderr_contains(&format!("Image {prod_image} Built"));
    // buildx's step list: the ignore file's load first, the engine's steps numbered after it.
    r.stderr_contains("app-dev #1 [internal] load .dockerignore\n");
    r.stderr_contains("app-dev #1 DONE\n");
    r.stderr_contains("app-dev #2 [internal] load remote build context\n");

    // Each container has its stage's ENV; ENV from the base stage survives.
    assert_eq!(env(&dev, "STAGE"), "dev");
    assert_eq!(env(&prod, "STAGE"), "prod");
    assert_eq!(env(&dev, "SHARED"), "from-base");
    assert_eq!(env(&prod, "SHARED"), "from-base");
    // Build args per service; ARG before FROM only where re-declared.
    assert_eq!(env(&dev, "SEEN_GREETING"), "hello-dev");
    assert_eq!(env(&prod, "SEEN_GREETING"), "hello-prod");
    assert_eq!(env(&dev, "SEEN_VERSION"), "1.2.3");
    assert_eq!(env(&prod, "SEEN_VERSION"), "undeclared");
    // An ARG is not an ENV: the containers do not have it.
    assert_eq!(env(&dev, "GREETING"), "");
    assert_eq!(
        exec(&prod, &["cat", "/base-greeting"]),
        "base saw hello-prod"
    );

    // The image carries compose's labels; .dockerignore kept the secret out of the context.
    let labels = docker(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Labels}}",
        &prod_image,
    ]);
    assert!(
        labels.contains(&format!("\"com.docker.compose.project\":\"{}\"", p.name)),
        "{labels}"
    );
    assert!(labels.contains("\"com.docker.compose.service\":\"app-prod\""));
    assert!(labels.contains("com.docker.compose.version"));
    assert_eq!(exec(&prod, &["cat", "/app/hello.txt"]), "v1");
    assert!(!docker_ok(&[
        "exec",
        &prod,
        "test",
        "-e",
        "/app/token.secret"
    ]));

    // The bind-mounted source changes live, without a rebuild.
    assert_eq!(exec(&dev, &["cat", "/app/hello.txt"]), "v1");
    p.write("src/hello.txt", "v2\n");
    assert_eq!(exec(&dev, &["cat", "/app/hello.txt"]), "v2");

    // A second `up` does not rebuild: same image, same container.
    let before = image_id(&dev_image);
    let r = p.run(&["--progress", "plain", "up", "-d"]);
    r.success();
    assert!(!r.stderr.contains("Building"), "{}", r.stderr);
    assert_eq!(image_id(&dev_image), before);

    // The cache mount written by the first build is seen by the next one.
    let count = |img: &str| {
        docker(&["run", "--rm", img, "cat", "/build-count"])
            .trim()
            .to_string()
    };
    assert_eq!(count(&dev_image), "bust 1 run 1");
    let r = p.run(&[
        "--progress",
        "plain",
        "build",
        "--build-arg",
        "BUST=2",
        "app-dev",
    ]);
    r.success();
    // BuildKit step logs, prefixed by the service.
    assert!(r.stderr.contains("app-dev #"), "{}", r.stderr);
    assert_eq!(count(&dev_image), "bust 2 run 2");
    assert_ne!(image_id(&dev_image), before);

    // `up --build` rebuilds (cached: same image) and keeps the container; `-q` is silent.
    let r = p.run(&[
        "--progress",
        "plain",
        "build",
        "-q",
        "--build-arg",
        "BUST=2",
    ]);
    r.success();
    assert!(!r.stderr.contains("#"), "{}", r.stderr);
    // `up --build` rebuilds an existing image; `--no-build` never builds.
    let r = p.run(&["--progress", "plain", "up", "-d", "--build", "app-prod"]);
    r.success();
    r.stderr_contains(&format!("Image {prod_image} Built"));
    let r = p.run(&["--progress", "plain", "up", "-d", "--no-build"]);
    r.success();
    assert!(!r.stderr.contains("Building"), "{}", r.stderr);
}

#[test]
fn failing_step_names_the_service_and_exits_1() {
    let p = TestProject::new("build-fail").compose(
        "
        services:
          ok:
            image: rcompose-test/busybox:latest
            command: [sleep, '3600']
          broken:
            build:
              context: .
              dockerfile_inline: |
                FROM rcompose-test/busybox:latest
                RUN echo about-to-fail && exit 3
            command: [sleep, '3600']
        ",
    );
    let _images = ProjectImages(p.name.clone());
    let r = p.run(&["--progress", "plain", "build"]);
    r.failure();
    assert_eq!(r.code, 1);
    r.stderr_contains("failed to build service \"broken\"");
    r.stderr_contains("about-to-fail");
    r.stderr_contains("exit code: 3");
    // Without plain progress, the failing step's output is still shown.
    let r = p.run(&["--progress", "quiet", "build", "broken"]);
    assert_eq!(r.code, 1);
    r.stderr_contains("about-to-fail");
    // `up` fails the same way and creates no container.
    let r = p.run(&["up", "-d"]);
    assert_eq!(r.code, 1);
    r.stderr_contains("failed to build service \"broken\"");
    assert!(p.containers().is_empty());
    // --no-build on a missing image is an error, not a build.
    let r = p.run(&["up", "-d", "--no-build", "broken"]);
    r.failure();
    r.stderr_contains("--no-build");
}

#[test]
fn classic_builder_builds_and_rejects_run_mount() {
    let p = TestProject::new("build-classic")
        .compose(
            "
            services:
              plain:
                build: ./plain
                command: [sleep, '3600']
              mounts:
                build: ./mounts
                command: [sleep, '3600']
            ",
        )
        .env("DOCKER_BUILDKIT", "0");
    let _images = ProjectImages(p.name.clone());
    p.write(
        "plain/Dockerfile",
        "FROM rcompose-test/busybox:latest\nRUN echo classic > /made-by\n",
    );
    p.write(
        "mounts/Dockerfile",
        "FROM rcompose-test/busybox:latest\nRUN --mount=type=cache,target=/c true\n",
    );
    p.run(&["build", "plain"]).success();
    let img = format!("{}-plain", p.name);
    assert_eq!(
        docker(&["run", "--rm", &img, "cat", "/made-by"]).trim(),
        "classic"
    );
    let labels = docker(&["image", "inspect", "-f", "{{json .Config.Labels}}", &img]);
    assert!(labels.contains("\"com.docker.compose.image.builder\":\"classic\""));
    let r = p.run(&["build", "mounts"]);
    r.failure();
    r.stderr_contains("does not support `RUN --mount`");
    r.stderr_contains("mounts");
}

#[test]
fn pull_skips_build_only_services_and_reports_failures() {
    let p = TestProject::new("build-pull").compose(
        "
        services:
          built:
            build: .
          local:
            image: rcompose-test/busybox:latest
          bad:
            image: rcompose-test/Not_A_Valid_Reference
        ",
    );
    p.write("Dockerfile", "FROM rcompose-test/busybox:latest\n");
    // An invalid reference fails in the engine before any registry is contacted.
    let r = p.run(&["--progress", "plain", "pull", "built", "bad"]);
    r.failure();
    r.stderr_contains("Skipped No image to be pulled");
    p.run(&["pull", "--ignore-pull-failures", "built", "bad"])
        .success();
}

#[test]
fn down_rmi_local_removes_built_images_and_all_also_named_ones() {
    let p = TestProject::new("rmi");
    let _cleanup = ProjectImages(p.name.clone());
    // A second name for the test image that only this test uses, so `--rmi all` takes away
    // nothing another test needs (removing a reference to an image with other names only
    // untags it).
    let named = format!("{}-named:v1", p.name);
    let p = p.compose(&format!(
        "
        services:
          built:
            build: .
            command: [sleep, '3600']
            init: true
          named:
            image: {named}
            command: [sleep, '3600']
            init: true
        "
    ));
    p.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nRUN echo built > /built\n",
    );
    assert!(docker_ok(&["tag", "rcompose-test/busybox:latest", &named]));
    let built = format!("{}-built", p.name);
    let exists = |i: &str| docker_ok(&["image", "inspect", i]);

    p.run(&["up", "-d"]).success();
    assert!(exists(&built), "up built {built}");
    let r = p.run(&["down", "--rmi", "local"]);
    r.success();
    assert!(p.containers().is_empty(), "{r:#?}");
    assert!(
        !exists(&built),
        "--rmi local removes the built image: {r:#?}"
    );
    assert!(exists(&named), "--rmi local keeps images named in the file");

    // An image a container outside the project still uses stays, with a warning.
    p.run(&["up", "-d"]).success();
    let keeper = format!("{}-keeper", p.name);
    assert!(docker_ok(&["create", "--name", &keeper, &built, "true"]));
    let r = p.run(&["down", "--rmi", "local"]);
    docker_ok(&["rm", "-f", &keeper]);
    r.success();
    assert!(p.containers().is_empty(), "{r:#?}");
    assert!(exists(&built), "in use elsewhere, so kept: {r:#?}");
    r.stderr_contains("Resource is still in use");

    p.run(&["up", "-d"]).success();
    let r = p.run(&["down", "--rmi", "all"]);
    r.success();
    assert!(
        !exists(&named),
        "--rmi all removes images named in the file: {r:#?}"
    );
    assert!(!exists(&built), "{r:#?}");
    assert!(
        exists("rcompose-test/busybox:latest"),
        "the other name of the image survives"
    );

    let r = p.run(&["down", "--rmi", "some"]);
    assert_eq!(r.code, 1, "{r:#?}");
    r.stderr_contains("invalid value for --rmi: \"some\"");
}

#[test]
fn run_builds_a_missing_image_and_rebuilds_with_build() {
    let p = TestProject::new("runbuild").compose(
        "
        services:
          tool:
            build: .
            command: [cat, /made]
        ",
    );
    let _cleanup = ProjectImages(p.name.clone());
    p.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nARG V=one\nRUN echo $V > /made\n",
    );
    let image = format!("{}-tool", p.name);
    let r = p.run(&["run", "--rm", "tool"]);
    r.success();
    assert_eq!(r.stdout.trim(), "one", "{r:#?}");
    let first = image_id(&image);
    assert!(!first.is_empty(), "run built {image}");

    // Without --build the existing image is used as it is.
    p.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nARG V=two\nRUN echo $V > /made\n",
    );
    let r = p.run(&["run", "--rm", "tool"]);
    assert_eq!(r.stdout.trim(), "one", "{r:#?}");
    assert_eq!(image_id(&image), first);

    let r = p.run(&["run", "--rm", "--build", "tool"]);
    r.success();
    assert_eq!(r.stdout.trim(), "two", "--build rebuilds first: {r:#?}");
    assert_ne!(image_id(&image), first);
    assert!(
        p.containers().is_empty(),
        "--rm leaves no container: {:?}",
        p.containers()
    );
}

#[test]
fn bare_build_args_come_from_the_shell_over_dotenv() {
    let p = TestProject::new("dotenvarg").compose(
        "
        services:
          app:
            build:
              context: .
              args: [FROM_DOTENV, FROM_SHELL, UNSET_ARG]
        ",
    );
    let _cleanup = ProjectImages(p.name.clone());
    p.write(".env", "FROM_DOTENV=dotenv-value\nFROM_SHELL=loses\n");
    p.write(
        "Dockerfile",
        "FROM rcompose-test/busybox:latest\nARG FROM_DOTENV\nARG FROM_SHELL\nARG UNSET_ARG=default\nRUN echo \"$FROM_DOTENV $FROM_SHELL $UNSET_ARG\" > /args\n",
    );
    let p = p.env("FROM_SHELL", "shell-value");
    p.run(&["build"]).success();
    let image = format!("{}-app", p.name);
    assert_eq!(
        docker(&["run", "--rm", &image, "cat", "/args"]).trim(),
        "dotenv-value shell-value default"
    );
}
