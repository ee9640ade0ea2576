//! `version`: `Docker Compose version v2.Y.Z (rcompose X.Y.Z)`, `--short`, `--format json`, in
//! compose's format, so clients that parse it to pick features see the compose release whose
//! behaviour rcompose implements.

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::VersionArgs;
use crate::output::console;
use crate::plan::spec::{COMPOSE_VERSION, RCOMPOSE_VERSION};

pub fn run(_ctx: &Context, args: VersionArgs) -> Result<ExitCode> {
    if args.short {
        console::line(COMPOSE_VERSION);
        return Ok(0);
    }
    match args.format.as_deref().unwrap_or("pretty") {
        "pretty" => console::line(&format!(
            "Docker Compose version v{COMPOSE_VERSION} (rcompose {RCOMPOSE_VERSION})"
        )),
        "json" => console::line(
            &serde_json::json!({ "version": format!("v{COMPOSE_VERSION}") }).to_string(),
        ),
        other => bail!("unsupported format {other:?}: expected pretty or json"),
    }
    Ok(0)
}
