//! Parsers for compose's short string syntaxes: ports, volumes, durations and byte sizes.
//!
//! Each returns the long form the rest of the model uses, or an error message that the caller
//! places at the key path it came from. Pure functions over strings.

use std::time::Duration;

use serde::Serialize;

/// One published or exposed port, long form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortConfig {
    pub target: u16,
    /// Host port or range (`8080`, `8000-8010`); None lets the engine choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    pub protocol: String,
    pub mode: String,
}

/// Parses `[ip:][host:]container[/proto]`, with ranges, into one entry per container port.
pub fn parse_port(spec: &str) -> Result<Vec<PortConfig>, String> {
    let invalid = |why: &str| format!("invalid port {spec:?}: {why}");
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(invalid(&format!("unknown protocol {protocol:?}")));
    }
    // An IPv6 host address is bracketed: [::1]:8080:80
    let (host_ip, rest) = if let Some(r) = rest.strip_prefix('[') {
        let (ip, after) = r
            .split_once(']')
            .ok_or_else(|| invalid("unterminated '['"))?;
        let after = after
            .strip_prefix(':')
            .ok_or_else(|| invalid("expected ':' after the IPv6 address"))?;
        (Some(ip.to_string()), after)
    } else {
        (None, rest)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, published, container) = match (host_ip, parts.as_slice()) {
        (None, [c]) => (None, None, *c),
        (None, [h, c]) => (None, Some(*h), *c),
        (None, [ip, h, c]) => (Some(ip.to_string()), Some(*h), *c),
        (Some(ip), [h, c]) => (Some(ip), Some(*h), *c),
        (Some(ip), [c]) => (Some(ip), None, *c),
        _ => return Err(invalid("too many colons")),
    };
    let published = published.filter(|p| !p.is_empty());
    let (c_lo, c_hi) = parse_range(container).map_err(|e| invalid(&e))?;
    let host = match published {
        Some(p) => Some(parse_range(p).map_err(|e| invalid(&e))?),
        None => None,
    };
    if let Some(ip) = &host_ip
        && !ip.is_empty()
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(invalid(&format!("{ip:?} is not an IP address")));
    }
    let host_ip = host_ip.filter(|ip| !ip.is_empty());
    let count = u32::from(c_hi - c_lo) + 1;
    let mut out = Vec::new();
    for i in 0..count {
        let target = c_lo + i as u16;
        let published = match host {
            None => None,
            Some((h_lo, h_hi)) if h_lo == h_hi => Some(h_lo.to_string()),
            Some((h_lo, h_hi)) if u32::from(h_hi - h_lo) + 1 == count => {
                Some((h_lo + i as u16).to_string())
            }
            Some((h_lo, h_hi)) if count == 1 => Some(format!("{h_lo}-{h_hi}")),
            Some(_) => return Err(invalid("host and container port ranges differ in size")),
        };
        out.push(PortConfig {
            target,
            published,
            host_ip: host_ip.clone(),
            protocol: protocol.clone(),
            mode: "ingress".into(),
        });
    }
    Ok(out)
}

fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| format!("{p:?} is not a port number"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            if b < a {
                return Err(format!("range {s:?} ends before it starts"));
            }
            Ok((a, b))
        }
        None => {
            let p = port(s)?;
            Ok((p, p))
        }
    }
}

/// Kind of a service volume mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    /// An image's content mounted read-only (engine API 1.48 and later).
    Image,
    /// A Windows named pipe.
    Npipe,
    /// A swarm cluster volume.
    Cluster,
}

/// One entry of a service's `volumes:`, long form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeMount {
    #[serde(rename = "type")]
    pub kind: MountKind,
    /// Host path (bind, made absolute by the loader), volume key (named) or None (anonymous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Bind only: create the host directory when missing (true for the short syntax).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_host_path: bool,
    /// Volume only: do not copy the image's content into an empty volume.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nocopy: bool,
    /// SELinux relabel (`z`/`Z`) or propagation options of the short syntax, kept verbatim.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// Parses `[source:]target[:options]` with compose's rules (the one short-volume parser,
/// [`super::canonical::syntax::parse_volume`]) and reads its long form. Options compose ignores
/// (`cached`, `delegated`, typos like `roz`) are ignored here too; the service reader warns about
/// the ones that are not consistency modes. A relative container path is refused here, where the
/// engine would refuse it at create time.
pub fn parse_volume(spec: &str) -> Result<VolumeMount, String> {
    let long = super::canonical::syntax::parse_volume(spec)?;
    let text = |k: &str| long.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let flag = |section: &str, k: &str| {
        long.get(section)
            .and_then(|s| s.get(k))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let kind = match text("type").as_deref() {
        Some("bind") => MountKind::Bind,
        _ => MountKind::Volume,
    };
    let target = text("target").unwrap_or_default();
    if !target.starts_with('/') {
        return Err(format!(
            "invalid volume {spec:?}: the container path {target:?} must be absolute"
        ));
    }
    let options = ["selinux", "propagation"]
        .iter()
        .filter_map(|k| long.get("bind").and_then(|b| b.get(*k)))
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    Ok(VolumeMount {
        kind,
        source: text("source"),
        target,
        read_only: long
            .get("read_only")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        create_host_path: flag("bind", "create_host_path"),
        nocopy: flag("volume", "nocopy"),
        options,
    })
}

/// Parses a Go-style duration (`1m30s`, `500ms`, `1.5s`, `10s`, compose's `d` and `w`) with
/// Go's strictness: `10 seconds` or `10` is an error. Negative durations are refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let ns = super::canonical::parse_duration(s)?;
    u64::try_from(ns)
        .map(Duration::from_nanos)
        .map_err(|_| format!("invalid duration {s:?}: must not be negative"))
}

