//! Images and registries beyond pulls: pushing service images with the docker config's
//! credentials (`push`, `build --push`) and the repository digests the engine records for a
//! local image (`config --resolve-image-digests`).

use futures::StreamExt;

use super::{Engine, EngineError};
use crate::output::progress::{Event, Progress, Status};

/// Pushes `image` (`repo[:tag]`, tag `latest` when absent) to its registry, reporting
/// ` Image <name> Pushing` / ` Image <name> Pushed` unless `quiet`.
pub async fn push_image(
    engine: &Engine,
    image: &str,
    service: &str,
    progress: &Progress,
    quiet: bool,
) -> Result<(), EngineError> {
    let event = |status, text: &str| {
        if !quiet {
            progress.event(Event::new("Image", image, status, text));
        }
    };
    event(Status::Working, "Pushing");
    let auth = engine.auth.for_image(image).await?;
    let (repo, tag) = super::executor::split_image(image);
    let mut stream = engine.docker.push_image(
        &repo,
        Some(bollard::query_parameters::PushImageOptions {
            tag: Some(tag),
            platform: None,
        }),
        auth.credentials.clone(),
    );
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(message) = info.error_detail.and_then(|d| d.message) {
                    failure = Some(format!("Error response from daemon: {message}"));
                    break;
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                failure = Some(format!("Error response from daemon: {error}"));
                break;
            }
            Err(e) => {
                failure = Some(engine.error(e).to_string());
                break;
            }
        }
    }
    match failure {
        None => {
            event(Status::Done, "Pushed");
            Ok(())
        }
        Some(message) => {
            event(Status::Error, "Error");
            Err(EngineError::Other(format!(
                "{message}\nservice {service:?}: image {image} could not be pushed to registry {} ({})",
                auth.registry, auth.origin
            )))
        }
    }
}

/// The `RepoDigests` the engine records for the local image `image` (`repo@sha256:…`), empty
/// when it was built locally and never pushed or pulled; a missing image is an error.
pub async fn repo_digests(engine: &Engine, image: &str) -> Result<Vec<String>, EngineError> {
    let inspect = engine
        .inspect_image(image)
        .await
        .map_err(|e| engine.error(e))?;
    Ok(inspect.repo_digests.unwrap_or_default())
}
