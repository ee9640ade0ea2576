//! The short syntaxes compose expands before printing, with compose's own rules: port specs
//! (docker's `nat.ParsePortSpecs`), volume specs, shell words (go-shellwords), Go durations
//! (`1m30s`, plus `d` and `w`) and their `Duration.String()` form, byte sizes (`50M`), and Go's
//! `fmt.Sprint` of a scalar. Pure functions over strings and values.

use serde_json::{Map, Value, json};

use super::emit::go_float;

/// Go's `fmt.Sprint` of a YAML scalar: numbers in Go's shortest form, `true`/`false`.
pub fn sprint(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => go_float(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(sprint).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", sprint(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Ports

fn port_range(s: &str) -> Option<(u32, u32)> {
    let one = |p: &str| p.parse::<u16>().ok().map(u32::from);
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (one(a)?, one(b)?);
            (b >= a).then_some((a, b))
        }
        None => one(s).map(|p| (p, p)),
    }
}

/// Expands a short port spec (`[ip:][host:]container[/proto]`, ranges allowed) into long-form
/// entries in compose's order (sorted by `port/proto` text), or the reason it is invalid.
pub fn parse_port(raw: &str) -> Result<Vec<Map<String, Value>>, String> {
    let parts: Vec<&str> = raw.split('/').collect();
    let (proto, spec) = match parts.as_slice() {
        [] | [""] => ("", ""),
        [p] => ("tcp", *p),
        [p, ""] => ("tcp", *p),
        [p, proto, ..] => (*proto, *p),
    };
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let pieces: Vec<&str> = spec.split(':').collect();
    let n = pieces.len();
    let container = pieces[n - 1];
    let (ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), pieces[0]),
        3 => (pieces[0].to_string(), pieces[1]),
        _ => (pieces[..n - 2].join(":"), pieces[n - 2]),
    };
    let ip = match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
        Some(inner) => inner.to_string(),
        None => ip,
    };
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("no port specified: {spec}<empty>"));
    }
    let (c_lo, c_hi) =
        port_range(container).ok_or_else(|| format!("invalid containerPort: {container}"))?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(port_range(host).ok_or_else(|| format!("invalid hostPort: {host}"))?)
    };
    if let Some((h_lo, h_hi)) = host_range
        && h_hi - h_lo != c_hi - c_lo
        && c_hi != c_lo
    {
        return Err(format!(
            "invalid ranges specified for container and host Ports: {container} and {host}"
        ));
    }
    let mut entries: Vec<(String, Map<String, Value>)> = Vec::new();
    for i in 0..=(c_hi - c_lo) {
        let target = c_lo + i;
        let published = match host_range {
            None => String::new(),
            Some((h_lo, h_hi)) if c_lo == c_hi && h_lo != h_hi => format!("{h_lo}-{h_hi}"),
            Some((h_lo, _)) => (h_lo + i).to_string(),
        };
        let mut m = Map::new();
        m.insert("mode".into(), json!("ingress"));
        if !ip.is_empty() {
            m.insert("host_ip".into(), json!(ip));
        }
        m.insert("target".into(), json!(target));
        if !published.is_empty() {
            m.insert("published".into(), json!(published));
        }
        m.insert("protocol".into(), json!(proto));
        entries.push((format!("{target}/{proto}"), m));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries.into_iter().map(|(_, m)| m).collect())
}

// ---------------------------------------------------------------------------------------------
// Volumes

fn is_windows_drive(buffer: &[char], c: char) -> bool {
    c == ':' && buffer.len() == 1 && buffer[0].is_alphabetic()
}

fn is_file_path(source: &str) -> bool {
    if source.starts_with(['.', '/', '~']) || source.starts_with("\\\\") {
        return true;
    }
    let chars: Vec<char> = source.chars().take(2).collect();
    chars.len() == 2 && is_windows_drive(&chars[..1], chars[1])
}

/// Go's `path.Clean` for slash-separated paths.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// The options of the short volume syntax that compose-go's `format.ParseVolume` knows. Any other
/// option is ignored, as compose ignores it. The consistency modes of Docker Desktop for Mac
/// (`cached`, `delegated`, `consistent`) are among the ignored ones: compose-go does not carry
/// them to the long form's `consistency`, so `config` does not print them.
pub const VOLUME_OPTIONS: &[&str] = &[
    "ro", "rw", "nocopy", "z", "Z", "rprivate", "private", "rshared", "shared", "rslave", "slave",
];

