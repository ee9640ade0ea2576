//! Text output of a canonical tree, byte for byte the way docker compose prints it.
//!
//! * YAML as go-yaml v4's encoder writes it with `SetIndent(2)`: block style, sequences indented
//!   under their key, `{}` / `[]` for empty collections, and its quoting rules: a string is
//!   plain unless it would read back as something else (`"3000"`, `"true"`, `""`, `"0440"`) or
//!   starts or contains YAML indicators (then `'single'` quoted), `"double"` quoted with escapes
//!   when it has special characters, and a `|` literal block when it spans lines.
//! * JSON as Go's `encoding/json` `MarshalIndent(v, "", "  ")` writes it: `<`, `>` and `&`
//!   escaped as `\u003c`…, floats in shortest form, and no trailing newline.
//!
//! Key order is the tree's own order: the caller lays the tree out. Pure: values in, text out.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// go-yaml's block indentation (`SetIndent(2)`).
const INDENT: usize = 2;

// ---------------------------------------------------------------------------------------------
// Numbers

/// The shortest decimal digits of `f` (no sign) and the position of the decimal point: the
/// value is `0.d1d2…dn × 10^point`. Zero is `("0", 1)`.
fn shortest_digits(f: f64) -> (String, i32) {
    if f == 0.0 {
        return ("0".into(), 1);
    }
    // `{:e}` prints the shortest representation that reads back to the same f64.
    let s = format!("{:e}", f.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

fn fixed(digits: &str, point: i32) -> String {
    let n = digits.len() as i32;
    if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{digits}{}", "0".repeat((point - n) as usize))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    }
}

fn exponent(digits: &str, point: i32, min_exp_digits: usize) -> String {
    let mut out = digits[..1].to_string();
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let e = point - 1;
    let sign = if e < 0 { '-' } else { '+' };
    let _ = write!(out, "e{sign}{:0width$}", e.abs(), width = min_exp_digits);
    out
}

/// A float as go-yaml writes it: Go's shortest `%g` digits (`0.001`, `1e-05`, `1e+06`, `1.5`,
/// `2`) with YAML's `.nan`, `.inf` and `-.inf`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    finite_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, what `fmt.Sprint` and `%v` print: as
/// [`go_float`] but `NaN`, `+Inf`, `-Inf` and a signed `-0`.
pub fn go_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 && f.is_sign_negative() {
        return "-0".into();
    }
    finite_g(f)
}

/// The shortest `%g` digits of a finite float, exponent form below 1e-4 and from 1e6 on.
fn finite_g(f: f64) -> String {
    let (digits, point) = shortest_digits(f);
    let e = point - 1;
    let body = if digits != "0" && !(-4..6).contains(&e) {
        exponent(&digits, point, 2)
    } else {
        fixed(&digits, point)
    };
    if f.is_sign_negative() && f != 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// Go's `encoding/json` float format: shortest digits, exponent only below 1e-6 or from 1e21.
fn json_float(f: f64) -> String {
    let abs = f.abs();
    let (digits, point) = shortest_digits(f);
    let body = if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = exponent(&digits, point, 1);
        // `exponent` pads to one digit, which is already Go's cleaned-up `e-7` form.
        e
    } else {
        fixed(&digits, point)
    };
    if f < 0.0 { format!("-{body}") } else { body }
}

fn number_text(n: &Number, json: bool) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if json { json_float(f) } else { go_float(f) }
}

// ---------------------------------------------------------------------------------------------
// Key order

/// go-yaml's order for the keys of a Go map: byte order, except that runs of digits compare as
/// numbers and, at the first difference, a letter sorts after a non-letter (unless digits
/// precede it, then before). `a2 < a10`, `a_b < ab`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = ar[i].is_ascii_digit();
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            let a_first = if digits { al } else { bl };
            return if a_first {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i128, i128) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.saturating_mul(10) + i128::from(ar[ai] as u8 - b'0');
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.saturating_mul(10) + i128::from(br[bi] as u8 - b'0');
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

// ---------------------------------------------------------------------------------------------
// YAML scalars

/// True when go-yaml's resolver reads the plain scalar `s` as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "", "~", "null", "Null", "NULL", ".nan",
        ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF", "-0", "-0.0", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => is_dot_float(s),
        b'+' | b'-' | b'0'..=b'9' => {
            if is_timestamp(s) {
                return true;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            go_parse_int(&plain) || is_yaml_float(&plain)
        }
        _ => false,
    }
}

/// `strconv.ParseFloat` on a string starting with `.`: `.5`, `.5e3`.
fn is_dot_float(s: &str) -> bool {
    let rest = &s[1..];
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    !mant.is_empty()
        && mant.bytes().all(|b| b.is_ascii_digit())
        && exp.is_none_or(|e| {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        })
}

