//! Planner specs → bollard request bodies. Pure translation, no calls.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigCgroupnsModeEnum, HostConfigLogConfig, Mount, MountType,
    MountVolumeOptions, NetworkCreateRequest, NetworkingConfig, PortBinding, ResourcesUlimits,
    RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};

use crate::model::host::HostOptions;
use crate::model::short_syntax::MountKind;
use crate::plan::spec::{ContainerSpec, EndpointSpec, NetworkSpec, VolumeSpec};

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    if v.is_empty() { None } else { Some(v) }
}

/// Endpoint settings for one network attachment.
pub fn endpoint(e: &EndpointSpec) -> EndpointSettings {
    let ipam = (e.ipv4_address.is_some() || e.ipv6_address.is_some()).then(|| EndpointIpamConfig {
        ipv4_address: e.ipv4_address.clone(),
        ipv6_address: e.ipv6_address.clone(),
        ..Default::default()
    });
    EndpointSettings {
        aliases: non_empty(e.aliases.clone()),
        ipam_config: ipam,
        ..Default::default()
    }
}

/// The create body. Only the primary network is attached at create (API 1.41 takes one); the
/// executor connects the others before start.
pub fn container_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let port_bindings: HashMap<String, Option<Vec<PortBinding>>> = spec
        .port_bindings
        .iter()
        .map(|(k, v)| {
            let b = v
                .iter()
                .map(|(ip, port)| PortBinding {
                    host_ip: ip.clone(),
                    host_port: port.clone(),
                })
                .collect();
            (k.clone(), Some(b))
        })
        .collect();
    let mounts: Vec<Mount> = spec
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            typ: Some(match m.kind {
                MountKind::Bind => MountType::BIND,
                MountKind::Volume => MountType::VOLUME,
                MountKind::Tmpfs => MountType::TMPFS,
                MountKind::Image => MountType::IMAGE,
                MountKind::Npipe => MountType::NPIPE,
                MountKind::Cluster => MountType::CLUSTER,
            }),
            read_only: Some(m.read_only),
            volume_options: m.nocopy.then(|| MountVolumeOptions {
                no_copy: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let restart_policy = spec.restart.as_ref().map(|(name, max)| RestartPolicy {
        name: Some(match name.as_str() {
            "always" => RestartPolicyNameEnum::ALWAYS,
            "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
            "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
            _ => RestartPolicyNameEnum::NO,
        }),
        maximum_retry_count: (*max > 0).then_some(*max),
    });
    let host_config = HostConfig {
        binds: non_empty(spec.binds.clone()),
        mounts: non_empty(mounts),
        // Compose (like `docker create`) always sends a port map, `{}` when nothing is
        // published, and clients read `HostConfig.PortBindings` as an object.
        port_bindings: Some(port_bindings),
        restart_policy,
        cap_add: non_empty(spec.cap_add.clone()),
        cap_drop: non_empty(spec.cap_drop.clone()),
        privileged: spec.privileged.then_some(true),
        readonly_rootfs: spec.read_only.then_some(true),
        init: spec.init,
        // Compose sends its (possibly empty) host list as it is: `[]`, not `null`.
        extra_hosts: Some(spec.extra_hosts.clone()),
        dns: non_empty(spec.dns.clone()),
        security_opt: non_empty(spec.security_opt.clone()),
        // Compose always sends its tmpfs map, `{}` when empty.
        tmpfs: Some(
            spec.tmpfs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        sysctls: (!spec.sysctls.is_empty()).then(|| {
            spec.sysctls
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }),
        shm_size: spec.shm_size,
        memory: spec.memory,
        network_mode: Some(spec.network_mode.clone()),
        ..Default::default()
    };
    let host_config = with_host_options(host_config, &spec.host);
    // The MAC address belongs to the primary endpoint (API 1.44; older engines ignore it).
    let networking_config = spec.networks.first().map(|e| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            e.network.clone(),
            EndpointSettings {
                mac_address: spec.host.mac_address.clone(),
                // On a user-defined network the engine takes links per endpoint.
                links: non_empty(spec.host.links.clone()),
                ..endpoint(e)
            },
        )])),
    });
    let healthcheck = spec.healthcheck.as_ref().map(|h| HealthConfig {
        test: non_empty(h.test.clone()),
        interval: h.interval,
        timeout: h.timeout,
        retries: h.retries,
        start_period: h.start_period,
        start_interval: h.start_interval,
    });
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.cmd.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: non_empty(spec.env.clone()),
        labels: Some(
            spec.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        tty: Some(spec.tty),
        open_stdin: Some(spec.open_stdin),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        stop_signal: spec.stop_signal.clone(),
        // Docker's default grace period, sent explicitly: Podman's API takes a missing one
        // as zero and kills the container at once on stop.
        stop_timeout: Some(spec.stop_timeout.unwrap_or(10)),
        healthcheck,
        // Compose always sends its port set, `{}` when nothing is exposed.
        exposed_ports: Some(spec.exposed_ports.clone()),
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    }
}

