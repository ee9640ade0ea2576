//! The environment variables rcompose reads, by name (compose's `COMPOSE_*`, the docker CLI's
//! `DOCKER_*`, rcompose's own `RCOMPOSE_*`), and compose's one reader for their boolean values.
//! Every stage takes its values from the environment it is handed; this module only names them.

/// Prefix of every compose setting (values from `.env` fill in those the process lacks).
pub const COMPOSE_PREFIX: &str = "COMPOSE_";
/// `--ansi`'s default.
pub const COMPOSE_ANSI: &str = "COMPOSE_ANSI";
/// `--compatibility`'s default: `_` as the name separator.
pub const COMPOSE_COMPATIBILITY: &str = "COMPOSE_COMPATIBILITY";
/// Set to a true value, no implicit `.env` is read.
pub const COMPOSE_DISABLE_ENV_FILE: &str = "COMPOSE_DISABLE_ENV_FILE";
/// `--env-file`'s default: a comma-separated list.
pub const COMPOSE_ENV_FILES: &str = "COMPOSE_ENV_FILES";
/// `-f`'s default, split at [`COMPOSE_PATH_SEPARATOR`].
pub const COMPOSE_FILE: &str = "COMPOSE_FILE";
/// Silences the orphan warning of `up` and `run`.
pub const COMPOSE_IGNORE_ORPHANS: &str = "COMPOSE_IGNORE_ORPHANS";
/// `up --menu`'s default.
pub const COMPOSE_MENU: &str = "COMPOSE_MENU";
/// The separator of [`COMPOSE_FILE`] (`:` by default; `;` on Windows).
pub const COMPOSE_PATH_SEPARATOR: &str = "COMPOSE_PATH_SEPARATOR";
/// `--profile`'s default: a comma-separated list.
pub const COMPOSE_PROFILES: &str = "COMPOSE_PROFILES";
/// `--progress`'s default.
pub const COMPOSE_PROGRESS: &str = "COMPOSE_PROGRESS";
/// `-p`'s default.
pub const COMPOSE_PROJECT_NAME: &str = "COMPOSE_PROJECT_NAME";
/// `--remove-orphans`'s default for up, create, run, down and kill.
pub const COMPOSE_REMOVE_ORPHANS: &str = "COMPOSE_REMOVE_ORPHANS";
/// Set to a false value, builds use the classic builder.
pub const DOCKER_BUILDKIT: &str = "DOCKER_BUILDKIT";
/// Set by the docker CLI when it runs rcompose as its `compose` plugin.
pub const DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: &str = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND";
/// Directory of the docker CLI's `config.json`, contexts and plugins (default `~/.docker`).
pub const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
/// The docker context to talk to.
pub const DOCKER_CONTEXT: &str = "DOCKER_CONTEXT";
/// The engine's address (`unix://…`, `tcp://…`, `ssh://…`).
pub const DOCKER_HOST: &str = "DOCKER_HOST";
/// Directory of the TLS client certificates.
pub const DOCKER_CERT_PATH: &str = "DOCKER_CERT_PATH";
/// Use TLS without verifying the engine.
pub const DOCKER_TLS: &str = "DOCKER_TLS";
/// Use TLS and verify the engine.
pub const DOCKER_TLS_VERIFY: &str = "DOCKER_TLS_VERIFY";
/// Extra `ssh` options for `ssh://` engines.
pub const RCOMPOSE_SSH_OPTS: &str = "RCOMPOSE_SSH_OPTS";
/// The helper image snapshots copy volumes with.
pub const RCOMPOSE_SNAPSHOT_IMAGE: &str = "RCOMPOSE_SNAPSHOT_IMAGE";

/// A boolean setting as compose reads it (`utils.StringToBool`): trimmed and lower-cased, `y`
/// and `yes` are true, then Go's `ParseBool` (`1`, `t`, `true`); anything else is false.
pub fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "1" | "t" | "true"
    )
}

/// Whether a setting looked up in the environment is set to a true value ([`truthy`]); unset is
/// false.
pub fn flag(value: Option<impl AsRef<str>>) -> bool {
    value.is_some_and(|v| truthy(v.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::truthy;

    #[test]
    fn booleans_read_as_compose_reads_them() {
        for yes in [
            "1", "t", "T", "true", "TRUE", "True", "y", "yes", "YES", " true ",
        ] {
            assert!(truthy(yes), "{yes:?}");
        }
        for no in ["", "0", "f", "false", "no", "on", "2", "enabled"] {
            assert!(!truthy(no), "{no:?}");
        }
    }
}
