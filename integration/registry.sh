#!/usr/bin/env bash
# A private registry with password auth on 127.0.0.1, for the registry-auth integration tests.
#
#   registry.sh install                 installs Debian's docker-registry, apache2-utils (htpasswd)
#                                       and openssl when missing (idempotent, quiet when present)
#   registry.sh serve DIR PORT USER PASS
#                                       writes a self-signed certificate for 127.0.0.1, an htpasswd
#                                       file and a config into DIR (storage in DIR/data), makes the
#                                       engine trust the certificate through
#                                       /etc/docker/certs.d/127.0.0.1:PORT/ca.crt (read per pull; no
#                                       daemon restart), then execs the registry in the foreground
#                                       on 127.0.0.1:PORT over TLS (htpasswd auth requires TLS).
#                                       Stop it by killing that process.
#   registry.sh cleanup PORT            removes /etc/docker/certs.d/127.0.0.1:PORT
#
# The system docker-registry service is neither started nor touched.
set -euo pipefail

log() { echo "registry.sh: $*" >&2; }

install() {
  local need=()
  for pkg in docker-registry apache2-utils openssl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The package's own service must not start (policy-rc.d may already forbid it).
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

serve() {
  local dir=$1 port=$2 user=$3 pass=$4
  install
  mkdir -p "$dir/data"
  if [ ! -f "$dir/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  fi
  htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: rcompose-test-$port
  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem
auth:
  htpasswd:
    realm: rcompose-test
    path: $dir/htpasswd
EOF
  mkdir -p "/etc/docker/certs.d/127.0.0.1:$port"
  cp "$dir/cert.pem" "/etc/docker/certs.d/127.0.0.1:$port/ca.crt"
  exec /usr/bin/docker-registry serve "$dir/config.yml"
}

case "${1:-}" in
  install) install ;;
  serve) shift; serve "$@" ;;
  cleanup) rm -rf "/etc/docker/certs.d/127.0.0.1:$2" ;;
  *) echo "usage: $0 install | serve DIR PORT USER PASS | cleanup PORT" >&2; exit 2 ;;
esac
