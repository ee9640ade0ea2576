//! The project's volumes as the engine lists them (`volumes`): every volume labelled with the
//! project, with driver, mountpoint, scope and labels.

use std::collections::HashMap;

use bollard::query_parameters::ListVolumesOptions;

use super::{Engine, EngineError};
use crate::plan::observed::labels;

/// One volume of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub driver: String,
    pub mountpoint: String,
    pub scope: String,
    /// Labels, sorted by key.
    pub labels: Vec<(String, String)>,
}

/// Volumes labelled with `project`, sorted by name.
pub async fn project_volumes(
    engine: &Engine,
    project: &str,
) -> Result<Vec<VolumeInfo>, EngineError> {
    let list = engine
        .docker
        .list_volumes(Some(ListVolumesOptions {
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![format!("{}={project}", labels::PROJECT)],
            )])),
        }))
        .await
        .map_err(|e| engine.error(e))?;
    let mut out: Vec<VolumeInfo> = list
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let mut labels: Vec<(String, String)> = v.labels.into_iter().collect();
            labels.sort();
            VolumeInfo {
                name: v.name,
                driver: v.driver,
                mountpoint: v.mountpoint,
                scope: v
                    .scope
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "local".into()),
                labels,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
