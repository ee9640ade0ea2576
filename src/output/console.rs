//! Plain lines the commands say outside tables and progress: a result on stdout (`port`'s
//! address, `run -d`'s id, `version`), compose's notices on stderr (`No container to kill`,
//! `Aborting on container exit...`), and the yes/no questions of `rm` and `up`.

use std::io::{BufRead, IsTerminal, Write};

/// Writes `text` and a newline to stdout; a closed pipe is not an error worth dying for.
pub fn line(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Writes `text` as it is (already ending in a newline) to stdout.
pub fn text(text: &str) {
    let _ = write!(std::io::stdout().lock(), "{text}");
}

/// Writes `text` and a newline to stderr.
pub fn notice(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `rm`'s question: `message` and `Are you sure? [yN] ` on stdout, one line read from stdin (a
/// terminal or not), answered as compose reads it ([`crate::settings::truthy`]).
pub async fn confirm(message: &str) -> std::io::Result<bool> {
    {
        let mut out = std::io::stdout().lock();
        write!(out, "{message}\nAre you sure? [yN] ")?;
        out.flush()?;
    }
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(crate::settings::truthy(&line))
}

/// `up`'s question for each volume whose configuration changed (recreating it loses its data);
/// the answer defaults to no, and without a terminal nothing is asked.
pub fn confirm_volume_recreation(volumes: &[String]) -> bool {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return false;
    }
    for v in volumes {
        eprint!(
            "? Volume {v:?} exists but doesn't match configuration in compose file. Recreate (data will be lost)? (y/N) "
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return false;
        }
        if !matches!(line.trim(), "y" | "Y" | "yes" | "Yes") {
            return false;
        }
    }
    true
}
