//! Registry credentials for pulls and builds: reads the docker config file
//! (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`), runs credential helpers
//! (`docker-credential-<name> get`), and hands bollard the resulting [`DockerCredentials`].
//! The file format itself is parsed by [`crate::model::registry_auth`].

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use bollard::auth::DockerCredentials;

use super::EngineError;
use crate::model::image::ImageRef;
use crate::model::registry_auth::{
    AuthConfig, Credentials, Source, config_key, helper_has_none, parse_helper_reply,
};
use crate::settings;

/// Where the docker config file is, taken from the environment when the engine was connected.
#[derive(Debug, Clone)]
pub struct RegistryAuth {
    pub config_file: PathBuf,
}

/// The credentials found for one image, and how to describe them in an error.
#[derive(Debug, Clone)]
pub struct ImageAuth {
    /// The registry host (`docker.io` for Docker Hub).
    pub registry: String,
    pub credentials: Option<DockerCredentials>,
    /// Where the credentials came from, or that there are none, for messages.
    pub origin: String,
}

impl RegistryAuth {
    /// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    pub fn from_env(env: &HashMap<String, String>) -> RegistryAuth {
        let dir = match env.get(settings::DOCKER_CONFIG).filter(|d| !d.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(env.get("HOME").cloned().unwrap_or_else(|| "/root".into()))
                .join(".docker"),
        };
        RegistryAuth {
            config_file: dir.join("config.json"),
        }
    }

    /// The parsed file; a missing file is an empty one. An unreadable or malformed file is
    /// warned about once (as the docker CLI does) and gives no credentials; the reason is
    /// returned for error messages.
    fn load(&self) -> (AuthConfig, Option<String>) {
        let problem = match std::fs::read_to_string(&self.config_file) {
            Ok(text) => match AuthConfig::parse(&text) {
                Ok(c) => return (c, None),
                Err(e) => e,
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (AuthConfig::default(), None);
            }
            Err(e) => e.to_string(),
        };
        let problem = format!(
            "error loading config file {}: {problem}",
            self.config_file.display()
        );
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::SeqCst) {
            crate::output::warn(&format!("{problem}; registry credentials are not used"));
        }
        (AuthConfig::default(), Some(problem))
    }

    /// The credentials to pull `image` with.
    pub async fn for_image(&self, image: &str) -> Result<ImageAuth, EngineError> {
        let me = self.clone();
        let image = image.to_string();
        tokio::task::spawn_blocking(move || me.for_image_blocking(&image))
            .await
            .map_err(|e| EngineError::Other(e.to_string()))?
    }

    fn for_image_blocking(&self, image: &str) -> Result<ImageAuth, EngineError> {
        let registry = ImageRef::parse(image).registry().to_string();
        let (config, problem) = self.load();
        let file = self.config_file.display();
        let (credentials, origin) = match config.source(&registry) {
            Source::None => (
                None,
                match problem {
                    Some(p) => format!("no credentials: {p}"),
                    None => format!(
                        "no credentials for {registry} in {file}; `docker login {registry}` stores them"
                    ),
                },
            ),
            Source::Inline(c) => (
                Some(c),
                format!(
                    "using the credentials for {} in {file}",
                    config_key(&registry)
                ),
            ),
            Source::Helper {
                helper,
                server,
                fallback,
            } => match run_helper(&helper, &server)? {
                Some(c) => (
                    Some(c),
                    format!("using the credentials from docker-credential-{helper} for {server}"),
                ),
                None => match fallback {
                    Some(c) => (
                        Some(c),
                        format!("using the credentials for {server} in {file}"),
                    ),
                    None => (
                        None,
                        format!("docker-credential-{helper} has no credentials for {server}"),
                    ),
                },
            },
        };
        Ok(ImageAuth {
            registry,
            credentials: credentials.map(to_bollard),
            origin,
        })
    }

    /// Credentials for every registry the config file names, keyed as BuildKit asks for them
    /// (registry host; `https://index.docker.io/v1/` for Docker Hub). Registries whose helper
    /// fails are left out: a build only needs the ones its `FROM` lines name.
    pub async fn all(&self) -> HashMap<String, DockerCredentials> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.all_blocking())
            .await
            .unwrap_or_default()
    }

    fn all_blocking(&self) -> HashMap<String, DockerCredentials> {
        let (config, _) = self.load();
        let mut out = HashMap::new();
        for key in config.registries() {
            let c = match config.source(&key) {
                Source::Inline(c) => Some(c),
                Source::Helper {
                    helper,
                    server,
                    fallback,
                } => run_helper(&helper, &server).ok().flatten().or(fallback),
                Source::None => None,
            };
            if let Some(c) = c {
                out.insert(key, to_bollard(c));
            }
        }
        out
    }
}

