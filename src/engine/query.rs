//! Read-only listings for display commands (`ps`, `ls`, `port`) and the container lookups of
//! `exec`, `port` and `logs`: engine calls in, rows of plain data out.

use std::collections::{BTreeMap, HashMap};

use bollard::models::ContainerSummary;
use bollard::query_parameters::ListContainersOptions;
use futures::future::join_all;

use super::{Engine, EngineError};
use crate::output::table::{PortShown, PsRow, ports_display};
use crate::plan::observed::labels;

fn word<T: serde::Serialize>(v: Option<T>) -> String {
    v.and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The container's own name: the entry of `Names` with a single leading `/`.
fn canonical_name(c: &ContainerSummary) -> String {
    c.names
        .iter()
        .flatten()
        .map(|n| n.trim_start_matches('/'))
        .find(|n| !n.contains('/'))
        .unwrap_or_default()
        .to_string()
}

fn ports_of(c: &ContainerSummary) -> Vec<PortShown> {
    c.ports
        .iter()
        .flatten()
        .map(|p| PortShown {
            private: p.private_port,
            protocol: {
                let t = word(p.typ);
                if t.is_empty() { "tcp".into() } else { t }
            },
            ip: p.ip.clone().filter(|ip| !ip.is_empty()),
            public: p.public_port,
        })
        .collect()
}

async fn list(
    engine: &Engine,
    label: Vec<String>,
    all: bool,
) -> Result<Vec<ContainerSummary>, EngineError> {
    engine
        .list_containers(ListContainersOptions {
            all,
            filters: Some(HashMap::from([("label".to_string(), label)])),
            ..Default::default()
        })
        .await
        .map_err(|e| engine.error(e))
}

/// Containers of `project` as `ps` shows them; `all` includes stopped and one-off containers.
/// With `details`, each container is inspected for its health and exit code, as compose does
/// for JSON output; the table and `-q` need only the one list request.
pub async fn ps_rows(
    engine: &Engine,
    project: &str,
    all: bool,
    details: bool,
) -> Result<Vec<PsRow>, EngineError> {
    let mut label = vec![
        format!("{}={project}", labels::PROJECT),
        labels::CONFIG_HASH.to_string(),
    ];
    if !all {
        label.push(format!("{}=False", labels::ONEOFF));
    }
    let list = list(engine, label, all).await?;
    let inspected = join_all(list.iter().map(|c| async {
        if !details {
            return Ok(None);
        }
        let id = c.id.clone().unwrap_or_default();
        match engine.inspect(&id).await {
            Ok(i) => Ok(i.state),
            Err(e) => match engine.error(e) {
                // Removed between the list and the inspect.
                e if e.is_not_found() => Ok(None),
                e => Err(e),
            },
        }
    }))
    .await;
    let mut rows = Vec::new();
    for (c, state) in list.into_iter().zip(inspected) {
        let state = state?;
        let status_word = state.as_ref().map(|s| word(s.status)).unwrap_or_default();
        let (health, exit_code) = match status_word.as_str() {
            "running" => (
                state
                    .as_ref()
                    .and_then(|s| s.health.clone())
                    .map(|h| word(h.status))
                    .filter(|h| h != "none")
                    .unwrap_or_default(),
                0,
            ),
            "exited" | "dead" => (
                String::new(),
                state.as_ref().and_then(|s| s.exit_code).unwrap_or(0),
            ),
            _ => (String::new(), 0),
        };
        let ports = ports_of(&c);
        let mut mounts = Vec::new();
        let mut local_volumes = 0;
        for m in c.mounts.iter().flatten() {
            let name = m
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .or_else(|| m.source.clone())
                .unwrap_or_default();
            if m.driver.as_deref() == Some("local") {
                local_volumes += 1;
            }
            mounts.push(name);
        }
        let mut networks: Vec<String> = c
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default();
        networks.sort();
        let l: BTreeMap<String, String> =
            c.labels.clone().unwrap_or_default().into_iter().collect();
        rows.push(PsRow {
            id: c.id.clone().unwrap_or_default(),
            name: canonical_name(&c),
            names: c
                .names
                .iter()
                .flatten()
                .map(|n| n.trim_start_matches('/').to_string())
                .collect(),
            image: c.image.clone().unwrap_or_default(),
            command: c.command.clone().unwrap_or_default(),
            service: l.get(labels::SERVICE).cloned().unwrap_or_default(),
            project: l.get(labels::PROJECT).cloned().unwrap_or_default(),
            created: c.created.unwrap_or(0),
            state: word(c.state),
            status: c.status.clone().unwrap_or_default(),
            ports: ports_display(&ports),
            labels: l,
            mounts,
            local_volumes,
            networks,
            health,
            exit_code,
            publishers: ports,
        });
    }
    Ok(rows)
}

/// Every compose container on the engine (`all`: stopped ones too), as (project, state,
/// config files label) for `ls`.
pub async fn compose_containers(
    engine: &Engine,
    all: bool,
) -> Result<Vec<(String, String, String)>, EngineError> {
    let list = list(
        engine,
        vec![labels::PROJECT.to_string(), labels::CONFIG_HASH.to_string()],
        all,
    )
    .await?;
    Ok(list
        .into_iter()
        .map(|c| {
            let l = c.labels.clone().unwrap_or_default();
            (
                l.get(labels::PROJECT).cloned().unwrap_or_default(),
                word(c.state),
                l.get(labels::CONFIG_FILES).cloned().unwrap_or_default(),
            )
        })
        .collect())
}

/// A container found for `exec`, `port` or `logs --index`.
#[derive(Debug, Clone)]
pub struct FoundContainer {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: Option<u32>,
    pub oneoff: bool,
    /// Ports in the order the engine lists them.
    pub ports: Vec<PortShown>,
}

/// Containers of `project` (with a config hash), optionally of one `service` and one replica
/// `number`; `oneoff`: Some(false) excludes one-off containers, Some(true) keeps only them;
/// `all` includes stopped ones. Sorted by container number, one-off containers last, then name.
pub async fn find_containers(
    engine: &Engine,
    project: &str,
    service: Option<&str>,
    number: Option<u32>,
    oneoff: Option<bool>,
    all: bool,
) -> Result<Vec<FoundContainer>, EngineError> {
    let mut label = vec![
        format!("{}={project}", labels::PROJECT),
        labels::CONFIG_HASH.to_string(),
    ];
    if let Some(s) = service {
        label.push(format!("{}={s}", labels::SERVICE));
    }
    if let Some(n) = number {
        label.push(format!("{}={n}", labels::NUMBER));
    }
    match oneoff {
        Some(true) => label.push(format!("{}=True", labels::ONEOFF)),
        Some(false) => label.push(format!("{}=False", labels::ONEOFF)),
        None => {}
    }
    let mut found: Vec<FoundContainer> = list(engine, label, all)
        .await?
        .into_iter()
        .map(|c| {
            let l = c.labels.clone().unwrap_or_default();
            FoundContainer {
                id: c.id.clone().unwrap_or_default(),
                name: canonical_name(&c),
                service: l.get(labels::SERVICE).cloned().unwrap_or_default(),
                number: l.get(labels::NUMBER).and_then(|n| n.parse().ok()),
                oneoff: l.get(labels::ONEOFF).map(String::as_str) == Some("True"),
                ports: ports_of(&c),
            }
        })
        .collect();
    found.sort_by(|a, b| {
        (a.oneoff, a.number.unwrap_or(0), &a.name).cmp(&(b.oneoff, b.number.unwrap_or(0), &b.name))
    });
    Ok(found)
}

/// The container `exec` and `port` act on: the running container of `service` with number
/// `index` (when not 0), else the lowest-numbered one, one-off containers last; compose's
/// errors when there is none.
pub async fn service_container(
    engine: &Engine,
    project: &str,
    service: &str,
    index: u32,
) -> anyhow::Result<FoundContainer> {
    let number = (index > 0).then_some(index);
    let found = find_containers(engine, project, Some(service), number, None, false).await?;
    match found.into_iter().next() {
        Some(c) => Ok(c),
        None if index > 0 => {
            anyhow::bail!("service {service:?} is not running container #{index}")
        }
        None => anyhow::bail!("service {service:?} is not running"),
    }
}

/// Local images labelled with `project` (built for it), as (reference, service label); an
/// image with several tags gives one entry per tag, a dangling one none.
pub async fn project_images(
    engine: &Engine,
    project: &str,
) -> Result<Vec<(String, String)>, EngineError> {
    use bollard::query_parameters::ListImagesOptions;
    let images = engine
        .docker
        .list_images(Some(ListImagesOptions {
            filters: Some(HashMap::from([
                (
                    "label".to_string(),
                    vec![format!("{}={project}", labels::PROJECT)],
                ),
                ("dangling".to_string(), vec!["false".to_string()]),
            ])),
            ..Default::default()
        }))
        .await
        .map_err(|e| engine.error(e))?;
    let mut out = Vec::new();
    for i in images {
        let service = i.labels.get(labels::SERVICE).cloned().unwrap_or_default();
        for tag in i.repo_tags {
            if tag != "<none>:<none>" {
                out.push((tag, service.clone()));
            }
        }
    }
    out.sort();
    Ok(out)
}
