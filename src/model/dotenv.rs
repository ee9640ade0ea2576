//! Parser for compose's `.env` syntax (compose-go's `dotenv` package), used for the project
//! `.env` / `--env-file` files and for container `env_file`s in the default format.
//!
//! Rules, as compose-go applies them:
//!
//! * A leading UTF-8 BOM is skipped; blank lines and lines whose first non-space character is
//!   `#` are ignored. `export KEY=...` is accepted.
//! * A key is made of Unicode letters and digits, `_`, `.`, `-`, `[` and `]`; spaces around it
//!   are ignored, a space inside fails (`key cannot contain a space`), any other character fails
//!   (`unexpected character "%" in variable name "<line>"`). Keys may start with a digit.
//! * The separator is `=` or `:` (YAML style), whichever comes first.
//! * `KEY` alone on a line is inherited: its value comes from the lookup, and the key is left
//!   out when the lookup does not know it.
//! * Unquoted values run to the end of the line; ` #` starts a comment; trailing whitespace is
//!   trimmed; the value is then interpolated.
//! * `'...'` is literal (no interpolation) and may span lines; `\'` is a quote, every other
//!   backslash is kept.
//! * `"..."` may span lines; `\"` is a quote; `\a \b \f \n \r \t \v \\` and `\0NNN` (octal) are
//!   expanded, `\$` is a literal `$`, other backslashes are kept; the value is then
//!   interpolated.
//! * Text after a closing quote is parsed as the next statement (a comment, usually).
//! * Interpolation uses the full compose syntax ([`crate::model::interpolate`]) and looks a
//!   variable up in the lookup first, then among the values already parsed.
//!
//! One deliberate difference: compose-go parses a bare `KEY` on the last line *without* a
//! trailing newline as the key `""` with value `"KEY"`; here it is inherited like any other bare
//! key. Line numbers in errors are those of the line where the failing statement starts.
//!
//! Pure: never reads files or the process environment; the caller hands in the text and the
//! lookup. Output maps keep keys in file order.

use indexmap::IndexMap;

use super::interpolate::{Lookup, go_quote, interpolate};

/// A syntax or interpolation error in one `.env` text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DotenvError {
    /// 1-based line where the failing statement starts.
    pub line: usize,
    /// What is wrong, without the line number.
    pub message: String,
}

/// An error in one of several env files ([`parse_files`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to read {file}: {source}")]
pub struct FilesError {
    /// The name the caller gave the file.
    pub file: String,
    /// The error in that file.
    pub source: DotenvError,
}

/// Parses one `.env` text. `lookup` resolves bare `KEY` lines and takes precedence over values
/// defined earlier in the text when interpolating (compose-go's precedence). Returns keys in
/// file order; a key defined twice keeps its first position and its last value.
/// The longest value interpolation may make: a line like `A=$A$A` doubles `A`, and a few dozen
/// of them would otherwise fill the memory.
const MAX_VALUE: usize = 1024 * 1024;

pub fn parse(text: &str, lookup: Lookup<'_>) -> Result<IndexMap<String, String>, DotenvError> {
    let mut out = IndexMap::new();
    parse_into(text, lookup, &mut out, &mut Vec::new())?;
    Ok(out)
}

