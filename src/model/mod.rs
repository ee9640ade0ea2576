//! The compose-file model: files in, a typed, validated [`Project`] out.
//!
//! Stages, in the order [`load::load`] runs them: discover files and the project directory, read
//! `.env`, parse YAML ([`yaml`]), interpolate ([`interpolate`]), merge several files ([`merge`]),
//! turn the tree into typed services, networks and volumes ([`service`], [`resources`]),
//! apply profiles and service selection, and check references and the dependency graph
//! ([`graph`]). Nothing here talks to the engine; the only I/O is reading the files named by the
//! user, and the process environment is handed in as data.

pub mod build;
pub mod canonical;
pub mod dotenv;
pub mod error;
pub mod extends;
pub mod graph;
pub mod hash;
pub mod host;
pub mod image;
pub mod include;
pub mod interpolate;
pub mod load;
pub mod merge;
pub mod paths;
pub mod registry_auth;
pub mod resources;
pub mod service;
pub mod short_syntax;
pub mod validate;
pub mod yaml;

use std::path::PathBuf;

use indexmap::IndexMap;

pub use error::LoadError;
pub use graph::DependencyGraph;
pub use load::{LoadOptions, load};
pub use resources::{Network, Volume};
pub use service::Service;

/// A loaded compose project: everything `up` needs to know, nothing about the engine.
#[derive(Debug, Clone)]
pub struct Project {
    /// Normalized project name (`[a-z0-9][a-z0-9_-]*`).
    pub name: String,
    /// Joins project, service and number in container and image names: `-`, or `_` with
    /// `--compatibility` / COMPOSE_COMPATIBILITY.
    pub separator: &'static str,
    /// Absolute project directory: base of relative paths.
    pub working_dir: PathBuf,
    /// Absolute paths of the compose files, in merge order.
    pub config_files: Vec<PathBuf>,
    /// Absolute paths of the env files given with `--env-file` (empty when the default `.env`).
    pub env_files: Vec<PathBuf>,
    /// Enabled services, in file order.
    pub services: IndexMap<String, Service>,
    /// Services present in the files but disabled by profiles or by the service selection.
    pub disabled_services: IndexMap<String, Service>,
    /// Networks used by enabled services (plus the implicit `default` when used).
    pub networks: IndexMap<String, Network>,
    /// Volumes declared at top level and used by enabled services.
    pub volumes: IndexMap<String, Volume>,
    /// Dependency order of the enabled services.
    pub graph: DependencyGraph,
    /// Warnings found while loading (unset variables, obsolete keys), to print on stderr.
    pub warnings: Vec<String>,
    /// The project as `docker compose config` prints it (enabled services only), laid out for
    /// YAML; see [`canonical`].
    /// Null when the loader was asked to skip it (every command but `config`).
    pub canonical: serde_json::Value,
    /// The environment the files were interpolated with: the process environment over the
    /// env files. Bare build args and `environment:` secrets read it.
    pub environment: IndexMap<String, String>,
    /// Top-level secrets the enabled services use, by key.
    pub secrets: IndexMap<String, host::FileSource>,
    /// Top-level configs the enabled services use, by key.
    pub configs: IndexMap<String, host::FileSource>,
}

impl Project {
    /// Names of every service in the files, enabled or not.
    pub fn all_service_names(&self) -> impl Iterator<Item = &str> {
        self.services
            .keys()
            .chain(self.disabled_services.keys())
            .map(String::as_str)
    }

    /// Fails with [`LoadError::no_such_service`] for the first of `names` the project does not
    /// define (enabled or not).
    pub fn check_services(&self, names: &[String]) -> Result<(), LoadError> {
        match names
            .iter()
            .find(|n| !self.all_service_names().any(|k| k == n.as_str()))
        {
            Some(n) => Err(LoadError::no_such_service(n, self.all_service_names())),
            None => Ok(()),
        }
    }
}

/// Lowercases and strips a name down to compose's project-name alphabet.
pub fn normalize_project_name(name: &str) -> String {
    let lowered: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lowered.trim_start_matches(['_', '-']).to_string()
}

/// True when `name` is already a valid project name (what `-p` must be).
pub fn is_valid_project_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        assert_eq!(normalize_project_name("My App.v2"), "myappv2");
        assert_eq!(normalize_project_name("__-x"), "x");
        assert!(is_valid_project_name("a_b-1"));
        assert!(!is_valid_project_name("_a"));
        assert!(!is_valid_project_name("Ab"));
        assert!(!is_valid_project_name(""));
    }
}
