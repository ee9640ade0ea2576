//! The engine-neutral description of a container, network or volume to create: a service of the
//! model turned into names, labels, environment lines, port bindings and mounts, exactly as the
//! engine will be asked for them. `engine/` only translates these into API structs.

use std::collections::BTreeMap;

use crate::model::host::{FileSource, HostOptions};
use crate::model::service::Healthcheck;
use crate::model::short_syntax::MountKind;
use crate::model::{Network, Project, Service, Volume, hash};

use super::observed::labels;

/// The Docker Compose release whose behaviour rcompose implements. `version` prints it (clients
/// such as python-on-whales and the Dev Containers CLI gate features on it) and it goes into the
/// `com.docker.compose.version` label, as compose writes its own version there.
pub const COMPOSE_VERSION: &str = "2.40.3";

/// rcompose's own version (`rcompose --version`, and after the compose version in `version`).
pub const RCOMPOSE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Largest service configuration stored in the `io.rcompose.config` label.
pub const MAX_CONFIG_LABEL: usize = 32 * 1024;

/// One mount that cannot be expressed as a legacy bind string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    pub nocopy: bool,
}

/// One network attachment; the first of a container's list is its primary network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSpec {
    /// Engine name of the network.
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// A host port binding: `container_port/proto` → (host ip, host port).
pub type PortBindings = BTreeMap<String, Vec<(Option<String>, Option<String>)>>;

/// Everything needed to create one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=VALUE`, or bare `KEY` to leave it unset.
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub tty: bool,
    pub open_stdin: bool,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<i64>,
    pub healthcheck: Option<Healthcheck>,
    /// `80/tcp` for every published and exposed port.
    pub exposed_ports: Vec<String>,
    pub port_bindings: PortBindings,
    /// Legacy bind strings `source:target:mode` for binds and named volumes.
    pub binds: Vec<String>,
    pub mounts: Vec<MountSpec>,
    pub tmpfs: BTreeMap<String, String>,
    /// Restart policy name and maximum retry count.
    pub restart: Option<(String, i64)>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub read_only: bool,
    pub init: Option<bool>,
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub security_opt: Vec<String>,
    pub sysctls: BTreeMap<String, String>,
    pub shm_size: Option<i64>,
    pub memory: Option<i64>,
    pub platform: Option<String>,
    /// `HostConfig.NetworkMode`: the primary network's name, or the service's `network_mode`.
    pub network_mode: String,
    /// Network attachments; empty with a `network_mode`.
    pub networks: Vec<EndpointSpec>,
    /// Limits, namespaces, devices, logging...; `volumes_from` and `links` name containers.
    pub host: HostOptions,
    /// Files written into the container after it is created (secrets and configs whose
    /// content is not a host file).
    pub copies: Vec<FileCopy>,
}

/// A file written into a container before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// Absolute path in the container.
    pub target: String,
    pub content: String,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

/// Container name of replica `number` of `service`.
pub fn container_name(project: &Project, service: &Service, number: u32) -> String {
    match &service.container_name {
        Some(n) => n.clone(),
        None => {
            let sep = project.separator;
            format!("{}{sep}{}{sep}{number}", project.name, service.name)
        }
    }
}