/// Consistency modes: known to users of Docker Desktop, ignored by compose without a word.
pub const CONSISTENCY_MODES: &[&str] = &["cached", "delegated", "consistent"];

/// A short volume spec split into its sections, with compose-go's rules: a Windows drive letter
/// (`C:`) does not split, nor does a colon inside `${...}`; empty sections and a fourth section
/// are errors. A spec of one or two characters is a target alone.
struct VolumeSections {
    source: String,
    target: String,
    options: Vec<String>,
}

fn split_volume(spec: &str) -> Result<VolumeSections, String> {
    let mut sections = VolumeSections {
        source: String::new(),
        target: String::new(),
        options: Vec::new(),
    };
    match spec.chars().count() {
        0 => return Err("invalid empty volume spec".into()),
        1 | 2 => {
            sections.target = spec.to_string();
            return Ok(sections);
        }
        _ => {}
    }
    let invalid = |why: &str| format!("invalid spec: {spec}: {why}");
    let mut buffer: Vec<char> = Vec::new();
    let mut depth = 0usize;
    let chars: Vec<char> = spec.chars().collect();
    for i in 0..=chars.len() {
        let c = chars.get(i).copied();
        if c == Some('$') && chars.get(i + 1) == Some(&'{') {
            depth += 1;
            buffer.push('$');
            continue;
        }
        if c == Some('}') && depth > 0 {
            depth -= 1;
            buffer.push('}');
            continue;
        }
        let at_end = c.is_none();
        match c {
            Some(ch) if is_windows_drive(&buffer, ch) => buffer.push(ch),
            Some(':') | None if depth == 0 || at_end => {
                let text: String = buffer.iter().collect();
                if buffer.is_empty() {
                    return Err(invalid("empty section between colons"));
                } else if sections.source.is_empty() && at_end {
                    sections.target = text;
                } else if sections.source.is_empty() {
                    sections.source = text;
                } else if sections.target.is_empty() {
                    sections.target = text;
                } else if !at_end {
                    return Err(invalid("too many colons"));
                } else {
                    sections.options = text.split(',').map(str::to_string).collect();
                }
                buffer.clear();
            }
            Some(ch) => buffer.push(ch),
            None => {}
        }
    }
    Ok(sections)
}

/// The options of a short volume spec that compose ignores and that are not consistency modes
/// (`roz` in `data:/d:roz` is not read-only): worth a warning. Empty for an invalid spec.
pub fn ignored_volume_options(spec: &str) -> Vec<String> {
    split_volume(spec)
        .map(|s| s.options)
        .unwrap_or_default()
        .into_iter()
        .filter(|o| !VOLUME_OPTIONS.contains(&o.as_str()))
        .filter(|o| !CONSISTENCY_MODES.contains(&o.as_str()))
        .collect()
}

