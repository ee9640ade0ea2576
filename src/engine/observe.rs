//! Reads a project's state from the engine into [`ObservedState`]: containers, networks and
//! volumes labelled with the project (plus declared networks and volumes looked up by name),
//! and the local ids of the images the services use. All requests run concurrently.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::{ListContainersOptions, ListNetworksOptions, ListVolumesOptions};
use futures::future::join_all;

use super::{Engine, EngineError};
use crate::plan::observed::{
    ContainerState, ObservedContainer, ObservedNetwork, ObservedState, ObservedVolume, labels,
};

/// What to look up besides the project's labelled resources.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    /// Engine names of declared networks (found even without labels, e.g. external ones).
    pub networks: Vec<String>,
    /// Engine names of declared volumes.
    pub volumes: Vec<String>,
    /// Image references whose local ids are needed.
    pub images: Vec<String>,
}

impl Lookups {
    /// The project's declared networks and volumes, and (with `images`) the images its
    /// services run, each once.
    pub fn for_project(project: &crate::model::Project, images: bool) -> Lookups {
        let mut wanted: Vec<String> = Vec::new();
        if images {
            wanted = project
                .services
                .values()
                .map(|s| s.image_name(project))
                .collect();
            wanted.sort();
            wanted.dedup();
        }
        Lookups {
            networks: project.networks.values().map(|n| n.name.clone()).collect(),
            volumes: project.volumes.values().map(|v| v.name.clone()).collect(),
            images: wanted,
        }
    }
}

fn label_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("{}={project}", labels::PROJECT)],
    )])
}

/// Observes `project`; `lookups` adds declared resources and images.
pub async fn observe(
    engine: &Engine,
    project: &str,
    lookups: &Lookups,
) -> Result<ObservedState, EngineError> {
    let d = &engine.docker;
    let containers = engine.list_containers(ListContainersOptions {
        all: true,
        filters: Some(label_filter(project)),
        ..Default::default()
    });
    let networks = d.list_networks(Some(ListNetworksOptions {
        filters: Some(label_filter(project)),
    }));
    let named_networks = async {
        if lookups.networks.is_empty() {
            return Ok(Vec::new());
        }
        d.list_networks(Some(ListNetworksOptions {
            filters: Some(HashMap::from([(
                "name".to_string(),
                lookups.networks.clone(),
            )])),
        }))
        .await
    };
    let volumes = d.list_volumes(Some(ListVolumesOptions {
        filters: Some(label_filter(project)),
    }));
    let named_volumes = async {
        if lookups.volumes.is_empty() {
            return Ok(Vec::new());
        }
        let all = d.list_volumes(None::<ListVolumesOptions>).await?;
        Ok(all
            .volumes
            .unwrap_or_default()
            .into_iter()
            .filter(|v| lookups.volumes.contains(&v.name))
            .collect())
    };
    let images = join_all(lookups.images.iter().map(|image| async move {
        match engine.inspect_image(image).await {
            Ok(i) => Ok(i.id.map(|id| (image.clone(), id))),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }));
    let (containers, networks, named_networks, volumes, named_volumes, images) = tokio::join!(
        containers,
        networks,
        named_networks,
        volumes,
        named_volumes,
        images
    );
    let err = |e| engine.error(e);

    let mut state = ObservedState {
        project: project.to_string(),
        ..Default::default()
    };
    for c in containers.map_err(err)? {
        let labels: BTreeMap<String, String> = c.labels.unwrap_or_default().into_iter().collect();
        // Containers without a config hash are not compose containers (compose filters the same way).
        if !labels.contains_key(labels::CONFIG_HASH) {
            continue;
        }
        let name = c
            .names
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.trim_start_matches('/').to_string())
            .find(|n| !n.contains('/'))
            .unwrap_or_default();
        let state_word = c
            .state
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        state.containers.push(ObservedContainer {
            id: c.id.unwrap_or_default(),
            name,
            service: labels.get(labels::SERVICE).cloned().unwrap_or_default(),
            number: labels.get(labels::NUMBER).and_then(|n| n.parse().ok()),
            oneoff: labels.get(labels::ONEOFF).map(String::as_str) == Some("True"),
            state: ContainerState::parse(&state_word),
            networks: c
                .network_settings
                .and_then(|n| n.networks)
                .map(|n| n.into_keys().collect())
                .unwrap_or_default(),
            volumes: c
                .mounts
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m.typ.as_deref() == Some("volume"))
                .filter_map(|m| m.name)
                .collect(),
            image: c.image.unwrap_or_default(),
            labels,
        });
    }
    state.containers.sort_by(|a, b| a.name.cmp(&b.name));
    for n in networks
        .map_err(err)?
        .into_iter()
        .chain(named_networks.map_err(err)?)
    {
        let name = n.name.unwrap_or_default();
        if state.networks.iter().any(|x| x.name == name) {
            continue;
        }
        // The name filter matches substrings; keep exact matches and labelled networks.
        let labels: BTreeMap<String, String> = n.labels.unwrap_or_default().into_iter().collect();
        if labels.get(labels::PROJECT).map(String::as_str) != Some(project)
            && !lookups.networks.contains(&name)
        {
            continue;
        }
        state.networks.push(ObservedNetwork {
            id: n.id.unwrap_or_default(),
            name,
            labels,
        });
    }
    let labelled = volumes.map_err(err)?.volumes.unwrap_or_default();
    for v in labelled.into_iter().chain(named_volumes.map_err(err)?) {
        if state.volumes.iter().any(|x| x.name == v.name) {
            continue;
        }
        state.volumes.push(ObservedVolume {
            name: v.name,
            labels: v.labels.into_iter().collect(),
        });
    }
    for found in images {
        if let Some((image, id)) = found.map_err(err)? {
            state.images.insert(image, id);
        }
    }
    Ok(state)
}