/// Parses a byte size with docker's 1024-based units (`512m`, `1g`, `100k`, `2048`).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    parse_size::Config::new()
        .with_binary()
        .parse_size(s.trim())
        .map_err(|e| format!("invalid size {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(spec: &str) -> PortConfig {
        let mut v = parse_port(spec).unwrap();
        assert_eq!(v.len(), 1, "{spec}");
        v.remove(0)
    }

    #[test]
    fn ports() {
        let p = one("80");
        assert_eq!((p.target, p.published, p.host_ip), (80, None, None));
        let p = one("8080:80/udp");
        assert_eq!(
            (p.target, p.published.as_deref(), p.protocol.as_str()),
            (80, Some("8080"), "udp")
        );
        let p = one("127.0.0.1:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        let p = one("127.0.0.1::80");
        assert_eq!(
            (p.host_ip.as_deref(), p.published),
            (Some("127.0.0.1"), None)
        );
        let p = one("[::1]:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        let v = parse_port("8000-8001:9000-9001").unwrap();
        assert_eq!(v[1].target, 9001);
        assert_eq!(v[1].published.as_deref(), Some("8001"));
        assert_eq!(one("8000-8010:80").published.as_deref(), Some("8000-8010"));
        assert!(parse_port("abc").is_err());
        assert!(parse_port("70000").is_err());
        assert!(parse_port("1:2:3:4").is_err());
        assert!(parse_port("80/xyz").is_err());
        assert!(parse_port("8000-8002:9000-9001").is_err());
    }

    #[test]
    fn volumes() {
        let v = parse_volume("data:/var/lib:ro").unwrap();
        assert_eq!(v.kind, MountKind::Volume);
        assert!(v.read_only);
        let v = parse_volume("./src:/app").unwrap();
        assert_eq!(v.kind, MountKind::Bind);
        assert!(v.create_host_path);
        let v = parse_volume("/anon").unwrap();
        assert_eq!((v.kind, v.source), (MountKind::Volume, None));
        assert!(parse_volume("a:relative").is_err());
        assert!(parse_volume("a:/b:c:d").is_err());
        assert!(parse_volume("ab::/b").is_err());
    }

    /// The spellings of real compose files and dev-container templates, read as compose reads
    /// them: consistency modes and unknown options are ignored, known ones are applied.
    #[test]
    fn volume_options_as_compose_reads_them() {
        for spec in [
            "..:/workspace:cached",
            "../..:/workspaces:cached",
            "..:/usr/src/paperless/paperless-ngx:delegated",
            "./src:/app:consistent",
            "./src:/app:rw,cached",
        ] {
            let v = parse_volume(spec).unwrap();
            assert_eq!(v.kind, MountKind::Bind, "{spec}");
            assert!(
                !v.read_only && v.create_host_path && v.options.is_empty(),
                "{spec}"
            );
        }
        // zabbix-docker's `roz`/`rwz` are not options compose knows: not read-only, no relabel.
        let v = parse_volume("snmptraps:/var/lib/zabbix/snmptraps:roz").unwrap();
        assert_eq!(
            (v.kind, v.read_only, v.options.len()),
            (MountKind::Volume, false, 0)
        );
        let v = parse_volume("./a:/b:ro,cached").unwrap();
        assert!(v.read_only);
        let v = parse_volume("./a:/b:ro,rw").unwrap();
        assert!(!v.read_only);
        let v = parse_volume("./a:/b:ro,z,rshared").unwrap();
        assert_eq!(v.options, ["z", "rshared"]);
        let v = parse_volume("data:/d:Z").unwrap();
        assert_eq!(
            (v.kind, v.options.clone()),
            (MountKind::Volume, vec!["Z".to_string()])
        );
        for mode in [
            "rprivate", "private", "rshared", "shared", "rslave", "slave",
        ] {
            let v = parse_volume(&format!("/h:/c:{mode}")).unwrap();
            assert_eq!(v.options, [mode], "{mode}");
        }
        let v = parse_volume("data:/d:nocopy").unwrap();
        assert!(v.nocopy);
        let v = parse_volume("./a:/b:nocopy").unwrap();
        assert!(v.nocopy && v.kind == MountKind::Bind);
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("abc").is_err());
        assert_eq!(parse_bytes("512m").unwrap(), 512 * 1024 * 1024);
    }
}
