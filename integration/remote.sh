#!/usr/bin/env bash
# A second Docker engine in its own network namespace, reached by rcompose over TLS (DOCKER_HOST and
# a docker context) and over ssh. Usage: remote.sh RCOMPOSE_BINARY. Judges the second engine with the
# docker CLI and checks the main engine has none of it. Cleans up (dockerd, sshd, netns) on any exit.
set -euo pipefail
RC=$(readlink -f "$1")
DOCKER=/usr/bin/docker; [ -x "$DOCKER" ] || DOCKER=docker
need=()
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

T=$(mktemp -d /tmp/rc-remote.XXXXXX)
ID=$$
NS=rcr$ID; VH=rch$ID; VN=rcn$ID
O=$(( ID % 250 + 2 ))
HOSTIP=10.213.$O.1; NSIP=10.213.$O.2
SOCK=$T/docker.sock
cleanup() {
  set +e
  [ -f "$T/sshd.pid" ] && kill "$(cat "$T/sshd.pid")" 2>/dev/null
  [ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null
  if [ -n "${DOCKERD_PID:-}" ]; then
    "$DOCKER" -H "unix://$SOCK" rm -f $("$DOCKER" -H "unix://$SOCK" ps -aq) >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
  fi
  ip link del "$VH" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  for m in $(grep -o "$T[^ ]*" /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip netns add "$NS"
ip link add "$VH" type veth peer name "$VN"
ip link set "$VN" netns "$NS"
ip addr add "$HOSTIP/30" dev "$VH"; ip link set "$VH" up
ip netns exec "$NS" ip addr add "$NSIP/30" dev "$VN"
ip netns exec "$NS" ip link set "$VN" up
ip netns exec "$NS" ip link set lo up

# Certificates: a CA, the server (IP SAN = the namespace address), a client, and a client from another CA.
cd "$T"; mkdir -p client bad server
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rc-ca -keyout ca-key.pem -out ca.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rc-other-ca -keyout other-key.pem -out other.pem 2>/dev/null
mk() { # name ca cakey ext
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial -days 2 -extfile "$1.ext" -out "$1-cert.pem" 2>/dev/null
}
mk srv ca.pem ca-key.pem "subjectAltName=IP:$NSIP
extendedKeyUsage=serverAuth"
mk cli ca.pem ca-key.pem "extendedKeyUsage=clientAuth"
mk evil other.pem other-key.pem "extendedKeyUsage=clientAuth"
cp ca.pem server/ca.pem; cp srv-cert.pem server/cert.pem; cp srv-key.pem server/key.pem
cp ca.pem client/ca.pem; cp cli-cert.pem client/cert.pem; cp cli-key.pem client/key.pem
cp other.pem bad/ca.pem; cp evil-cert.pem bad/cert.pem; cp evil-key.pem bad/key.pem

nsenter --net="/var/run/netns/$NS" dockerd --data-root "$T/data" --exec-root "$T/exec" --pidfile "$T/dockerd.pid" \
  --containerd-namespace "rcr$ID" --containerd-plugins-namespace "rcr$ID-plugins" \
  --bridge=none --iptables=false --ip-masq=false --cgroup-parent "rcr$ID" \
  -H "unix://$SOCK" -H tcp://0.0.0.0:2376 --tlsverify \
  --tlscacert server/ca.pem --tlscert server/cert.pem --tlskey server/key.pem >"$T/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 100); do "$DOCKER" -H "unix://$SOCK" version >/dev/null 2>&1 && break; sleep 0.3; done
"$DOCKER" -H "unix://$SOCK" version >/dev/null || { tail -5 "$T/dockerd.log" >&2; fail "second dockerd did not start"; }
"$DOCKER" save rcompose-test/busybox:latest | "$DOCKER" -H "unix://$SOCK" load >/dev/null

TLSJUDGE=("$DOCKER" -H "tcp://$NSIP:2376" --tlsverify --tlscacert "$T/client/ca.pem" --tlscert "$T/client/cert.pem" --tlskey "$T/client/key.pem")
mkdir -p proj
cat > proj/compose.yaml <<'YAML'
services:
  app:
    image: rcompose-test/busybox:latest
    command: ["sh", "-c", "echo hello-from-remote; sleep 600"]
    network_mode: none
YAML
cd proj

count() { "$@" ps -aq --filter "label=com.docker.compose.project=$P" | wc -l; }
scenario() { # name, then env assignments for rcompose
  P=$1; shift
  echo "== $P"
  env "$@" "$RC" -p "$P" up -d || fail "$P: up"
  [ "$(count "${TLSJUDGE[@]}")" = 1 ] || fail "$P: second engine has no container"
  [ "$(count "$DOCKER")" = 0 ] || fail "$P: main engine has the project"
  env "$@" "$RC" -p "$P" ps | grep -q app || fail "$P: ps"
  for _ in $(seq 20); do env "$@" "$RC" -p "$P" logs app | grep -q hello-from-remote && break; sleep 0.3; done
  env "$@" "$RC" -p "$P" logs app | grep -q hello-from-remote || fail "$P: logs"
  [ "$(env "$@" "$RC" -p "$P" exec -T app echo exec-ok)" = exec-ok ] || fail "$P: exec"
  env "$@" "$RC" -p "$P" down || fail "$P: down"
  [ "$(count "${TLSJUDGE[@]}")" = 0 ] || fail "$P: down left containers"
}

scenario "rcr$ID-env" DOCKER_HOST="tcp://$NSIP:2376" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/client"

# A context store written as `docker context create` does.
CFG=$T/dockercfg
cid=$(printf remote | sha256sum | cut -c1-64)
mkdir -p "$CFG/contexts/meta/$cid" "$CFG/contexts/tls/$cid/docker"
printf '{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://%s:2376","SkipTLSVerify":false}}}' "$NSIP" > "$CFG/contexts/meta/$cid/meta.json"
cp "$T"/client/*.pem "$CFG/contexts/tls/$cid/docker/"
scenario "rcr$ID-ctx" DOCKER_CONFIG="$CFG" DOCKER_CONTEXT=remote
echo '{"currentContext":"remote"}' > "$CFG/config.json"
scenario "rcr$ID-cur" DOCKER_CONFIG="$CFG" DOCKER_HOST=

# Wrong client certificate: a clear TLS error and a non-zero exit.
set +e
out=$(DOCKER_HOST="tcp://$NSIP:2376" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/bad" "$RC" -p "rcr$ID-bad" ps 2>&1)
rc=$?
set -e
echo "$out"
[ $rc -ne 0 ] || fail "wrong certificate: exit 0"
echo "$out" | grep -q "tcp://$NSIP:2376" || fail "wrong certificate: endpoint not named"
echo "$out" | grep -qi "certificate\|tls" || fail "wrong certificate: no TLS reason"

# ssh: sshd in the namespace, where /var/run/docker.sock is the second engine's socket.
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
cp "$T/id.pub" "$T/authorized_keys"; chmod 600 "$T/authorized_keys"
cat > "$T/sshd_config" <<CONF
ListenAddress $NSIP
Port 22
HostKey $T/hostkey
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $T/sshd.pid
AllowStreamLocalForwarding yes
CONF
nsenter --net="/var/run/netns/$NS" unshare -m --propagation private sh -c \
  "mount --bind '$SOCK' /run/docker.sock && exec /usr/sbin/sshd -D -e -f '$T/sshd_config'" 2>"$T/sshd.log" &
SSHD_PID=$!
for _ in $(seq 50); do [ -f "$T/sshd.pid" ] && break; sleep 0.2; done
scenario "rcr$ID-ssh" DOCKER_HOST="ssh://root@$NSIP" \
  RCOMPOSE_SSH_OPTS="-i $T/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
echo "remote: all scenarios passed"
