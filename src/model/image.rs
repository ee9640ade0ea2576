//! Image references (`[registry/]repository[:tag][@digest]`): the one parser that splits what a
//! service's `image:`, a build tag or a `commit` target names, for pulls, pushes, tags, tables
//! and registry credentials alike.

/// The registry of images without an explicit registry host.
pub const DOCKER_HUB: &str = "docker.io";

/// One image reference, split without allocating. A `:` before the last `/` belongs to a
/// registry port (`localhost:5000/app` has no tag); everything after `@` is the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The repository with its registry host, if any (`localhost:5000/app`, `busybox`).
    pub name: &'a str,
    /// The tag, when the reference has one.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:…`), when the reference pins one.
    pub digest: Option<&'a str>,
    /// The reference without its digest (`name[:tag]`).
    pub without_digest: &'a str,
}

impl<'a> ImageRef<'a> {
    /// Splits `reference`; never fails (the engine judges what it accepts).
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let (without_digest, digest) = match reference.split_once('@') {
            Some((named, digest)) => (named, Some(digest)),
            None => (reference, None),
        };
        let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match without_digest[last_slash..].rfind(':') {
            Some(i) => (
                &without_digest[..last_slash + i],
                Some(&without_digest[last_slash + i + 1..]),
            ),
            None => (without_digest, None),
        };
        ImageRef {
            name,
            tag,
            digest,
            without_digest,
        }
    }

    /// The tag, `latest` when there is none.
    pub fn tag_or_latest(&self) -> &'a str {
        self.tag.unwrap_or("latest")
    }

    /// What the engine's pull and push APIs take: the image and its tag, or its digest when
    /// pinned (`x:1@sha256:ab` → `x:1`, `sha256:ab`).
    pub fn api_parts(&self) -> (&'a str, &'a str) {
        match self.digest {
            Some(digest) => (self.without_digest, digest),
            None => (self.name, self.tag_or_latest()),
        }
    }

    /// The repository as Docker Hub shortens it (`docker.io/library/busybox` → `busybox`).
    pub fn familiar_name(&self) -> &'a str {
        let n = self.name.strip_prefix("docker.io/").unwrap_or(self.name);
        n.strip_prefix("library/").unwrap_or(n)
    }

    /// The registry host: the first path component when it looks like a host (has a `.` or
    /// `:`, or is `localhost`), else Docker Hub (every Hub spelling folded into `docker.io`).
    pub fn registry(&self) -> &'a str {
        match self.name.split_once('/') {
            Some((first, _))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                match first {
                    "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
                    host => host,
                }
            }
            _ => DOCKER_HUB,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    fn parts(r: &str) -> (&str, Option<&str>, Option<&str>) {
        let i = ImageRef::parse(r);
        (i.name, i.tag, i.digest)
    }

    #[test]
    fn splits_name_tag_and_digest() {
        assert_eq!(parts("busybox"), ("busybox", None, None));
        assert_eq!(parts("a/b:1.2"), ("a/b", Some("1.2"), None));
        assert_eq!(parts("localhost:5000/x"), ("localhost:5000/x", None, None));
        assert_eq!(
            parts("localhost:5000/x:v2"),
            ("localhost:5000/x", Some("v2"), None)
        );
        assert_eq!(parts("x@sha256:ab"), ("x", None, Some("sha256:ab")));
        assert_eq!(parts("x:1@sha256:ab"), ("x", Some("1"), Some("sha256:ab")));
    }

    #[test]
    fn api_parts_pin_the_digest_or_default_the_tag() {
        let p = |r| ImageRef::parse(r).api_parts();
        assert_eq!(p("busybox"), ("busybox", "latest"));
        assert_eq!(p("a/b:1.2"), ("a/b", "1.2"));
        assert_eq!(p("localhost:5000/x"), ("localhost:5000/x", "latest"));
        assert_eq!(p("x@sha256:ab"), ("x", "sha256:ab"));
        assert_eq!(p("x:1@sha256:ab"), ("x:1", "sha256:ab"));
    }

    #[test]
    fn registries_and_familiar_names() {
        let reg = |r| ImageRef::parse(r).registry();
        assert_eq!(reg("busybox"), "docker.io");
        assert_eq!(reg("library/busybox:1"), "docker.io");
        assert_eq!(reg("me/app"), "docker.io");
        assert_eq!(reg("docker.io/me/app"), "docker.io");
        assert_eq!(reg("index.docker.io/me/app"), "docker.io");
        assert_eq!(reg("127.0.0.1:5000/x/y:t"), "127.0.0.1:5000");
        assert_eq!(reg("localhost/x"), "localhost");
        assert_eq!(reg("ghcr.io/o/r@sha256:ab"), "ghcr.io");
        let fam = |r| ImageRef::parse(r).familiar_name();
        assert_eq!(fam("docker.io/library/busybox:1"), "busybox");
        assert_eq!(fam("library/busybox"), "busybox");
        assert_eq!(fam("ghcr.io/o/r"), "ghcr.io/o/r");
    }
}
