//! Registry credentials as the docker CLI keeps them in `config.json` (`auths`, `credsStore`,
//! `credHelpers`): parsing, and which entry or credential helper answers for a registry (the
//! registry an image names is [`super::image::ImageRef::registry`]). Pure: reading the file and running helpers is `engine::auth`'s job.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

/// The key Docker Hub credentials are stored under (what `docker login` writes).
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// A user name and secret for one registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<String>,
    pub identity_token: Option<String>,
    pub email: Option<String>,
    /// The key the credentials were found under (`https://index.docker.io/v1/` for Docker Hub,
    /// else the registry host).
    pub server_address: String,
}

impl Credentials {
    /// Whether there is anything to authenticate with.
    pub fn is_empty(&self) -> bool {
        self.username.as_deref().unwrap_or("").is_empty()
            && self.password.as_deref().unwrap_or("").is_empty()
            && self.identity_token.as_deref().unwrap_or("").is_empty()
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    #[serde(default)]
    auths: BTreeMap<String, RawEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

/// The credential part of a docker `config.json`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthConfig {
    /// Entries of `auths`, keyed by [`normalize_key`] of their key.
    auths: BTreeMap<String, Credentials>,
    /// The default credential helper (`credsStore`).
    pub creds_store: Option<String>,
    /// Per-registry helpers (`credHelpers`), keyed by [`normalize_key`].
    cred_helpers: BTreeMap<String, String>,
}

/// Where the credentials for one registry come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Run `docker-credential-<helper> get` with `server` on stdin; `fallback` is the `auths`
    /// entry to use when the helper has nothing (as the docker CLI does with `credsStore`).
    Helper {
        helper: String,
        server: String,
        fallback: Option<Credentials>,
    },
    /// Stored in the file itself.
    Inline(Credentials),
    /// Nothing configured for this registry.
    None,
}

/// A config key (`https://host/v1/`, `host`, `http://host`) as the registry host it stands for,
/// with every Docker Hub spelling folded into [`DOCKER_HUB_KEY`].
pub fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k);
    match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB_KEY.to_string(),
        h => h.to_string(),
    }
}

/// The key a registry's credentials live under: [`DOCKER_HUB_KEY`] for Docker Hub, else the host.
pub fn config_key(registry: &str) -> String {
    normalize_key(registry)
}

fn decode_auth(auth: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|e| format!("invalid base64 in `auth`: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8".to_string())?;
    let (user, pass) = text
        .split_once(':')
        .ok_or_else(|| "`auth` does not decode to user:password".to_string())?;
    Ok((user.to_string(), pass.to_string()))
}

impl AuthConfig {
    /// Parses the text of a `config.json`. Other settings in the file are ignored.
    pub fn parse(text: &str) -> Result<AuthConfig, String> {
        if text.trim().is_empty() {
            return Ok(AuthConfig::default());
        }
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut auths = BTreeMap::new();
        for (key, e) in raw.auths {
            let server = normalize_key(&key);
            let mut c = Credentials {
                username: e.username.filter(|s| !s.is_empty()),
                password: e.password.filter(|s| !s.is_empty()),
                identity_token: e.identitytoken.filter(|s| !s.is_empty()),
                email: e.email.filter(|s| !s.is_empty()),
                server_address: server.clone(),
            };
            if let Some(a) = e.auth.filter(|a| !a.is_empty()) {
                let (u, p) = decode_auth(&a).map_err(|m| format!("auths[{key:?}]: {m}"))?;
                c.username = Some(u);
                c.password = Some(p);
            }
            // An exact key wins over another spelling of the same host.
            if key == server || !auths.contains_key(&server) {
                auths.insert(server, c);
            }
        }
        let cred_helpers = raw
            .cred_helpers
            .into_iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(k, h)| (normalize_key(&k), h))
            .collect();
        Ok(AuthConfig {
            auths,
            creds_store: raw.creds_store.filter(|s| !s.is_empty()),
            cred_helpers,
        })
    }

    /// Where the credentials for `registry` (a host, or `docker.io`) come from: its
    /// `credHelpers` entry, else `credsStore`, else its `auths` entry.
    pub fn source(&self, registry: &str) -> Source {
        let key = config_key(registry);
        let inline = self.auths.get(&key).filter(|c| !c.is_empty()).cloned();
        let helper = self
            .cred_helpers
            .get(&key)
            .or(self.creds_store.as_ref())
            .cloned();
        match (helper, inline) {
            (Some(helper), fallback) => Source::Helper {
                helper,
                server: key,
                fallback,
            },
            (None, Some(c)) => Source::Inline(c),
            (None, None) => Source::None,
        }
    }

    /// Every registry key the file names in `auths` or `credHelpers` (what builds are given
    /// credentials for).
    pub fn registries(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .auths
            .keys()
            .chain(self.cred_helpers.keys())
            .cloned()
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
    #[serde(rename = "ServerURL", default)]
    server_url: String,
}

