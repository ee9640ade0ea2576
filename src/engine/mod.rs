//! The Docker Engine API, through bollard: the only module that talks to the engine.
//!
//! [`Engine`] wraps a bollard client with the endpoint it was made for, so every error can say
//! which endpoint failed and how to start an engine. [`observe`] reads a project's state by
//! label into plain data for the planners; [`executor`] runs a plan's steps concurrently in
//! dependency order; [`convert`] turns the planner's specs into API requests.

pub mod archive;
pub mod auth;
pub mod build;
pub mod build_session;
pub mod context;
pub mod control;
pub mod convert;
pub mod endpoint;
pub mod events;
pub mod exec;
pub mod executor;
pub mod inspect;
pub mod logs;
pub mod observe;
pub mod query;
pub mod registry;
pub mod run;
pub mod service_ops;
pub mod snapshot;
pub mod ssh;
pub mod stack;
pub mod volumes;
pub mod wait;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;

use endpoint::Transport;

/// An engine call that failed, worded for the user.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Nothing answers at the endpoint.
    #[error(
        "Cannot connect to the Docker daemon at {endpoint}. Is the docker daemon running?\n({reason})\nStart one (for example `dockerd &`, or `bash integration/engine.sh` in the rcompose checkout), or point DOCKER_HOST at a running engine."
    )]
    Unreachable { endpoint: String, reason: String },
    /// The engine answered with an error.
    #[error("{message}")]
    Api { status: u16, message: String },
    #[error("{0}")]
    Other(String),
}

impl EngineError {
    /// True for "no such container/network/volume/image".
    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::Api { status: 404, .. })
    }

    /// True for "already exists / in use" conflicts (Podman answers some of them, such as a
    /// network name already taken, with a 500 that says so).
    pub fn is_conflict(&self) -> bool {
        match self {
            EngineError::Api { status: 409, .. } => true,
            EngineError::Api {
                status: 500,
                message,
            } => {
                message.contains("already exists")
                    || message.contains("already used")
                    || message.contains("already in use")
            }
            _ => false,
        }
    }
}

/// A connected engine client and the endpoint it talks to.
#[derive(Clone)]
pub struct Engine {
    pub(crate) docker: Docker,
    pub endpoint: String,
    /// Where registry credentials are read from (pulls and builds).
    pub auth: auth::RegistryAuth,
    /// Keeps an ssh forward alive as long as a client uses it.
    _tunnel: Option<Arc<ssh::Tunnel>>,
}

/// The oldest Engine API rcompose drives (Docker 20.10).
pub const MIN_API: (usize, usize) = (1, 41);

/// An error and its causes on one line (TLS and connect failures hide in the sources).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

impl Engine {
    /// Resolves the endpoint (`-H`, `--context`, DOCKER_HOST, DOCKER_CONTEXT, config.json, local
    /// socket), connects, and checks that the engine speaks API 1.41 or newer.
    pub async fn connect(
        req: &endpoint::Request,
        env: &HashMap<String, String>,
    ) -> Result<Engine, EngineError> {
        let ep = endpoint::resolve(req, env).map_err(EngineError::Other)?;
        let engine = Engine::open(&ep, env).await?;
        engine.negotiate().await
    }

    /// Builds a client for `ep`; no request is made, except for ssh which starts the forward.
    async fn open(
        ep: &endpoint::Endpoint,
        env: &HashMap<String, String>,
    ) -> Result<Engine, EngineError> {
        let version = bollard::API_DEFAULT_VERSION;
        let endpoint = if ep.context == "default" {
            ep.host.clone()
        } else {
            format!("{} (context {:?})", ep.host, ep.context)
        };
        let unreachable = |reason: String| EngineError::Unreachable {
            endpoint: endpoint.clone(),
            reason,
        };
        let mut tunnel = None;
        let docker = match &ep.transport {
            Transport::Unix(path) => {
                Docker::connect_with_unix(&path.to_string_lossy(), 120, version)
                    .map_err(|e| unreachable(with_causes(&e)))?
            }
            Transport::Tcp { addr, tls: None } => {
                Docker::connect_with_http(&format!("tcp://{addr}"), 120, version)
                    .map_err(|e| unreachable(with_causes(&e)))?
            }
            Transport::Tcp { addr, tls: Some(t) } => {
                if !t.verify {
                    return Err(EngineError::Other(format!(
                        "{endpoint}: TLS without server verification (--tls without --tlsverify, or SkipTLSVerify) is not supported by rcompose; set DOCKER_TLS_VERIFY=1 with a ca.pem"
                    )));
                }
                for f in [&t.ca, &t.cert, &t.key] {
                    if !f.exists() {
                        return Err(EngineError::Other(format!(
                            "TLS for {endpoint}: could not read {}: no such file (set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem)",
                            f.display()
                        )));
                    }
                }
                Docker::connect_with_ssl(
                    &format!("tcp://{addr}"),
                    &t.key,
                    &t.cert,
                    &t.ca,
                    120,
                    version,
                )
                .map_err(|e| {
                    EngineError::Other(format!("TLS for {endpoint}: {}", with_causes(&e)))
                })?
            }
            Transport::Ssh { user, host, port } => {
                let t = ssh::Tunnel::start(user.as_deref(), host, *port, env)
                    .await
                    .map_err(unreachable)?;
                let docker = Docker::connect_with_unix(&t.socket().to_string_lossy(), 120, version)
                    .map_err(|e| unreachable(with_causes(&e)))?;
                tunnel = Some(Arc::new(t));
                docker
            }
        };
        Ok(Engine {
            docker,
            endpoint,
            auth: auth::RegistryAuth::from_env(env),
            _tunnel: tunnel,
        })
    }

