//! Image decisions for `up`/`create`/`build`/`pull`: per service, whether its image is built,
//! pulled, or used as it is, from its `pull_policy`, the command-line flags and whether (and
//! since when) the image exists locally. Pure: the clock is an argument.

use std::time::Duration;

use crate::model::{Project, Service};

/// A service's `pull_policy` (or `--pull`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    /// The default: pull (or build) only when the image is absent.
    Missing,
    Never,
    /// Always build.
    Build,
    /// Pull when the local image is older than this (`daily`, `weekly`, `every_<duration>`).
    Refresh(Duration),
}

impl PullPolicy {
    pub fn parse(s: &str) -> Result<PullPolicy, String> {
        Ok(match s {
            "always" => PullPolicy::Always,
            "missing" | "if_not_present" | "" => PullPolicy::Missing,
            "never" => PullPolicy::Never,
            "build" => PullPolicy::Build,
            "daily" => PullPolicy::Refresh(Duration::from_secs(24 * 3600)),
            "weekly" => PullPolicy::Refresh(Duration::from_secs(7 * 24 * 3600)),
            other => match other.strip_prefix("every_") {
                Some(d) => PullPolicy::Refresh(
                    humantime::parse_duration(d)
                        .map_err(|e| format!("invalid pull_policy {other:?}: {e}"))?,
                ),
                None => return Err(format!("invalid pull_policy {other:?}")),
            },
        })
    }
}

/// What to do about one service's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageAction {
    /// Use the local image (or none is needed).
    Keep,
    Pull,
    Build,
}

/// The local image, as observed.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalImage {
    pub present: bool,
    /// Creation time, seconds since the epoch.
    pub created: Option<i64>,
}

/// Command-line flags that override the files.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageFlags {
    /// `--pull POLICY`.
    pub pull: Option<PullPolicy>,
    /// `--build`: build every buildable service.
    pub build: bool,
    /// `--no-build`.
    pub no_build: bool,
}

/// Decides what to do about `service`'s image. `now` is seconds since the epoch.
pub fn image_action(
    service: &Service,
    local: LocalImage,
    flags: ImageFlags,
    now: i64,
) -> Result<ImageAction, String> {
    let buildable = service.build.is_some();
    let policy = match flags.pull {
        Some(p) => p,
        None => match &service.pull_policy {
            Some(p) => PullPolicy::parse(p)?,
            None => PullPolicy::Missing,
        },
    };
    let policy = if flags.build && buildable {
        PullPolicy::Build
    } else {
        policy
    };
    let name = &service.name;
    let build = || {
        if flags.no_build {
            if local.present {
                Ok(ImageAction::Keep)
            } else {
                Err(format!(
                    "service {name:?} has no image to run and --no-build forbids building it"
                ))
            }
        } else {
            Ok(ImageAction::Build)
        }
    };
    match policy {
        PullPolicy::Build if buildable => build(),
        PullPolicy::Build => Err(format!(
            "service {name:?} has pull_policy build but no build section"
        )),
        PullPolicy::Never if !local.present && !buildable => Err(format!(
            "service {name:?}: image {} is not present locally and pull_policy is never",
            service.image.as_deref().unwrap_or_default()
        )),
        PullPolicy::Never if !local.present => build(),
        PullPolicy::Never => Ok(ImageAction::Keep),
        PullPolicy::Always if service.image.is_some() => Ok(ImageAction::Pull),
        PullPolicy::Refresh(max_age) if service.image.is_some() && local.present => {
            let old = local
                .created
                .is_none_or(|c| now.saturating_sub(c) > max_age.as_secs() as i64);
            Ok(if old {
                ImageAction::Pull
            } else {
                ImageAction::Keep
            })
        }
        _ if local.present => Ok(ImageAction::Keep),
        // Absent: build what can be built (without trying a registry first), pull the rest.
        _ if buildable => build(),
        _ => Ok(ImageAction::Pull),
    }
}

