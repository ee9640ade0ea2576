//! Progress of engine operations, on stderr: one event per resource state change, rendered as
//! docker compose renders them: `plain` lines (` Container p-web-1 Started `), a live `tty`
//! view ([`super::live`]), `json` objects, or nothing (`quiet`).

use std::io::Write;
use std::sync::Mutex;

pub use super::event::{Event, Status};
use super::live::Live;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Tty,
    Plain,
    Json,
    Quiet,
}

impl ProgressMode {
    /// Resolves `--progress` / COMPOSE_PROGRESS with `--ansi` and whether stderr is a terminal.
    pub fn resolve(
        flag: Option<&str>,
        ansi: Option<&str>,
        stderr_tty: bool,
    ) -> Result<Self, String> {
        let ansi = ansi.unwrap_or("auto");
        if !matches!(ansi, "auto" | "never" | "always") {
            return Err(format!("unsupported --ansi value {ansi:?}"));
        }
        match flag.unwrap_or("auto") {
            "auto" => Ok(if ansi == "never" || !stderr_tty {
                ProgressMode::Plain
            } else {
                ProgressMode::Tty
            }),
            "tty" if ansi == "never" => {
                Err("can't use --progress tty while ANSI support is disabled".into())
            }
            "tty" => Ok(ProgressMode::Tty),
            "plain" if ansi == "always" => {
                Err("can't use --progress plain while ANSI support is forced".into())
            }
            "plain" => Ok(ProgressMode::Plain),
            "json" => Ok(ProgressMode::Json),
            "quiet" | "none" => Ok(ProgressMode::Quiet),
            other => Err(format!("unsupported --progress value {other:?}")),
        }
    }
}

/// Where events go. Shared by all concurrent steps.
pub struct Progress {
    mode: ProgressMode,
    /// The operation the live view's header names (`up`, `down`, ...).
    title: Mutex<String>,
    live: Mutex<Option<Live>>,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        Progress {
            mode,
            title: Mutex::new("Running".into()),
            live: Mutex::new(None),
        }
    }

    /// Names the operation in the live view's header: `[+] up 2/3`.
    pub fn set_title(&self, title: &str) {
        *self.title.lock().unwrap_or_else(|p| p.into_inner()) = title.to_string();
    }

    pub fn mode(&self) -> ProgressMode {
        self.mode
    }

    /// Reports one event.
    pub fn event(&self, e: Event) {
        match self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Plain => {
                // compose prints `prefix ID Text Details` space-joined with an empty prefix.
                let line = format!(" {} {} {}", e.id(), e.text, e.details);
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            ProgressMode::Json => {
                let status = match e.status {
                    Status::Working => "Working",
                    Status::Done => "Done",
                    Status::Warning => "Warning",
                    Status::Error => "Error",
                };
                let mut obj = serde_json::json!({
                    "id": e.id(),
                    "status": status,
                    "text": e.text,
                });
                if !e.details.is_empty() {
                    obj["details"] = e.details.clone().into();
                }
                let _ = writeln!(std::io::stderr(), "{obj}");
            }
            ProgressMode::Tty => self.tty_event(e),
        }
    }

    fn tty_event(&self, e: Event) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.get_or_insert_with(|| {
            let title = self.title.lock().unwrap_or_else(|p| p.into_inner());
            Live::start(&title)
        })
        .event(e);
    }

    /// Stops the live view (drawing it a last time, every line ended) so that later output
    /// starts on a clean line; the next event starts a new one.
    pub fn finish(&self) {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(l) = live {
            l.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_modes() {
        use ProgressMode::*;
        assert_eq!(ProgressMode::resolve(None, None, false), Ok(Plain));
        assert_eq!(ProgressMode::resolve(None, None, true), Ok(Tty));
        assert_eq!(ProgressMode::resolve(None, Some("never"), true), Ok(Plain));
        assert_eq!(ProgressMode::resolve(Some("quiet"), None, true), Ok(Quiet));
        assert!(ProgressMode::resolve(Some("tty"), Some("never"), true).is_err());
        assert!(ProgressMode::resolve(Some("bogus"), None, true).is_err());
    }
}
