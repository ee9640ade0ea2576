//! What a plan shows before anything runs: the explained actions of `plan` / `up --dry-run`
//! (text lines or a JSON array on stdout) and the planner's warnings, orphans among them, on
//! stderr.

use std::io::Write;

use crate::plan::explain::Explained;

/// Prints the explained plan to stdout: one line per action (`nothing to do` when empty), or
/// one JSON array when `json`.
pub fn print(explained: &[Explained], json: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if json {
        let text = serde_json::to_string(explained).map_err(std::io::Error::other)?;
        return writeln!(w, "{text}");
    }
    if explained.is_empty() {
        writeln!(w, "nothing to do")?;
    }
    for e in explained {
        writeln!(w, "{}", e.line())?;
    }
    Ok(())
}

/// Warns about the planner's findings: each warning, then compose's orphan text unless the
/// user asked to ignore orphans.
pub fn warnings(warnings: &[String], orphans: &[String], ignore_orphans: bool) {
    for w in warnings {
        super::warn(w);
    }
    if !orphans.is_empty() && !ignore_orphans {
        super::warn(&orphan_warning(orphans));
    }
}

/// Compose's warning for containers of the project whose service is no longer in the file.
fn orphan_warning(orphans: &[String]) -> String {
    format!(
        "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
        orphans.join(" ")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn orphans_are_named_in_compose_words() {
        let w = super::orphan_warning(&["p-old-1".into(), "p-gone-1".into()]);
        assert!(w.starts_with("Found orphan containers ([p-old-1 p-gone-1]) for this project."));
        assert!(w.ends_with("--remove-orphans flag to clean it up."));
    }
}