/// Adds the pass-through settings of `h` to a host config.
fn with_host_options(c: HostConfig, h: &HostOptions) -> HostConfig {
    let map = |m: &std::collections::BTreeMap<String, String>| -> Option<HashMap<String, String>> {
        (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    HostConfig {
        nano_cpus: h.cpus,
        cpu_shares: h.cpu_shares,
        cpu_period: h.cpu_period,
        cpu_quota: h.cpu_quota,
        cpu_realtime_period: h.cpu_rt_period,
        cpu_realtime_runtime: h.cpu_rt_runtime,
        cpuset_cpus: h.cpuset.clone(),
        memory_reservation: h.mem_reservation.map(|m| m as i64),
        memory_swap: h.memswap_limit,
        memory_swappiness: h.mem_swappiness,
        pids_limit: h.pids_limit,
        oom_score_adj: h.oom_score_adj,
        oom_kill_disable: h.oom_kill_disable,
        ulimits: non_empty(
            h.ulimits
                .iter()
                .map(|(name, (soft, hard))| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(*soft),
                    hard: Some(*hard),
                })
                .collect(),
        ),
        dns_options: non_empty(h.dns_opt.clone()),
        dns_search: non_empty(h.dns_search.clone()),
        group_add: non_empty(h.group_add.clone()),
        ipc_mode: h.ipc.clone(),
        pid_mode: h.pid.clone(),
        uts_mode: h.uts.clone(),
        userns_mode: h.userns_mode.clone(),
        cgroupns_mode: h.cgroup.as_deref().map(|m| match m {
            "host" => HostConfigCgroupnsModeEnum::HOST,
            _ => HostConfigCgroupnsModeEnum::PRIVATE,
        }),
        cgroup_parent: h.cgroup_parent.clone(),
        runtime: h.runtime.clone(),
        devices: non_empty(
            h.devices
                .iter()
                .map(|d| DeviceMapping {
                    path_on_host: Some(d.source.clone()),
                    path_in_container: Some(d.target.clone()),
                    cgroup_permissions: Some(d.permissions.clone()),
                })
                .collect(),
        ),
        device_cgroup_rules: non_empty(h.device_cgroup_rules.clone()),
        storage_opt: map(&h.storage_opt),
        log_config: h.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: map(&l.options),
        }),
        volumes_from: non_empty(h.volumes_from.clone()),
        // Legacy links on the default bridge; user-defined networks get them per endpoint.
        links: match c.network_mode.as_deref() {
            Some("bridge" | "default") => non_empty(h.links.clone()),
            _ => None,
        },
        ..c
    }
}

/// The network create body.
pub fn network_body(spec: &NetworkSpec) -> NetworkCreateRequest {
    NetworkCreateRequest {
        name: spec.name.clone(),
        driver: spec.driver.clone(),
        internal: Some(spec.internal),
        attachable: Some(spec.attachable),
        enable_ipv6: spec.enable_ipv6.then_some(true),
        ipam: spec.ipam.as_ref().map(|i| bollard::models::Ipam {
            driver: i.driver.clone(),
            config: Some(
                i.config
                    .iter()
                    .map(|c| bollard::models::IpamConfig {
                        subnet: c.subnet.clone(),
                        ip_range: c.ip_range.clone(),
                        gateway: c.gateway.clone(),
                        auxiliary_addresses: (!c.aux_addresses.is_empty()).then(|| {
                            c.aux_addresses
                                .iter()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect()
                        }),
                    })
                    .collect(),
            ),
            options: (!i.options.is_empty()).then(|| {
                i.options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        }),
        options: Some(
            spec.driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        labels: Some(
            spec.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        ..Default::default()
    }
}

/// The volume create body.
pub fn volume_body(spec: &VolumeSpec) -> VolumeCreateRequest {
    VolumeCreateRequest {
        name: Some(spec.name.clone()),
        driver: spec.driver.clone(),
        driver_opts: Some(
            spec.driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        labels: Some(
            spec.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The empty maps and lists compose sends as `{}`/`[]` (its other unset slices are
    /// `null`, as ours).
    #[test]
    fn empty_maps_and_lists_as_compose_sends_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = crate::model::load::LoadOptions {
            files: vec!["-".into()],
            cwd: dir.path().to_path_buf(),
            project_name: Some("p".into()),
            ..Default::default()
        };
        let yaml = "services:\n  a:\n    image: busybox\n";
        let project = crate::model::load::load_with_stdin(&opts, &mut || Ok(yaml.to_string()))
            .expect("loads");
        let service = project.services.values().next().expect("a service");
        let spec = crate::plan::spec::container_spec(&project, service, 1, None);
        let body = serde_json::to_value(container_body(&spec)).unwrap();
        let host = &body["HostConfig"];
        assert_eq!(host["PortBindings"], serde_json::json!({}));
        assert_eq!(host["ExtraHosts"], serde_json::json!([]));
        assert_eq!(host["Tmpfs"], serde_json::json!({}));
        assert_eq!(body["ExposedPorts"], serde_json::json!({}));
        for unset in [
            "Dns",
            "DnsSearch",
            "DnsOptions",
            "CapAdd",
            "Sysctls",
            "Ulimits",
            "Devices",
        ] {
            assert!(host.get(unset).is_none_or(|d| d.is_null()), "{unset}");
        }
    }
}
