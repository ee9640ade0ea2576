//! `ls`: every compose project on the engine (found by label), with the states of its
//! containers and its compose files; `-a` includes stopped projects.

use std::io::Write;

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::LsArgs;
use crate::engine::query::compose_containers;
use crate::output::table::{ls_json, ls_table, project_rows};

pub async fn run(ctx: &Context, args: LsArgs) -> Result<ExitCode> {
    let mut patterns: Vec<regex::Regex> = Vec::new();
    let mut exact: Vec<String> = Vec::new();
    for f in &args.filter {
        let Some((key, value)) = f.split_once('=') else {
            bail!("bad format of filter (expected name=value)");
        };
        if !key.trim().eq_ignore_ascii_case("name") {
            bail!("invalid filter '{}'", key.trim().to_ascii_lowercase());
        }
        let value = value.trim().to_string();
        // A value that is not a valid pattern only matches exactly, as compose's does.
        if let Ok(re) = regex::Regex::new(&value) {
            patterns.push(re);
        }
        exact.push(value);
    }
    let format = args.format.to_ascii_lowercase();
    if !args.quiet && !matches!(format.as_str(), "table" | "pretty" | "" | "json") {
        bail!(
            "format value {:?} could not be parsed: parsing failed",
            args.format
        );
    }
    let engine = ctx.engine().await?;
    let containers = compose_containers(&engine, args.all).await?;
    let mut rows = project_rows(
        containers
            .iter()
            .map(|(p, s, f)| (p.as_str(), s.as_str(), f.as_str())),
    );
    if !args.filter.is_empty() {
        rows.retain(|r| exact.contains(&r.name) || patterns.iter().any(|re| re.is_match(&r.name)));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.quiet {
        for r in &rows {
            writeln!(out, "{}", r.name)?;
        }
    } else if format == "json" {
        writeln!(out, "{}", ls_json(&rows))?;
    } else {
        write!(out, "{}", ls_table(&rows))?;
    }
    Ok(0)
}
