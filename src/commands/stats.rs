//! `stats [SERVICE]`: resource usage of the project's containers with `docker stats`'
//! columns, once (`--no-stream`) or refreshed until interrupted.

use std::io::Write;

use anyhow::{Result, bail};
use futures::future::join_all;

use super::{Context, ExitCode};
use crate::cli::StatsArgs;
use crate::engine::Engine;
use crate::engine::query::find_containers;
use crate::engine::service_ops::stats_once;
use crate::output::resources::{StatsRow, stats_json, stats_table};

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

fn render(rows: &[StatsRow], json: bool, truncate: bool) -> String {
    if json {
        rows.iter()
            .map(|r| stats_json(r, truncate) + "\n")
            .collect()
    } else {
        stats_table(rows, truncate)
    }
}

pub async fn run(ctx: &Context, args: StatsArgs) -> Result<ExitCode> {
    let json = match args.format.as_deref() {
        None | Some("" | "table") => false,
        Some("json") => true,
        Some(other) => {
            bail!("unsupported --format {other:?}: rcompose supports table and json")
        }
    };
    let target = ctx.project_or_name(&[])?;
    if let Some(s) = &args.service {
        target.check_services(std::slice::from_ref(s))?;
    }
    let engine = ctx.engine().await?;
    let truncate = !args.no_trunc;
    if args.no_stream {
        let rows = rows(&engine, target.name(), &args).await?;
        print!("{}", render(&rows, json, truncate));
        return Ok(0);
    }
    // Streaming: redraw the whole table at each sample (each takes about a second, the
    // engine's sampling interval), until interrupted.
    loop {
        let rows = rows(&engine, target.name(), &args).await?;
        let text = render(&rows, json, truncate);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if json {
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
