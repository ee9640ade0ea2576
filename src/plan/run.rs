//! The one-off container of `run`: the service's create request ([`container_spec`]) adjusted
//! as compose adjusts it. Name `<project>-<service>-run-<12 hex>` (or `--name`), labels
//! `oneoff=True` and `slug=<64 hex>`, no container number, no restart policy, no ports unless
//! `-P` (or the ad-hoc `-p` ones), network aliases reduced to the container name unless
//! `--use-aliases`, and the command-line overrides (command, entrypoint, environment, user,
//! working directory, volumes, capabilities, labels, TTY and stdin).

use crate::model::short_syntax::{PortConfig, VolumeMount};
use crate::model::{Project, Service};

use super::observed::labels;
use super::spec::{ContainerSpec, container_spec};

/// `com.docker.compose.slug`: the random id of a one-off container.
pub const SLUG: &str = "com.docker.compose.slug";

/// What the `run` command line changes in the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneoffOptions {
    /// `--name`; None gives `<project>-<service>-run-<slug[..12]>`.
    pub name: Option<String>,
    /// 64 hex characters.
    pub slug: String,
    /// `CMD...` after the service; empty keeps the service's.
    pub command: Vec<String>,
    /// `--entrypoint`, already split into words; clears the command when none is given.
    pub entrypoint: Option<Vec<String>>,
    /// `-e`, resolved: overrides the service's environment.
    pub env: Vec<(String, String)>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `-l KEY=VALUE`.
    pub labels: Vec<(String, String)>,
    /// `-P`: keep the service's ports.
    pub service_ports: bool,
    /// `-p`: ad-hoc ports (only without `-P`).
    pub publish: Vec<PortConfig>,
    /// `-v`: mounts added to the service's.
    pub volumes: Vec<VolumeMount>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// Allocate a TTY (not `-T`).
    pub tty: bool,
    /// Keep stdin open (`-i`, the default).
    pub interactive: bool,
    /// `--use-aliases`: the service's network aliases too.
    pub use_aliases: bool,
    /// `HostConfig.AutoRemove`: the engine removes the container when it exits (`--rm`).
    pub auto_remove: bool,
}

/// The create request of a one-off container, plus what only one-off containers set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneoffSpec {
    pub container: ContainerSpec,
    /// `HostConfig.AutoRemove` (`--rm`).
    pub auto_remove: bool,
    /// `AttachStdin` and `StdinOnce`: stdin is attached and closed when the client closes it.
    pub attach_stdin: bool,
}

/// Name of a one-off container: `--name`, else `<project>-<service>-run-<12 hex of the slug>`.
pub fn oneoff_name(project: &Project, service: &str, opts: &OneoffOptions) -> String {
    match &opts.name {
        Some(n) => n.clone(),
        None => {
            let short: String = opts.slug.chars().take(12).collect();
            let sep = project.separator;
            format!("{}{sep}{service}{sep}run{sep}{short}", project.name)
        }
    }
}

/// The service as `run` changes it, before it is turned into a create request (its config
/// hash is computed on this copy, as compose does).
pub fn oneoff_service(service: &Service, opts: &OneoffOptions) -> Service {
    let mut s = service.clone();
    s.tty = opts.tty;
    s.stdin_open = opts.interactive;
    s.container_name = None;
    s.scale = Some(1);
    s.restart = None;
    if !opts.service_ports {
        s.ports = opts.publish.clone();
    }
    s.volumes.extend(opts.volumes.iter().cloned());
    if !opts.command.is_empty() {
        s.command = Some(opts.command.clone());
    }
    if let Some(user) = &opts.user {
        s.user = Some(user.clone());
    }
    if !opts.cap_add.is_empty() {
        s.cap_add.extend(opts.cap_add.iter().cloned());
        s.cap_drop.retain(|c| !opts.cap_add.contains(c));
    }
    if !opts.cap_drop.is_empty() {
        s.cap_drop.extend(opts.cap_drop.iter().cloned());
        s.cap_add.retain(|c| !opts.cap_drop.contains(c));
    }
    if let Some(dir) = &opts.workdir {
        s.working_dir = Some(dir.clone());
    }
    if let Some(ep) = &opts.entrypoint {
        s.entrypoint = Some(ep.clone());
        if opts.command.is_empty() {
            s.command = Some(Vec::new());
        }
    }
    for (k, v) in &opts.env {
        s.environment.insert(k.clone(), Some(v.clone()));
    }
    for (k, v) in &opts.labels {
        s.labels.insert(k.clone(), v.clone());
    }
    s
}

