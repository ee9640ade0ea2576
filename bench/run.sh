# bench/run.sh — owns the one-command benchmark: prepares engine, image, tools and builds, then runs bench/bench.py and cleans up.
#
# Usage (from the repo root): bash bench/run.sh
#   BENCH_RUNS=N    runs per tool and project size (default 5)
#   BENCH_SIZES=".." project sizes in services (default "10 30")
#   BENCH_SKIP_BUILD=1  time the binaries already in target/release (no cargo build)
#   BENCH_SKIP_SNAPSHOT=1  skip bench/snapshot.sh (save/restore of a ~200 MB database volume)
# Prints the table of medians and writes it to bench/results/latest.md (gitignored).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "bench: $*" >&2; }

export BENCH_RUNS="${BENCH_RUNS:-5}"
export BENCH_SIZES="${BENCH_SIZES:-10 30}"

# Whatever happens (failure, Ctrl-C), leave no benchmark project behind. bench.py cleans up
# itself; this catches what it could not (e.g. it was killed). Only the rcbench<N><tool> projects.
cleanup() {
  [ -n "${bin:-}" ] && rm -rf "$bin"
  command -v docker >/dev/null 2>&1 || return 0
  local n s p ids
  for n in $BENCH_SIZES; do
    for s in rc raw v1; do
      p="rcbench$n$s"
      ids=$(docker ps -aq --filter "label=com.docker.compose.project=$p" 2>/dev/null || true)
      [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1 || true
      docker network rm "${p}_default" >/dev/null 2>&1 || true
    done
  done
}
# On Ctrl-C or TERM, bench.py is told to stop (it then removes its projects itself), and
# cleanup runs after it.
py=""
stop_bench() {
  if [ -n "$py" ]; then
    kill -TERM "$py" 2>/dev/null || true
    wait "$py" 2>/dev/null || true
  fi
  exit "$1"
}
trap cleanup EXIT
trap 'stop_bench 130' INT
trap 'stop_bench 143' TERM

# 1. An engine and the test image (engine.sh starts dockerd and builds the image when missing).
if ! docker image inspect rcompose-test/busybox:latest >/dev/null 2>&1; then
  log "image rcompose-test/busybox missing (or no engine): running integration/engine.sh"
  bash integration/engine.sh
fi

# 2. docker-compose v1 (Debian's Python package), optional: its column is skipped without it.
export DC_V1="" DC_V1_NOTE=""
is_v1() { docker-compose version --short 2>/dev/null | grep -q '^1\.'; }
if ! command -v docker-compose >/dev/null 2>&1; then
  log "installing docker-compose (v1, Debian package)"
  if ! { apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose \
      >/dev/null 2>&1; }; then
    DC_V1_NOTE="apt-get install docker-compose failed"
    log "$DC_V1_NOTE; the docker-compose v1 column is skipped"
  fi
fi
if command -v docker-compose >/dev/null 2>&1; then
  if is_v1; then
    DC_V1=$(command -v docker-compose)
  else
    DC_V1_NOTE="the docker-compose on PATH is not v1 ($(docker-compose version --short 2>&1 | head -n1))"
    log "$DC_V1_NOTE; the docker-compose v1 column is skipped"
  fi
fi

# 3. The two Rust programs, copied aside so that a build running meanwhile in this tree cannot
#    swap a binary in the middle of the timing.
if [ "${BENCH_SKIP_BUILD:-}" = 1 ]; then
  log "BENCH_SKIP_BUILD=1: using the binaries already in target/release"
else
  log "building rcompose and the raw client (release)"
  cargo build --release
  cargo build --release --example raw-client
fi
bin=$(mktemp -d /tmp/rcbench-bin.XXXXXX)
cp target/release/rcompose target/release/examples/raw-client "$bin/"
export RCOMPOSE="$bin/rcompose"
export RAW_CLIENT="$bin/raw-client"

# 4. The timing loop, checks and report.
log "timing: $BENCH_RUNS runs per tool at sizes $BENCH_SIZES"
# In the background so that a signal reaches the traps above at once, not after the whole run.
python3 bench/bench.py &
py=$!
status=0
wait "$py" || status=$?
py=""
# 5. Stop of 10 services that ignore SIGTERM with a 3 s grace period: about one period.
if [ "$status" = 0 ]; then
  bash bench/grace.sh || status=$?
fi
# 6. Snapshots of a ~200 MB PostgreSQL volume against the usual reset (BENCH_SKIP_SNAPSHOT=1 skips).
if [ "$status" = 0 ] && [ "${BENCH_SKIP_SNAPSHOT:-}" != 1 ]; then
  bash bench/snapshot.sh || status=$?
fi
exit "$status"
