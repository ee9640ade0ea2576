//! The conformance exceptions listed in tests/conformance-exceptions.md, read by the runners
//! that skip them.

/// Ids listed as "- `id`: reason" under the heading `## {section}`.
pub fn listed(section: &str) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance-exceptions.md"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let heading = format!("## {section}");
    let mut on = false;
    let mut ids = Vec::new();
    for line in text.lines() {
        if line.starts_with("## ") {
            on = line.trim() == heading;
            continue;
        }
        if on
            && let Some(rest) = line.strip_prefix("- `")
            && let Some((id, _)) = rest.split_once('`')
        {
            ids.push(id.to_string());
        }
    }
    ids
}
