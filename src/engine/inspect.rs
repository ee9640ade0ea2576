//! Per-container reads for `images` and `top`: the image each project container runs, and the
//! processes running in it (the engine's top API).

use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptions, TopOptions};

use super::{Engine, EngineError};
use crate::model::image::ImageRef;
use crate::output::images::ImageRow;
use crate::plan::observed::labels;

/// A project container as the list API shows it.
struct Listed {
    id: String,
    name: String,
    service: String,
    image_id: String,
    /// `com.docker.compose.container-number` (none on one-offs).
    number: String,
}

/// The project's containers (one-offs too; running only unless `all`) of `services` (all when
/// empty), sorted by name.
async fn project_containers(
    engine: &Engine,
    project: &str,
    services: &[String],
    all: bool,
) -> Result<Vec<Listed>, EngineError> {
    let list = engine
        .docker
        .list_containers(Some(ListContainersOptions {
            all,
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![format!("{}={project}", labels::PROJECT)],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(|e| engine.error(e))?;
    let mut out: Vec<Listed> = list
        .into_iter()
        .filter_map(|c| {
            let l = c.labels.clone().unwrap_or_default();
            let service = l.get(labels::SERVICE).cloned().unwrap_or_default();
            if !services.is_empty() && !services.contains(&service) {
                return None;
            }
            let name = c
                .names
                .iter()
                .flatten()
                .map(|n| n.trim_start_matches('/'))
                .find(|n| !n.contains('/'))
                .unwrap_or_default()
                .to_string();
            Some(Listed {
                id: c.id.unwrap_or_default(),
                name,
                service,
                image_id: c.image_id.unwrap_or_default(),
                number: l.get(labels::NUMBER).cloned().unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One row per project container (any state) of `services` (all when empty), with the image
/// it was created from, inspected; sorted by container name.
pub async fn image_rows(
    engine: &Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<ImageRow>, EngineError> {
    let containers = project_containers(engine, project, services, true).await?;
    let mut rows = Vec::new();
    for Listed {
        id, name, image_id, ..
    } in containers
    {
        let configured = engine
            .docker
            .inspect_container(&id, None)
            .await
            .map_err(|e| engine.error(e))?
            .config
            .and_then(|c| c.image)
            .unwrap_or_default();
        let img = match engine.inspect_image(&image_id).await {
            Ok(i) => i,
            Err(e) => {
                let e = engine.error(e);
                if e.is_not_found() {
                    continue;
                }
                return Err(e);
            }
        };
        let (repository, tag) = split_reference(&configured, img.repo_tags.as_deref());
        let platform = match (&img.os, &img.architecture) {
            (Some(os), Some(arch)) => match img.variant.as_deref().filter(|v| !v.is_empty()) {
                Some(v) => format!("{os}/{arch}/{v}"),
                None => format!("{os}/{arch}"),
            },
            _ => String::new(),
        };
        rows.push(ImageRow {
            id: img.id.clone().unwrap_or(image_id),
            container: name,
            repository,
            tag,
            platform,
            size: img.size.unwrap_or(0),
            created: img.created.map(|d| (d.unix_timestamp(), d.nanosecond())),
            last_tag_time: img
                .metadata
                .and_then(|m| m.last_tag_time)
                .map(|d| (d.unix_timestamp(), d.nanosecond())),
        });
    }
    Ok(rows)
}

/// The repository and tag shown for a container created from `reference` (what the service
/// asked for); an id or digest reference falls back to the image's first tag.
fn split_reference(reference: &str, repo_tags: Option<&[String]>) -> (String, String) {
    let by_id = reference.starts_with("sha256:") || reference.contains('@');
    let chosen = if by_id || reference.is_empty() {
        match repo_tags.and_then(|t| t.first()) {
            Some(t) => t.clone(),
            None => return ("<none>".into(), "<none>".into()),
        }
    } else {
        reference.to_string()
    };
    let image = ImageRef::parse(&chosen);
    (image.name.to_string(), image.tag_or_latest().to_string())
}

/// The processes of one running container.
pub struct TopResult {
    pub name: String,
    pub service: String,
    /// Its container number (empty for a one-off).
    pub number: String,
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

/// `ps` inside every running container of `services` (all when empty), sorted by name.
pub async fn top(
    engine: &Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<TopResult>, EngineError> {
    let containers = project_containers(engine, project, services, false).await?;
    let mut out = Vec::new();
    for c in containers {
        let r = engine
            .docker
            .top_processes(&c.id, None::<TopOptions>)
            .await
            .map_err(|e| engine.error(e))?;
        out.push(TopResult {
            name: c.name,
            service: c.service,
            number: c.number,
            titles: r.titles.unwrap_or_default(),
            processes: r.processes.unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn references_split_into_repository_and_tag() {
        let s = |r: &str| split_reference(r, None);
        assert_eq!(s("busybox"), ("busybox".into(), "latest".into()));
        assert_eq!(
            s("rcompose-test/busybox:1.2"),
            ("rcompose-test/busybox".into(), "1.2".into())
        );
        assert_eq!(
            s("localhost:5000/app"),
            ("localhost:5000/app".into(), "latest".into())
        );
        assert_eq!(
            split_reference("sha256:abc", Some(&["a/b:c".to_string()])),
            ("a/b".into(), "c".into())
        );
        assert_eq!(
            split_reference("sha256:abc", None),
            ("<none>".into(), "<none>".into())
        );
    }
}
