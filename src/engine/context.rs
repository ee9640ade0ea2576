//! The build context: a tar of the context directory that honours `.dockerignore` (or
//! `<Dockerfile>.dockerignore`) with Docker's rules, written on a blocking thread and streamed to
//! the engine in chunks.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use globset::{GlobBuilder, GlobMatcher};
use tokio::sync::mpsc;

/// One `.dockerignore` line.
struct Rule {
    matcher: GlobMatcher,
    exception: bool,
}

/// `.dockerignore` patterns with Docker's semantics: relative to the context root (a leading `/`
/// means nothing), `*` and `?` stay within one path segment, `**` spans any number of them, a
/// pattern excludes what it matches and everything below it, `!` re-includes, last match wins.
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

/// `filepath.Clean` on a slash-separated relative pattern.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

impl DockerIgnore {
    pub fn parse(text: &str) -> Result<DockerIgnore, String> {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pat) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pat = clean(pat);
            if pat.is_empty() {
                continue;
            }
            // Docker writes a negated character class as [^...]; globset wants [!...].
            let pat = pat.replace("[^", "[!");
            let matcher = GlobBuilder::new(&pat)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!(".dockerignore: bad pattern {line:?}: {e}"))?
                .compile_matcher();
            rules.push(Rule { matcher, exception });
        }
        Ok(DockerIgnore { rules })
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
    pub fn excluded(&self, path: &str) -> bool {
        let mut excluded = false;
        let parts: Vec<&str> = path.split('/').collect();
        for rule in &self.rules {
            // The rule matches the path itself or one of its parent directories.
            let hit = (1..=parts.len()).any(|n| rule.matcher.is_match(parts[..n].join("/")));
            if hit {
                excluded = !rule.exception;
            }
        }
        excluded
    }

    /// True when some `!` rule could re-include something below an excluded directory.
    fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exception)
    }
}

/// What to put in the context tar.
pub struct ContextSpec {
    pub dir: PathBuf,
    /// The Dockerfile's path relative to the context, as the engine will be told.
    pub dockerfile: String,
    /// Extra files added at the tar root (an inline Dockerfile, or one outside the context).
    pub extra: Vec<(String, Vec<u8>)>,
}

/// Reads the ignore file for `dockerfile` in `dir`: `<Dockerfile>.dockerignore` next to the
/// Dockerfile first, then `.dockerignore` at the root.
pub fn load_ignore(dir: &Path, dockerfile: &Path) -> Result<DockerIgnore, String> {
    let specific = PathBuf::from(format!("{}.dockerignore", dockerfile.display()));
    for candidate in [specific, dir.join(".dockerignore")] {
        if let Ok(text) = std::fs::read_to_string(&candidate) {
            return DockerIgnore::parse(&text);
        }
    }
    Ok(DockerIgnore { rules: Vec::new() })
}

/// A `Write` that sends its bytes down a channel in chunks.
struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::other("the engine stopped reading the build context"))
    }
}

fn append_tree(
    tar: &mut tar::Builder<ChannelWriter>,
    root: &Path,
    rel: &str,
    ignore: &DockerIgnore,
    keep: &[&str],
) -> std::io::Result<()> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let excluded = ignore.excluded(&path) && !keep.contains(&path.as_str());
        let ft = entry.file_type()?;
        if ft.is_dir() {
            if excluded && !ignore.has_exceptions() {
                continue;
            }
            if !excluded {
                let mut h = tar::Header::new_gnu();
                h.set_metadata(&entry.metadata()?);
                h.set_uid(0);
                h.set_gid(0);
                tar.append_data(&mut h, &path, std::io::empty())?;
            }
            append_tree(tar, root, &path, ignore, keep)?;
        } else if !excluded {
            let mut h = tar::Header::new_gnu();
            let meta = std::fs::symlink_metadata(entry.path())?;
            h.set_metadata(&meta);
            h.set_uid(0);
            h.set_gid(0);
            if ft.is_symlink() {
                let target = std::fs::read_link(entry.path())?;
                tar.append_link(&mut h, &path, target)?;
            } else if ft.is_file() {
                let f = std::fs::File::open(entry.path())?;
                tar.append_data(&mut h, &path, f)?;
            }
        }
    }
    Ok(())
}

