//! Load errors: one message, plus where in which file it points when that is known.
//!
//! The message text follows docker compose where scripts or users know it (for example
//! `no configuration file provided: not found`); the location and the offending line are extra
//! and rendered by `output::diagnostic`.

use std::path::{Path, PathBuf};

use super::yaml::Locations;

/// Where an error points: a file, a key path and, when known, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: PathBuf,
    /// Dotted key path, e.g. `services.web.ports[1]`; empty for file-level errors.
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The text of the line, for the snippet.
    pub line_text: Option<String>,
}

/// An error found while loading a project. Display is the message alone.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    pub message: String,
    pub location: Option<SourceLocation>,
}

impl LoadError {
    /// An error with no location (discovery, environment, command-line problems).
    pub fn new(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
            location: None,
        }
    }

    /// compose's `no such service: NAME` for a service name given on the command line, with
    /// the nearest of the `known` names when it looks like a typo of one. Every command that
    /// takes service names reports an unknown one with this.
    pub fn no_such_service<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Self {
        let hint = super::service::nearest(name, known)
            .map(|n| format!(" (did you mean '{n}'?)"))
            .unwrap_or_default();
        LoadError::new(format!("no such service: {name}{hint}"))
    }

    /// compose's `no configuration file provided: not found`, then a line saying where the
    /// search went: `dir` (where it started) and its parents, for each of `names`.
    pub fn no_configuration_file(dir: &Path, names: &[&str]) -> Self {
        let parents = match dir.parent() {
            Some(_) => " and its parents",
            None => "",
        };
        LoadError::new(format!(
            "no configuration file provided: not found\nlooked in {}{parents} for {}; name a file with -f",
            dir.display(),
            names.join(", ")
        ))
    }

    /// An error at a key path of `file`, its line and column to be filled in by
    /// [`LoadError::locate_in`] (code that sees values but not positions raises these).
    pub fn at_path(message: impl Into<String>, file: &Path, path: &str) -> Self {
        LoadError {
            message: message.into(),
            location: Some(SourceLocation {
                file: file.to_path_buf(),
                path: path.to_string(),
                line: None,
                column: None,
                line_text: None,
            }),
        }
    }

    /// Gives an error without a location the key path `path` of `file`.
    pub fn or_at(self, file: Option<&Path>, path: &str) -> Self {
        match (&self.location, file) {
            (None, Some(f)) => LoadError::at_path(self.message, f, path),
            _ => self,
        }
    }

    /// Fills in line and column when the error points at a key path of `source` without them.
    pub fn locate_in(self, source: &SourceFile) -> Self {
        match &self.location {
            Some(l) if l.line.is_none() && l.file == source.path && !l.path.is_empty() => {
                let path = l.path.clone();
                LoadError::at(self.message, source, &path)
            }
            _ => self,
        }
    }

    /// An error at a key path of a file, located with the file's position map.
    pub fn at(message: impl Into<String>, source: &SourceFile, path: &str) -> Self {
        let pos = source
            .locations
            .find(path)
            .map(|p| (p.line, p.column))
            .or_else(|| path.is_empty().then(|| document_start(&source.text)));
        let line_text = pos.and_then(|(line, _)| {
            source
                .text
                .lines()
                .nth(line.saturating_sub(1) as usize)
                .map(str::to_string)
        });
        LoadError {
            message: message.into(),
            location: Some(SourceLocation {
                file: source.path.clone(),
                path: path.to_string(),
                line: pos.map(|p| p.0),
                column: pos.map(|p| p.1),
                line_text,
            }),
        }
    }
}

/// Line and column where a file's document begins: its first line that is not blank, a
/// comment or a document marker.
fn document_start(text: &str) -> (u32, u32) {
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || t == "---" {
            continue;
        }
        return (i as u32 + 1, (l.len() - t.len()) as u32 + 1);
    }
    (1, 1)
}

/// The text of one compose file and the positions of its keys, kept for error reporting.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub locations: Locations,
}

/// The files a project was loaded from; finds the last file that defines a key path.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    /// The file whose definition of `path` won the merge (the last one that defines it), else the
    /// last file that defines an enclosing key.
    pub fn file_for(&self, path: &str) -> Option<&SourceFile> {
        self.files
            .iter()
            .rev()
            .find(|f| f.locations.find_exact(path))
            .or_else(|| {
                self.files
                    .iter()
                    .rev()
                    .find(|f| f.locations.find(path).is_some())
            })
            .or(self.files.first())
    }

    /// An error at `path`, pointing into whichever file defines it.
    pub fn error(&self, path: &str, message: impl Into<String>) -> LoadError {
        match self.file_for(path) {
            Some(f) => LoadError::at(message, f, path),
            None => LoadError::new(message),
        }
    }

    /// Path of the first file, for messages that name the project file.
    pub fn first_path(&self) -> Option<&Path> {
        self.files.first().map(|f| f.path.as_path())
    }
}
