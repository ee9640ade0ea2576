//! ssh:// endpoints: a `ssh -N -L <local socket>:/var/run/docker.sock` forward (the system ssh
//! client, so ~/.ssh/config, agents and known_hosts apply), alive as long as the [`Tunnel`].
//! bollard's own `ssh` feature needs the docker CLI on the remote (`docker system dial-stdio`);
//! this needs only sshd and the engine's socket there.

use crate::settings;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The engine socket on the remote host, as the docker CLI assumes it.
const REMOTE_SOCKET: &str = "/var/run/docker.sock";

/// A running forward; dropping it stops ssh and removes the local socket.
pub struct Tunnel {
    child: Child,
    dir: PathBuf,
}

impl Tunnel {
    /// Starts the forward and waits until the local socket exists (at most 20 s).
    /// Extra ssh options may be given in RCOMPOSE_SSH_OPTS (shell words).
    pub async fn start(
        user: Option<&str>,
        host: &str,
        port: Option<u16>,
        env: &HashMap<String, String>,
    ) -> Result<Tunnel, String> {
        let dir = std::env::temp_dir().join(format!(
            "rcompose-ssh-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        let socket = dir.join("docker.sock");
        let mut cmd = Command::new("ssh");
        cmd.args([
            "-N",
            "-o",
            "BatchMode=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "ConnectTimeout=15",
            "-o",
            "ServerAliveInterval=30",
        ]);
        if let Some(opts) = env
            .get(settings::RCOMPOSE_SSH_OPTS)
            .filter(|o| !o.is_empty())
        {
            let words = shell_words::split(opts).map_err(|e| format!("RCOMPOSE_SSH_OPTS: {e}"))?;
            cmd.args(words);
        }
        if let Some(p) = port {
            cmd.arg("-p").arg(p.to_string());
        }
        if let Some(u) = user {
            cmd.arg("-l").arg(u);
        }
        cmd.arg("-L")
            .arg(format!("{}:{REMOTE_SOCKET}", socket.display()))
            .arg("--")
            .arg(host)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            format!("cannot run ssh: {e} (install an OpenSSH client)")
        })?;
        let mut tunnel = Tunnel { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if socket.exists() {
                return Ok(tunnel);
            }
            if let Ok(Some(status)) = tunnel.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = tunnel.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(format!(
                    "ssh exited ({status}) before forwarding {REMOTE_SOCKET}: {}",
                    err.trim()
                ));
            }
            if Instant::now() > deadline {
                return Err("ssh did not open the forward within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The local end of the forward.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("docker.sock")
    }

    fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(self.dir());
    }
}
