#!/usr/bin/env bash
# Installs the clients the `clients` integration tier drives (integration/clients.rs), pinned:
# python-on-whales 0.81 and testcontainers-python 4.15 from PyPI into a venv (every package
# pinned in clients/requirements.txt), the npm `docker-compose` 1.5 wrapper from npm into
# node_modules (clients/package.json), both under a cache directory outside the repository
# (RCOMPOSE_CLIENTS_DIR, default ~/.cache/rcompose-clients). Idempotent: a second run with the
# versions in place installs nothing. Prints the directory on stdout; exits non-zero when
# python3 (with venv), node or npm is missing or an install fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
requirements="$here/clients/requirements.txt"
package="$here/clients/package.json"

dir=${RCOMPOSE_CLIENTS_DIR:-$HOME/.cache/rcompose-clients}
mkdir -p "$dir"
log="$dir/install.log"

for tool in python3 node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "clients.sh: $tool is required" >&2; exit 1; }
done

stamp="$dir/venv/.pinned-$(sha256sum <"$requirements" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$dir/venv"
  python3 -m venv "$dir/venv" >>"$log" 2>&1 || { echo "clients.sh: python3 -m venv failed (see $log)" >&2; exit 1; }
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >>"$log" 2>&1 \
    || { echo "clients.sh: pip install failed (see $log)" >&2; exit 1; }
  touch "$stamp"
fi

node_stamp="$dir/node/.pinned-$(sha256sum <"$package" | cut -c1-16)"
if [ ! -f "$node_stamp" ]; then
  rm -rf "$dir/node"
  mkdir -p "$dir/node"
  cp "$package" "$dir/node/package.json"
  npm install --prefix "$dir/node" --no-audit --no-fund >>"$log" 2>&1 \
    || { echo "clients.sh: npm install failed (see $log)" >&2; exit 1; }
  touch "$node_stamp"
fi

echo "$dir"