    /// Reads the engine's API version, lowers the client's to it, and refuses engines older than
    /// [`MIN_API`].
    async fn negotiate(self) -> Result<Engine, EngineError> {
        let docker = self
            .docker
            .clone()
            .negotiate_version()
            .await
            .map_err(|e| self.error(e))?;
        let v = docker.client_version();
        if (v.major_version, v.minor_version) < MIN_API {
            return Err(EngineError::Other(format!(
                "the engine at {} speaks Docker Engine API {}.{}, which is too old: rcompose needs API {}.{} or newer (Docker Engine 20.10+)",
                self.endpoint, v.major_version, v.minor_version, MIN_API.0, MIN_API.1
            )));
        }
        Ok(Engine { docker, ..self })
    }

    /// The Engine API version agreed with the engine, as (major, minor).
    pub fn api_version(&self) -> (usize, usize) {
        let v = self.docker.client_version();
        (v.major_version, v.minor_version)
    }

    /// Whether the engine is Podman's Docker-compatible API (it names its components).
    pub async fn is_podman(&self) -> bool {
        self.docker.version().await.is_ok_and(|v| {
            v.components
                .unwrap_or_default()
                .iter()
                .any(|c| c.name.contains("Podman"))
        })
    }

    /// Maps a bollard error to what the user should read.
    pub(crate) fn error(&self, e: BollardError) -> EngineError {
        match e {
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => EngineError::Api {
                status: status_code,
                message: format!("Error response from daemon: {message}"),
            },
            BollardError::SocketNotFoundError(path) => EngineError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: format!("no socket at {path}"),
            },
            BollardError::IOError { err } => EngineError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: err.to_string(),
            },
            BollardError::HyperResponseError { err } => EngineError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: err.to_string(),
            },
            BollardError::RequestTimeoutError => EngineError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: "the request timed out".into(),
            },
            other => {
                let s = with_causes(&other);
                let lower = s.to_lowercase();
                if lower.contains("certificate")
                    || lower.contains("tls")
                    || lower.contains("handshake")
                {
                    EngineError::Other(format!(
                        "TLS connection to the Docker daemon at {} failed: {s}\nCheck DOCKER_CERT_PATH (or the context's certificates): ca.pem must sign the engine's certificate and cert.pem/key.pem must be a client certificate the engine trusts.",
                        self.endpoint
                    ))
                } else if s.contains("Connection refused")
                    || s.contains("No such file")
                    || s.contains("error trying to connect")
                    || s.contains("client error (Connect)")
                {
                    EngineError::Unreachable {
                        endpoint: self.endpoint.clone(),
                        reason: s,
                    }
                } else {
                    EngineError::Other(s)
                }
            }
        }
    }

    /// Checks that the engine answers.
    pub async fn ping(&self) -> Result<(), EngineError> {
        self.docker
            .ping()
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Inspects a container. Podman briefly reports a stopping container as `stopped`, a
    /// state bollard's model does not know; such an answer is asked again (for up to five
    /// seconds) rather than failing the command.
    pub(crate) async fn inspect(
        &self,
        id: &str,
    ) -> Result<bollard::models::ContainerInspectResponse, BollardError> {
        ask_again(
            || self.docker.inspect_container(id, None),
            is_podman_stopped,
        )
        .await
    }

    /// Inspects an image. Podman answers 500 "image not known" for an image whose other tag
    /// is being removed at that moment; such an answer is asked again (for up to five seconds)
    /// before it counts.
    pub(crate) async fn inspect_image(
        &self,
        name: &str,
    ) -> Result<bollard::models::ImageInspect, BollardError> {
        ask_again(
            || self.docker.inspect_image(name),
            |e| {
                matches!(e, BollardError::DockerResponseServerError { status_code: 500, message }
                    if message.contains("image not known"))
            },
        )
        .await
    }

    /// Lists containers. Every `label` filter must hold (Podman's API joins several with
    /// "or", so they are checked again here), and Podman's transient `stopped` state is
    /// ridden out as in [`Engine::inspect`].
    pub(crate) async fn list_containers(
        &self,
        opts: bollard::query_parameters::ListContainersOptions,
    ) -> Result<Vec<bollard::models::ContainerSummary>, BollardError> {
        let wanted: Vec<String> = opts
            .filters
            .as_ref()
            .and_then(|f| f.get("label"))
            .cloned()
            .unwrap_or_default();
        let list = ask_again(
            || self.docker.list_containers(Some(opts.clone())),
            is_podman_stopped,
        )
        .await?;
        Ok(list
            .into_iter()
            .filter(|c| {
                let labels = c.labels.clone().unwrap_or_default();
                wanted.iter().all(|w| match w.split_once('=') {
                    Some((k, v)) => labels.get(k).map(String::as_str) == Some(v),
                    None => labels.contains_key(w),
                })
            })
            .collect())
    }

    /// A client whose calls may take as long as `d` (long stops, waits).
    pub(crate) fn with_timeout(&self, d: Duration) -> Docker {
        self.docker.clone().with_timeout(d)
    }
}

/// Podman's passing `stopped` state, which bollard's model does not know.
fn is_podman_stopped(e: &BollardError) -> bool {
    e.to_string().contains("unknown variant `stopped`")
}

/// Calls `call` again, every 100 ms for up to five seconds, while its error is one that
/// `transient` says will pass.
async fn ask_again<T, Fut>(
    call: impl Fn() -> Fut,
    transient: impl Fn(&BollardError) -> bool,
) -> Result<T, BollardError>
where
    Fut: std::future::Future<Output = Result<T, BollardError>>,
{
    let mut tries = 0;
    loop {
        match call().await {
            Err(e) if tries < 50 && transient(&e) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            r => return r,
        }
    }
}
