//! Running as a docker CLI plugin (`~/.docker/cli-plugins/docker-compose`): the metadata the
//! docker CLI asks for, and the `compose` word it puts before the user's arguments.

use crate::settings;

/// The first argument the docker CLI passes when it probes a plugin.
pub const METADATA_ARG: &str = "docker-cli-plugin-metadata";

/// The JSON the docker CLI expects from `docker-compose docker-cli-plugin-metadata`.
pub fn metadata() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "rcompose",
        "Version": format!("v{}", crate::plan::spec::COMPOSE_VERSION),
        "ShortDescription": "Docker Compose (rcompose)",
    })
    .to_string()
}

/// The arguments to parse: when the docker CLI runs us as a plugin it passes the plugin name
/// (`compose`) as the first argument; it is dropped so `docker compose up` parses as `up`.
/// The word is only dropped when our executable is named like a plugin (`docker-compose`), so
/// a project that has a service called `compose` still works with `rcompose`.
pub fn plugin_args(args: Vec<String>) -> Vec<String> {
    let invoked_as_plugin = args.first().is_some_and(|a| named_like_a_plugin(a));
    if (invoked_as_plugin
        || std::env::var_os(settings::DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND).is_some())
        && args.get(1).map(String::as_str) == Some("compose")
    {
        let mut rest = args;
        rest.remove(1);
        return rest;
    }
    args
}

/// How the user invoked us, for the command lines error messages suggest: `docker compose`
/// when the docker CLI runs us as its plugin, else the executable's file name.
pub fn program_name(args: &[String]) -> String {
    let exe = args.first().map(String::as_str).unwrap_or("rcompose");
    if plugin_args(args.to_vec()).len() < args.len() {
        return "docker compose".into();
    }
    std::path::Path::new(exe)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("rcompose")
        .to_string()
}

/// True when the executable is named like a docker CLI plugin (`docker-compose`): then it
/// behaves as compose does, down to `--version` printing compose's version line.
pub fn named_like_a_plugin(exe: &str) -> bool {
    std::path::Path::new(exe)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("docker-"))
}

/// True when this process was started under a plugin name (see [`named_like_a_plugin`]).
pub fn running_as_plugin() -> bool {
    std::env::args()
        .next()
        .is_some_and(|a| named_like_a_plugin(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn strips_compose_when_installed_as_plugin() {
        assert_eq!(
            plugin_args(v(&[
                "/home/u/.docker/cli-plugins/docker-compose",
                "compose",
                "up"
            ])),
            v(&["/home/u/.docker/cli-plugins/docker-compose", "up"])
        );
    }

    #[test]
    fn keeps_arguments_when_standalone() {
        if std::env::var_os("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND").is_some() {
            return;
        }
        assert_eq!(
            plugin_args(v(&["rcompose", "compose", "up"])),
            v(&["rcompose", "compose", "up"])
        );
        assert_eq!(
            plugin_args(v(&["docker-compose", "ps"])),
            v(&["docker-compose", "ps"])
        );
    }

    #[test]
    fn metadata_has_the_schema_keys() {
        let m: serde_json::Value = serde_json::from_str(&metadata()).unwrap();
        assert_eq!(m["SchemaVersion"], "0.1.0");
        assert_eq!(m["Vendor"], "rcompose");
        assert!(m["Version"].as_str().unwrap().starts_with('v'));
        assert!(!m["ShortDescription"].as_str().unwrap().is_empty());
    }
}
