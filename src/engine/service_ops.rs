//! Engine calls on one service container that leave the project as it is: `commit` (a new
//! image from the container), `export` (its filesystem as a tar stream) and `stats` (one
//! sample of its resource usage).

use bollard::query_parameters::{CommitContainerOptions, StatsOptions};
use futures::StreamExt;

use super::{Engine, EngineError};

/// What `commit` asks the engine for.
#[derive(Debug, Clone, Default)]
pub struct CommitRequest {
    pub container: String,
    /// Repository and tag of the new image; None leaves it untagged.
    pub repo: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub message: Option<String>,
    /// Dockerfile instructions (`-c`), one per entry.
    pub changes: Vec<String>,
    pub pause: bool,
}

/// Commits the container; returns the new image id.
pub async fn commit(engine: &Engine, req: &CommitRequest) -> Result<String, EngineError> {
    let options = CommitContainerOptions {
        container: Some(req.container.clone()),
        repo: req.repo.clone(),
        tag: req.tag.clone(),
        comment: req.message.clone(),
        author: req.author.clone(),
        pause: req.pause,
        changes: (!req.changes.is_empty()).then(|| req.changes.join("\n")),
    };
    let r = engine
        .docker
        .commit_container(options, bollard::models::ContainerConfig::default())
        .await
        .map_err(|e| engine.error(e))?;
    Ok(r.id)
}

/// Streams the container's filesystem as a tar archive into `out` (a file or stdout; the
/// writes block, as a CLI writing its output may).
pub async fn export(
    engine: &Engine,
    container: &str,
    out: &mut impl std::io::Write,
) -> Result<(), EngineError> {
    let mut stream = engine.docker.export_container(container);
    let failed = |e: std::io::Error| EngineError::Other(format!("writing the export: {e}"));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| engine.error(e))?;
        out.write_all(&chunk).map_err(failed)?;
    }
    out.flush().map_err(failed)?;
    Ok(())
}

/// One resource-usage sample of a container, as `docker stats` computes its columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsSample {
    /// CPU use in percent of one CPU (can exceed 100 on several CPUs).
    pub cpu_percent: f64,
    /// Memory in use (without the page cache), bytes.
    pub mem_usage: u64,
    pub mem_limit: u64,
    pub mem_percent: f64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// One sample of `container` (not streamed: the engine waits for a second reading so the CPU
/// percentage has a base).
pub async fn stats_once(engine: &Engine, container: &str) -> Result<StatsSample, EngineError> {
    let mut stream = engine.docker.stats(
        container,
        Some(StatsOptions {
            stream: false,
            one_shot: false,
        }),
    );
    let Some(item) = stream.next().await else {
        return Ok(StatsSample::default());
    };
    let s = item.map_err(|e| engine.error(e))?;
    Ok(sample(&s))
}

/// The `docker stats` columns of one engine reading.
pub fn sample(s: &bollard::models::ContainerStatsResponse) -> StatsSample {
    let total = |c: &Option<bollard::models::ContainerCpuStats>| {
        c.as_ref()
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let system = |c: &Option<bollard::models::ContainerCpuStats>| {
        c.as_ref().and_then(|c| c.system_cpu_usage).unwrap_or(0)
    };
    let cpu_delta = total(&s.cpu_stats).saturating_sub(total(&s.precpu_stats)) as f64;
    let system_delta = system(&s.cpu_stats).saturating_sub(system(&s.precpu_stats)) as f64;
    let online = s
        .cpu_stats
        .as_ref()
        .and_then(|c| {
            c.online_cpus.filter(|n| *n > 0).or_else(|| {
                c.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .map(|p| p.len() as u32)
            })
        })
        .unwrap_or(1) as f64;
    let cpu_percent = if cpu_delta > 0.0 && system_delta > 0.0 {
        cpu_delta / system_delta * online * 100.0
    } else {
        0.0
    };
    let mem = s.memory_stats.clone().unwrap_or_default();
    let usage = mem.usage.unwrap_or(0);
    // The page cache does not count, as in `docker stats` (cgroup v2: inactive_file; v1:
    // total_inactive_file).
    let cache = mem
        .stats
        .as_ref()
        .and_then(|m| {
            m.get("inactive_file")
                .or_else(|| m.get("total_inactive_file"))
                .copied()
        })
        .unwrap_or(0);
    let mem_usage = usage.saturating_sub(cache);
    let mem_limit = mem.limit.unwrap_or(0);
    let mem_percent = if mem_limit > 0 {
        mem_usage as f64 / mem_limit as f64 * 100.0
    } else {
        0.0
    };
    let (mut net_rx, mut net_tx) = (0, 0);
    for n in s.networks.as_ref().into_iter().flat_map(|m| m.values()) {
        net_rx += n.rx_bytes.unwrap_or(0);
        net_tx += n.tx_bytes.unwrap_or(0);
    }
    let (mut block_read, mut block_write) = (0, 0);
    let entries = s
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref());
    for e in entries.into_iter().flatten() {
        match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("read") => block_read += e.value.unwrap_or(0),
            Some("write") => block_write += e.value.unwrap_or(0),
            _ => {}
        }
    }
    StatsSample {
        cpu_percent,
        mem_usage,
        mem_limit,
        mem_percent,
        net_rx,
        net_tx,
        block_read,
        block_write,
        pids: s.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0),
    }
}