/// Expands a short volume spec (`[source:]target[:options]`) into the long form compose
/// prints, or the reason it is invalid. The one parser of the short volume syntax: the service
/// model and `run -v` read its long form.
pub fn parse_volume(spec: &str) -> Result<Map<String, Value>, String> {
    let sections = split_volume(spec)?;
    let mut out = Map::new();
    if sections.source.is_empty() && sections.options.is_empty() && spec.chars().count() <= 2 {
        out.insert("type".into(), json!("volume"));
        out.insert("target".into(), json!(clean_path(spec)));
        return Ok(out);
    }
    let (mut read_only, mut nocopy) = (false, false);
    let (mut selinux, mut propagation) = (String::new(), String::new());
    for option in &sections.options {
        match option.as_str() {
            "ro" => read_only = true,
            "rw" => read_only = false,
            "nocopy" => nocopy = true,
            "z" | "Z" => selinux = option.clone(),
            "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                propagation = option.clone()
            }
            _ => {}
        }
    }
    let bind = is_file_path(&sections.source);
    out.insert("type".into(), json!(if bind { "bind" } else { "volume" }));
    if !sections.source.is_empty() {
        out.insert("source".into(), json!(sections.source));
    }
    out.insert("target".into(), json!(clean_path(&sections.target)));
    if read_only {
        out.insert("read_only".into(), json!(true));
    }
    // compose-go keeps a relabel or propagation option even on a named volume, and `nocopy`
    // even on a bind.
    if bind || !selinux.is_empty() || !propagation.is_empty() {
        let mut b = Map::new();
        if !selinux.is_empty() {
            b.insert("selinux".into(), json!(selinux));
        }
        if !propagation.is_empty() {
            b.insert("propagation".into(), json!(propagation));
        }
        if bind {
            b.insert("create_host_path".into(), json!(true));
        }
        out.insert("bind".into(), Value::Object(b));
    }
    if !bind || nocopy {
        let mut v = Map::new();
        if nocopy {
            v.insert("nocopy".into(), json!(true));
        }
        out.insert("volume".into(), Value::Object(v));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Shell words

/// Splits a command string the way go-shellwords does for compose (no variable or backtick
/// expansion): quotes, backslash escapes (`\t` and `\n` become tab and newline), and the word
/// list stops at the first unquoted `;`, `&`, `|`, `<` or `>`.
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let invalid = || "invalid command line string".to_string();
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut double, mut single, mut back, mut dollar) =
        (false, false, false, false, false);
    let mut got = false;
    for r in line.chars() {
        if escaped {
            escaped = false;
            if back || dollar {
                buf.push('\\');
                buf.push(r);
                got = true;
                continue;
            }
            buf.push(match r {
                't' => '\t',
                'n' => '\n',
                c => c,
            });
            got = true;
            continue;
        }
        if r == '\\' {
            if single {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if single || double || back || dollar {
                buf.push(r);
            } else if got {
                args.push(std::mem::take(&mut buf));
                got = false;
            }
            continue;
        }
        match r {
            '`' if !single && !double && !dollar => back = !back,
            ')' if !single && !double && !back => {
                if !dollar {
                    return Err(invalid());
                }
                buf.push(r);
                dollar = false;
                got = true;
                continue;
            }
            '(' if !single && !double && !back => {
                if !dollar && buf.ends_with('$') && !buf.ends_with("\\$") {
                    dollar = true;
                    buf.push('(');
                    continue;
                }
                return Err(invalid());
            }
            '"' if !single && !dollar && !back => {
                if double {
                    got = true;
                }
                double = !double;
                continue;
            }
            '\'' if !double && !dollar && !back => {
                if single {
                    got = true;
                }
                single = !single;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(single || double || back || dollar) => {
                if r == '>' && !buf.is_empty() && buf.chars().all(|c| c.is_ascii_digit()) {
                    got = false;
                }
                break;
            }
            _ => {}
        }
        got = true;
        buf.push(r);
    }
    if got {
        args.push(buf);
    }
    if escaped || single || double || back || dollar {
        return Err(invalid());
    }
    Ok(args)
}

// ---------------------------------------------------------------------------------------------
// Durations and sizes

/// Parses a Go duration with compose's extra units (`d`, `w`) into nanoseconds.
pub fn parse_duration(s: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {s:?}");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let number = &rest[..n];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[n..];
        let u = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..u];
        rest = &rest[u..];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            "w" => 604800e9,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            other => return Err(format!("time: unknown unit {other:?} in duration {s:?}")),
        };
        total += value * scale;
    }
    let ns = total.round() as i128;
    Ok(if neg { -ns } else { ns })
}

fn frac(v: u128, digits: u32) -> (String, u128) {
    // Fractional part of v / 10^digits without trailing zeros, and the integer part.
    let div = 10u128.pow(digits);
    let f = v % div;
    let int = v / div;
    if f == 0 {
        return (String::new(), int);
    }
    let s = format!("{f:0width$}", width = digits as usize);
    (format!(".{}", s.trim_end_matches('0')), int)
}

