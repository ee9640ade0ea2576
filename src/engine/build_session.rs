//! The BuildKit session rcompose serves to the engine during a `/build?version=2` build that
//! uses `build.secrets` or `build.ssh`: it upgrades `POST /session` to HTTP/2 and answers
//! BuildKit's gRPC calls for registry credentials, secrets and SSH agent forwarding.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;

use bollard::auth::DockerCredentials;
use bollard_buildkit_proto::health::health_server::{Health, HealthServer};
use bollard_buildkit_proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
    health_check_response::ServingStatus,
};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::{Secrets, SecretsServer};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bollard_buildkit_proto::moby::filesync::v1::auth_server::{Auth, AuthServer};
use bollard_buildkit_proto::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};
use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::{Ssh, SshServer};
use bollard_buildkit_proto::moby::sshforward::v1::{
    BytesMessage, CheckAgentRequest, CheckAgentResponse,
};
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tonic::{Request, Response, Status, Streaming};

/// What the session hands out. No `Debug`: it holds secret values, which are never printed.
#[derive(Clone, Default)]
pub struct SessionContent {
    /// Secret id → its value.
    pub secrets: HashMap<String, Vec<u8>>,
    /// SSH id → the agent socket to forward.
    pub ssh: HashMap<String, PathBuf>,
    /// Registry credentials by registry (as the docker config file keys them).
    pub credentials: HashMap<String, DockerCredentials>,
}

/// A running session; dropping it ends the session.
pub struct Session {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const GRPC_METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/moby.filesync.v1.Auth/Credentials",
    "/moby.filesync.v1.Auth/FetchToken",
    "/moby.filesync.v1.Auth/GetTokenAuthority",
    "/moby.filesync.v1.Auth/VerifyTokenAuthority",
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    "/moby.sshforward.v1.SSH/CheckAgent",
    "/moby.sshforward.v1.SSH/ForwardAgent",
];

/// Opens session `id` on the engine at `endpoint` (`unix://` or `tcp://`) and serves `content`
/// on it until the returned [`Session`] is dropped.
pub async fn start(endpoint: &str, id: &str, content: SessionContent) -> Result<Session, String> {
    let request = {
        let mut r = format!(
            "POST /session HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\nX-Docker-Expose-Session-Uuid: {id}\r\nX-Docker-Expose-Session-Name: rcompose\r\nX-Docker-Expose-Session-Sharedkey: {id}\r\n"
        );
        for m in GRPC_METHODS {
            r.push_str(&format!("X-Docker-Expose-Session-Grpc-Method: {m}\r\n"));
        }
        r.push_str("\r\n");
        r
    };
    let fail = |e: std::io::Error| format!("cannot open a BuildKit session on {endpoint}: {e}");
    if let Some(path) = endpoint.strip_prefix("unix://") {
        let mut s = tokio::net::UnixStream::connect(path).await.map_err(fail)?;
        upgrade(&mut s, &request).await.map_err(fail)?;
        Ok(serve(s, content))
    } else if let Some(addr) = endpoint
        .strip_prefix("tcp://")
        .or_else(|| endpoint.strip_prefix("http://"))
    {
        let mut s = tokio::net::TcpStream::connect(addr.trim_end_matches('/'))
            .await
            .map_err(fail)?;
        upgrade(&mut s, &request).await.map_err(fail)?;
        Ok(serve(s, content))
    } else {
        Err(format!(
            "cannot open a BuildKit session on {endpoint}: unsupported endpoint"
        ))
    }
}

/// Sends the upgrade request and reads the response head byte by byte, so nothing of the
/// HTTP/2 stream that follows is consumed.
async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    request: &str,
) -> std::io::Result<()> {
    s.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(std::io::Error::other("response head too long"));
        }
        head.push(s.read_u8().await?);
    }
    let head = String::from_utf8_lossy(&head);
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 101") {
        return Err(std::io::Error::other(format!(
            "the engine refused the session upgrade: {status}"
        )));
    }
    Ok(())
}

fn serve<S>(io: S, content: SessionContent) -> Session
where
    S: AsyncRead + AsyncWrite + tonic::transport::server::Connected + Unpin + Send + 'static,
{
    let ssh = SshForward {
        sockets: content.ssh.clone(),
    };
    let task = tokio::spawn(async move {
        let incoming = futures::stream::iter(vec![Ok::<_, std::io::Error>(io)]);
        let _ = tonic::transport::Server::builder()
            .add_service(HealthServer::new(Healthy))
            .add_service(AuthServer::new(Credentials(content.credentials)))
            .add_service(SecretsServer::new(SecretStore(content.secrets)))
            .add_service(SshServer::new(ssh))
            .serve_with_incoming(incoming)
            .await;
    });
    Session { task }
}

struct Healthy;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Health for Healthy {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list"))
    }

    type WatchStream = BoxStream<HealthCheckResponse>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch"))
    }
}

struct Credentials(HashMap<String, DockerCredentials>);

