//! Calendar arithmetic and the docker CLI's time syntaxes: `CreatedAt` of `ps --format json` is
//! Go's `time.Time.String()` in the local zone (`2024-01-02 15:04:05 +0000 UTC`), and the
//! `--since` / `--until` values of `logs` are durations (`10m`, `1h30m`), RFC 3339 timestamps
//! (read in the local zone when they carry none) or unix timestamps.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date of a day count since 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Go's `time.Unix(secs, 0).String()` for a zone `offset` seconds east of UTC named `zone`:
/// `2024-01-02 15:04:05 +0100 CET`.
pub fn go_time_string(secs: i64, offset: i64, zone: &str) -> String {
    let local = secs + offset;
    let (y, m, d) = civil_from_days(local.div_euclid(86400));
    let sod = local.rem_euclid(86400);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.abs();
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} {sign}{:02}{:02} {zone}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// The local zone at unix time `secs`: (offset east of UTC in seconds, abbreviation).
pub fn local_zone(secs: i64) -> (i64, String) {
    // SAFETY: localtime_r only writes into the tm we own; tm_zone points into static storage.
    unsafe {
        let t: libc::time_t = secs as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return (0, "UTC".into());
        }
        let zone = if tm.tm_zone.is_null() {
            "UTC".to_string()
        } else {
            std::ffi::CStr::from_ptr(tm.tm_zone)
                .to_string_lossy()
                .into_owned()
        };
        (tm.tm_gmtoff as i64, zone)
    }
}

/// Go's `time.ParseDuration`, in seconds: `300ms`, `-1.5h`, `1h30m`, `2h45m10s`.
pub fn parse_go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * scale;
    }
    Some(if neg { -total } else { total })
}

/// A `--since`/`--until` value as unix seconds, as the docker CLI reads it
/// (`GetTimestamp`): a duration before `now`, an RFC 3339 timestamp or date (local zone unless
/// it has one), or a unix timestamp.
pub fn parse_log_time(value: &str, now: i64) -> Result<i64, String> {
    if value != "0"
        && let Some(d) = parse_go_duration(value)
    {
        return Ok(now - d.round() as i64);
    }
    let invalid = || format!("failed to parse value as time or duration: {value:?}");
    if let Some(t) = parse_rfc3339ish(value) {
        return Ok(t);
    }
    if value.contains('-') {
        return Err(invalid());
    }
    let (secs, frac) = value.split_once('.').unwrap_or((value, "0"));
    match (
        secs.parse::<i64>(),
        frac.chars().all(|c| c.is_ascii_digit()),
    ) {
        (Ok(s), true) => Ok(s),
        _ => Err(invalid()),
    }
}

/// `YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±HH:MM]`.
fn parse_rfc3339ish(v: &str) -> Option<i64> {
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if v.len() < 10 {
        return None;
    }
    let (date, rest) = v.split_at(10);
    let mut d = date.split('-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    // Zone suffix.
    let (rest, offset) = if let Some(r) = rest.strip_suffix(['Z', 'z']) {
        (r, Some(0))
    } else if rest.len() >= 6
        && let Some(sign) = rest[rest.len() - 6..]
            .chars()
            .next()
            .filter(|c| *c == '+' || *c == '-')
        && rest.as_bytes()[rest.len() - 3] == b':'
    {
        let z = &rest[rest.len() - 5..];
        let off = i64::from(num(&z[..2])?) * 3600 + i64::from(num(&z[3..])?) * 60;
        (
            &rest[..rest.len() - 6],
            Some(if sign == '-' { -off } else { off }),
        )
    } else {
        (rest, None)
    };
    let (mut h, mut mi, mut s) = (0, 0, 0);
    if let Some(time) = rest.strip_prefix('T') {
        let time =
            time.split_once('.').map_or(
                time,
                |(t, frac)| {
                    if num(frac).is_some() { t } else { "invalid" }
                },
            );
        let parts: Vec<&str> = time.split(':').collect();
        if parts.len() > 3 {
            return None;
        }
        h = num(parts[0])?;
        mi = parts.get(1).map_or(Some(0), |p| num(p))?;
        s = parts.get(2).map_or(Some(0), |p| num(p))?;
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
    } else if !rest.is_empty() {
        return None;
    }
    let wall = days_from_civil(i64::from(y), mo, da) * 86400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s);
    Some(match offset {
        Some(o) => wall - o,
        None => wall - local_zone(wall).0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
        assert_eq!(civil_from_days(11017), (2000, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for z in [-800_000, -1, 0, 59, 60, 365, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn go_layout() {
        assert_eq!(
            go_time_string(1_704_207_845, 0, "UTC"),
            "2024-01-02 15:04:05 +0000 UTC"
        );
        assert_eq!(
            go_time_string(1_704_207_845, 3600, "CET"),
            "2024-01-02 16:04:05 +0100 CET"
        );
        assert_eq!(
            go_time_string(0, -5 * 3600 - 1800, "X"),
            "1969-12-31 18:30:00 -0530 X"
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("10m"), Some(600.0));
        assert_eq!(parse_go_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_go_duration("1.5h"), Some(5400.0));
        assert_eq!(parse_go_duration("-2s"), Some(-2.0));
        assert_eq!(parse_go_duration("300ms"), Some(0.3));
        assert_eq!(parse_go_duration("0"), Some(0.0));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("m"), None);
        assert_eq!(parse_go_duration("10x"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn log_times() {
        let now = 1_704_207_845;
        assert_eq!(parse_log_time("10m", now), Ok(now - 600));
        assert_eq!(
            parse_log_time("2024-01-02T15:04:05Z", now),
            Ok(1_704_207_845)
        );
        assert_eq!(
            parse_log_time("2024-01-02T16:04:05+01:00", now),
            Ok(1_704_207_845)
        );
        assert_eq!(
            parse_log_time("2024-01-02T15:04:05.123456789Z", now),
            Ok(1_704_207_845)
        );
        assert_eq!(parse_log_time("2024-01-02T15Z", now), Ok(1_704_207_600));
        assert_eq!(parse_log_time("1704207845", now), Ok(1_704_207_845));
        assert_eq!(parse_log_time("1704207845.5", now), Ok(1_704_207_845));
        assert_eq!(parse_log_time("0", now), Ok(0));
        assert!(parse_log_time("2024-13-02", now).is_err());
        assert!(parse_log_time("yesterday", now).is_err());
        assert!(parse_log_time("2024-01-02Tx", now).is_err());
        // Without a zone: local time (the zone of this machine, whatever it is).
        let local = parse_log_time("2024-01-02T15:04:05", now).unwrap();
        assert_eq!(local + local_zone(local).0, 1_704_207_845);
        let date = parse_log_time("2024-01-02", now).unwrap();
        assert_eq!(date + local_zone(date).0, 1_704_153_600);
    }
}
