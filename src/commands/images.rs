//! `images [SERVICE...]`: the images the project's containers were created from, as a table,
//! a JSON array (`--format json`) or unique ids (`-q`).

use std::io::Write;

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::ImagesArgs;
use crate::engine::inspect::image_rows;
use crate::output::images::{bare_id, images_json, images_table};

pub async fn run(ctx: &Context, args: ImagesArgs) -> Result<ExitCode> {
    if !matches!(args.format.as_str(), "table" | "json") {
        bail!("unsupported format type: {}", args.format);
    }
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let rows = image_rows(&engine, target.name(), &args.services).await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.quiet {
        let mut seen: Vec<&str> = Vec::new();
        for r in &rows {
            let id = bare_id(&r.id);
            if !seen.contains(&id) {
                seen.push(id);
                writeln!(out, "{id}")?;
            }
        }
    } else if args.format == "json" {
        writeln!(out, "{}", images_json(&rows))?;
    } else {
        write!(out, "{}", images_table(&rows, super::ps::unix_now()))?;
    }
    Ok(0)
}