/// Go's `time.Duration.String()`: `0s`, `500ms`, `1.5s`, `1m30s`, `1h0m0s`.
pub fn format_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let u = ns.unsigned_abs();
    if u < 1_000_000_000 {
        let (f, int, unit) = if u < 1_000 {
            (String::new(), u, "ns")
        } else if u < 1_000_000 {
            let (f, i) = frac(u, 3);
            (f, i, "µs")
        } else {
            let (f, i) = frac(u, 6);
            (f, i, "ms")
        };
        return format!("{sign}{int}{f}{unit}");
    }
    let (f, secs) = frac(u, 9);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{sign}{h}h{m}m{s}{f}s")
    } else if secs >= 60 {
        format!("{sign}{m}m{s}{f}s")
    } else {
        format!("{sign}{s}{f}s")
    }
}

/// compose's byte sizes: a plain integer, or docker's `RAMInBytes` (`50M`, `1.5g`, `512 KiB`,
/// 1024-based).
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let invalid = || format!("invalid size: '{s}'");
    let n = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, mut rest) = s.split_at(n);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(invalid());
    }
    let value: f64 = number.parse().map_err(|_| invalid())?;
    rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let mult: f64 = match chars.peek().map(char::to_ascii_lowercase) {
        Some(c @ ('k' | 'm' | 'g' | 't' | 'p')) => {
            chars.next();
            let exp = match c {
                'k' => 1,
                'm' => 2,
                'g' => 3,
                't' => 4,
                _ => 5,
            };
            1024f64.powi(exp)
        }
        _ => 1.0,
    };
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(invalid());
    }
    Ok((value * mult) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        let p = parse_port("127.0.0.1:5000-5001:5000-5001").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1]["published"], "5001");
        assert_eq!(p[0]["host_ip"], "127.0.0.1");
        let p = parse_port("8-10").unwrap();
        let targets: Vec<_> = p.iter().map(|m| m["target"].clone()).collect();
        assert_eq!(targets, [json!(10), json!(8), json!(9)]);
        let p = parse_port("8000-8010:80/UDP").unwrap();
        assert_eq!(p[0]["published"], "8000-8010");
        assert_eq!(p[0]["protocol"], "udp");
        assert!(parse_port("8000-8002:9000-9001").is_err());
        assert!(parse_port("x").is_err());
    }

    #[test]
    fn volumes() {
        let v = parse_volume("/var/lib/anonymous").unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"type": "volume", "target": "/var/lib/anonymous", "volume": {}})
        );
        let v = parse_volume("~/configs:/etc/configs/:ro").unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"type": "bind", "source": "~/configs", "target": "/etc/configs", "read_only": true, "bind": {"create_host_path": true}})
        );
        let v = parse_volume("data:/d:nocopy").unwrap();
        assert_eq!(v["volume"], json!({"nocopy": true}));
        let v = parse_volume("C:\\x:/x").unwrap();
        assert_eq!(v["type"], "bind");
        assert!(parse_volume("aa:bb:cc:dd").is_err());
    }

    #[test]
    fn words() {
        assert_eq!(
            shell_words("bundle exec thin -p 3000").unwrap(),
            ["bundle", "exec", "thin", "-p", "3000"]
        );
        assert_eq!(
            shell_words(r#"sh -c "a && b" 'c d'"#).unwrap(),
            ["sh", "-c", "a && b", "c d"]
        );
        assert_eq!(shell_words("echo a && echo b").unwrap(), ["echo", "a"]);
        assert_eq!(shell_words("a \"\" b").unwrap(), ["a", "", "b"]);
        assert!(shell_words("'open").is_err());
    }

    #[test]
    fn durations_and_sizes() {
        let d = |s: &str| format_duration(parse_duration(s).unwrap());
        assert_eq!(d("60s"), "1m0s");
        assert_eq!(d("120s"), "2m0s");
        assert_eq!(d("1h"), "1h0m0s");
        assert_eq!(d("1.5s"), "1.5s");
        assert_eq!(d("500ms"), "500ms");
        assert_eq!(d("1d"), "24h0m0s");
        assert_eq!(d("0"), "0s");
        assert_eq!(d("1m30s"), "1m30s");
        assert!(parse_duration("10").is_err());
        assert_eq!(parse_bytes("50M").unwrap(), 52428800);
        assert_eq!(parse_bytes("20G").unwrap(), 21474836480);
        assert_eq!(parse_bytes("1.5k").unwrap(), 1536);
        assert_eq!(parse_bytes("512 KiB").unwrap(), 524288);
        assert!(parse_bytes("lots").is_err());
    }
}
