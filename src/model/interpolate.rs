//! Compose variable interpolation (`$VAR`, `${VAR:-default}`, ...): substituting one string,
//! walking a YAML/JSON tree, and listing the variables a tree uses (`config --variables`).
//!
//! The behaviour follows compose-go's `template` package, quirks included:
//!
//! * `$$` is an escaped `$`; a `$` not followed by `$`, `{` or a name start is left as is.
//! * Names are `[_a-zA-Z][_a-zA-Z0-9]*` (matched case-insensitively by compose-go's regex, so the
//!   two non-ASCII case folds of `s` and `k`, `ſ` and the Kelvin sign, count as letters too).
//! * `${NAME<op>arg}` with op one of `:-`, `-`, `:?`, `?`, `:+`, `+`; the operator is the one that
//!   directly follows the name. The text of a braced expression with an operator runs to the
//!   **last** `}` on its line (compose-go's greedy `(.*)`), is then cut at the first balanced `}`
//!   (compose-go's brace counter, which skips the character after each `{`), and the remainder
//!   of that line segment is interpolated on its own and appended.
//! * `arg` is interpolated lazily, only when its branch is taken.
//! * Any other `${` is an invalid template. Only the first error is reported.
//! * A plain lookup (`$X`, `${X}`) of an unset variable yields `""` and is reported in
//!   [`Interpolated::unset`] (compose prints a warning for those).
//!
//! Pure and deterministic: never reads the process environment; the variables are handed in as a
//! [`Lookup`] function. Trees are walked in document order, so "first error" and the order of
//! reported variables are stable.

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde_json::Value;

/// Variable lookup: returns the value of a variable, None when unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Deepest nesting of `${A:-${B:-...}}` arguments that is evaluated; deeper input is rejected as
/// an invalid template instead of exhausting the stack.
const MAX_NESTING: usize = 256;

/// Error from interpolating one string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolationError {
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR unset (or empty for `:?`).
    #[error("{}", required_message(.variable, .message))]
    Required {
        /// The variable that is missing.
        variable: String,
        /// The (interpolated) message after the operator, possibly empty.
        message: String,
    },
    /// A `${` that does not start a valid substitution. `template` is the string in which it was
    /// found (for a nested default or remainder, that nested string, as compose-go reports it).
    #[error("Invalid template: {}", go_quote(.template))]
    InvalidFormat {
        /// The template text holding the invalid `${`.
        template: String,
    },
}

fn required_message(variable: &str, message: &str) -> String {
    if message.is_empty() {
        format!("required variable {variable} is missing a value")
    } else {
        format!("required variable {variable} is missing a value: {message}")
    }
}

/// Result of interpolating one string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    /// The interpolated text.
    pub value: String,
    /// Variables referenced without a default that were unset, in order of appearance,
    /// deduplicated.
    pub unset: Vec<String>,
}

/// The six substitution operators of `${NAME<op>arg}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `:-`: `arg` when NAME is unset or empty.
    DefaultIfEmptyOrUnset,
    /// `-`: `arg` when NAME is unset.
    DefaultIfUnset,
    /// `:?`: error when NAME is unset or empty.
    RequiredIfEmptyOrUnset,
    /// `?`: error when NAME is unset.
    RequiredIfUnset,
    /// `:+`: `arg` when NAME is set and not empty, else `""`.
    AlternateIfNonEmpty,
    /// `+`: `arg` when NAME is set, else `""`.
    AlternateIfSet,
}

impl Operator {
    /// The operator as written in a template.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::DefaultIfEmptyOrUnset => ":-",
            Operator::DefaultIfUnset => "-",
            Operator::RequiredIfEmptyOrUnset => ":?",
            Operator::RequiredIfUnset => "?",
            Operator::AlternateIfNonEmpty => ":+",
            Operator::AlternateIfSet => "+",
        }
    }

    /// Parses the operator at the start of `s`; returns it with its length in bytes.
    fn at_start(s: &str) -> Option<(Operator, usize)> {
        let b = s.as_bytes();
        let colon = b.first() == Some(&b':');
        let c = if colon { b.get(1) } else { b.first() }?;
        let op = match (colon, c) {
            (true, b'-') => Operator::DefaultIfEmptyOrUnset,
            (false, b'-') => Operator::DefaultIfUnset,
            (true, b'?') => Operator::RequiredIfEmptyOrUnset,
            (false, b'?') => Operator::RequiredIfUnset,
            (true, b'+') => Operator::AlternateIfNonEmpty,
            (false, b'+') => Operator::AlternateIfSet,
            _ => return None,
        };
        Some((op, if colon { 2 } else { 1 }))
    }
}