/// `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds: optional sign, then
/// `0x`/`0o`/`0b` prefixed, `0`-prefixed octal or decimal digits, within 64 bits.
fn go_parse_int(s: &str) -> bool {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    match u128::from_str_radix(digits, radix) {
        Ok(v) if neg => v <= 1u128 << 63,
        Ok(v) => v <= u128::from(u64::MAX),
        Err(_) => false,
    }
}

/// go-yaml's float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, within
/// the f64 range.
fn is_yaml_float(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mant_ok = match mant.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mant.is_empty() && mant.bytes().all(|b| b.is_ascii_digit()),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mant_ok && exp_ok && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// go-yaml's timestamp forms: `2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00` (also `t`), and
/// `2006-1-2 15:4:5.999999999`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    fn num(s: &str, max_len: usize) -> Option<(u32, &str)> {
        let n = s
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count()
            .min(max_len);
        if n == 0 {
            return None;
        }
        Some((s[..n].parse().ok()?, &s[n..]))
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some((month, rest)) = num(&s[5..], 2) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('-') else {
        return false;
    };
    let Some((day, rest)) = num(rest, 2) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    let (sep, time) = rest.split_at(1);
    let zoned = match sep {
        "T" | "t" => true,
        " " => false,
        _ => return false,
    };
    let Some((h, t)) = num(time, 2) else {
        return false;
    };
    let Some(t) = t.strip_prefix(':') else {
        return false;
    };
    let Some((m, t)) = num(t, 2) else {
        return false;
    };
    let Some(t) = t.strip_prefix(':') else {
        return false;
    };
    let Some((sec, mut t)) = num(t, 2) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if let Some(frac) = t.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return false;
        }
        t = &frac[n..];
    }
    if !zoned {
        return t.is_empty();
    }
    if t == "Z" {
        return true;
    }
    let tb = t.as_bytes();
    tb.len() == 6
        && (tb[0] == b'+' || tb[0] == b'-')
        && tb[1].is_ascii_digit()
        && tb[2].is_ascii_digit()
        && tb[3] == b':'
        && tb[4].is_ascii_digit()
        && tb[5].is_ascii_digit()
}

/// YAML 1.1 sexagesimal floats (`1:20`), which go-yaml quotes for older parsers.
fn is_base60_float(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body.starts_with(|c: char| c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    let (main, frac) = match body.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (body, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')) {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if head.is_empty() || !head.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return false;
    }
    let mut any = false;
    for p in parts {
        any = true;
        let ok = match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What go-yaml's emitter allows for a scalar (`analyzeScalar`).
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let blank_or_end = |i: usize| {
        chars
            .get(i)
            .is_none_or(|c| *c == ' ' || *c == '\t' || is_break(*c))
    };
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|n| *n == ' ' || *n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = blank_or_end(i) || c == '\0';
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn string_style(s: &str, key: bool) -> Style {
    let can_plain =
        !resolves_to_non_string(s) && !is_base60_float(s) && !is_old_bool(s) && s != "<<";
    let literal_ok = s.chars().count() >= 2 && s.chars().any(|c| !c.is_whitespace());
    let mut style = if s.contains('\n') {
        if literal_ok {
            Style::Literal
        } else {
            Style::Double
        }
    } else if can_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    if key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || key) {
        style = Style::Double;
    }
    style
}

fn double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let escape = !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\';
        if !escape {
            out.push(c);
            continue;
        }
        out.push('\\');
        match c {
            '\0' => out.push('0'),
            '\u{07}' => out.push('a'),
            '\u{08}' => out.push('b'),
            '\t' => out.push('t'),
            '\n' => out.push('n'),
            '\u{0B}' => out.push('v'),
            '\u{0C}' => out.push('f'),
            '\r' => out.push('r'),
            '\u{1B}' => out.push('e'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '\u{85}' => out.push('N'),
            '\u{A0}' => out.push('_'),
            '\u{2028}' => out.push('L'),
            '\u{2029}' => out.push('P'),
            c if (c as u32) <= 0xFF => {
                let _ = write!(out, "x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}

/// A literal block (`|`, `|-`, `|+`, with an indentation hint when the text starts with a
/// space); lines are indented by `indent` spaces, empty lines carry no indentation.
fn literal(s: &str, indent: usize, out: &mut String) {
    out.push('|');
    if s.starts_with(' ') {
        let _ = write!(out, "{INDENT}");
    }
    let trailing = s.chars().rev().take_while(|c| is_break(*c)).count();
    if trailing == 0 {
        out.push('-');
    } else if trailing >= 2 || s.chars().count() == 1 {
        out.push('+');
    }
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Writes a scalar; `indent` is the indentation of a literal block's lines. Literal blocks end
/// with their own newline; the other forms do not.
fn yaml_scalar(v: &Value, key: bool, indent: usize, out: &mut String) -> bool {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n, false)),
        Value::String(s) => match string_style(s, key) {
            Style::Plain => out.push_str(s),
            Style::Single => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
            Style::Double => double_quoted(s, out),
            Style::Literal => {
                literal(s, indent, out);
                return true;
            }
        },
        Value::Array(_) | Value::Object(_) => unreachable!("collections are not scalars"),
    }
    false
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// After `key:` or `-`: the value on the same line, or a block below.
fn yaml_value(v: &Value, indent: usize, in_sequence: bool, out: &mut String) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Value::Object(m) if in_sequence => {
            out.push(' ');
            yaml_map(m, indent + INDENT, true, out);
        }
        Value::Array(a) if in_sequence => {
            out.push(' ');
            yaml_seq(a, indent + INDENT, true, out);
        }
        Value::Object(m) => {
            out.push('\n');
            yaml_map(m, indent + INDENT, false, out);
        }
        Value::Array(a) => {
            out.push('\n');
            yaml_seq(a, indent + INDENT, false, out);
        }
        scalar => {
            out.push(' ');
            if !yaml_scalar(scalar, false, indent + INDENT, out) {
                out.push('\n');
            }
        }
    }
}

fn yaml_map(m: &Map<String, Value>, indent: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(out, indent);
        }
        yaml_scalar(&Value::String(k.clone()), true, indent, out);
        out.push(':');
        yaml_value(v, indent, false, out);
    }
}

fn yaml_seq(items: &[Value], indent: usize, inline_first: bool, out: &mut String) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(out, indent);
        }
        out.push('-');
        yaml_value(v, indent, true, out);
    }
}

