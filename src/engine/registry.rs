//! Images and registries: pulling and pushing service images with the docker config's
//! credentials (`pull`, `up`, `push`, `build --push`) and the repository digests the engine
//! records for a local image (`config --resolve-image-digests`).

use futures::StreamExt;

use super::{Engine, EngineError};
use crate::model::image::ImageRef;
use crate::output::progress::{Event, Progress, Status};

/// Pulls `image` for `services`, reporting ` Image <name> Pulling` / ` Image <name> Pulled`.
pub async fn pull_image(
    engine: &Engine,
    image: &str,
    services: &[String],
    progress: &Progress,
    quiet: bool,
) -> Result<(), EngineError> {
    let event = |status, text: &str| {
        if !quiet {
            progress.event(Event::new("Image", image, status, text));
        }
    };
    event(Status::Working, "Pulling");
    match pull(engine, image, services, "could not be pulled").await {
        Ok(()) => {
            event(Status::Done, "Pulled");
            Ok(())
        }
        Err(e) => {
            event(Status::Error, "Error");
            Err(e)
        }
    }
}

/// Pulls `image` with the credentials the docker config file has for its registry. A failure
/// keeps the engine's message and adds which service wanted the image, the registry, and where
/// the credentials came from (or that there were none); `what` says what went wrong.
pub(crate) async fn pull(
    engine: &Engine,
    image: &str,
    services: &[String],
    what: &str,
) -> Result<(), EngineError> {
    let who = match services {
        [] => String::new(),
        [one] => format!("service {one:?}: "),
        many => format!("services {}: ", many.join(", ")),
    };
    let auth = engine
        .auth
        .for_image(image)
        .await
        .map_err(|e| EngineError::Other(format!("{who}image {image} {what}: {e}")))?;
    let (repo, tag) = ImageRef::parse(image).api_parts();
    let mut stream = engine.docker.create_image(
        Some(bollard::query_parameters::CreateImageOptions {
            from_image: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            ..Default::default()
        }),
        None,
        auth.credentials.clone(),
    );
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            let message = match e {
                bollard::errors::Error::DockerStreamError { error } => {
                    format!("Error response from daemon: {error}")
                }
                other => engine.error(other).to_string(),
            };
            return Err(EngineError::Other(format!(
                "{message}\n{who}image {image} {what} from registry {} ({})",
                auth.registry, auth.origin
            )));
        }
    }
    Ok(())
}

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
    let (repo, tag) = ImageRef::parse(image).api_parts();
    let mut stream = engine.docker.push_image(
        repo,
        Some(bollard::query_parameters::PushImageOptions {
            tag: Some(tag.to_string()),
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