/// Parses one `.env` text into `out`, which may already hold values (from earlier files): they
/// are overwritten by this text and are visible to its interpolation after `lookup`. Variables
/// used without a default and found nowhere are pushed (deduplicated) to `unset`.
pub fn parse_into(
    text: &str,
    lookup: Lookup<'_>,
    out: &mut IndexMap<String, String>,
    unset: &mut Vec<String>,
) -> Result<(), DotenvError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = LineCounter {
        text,
        pos: 0,
        line: 1,
    };
    let mut pos = 0;
    while let Some(start) = statement_start(text, pos) {
        let line = lines.at(start);
        let err = |message: String| DotenvError { line, message };
        let stmt = strip_export(&text[start..]);

        let (raw_key, after_key, inherited) = scan_key(stmt).map_err(|c| {
            let first_line = stmt.split('\n').next().unwrap_or_default();
            err(format!(
                "unexpected character {} in variable name {}",
                go_quote(&c.to_string()),
                go_quote(first_line)
            ))
        })?;
        let key = raw_key.trim_end();
        if key.contains(' ') {
            return Err(err("key cannot contain a space".to_string()));
        }
        let rest = stmt[after_key..].trim_start_matches(is_inline_space);
        let rest_pos = text.len() - rest.len();

        if inherited {
            if let Some(v) = lookup(key) {
                out.insert(key.to_string(), v);
            }
            pos = rest_pos;
            continue;
        }

        let (raw, interpolated, next) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let Some((raw, len)) = scan_quoted(rest, q) else {
                    let first_line = rest.split('\n').next().unwrap_or_default();
                    return Err(err(format!("unterminated quoted value {first_line}")));
                };
                if q == '"' {
                    (expand_escapes(&raw), true, rest_pos + len)
                } else {
                    (raw, false, rest_pos + len)
                }
            }
            _ => {
                let (value, next) = match rest.find('\n') {
                    Some(n) => (&rest[..n], rest_pos + n + 1),
                    None => (rest, text.len()),
                };
                let value = value.split(" #").next().unwrap_or_default().trim_end();
                (value.to_string(), true, next)
            }
        };
        let value = if interpolated {
            let found = {
                let both = |k: &str| lookup(k).or_else(|| out.get(k).cloned());
                interpolate(&raw, &both).map_err(|e| err(e.to_string()))?
            };
            for name in found.unset {
                if !unset.contains(&name) {
                    unset.push(name);
                }
            }
            if found.value.len() > MAX_VALUE {
                return Err(err(format!(
                    "the value of {key} is longer than {} KiB once interpolated (does it include a variable that includes itself more than once?)",
                    MAX_VALUE / 1024
                )));
            }
            found.value
        } else {
            raw
        };
        out.insert(key.to_string(), value);
        pos = next;
    }
    Ok(())
}

/// Parses several env files in order into one map, as compose-go's `GetEnvFromFile` does for
/// `--env-file` / `.env`: later files override earlier ones, and interpolation looks at `lookup`
/// (the OS environment) first, then at the values read so far from this and earlier files.
/// `files` holds (name for error messages, text).
pub fn parse_files(
    files: &[(&str, &str)],
    lookup: Lookup<'_>,
) -> Result<IndexMap<String, String>, FilesError> {
    let mut out = IndexMap::new();
    let mut unset = Vec::new();
    for (name, text) in files {
        parse_into(text, lookup, &mut out, &mut unset).map_err(|source| FilesError {
            file: (*name).to_string(),
            source,
        })?;
    }
    Ok(out)
}

/// The project environment compose interpolates with: `os_env` plus the variables of the env
/// files ([`parse_files`], with `os_env` as the lookup) that `os_env` does not define. OS keys
/// come first, in their order, then the new keys in file order.
pub fn project_environment(
    os_env: &IndexMap<String, String>,
    files: &[(&str, &str)],
) -> Result<IndexMap<String, String>, FilesError> {
    let lookup = |k: &str| os_env.get(k).cloned();
    let from_files = parse_files(files, &lookup)?;
    let mut env = os_env.clone();
    for (k, v) in from_files {
        env.entry(k).or_insert(v);
    }
    Ok(env)
}

/// Maps byte offsets to 1-based line numbers, for offsets that only grow.
struct LineCounter<'t> {
    text: &'t str,
    pos: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn at(&mut self, pos: usize) -> usize {
        if pos > self.pos {
            let newlines = self
                .text
                .get(self.pos..pos)
                .map_or(0, |s| s.matches('\n').count());
            self.line += newlines;
            self.pos = pos;
        }
        self.line
    }
}

/// compose-go's `isSpace`: whitespace that does not end a line.
fn is_inline_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}'
    )
}

fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphabetic() || c.is_numeric()
}

/// Byte offset of the next statement at or after `pos`, skipping whitespace and comment lines.
fn statement_start(text: &str, mut pos: usize) -> Option<usize> {
    loop {
        let rest = text.get(pos..)?;
        let skip = rest.find(|c: char| !c.is_whitespace())?;
        pos += skip;
        if !text[pos..].starts_with('#') {
            return Some(pos);
        }
        pos += text[pos..].find('\n')?;
    }
}

/// Drops a leading `export` followed by whitespace (Go's `^export\s+`, where `\s` includes the
/// newline), then the spaces after it.
fn strip_export(stmt: &str) -> &str {
    match stmt.strip_prefix("export") {
        Some(rest) if rest.starts_with(['\t', '\n', '\u{0C}', '\r', ' ']) => {
            rest.trim_start_matches(is_inline_space)
        }
        _ => stmt,
    }
}

/// Finds the end of the key: returns the raw key, the offset after the terminator and whether
/// the key is inherited (ended by a newline or the end of the text), or the first character that
/// may not appear in a key.
fn scan_key(stmt: &str) -> Result<(&str, usize, bool), char> {
    for (i, c) in stmt.char_indices() {
        match c {
            c if is_inline_space(c) => {}
            '=' | ':' => return Ok((&stmt[..i], i + 1, false)),
            '\n' => return Ok((&stmt[..i], i + 1, true)),
            c if is_key_char(c) => {}
            c => return Err(c),
        }
    }
    Ok((stmt, stmt.len(), true))
}

