//! `stats [SERVICE]`: resource usage of the project's containers with `docker stats`'
//! columns (or JSON lines, or a Go-style template), once (`--no-stream`) or refreshed until
//! interrupted.

use std::io::Write;

use anyhow::Result;
use futures::future::join_all;

use super::{Context, ExitCode};
use crate::cli::StatsArgs;
use crate::engine::Engine;
use crate::engine::query::find_containers;
use crate::engine::service_ops::stats_once;
use crate::output::console;
use crate::output::resources::{STATS_TITLES, StatsRow, stats_json, stats_table, stats_value};
use crate::output::template::Template;

async fn rows(engine: &Engine, project: &str, args: &StatsArgs) -> Result<Vec<StatsRow>> {
    let found = find_containers(
        engine,
        project,
        args.service.as_deref(),
        None,
        None,
        args.all,
    )
    .await?;
    let samples = join_all(found.iter().map(|c| stats_once(engine, &c.id))).await;
    let mut out = Vec::new();
    for (c, s) in found.into_iter().zip(samples) {
        // A container that stopped or went away meanwhile shows zeros, as `docker stats -a`
        // shows stopped ones.
        out.push(StatsRow {
            id: c.id,
            name: c.name,
            sample: s.unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// How `--format` asks for the rows.
enum Format {
    Table,
    Json,
    Template(Template),
}

fn render(rows: &[StatsRow], format: &Format, truncate: bool) -> Result<String> {
    Ok(match format {
        Format::Json => rows
            .iter()
            .map(|r| stats_json(r, truncate) + "\n")
            .collect(),
        Format::Table => stats_table(rows, truncate),
        Format::Template(t) => {
            let values: Vec<_> = rows.iter().map(|r| stats_value(r, truncate)).collect();
            t.render_all_with(&values, STATS_TITLES)
                .map_err(anyhow::Error::msg)?
        }
    })
}

pub async fn run(ctx: &Context, args: StatsArgs) -> Result<ExitCode> {
    let format = match args.format.as_deref() {
        None | Some("" | "table") => Format::Table,
        Some("json") => Format::Json,
        Some(t) => Format::Template(Template::parse(t).map_err(anyhow::Error::msg)?),
    };
    let target = ctx.project_or_name(&[])?;
    if let Some(s) = &args.service {
        target.check_services(std::slice::from_ref(s))?;
    }
    let engine = ctx.engine().await?;
    let truncate = !args.no_trunc;
    if args.no_stream {
        let rows = rows(&engine, target.name(), &args).await?;
        console::text(&render(&rows, &format, truncate)?);
        return Ok(0);
    }
    // Streaming: redraw the whole table at each sample (each takes about a second, the
    // engine's sampling interval), until interrupted.
    loop {
        let rows = rows(&engine, target.name(), &args).await?;
        let text = render(&rows, &format, truncate)?;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if matches!(format, Format::Json) {
            write!(out, "{text}")?;
        } else {
            write!(out, "\x1b[2J\x1b[H{text}")?;
        }
        out.flush()?;
        drop(out);
        if rows.is_empty() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}
