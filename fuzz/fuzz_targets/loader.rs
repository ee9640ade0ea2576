//! Compose text (plus a small environment) through the whole loader, as `-f -`.
//!
//! Input: optional `KEY=VALUE` lines, a NUL byte, then the compose file. Without a NUL byte the
//! whole input is the compose file. Errors are fine; panics and hangs are findings.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use indexmap::IndexMap;
use libfuzzer_sys::fuzz_target;
use rcompose::model::{LoadOptions, load::load_with_stdin};

/// An empty directory to act as the project directory (no `.env`, no compose files).
fn workdir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rcompose-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("fuzz workdir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let (env_part, yaml) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let Ok(yaml) = std::str::from_utf8(yaml) else {
        return;
    };
    let mut os_env = IndexMap::new();
    for line in String::from_utf8_lossy(env_part).lines().take(8) {
        if let Some((k, v)) = line.split_once('=') {
            os_env.insert(k.to_string(), v.to_string());
        }
    }
    let opts = LoadOptions {
        files: vec![PathBuf::from("-")],
        project_name: Some("fuzz".to_string()),
        cwd: workdir().clone(),
        os_env,
        ..LoadOptions::default()
    };
    let text = yaml.to_string();
    let _ = load_with_stdin(&opts, &mut || Ok(text.clone()));
});
