# bench/stack.sh — owns the stack benchmark: `rcompose stack deploy` of 30 services and its
# no-op re-deploy, side by side with `docker stack deploy` of the same file (version "3.8", as
# the docker CLI needs), on a single-node swarm of its own (integration/swarm.sh; the main
# engine is never made a swarm). Targets: deploy <= 1.0x, no-op re-deploy <= 0.2x the docker CLI.
# Runnable alone: bash bench/stack.sh
#   BENCH_STACK_RUNS=N   runs per tool (default 3)
#   BENCH_STACK_SIZE=N   services (default 30)
#   RCOMPOSE=path        the binary to time (default target/release/rcompose when built, else
#                        target/debug/rcompose)
#   DOCKER_CLI=path      the docker CLI to compare with (default /usr/local/bin/docker, else docker)
# Prints the medians and the ratios.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "bench-stack: $*" >&2; }

runs="${BENCH_STACK_RUNS:-3}"
size="${BENCH_STACK_SIZE:-30}"
if [ -z "${RCOMPOSE:-}" ]; then
  RCOMPOSE="$root/target/release/rcompose"
  [ -x "$RCOMPOSE" ] || RCOMPOSE="$root/target/debug/rcompose"
fi
[ -x "$RCOMPOSE" ] || { log "no rcompose binary at $RCOMPOSE (cargo build first)"; exit 1; }
DOCKER_CLI="${DOCKER_CLI:-/usr/local/bin/docker}"
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker)
docker image inspect rcompose-test/busybox:latest >/dev/null 2>&1 || bash integration/engine.sh

dir=$(mktemp -d /tmp/rcbench-stack.XXXXXX)
env_out=$(bash integration/swarm.sh up --nodes 1 --owner $$)
swarm_dir=$(sed -n 's/^SWARM_DIR=//p' <<<"$env_out")
cleanup() { bash integration/swarm.sh down "$swarm_dir"; rm -rf "$dir"; }
trap cleanup EXIT
export DOCKER_HOST
DOCKER_HOST=$(sed -n 's/^SWARM_MANAGER=//p' <<<"$env_out")
{
  echo 'version: "3.8"'
  echo "services:"
  for i in $(seq 1 "$size"); do
    printf '  s%s:\n    image: rcompose-test/busybox:latest\n' "$i"
    printf '    command: [sleep, "3600"]\n    stop_grace_period: 1s\n'
  done
} >"$dir/compose.yaml"

now() { date +%s.%N; }
# ms TOOL STACK: the wall time of one `stack deploy`, in milliseconds.
ms() {
  local t0 t1
  t0=$(now)
  "$1" stack deploy -c "$dir/compose.yaml" "$2" >/dev/null 2>&1
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'
}
gone() { # STACK: waits until nothing of it is left (stack rm does not wait for the network)
  local i
  for i in $(seq 300); do
    # Again now and then: the network's removal fails while task containers still use it.
    [ $((i % 10)) = 1 ] && { "$DOCKER_CLI" stack rm "$1" >/dev/null 2>&1 || true; }
    [ -z "$("$DOCKER_CLI" service ls -q --filter "label=com.docker.stack.namespace=$1")$("$DOCKER_CLI" network ls -q --filter "label=com.docker.stack.namespace=$1")" ] && return 0
    sleep 0.2
  done
  log "stack $1 not removed"; exit 1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A deploy noop
for tool in docker rcompose; do
  bin=$DOCKER_CLI; [ "$tool" = rcompose ] && bin=$RCOMPOSE
  d=() n=()
  for r in $(seq 1 "$runs"); do
    st="b${tool:0:2}$r"
    d+=("$(ms "$bin" "$st")")
    n+=("$(ms "$bin" "$st")")
    gone "$st"
  done
  deploy[$tool]=$(printf '%s\n' "${d[@]}" | median)
  noop[$tool]=$(printf '%s\n' "${n[@]}" | median)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '\n%s services on a single-node swarm, median of %s runs (ms)\n' "$size" "$runs"
printf '%-22s %10s %10s %8s %8s\n' "" "docker" "rcompose" "ratio" "target"
printf '%-22s %10.0f %10.0f %8s %8s\n' "stack deploy" "${deploy[docker]}" "${deploy[rcompose]}" "$(ratio "${deploy[rcompose]}" "${deploy[docker]}")x" "<=1.0x"
printf '%-22s %10.0f %10.0f %8s %8s\n' "no-op re-deploy" "${noop[docker]}" "${noop[rcompose]}" "$(ratio "${noop[rcompose]}" "${noop[docker]}")x" "<=0.2x"
echo "rcompose: $RCOMPOSE; docker CLI: $DOCKER_CLI ($("$DOCKER_CLI" version --format '{{.Client.Version}}' 2>/dev/null))"
