#!/usr/bin/env bash
# Makes sure a Docker Engine answers and that every image the tests and examples use exists locally.
#
# Installs Debian's docker.io, iptables, busybox-static and mmdebstrap (what the example needs) when
# missing; with --test-tools also postgresql-client, docker-compose (v1, for the interop tests) and
# docker-registry, apache2-utils and openssl (the private registry of the registry-auth tests, run by
# integration/registry.sh). Starts dockerd in the background when no engine answers, and builds the
# images from local material only (no registry is reachable here):
#   rcompose-test/busybox:latest        busybox-static in a scratch image
#   rcompose-test/debian-pg:base        Debian bookworm minbase + PostgreSQL 15 + busybox (mmdebstrap)
#   rcompose-examples/people-db:latest  PostgreSQL server that initialises itself on first start
#   rcompose-examples/people-app:latest busybox httpd with a CGI page that lists the people table
# Idempotent: a second run with everything in place takes well under a second.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
log() { echo "engine.sh: $*" >&2; }

# The Debian client speaks to the 20.10 daemon without buildx surprises.
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker

pkgs=(docker.io iptables busybox-static mmdebstrap)
if [ "${1:-}" = --test-tools ]; then
  pkgs+=(postgresql-client docker-compose docker-registry apache2-utils openssl)
fi
need_pkgs=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]} (apt-get; its output goes to /tmp/engine-apt.log)"
  # No questions, no debconf or needrestart chatter: apt's output is shown only when it fails.
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a NEEDRESTART_SUSPEND=1
  if ! { apt-get update -qq && apt-get install -y -qq "${need_pkgs[@]}"; } >/tmp/engine-apt.log 2>&1; then
    log "apt-get failed; its last lines:"
    tail -n 20 /tmp/engine-apt.log >&2
    exit 1
  fi
  [ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
fi

engine_answers() { timeout 5 "$DOCKER" version >/dev/null 2>&1; }

if ! engine_answers; then
  if [ -n "${DOCKER_HOST:-}" ] && [[ "${DOCKER_HOST}" != unix:///var/run/docker.sock ]]; then
    log "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local dockerd for another endpoint"
    exit 1
  fi
  log "no engine answers; starting dockerd (log: /tmp/dockerd.log)"
  # containerd is started by dockerd itself when no system containerd runs.
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 0.5
  done
  if ! engine_answers; then
    log "dockerd did not come up; last lines of /tmp/dockerd.log:"
    tail -n 20 /tmp/dockerd.log >&2 || true
    exit 1
  fi
fi

has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
build() { # build TAG CONTEXT
  DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$1" "$2" >/dev/null
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! has_image rcompose-test/busybox:latest; then
  log "building rcompose-test/busybox"
  mkdir -p "$work/busybox"
  cp /bin/busybox "$work/busybox/busybox"
  cat >"$work/busybox/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
EOF
  build rcompose-test/busybox:latest "$work/busybox"
fi

if ! has_image rcompose-test/debian-pg:base; then
  log "building rcompose-test/debian-pg:base with mmdebstrap (about two minutes)"
  sources=/etc/apt/sources.list.d/debian.sources
  [ -f "$sources" ] || sources=/etc/apt/sources.list
  mmdebstrap --quiet --variant=minbase --include=postgresql-15,busybox-static \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$work/rootfs.tar" "$sources"
  "$DOCKER" import "$work/rootfs.tar" rcompose-test/debian-pg:base >/dev/null
  rm -f "$work/rootfs.tar"
fi

images="$root/compose-examples/people/images"
for name in db app; do
  tag="rcompose-examples/people-$name:latest"
  # Rebuild when the recipe changed: the recipe's hash is kept as a label on the image.
  sum=$(cd "$images/$name" && cat $(ls | sort) | sha256sum | cut -c1-16)
  have=$("$DOCKER" image inspect -f '{{index .Config.Labels "rcompose.recipe"}}' "$tag" 2>/dev/null || true)
  if [ "$have" != "$sum" ]; then
    log "building $tag"
    cp -r "$images/$name" "$work/$name"
    echo "LABEL rcompose.recipe=$sum" >>"$work/$name/Dockerfile"
    build "$tag" "$work/$name"
  fi
done

log "engine ready: $("$DOCKER" version -f '{{.Server.Version}} (API {{.Server.APIVersion}})')"