/// Splits the body of a braced expression (the text between `${` and `}`) into the variable
/// name, the operator and its argument. None when the body does not start with a name followed by
/// an operator (a bare `NAME` has no operator).
pub fn split_braced_body(body: &str) -> Option<(&str, Operator, &str)> {
    let name_len = name_len(body);
    if name_len == 0 {
        return None;
    }
    let after = &body[name_len..];
    let (op, op_len) = Operator::at_start(after)?;
    Some((&body[..name_len], op, &after[op_len..]))
}

/// Returns the operator compose applies to a braced body such as `VAR:-x?y`: the one directly
/// after the name, which is also the first operator in the text.
pub fn substitution_operator(body: &str) -> Option<Operator> {
    split_braced_body(body).map(|(_, op, _)| op)
}

fn is_name_start(c: char) -> bool {
    // compose-go matches `[_a-z]` case-insensitively: Go folds `s` to `ſ` and `k` to the Kelvin
    // sign, so those two match as well.
    c == '_' || c.is_ascii_alphabetic() || c == '\u{17F}' || c == '\u{212A}'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit()
}

/// Length in bytes of the variable name at the start of `s` (0 when there is none).
fn name_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_name_start(c) => {}
        _ => return 0,
    }
    for (i, c) in chars {
        if !is_name_char(c) {
            return i;
        }
    }
    s.len()
}

/// One `$` expression found in a template, as compose-go's regex would match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `$$`.
    Escaped,
    /// `$NAME`; the name ends at `end`.
    Named,
    /// `${NAME}`; the name is `start+2 .. end-1`.
    BracedPlain,
    /// `${NAME<op>...}` running to the last `}` of its line.
    BracedOp,
    /// `${` not followed by a valid body.
    Invalid,
}

#[derive(Debug, Clone, Copy)]
struct Match {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Finds the next `$` expression in `s` at or after byte `from` (a char boundary).
fn next_match(s: &str, from: usize) -> Option<Match> {
    let mut search = from;
    loop {
        let start = search + s.get(search..)?.find('$')?;
        let after = &s[start + 1..];
        let c = after.chars().next()?;
        if c == '$' {
            return Some(Match {
                start,
                end: start + 2,
                kind: Kind::Escaped,
            });
        }
        if is_name_start(c) {
            let end = start + 1 + name_len(after);
            return Some(Match {
                start,
                end,
                kind: Kind::Named,
            });
        }
        if c == '{' {
            let body_start = start + 2;
            let body = &s[body_start..];
            let nlen = name_len(body);
            if nlen == 0 {
                return Some(Match {
                    start,
                    end: body_start,
                    kind: Kind::Invalid,
                });
            }
            let after_name = &body[nlen..];
            if let Some((_, op_len)) = Operator::at_start(after_name) {
                // `(.*)}`: greedy up to the last `}` before the end of the line.
                let arg_start = body_start + nlen + op_len;
                let line = &s[arg_start..];
                let line = line.find('\n').map_or(line, |n| &line[..n]);
                if let Some(close) = line.rfind('}') {
                    return Some(Match {
                        start,
                        end: arg_start + close + 1,
                        kind: Kind::BracedOp,
                    });
                }
                return Some(Match {
                    start,
                    end: body_start,
                    kind: Kind::Invalid,
                });
            }
            if after_name.starts_with('}') {
                return Some(Match {
                    start,
                    end: body_start + nlen + 1,
                    kind: Kind::BracedPlain,
                });
            }
            return Some(Match {
                start,
                end: body_start,
                kind: Kind::Invalid,
            });
        }
        // A lone `$`: literal, keep searching after it.
        search = start + 1;
    }
}

/// compose-go's `getFirstBraceClosingIndex`: index of the `}` that balances the braces seen so
/// far, skipping the byte after every `{`. Byte-wise, but it only ever stops on `}`.
fn first_brace_closing_index(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut open: i64 = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'}' {
            open -= 1;
            if open == 0 {
                return Some(i);
            }
        }
        if b[i] == b'{' {
            open += 1;
            i += 1;
        }
        i += 1;
    }
    None
}

