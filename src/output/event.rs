//! One state change of one resource (`Container web-1 Started`): what the engine reports and
//! the progress writers ([`super::progress`], [`super::live`]) draw.

/// Whether an event means work is under way, finished, or went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Working,
    Done,
    Warning,
    Error,
}

/// One state change of one resource.
#[derive(Debug, Clone)]
pub struct Event {
    /// `Container`, `Network`, `Volume`, `Image`.
    pub kind: &'static str,
    pub name: String,
    pub status: Status,
    /// `Creating`, `Created`, `Started`, ...
    pub text: String,
    pub details: String,
}

impl Event {
    pub fn new(kind: &'static str, name: &str, status: Status, text: &str) -> Event {
        Event {
            kind,
            name: name.to_string(),
            status,
            text: text.to_string(),
            details: String::new(),
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Event {
        self.details = details.into();
        self
    }

    pub(super) fn id(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}
