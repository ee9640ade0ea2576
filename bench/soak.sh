#!/usr/bin/env bash
# Soak: a project of N services (default 100) through C up -d/down cycles (default 5).
# Checks that nothing labelled with the project is left behind and reports rcompose's peak RSS
# (GNU time's "Maximum resident set size"), failing above LIMIT_MB (default 50).
# Usage: bash bench/soak.sh [N] [CYCLES]   (needs a running engine and rcompose-test/busybox)
set -euo pipefail
N=${1:-100}
CYCLES=${2:-5}
LIMIT_MB=${LIMIT_MB:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/rcompose"
DIR=$(mktemp -d)
PROJECT="rct-soak-$$"
trap 'rm -rf "$DIR"' EXIT
{
  echo "services:"
  for i in $(seq 1 "$N"); do
    printf '  s%s:\n    image: rcompose-test/busybox:latest\n    command: [sleep, "3600"]\n    stop_grace_period: 1s\n' "$i"
  done
} > "$DIR/compose.yaml"
peak=0
measure() {
  /usr/bin/time -f '%M' -o "$DIR/rss" "$BIN" -p "$PROJECT" --progress quiet "$@" >/dev/null
  local kb; kb=$(tail -1 "$DIR/rss")
  (( kb > peak )) && peak=$kb
  echo "  $* : ${kb} KB"
}
cd "$DIR"
for c in $(seq 1 "$CYCLES"); do
  echo "cycle $c"
  measure up -d
  running=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  [[ $running -eq $N ]] || { echo "expected $N running containers, got $running"; exit 1; }
  measure down -v
  left=$(( $(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
         + $(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
         + $(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l) ))
  [[ $left -eq 0 ]] || { echo "left behind: $left resources"; exit 1; }
done
echo "peak RSS: $peak KB ($(( peak / 1024 )) MB), limit ${LIMIT_MB} MB"
(( peak < LIMIT_MB * 1024 ))
