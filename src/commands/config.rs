//! `config`: validate the model and print it as `docker compose config` does (canonical YAML or
//! JSON, see [`crate::model::canonical`]), or lists drawn from it (`--services`, `--volumes`,
//! `--networks`, `--images`, `--profiles`, `--hash`), the variables the files use
//! (`--variables`) or the interpolation environment (`--environment`). Never touches the engine.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::{Context, ExitCode, load_error};
use crate::cli::ConfigArgs;
use crate::model::canonical::{self, CanonicalOptions};
use crate::model::hash::service_hash;
use crate::model::image::ImageRef;
use crate::model::interpolate::extract_tree_variables;
use crate::model::load::{self as loader, LoadOptions};
use crate::model::{Project, merge, normalize_project_name, yaml};
use crate::output::table::{COMPOSE_PRETTY, tab_table};
use crate::settings;

pub fn run(ctx: &Context, args: ConfigArgs) -> Result<ExitCode> {
    if args.variables {
        return variables(ctx, &args);
    }
    let lists = args.services_only
        || args.volumes
        || args.networks
        || args.images
        || args.profiles
        || args.hash.is_some()
        || args.environment
        || args.models;
    if args.no_interpolate && !lists {
        return no_interpolate(ctx, &args);
    }
    let opts = load_options(ctx, &args);
    let mut project = load(&opts, &args)?;
    if args.resolve_image_digests || args.lock_image_digests {
        let pinned = pin_image_digests(ctx, &project)?;
        if args.lock_image_digests {
            // Only the pins, as an override file for the project.
            let services: Map<String, Value> = pinned
                .into_iter()
                .map(|(name, image)| (name, json!({ "image": image })))
                .collect();
            project.canonical = json!({ "services": services });
        } else if let Some(Value::Object(services)) = project.canonical.get_mut("services") {
            for (name, image) in pinned {
                if let Some(Value::Object(s)) = services.get_mut(&name) {
                    s.insert("image".into(), Value::String(image));
                }
            }
        }
    }
    if args.quiet {
        return Ok(0);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.services_only {
        for s in project.services.keys() {
            writeln!(out, "{s}")?;
        }
    } else if args.volumes {
        for v in project.volumes.keys() {
            writeln!(out, "{v}")?;
        }
    } else if args.networks {
        for n in project.networks.keys() {
            writeln!(out, "{n}")?;
        }
    } else if let Some(h) = &args.hash {
        let wanted: Vec<&str> = h.split(',').map(str::trim).collect();
        for (name, s) in &project.services {
            if wanted.contains(&"*") || wanted.contains(&name.as_str()) {
                writeln!(out, "{name} {}", service_hash(s))?;
            }
        }
    } else if args.profiles {
        let mut all: Vec<&str> = project
            .services
            .values()
            .chain(project.disabled_services.values())
            .flat_map(|s| s.profiles.iter().map(String::as_str))
            .collect();
        all.sort();
        all.dedup();
        for p in all {
            writeln!(out, "{p}")?;
        }
    } else if args.models {
        // rcompose runs no models, but lists the ones the files declare, as compose does.
        if let Some(Value::Object(models)) = project.canonical.get("models") {
            for m in models.keys() {
                writeln!(out, "{m}")?;
            }
        }
    } else if args.images {
        for s in project.services.values() {
            writeln!(out, "{}", s.image_name(&project))?;
        }
    } else if args.environment {
        let found = loader::discover(&opts).map_err(load_error)?;
        let mut env = found.env;
        env.insert(settings::COMPOSE_PROJECT_NAME.into(), project.name.clone());
        let mut lines: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.sort();
        for l in lines {
            writeln!(out, "{l}")?;
        }
    } else {
        let text = match args.format.as_deref().unwrap_or("yaml") {
            "json" => canonical::to_json(&canonical::json_layout(&project.canonical)),
            "yaml" => canonical::to_yaml(&project.canonical),
            other => bail!("unsupported format {other:?}"),
        };
        write_output(&mut out, &args, &canonical::escape_dollars(&text))?;
    }
    Ok(0)
}

fn load_options(ctx: &Context, args: &ConfigArgs) -> LoadOptions {
    let mut opts = ctx.load_options(&args.services);
    opts.check_create = true;
    opts.skip_canonical = false;
    opts.skip_consistency = args.no_consistency;
    opts
}

/// Loads the project with the canonical stages `config`'s flags leave on; prints warnings.
fn load(opts: &LoadOptions, args: &ConfigArgs) -> Result<Project> {
    let canonical_options = CanonicalOptions {
        normalize: !args.no_normalize,
        resolve_paths: !args.no_path_resolution,
        resolve_env_files: !args.no_env_resolution,
        ..CanonicalOptions::default()
    };
    let project =
        loader::load_canonical(opts, &canonical_options, &mut read_stdin).map_err(load_error)?;
    for w in &project.warnings {
        crate::output::warn(w);
    }
    Ok(project)
}

fn read_stdin() -> std::io::Result<String> {
    let mut s = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
}

/// Writes the document to `-o FILE` (when there is something to write) or to stdout.
fn write_output(out: &mut impl Write, args: &ConfigArgs, text: &str) -> Result<()> {
    match &args.output {
        Some(path) if !text.is_empty() => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        Some(_) => {}
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// The merged files without interpolation (`--no-interpolate`, `--variables`), the project name
/// and directory, and the interpolation environment. Includes and extends are not followed.
fn raw_model(
    ctx: &Context,
    args: &ConfigArgs,
) -> Result<(Value, String, std::path::PathBuf, IndexMap<String, String>)> {
    let opts = load_options(ctx, args);
    let found = loader::discover(&opts).map_err(load_error)?;
    let mut merged = Value::Object(Map::new());
    for path in &found.files {
        let (shown, text) = if path.as_os_str() == "-" {
            (opts.cwd.join("-"), read_stdin()?)
        } else {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("open {}", path.display()))?;
            (path.clone(), text)
        };
        let docs = yaml::parse_documents(&text)
            .map_err(|e| anyhow!("failed to parse {}: yaml: {}", shown.display(), e.message))?;
        for (tree, locations) in docs {
            if !tree.is_object() {
                bail!("{}: top-level object must be a mapping", shown.display());
            }
            merge::merge_layer(&mut merged, tree, locations.tagged())
                .map_err(|e| anyhow!(e.message))?;
        }
    }
    let name = opts
        .project_name
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            found
                .env
                .get(settings::COMPOSE_PROJECT_NAME)
                .filter(|n| !n.is_empty())
                .cloned()
        })
        .or_else(|| {
            merged
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .map(normalize_project_name)
        })
        .unwrap_or_else(|| {
            normalize_project_name(
                &found
                    .working_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        });
    Ok((merged, name, found.working_dir, found.env))
}

/// `--no-interpolate`: the merged model with long syntax, defaults and normalization, variables
/// left as written, keys sorted (compose prints its raw map).
fn no_interpolate(ctx: &Context, args: &ConfigArgs) -> Result<ExitCode> {
    if !args.services.is_empty() {
        crate::output::warn("service filtering is not applied when --no-interpolate is set");
    }
    let (merged, name, working_dir, env) = raw_model(ctx, args)?;
    let options = CanonicalOptions {
        normalize: !args.no_normalize,
        resolve_paths: !args.no_path_resolution,
        resolve_env_files: !args.no_env_resolution,
        lenient: true,
        ..CanonicalOptions::default()
    };
    let dict = canonical::model(
        &merged,
        &canonical::Input {
            project_name: &name,
            working_dir: &working_dir,
            env: &env,
            options: &options,
            enabled: None,
            extensions: None,
            read_file: &|p: &Path| std::fs::read_to_string(p),
        },
    )
    .map_err(|e| anyhow!(e.message))?;
    if args.quiet {
        return Ok(0);
    }
    let text = match args.format.as_deref().unwrap_or("yaml") {
        "json" => canonical::to_json(&canonical::sort_all(&dict, true)),
        "yaml" => canonical::to_yaml(&canonical::sort_all(&dict, false)),
        other => bail!("unsupported format {other:?}"),
    };
    let stdout = std::io::stdout();
    write_output(&mut stdout.lock(), args, &text)?;
    Ok(0)
}

/// `--variables`: every variable the files use, with its default, alternate value and whether
/// it is required, as a table (default), JSON or YAML.
fn variables(ctx: &Context, args: &ConfigArgs) -> Result<ExitCode> {
    let (merged, ..) = raw_model(ctx, args)?;
    let mut vars = extract_tree_variables(&merged);
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    if args.quiet {
        return Ok(0);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format.as_deref().unwrap_or("") {
        "" | "table" | "pretty" => {
            let rows: Vec<Vec<String>> = vars
                .iter()
                .map(|v| {
                    vec![
                        v.name.clone(),
                        v.required.to_string(),
                        v.default.clone().unwrap_or_default(),
                        v.alternate.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let header = ["NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE"];
            write!(out, "{}", tab_table(COMPOSE_PRETTY, &header, &rows))?;
        }
        "json" => {
            let m: Map<String, Value> = vars
                .iter()
                .map(|v| {
                    (
                        v.name.clone(),
                        json!({
                            "Name": v.name,
                            "DefaultValue": v.default.clone().unwrap_or_default(),
                            "PresenceValue": v.alternate.clone().unwrap_or_default(),
                            "Required": v.required,
                        }),
                    )
                })
                .collect();
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(&Value::Object(m), &mut ser)?;
            out.write_all(&buf)?;
            writeln!(out)?;
        }
        "yaml" => {
            for v in &vars {
                let entry = json!({
                    "name": v.name,
                    "defaultvalue": v.default.clone().unwrap_or_default(),
                    "presencevalue": v.alternate.clone().unwrap_or_default(),
                    "required": v.required,
                });
                let mut head = Map::new();
                head.insert(v.name.clone(), Value::Null);
                let key = canonical::to_yaml(&Value::Object(head));
                writeln!(out, "{}", key.trim_end().trim_end_matches(" null"))?;
                for line in canonical::to_yaml(&entry).lines() {
                    writeln!(out, "    {line}")?;
                }
            }
        }
        other => bail!("format value {other:?} could not be parsed: parsing failed"),
    }
    Ok(0)
}

/// `--resolve-image-digests` / `--lock-image-digests`: each service with an `image:` pinned to
/// the registry digest the local engine recorded for it (`RepoDigests`), as
/// `repo[:tag]@sha256:…`, in service order. An image that is not on the engine, or that has no
/// registry digest (built here and never pushed or pulled), is an error naming it.
fn pin_image_digests(ctx: &Context, project: &Project) -> Result<Vec<(String, String)>> {
    let wanted: Vec<(String, String)> = project
        .services
        .iter()
        .filter_map(|(name, s)| s.image.clone().map(|i| (name.clone(), i)))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let lookup = async {
        let engine = ctx.engine().await?;
        let mut out = Vec::new();
        for (service, image) in &wanted {
            if image.contains('@') {
                out.push((service.clone(), image.clone()));
                continue;
            }
            let digests = crate::engine::registry::repo_digests(&engine, image)
                .await
                .map_err(|e| {
                    if e.is_not_found() {
                        anyhow!(
                            "service {service:?}: image {image} is not on the engine, so its digest is unknown; pull it first (`rcompose pull {service}`)"
                        )
                    } else {
                        anyhow!("service {service:?}: inspecting image {image}: {e}")
                    }
                })?;
            let Some(digest) = pick_digest(image, &digests) else {
                bail!(
                    "service {service:?}: image {image} has no registry digest on the engine (it was built locally and never pushed or pulled), so it cannot be pinned"
                );
            };
            out.push((service.clone(), format!("{image}@{digest}")));
        }
        Ok(out)
    };
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(lookup))
}

/// The digest of `repo@digest` entries whose repository is `image`'s, else the first one.
fn pick_digest(image: &str, repo_digests: &[String]) -> Option<String> {
    let familiar = |r: &str| ImageRef::parse(r).familiar_name().to_string();
    let repo = ImageRef::parse(image).name;
    let split: Vec<(&str, &str)> = repo_digests
        .iter()
        .filter_map(|d| d.split_once('@'))
        .collect();
    split
        .iter()
        .find(|(r, _)| familiar(r) == familiar(repo))
        .or(split.first())
        .map(|(_, d)| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::pick_digest;

    #[test]
    fn digests_of_the_image_repository_win() {
        let d = vec![
            "other/app@sha256:1".to_string(),
            "busybox@sha256:2".to_string(),
        ];
        assert_eq!(pick_digest("busybox:1.36", &d), Some("sha256:2".into()));
        assert_eq!(
            pick_digest("docker.io/library/busybox", &d),
            Some("sha256:2".into())
        );
        assert_eq!(pick_digest("nothere", &d), Some("sha256:1".into()));
        assert_eq!(pick_digest("x", &[]), None);
    }
}
