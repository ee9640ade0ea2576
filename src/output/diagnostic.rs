//! Renders an error for the user: the message, and for errors in a compose file the file, line,
//! column and key path with the offending line underneath.
//!
//! ```text
//! validating /p/compose.yaml: services.web.ports[1]: invalid port "8o:80": ...
//!   --> /p/compose.yaml:9:9 (services.web.ports[1])
//!    |
//!  9 |       - "8o:80"
//!    |         ^
//! ```

use crate::model::error::SourceLocation;

/// The text printed on stderr for a load error with an optional location.
pub fn render(message: &str, location: Option<&SourceLocation>) -> String {
    let Some(loc) = location else {
        return message.to_string();
    };
    let mut out = message.to_string();
    let file = loc.file.display();
    let at = match (loc.line, loc.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    };
    let key = if loc.path.is_empty() {
        String::new()
    } else {
        format!(" ({})", loc.path)
    };
    out.push_str(&format!("\n  --> {at}{key}"));
    if let (Some(l), Some(text)) = (loc.line, &loc.line_text) {
        let n = l.to_string();
        let pad = " ".repeat(n.len());
        let col = loc.column.unwrap_or(1).max(1) as usize;
        out.push_str(&format!(
            "\n {pad} |\n {n} | {text}\n {pad} | {}^",
            " ".repeat(col - 1)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn renders_snippet() {
        let loc = SourceLocation {
            file: PathBuf::from("/p/compose.yaml"),
            path: "services.web.image".into(),
            line: Some(3),
            column: Some(12),
            line_text: Some("    image: [".into()),
        };
        let s = render("bad", Some(&loc));
        assert_eq!(
            s,
            "bad\n  --> /p/compose.yaml:3:12 (services.web.image)\n   |\n 3 |     image: [\n   |            ^"
        );
    }
}
