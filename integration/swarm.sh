#!/usr/bin/env bash
# A Docker Swarm of its own for the stack tests: N dockerd instances (default 3: one manager, two
# workers), each in a network namespace this script makes, wired to a Linux bridge in a "switch"
# namespace of its own, with private addresses 10.214.K.0/24. The host (root namespace) gets one
# veth on that bridge too, 10.214.K.1, so a test reaches published ports at the nodes' addresses.
# Nodes have no default route: traffic stays between these namespaces (and each node's 127.0.0.1).
#
#   swarm.sh up [--nodes N] [--owner PID] [IMAGE...]   make a cluster, print its env (KEY=VALUE lines)
#   swarm.sh down DIR                                  remove it (idempotent; safe on a half-made one)
#   swarm.sh env DIR                                   print its env again
#   swarm.sh kill-node DIR NAME                        SIGKILL a node's dockerd (its tasks keep running)
#   swarm.sh start-node DIR NAME                       start a node's dockerd again (same state)
#   swarm.sh gc                                        down every cluster whose --owner is gone
#
# Each node's dockerd has its own --data-root, --exec-root, --pidfile, unix socket, key file,
# cgroup parent and containerd (dockerd starts one: no system containerd runs here), in a mount
# and UTS namespace of its own (so all its mounts vanish with it, and its hostname, which swarm
# takes as the node name, is the node's name). Its iptables rules live in its own network
# namespace; the host's engine, its chains and its bridge are never touched.
# Images (rcompose-test/busybox:latest and any IMAGE given) go from the host engine into every
# node with `docker save | docker load`. With --owner PID, a watcher runs `down` once PID exits.
#
# Node names: m (manager), w1, w2, ... Node labels: rcompose.name=<name> on every node,
# rcompose.zone=a on m, rcompose.zone=b on the workers, rcompose.disk=ssd on the last worker.
# The env printed: SWARM_DIR, SWARM_NODES ("m w1 w2"), SWARM_MANAGER (DOCKER_HOST of m),
# SWARM_HOST_<name> (DOCKER_HOST of each node), SWARM_IP_<name> (its address), SWARM_HOST_IP
# (the root namespace's address on the bridge).
#
# Published ports: swarm's routing mesh (ingress) balances through IPVS, which this kernel does
# not have (CONFIG_IP_VS unset), so ports published in ingress mode do not answer and VIPs do not
# carry traffic. Ports published with `mode: host` answer at SWARM_IP_<node>:PORT of the node
# running the task, from the host; services reach each other by name with `endpoint_mode: dnsrr`.
set -euo pipefail

DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker
log() { echo "swarm.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# Everything of a cluster lives under /tmp/rc-swarm.<id>; <id> also names its namespaces and links.
state_env() { # DIR: sources the cluster's settings
  [ -f "$1/settings" ] || die "$1 is not a cluster made by swarm.sh"
  # shellcheck disable=SC1091
  . "$1/settings"
}

sock_of() { echo "unix://$DIR/$1/docker.sock"; }
dk() { local n=$1; shift; "$DOCKER" -H "$(sock_of "$n")" "$@"; }

# Starts node $1's dockerd in its namespaces and waits for it to answer.
start_node() {
  local n=$1 nd=$DIR/$1
  mkdir -p "$nd"
  # Its own key file, so each node has its own engine ID (the default is /etc/docker/key.json).
  [ -f "$nd/daemon.json" ] || echo "{\"deprecated-key-path\": \"$nd/key.json\"}" >"$nd/daemon.json"
  # DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: a node runs a task from its local image rather than
  # asking a registry first (none is reachable here).
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nsenter --net="/var/run/netns/$PFX-$n" \
    unshare --mount --uts --propagation private \
    sh -c 'hostname "$0" && exec "$@"' "$PFX-$n" \
    dockerd --config-file "$nd/daemon.json" --data-root "$nd/data" --exec-root "$nd/exec" \
    --pidfile "$nd/dockerd.pid" -H "$(sock_of "$n")" \
    --cgroup-parent "/$PFX-$n" --bridge=none --iptables=true --ip-forward=true \
    --swarm-default-advertise-addr "$(ip_of "$n")" \
    </dev/null >>"$nd/dockerd.log" 2>&1 &
  echo $! >"$nd/launch.pid"
}

wait_node() {
  local n=$1
  for _ in $(seq 150); do
    timeout 5 "$DOCKER" -H "$(sock_of "$n")" version >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$DIR/$n/launch.pid")" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$DIR/$n/dockerd.log" >&2 || true
  die "dockerd of node $n did not come up"
}

ip_of() { # node name -> address (m = .2, w1 = .3, ...)
  case $1 in m) echo "$NET.2" ;; w*) echo "$NET.$((${1#w} + 2))" ;; esac
}