/// Labels every compose container of this project carries.
pub fn project_labels(project: &Project) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(labels::PROJECT.into(), project.name.clone());
    l.insert(
        labels::WORKING_DIR.into(),
        project.working_dir.to_string_lossy().into_owned(),
    );
    l.insert(
        labels::CONFIG_FILES.into(),
        project
            .config_files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(","),
    );
    if !project.env_files.is_empty() {
        l.insert(
            labels::ENV_FILE.into(),
            project
                .env_files
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    l.insert(labels::VERSION.into(), COMPOSE_VERSION.into());
    l
}

/// The `com.docker.compose.depends_on` label value.
pub fn depends_on_label(service: &Service) -> String {
    service
        .depends_on
        .iter()
        .map(|(d, dep)| format!("{d}:{}:{}", dep.condition.as_str(), dep.restart))
        .collect::<Vec<_>>()
        .join(",")
}

/// Builds the create request for replica `number` of `service`. `image_id` is the local id of
/// its image when known (recorded in a label so a rebuilt image causes a recreate).
pub fn container_spec(
    project: &Project,
    service: &Service,
    number: u32,
    image_id: Option<&str>,
) -> ContainerSpec {
    let name = container_name(project, service, number);
    // User labels first; compose labels win.
    let mut l: BTreeMap<String, String> = service.labels.clone();
    l.extend(project_labels(project));
    l.insert(labels::SERVICE.into(), service.name.clone());
    l.insert(labels::NUMBER.into(), number.to_string());
    l.insert(labels::ONEOFF.into(), "False".into());
    l.insert(labels::CONFIG_HASH.into(), hash::service_hash(service));
    let config = hash::service_config_json(service);
    // Labels are stored with the container; keep them small (the diff falls back to a coarse
    // reason without it).
    if config.len() <= MAX_CONFIG_LABEL {
        l.insert(labels::CONFIG.into(), config);
    }
    l.insert(labels::DEPENDS_ON.into(), depends_on_label(service));
    if let Some(id) = image_id {
        l.insert(labels::IMAGE.into(), id.to_string());
    }

    let env = service
        .environment
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect();

    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: PortBindings = BTreeMap::new();
    for p in &service.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_default()
            .push((p.host_ip.clone(), p.published.clone()));
    }
    for e in &service.expose {
        let (range, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.parse::<u16>().ok(), b.parse::<u16>().ok()),
            None => (range.parse().ok(), range.parse().ok()),
        };
        if let (Some(lo), Some(hi)) = (lo, hi) {
            for port in lo..=hi {
                let key = format!("{port}/{proto}");
                if !exposed.contains(&key) {
                    exposed.push(key);
                }
            }
        }
    }

    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    for m in &service.volumes {
        let mode = if m.read_only { "ro" } else { "rw" };
        match (m.kind, &m.source) {
            (MountKind::Bind, Some(src)) if m.create_host_path => {
                let mut opts = vec![mode.to_string()];
                opts.extend(m.options.iter().cloned());
                binds.push(format!("{src}:{}:{}", m.target, opts.join(",")));
            }
            (MountKind::Volume, Some(key)) if !m.nocopy => {
                let vol = project
                    .volumes
                    .get(key)
                    .map(|v| v.name.clone())
                    .unwrap_or_else(|| key.clone());
                let mut opts = vec![mode.to_string()];
                opts.extend(m.options.iter().cloned());
                binds.push(format!("{vol}:{}:{}", m.target, opts.join(",")));
            }
            (kind, source) => {
                let source = match (kind, source) {
                    (MountKind::Volume, Some(key)) => Some(
                        project
                            .volumes
                            .get(key)
                            .map(|v| v.name.clone())
                            .unwrap_or_else(|| key.clone()),
                    ),
                    (_, s) => s.clone(),
                };
                mounts.push(MountSpec {
                    kind,
                    source,
                    target: m.target.clone(),
                    read_only: m.read_only,
                    nocopy: m.nocopy,
                })
            }
        }
    }
    let tmpfs = service
        .tmpfs
        .iter()
        .map(|t| match t.split_once(':') {
            Some((p, o)) => (p.to_string(), o.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect();

    let restart = service.restart.as_ref().map(|r| match r.split_once(':') {
        Some((n, max)) => (n.to_string(), max.parse().unwrap_or(0)),
        None => (r.clone(), 0),
    });

    let mut endpoints: Vec<(i64, EndpointSpec)> = service
        .networks
        .iter()
        .map(|(key, sn)| {
            let network = project
                .networks
                .get(key)
                .map(|n| n.name.clone())
                .unwrap_or_else(|| format!("{}_{key}", project.name));
            let mut aliases = vec![name.clone(), service.name.clone()];
            for a in &sn.aliases {
                if !aliases.contains(a) {
                    aliases.push(a.clone());
                }
            }
            let endpoint = EndpointSpec {
                network,
                aliases,
                ipv4_address: sn.ipv4_address.clone(),
                ipv6_address: sn.ipv6_address.clone(),
            };
            (sn.priority.unwrap_or(0), endpoint)
        })
        .collect();
    // Highest priority first, then by network name, as compose orders them.
    endpoints.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.network.cmp(&b.1.network)));
    let networks: Vec<EndpointSpec> = endpoints.into_iter().map(|(_, e)| e).collect();
    let network_mode = match &service.network_mode {
        // Join the namespace of the other service's first container.
        Some(m) if m.starts_with("service:") => {
            let target = &m["service:".len()..];
            let joined = match project.services.get(target) {
                Some(t) => container_name(project, t, 1),
                None => format!("{}-{target}-1", project.name),
            };
            format!("container:{joined}")
        }
        Some(m) => m.clone(),
        None => networks
            .first()
            .map(|e| e.network.clone())
            .unwrap_or_else(|| "none".into()),
    };

    let mut host = service.host.clone();
    host.volumes_from = service
        .host
        .volumes_from
        .iter()
        .map(|v| match v.strip_prefix("container:") {
            Some(c) => c.to_string(),
            None => {
                let (svc, mode) = match v.split_once(':') {
                    Some((s, m)) => (s, Some(m)),
                    None => (v.as_str(), None),
                };
                let c = first_container(project, svc);
                match mode {
                    Some(m) => format!("{c}:{m}"),
                    None => c,
                }
            }
        })
        .collect();
    host.links = service
        .host
        .links
        .iter()
        .map(|l| {
            let (svc, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
            format!("{}:{alias}", first_container(project, svc))
        })
        .chain(
            service
                .host
                .external_links
                .iter()
                .map(|l| match l.split_once(':') {
                    Some(_) => l.clone(),
                    None => format!("{l}:{l}"),
                }),
        )
        .collect();
    host.external_links = Vec::new();
    let mut copies = Vec::new();
    for (kind, refs, sources) in [
        ("secrets", &service.host.secrets, &project.secrets),
        ("configs", &service.host.configs, &project.configs),
    ] {
        for r in refs {
            let target = file_target(kind, &r.target);
            match sources.get(&r.source) {
                Some(FileSource::File(path)) => binds.push(format!("{path}:{target}:ro")),
                Some(FileSource::Environment(content) | FileSource::Content(content)) => copies
                    .push(FileCopy {
                        target,
                        content: content.clone(),
                        mode: r.mode.unwrap_or(0o444),
                        uid: r.uid.as_deref().and_then(|u| u.parse().ok()).unwrap_or(0),
                        gid: r.gid.as_deref().and_then(|g| g.parse().ok()).unwrap_or(0),
                    }),
                // External ones are refused by `plan_up`; undeclared ones by the loader.
                Some(FileSource::External(_)) | None => {}
            }
        }
    }
    host.secrets = Vec::new();
    host.configs = Vec::new();

    ContainerSpec {
        name,
        image: service.image_name(project),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        env,
        labels: l,
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        tty: service.tty,
        open_stdin: service.stdin_open,
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service.stop_grace_period.map(|s| s as i64),
        healthcheck: service.healthcheck.clone(),
        exposed_ports: exposed,
        port_bindings: bindings,
        binds,
        mounts,
        tmpfs,
        restart,
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        privileged: service.privileged,
        read_only: service.read_only,
        init: service.init,
        extra_hosts: service.extra_hosts.clone(),
        dns: service.dns.clone(),
        security_opt: service.security_opt.clone(),
        sysctls: service.sysctls.clone(),
        shm_size: service.shm_size.map(|s| s as i64),
        memory: service.mem_limit.map(|s| s as i64),
        platform: service.platform.clone(),
        network_mode,
        networks,
        host,
        copies,
    }
}

/// Where a secret or config goes in the container: relative targets are under
/// `/run/secrets` (secrets) or `/` (configs).
fn file_target(kind: &str, target: &str) -> String {
    if target.starts_with('/') {
        target.to_string()
    } else if kind == "secrets" {
        format!("/run/secrets/{target}")
    } else {
        format!("/{target}")
    }
}

/// The first container of service `target` (for `volumes_from` and `links`).
fn first_container(project: &Project, target: &str) -> String {
    match project.services.get(target) {
        Some(t) => container_name(project, t, 1),
        None => format!("{}-{target}-1", project.name),
    }
}

/// Everything needed to create a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: bool,
    pub ipam: Option<crate::model::resources::Ipam>,
    pub labels: BTreeMap<String, String>,
}