/// The config-file key for a registry host BuildKit names (Docker Hub is keyed by its v1 URL).
fn lookup<'a>(
    creds: &'a HashMap<String, DockerCredentials>,
    host: &str,
) -> Option<&'a DockerCredentials> {
    let hub = matches!(
        host,
        "docker.io" | "registry-1.docker.io" | "index.docker.io"
    );
    creds.iter().find_map(|(k, c)| {
        let key = k
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let key = key.split('/').next().unwrap_or(key);
        let same = key == host || (hub && key.ends_with("docker.io"));
        same.then_some(c)
    })
}

#[tonic::async_trait]
impl Auth for Credentials {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> Result<Response<CredentialsResponse>, Status> {
        let host = &request.get_ref().host;
        let out = match lookup(&self.0, host) {
            Some(c) if c.identitytoken.as_deref().is_some_and(|t| !t.is_empty()) => {
                CredentialsResponse {
                    username: String::new(),
                    secret: c.identitytoken.clone().unwrap_or_default(),
                }
            }
            Some(c) => CredentialsResponse {
                username: c.username.clone().unwrap_or_default(),
                secret: c.password.clone().unwrap_or_default(),
            },
            None => CredentialsResponse::default(),
        };
        Ok(Response::new(out))
    }

    async fn fetch_token(
        &self,
        _: Request<FetchTokenRequest>,
    ) -> Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unavailable("client-side authentication disabled"))
    }

    async fn get_token_authority(
        &self,
        _: Request<GetTokenAuthorityRequest>,
    ) -> Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unavailable("client-side authentication disabled"))
    }

    async fn verify_token_authority(
        &self,
        _: Request<VerifyTokenAuthorityRequest>,
    ) -> Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unavailable("client-side authentication disabled"))
    }
}

struct SecretStore(HashMap<String, Vec<u8>>);

#[tonic::async_trait]
impl Secrets for SecretStore {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let id = &request.get_ref().id;
        match self.0.get(id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            None => Err(Status::not_found(format!("secret {id} not found"))),
        }
    }
}

struct SshForward {
    sockets: HashMap<String, PathBuf>,
}

/// The gRPC metadata key BuildKit names the requested SSH id with.
const SSH_ID_KEY: &str = "buildkit.ssh.id";

impl SshForward {
    fn socket(&self, id: &str) -> Result<&PathBuf, Status> {
        let id = if id.is_empty() { "default" } else { id };
        self.sockets
            .get(id)
            .ok_or_else(|| Status::not_found(format!("no SSH key {id:?} forwarded")))
    }
}

#[tonic::async_trait]
impl Ssh for SshForward {
    async fn check_agent(
        &self,
        request: Request<CheckAgentRequest>,
    ) -> Result<Response<CheckAgentResponse>, Status> {
        self.socket(&request.get_ref().id)?;
        Ok(Response::new(CheckAgentResponse {}))
    }

    type ForwardAgentStream = BoxStream<BytesMessage>;

    async fn forward_agent(
        &self,
        request: Request<Streaming<BytesMessage>>,
    ) -> Result<Response<Self::ForwardAgentStream>, Status> {
        let id = request
            .metadata()
            .get(SSH_ID_KEY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let path = self.socket(&id)?.clone();
        let sock = tokio::net::UnixStream::connect(&path)
            .await
            .map_err(|e| Status::unavailable(format!("SSH agent {}: {e}", path.display())))?;
        let (mut read, mut write) = sock.into_split();
        let mut incoming = request.into_inner();
        // Builder → agent.
        tokio::spawn(async move {
            while let Some(Ok(msg)) = incoming.next().await {
                if write.write_all(&msg.data).await.is_err() {
                    break;
                }
            }
            let _ = write.shutdown().await;
        });
        // Agent → builder.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<BytesMessage, Status>>(16);
        tokio::spawn(async move {
            let mut buf = read_buf();
            loop {
                match read.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        let msg = BytesMessage {
                            data: buf[..n].to_vec(),
                        };
                        if tx.send(Ok(msg)).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Status::unavailable(e.to_string()))).await;
                        break;
                    }
                }
            }
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

fn read_buf() -> Vec<u8> {
    vec![0u8; 32 * 1024]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_credentials_match_buildkit_hosts() {
        let mut m = HashMap::new();
        m.insert(
            "https://index.docker.io/v1/".to_string(),
            DockerCredentials {
                username: Some("u".into()),
                ..Default::default()
            },
        );
        m.insert(
            "reg.example:5000".to_string(),
            DockerCredentials {
                username: Some("r".into()),
                ..Default::default()
            },
        );
        let user = |h| lookup(&m, h).and_then(|c| c.username.clone());
        assert_eq!(user("registry-1.docker.io").as_deref(), Some("u"));
        assert_eq!(user("docker.io").as_deref(), Some("u"));
        assert_eq!(user("reg.example:5000").as_deref(), Some("r"));
        assert_eq!(user("other"), None);
    }
}
