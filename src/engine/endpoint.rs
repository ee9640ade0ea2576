//! Which engine to talk to, resolved as the docker CLI does it: `-H`, `--context`, DOCKER_HOST,
//! DOCKER_CONTEXT, `currentContext` in config.json, then the local socket; the docker context
//! store under `$DOCKER_CONFIG/contexts`; TLS material from DOCKER_CERT_PATH or the context.
//! Pure: reads files and the given environment, never the network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::settings;
use sha2::{Digest, Sha256};

/// The local engine's socket.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `-H/--host`.
    pub host: Option<String>,
    /// `--context`.
    pub context: Option<String>,
}

/// Certificates for a TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Whether the server certificate is verified.
    pub verify: bool,
}

/// How to reach the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Unix(PathBuf),
    /// `host:port`, plain or TLS.
    Tcp {
        addr: String,
        tls: Option<Tls>,
    },
    Ssh {
        user: Option<String>,
        host: String,
        port: Option<u16>,
    },
}

/// A resolved endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host URL as the user would write it (`unix://…`, `tcp://…`, `ssh://…`).
    pub host: String,
    /// The context it came from (`default` when none).
    pub context: String,
    pub transport: Transport,
}

fn non_empty<'a>(env: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    env.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

/// `$DOCKER_CONFIG`, or `~/.docker`.
pub fn config_dir(env: &HashMap<String, String>) -> PathBuf {
    if let Some(d) = non_empty(env, settings::DOCKER_CONFIG) {
        return PathBuf::from(d);
    }
    let home = non_empty(env, "HOME").unwrap_or("/root");
    Path::new(home).join(".docker")
}

/// The directory name the context store uses for a context: the hex sha256 of its name.
pub fn context_id(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Resolves the endpoint for `req` with the environment `env`.
pub fn resolve(req: &Request, env: &HashMap<String, String>) -> Result<Endpoint, String> {
    let host_flag = req.host.as_deref().filter(|h| !h.is_empty());
    let context_flag = req.context.as_deref().filter(|c| !c.is_empty());
    if host_flag.is_some() && context_flag.is_some() {
        return Err("conflicting options: either specify --host or --context, not both".into());
    }
    let config = config_dir(env);
    let name = if let Some(c) = context_flag {
        c.to_string()
    } else if host_flag.is_some() || non_empty(env, settings::DOCKER_HOST).is_some() {
        "default".to_string()
    } else if let Some(c) = non_empty(env, settings::DOCKER_CONTEXT) {
        c.to_string()
    } else {
        current_context(&config)?.unwrap_or_else(|| "default".to_string())
    };
    if name == "default" {
        let host = host_flag
            .or_else(|| non_empty(env, settings::DOCKER_HOST))
            .unwrap_or(DEFAULT_HOST)
            .to_string();
        let tls = env_tls(env, &config);
        return from_host(&host, "default", tls);
    }
    from_context(&name, &config)
}

/// `currentContext` from `<config>/config.json`, if set.
fn current_context(config: &Path) -> Result<Option<String>, String> {
    let path = config.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
    Ok(v.get("currentContext")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .map(str::to_string))
}

/// TLS from DOCKER_TLS_VERIFY / DOCKER_TLS and DOCKER_CERT_PATH (default: the config dir).
fn env_tls(env: &HashMap<String, String>, config: &Path) -> Option<Tls> {
    let verify = non_empty(env, settings::DOCKER_TLS_VERIFY).is_some();
    let tls =
        verify || non_empty(env, settings::DOCKER_TLS).is_some_and(|v| v != "0" && v != "false");
    if !tls {
        return None;
    }
    let dir = non_empty(env, settings::DOCKER_CERT_PATH)
        .map(PathBuf::from)
        .unwrap_or_else(|| config.to_path_buf());
    Some(Tls {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        verify,
    })
}

/// A named context from the store.
fn from_context(name: &str, config: &Path) -> Result<Endpoint, String> {
    let id = context_id(name);
    let meta = config.join("contexts/meta").join(&id).join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| {
        format!(
            "context {name:?}: context not found: open {}: {e}",
            meta.display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("context {name:?}: cannot parse {}: {e}", meta.display()))?;
    let docker = v.pointer("/Endpoints/docker");
    let host = docker
        .and_then(|d| d.get("Host"))
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            format!(
                "context {name:?} has no docker endpoint ({})",
                meta.display()
            )
        })?;
    let skip_verify = docker
        .and_then(|d| d.get("SkipTLSVerify"))
        .and_then(|s| s.as_bool())
        .unwrap_or(false);
    let tls_dir = config.join("contexts/tls").join(&id).join("docker");
    let tls = if tls_dir.join("ca.pem").exists() || tls_dir.join("cert.pem").exists() {
        Some(Tls {
            ca: tls_dir.join("ca.pem"),
            cert: tls_dir.join("cert.pem"),
            key: tls_dir.join("key.pem"),
            verify: !skip_verify,
        })
    } else {
        None
    };
    from_host(host, name, tls)
}

