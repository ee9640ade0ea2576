//! The engine's event stream for `events`: container events of one project, one-off
//! containers left out, as plain data.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::EventsOptions;
use futures::{Stream, StreamExt};

use super::{Engine, EngineError};
use crate::plan::observed::labels;

/// One container event of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectEvent {
    pub action: String,
    pub id: String,
    pub service: String,
    /// Unix (seconds, nanoseconds).
    pub time: (i64, u32),
    /// Engine attributes without compose's own labels.
    pub attributes: BTreeMap<String, String>,
}

/// The instant to ask events from when the user gave no `--since`: None (the engine's "from
/// now on") on Docker; the engine's own clock on Podman, whose API without `since` can hand
/// out events from before the request.
pub async fn default_since(engine: &Engine) -> Option<String> {
    if !engine.is_podman().await {
        return None;
    }
    engine.docker.info().await.ok()?.system_time
}

/// Container events of `project` from now on (or `since`/`until`), until the stream ends.
pub fn project_events(
    engine: &Engine,
    project: &str,
    since: Option<String>,
    until: Option<String>,
) -> impl Stream<Item = Result<ProjectEvent, EngineError>> + use<> {
    let engine2 = engine.clone();
    engine
        .with_timeout(std::time::Duration::from_secs(10 * 365 * 24 * 3600))
        .events(Some(EventsOptions {
            since,
            until,
            filters: Some(HashMap::from([
                ("type".to_string(), vec!["container".to_string()]),
                (
                    "label".to_string(),
                    vec![format!("{}={project}", labels::PROJECT)],
                ),
            ])),
        }))
        .filter_map(move |m| {
            let r = match m {
                Err(e) => Some(Err(engine2.error(e))),
                Ok(m) => {
                    let actor = m.actor.unwrap_or_default();
                    let attrs = actor.attributes.unwrap_or_default();
                    if attrs.get(labels::ONEOFF).map(String::as_str) == Some("True") {
                        None
                    } else {
                        let nanos = m.time_nano.unwrap_or(m.time.unwrap_or(0) * 1_000_000_000);
                        Some(Ok(ProjectEvent {
                            action: m.action.unwrap_or_default(),
                            id: actor.id.unwrap_or_default(),
                            service: attrs.get(labels::SERVICE).cloned().unwrap_or_default(),
                            time: (
                                nanos.div_euclid(1_000_000_000),
                                nanos.rem_euclid(1_000_000_000) as u32,
                            ),
                            attributes: attrs
                                .into_iter()
                                .filter(|(k, _)| !k.starts_with("com.docker.compose."))
                                .collect(),
                        }))
                    }
                }
            };
            futures::future::ready(r)
        })
}
