//! Tables and JSON lines of the resource listings added for compose parity: `stats` (the
//! `docker stats` columns, with Go's size formatting) and `volumes` (`docker volume ls`).

use serde_json::json;

use super::table::tabwrite;
use crate::engine::service_ops::StatsSample;
use crate::engine::volumes::VolumeInfo;

/// Go's `%.<prec>g`: `prec` significant digits, trailing zeros dropped, exponent form for very
/// large or small values.
pub fn go_g(v: f64, prec: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{:.*e}", prec.saturating_sub(1), v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= prec as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

fn custom_size(size: f64, base: f64, units: &[&str], prec: usize) -> String {
    let mut size = size;
    let mut i = 0;
    while size >= base && i + 1 < units.len() {
        size /= base;
        i += 1;
    }
    format!("{}{}", go_g(size, prec), units[i])
}

/// go-units `BytesSize`: binary units, 4 significant digits (`1.5MiB`).
pub fn bytes_size(n: u64) -> String {
    custom_size(
        n as f64,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
        4,
    )
}

/// go-units `HumanSizeWithPrecision(n, 3)`: decimal units (`1.23kB`).
pub fn human_size(n: u64) -> String {
    custom_size(
        n as f64,
        1000.0,
        &["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
        3,
    )
}

/// One container's line of `stats`.
#[derive(Debug, Clone)]
pub struct StatsRow {
    pub id: String,
    pub name: String,
    pub sample: StatsSample,
}

fn cells(r: &StatsRow, truncate: bool) -> [String; 8] {
    let s = &r.sample;
    let id = if truncate {
        r.id.chars().take(12).collect()
    } else {
        r.id.clone()
    };
    [
        id,
        r.name.clone(),
        format!("{:.2}%", s.cpu_percent),
        format!("{} / {}", bytes_size(s.mem_usage), bytes_size(s.mem_limit)),
        format!("{:.2}%", s.mem_percent),
        format!("{} / {}", human_size(s.net_rx), human_size(s.net_tx)),
        format!(
            "{} / {}",
            human_size(s.block_read),
            human_size(s.block_write)
        ),
        s.pids.to_string(),
    ]
}

/// The `docker stats` table.
pub fn stats_table(rows: &[StatsRow], truncate: bool) -> String {
    let body: Vec<Vec<String>> = rows.iter().map(|r| cells(r, truncate).to_vec()).collect();
    tabwrite(
        &[
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS",
        ],
        &body,
    )
}

/// `docker stats`' column titles of its template fields.
pub const STATS_TITLES: &[(&str, &str)] = &[
    ("Container", "CONTAINER"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

/// One line of `stats --format json`, with `docker stats`' keys.
pub fn stats_json(r: &StatsRow, truncate: bool) -> String {
    stats_value(r, truncate).to_string()
}

/// The object behind a `stats` row: what `--format json` prints and templates read.
pub fn stats_value(r: &StatsRow, truncate: bool) -> serde_json::Value {
    let [id, name, cpu, mem, mem_perc, net, block, pids] = cells(r, truncate);
    json!({
        "BlockIO": block,
        "CPUPerc": cpu,
        "Container": name,
        "ID": id,
        "MemPerc": mem_perc,
        "MemUsage": mem,
        "Name": name,
        "NetIO": net,
        "PIDs": pids,
    })
}

/// The `docker volume ls` table: DRIVER, VOLUME NAME.
pub fn volumes_table(volumes: &[VolumeInfo]) -> String {
    let body: Vec<Vec<String>> = volumes
        .iter()
        .map(|v| vec![v.driver.clone(), v.name.clone()])
        .collect();
    tabwrite(&["DRIVER", "VOLUME NAME"], &body)
}

/// `docker volume ls`' column titles of its template fields.
pub const VOLUME_TITLES: &[(&str, &str)] = &[("Name", "VOLUME NAME")];

/// One line of `volumes --format json`, with `docker volume ls`' keys.
pub fn volume_json(v: &VolumeInfo) -> String {
    volume_value(v).to_string()
}

/// The object behind a `volumes` row: what `--format json` prints and templates read.
pub fn volume_value(v: &VolumeInfo) -> serde_json::Value {
    let labels: Vec<String> = v
        .labels
        .iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect();
    json!({
        "Availability": "N/A",
        "Driver": v.driver,
        "Group": "N/A",
        "Labels": labels.join(","),
        "Links": "N/A",
        "Mountpoint": v.mountpoint,
        "Name": v.name,
        "Scope": v.scope,
        "Size": "N/A",
        "Status": "N/A",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_go_units() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(512), "512B");
        assert_eq!(bytes_size(1536), "1.5KiB");
        assert_eq!(bytes_size(7_654_321), "7.3MiB");
        assert_eq!(bytes_size(2 * 1024 * 1024 * 1024), "2GiB");
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1234), "1.23kB");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(12_345_678), "12.3MB");
    }

    #[test]
    fn go_g_switches_to_exponent_form() {
        assert_eq!(go_g(1234.5, 4), "1234");
        assert_eq!(go_g(999.9, 3), "1e+03");
        assert_eq!(go_g(0.5, 3), "0.5");
    }

    #[test]
    fn stats_table_has_the_docker_columns() {
        let row = StatsRow {
            id: "0123456789abcdef".into(),
            name: "p-web-1".into(),
            sample: StatsSample {
                cpu_percent: 1.5,
                mem_usage: 1024 * 1024,
                mem_limit: 1024 * 1024 * 1024,
                mem_percent: 0.09765625,
                net_rx: 1234,
                net_tx: 0,
                block_read: 0,
                block_write: 4096,
                pids: 3,
            },
        };
        let t = stats_table(std::slice::from_ref(&row), true);
        let mut lines = t.lines();
        assert!(lines.next().unwrap().starts_with(
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O"
        ));
        let line = lines.next().unwrap();
        assert!(
            line.starts_with("0123456789ab   p-web-1   1.50%     1MiB / 1GiB"),
            "{line}"
        );
        assert!(line.contains("0.10%") && line.contains("1.23kB / 0B") && line.ends_with("3"));
        let j: serde_json::Value = serde_json::from_str(&stats_json(&row, false)).unwrap();
        assert_eq!(j["ID"], "0123456789abcdef");
        assert_eq!(j["PIDs"], "3");
    }
}
