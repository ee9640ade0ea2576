//! Everything rcompose shows: progress of engine operations ([`progress`]), warnings and error
//! diagnostics ([`diagnostic`]) on stderr, and data tables ([`table`]) on stdout.

pub mod console;
pub mod diagnostic;
pub mod event;
pub mod graph;
pub mod images;
pub mod live;
pub mod logs;
pub mod plan;
pub mod progress;
pub mod resources;
pub mod stack;
pub mod table;
pub mod template;
pub mod terminal;
pub mod time;
pub mod top;

use std::io::{IsTerminal, Write};

/// Prints a warning on stderr the way compose's logger does: `WARN[0000] msg` on a terminal,
/// `time="..." level=warning msg="..."` otherwise.
pub fn warn(message: &str) {
    let stderr = std::io::stderr();
    if stderr.is_terminal() {
        live::print_above(&format!("\x1b[33mWARN\x1b[0m[0000] {message}\n"));
    } else {
        let mut w = stderr.lock();
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
        let escaped = message
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = writeln!(w, "time=\"{now}\" level=warning msg=\"{escaped}\"");
    }
}