/// Reads a quoted value starting at `s[0] == quote`: returns its raw text (escaped quotes
/// unescaped, other backslashes kept) and the offset after the closing quote.
fn scan_quoted(s: &str, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            escaped = false;
            if c != quote {
                out.push('\\');
            }
            out.push(c);
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some((out, i + c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    None
}

/// Expands the escape sequences of a double-quoted value. `\$` becomes `$$`, which the
/// interpolation that follows turns into a literal `$`.
fn expand_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(c) = after.chars().next() else {
            out.push('\\');
            return out;
        };
        let simple = match c {
            'a' => Some("\u{07}"),
            'b' => Some("\u{08}"),
            'f' => Some("\u{0C}"),
            'n' => Some("\n"),
            'r' => Some("\r"),
            't' => Some("\t"),
            'v' => Some("\u{0B}"),
            '\\' => Some("\\"),
            '"' => Some("\""),
            '$' => Some("$$"),
            _ => None,
        };
        if let Some(rep) = simple {
            out.push_str(rep);
            rest = &after[1..];
            continue;
        }
        if c == '0' {
            // `\0` plus up to three digits; only exactly three octal digits up to 0377 decode.
            let digits = after[1..]
                .bytes()
                .take(3)
                .take_while(u8::is_ascii_digit)
                .count();
            let seq = &after[1..1 + digits];
            let decoded = if digits == 3 {
                u32::from_str_radix(seq, 8)
                    .ok()
                    .and_then(|v| u8::try_from(v).ok())
            } else {
                None
            };
            match decoded {
                Some(b) => out.push(char::from(b)),
                None => {
                    out.push_str("\\0");
                    out.push_str(seq);
                }
            }
            rest = &after[1 + digits..];
            continue;
        }
        // Not an escape: keep the backslash and read on from the next character.
        out.push('\\');
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_lookup(_: &str) -> Option<String> {
        None
    }

    fn p(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
        parse(text, &no_lookup).map(|m| m.into_iter().collect())
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn quirks() {
        assert_eq!(p("FOO=#bar").unwrap(), kv(&[("FOO", "#bar")]));
        assert_eq!(p("FOO=a\t#b").unwrap(), kv(&[("FOO", "a\t#b")]));
        assert_eq!(
            p("FOO=\"a\" junk=1").unwrap(),
            kv(&[("FOO", "a"), ("junk", "1")])
        );
        assert_eq!(
            p("A=x=y\nB: c:d").unwrap(),
            kv(&[("A", "x=y"), ("B", "c:d")])
        );
        assert_eq!(
            p("A=1\r\nB='2'\r\n").unwrap(),
            kv(&[("A", "1"), ("B", "2")])
        );
        assert_eq!(p("A=1\nA=2\nB=$A").unwrap(), kv(&[("A", "2"), ("B", "2")]));
        assert_eq!(p("export\nA=1").unwrap(), kv(&[("A", "1")]));
        assert_eq!(p("export=1").unwrap(), kv(&[("export", "1")]));
        assert_eq!(
            p("A=\"\\0\\01\\0377\\0400x\\c\"").unwrap(),
            kv(&[("A", "\\0\\01ÿ\\0400x\\c")])
        );
        assert_eq!(
            p("A=\"x\\\"").unwrap_err().message,
            "unterminated quoted value \"x\\\""
        );
        assert_eq!(
            p("A=\"it\\'s\" B='it\\\"s'").unwrap(),
            kv(&[("A", "it\\'s"), ("B", "it\\\"s")])
        );
        assert_eq!(
            p("A=\"\\$HOME $$HOME\"").unwrap(),
            kv(&[("A", "$HOME $HOME")])
        );
    }

    #[test]
    fn bare_key_at_end_of_text_is_inherited() {
        let lookup = |k: &str| (k == "FOO").then(|| "v".to_string());
        let got: Vec<_> = parse("A=1\nFOO", &lookup).unwrap().into_iter().collect();
        assert_eq!(got, kv(&[("A", "1"), ("FOO", "v")]));
        assert_eq!(p("  BAR  ").unwrap(), kv(&[]));
        assert_eq!(
            p("IN VALID").unwrap_err().message,
            "key cannot contain a space"
        );
    }

    #[test]
    fn errors_carry_the_statement_line() {
        let e = p("# c\n\nA='x\ny'\nB=${C:?need C}\n").unwrap_err();
        assert_eq!(e.line, 5);
        assert_eq!(
            e.to_string(),
            "line 5: required variable C is missing a value: need C"
        );
        let e = p("A=1\n  B\u{2003}=2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: unexpected character \"\\u2003\" in variable name \"B\\u2003=2\""
        );
        let e = p("A=\"one\ntwo").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (1, "unterminated quoted value \"one")
        );
        assert!(
            p("A=${")
                .unwrap_err()
                .message
                .starts_with("Invalid template")
        );
    }

    #[test]
    fn self_doubling_values_stop_at_the_limit() {
        let text = "A=xxxxxxxxxxxxxxxx\n".to_string() + &"A=$A$A\n".repeat(40);
        let e = p(&text).unwrap_err();
        assert!(e.to_string().contains("longer than 1024 KiB"), "{e}");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "\\",
            "\"",
            "A=\"\\",
            "A=\"\\0",
            "A=\"é\\é\"",
            "é=é",
            "A='é",
            "\u{FEFF}",
            "#",
            "=",
            ":",
            "\n\n",
        ] {
            let _ = p(text);
        }
    }

    #[test]
    fn files_and_project_environment() {
        let files = [("a.env", "H=a\nU=${H}\n"), ("b.env", "H=b\nU=${H}\nV=$W\n")];
        let got = parse_files(&files, &no_lookup).unwrap();
        assert_eq!(got.get("U").map(String::as_str), Some("b"));
        let os: IndexMap<String, String> =
            [("H".to_string(), "os".to_string())].into_iter().collect();
        let env = project_environment(&os, &files).unwrap();
        assert_eq!(env.get("H").map(String::as_str), Some("os"));
        assert_eq!(env.get("U").map(String::as_str), Some("os"));
        let e = parse_files(&[("x.env", "A")], &no_lookup).unwrap();
        assert!(e.is_empty());
        let e = parse_files(&[("x.env", "A=\"")], &no_lookup).unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to read x.env: line 1: unterminated quoted value \""
        );
    }
}
