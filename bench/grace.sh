# bench/grace.sh — owns the stop-grace benchmark: `stop` of 10 services that ignore SIGTERM, with
# a 3 s stop_grace_period, must take about one grace period (the stops run concurrently), not ten.
# Compared with the raw engine (`docker stop` of the same containers, which the CLI runs
# concurrently too) and docker-compose v1 when installed. Called by bench/run.sh; runnable
# alone: bash bench/grace.sh
#   BENCH_GRACE_RUNS=N   runs per tool (default 3)
#   RCOMPOSE=path        the binary to time (default target/release/rcompose, built when missing)
# Appends its table to bench/results/latest.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "bench-grace: $*" >&2; }

runs="${BENCH_GRACE_RUNS:-3}"
if [ -z "${RCOMPOSE:-}" ]; then
  [ -x target/release/rcompose ] || cargo build --release
  RCOMPOSE="$root/target/release/rcompose"
fi
docker image inspect rcompose-test/busybox:latest >/dev/null 2>&1 || bash integration/engine.sh

dir=$(mktemp -d /tmp/rcbench-grace.XXXXXX)
project=rcbenchgrace
{
  echo "services:"
  for i in $(seq 1 10); do
    printf '  s%s:\n    image: rcompose-test/busybox:latest\n' "$i"
    # PID 1 ignores SIGTERM, so only the SIGKILL after the grace period ends it.
    printf "    command: [sh, -c, 'trap \"\" TERM; while true; do sleep 1; done']\n"
    printf '    stop_grace_period: 3s\n'
  done
} >"$dir/compose.yaml"
export COMPOSE_PROGRESS=quiet
rc() { "$RCOMPOSE" -p "$project" -f "$dir/compose.yaml" "$@"; }
cleanup() {
  rc down -t 0 >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

time_stop() { # time_stop TOOL -> seconds of one stop, after a fresh up
  rc up -d >/dev/null 2>&1
  sleep 1
  local t
  t=$(now)
  case "$1" in
    rcompose) rc stop >/dev/null 2>&1 ;;
    raw) docker stop -t 3 $(docker ps -q --filter "label=com.docker.compose.project=$project") >/dev/null ;;
    v1) docker-compose -p "$project" -f "$dir/compose.yaml" stop >/dev/null 2>&1 ;;
  esac
  since "$t"
  # Every container must have been stopped.
  if [ -n "$(docker ps -q --filter "label=com.docker.compose.project=$project")" ]; then
    log "$1 left containers running"
    exit 1
  fi
}

tools="rcompose raw"
if docker-compose version --short 2>/dev/null | grep -q '^1\.'; then tools="$tools v1"; fi
declare -A med
for tool in $tools; do
  samples=()
  for _ in $(seq 1 "$runs"); do samples+=("$(time_stop "$tool")"); done
  med[$tool]=$(median "${samples[@]}")
  log "$tool: ${samples[*]} (median ${med[$tool]} s)"
done

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$1" "$2"; }
{
  echo
  echo "### stop of 10 services ignoring SIGTERM, stop_grace_period 3s (median of $runs)"
  echo
  echo "| tool | seconds | vs one grace period (3 s) | vs raw engine |"
  echo "|---|---|---|---|"
  for tool in $tools; do
    echo "| $tool | ${med[$tool]} | $(ratio "${med[$tool]}" 3) | $(ratio "${med[$tool]}" "${med[raw]}") |"
  done
} | tee -a bench/results/latest.md
