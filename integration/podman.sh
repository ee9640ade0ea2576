#!/usr/bin/env bash
# Makes sure Podman's Docker-compatible API answers at unix:///run/podman/podman.sock and holds the
# images the integration tests use, so the suite can run against Podman as well as Docker.
#
# Installs Debian's podman and catatonit (the init behind `init: true`) when missing, turns off
# Podman's default ulimits (which fail every container here with "error setting rlimit type 7"),
# starts `podman system service` in the background when the socket does not answer, and copies
# the test images from the Docker engine (which integration/engine.sh prepared) with
# `docker save | podman load`. Prints the DOCKER_HOST to use on stdout.
# Idempotent: a second run with everything in place takes well under a second.
set -euo pipefail

log() { echo "podman.sh: $*" >&2; }
sock=/run/podman/podman.sock
endpoint="unix://$sock"
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker

need_pkgs=()
for pkg in podman catatonit; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

conf=/etc/containers/containers.conf
if ! grep -qs '^default_ulimits *= *\[\]' "$conf"; then
  log "writing default_ulimits = [] to $conf"
  mkdir -p /etc/containers
  if grep -qs '^\[containers\]' "$conf"; then
    sed -i '/^\[containers\]/a default_ulimits = []' "$conf"
  else
    printf '[containers]\ndefault_ulimits = []\n' >>"$conf"
  fi
fi

answers() { timeout 5 env DOCKER_HOST="$endpoint" "$DOCKER" version >/dev/null 2>&1; }

if ! answers; then
  log "starting podman system service (log: /tmp/podman.log)"
  mkdir -p "$(dirname "$sock")"
  rm -f "$sock"
  nohup podman system service --time=0 "$endpoint" >/tmp/podman.log 2>&1 &
  for _ in $(seq 1 60); do
    answers && break
    sleep 0.5
  done
  if ! answers; then
    log "podman's API did not come up; last lines of /tmp/podman.log:"
    tail -n 20 /tmp/podman.log >&2 || true
    exit 1
  fi
fi

for image in rcompose-test/busybox:latest; do
  if ! podman image exists "$image"; then
    log "copying $image from the Docker engine"
    "$DOCKER" save "$image" | podman load -q >/dev/null
  fi
done

log "podman ready: $(DOCKER_HOST="$endpoint" "$DOCKER" version -f '{{.Server.Version}} (API {{.Server.APIVersion}})')"
echo "$endpoint"