/// The YAML document for `value`, ending with a newline.
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, false, &mut out),
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, false, &mut out),
        Value::Object(_) => out.push_str("{}\n"),
        Value::Array(_) => out.push_str("[]\n"),
        scalar => {
            if !yaml_scalar(scalar, false, INDENT, &mut out) {
                out.push('\n');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_value(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n, true)),
        Value::String(s) => json_string(s, out),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                pad(out, indent + 2);
                json_value(item, indent + 2, out);
            }
            out.push('\n');
            pad(out, indent);
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                pad(out, indent + 2);
                json_string(k, out);
                out.push_str(": ");
                json_value(item, indent + 2, out);
            }
            out.push('\n');
            pad(out, indent);
            out.push('}');
        }
    }
}

/// The JSON text for `value`, indented by two spaces, without a trailing newline.
pub fn json(value: &Value) -> String {
    let mut out = String::new();
    json_value(value, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(0.001), "0.001");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(2.0), "2");
        assert_eq!(json_float(0.0000001), "1e-7");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(1e20), "100000000000000000000");
    }

    #[test]
    fn natural_key_order() {
        let mut keys = vec!["a10", "a9", "ab", "a_b", "B", "a"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, ["B", "a", "a_b", "a9", "a10", "ab"]);
    }

    #[test]
    fn quoting() {
        let q = |s: &str| yaml(&json!({ "k": s }));
        assert_eq!(q("3000"), "k: \"3000\"\n");
        assert_eq!(q("0440"), "k: \"0440\"\n");
        assert_eq!(q(""), "k: \"\"\n");
        assert_eq!(q("yes"), "k: \"yes\"\n");
        assert_eq!(q("1:20"), "k: \"1:20\"\n");
        assert_eq!(q("8080:80"), "k: 8080:80\n");
        assert_eq!(q("2001-12-14"), "k: \"2001-12-14\"\n");
        assert_eq!(q("*"), "k: '*'\n");
        assert_eq!(q("a: b"), "k: 'a: b'\n");
        assert_eq!(q("- x"), "k: '- x'\n");
        assert_eq!(q("-p"), "k: -p\n");
        assert_eq!(q("it's"), "k: it's\n");
        assert_eq!(q(" lead"), "k: ' lead'\n");
        assert_eq!(q("tab\there"), "k: \"tab\\there\"\n");
        assert_eq!(q("a\nb\n"), "k: |\n  a\n  b\n");
        assert_eq!(q("a\nb"), "k: |-\n  a\n  b\n");
        assert_eq!(q("a \nb"), "k: \"a \\nb\"\n");
        assert_eq!(q("c 1:3 mr"), "k: c 1:3 mr\n");
        assert_eq!(q("echo \"hi\""), "k: echo \"hi\"\n");
    }

    #[test]
    fn layout() {
        let v = json!({"a": {"b": [1, {"c": null, "d": []}], "e": {}}, "f": [[1, 2]]});
        assert_eq!(
            yaml(&v),
            "a:\n  b:\n    - 1\n    - c: null\n      d: []\n  e: {}\nf:\n  - - 1\n    - 2\n"
        );
        assert_eq!(
            json(&json!({"a": [1], "b": {}, "c": "<&>"})),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": {},\n  \"c\": \"\\u003c\\u0026\\u003e\"\n}"
        );
    }
}
