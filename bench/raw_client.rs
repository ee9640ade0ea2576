// bench/raw_client.rs — owns the "raw parallel engine client" of the benchmark (bench/run.sh): the lower bound rcompose is compared against.
//! A compose-free Docker Engine client: bollard + tokio, every request of a phase sent at once.
//!
//! Usage: `raw-client <up|noop|ps|stop|down> <project> [N]`
//!
//! - `up`: creates the network `<project>_default`, then N containers `<project>-svcNN-1`
//!   concurrently (busybox, `sleep 3600`, `init: true`, the compose labels), then starts them
//!   concurrently.
//! - `noop`: lists the project's containers by label and checks that N are running: what a
//!   minimal "is everything already up?" check costs.
//! - `ps`: lists the project's containers by label and prints their names.
//! - `stop`: stops the running containers concurrently.
//! - `down`: force-removes the containers (and their anonymous volumes) concurrently, then the
//!   network.
//!
//! It talks to the unix socket in `DOCKER_HOST` (default `/var/run/docker.sock`), connecting
//! exactly as rcompose does, with no version-negotiation round trip. The image is `RAW_IMAGE`
//! (default `rcompose-test/busybox:latest`).

use std::collections::HashMap;
use std::process::ExitCode;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, RemoveContainerOptions, StopContainerOptions,
};
use futures::future::join_all;

const PROJECT: &str = "com.docker.compose.project";
const SERVICE: &str = "com.docker.compose.service";
const NUMBER: &str = "com.docker.compose.container-number";
const ONEOFF: &str = "com.docker.compose.oneoff";
const CONFIG_HASH: &str = "com.docker.compose.config-hash";
const NETWORK: &str = "com.docker.compose.network";

type Result<T> = std::result::Result<T, String>;

fn connect() -> Result<Docker> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let path = if host.is_empty() {
        "/var/run/docker.sock"
    } else {
        host.strip_prefix("unix://")
            .ok_or_else(|| format!("raw-client only speaks to unix sockets, not {host:?}"))?
    };
    // The same call rcompose makes (src/engine/mod.rs), so both clients send identical requests.
    Docker::connect_with_unix(path, 120, bollard::API_DEFAULT_VERSION).map_err(|e| e.to_string())
}

fn label_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{PROJECT}={project}")])])
}

/// The project's containers: (name, state), sorted by name.
async fn list(d: &Docker, project: &str, all: bool) -> Result<Vec<(String, String)>> {
    let list = d
        .list_containers(Some(ListContainersOptions {
            all,
            filters: Some(label_filter(project)),
            ..Default::default()
        }))
        .await
        .map_err(|e| format!("list containers: {e}"))?;
    let mut out: Vec<(String, String)> = list
        .into_iter()
        .map(|c| {
            let name = c
                .names
                .unwrap_or_default()
                .into_iter()
                .next()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string();
            let state = c
                .state
                .map(|s| s.to_string())
                .unwrap_or_default()
                .to_lowercase();
            (name, state)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Fails with every error message if any result is an error.
fn all_ok<T>(
    what: &str,
    results: Vec<std::result::Result<T, bollard::errors::Error>>,
) -> Result<()> {
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what}: {} failed: {}",
            errors.len(),
            errors.join("; ")
        ))
    }
}

async fn up(d: &Docker, project: &str, n: usize) -> Result<()> {
    let image =
        std::env::var("RAW_IMAGE").unwrap_or_else(|_| "rcompose-test/busybox:latest".into());
    let network = format!("{project}_default");
    match d
        .create_network(NetworkCreateRequest {
            name: network.clone(),
            driver: Some("bridge".into()),
            labels: Some(HashMap::from([
                (PROJECT.to_string(), project.to_string()),
                (NETWORK.to_string(), "default".to_string()),
            ])),
            ..Default::default()
        })
        .await
    {
        Ok(_) => {}
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => {}
        Err(e) => return Err(format!("create network {network}: {e}")),
    }
    let services: Vec<String> = (1..=n).map(|i| format!("svc{i:02}")).collect();
    let names: Vec<String> = services
        .iter()
        .map(|s| format!("{project}-{s}-1"))
        .collect();
    let creates = services.iter().zip(&names).map(|(service, name)| {
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            cmd: Some(vec!["sleep".into(), "3600".into()]),
            labels: Some(HashMap::from([
                (PROJECT.to_string(), project.to_string()),
                (SERVICE.to_string(), service.clone()),
                (NUMBER.to_string(), "1".to_string()),
                (ONEOFF.to_string(), "False".to_string()),
                (CONFIG_HASH.to_string(), "raw-client".to_string()),
            ])),
            host_config: Some(HostConfig {
                init: Some(true),
                network_mode: Some(network.clone()),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network.clone(),
                    EndpointSettings {
                        aliases: Some(vec![service.clone()]),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        d.create_container(
            Some(CreateContainerOptions {
                name: Some(name.clone()),
                ..Default::default()
            }),
            body,
        )
    });
    all_ok("create containers", join_all(creates).await)?;
    let starts = names.iter().map(|name| d.start_container(name, None));
    all_ok("start containers", join_all(starts).await)
}

async fn noop(d: &Docker, project: &str, n: usize) -> Result<()> {
    let list = list(d, project, true).await?;
    let running = list.iter().filter(|(_, s)| s == "running").count();
    if running == n && list.len() == n {
        Ok(())
    } else {
        Err(format!(
            "{running}/{n} running ({} containers): not everything is up",
            list.len()
        ))
    }
}

async fn ps(d: &Docker, project: &str) -> Result<()> {
    for (name, state) in list(d, project, false).await? {
        println!("{name}\t{state}");
    }
    Ok(())
}

async fn stop(d: &Docker, project: &str) -> Result<()> {
    let list = list(d, project, false).await?;
    let stops = list
        .iter()
        .map(|(name, _)| d.stop_container(name, None::<StopContainerOptions>));
    all_ok("stop containers", join_all(stops).await)
}

async fn down(d: &Docker, project: &str) -> Result<()> {
    let list = list(d, project, true).await?;
    let removes = list.iter().map(|(name, _)| {
        d.remove_container(
            name,
            Some(RemoveContainerOptions {
                v: true,
                force: true,
                ..Default::default()
            }),
        )
    });
    all_ok("remove containers", join_all(removes).await)?;
    let network = format!("{project}_default");
    match d.remove_network(&network).await {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(format!("remove network {network}: {e}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: raw-client <up|noop|ps|stop|down> <project> [N]";
    let (Some(op), Some(project)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let n = || -> Result<usize> {
        args.get(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{op} needs N\n{usage}"))
    };
    let result = async {
        let d = connect()?;
        match op.as_str() {
            "up" => up(&d, project, n()?).await,
            "noop" => noop(&d, project, n()?).await,
            "ps" => ps(&d, project).await,
            "stop" => stop(&d, project).await,
            "down" => down(&d, project).await,
            _ => Err(usage.to_string()),
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("raw-client {op} {project}: {e}");
            ExitCode::FAILURE
        }
    }
}
