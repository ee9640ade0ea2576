//! `volumes [SERVICE...]`: the project's volumes on the engine (those the named services
//! mount, when services are named) as `docker volume ls` shows them: table, JSON lines, a
//! Go-style template or names.

use std::io::Write;

use anyhow::Result;

use super::{Context, ExitCode, ProjectOrName};
use crate::cli::VolumesArgs;
use crate::engine::volumes::project_volumes;
use crate::model::short_syntax::MountKind;
use crate::output::resources::{VOLUME_TITLES, volume_json, volume_value, volumes_table};
use crate::output::template::Template;

pub async fn run(ctx: &Context, args: VolumesArgs) -> Result<ExitCode> {
    let template = match args.format.as_str() {
        _ if args.quiet => None,
        "table" | "json" => None,
        t => Some(Template::parse(t).map_err(anyhow::Error::msg)?),
    };
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let mut volumes = project_volumes(&engine, target.name()).await?;
    if !args.services.is_empty() {
        // Engine names of the named volumes the selected services mount.
        let wanted: Vec<String> = match &target {
            ProjectOrName::Project(p) => p
                .services
                .values()
                .chain(p.disabled_services.values())
                .filter(|s| args.services.contains(&s.name))
                .flat_map(|s| s.volumes.iter())
                .filter(|m| m.kind == MountKind::Volume)
                .filter_map(|m| m.source.as_ref())
                .map(|k| {
                    p.volumes
                        .get(k)
                        .map_or_else(|| k.clone(), |v| v.name.clone())
                })
                .collect(),
            ProjectOrName::Name(_) => Vec::new(),
        };
        volumes.retain(|v| wanted.contains(&v.name));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.quiet {
        for v in &volumes {
            writeln!(out, "{}", v.name)?;
        }
    } else if let Some(t) = template {
        let values: Vec<_> = volumes.iter().map(volume_value).collect();
        let text = t
            .render_all_with(&values, VOLUME_TITLES)
            .map_err(anyhow::Error::msg)?;
        write!(out, "{text}")?;
    } else if args.format == "json" {
        for v in &volumes {
            writeln!(out, "{}", volume_json(v))?;
        }
    } else {
        write!(out, "{}", volumes_table(&volumes))?;
    }
    Ok(0)
}