/// The create request for network `key`.
pub fn network_spec(project: &str, key: &str, n: &Network) -> NetworkSpec {
    let mut l = n.labels.clone();
    l.insert(labels::PROJECT.into(), project.into());
    l.insert(labels::NETWORK.into(), key.into());
    l.insert(labels::VERSION.into(), COMPOSE_VERSION.into());
    l.insert(labels::CONFIG_HASH.into(), hash::network_hash(n));
    NetworkSpec {
        name: n.name.clone(),
        driver: n.driver.clone(),
        driver_opts: n.driver_opts.clone(),
        internal: n.internal,
        attachable: n.attachable,
        enable_ipv6: n.enable_ipv6,
        ipam: n.ipam.clone(),
        labels: l,
    }
}

/// Everything needed to create a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

/// The create request for volume `key`.
pub fn volume_spec(project: &str, key: &str, v: &Volume) -> VolumeSpec {
    let mut l = v.labels.clone();
    l.insert(labels::PROJECT.into(), project.into());
    l.insert(labels::VOLUME.into(), key.into());
    l.insert(labels::VERSION.into(), COMPOSE_VERSION.into());
    l.insert(labels::CONFIG_HASH.into(), hash::volume_hash(v));
    VolumeSpec {
        name: v.name.clone(),
        driver: v.driver.clone(),
        driver_opts: v.driver_opts.clone(),
        labels: l,
    }
}

/// Engine names of the project volumes `s` mounts, in mount order.
pub fn named_volumes(project: &Project, s: &Service) -> Vec<String> {
    s.volumes
        .iter()
        .filter(|m| m.kind == MountKind::Volume)
        .filter_map(|m| m.source.as_ref())
        .filter_map(|key| project.volumes.get(key))
        .map(|v| v.name.clone())
        .collect()
}