print_env() {
  echo "SWARM_DIR=$DIR"
  echo "SWARM_NODES=\"$NODES\""
  echo "SWARM_MANAGER=$(sock_of m)"
  echo "SWARM_HOST_IP=$NET.1"
  for n in $NODES; do
    echo "SWARM_HOST_$n=$(sock_of "$n")"
    echo "SWARM_IP_$n=$(ip_of "$n")"
  done
}

# The processes under a directory: every process whose command line names it (dockerd,
# containerd, the shims), and all their descendants (the task containers' processes).
pids_under() {
  local under=$1
  local f line pid ppid state
  local -A kids=()
  local frontier=()
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$f" || continue
    pid=${f#/proc/}; pid=${pid%/stat}
    line=${line##*) }
    state=${line%% *}; line=${line#* }; ppid=${line%% *}
    [ "$state" = Z ] && continue
    kids[$ppid]+=" $pid"
  done
  # grep -a: a command line is NUL-separated.
  for f in $(grep -alF -- "$under" /proc/[0-9]*/cmdline 2>/dev/null); do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] || frontier+=("$pid")
  done
  while [ ${#frontier[@]} -gt 0 ]; do
    printf '%s\n' "${frontier[@]}"
    local next=()
    for pid in "${frontier[@]}"; do
      # shellcheck disable=SC2206
      [ -n "${kids[$pid]:-}" ] && next+=(${kids[$pid]})
    done
    frontier=("${next[@]}")
  done
}

# SIGKILL to every process under a directory, until none is left.
kill_under() {
  local pids
  for _ in $(seq 50); do
    pids=$(pids_under "$1" | sort -u)
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    sleep 0.1
  done
  log "processes still alive after SIGKILL: $pids"
}

cmd_down() {
  DIR=${1%/}
  [ -d "$DIR" ] || return 0
  if [ -f "$DIR/settings" ]; then state_env "$DIR"; fi
  set +e
  [ -f "$DIR/watcher.pid" ] && kill "$(cat "$DIR/watcher.pid")" 2>/dev/null
  # Everything at once with SIGKILL: a graceful stop waits out every task's stop grace period.
  kill_under "$DIR/"
  if [ -n "${PFX:-}" ]; then
    # The cgroups its containers ran in (cgroupfs driver: <controller>/<cgroup parent>/<id>).
    local d
    for d in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -name "$PFX-*" 2>/dev/null | sort -r); do
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    local n
    for n in ${NODES:-} switch; do ip netns del "$PFX-$n" 2>/dev/null; done
    ip link del "${PFX}h" 2>/dev/null
  fi
  # Mounts the nodes made are private to their (now gone) mount namespaces; anything that still
  # shows under DIR here is unmounted before the directory goes.
  local m
  for m in $(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf --one-file-system "$DIR"
  set -e
}

cmd_up() {
  local count=3 owner="" images=(rcompose-test/busybox:latest)
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) count=$2; shift 2 ;;
      --owner) owner=$2; shift 2 ;;
      -*) die "unknown option $1" ;;
      *) images+=("$1"); shift ;;
    esac
  done
  [ "$count" -ge 1 ] && [ "$count" -le 9 ] || die "--nodes takes 1 to 9"
  command -v ip >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 >/dev/null
  local t0=$SECONDS

  # A free /24: the root namespace's address on the bridge marks it taken, under a lock.
  exec 9>/run/rc-swarm.lock
  flock 9
  local k
  for k in $(seq 1 250); do
    ip -4 -o addr show | grep -qF " 10.214.$k.1/" || break
  done
  DIR=$(mktemp -d /tmp/rc-swarm.XXXXXX)
  ID=${DIR##*.}
  PFX=rcs$ID
  NET=10.214.$k
  NODES=m
  for i in $(seq 1 $((count - 1))); do NODES="$NODES w$i"; done
  printf 'ID=%s\nPFX=%s\nNET=%s\nNODES="%s"\nOWNER=%s\n' "$ID" "$PFX" "$NET" "$NODES" "$owner" >"$DIR/settings"
  trap 'log "up failed; removing the half-made cluster"; cmd_down "$DIR"' EXIT

  # The switch: a bridge in a namespace of its own, so bridged traffic meets no host iptables.
  ip netns add "$PFX-switch"
  ip netns exec "$PFX-switch" ip link add br0 type bridge
  ip netns exec "$PFX-switch" ip link set br0 up
  local n
  for n in host $NODES; do
    local a=${PFX}$n b=${PFX}${n}s
    [ "$n" = host ] && a=${PFX}h b=${PFX}hs
    ip link add "$a" type veth peer name "$b"
    ip link set "$b" netns "$PFX-switch"
    ip netns exec "$PFX-switch" ip link set "$b" master br0 up
    if [ "$n" = host ]; then
      ip addr add "$NET.1/24" dev "$a"
      ip link set "$a" up
    else
      ip netns add "$PFX-$n"
      ip link set "$a" netns "$PFX-$n"
      ip netns exec "$PFX-$n" ip link set lo up
      ip netns exec "$PFX-$n" ip link set "$a" name eth0
      ip netns exec "$PFX-$n" ip addr add "$(ip_of "$n")/24" dev eth0
      ip netns exec "$PFX-$n" ip link set eth0 up
    fi
  done
  flock -u 9

  for n in $NODES; do start_node "$n"; done
  "$DOCKER" save "${images[@]}" -o "$DIR/images.tar"
  for n in $NODES; do wait_node "$n"; done
  local loads=()
  for n in $NODES; do dk "$n" load -q -i "$DIR/images.tar" >/dev/null & loads+=($!); done
  for p in "${loads[@]}"; do wait "$p"; done
  rm -f "$DIR/images.tar"

  # A short heartbeat, so a node whose dockerd dies is seen down (and its tasks rescheduled) soon.
  dk m swarm init --advertise-addr "$(ip_of m)" --listen-addr "$(ip_of m):2377" \
    --dispatcher-heartbeat 2s --task-history-limit 2 >/dev/null
  local token
  token=$(dk m swarm join-token -q worker)
  local joins=()
  for n in $NODES; do
    [ "$n" = m ] && continue
    dk "$n" swarm join --token "$token" --advertise-addr "$(ip_of "$n")" \
      --listen-addr "$(ip_of "$n"):2377" "$(ip_of m):2377" >/dev/null &
    joins+=($!)
  done
  for p in "${joins[@]}"; do wait "$p"; done
  local last=""
  for n in $NODES; do
    local zone=b
    [ "$n" = m ] && zone=a
    dk m node update --label-add "rcompose.name=$n" --label-add "rcompose.zone=$zone" "$PFX-$n" >/dev/null
    last=$n
  done
  [ "$last" != m ] && dk m node update --label-add rcompose.disk=ssd "$PFX-$last" >/dev/null
  # Ready: every node Ready and Active.
  for _ in $(seq 150); do
    [ "$(dk m node ls --format '{{.Status}} {{.Availability}}' | grep -c '^Ready Active$')" = "$count" ] && break
    sleep 0.2
  done
  [ "$(dk m node ls --format '{{.Status}} {{.Availability}}' | grep -c '^Ready Active$')" = "$count" ] ||
    die "not every node is ready: $(dk m node ls)"
  trap - EXIT

  if [ -n "$owner" ]; then
    setsid bash "$0" watch "$DIR" "$owner" </dev/null >>"$DIR/watcher.log" 2>&1 &
    echo $! >"$DIR/watcher.pid"
  fi
  log "cluster of $count up in $((SECONDS - t0))s at $DIR"
  print_env
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) [ $# -eq 2 ] || die "usage: swarm.sh down DIR"; cmd_down "$2" ;;
  env) DIR=$2; state_env "$DIR"; print_env ;;
  kill-node)
    # dockerd dies (its containerd with it); the node's task containers keep running.
    DIR=$2; state_env "$DIR"
    kill -9 "$(cat "$DIR/$3/dockerd.pid")" ;;
  start-node)
    # As after a reboot: what is left of the node's containers goes first (dockerd would
    # otherwise give each one its stop grace period), then dockerd starts on the same state.
    DIR=$2; state_env "$DIR"
    kill_under "$DIR/$3/"
    start_node "$3"; wait_node "$3" ;;
  watch)
    # Waits for the owner to exit, then removes the cluster.
    DIR=$2
    while kill -0 "$3" 2>/dev/null; do sleep 1; done
    rm -f "$DIR/watcher.pid"
    cmd_down "$DIR" ;;
  gc)
    for d in /tmp/rc-swarm.*; do
      [ -f "$d/settings" ] || continue
      owner=$(. "$d/settings"; echo "$OWNER")
      # A cluster made by hand (no owner) is left alone.
      if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then log "removing $d"; cmd_down "$d"; fi
    done ;;
  *) die "usage: swarm.sh up|down|env|kill-node|start-node|gc (see the head of this script)" ;;
esac