/// What a credential helper's `get` printed, as credentials for `server`. A user name of
/// `<token>` marks the secret as an identity token.
pub fn parse_helper_reply(stdout: &str, server: &str) -> Result<Credentials, String> {
    let r: HelperReply = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("unreadable reply {:?}: {e}", stdout.trim()))?;
    let server_address = if r.server_url.is_empty() {
        server.to_string()
    } else {
        normalize_key(&r.server_url)
    };
    let mut c = Credentials {
        server_address,
        ..Default::default()
    };
    if r.username == "<token>" {
        c.identity_token = Some(r.secret).filter(|s| !s.is_empty());
    } else {
        c.username = Some(r.username).filter(|s| !s.is_empty());
        c.password = Some(r.secret).filter(|s| !s.is_empty());
    }
    Ok(c)
}

/// Whether a failing helper's output says it simply has nothing for the server.
pub fn helper_has_none(output: &str) -> bool {
    output.contains("credentials not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn config_keys_like_the_docker_cli() {
        assert_eq!(config_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(config_key("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(
            normalize_key("https://127.0.0.1:5000/v2/"),
            "127.0.0.1:5000"
        );
        assert_eq!(normalize_key("index.docker.io"), DOCKER_HUB_KEY);
    }

    #[test]
    fn auths_with_base64_or_separate_fields() {
        let text = format!(
            r#"{{"auths": {{
                "https://index.docker.io/v1/": {{"auth": "{}"}},
                "https://127.0.0.1:5000": {{"username": "u", "password": "p"}},
                "tok.example": {{"identitytoken": "T"}},
                "empty.example": {{}}
            }}, "psFormat": "table"}}"#,
            b64("hub:se:cret")
        );
        let c = AuthConfig::parse(&text).unwrap();
        let Source::Inline(hub) = c.source("docker.io") else {
            panic!("hub")
        };
        assert_eq!(hub.username.as_deref(), Some("hub"));
        assert_eq!(hub.password.as_deref(), Some("se:cret"));
        assert_eq!(hub.server_address, DOCKER_HUB_KEY);
        let Source::Inline(local) = c.source("127.0.0.1:5000") else {
            panic!("local")
        };
        assert_eq!(
            (local.username.as_deref(), local.password.as_deref()),
            (Some("u"), Some("p"))
        );
        let Source::Inline(tok) = c.source("tok.example") else {
            panic!("token")
        };
        assert_eq!(tok.identity_token.as_deref(), Some("T"));
        assert_eq!(c.source("empty.example"), Source::None);
        assert_eq!(c.source("other.example"), Source::None);
        assert_eq!(
            c.registries(),
            vec![
                "127.0.0.1:5000".to_string(),
                "empty.example".into(),
                DOCKER_HUB_KEY.into(),
                "tok.example".into()
            ]
        );
    }

    #[test]
    fn helpers_win_over_inline_entries() {
        let text = format!(
            r#"{{"auths": {{"a.example": {{"auth": "{}"}}, "b.example": {{}}}},
                "credsStore": "desktop",
                "credHelpers": {{"b.example": "rctest", "docker.io": "hub"}}}}"#,
            b64("x:y")
        );
        let c = AuthConfig::parse(&text).unwrap();
        match c.source("a.example") {
            Source::Helper {
                helper,
                server,
                fallback,
            } => {
                assert_eq!((helper.as_str(), server.as_str()), ("desktop", "a.example"));
                assert_eq!(fallback.unwrap().username.as_deref(), Some("x"));
            }
            s => panic!("{s:?}"),
        }
        assert!(matches!(c.source("b.example"),
            Source::Helper { helper, fallback: None, .. } if helper == "rctest"));
        assert!(matches!(c.source("docker.io"),
            Source::Helper { helper, server, .. } if helper == "hub" && server == DOCKER_HUB_KEY));
        assert!(matches!(c.source("c.example"),
            Source::Helper { helper, .. } if helper == "desktop"));
    }

    #[test]
    fn bad_files_are_errors_empty_ones_are_not() {
        assert_eq!(AuthConfig::parse("").unwrap(), AuthConfig::default());
        assert_eq!(AuthConfig::parse("{}").unwrap(), AuthConfig::default());
        assert!(AuthConfig::parse("{").is_err());
        let e = AuthConfig::parse(r#"{"auths": {"h": {"auth": "!!"}}}"#).unwrap_err();
        assert!(e.contains("auths[\"h\"]"), "{e}");
        let e = AuthConfig::parse(&format!(
            r#"{{"auths": {{"h": {{"auth": "{}"}}}}}}"#,
            b64("nocolon")
        ))
        .unwrap_err();
        assert!(e.contains("user:password"), "{e}");
    }

    #[test]
    fn helper_replies() {
        let c = parse_helper_reply(
            r#"{"ServerURL":"127.0.0.1:5000","Username":"u","Secret":"p"}"#,
            "127.0.0.1:5000",
        )
        .unwrap();
        assert_eq!(
            (c.username.as_deref(), c.password.as_deref()),
            (Some("u"), Some("p"))
        );
        assert_eq!(c.server_address, "127.0.0.1:5000");
        let t = parse_helper_reply(r#"{"Username":"<token>","Secret":"T"}"#, "h").unwrap();
        assert_eq!(t.identity_token.as_deref(), Some("T"));
        assert_eq!(t.username, None);
        assert_eq!(t.server_address, "h");
        assert!(parse_helper_reply("nope", "h").is_err());
        assert!(helper_has_none(
            "credentials not found in native keychain\n"
        ));
    }
}