/// The create request for `run`'s one-off container of `service`.
pub fn oneoff_spec(
    project: &Project,
    service: &Service,
    opts: &OneoffOptions,
    image_id: Option<&str>,
) -> OneoffSpec {
    let s = oneoff_service(service, opts);
    let default_name = super::spec::container_name(project, &s, 1);
    let mut spec = container_spec(project, &s, 1, image_id);
    let name = oneoff_name(project, &service.name, opts);
    spec.name = name.clone();
    spec.labels.remove(labels::NUMBER);
    spec.labels.insert(labels::ONEOFF.into(), "True".into());
    spec.labels.insert(SLUG.into(), opts.slug.clone());
    spec.restart = None;
    for e in &mut spec.networks {
        // container_spec gives [replica name, service, aliases...]
        e.aliases.retain(|a| a != &default_name);
        if !opts.use_aliases {
            e.aliases.clear();
        }
        e.aliases.insert(0, name.clone());
    }
    OneoffSpec {
        container: spec,
        auto_remove: opts.auto_remove,
        attach_stdin: opts.interactive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoadOptions;
    use crate::model::load::load_with_stdin;
    use crate::model::short_syntax::{parse_port, parse_volume};

    fn project(yaml: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = LoadOptions {
            files: vec!["-".into()],
            cwd: dir.path().to_path_buf(),
            project_name: Some("p".into()),
            ..Default::default()
        };
        load_with_stdin(&opts, &mut || Ok(yaml.to_string())).expect("loads")
    }

    const WEB: &str = "
services:
  web:
    image: busybox
    command: [sleep, '60']
    container_name: fixed
    restart: always
    ports: ['8080:80']
    environment: {A: '1', B: '2'}
    labels: {team: x}
    cap_drop: [NET_RAW]
    networks:
      default:
        aliases: [www]
";

    fn opts() -> OneoffOptions {
        OneoffOptions {
            slug: "0123456789abcdef".repeat(4),
            interactive: true,
            ..Default::default()
        }
    }

    #[test]
    fn names_labels_and_no_restart_or_ports() {
        let p = project(WEB);
        let s = oneoff_spec(&p, &p.services["web"], &opts(), Some("sha256:x"));
        let c = &s.container;
        assert_eq!(c.name, "p-web-run-0123456789ab");
        assert_eq!(c.labels[labels::ONEOFF], "True");
        assert_eq!(c.labels[SLUG], "0123456789abcdef".repeat(4));
        assert_eq!(c.labels[labels::SERVICE], "web");
        assert_eq!(c.labels["team"], "x");
        assert!(!c.labels.contains_key(labels::NUMBER));
        assert!(c.labels.contains_key(labels::CONFIG_HASH));
        assert_eq!(c.restart, None);
        assert!(c.port_bindings.is_empty());
        assert!(c.exposed_ports.is_empty());
        assert_eq!(c.cmd, Some(vec!["sleep".to_string(), "60".to_string()]));
        assert_eq!(c.networks[0].network, "p_default");
        assert_eq!(c.networks[0].aliases, vec!["p-web-run-0123456789ab"]);
        assert!(s.attach_stdin);
        assert!(!s.auto_remove);
    }

    #[test]
    fn command_line_overrides() {
        let p = project(WEB);
        let o = OneoffOptions {
            name: Some("mine".into()),
            command: vec!["echo".into(), "hi".into()],
            env: vec![("B".into(), "3".into()), ("C".into(), "".into())],
            user: Some("1000".into()),
            workdir: Some("/tmp".into()),
            labels: vec![("team".into(), "y".into()), ("k".into(), "v".into())],
            publish: parse_port("127.0.0.1:9000:90").unwrap(),
            volumes: vec![parse_volume("/host:/data:ro").unwrap()],
            cap_add: vec!["NET_RAW".into()],
            tty: true,
            use_aliases: true,
            auto_remove: true,
            ..opts()
        };
        let s = oneoff_spec(&p, &p.services["web"], &o, None);
        let c = &s.container;
        assert_eq!(c.name, "mine");
        assert_eq!(c.cmd, Some(vec!["echo".to_string(), "hi".to_string()]));
        assert!(c.env.contains(&"A=1".to_string()));
        assert!(c.env.contains(&"B=3".to_string()));
        assert!(c.env.contains(&"C=".to_string()));
        assert_eq!(c.user.as_deref(), Some("1000"));
        assert_eq!(c.working_dir.as_deref(), Some("/tmp"));
        assert_eq!(c.labels["team"], "y");
        assert_eq!(c.labels["k"], "v");
        assert_eq!(
            c.port_bindings["90/tcp"],
            vec![(Some("127.0.0.1".to_string()), Some("9000".to_string()))]
        );
        assert!(c.binds.contains(&"/host:/data:ro".to_string()));
        assert_eq!(c.cap_add, vec!["NET_RAW"]);
        assert!(c.cap_drop.is_empty());
        assert!(c.tty);
        assert_eq!(c.networks[0].aliases, vec!["mine", "web", "www"]);
        assert!(s.auto_remove);
    }

    #[test]
    fn service_ports_and_entrypoint() {
        let p = project(WEB);
        let o = OneoffOptions {
            service_ports: true,
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            interactive: false,
            ..opts()
        };
        let s = oneoff_spec(&p, &p.services["web"], &o, None);
        let c = &s.container;
        assert_eq!(
            c.port_bindings["80/tcp"],
            vec![(None, Some("8080".to_string()))]
        );
        assert_eq!(
            c.entrypoint,
            Some(vec!["/bin/sh".to_string(), "-c".to_string()])
        );
        assert_eq!(c.cmd, Some(Vec::new()), "--entrypoint clears the command");
        assert!(!c.open_stdin);
        assert!(!s.attach_stdin);
    }

    #[test]
    fn hash_differs_from_the_service_container() {
        let p = project(WEB);
        let svc = container_spec(&p, &p.services["web"], 1, None);
        let one = oneoff_spec(&p, &p.services["web"], &opts(), None);
        assert_ne!(
            svc.labels[labels::CONFIG_HASH],
            one.container.labels[labels::CONFIG_HASH]
        );
    }
}