struct Ctx<'l, 'u> {
    lookup: Lookup<'l>,
    unset: &'u mut Vec<String>,
}

impl Ctx<'_, '_> {
    fn note_unset(&mut self, name: &str) {
        if !self.unset.iter().any(|n| n == name) {
            self.unset.push(name.to_string());
        }
    }

    /// Substitutes every expression of `template`.
    fn substitute(&mut self, template: &str, depth: usize) -> Result<String, InterpolationError> {
        if depth > MAX_NESTING {
            return Err(InterpolationError::InvalidFormat {
                template: template.to_string(),
            });
        }
        let mut out = String::with_capacity(template.len());
        // compose-go interpolates the remainder of a cut braced expression as a template of its
        // own; a stack of (text, position) keeps that iterative. The remainder always ends at the
        // same place as the expression, so scanning it in place gives the same matches.
        let mut frames: Vec<(&str, usize)> = vec![(template, 0)];
        while let Some(&(text, pos)) = frames.last() {
            let Some(m) = next_match(text, pos) else {
                out.push_str(&text[pos..]);
                frames.pop();
                continue;
            };
            out.push_str(&text[pos..m.start]);
            if let Some(top) = frames.last_mut() {
                top.1 = m.end;
            }
            let whole = &text[m.start..m.end];
            match m.kind {
                Kind::Escaped => out.push('$'),
                Kind::Named => out.push_str(&self.plain(&whole[1..])),
                Kind::BracedPlain => out.push_str(&self.plain(&whole[2..whole.len() - 1])),
                Kind::Invalid => {
                    return Err(InterpolationError::InvalidFormat {
                        template: text.to_string(),
                    });
                }
                Kind::BracedOp => {
                    let (expr, rest) = match first_brace_closing_index(whole) {
                        Some(i) => (&whole[..=i], &whole[i + 1..]),
                        None => (whole, ""),
                    };
                    let body = &expr[2..expr.len() - 1];
                    let Some((name, op, arg)) = split_braced_body(body) else {
                        return Err(InterpolationError::InvalidFormat {
                            template: text.to_string(),
                        });
                    };
                    out.push_str(&self.apply(name, op, arg, depth)?);
                    if !rest.is_empty() {
                        frames.push((rest, 0));
                    }
                }
            }
        }
        Ok(out)
    }

    fn plain(&mut self, name: &str) -> String {
        match (self.lookup)(name) {
            Some(v) => v,
            None => {
                self.note_unset(name);
                String::new()
            }
        }
    }

    fn apply(
        &mut self,
        name: &str,
        op: Operator,
        arg: &str,
        depth: usize,
    ) -> Result<String, InterpolationError> {
        let value = (self.lookup)(name);
        let empty = value.as_deref().is_none_or(str::is_empty);
        match op {
            Operator::DefaultIfEmptyOrUnset | Operator::DefaultIfUnset => {
                let use_default = match op {
                    Operator::DefaultIfEmptyOrUnset => empty,
                    _ => value.is_none(),
                };
                match value {
                    Some(v) if !use_default => Ok(v),
                    _ => self.substitute(arg, depth + 1),
                }
            }
            Operator::RequiredIfEmptyOrUnset | Operator::RequiredIfUnset => {
                let missing = match op {
                    Operator::RequiredIfEmptyOrUnset => empty,
                    _ => value.is_none(),
                };
                match value {
                    Some(v) if !missing => Ok(v),
                    _ => {
                        let message = self.substitute(arg, depth + 1)?;
                        Err(InterpolationError::Required {
                            variable: name.to_string(),
                            message,
                        })
                    }
                }
            }
            Operator::AlternateIfNonEmpty | Operator::AlternateIfSet => {
                let present = match op {
                    Operator::AlternateIfNonEmpty => !empty,
                    _ => value.is_some(),
                };
                if present {
                    self.substitute(arg, depth + 1)
                } else {
                    Ok(value.unwrap_or_default())
                }
            }
        }
    }
}