fn write_context(spec: &ContextSpec, out: ChannelWriter) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("build context {}: {e}", spec.dir.display());
    let ignore = load_ignore(&spec.dir, &spec.dir.join(&spec.dockerfile))?;
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    let keep = [spec.dockerfile.as_str(), ".dockerignore"];
    append_tree(&mut tar, &spec.dir, "", &ignore, &keep).map_err(fail)?;
    for (name, data) in &spec.extra {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        tar.append_data(&mut h, name, data.as_slice())
            .map_err(fail)?;
    }
    let mut out = tar.into_inner().map_err(fail)?;
    out.flush().map_err(fail)
}

/// Starts writing the context of `spec`; the chunks arrive on the returned stream, and the
/// handle says whether the whole context could be read.
pub fn stream_context(
    spec: ContextSpec,
) -> (
    impl futures::Stream<Item = Bytes> + Send + 'static,
    tokio::task::JoinHandle<Result<(), String>>,
) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(8);
    let handle = tokio::task::spawn_blocking(move || {
        write_context(
            &spec,
            ChannelWriter {
                tx,
                buf: Vec::new(),
            },
        )
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (stream, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap()
    }

    #[test]
    fn patterns_are_relative_to_the_root() {
        let i = ig("*.md\n");
        assert!(i.excluded("README.md"));
        assert!(!i.excluded("docs/x.md"));
        let i = ig("/build\n./tmp/\n");
        assert!(i.excluded("build"));
        assert!(i.excluded("build/out/a.o"));
        assert!(i.excluded("tmp/x"));
        assert!(!i.excluded("src/build"));
    }

    #[test]
    fn double_star_spans_directories() {
        let i = ig("**/*.pyc\n**/node_modules\n");
        assert!(i.excluded("a.pyc"));
        assert!(i.excluded("pkg/sub/b.pyc"));
        assert!(i.excluded("web/node_modules/x/y.js"));
        assert!(!i.excluded("pkg/b.py"));
        let i = ig("docs/**/*.tmp\n");
        assert!(i.excluded("docs/a.tmp"));
        assert!(i.excluded("docs/x/y/a.tmp"));
    }

    #[test]
    fn exceptions_and_last_match_wins() {
        let i = ig("*.md\n!README.md\n");
        assert!(i.excluded("CHANGES.md"));
        assert!(!i.excluded("README.md"));
        let i = ig("!README.md\n*.md\n");
        assert!(i.excluded("README.md"));
        // An exception re-includes a file under an excluded directory.
        let i = ig("data\n!data/keep.txt\n");
        assert!(i.excluded("data/big.bin"));
        assert!(!i.excluded("data/keep.txt"));
        assert!(i.has_exceptions());
    }

    #[test]
    fn comments_blank_lines_and_classes() {
        let i = ig("# comment\n\n  \nfile[^0-9].txt\n?.log\n");
        assert!(i.excluded("filea.txt"));
        assert!(!i.excluded("file1.txt"));
        assert!(i.excluded("a.log"));
        assert!(!i.excluded("ab.log"));
        assert!(!i.excluded("# comment"));
    }

    #[tokio::test]
    async fn tar_honours_dockerignore_and_keeps_the_dockerfile() {
        use futures::StreamExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(
            d.join(".dockerignore"),
            "secret*\nDockerfile\nlogs\n!logs/keep\n",
        )
        .unwrap();
        std::fs::write(d.join("secret.txt"), "s").unwrap();
        std::fs::write(d.join("app.txt"), "a").unwrap();
        std::fs::create_dir(d.join("logs")).unwrap();
        std::fs::write(d.join("logs/old"), "o").unwrap();
        std::fs::write(d.join("logs/keep"), "k").unwrap();
        let (stream, handle) = stream_context(ContextSpec {
            dir: d.to_path_buf(),
            dockerfile: "Dockerfile".into(),
            extra: vec![("inline.Dockerfile".into(), b"FROM y\n".to_vec())],
        });
        let chunks: Vec<Bytes> = stream.collect().await;
        handle.await.unwrap().unwrap();
        let data: Vec<u8> = chunks.concat();
        let mut ar = tar::Archive::new(data.as_slice());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"Dockerfile".to_string()), "{names:?}");
        assert!(names.contains(&"app.txt".to_string()));
        assert!(names.contains(&"logs/keep".to_string()));
        assert!(names.contains(&"inline.Dockerfile".to_string()));
        assert!(!names.iter().any(|n| n.starts_with("secret")));
        assert!(!names.contains(&"logs/old".to_string()));
    }
}