/// Parses a host URL; `tls` applies to tcp:// only.
pub fn from_host(host: &str, context: &str, tls: Option<Tls>) -> Result<Endpoint, String> {
    let bad = |why: &str| format!("invalid host {host:?} (context {context:?}): {why}");
    let transport = if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(bad("no socket path"));
        }
        Transport::Unix(PathBuf::from(path))
    } else if let Some(rest) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
        .or_else(|| host.strip_prefix("https://"))
    {
        let addr = rest.trim_end_matches('/');
        if addr.is_empty() || addr.contains('/') {
            return Err(bad("expected tcp://HOST:PORT"));
        }
        let addr = if addr
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            addr.to_string()
        } else if tls.is_some() {
            format!("{addr}:2376")
        } else {
            format!("{addr}:2375")
        };
        Transport::Tcp { addr, tls }
    } else if let Some(rest) = host.strip_prefix("ssh://") {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err(bad("extra path after the host"));
        }
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_string()), h),
            None => (None, rest),
        };
        let (hostname, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']').to_string(),
                Some(p.parse::<u16>().map_err(|_| bad("bad port"))?),
            ),
            _ => (hostport.to_string(), None),
        };
        if hostname.is_empty() {
            return Err(bad("no host name"));
        }
        Transport::Ssh {
            user,
            host: hostname,
            port,
        }
    } else {
        return Err(bad(
            "rcompose speaks to unix://, tcp:// (optionally with TLS) and ssh:// endpoints",
        ));
    };
    Ok(Endpoint {
        host: host.to_string(),
        context: context.to_string(),
        transport,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn write_context(config: &Path, name: &str, host: &str, skip: bool, tls: bool) {
        let dir = config.join("contexts/meta").join(context_id(name));
        std::fs::create_dir_all(&dir).unwrap();
        let meta = serde_json::json!({
            "Name": name, "Metadata": {},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip}}
        });
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
        if tls {
            let t = config
                .join("contexts/tls")
                .join(context_id(name))
                .join("docker");
            std::fs::create_dir_all(&t).unwrap();
            for f in ["ca.pem", "cert.pem", "key.pem"] {
                std::fs::write(t.join(f), "x").unwrap();
            }
        }
    }

    #[test]
    fn context_id_is_sha256_of_the_name() {
        // sha256("default")
        assert_eq!(
            context_id("default"),
            "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f"
        );
    }

    #[test]
    fn nothing_set_means_the_local_socket() {
        let tmp = tempfile::tempdir().unwrap();
        let e = resolve(
            &Request::default(),
            &env(&[("DOCKER_CONFIG", tmp.path().to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(e.host, DEFAULT_HOST);
        assert_eq!(e.context, "default");
        assert_eq!(e.transport, Transport::Unix("/var/run/docker.sock".into()));
    }

    #[test]
    fn host_flag_beats_docker_host_and_contexts() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().to_str().unwrap();
        std::fs::write(tmp.path().join("config.json"), r#"{"currentContext":"x"}"#).unwrap();
        let req = Request {
            host: Some("unix:///a.sock".into()),
            context: None,
        };
        let e = resolve(
            &req,
            &env(&[
                ("DOCKER_CONFIG", cfg),
                ("DOCKER_HOST", "unix:///b.sock"),
                ("DOCKER_CONTEXT", "y"),
            ]),
        )
        .unwrap();
        assert_eq!(e.transport, Transport::Unix("/a.sock".into()));
    }

    #[test]
    fn host_and_context_flags_conflict() {
        let req = Request {
            host: Some("unix:///a.sock".into()),
            context: Some("x".into()),
        };
        let err = resolve(&req, &env(&[])).unwrap_err();
        assert!(err.contains("conflicting options"), "{err}");
    }

    #[test]
    fn docker_host_beats_docker_context_and_current_context() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().to_str().unwrap();
        std::fs::write(tmp.path().join("config.json"), r#"{"currentContext":"x"}"#).unwrap();
        let e = resolve(
            &Request::default(),
            &env(&[
                ("DOCKER_CONFIG", cfg),
                ("DOCKER_HOST", "tcp://10.0.0.1:2375"),
                ("DOCKER_CONTEXT", "y"),
            ]),
        )
        .unwrap();
        assert_eq!(
            e.transport,
            Transport::Tcp {
                addr: "10.0.0.1:2375".into(),
                tls: None
            }
        );
    }

    #[test]
    fn context_flag_beats_docker_host() {
        let tmp = tempfile::tempdir().unwrap();
        write_context(tmp.path(), "remote", "tcp://10.1.2.3:2376", false, true);
        let req = Request {
            host: None,
            context: Some("remote".into()),
        };
        let e = resolve(
            &req,
            &env(&[
                ("DOCKER_CONFIG", tmp.path().to_str().unwrap()),
                ("DOCKER_HOST", "unix:///b.sock"),
            ]),
        )
        .unwrap();
        assert_eq!(e.context, "remote");
        let Transport::Tcp { addr, tls } = e.transport else {
            panic!()
        };
        assert_eq!(addr, "10.1.2.3:2376");
        let tls = tls.unwrap();
        assert!(tls.verify);
        assert!(
            tls.ca
                .ends_with(format!("{}/docker/ca.pem", context_id("remote")))
        );
    }

    #[test]
    fn docker_context_then_current_context() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().to_str().unwrap();
        write_context(tmp.path(), "a", "unix:///a.sock", false, false);
        write_context(tmp.path(), "b", "ssh://me@h:2222", true, false);
        std::fs::write(tmp.path().join("config.json"), r#"{"currentContext":"b"}"#).unwrap();
        let e = resolve(
            &Request::default(),
            &env(&[("DOCKER_CONFIG", cfg), ("DOCKER_CONTEXT", "a")]),
        )
        .unwrap();
        assert_eq!(e.transport, Transport::Unix("/a.sock".into()));
        let e = resolve(&Request::default(), &env(&[("DOCKER_CONFIG", cfg)])).unwrap();
        assert_eq!(
            e.transport,
            Transport::Ssh {
                user: Some("me".into()),
                host: "h".into(),
                port: Some(2222)
            }
        );
    }

    #[test]
    fn config_dir_defaults_to_home() {
        let tmp = tempfile::tempdir().unwrap();
        let docker = tmp.path().join(".docker");
        write_context(&docker, "c", "unix:///c.sock", false, false);
        std::fs::write(docker.join("config.json"), r#"{"currentContext":"c"}"#).unwrap();
        let e = resolve(
            &Request::default(),
            &env(&[("HOME", tmp.path().to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(e.context, "c");
    }

    #[test]
    fn skip_tls_verify_and_missing_context() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().to_str().unwrap();
        write_context(tmp.path(), "s", "tcp://h:1", true, true);
        let e = resolve(
            &Request {
                host: None,
                context: Some("s".into()),
            },
            &env(&[("DOCKER_CONFIG", cfg)]),
        )
        .unwrap();
        let Transport::Tcp { tls: Some(t), .. } = e.transport else {
            panic!()
        };
        assert!(!t.verify);
        let err = resolve(
            &Request {
                host: None,
                context: Some("nope".into()),
            },
            &env(&[("DOCKER_CONFIG", cfg)]),
        )
        .unwrap_err();
        assert!(
            err.contains("\"nope\"") && err.contains("not found"),
            "{err}"
        );
    }

    #[test]
    fn default_context_by_name_reads_docker_host() {
        let e = resolve(
            &Request {
                host: None,
                context: Some("default".into()),
            },
            &env(&[("DOCKER_HOST", "unix:///d.sock")]),
        )
        .unwrap();
        assert_eq!(e.transport, Transport::Unix("/d.sock".into()));
    }

    #[test]
    fn env_tls_uses_cert_path_and_default_port() {
        let e = resolve(
            &Request::default(),
            &env(&[
                ("DOCKER_HOST", "tcp://10.9.9.9"),
                ("DOCKER_TLS_VERIFY", "1"),
                ("DOCKER_CERT_PATH", "/certs"),
            ]),
        )
        .unwrap();
        assert_eq!(
            e.transport,
            Transport::Tcp {
                addr: "10.9.9.9:2376".into(),
                tls: Some(Tls {
                    ca: "/certs/ca.pem".into(),
                    cert: "/certs/cert.pem".into(),
                    key: "/certs/key.pem".into(),
                    verify: true
                })
            }
        );
        let e = resolve(
            &Request::default(),
            &env(&[("DOCKER_HOST", "tcp://h:1"), ("HOME", "/home/u")]),
        )
        .unwrap();
        assert!(matches!(e.transport, Transport::Tcp { tls: None, .. }));
        let e = resolve(
            &Request::default(),
            &env(&[
                ("DOCKER_HOST", "tcp://h:1"),
                ("DOCKER_TLS", "1"),
                ("HOME", "/home/u"),
            ]),
        )
        .unwrap();
        let Transport::Tcp { tls: Some(t), .. } = e.transport else {
            panic!()
        };
        assert!(!t.verify);
        assert_eq!(t.ca, PathBuf::from("/home/u/.docker/ca.pem"));
    }

    #[test]
    fn bad_hosts_are_rejected() {
        for h in ["npipe:////./pipe/x", "ssh://h/path", "unix://", "foo"] {
            assert!(from_host(h, "default", None).is_err(), "{h}");
        }
        assert_eq!(
            from_host("ssh://h", "default", None).unwrap().transport,
            Transport::Ssh {
                user: None,
                host: "h".into(),
                port: None
            }
        );
    }
}
