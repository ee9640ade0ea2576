//! Field-level differences between two canonical service configurations (the JSON stored in the
//! `io.rcompose.config` label and the JSON of the desired service), as short human-readable
//! reasons: `environment.COLOR: "blue" → "red"`, `ports[0].published: "8080" → "8081"`.
//! Pure: JSON in, lines out.

use serde_json::Value;

/// At most this many reasons are listed; the rest are summarised as `N more changes`.
pub const MAX_REASONS: usize = 8;
/// Values longer than this are shortened in reasons.
const MAX_VALUE_CHARS: usize = 60;

/// Every changed leaf between `old` and `new`, one line each, in document order of `new`
/// (then keys only in `old`).
pub fn diff_values(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

/// Reasons for the change from `old` to `new` JSON text; None when `old` does not parse.
pub fn diff_config(old: &str, new: &str) -> Option<Vec<String>> {
    let old: Value = serde_json::from_str(old).ok()?;
    let new: Value = serde_json::from_str(new).ok()?;
    let mut lines = diff_values(&old, &new);
    if lines.len() > MAX_REASONS {
        let more = lines.len() - (MAX_REASONS - 1);
        lines.truncate(MAX_REASONS - 1);
        lines.push(format!("{more} more changes"));
    }
    Some(lines)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, nv) in b {
                let p = join(path, k);
                match a.get(k) {
                    Some(ov) => walk(&p, ov, nv, out),
                    None => out.push(format!("{p}: added {}", show(nv))),
                }
            }
            for (k, ov) in a {
                if !b.contains_key(k) {
                    out.push(format!("{}: removed (was {})", join(path, k), show(ov)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            // Arrays of scalars (command, entrypoint) read better whole.
            let scalars = a.iter().chain(b).all(|v| !v.is_object() && !v.is_array());
            if scalars {
                if a != b {
                    out.push(format!("{path}: {} → {}", show(old), show(new)));
                }
                return;
            }
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(ov), Some(nv)) => walk(&p, ov, nv, out),
                    (None, Some(nv)) => out.push(format!("{p}: added {}", show(nv))),
                    (Some(ov), None) => out.push(format!("{p}: removed (was {})", show(ov))),
                    (None, None) => {}
                }
            }
        }
        _ if old == new => {}
        _ => out.push(format!("{path}: {} → {}", show(old), show(new))),
    }
}

/// Compact JSON of a value, shortened when long.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= MAX_VALUE_CHARS {
        return s;
    }
    let head: String = s.chars().take(MAX_VALUE_CHARS - 1).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_configs_have_no_reasons() {
        let v = json!({"image": "x", "environment": {"A": "1"}, "ports": [{"target": 80}]});
        assert!(diff_values(&v, &v).is_empty());
    }

    #[test]
    fn changed_environment_value() {
        let a = json!({"environment": {"COLOR": "blue", "SIZE": "1"}});
        let b = json!({"environment": {"COLOR": "red", "SIZE": "1"}});
        assert_eq!(
            diff_values(&a, &b),
            [r#"environment.COLOR: "blue" → "red""#]
        );
    }

    #[test]
    fn changed_published_port_is_indexed() {
        let a = json!({"ports": [{"target": 80, "published": "8080", "protocol": "tcp"}]});
        let b = json!({"ports": [{"target": 80, "published": "8081", "protocol": "tcp"}]});
        assert_eq!(
            diff_values(&a, &b),
            [r#"ports[0].published: "8080" → "8081""#]
        );
    }

    #[test]
    fn added_and_removed_keys_and_elements() {
        let a = json!({"environment": {"OLD": "1"}, "ports": [{"target": 80}, {"target": 81}]});
        let b = json!({"environment": {"NEW": null}, "ports": [{"target": 80}], "user": "app"});
        assert_eq!(
            diff_values(&a, &b),
            [
                "environment.NEW: added null",
                r#"environment.OLD: removed (was "1")"#,
                r#"ports[1]: removed (was {"target":81})"#,
                r#"user: added "app""#,
            ]
        );
    }

    #[test]
    fn scalar_arrays_are_shown_whole() {
        let a = json!({"command": ["sleep", "10"]});
        let b = json!({"command": ["sleep", "20"]});
        assert_eq!(
            diff_values(&a, &b),
            [r#"command: ["sleep","10"] → ["sleep","20"]"#]
        );
    }

    #[test]
    fn type_change_and_long_values() {
        let a = json!({"init": true});
        let b = json!({"init": false});
        assert_eq!(diff_values(&a, &b), ["init: true → false"]);
        let long = "x".repeat(200);
        let lines = diff_values(&json!({"user": "a"}), &json!({"user": long}));
        assert!(lines[0].ends_with('…'), "{}", lines[0]);
        assert!(lines[0].chars().count() < 80);
    }

    #[test]
    fn diff_config_limits_the_number_of_reasons() {
        let a = serde_json::to_string(&json!({"environment": {}})).unwrap();
        let env: serde_json::Map<String, Value> =
            (0..20).map(|i| (format!("K{i:02}"), json!("v"))).collect();
        let b = serde_json::to_string(&json!({ "environment": env })).unwrap();
        let lines = diff_config(&a, &b).unwrap();
        assert_eq!(lines.len(), MAX_REASONS);
        assert_eq!(lines.last().unwrap(), "13 more changes");
        assert!(diff_config("not json", &b).is_none());
    }
}
