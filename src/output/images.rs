//! `images` output: the table (CONTAINER REPOSITORY TAG PLATFORM IMAGE ID SIZE CREATED), the
//! JSON array, and docker's human-readable sizes.

use super::table::{COMPOSE_PRETTY, human_duration, tab_table};
use super::time::civil_from_days;

/// The image of one project container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRow {
    /// `sha256:…` as the engine gives it.
    pub id: String,
    pub container: String,
    pub repository: String,
    pub tag: String,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Bytes.
    pub size: i64,
    /// Unix (seconds, nanoseconds).
    pub created: Option<(i64, u32)>,
    pub last_tag_time: Option<(i64, u32)>,
}

/// The id without its `sha256:` prefix.
pub fn bare_id(id: &str) -> &str {
    id.split_once(':').map(|(_, h)| h).unwrap_or(id)
}

/// CREATED: how long ago the image was created, `N/A` when the engine does not say (as
/// compose prints it since it stopped showing the saturated age of a never-tagged image).
fn created_cell(created: Option<(i64, u32)>, now: i64) -> String {
    match created {
        Some((s, _)) => format!("{} ago", human_duration(now - s)),
        None => "N/A".into(),
    }
}

/// The table (compose's `formatter.Print`), rows sorted by container name, ids truncated to
/// 12 characters.
pub fn images_table(rows: &[ImageRow], now: i64) -> String {
    let mut rows: Vec<&ImageRow> = rows.iter().collect();
    rows.sort_by(|a, b| a.container.cmp(&b.container));
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.container.clone(),
                r.repository.clone(),
                r.tag.clone(),
                r.platform.clone(),
                bare_id(&r.id).chars().take(12).collect(),
                human_size(r.size),
                created_cell(r.created, now),
            ]
        })
        .collect();
    tab_table(
        COMPOSE_PRETTY,
        &[
            "CONTAINER",
            "REPOSITORY",
            "TAG",
            "PLATFORM",
            "IMAGE ID",
            "SIZE",
            "CREATED",
        ],
        &cells,
    )
}

/// `--format json`: one JSON array, keys ID, ContainerName, Repository, Tag, Platform, Size,
/// Created, LastTagTime (times as Go marshals them, RFC 3339 with nanoseconds, UTC).
pub fn images_json(rows: &[ImageRow]) -> String {
    let mut rows: Vec<&ImageRow> = rows.iter().collect();
    rows.sort_by(|a, b| a.container.cmp(&b.container));
    let values: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "ID": r.id,
                "ContainerName": r.container,
                "Repository": r.repository,
                "Tag": r.tag,
                "Platform": r.platform,
                "Size": r.size,
                "Created": r.created.map(|(s, n)| rfc3339_nano(s, n)),
                "LastTagTime": rfc3339_nano_or_zero(r.last_tag_time),
            })
        })
        .collect();
    serde_json::Value::Array(values).to_string()
}

fn rfc3339_nano_or_zero(t: Option<(i64, u32)>) -> String {
    match t {
        Some((s, n)) if s > 0 || n > 0 => rfc3339_nano(s, n),
        _ => "0001-01-01T00:00:00Z".into(),
    }
}

/// Go's `time.RFC3339Nano` in UTC: `2024-01-02T15:04:05.123Z` (trailing zeros of the
/// fraction dropped).
pub fn rfc3339_nano(secs: i64, nanos: u32) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let sod = secs.rem_euclid(86400);
    let mut frac = String::new();
    if nanos > 0 {
        frac = format!(".{nanos:09}").trim_end_matches('0').to_string();
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// docker's `units.HumanSizeWithPrecision(size, 3)`: decimal units, three significant digits
/// (`4.26MB`, `100B`, `1.5kB`).
pub fn human_size(size: i64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut v = size as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", significant(v, 3), UNITS[i])
}

/// `%.{p}g` for 0 <= v < 1000.
fn significant(v: f64, p: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = v.abs().log10().floor() as i32 + 1;
    let decimals = (p as i32 - digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(100), "100B");
        assert_eq!(human_size(1500), "1.5kB");
        assert_eq!(human_size(4_261_234), "4.26MB");
        assert_eq!(human_size(12_345_678), "12.3MB");
        assert_eq!(human_size(123_456_789), "123MB");
        assert_eq!(human_size(1_000_000), "1MB");
    }

    #[test]
    fn go_rfc3339_nano() {
        assert_eq!(rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(1_704_207_845, 120_000_000),
            "2024-01-02T15:04:05.12Z"
        );
    }

    #[test]
    fn table_and_json() {
        let r = ImageRow {
            id: "sha256:0123456789abcdef".into(),
            container: "p-web-1".into(),
            repository: "busybox".into(),
            tag: "latest".into(),
            platform: "linux/amd64".into(),
            size: 4_261_234,
            created: Some((1000, 0)),
            last_tag_time: None,
        };
        // compose's formatter.Print: minimum cell width 20.
        assert_eq!(
            images_table(std::slice::from_ref(&r), 1000 + 3600 * 24 * 3),
            concat!(
                "CONTAINER           REPOSITORY          TAG                 PLATFORM            IMAGE ID            SIZE                CREATED\n",
                "p-web-1             busybox             latest              linux/amd64         0123456789ab        4.26MB              3 days ago\n",
            )
        );
        let unknown = ImageRow {
            created: None,
            ..r.clone()
        };
        assert!(images_table(&[unknown], 0).ends_with("   N/A\n"));
        assert_eq!(
            images_json(&[r]),
            r#"[{"ID":"sha256:0123456789abcdef","ContainerName":"p-web-1","Repository":"busybox","Tag":"latest","Platform":"linux/amd64","Size":4261234,"Created":"1970-01-01T00:16:40Z","LastTagTime":"0001-01-01T00:00:00Z"}]"#
        );
    }
}
