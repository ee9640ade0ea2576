//! `version`: `rcompose version vX.Y.Z`, `--short`, `--format json`.

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::VersionArgs;
use crate::plan::spec::VERSION;

pub fn run(_ctx: &Context, args: VersionArgs) -> Result<ExitCode> {
    if args.short {
        println!("{VERSION}");
        return Ok(0);
    }
    match args.format.as_deref().unwrap_or("pretty") {
        "pretty" => println!("rcompose version v{VERSION}"),
        "json" => println!(
            "{}",
            serde_json::json!({ "version": format!("v{VERSION}") })
        ),
        other => bail!("unsupported format {other:?}: expected pretty or json"),
    }
    Ok(0)
}
