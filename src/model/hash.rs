//! The config hash stored in the `com.docker.compose.config-hash` label: sha256 of the canonical
//! JSON of a service, without the fields that must not cause a recreate (build, pull policy,
//! scale, dependencies, profiles). `config --hash` prints the same value.

use sha2::{Digest, Sha256};

use super::{Network, Service, Volume};

fn sha256_json<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).expect("model types always serialize");
    let digest = Sha256::digest(&json);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash of a service's container-relevant configuration.
pub fn service_hash(service: &Service) -> String {
    sha256_json(service)
}

/// The canonical JSON the service hash is computed from, stored in the `io.rcompose.config`
/// label so the planner can explain what changed.
pub fn service_config_json(service: &Service) -> String {
    serde_json::to_string(service).expect("model types always serialize")
}

/// Hash of a network's configuration.
pub fn network_hash(network: &Network) -> String {
    sha256_json(network)
}

/// Hash of a volume's configuration (driver defaulted to `local`).
pub fn volume_hash(volume: &Volume) -> String {
    let mut v = volume.clone();
    v.driver.get_or_insert_with(|| "local".into());
    sha256_json(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_scale_and_dependencies() {
        let mut a = Service {
            name: "web".into(),
            image: Some("x".into()),
            ..Default::default()
        };
        let h = service_hash(&a);
        a.scale = Some(3);
        a.profiles = vec!["p".into()];
        assert_eq!(service_hash(&a), h);
        a.environment.insert("A".into(), Some("1".into()));
        assert_ne!(service_hash(&a), h);
        assert_eq!(h.len(), 64);
    }
}