/// The services to build for `build [SERVICE...]`: the named ones (all when none), plus their
/// dependencies with `--with-dependencies`, keeping only those with a `build:` section, in the
/// project's order.
pub fn services_to_build(
    project: &Project,
    named: &[String],
    with_dependencies: bool,
) -> Result<Vec<String>, String> {
    project.check_services(named).map_err(|e| e.message)?;
    let mut wanted: Vec<String> = named.to_vec();
    if with_dependencies {
        let mut i = 0;
        while i < wanted.len() {
            if let Some(s) = project.services.get(&wanted[i]) {
                for d in s.depends_on.keys() {
                    if !wanted.contains(d) {
                        wanted.push(d.clone());
                    }
                }
            }
            i += 1;
        }
    }
    Ok(project
        .services
        .values()
        .filter(|s| s.build.is_some())
        .filter(|s| named.is_empty() || wanted.contains(&s.name))
        .map(|s| s.name.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc(image: Option<&str>, build: bool, policy: Option<&str>) -> Service {
        Service {
            name: "web".into(),
            image: image.map(String::from),
            build: build.then(|| json!(".")),
            pull_policy: policy.map(String::from),
            ..Default::default()
        }
    }

    const PRESENT: LocalImage = LocalImage {
        present: true,
        created: Some(1_000),
    };
    const ABSENT: LocalImage = LocalImage {
        present: false,
        created: None,
    };

    fn act(s: &Service, l: LocalImage, f: ImageFlags) -> Result<ImageAction, String> {
        image_action(s, l, f, 1_000 + 3600)
    }

    #[test]
    fn missing_image_is_built_or_pulled() {
        let f = ImageFlags::default();
        assert_eq!(
            act(&svc(None, true, None), ABSENT, f),
            Ok(ImageAction::Build)
        );
        assert_eq!(
            act(&svc(Some("a"), true, None), ABSENT, f),
            Ok(ImageAction::Build)
        );
        assert_eq!(
            act(&svc(Some("a"), false, None), ABSENT, f),
            Ok(ImageAction::Pull)
        );
        assert_eq!(
            act(&svc(None, true, None), PRESENT, f),
            Ok(ImageAction::Keep)
        );
        assert_eq!(
            act(&svc(Some("a"), false, None), PRESENT, f),
            Ok(ImageAction::Keep)
        );
    }

    #[test]
    fn build_and_no_build_flags() {
        let build = ImageFlags {
            build: true,
            ..Default::default()
        };
        assert_eq!(
            act(&svc(None, true, None), PRESENT, build),
            Ok(ImageAction::Build)
        );
        assert_eq!(
            act(&svc(Some("a"), false, None), PRESENT, build),
            Ok(ImageAction::Keep)
        );
        let no_build = ImageFlags {
            no_build: true,
            ..Default::default()
        };
        assert_eq!(
            act(&svc(None, true, Some("build")), PRESENT, no_build),
            Ok(ImageAction::Keep)
        );
        assert!(act(&svc(None, true, None), ABSENT, no_build).is_err());
    }

    #[test]
    fn policies() {
        let f = ImageFlags::default();
        assert_eq!(
            act(&svc(Some("a"), false, Some("always")), PRESENT, f),
            Ok(ImageAction::Pull)
        );
        assert_eq!(
            act(&svc(Some("a"), false, Some("never")), PRESENT, f),
            Ok(ImageAction::Keep)
        );
        assert!(act(&svc(Some("a"), false, Some("never")), ABSENT, f).is_err());
        assert_eq!(
            act(&svc(Some("a"), true, Some("never")), ABSENT, f),
            Ok(ImageAction::Build)
        );
        assert_eq!(
            act(&svc(None, true, Some("build")), PRESENT, f),
            Ok(ImageAction::Build)
        );
        assert!(act(&svc(Some("a"), false, Some("build")), PRESENT, f).is_err());
        // The image is an hour old.
        assert_eq!(
            act(&svc(Some("a"), false, Some("daily")), PRESENT, f),
            Ok(ImageAction::Keep)
        );
        assert_eq!(
            act(&svc(Some("a"), false, Some("every_30m")), PRESENT, f),
            Ok(ImageAction::Pull)
        );
        assert_eq!(
            act(&svc(Some("a"), false, Some("weekly")), ABSENT, f),
            Ok(ImageAction::Pull)
        );
        assert!(act(&svc(Some("a"), false, Some("sometimes")), PRESENT, f).is_err());
        // --pull overrides the file.
        let pull_never = ImageFlags {
            pull: Some(PullPolicy::Never),
            ..Default::default()
        };
        assert_eq!(
            act(&svc(Some("a"), false, Some("always")), PRESENT, pull_never),
            Ok(ImageAction::Keep)
        );
    }

    #[test]
    fn parse_policies() {
        assert_eq!(
            PullPolicy::parse("daily"),
            Ok(PullPolicy::Refresh(Duration::from_secs(86400)))
        );
        assert_eq!(
            PullPolicy::parse("every_12h"),
            Ok(PullPolicy::Refresh(Duration::from_secs(12 * 3600)))
        );
        assert!(PullPolicy::parse("every_x").is_err());
    }
}