/// Runs `docker-credential-<helper> get` with `server` on stdin. `Ok(None)` when the helper
/// says it has nothing for the server.
fn run_helper(helper: &str, server: &str) -> Result<Option<Credentials>, EngineError> {
    let program = format!("docker-credential-{helper}");
    let fail = |why: String| {
        EngineError::Other(format!(
            "credential helper {program} failed for {server}: {why}"
        ))
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run it ({e}); is it on PATH?")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if helper_has_none(&stdout) || helper_has_none(&stderr) {
            return Ok(None);
        }
        let msg = if stderr.trim().is_empty() {
            stdout.trim()
        } else {
            stderr.trim()
        };
        return Err(fail(format!("{} ({msg})", out.status)));
    }
    let c = parse_helper_reply(&stdout, server).map_err(fail)?;
    Ok(if c.is_empty() { None } else { Some(c) })
}

fn to_bollard(c: Credentials) -> DockerCredentials {
    DockerCredentials {
        username: c.username,
        password: c.password,
        email: c.email,
        serveraddress: Some(c.server_address),
        identitytoken: c.identity_token,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth_in(dir: &std::path::Path) -> RegistryAuth {
        let env = HashMap::from([("DOCKER_CONFIG".to_string(), dir.display().to_string())]);
        RegistryAuth::from_env(&env)
    }

    #[test]
    fn config_file_location() {
        let env = HashMap::from([("HOME".to_string(), "/home/u".to_string())]);
        assert_eq!(
            RegistryAuth::from_env(&env).config_file,
            PathBuf::from("/home/u/.docker/config.json")
        );
        let env = HashMap::from([
            ("HOME".to_string(), "/home/u".to_string()),
            ("DOCKER_CONFIG".to_string(), "/etc/dc".to_string()),
        ]);
        assert_eq!(
            RegistryAuth::from_env(&env).config_file,
            PathBuf::from("/etc/dc/config.json")
        );
    }

    #[test]
    fn inline_missing_and_malformed_configs() {
        let dir = tempfile::tempdir().unwrap();
        let auth = auth_in(dir.path());
        // No file: no credentials, and the message says how to add them.
        let a = auth.for_image_blocking("127.0.0.1:5000/x:1").unwrap();
        assert_eq!(a.registry, "127.0.0.1:5000");
        assert!(a.credentials.is_none());
        assert!(
            a.origin.contains("docker login 127.0.0.1:5000"),
            "{}",
            a.origin
        );

        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}"#,
        )
        .unwrap();
        let a = auth.for_image_blocking("busybox").unwrap();
        assert_eq!(a.registry, "docker.io");
        let c = a.credentials.unwrap();
        assert_eq!(
            (c.username.as_deref(), c.password.as_deref()),
            (Some("u"), Some("p"))
        );
        assert_eq!(
            c.serveraddress.as_deref(),
            Some("https://index.docker.io/v1/")
        );
        assert_eq!(auth.all_blocking().len(), 1);

        std::fs::write(dir.path().join("config.json"), "{not json").unwrap();
        let a = auth.for_image_blocking("busybox").unwrap();
        assert!(a.credentials.is_none());
        assert!(
            a.origin.contains("error loading config file"),
            "{}",
            a.origin
        );
    }

    #[test]
    fn missing_helper_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"credHelpers": {"reg.example": "rcompose-no-such-helper"}}"#,
        )
        .unwrap();
        let e = auth_in(dir.path())
            .for_image_blocking("reg.example/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("docker-credential-rcompose-no-such-helper"),
            "{e}"
        );
        assert!(e.contains("reg.example"), "{e}");
    }
}
