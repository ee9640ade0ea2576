//! `ps`: the project's containers as a table, JSON Lines (`--format json`), ids (`-q`) or
//! service names (`--services`).

use std::io::Write;

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::PsArgs;
use crate::engine::query::ps_rows;
use crate::output::table::{ps_json, ps_table};
use crate::output::template::Template;
use crate::output::time::local_zone;
use crate::settings;

const STATES: &[&str] = &[
    "paused",
    "restarting",
    "removing",
    "running",
    "dead",
    "created",
    "exited",
];

pub async fn run(ctx: &Context, args: PsArgs) -> Result<ExitCode> {
    let mut statuses = args.status.clone();
    if let Some(f) = &args.filter {
        let Some((k, v)) = f.split_once('=') else {
            bail!("arguments to --filter should be in form KEY=VAL");
        };
        if k != "status" {
            bail!("unknown filter {k}");
        }
        statuses.push(v.to_string());
    }
    if let Some(s) = statuses.iter().find(|s| !STATES.contains(&s.as_str())) {
        bail!(
            "invalid filter {s:?}: expected one of {}",
            STATES.join(", ")
        );
    }
    let configured = match &args.format {
        Some(f) => f.clone(),
        None => config_ps_format(ctx).unwrap_or_else(|| "table".into()),
    };
    let format = configured.as_str();
    let template = match format {
        "table" | "json" => None,
        t => Some(Template::parse(t).map_err(anyhow::Error::msg)?),
    };
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let mut rows = ps_rows(
        &engine,
        target.name(),
        args.all || !statuses.is_empty(),
        format == "json" || template.is_some(),
    )
    .await?;
    rows.retain(|r| args.services.is_empty() || args.services.contains(&r.service));
    rows.retain(|r| statuses.is_empty() || statuses.contains(&r.state));
    // --orphans=false: hide containers of services the model does not declare (label-only
    // mode has no model, so nothing counts as an orphan there).
    if !args.orphans
        && let super::ProjectOrName::Project(p) = &target
    {
        let known: Vec<&str> = p.all_service_names().collect();
        rows.retain(|r| known.contains(&r.service.as_str()));
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.quiet {
        for r in &rows {
            writeln!(out, "{}", r.id)?;
        }
    } else if args.services_only {
        let mut seen: Vec<&str> = Vec::new();
        for r in &rows {
            if !seen.contains(&r.service.as_str()) {
                seen.push(&r.service);
                writeln!(out, "{}", r.service)?;
            }
        }
    } else if let Some(t) = &template {
        let now = unix_now();
        let values: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let (offset, zone) = local_zone(r.created);
                serde_json::from_str(&ps_json(r, !args.no_trunc, now, (offset, &zone)))
            })
            .collect::<Result<_, _>>()?;
        write!(
            out,
            "{}",
            t.render_all(&values).map_err(anyhow::Error::msg)?
        )?;
    } else if format == "json" {
        let now = unix_now();
        for r in &rows {
            let (offset, zone) = local_zone(r.created);
            writeln!(out, "{}", ps_json(r, !args.no_trunc, now, (offset, &zone)))?;
        }
    } else {
        write!(out, "{}", ps_table(&rows, unix_now(), !args.no_trunc))?;
    }
    Ok(0)
}

pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `psFormat` from the docker CLI's config file (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`), used when `--format` is not given.
fn config_ps_format(ctx: &Context) -> Option<String> {
    let dir = match ctx
        .env
        .get(settings::DOCKER_CONFIG)
        .filter(|d| !d.is_empty())
    {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::PathBuf::from(ctx.env.get("HOME")?).join(".docker"),
    };
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("psFormat")?
        .as_str()
        .filter(|f| !f.is_empty())
        .map(str::to_string)
}
