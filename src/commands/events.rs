//! `events [SERVICE...]`: the engine's container events for the project, as text lines
//! (`2006-01-02 15:04:05.000000 container <action> <id> (k=v, ...)`) or JSON objects
//! (`--json`), one per line, until interrupted.

use std::io::Write;

use anyhow::Result;
use futures::StreamExt;

use super::{Context, ExitCode};
use crate::cli::EventsArgs;
use crate::engine::events::{ProjectEvent, default_since, project_events};
use crate::output::images::rfc3339_nano;
use crate::output::time::{civil_from_days, local_zone};

pub async fn run(ctx: &Context, args: EventsArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let since = match &args.since {
        Some(s) => Some(s.clone()),
        None => default_since(&engine).await,
    };
    let mut events = Box::pin(project_events(
        &engine,
        target.name(),
        since,
        args.until.clone(),
    ));
    while let Some(e) = events.next().await {
        let e = e?;
        if !args.services.is_empty() && !args.services.contains(&e.service) {
            continue;
        }
        let line = if args.json {
            json_line(&e)
        } else {
            text_line(&e)
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(0)
}

fn json_line(e: &ProjectEvent) -> String {
    serde_json::json!({
        "action": e.action,
        "attributes": e.attributes,
        "id": e.id,
        "service": e.service,
        "time": rfc3339_nano(e.time.0, e.time.1),
        "type": "container",
    })
    .to_string()
}

fn text_line(e: &ProjectEvent) -> String {
    let (offset, _) = local_zone(e.time.0);
    let local = e.time.0 + offset;
    let (y, m, d) = civil_from_days(local.div_euclid(86400));
    let sod = local.rem_euclid(86400);
    let attrs: Vec<String> = e
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06} container {} {} ({})",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        e.time.1 / 1000,
        e.action,
        e.id,
        attrs.join(", ")
    )
}
