//! Prefixed container output (`web-1  | line`) for foreground `up` and `logs`: names padded to
//! the longest, a stable colour per service on a terminal, stdout and stderr kept apart.

use std::io::Write;
use std::sync::Mutex;

/// Colours docker compose cycles through (ANSI foreground codes).
const COLORS: &[&str] = &["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

/// Writes container lines with aligned prefixes. Names seen later (containers started while
/// following) are registered on their first line and widen every prefix, as compose does.
pub struct LogPrinter {
    color: bool,
    prefix: bool,
    names: Mutex<Vec<String>>,
}

impl LogPrinter {
    /// `names` are the display names (`web-1`); colour only when asked and stdout is a terminal.
    pub fn new(names: &[String], color: bool, prefix: bool) -> LogPrinter {
        LogPrinter {
            color,
            prefix,
            names: Mutex::new(names.to_vec()),
        }
    }

    /// Adds a display name (no-op when known); returns its colour index.
    pub fn register(&self, name: &str) -> usize {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_string());
                names.len() - 1
            }
        }
    }

    /// The prefix for `name`: padded to the longest name plus one, then `| `.
    pub fn prefix(&self, name: &str) -> String {
        if !self.prefix {
            return String::new();
        }
        let idx = self.register(name);
        let width = self
            .names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0);
        let padded = format!("{name:<w$} | ", w = width + 1);
        self.paint(idx, &padded)
    }

    fn paint(&self, idx: usize, text: &str) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", COLORS[idx % COLORS.len()])
        } else {
            text.to_string()
        }
    }

    /// Prints one line of a container's output on stdout or stderr.
    pub fn line(&self, name: &str, stderr: bool, text: &str) {
        let line = format!("{}{text}", self.prefix(name));
        if stderr {
            let _ = writeln!(std::io::stderr(), "{line}");
        } else {
            let _ = writeln!(std::io::stdout(), "{line}");
        }
    }

    /// Prints a status line about a container (`web-1 exited with code 0`) on stdout, in the
    /// container's colour.
    pub fn status(&self, name: &str, text: &str) {
        let idx = self.register(name);
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            self.paint(idx, &format!("{name} {text}"))
        );
    }
}

/// The name compose shows for a container in "Attaching to", log prefixes and "exited with
/// code" lines: without `<project><separator>` when it has the default name
/// `<project><sep><service><sep><number>` (`web-1`, or `web_1` under `--compatibility`), the
/// full name when `container_name:` gave it another.
pub fn display_name(
    project: &str,
    separator: &str,
    service: &str,
    number: Option<&str>,
    name: &str,
) -> String {
    let default = format!(
        "{project}{separator}{service}{separator}{}",
        number.unwrap_or_default()
    );
    if name == default {
        name[project.len() + separator.len()..].to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_drop_the_project_only_from_default_names() {
        assert_eq!(display_name("p", "-", "web", Some("1"), "p-web-1"), "web-1");
        assert_eq!(display_name("p", "_", "web", Some("2"), "p_web_2"), "web_2");
        assert_eq!(display_name("p", "-", "web", Some("1"), "custom"), "custom");
        assert_eq!(
            display_name("p", "-", "web", Some("1"), "p-web-1x"),
            "p-web-1x"
        );
        assert_eq!(
            display_name("p", "_", "web", Some("1"), "p-web-1"),
            "p-web-1"
        );
    }

    #[test]
    fn pads_to_longest_plus_one() {
        let p = LogPrinter::new(&["web-1".into(), "db-1".into()], false, true);
        assert_eq!(p.prefix("db-1"), "db-1   | ");
        assert_eq!(p.prefix("web-1"), "web-1  | ");
        let p = LogPrinter::new(&["web-1".into()], false, false);
        assert_eq!(p.prefix("web-1"), "");
    }

    #[test]
    fn later_names_widen_prefixes() {
        let p = LogPrinter::new(&["db-1".into()], false, true);
        assert_eq!(p.prefix("db-1"), "db-1  | ");
        p.register("worker-1");
        assert_eq!(p.prefix("db-1"), "db-1      | ");
        assert_eq!(p.prefix("custom-name"), "custom-name  | ");
        let c = LogPrinter::new(&["a-1".into(), "b-1".into()], true, true);
        assert_eq!(c.prefix("b-1"), "\x1b[33mb-1  | \x1b[0m");
    }
}