/// Interpolates one string.
pub fn interpolate(template: &str, lookup: Lookup<'_>) -> Result<Interpolated, InterpolationError> {
    let mut unset = Vec::new();
    let value = Ctx {
        lookup,
        unset: &mut unset,
    }
    .substitute(template, 0)?;
    Ok(Interpolated { value, unset })
}

/// Error for a whole tree: the failing value's path and the string-level error.
///
/// Display is `error while interpolating {path}: {source}` for [`InterpolationError::Required`]
/// and `invalid interpolation format for {path}.\nYou may need to escape any $ with another
/// $.\n{template}` for [`InterpolationError::InvalidFormat`], as compose prints them.
#[derive(Debug, thiserror::Error)]
#[error("{}", tree_message(.path, .source))]
pub struct TreeInterpolationError {
    /// Dotted key path like `services.web.environment.FOO` or `services.web.command[1]` (compose
    /// writes list items as `.[]`; the index is more useful). Empty for a bare string root.
    pub path: String,
    /// The error for the string at `path`.
    pub source: InterpolationError,
}

fn tree_message(path: &str, source: &InterpolationError) -> String {
    match source {
        InterpolationError::Required { .. } if path.is_empty() => source.to_string(),
        InterpolationError::Required { .. } => {
            format!("error while interpolating {path}: {source}")
        }
        InterpolationError::InvalidFormat { template } => {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" for {path}")
            };
            format!(
                "invalid interpolation format{at}.\nYou may need to escape any $ with another $.\n{template}"
            )
        }
    }
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Interpolates every string scalar in `value` in place (map keys untouched), in document order.
/// Pushes unset variable names (deduplicated) into `unset`. Stops at the first error.
pub fn interpolate_tree(
    value: &mut Value,
    lookup: Lookup<'_>,
    unset: &mut Vec<String>,
) -> Result<(), TreeInterpolationError> {
    let mut ctx = Ctx { lookup, unset };
    let mut stack: Vec<(&mut Value, String)> = vec![(value, String::new())];
    while let Some((v, path)) = stack.pop() {
        match v {
            Value::String(s) => match ctx.substitute(s, 0) {
                Ok(new) => *s = new,
                Err(source) => return Err(TreeInterpolationError { path, source }),
            },
            Value::Object(map) => {
                let children: Vec<_> = map
                    .iter_mut()
                    .map(|(k, c)| (c, child_path(&path, k)))
                    .collect();
                stack.extend(children.into_iter().rev());
            }
            Value::Array(items) => {
                let children: Vec<_> = items
                    .iter_mut()
                    .enumerate()
                    .map(|(i, c)| (c, format!("{path}[{i}]")))
                    .collect();
                stack.extend(children.into_iter().rev());
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}

/// One variable found in a template, for `config --variables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The variable name.
    pub name: String,
    /// The raw (not interpolated) default of `${X:-v}` / `${X-v}`.
    pub default: Option<String>,
    /// The raw alternate value of `${X:+v}` / `${X+v}` (compose's "presence value").
    pub alternate: Option<String>,
    /// `${X:?msg}` / `${X?msg}`.
    pub required: bool,
}

/// Appends the variables of `s` in compose-go's `extractVariable` order: for a cut braced
/// expression, the remainder's variables first, then the variable itself, then the variables of
/// its default and alternate values.
fn extract_into(s: &str, out: &mut Vec<Variable>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    // Frames of (text, position, variables to emit once the text is done): the remainder of a
    // cut braced expression is scanned before the expression's own variables are emitted,
    // without recursing once per expression on a long line.
    let mut frames: Vec<(&str, usize, Vec<Variable>)> = vec![(s, 0, Vec::new())];
    while let Some((text, pos)) = frames.last().map(|f| (f.0, f.1)) {
        let Some(m) = next_match(text, pos) else {
            if let Some((_, _, pending)) = frames.pop() {
                out.extend(pending);
            }
            continue;
        };
        if let Some(top) = frames.last_mut() {
            top.1 = m.end;
        }
        let whole = &text[m.start..m.end];
        let (val, rest) = match m.kind {
            Kind::Escaped => continue,
            // compose-go would report an empty name for an invalid `${`; that is no variable.
            Kind::Invalid => continue,
            Kind::Named => (&whole[1..], ""),
            Kind::BracedPlain => (&whole[2..whole.len() - 1], ""),
            Kind::BracedOp => match first_brace_closing_index(whole) {
                Some(i) if i > 0 => (&whole[2..i], &whole[i + 1..]),
                _ => (&whole[2..whole.len() - 1], ""),
            },
        };
        let mut var = Variable {
            name: val.to_string(),
            default: None,
            alternate: None,
            required: false,
        };
        if let Some(i) = val.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            && i > 0
        {
            var.name = val[..i].to_string();
            let after = &val[i..];
            if let Some((op, len)) = Operator::at_start(after) {
                let arg = after[len..].to_string();
                match op {
                    Operator::RequiredIfEmptyOrUnset | Operator::RequiredIfUnset => {
                        var.required = true
                    }
                    Operator::DefaultIfEmptyOrUnset | Operator::DefaultIfUnset => {
                        var.default = Some(arg)
                    }
                    Operator::AlternateIfNonEmpty | Operator::AlternateIfSet => {
                        var.alternate = Some(arg)
                    }
                }
            }
        }
        let nested: Vec<String> = [&var.default, &var.alternate]
            .into_iter()
            .flatten()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect();
        let mut found = vec![var];
        for arg in &nested {
            extract_into(arg, &mut found, depth + 1);
        }
        if rest.is_empty() {
            out.extend(found);
        } else {
            frames.push((rest, 0, found));
        }
    }
}

/// Keeps one entry per name: at the position of its first occurrence, with the attributes of
/// its last occurrence (compose-go stores them in a map, later ones overwriting earlier ones).
fn dedup(vars: Vec<Variable>) -> Vec<Variable> {
    let mut by_name: IndexMap<String, Variable> = IndexMap::new();
    for v in vars {
        by_name.insert(v.name.clone(), v);
    }
    by_name.into_values().collect()
}

/// The variables used in one template, deduplicated by name (see [`extract_tree_variables`]).
pub fn extract_variables(template: &str) -> Vec<Variable> {
    let mut out = Vec::new();
    extract_into(template, &mut out, 0);
    dedup(out)
}

/// All variables used in the string values of a tree (keys are not templates), deduplicated by
/// name: each name appears once, where it is first used, with the attributes of its last use.
pub fn extract_tree_variables(value: &Value) -> Vec<Variable> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => extract_into(s, &mut out, 0),
            Value::Object(map) => stack.extend(map.values().rev()),
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    dedup(out)
}

/// Quotes a string the way Go's `%q` / `%#v` does (`strconv.Quote`), for messages that must read
/// like compose's.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0B}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7F}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !is_go_printable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Approximation of Go's `unicode.IsPrint` for characters outside ASCII control codes.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c,
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: IndexMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn run(t: &str, pairs: &[(&str, &str)]) -> Result<Interpolated, InterpolationError> {
        let lookup = env(pairs);
        interpolate(t, &lookup)
    }

    #[test]
    fn predicted_edge_cases() {
        let e = [("FOO", "first"), ("BAR", "")];
        let ok = |t: &str| run(t, &e).map(|i| i.value);
        assert_eq!(ok("$FOO.BAR").unwrap(), "first.BAR");
        assert_eq!(run("$FOO_BAR", &e).unwrap().unset, vec!["FOO_BAR"]);
        assert_eq!(ok("$1 $ FOO").unwrap(), "$1 $ FOO");
        assert_eq!(ok("$$FOO").unwrap(), "$FOO");
        assert_eq!(ok("$$$FOO").unwrap(), "$first");
        assert_eq!(ok("${UNSET:-}").unwrap(), "");
        assert_eq!(ok("${FOO-}").unwrap(), "first");
        assert_eq!(ok("${FOO:-${BAR:?x}}").unwrap(), "first");
        assert_eq!(ok("${FOO-a}b}").unwrap(), "firstb}");
        assert_eq!(ok("${UNSET:-x}}").unwrap(), "x}");
        assert_eq!(ok("${UNSET:-{}").unwrap(), "{");
        // The brace counter skips the character after `{`, so `{}` does not close here.
        assert_eq!(ok("${UNSET:-{}} b}").unwrap(), "{}} b");
        for bad in [
            "${FOO.BAR}",
            "${1}",
            "${VAR/foo/bar}",
            "${FOO:-a\nb}",
            "x ${",
            "${FOO:x}",
        ] {
            assert!(
                matches!(ok(bad), Err(InterpolationError::InvalidFormat { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            ok("${UNSET:-${BAR:?x}}").unwrap_err().to_string(),
            "required variable BAR is missing a value: x"
        );
    }

    #[test]
    fn multibyte_and_odd_input_does_not_panic() {
        let e = [("FOO", "é")];
        assert_eq!(run("é$FOOé${FOO}€", &e).unwrap().value, "éééé€");
        assert_eq!(run("${FOO:-é}}é", &[]).unwrap().value, "é}é");
        assert_eq!(run("$é", &[]).unwrap().value, "$é");
        assert!(run("${é}", &[]).is_err());
        assert_eq!(run("${ſ}", &[("ſ", "long s")]).unwrap().value, "long s");
        let deep = "${A:-".repeat(10_000) + &"}".repeat(10_000);
        assert!(run(&deep, &[]).is_err());
        let wide = "${A:-a}".repeat(10_000);
        assert_eq!(run(&wide, &[]).unwrap().value, "a".repeat(10_000));
    }

    #[test]
    fn nested_invalid_reports_nested_template() {
        let err = run("${FOO:-${}}", &[]).unwrap_err();
        assert_eq!(err.to_string(), "Invalid template: \"${}\"");
    }

    #[test]
    fn tree_paths_and_unset() {
        let mut v =
            json!({"services": {"web": {"command": ["a", "$X", "${Y:?need Y}"], "$K": "$K"}}});
        let mut unset = Vec::new();
        let err = interpolate_tree(&mut v, &env(&[]), &mut unset).unwrap_err();
        assert_eq!(err.path, "services.web.command[2]");
        assert_eq!(
            err.to_string(),
            "error while interpolating services.web.command[2]: required variable Y is missing a value: need Y"
        );
        assert_eq!(unset, vec!["X"]);

        let mut v = json!({"a": {"$K": "$K", "n": 3, "l": ["$$x", null, true]}});
        let mut unset = Vec::new();
        interpolate_tree(&mut v, &env(&[("K", "k")]), &mut unset).unwrap();
        assert_eq!(
            v,
            json!({"a": {"$K": "k", "n": 3, "l": ["$x", null, true]}})
        );

        let mut v = json!({"a": ["x", "oops ${"]});
        let err = interpolate_tree(&mut v, &env(&[]), &mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid interpolation format for a[1].\nYou may need to escape any $ with another $.\noops ${"
        );
    }

    #[test]
    fn variables_order_and_dedup() {
        let vars = extract_variables("${A:-x}${A} $B ${C:+${D}} ${E:?} $$F");
        let names: Vec<_> = vars.iter().map(|v| v.name.as_str()).collect();
        // Go's order: the remainder of `${A:-x}` (`${A} $B ${C:+${D}} ${E:?}`) comes first, and in
        // it the remainder of `${C:+${D}}` (`${E:?}`) before C.
        assert_eq!(names, ["A", "B", "E", "C", "D"]);
        // compose-go lists the remainder `${A}` first, so the `${A:-x}` attributes win.
        assert_eq!(vars[0].default.as_deref(), Some("x"));
        assert_eq!(vars[3].alternate.as_deref(), Some("${D}"));
        assert!(vars[2].required);
        assert!(extract_variables("${").is_empty());
        let wide: String = (0..5000).map(|i| format!("${{V{i}:-x}}")).collect();
        assert_eq!(extract_variables(&wide).len(), 5000);
    }

    #[test]
    fn go_quoting() {
        assert_eq!(
            go_quote("a\"b\\c\n\u{1}é\u{200B}"),
            "\"a\\\"b\\\\c\\n\\x01é\\u200b\""
        );
    }
}
