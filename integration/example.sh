#!/usr/bin/env bash
# Brings the seed example (compose-examples/people: an app and PostgreSQL) up with rcompose, after
# making sure an engine runs and the example's images exist (integration/engine.sh), then proves it
# works: the app's page on 127.0.0.1 answers with the rows of the database behind it. Ends with one
# line saying whether the example works; on failure it exits non-zero and says what it tried.
#   APP_PORT, DB_PORT   the host ports (127.0.0.1) of the app and the database (8080, 5432)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log() { echo "example.sh: $*" >&2; }
fail() {
  log "$*"
  log "RESULT: the example does NOT work (see above for what was tried)"
  exit 1
}

if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || fail "cargo is required (install Rust with rustup)"
bash integration/engine.sh || fail "integration/engine.sh could not provide an engine and the example's images"

# Building: cargo's own progress bar in a terminal, else a line every 30 seconds.
bin="$root/target/release/rcompose"
if [ -x "$bin" ] && [ -z "$(find src Cargo.toml Cargo.lock -newer "$bin" -print -quit)" ]; then
  log "rcompose is built: $bin"
else
  log "building rcompose (cargo build --release): about 6 minutes on 2 cores the first time, seconds after that"
  started=$SECONDS
  if [ -t 2 ]; then
    cargo build --release || fail "cargo build --release failed"
  else
    (while sleep 30; do log "still building rcompose ($((SECONDS - started)) s so far)"; done) &
    ticker=$!
    status=0
    cargo build --release --quiet || status=$?
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    [ "$status" -eq 0 ] || fail "cargo build --release failed (exit $status)"
  fi
  log "built $bin in $((SECONDS - started)) s"
fi

app_port=${APP_PORT:-8080}
rc() { "$bin" -f compose-examples/people/compose.yaml "$@"; }
rc up -d --wait || fail "tried: rcompose -f compose-examples/people/compose.yaml up -d --wait (exit $?)"
rc ps

# The proof: the database answers, and the app's page lists exactly its rows (the page prints
# psql's error instead when the app cannot reach the database).
url="http://127.0.0.1:$app_port/cgi-bin/people"
rows=$(rc exec -T db psql -U postgres -d people -Atc 'SELECT count(*) FROM people') ||
  fail "tried: rcompose exec -T db psql -U postgres -d people -c 'SELECT count(*) FROM people'; the database did not answer"
# bash's own /dev/tcp: the example installs no HTTP client.
get_page() {
  exec 3<>"/dev/tcp/127.0.0.1/$app_port" || return 1
  printf 'GET /cgi-bin/people HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  timeout 10 cat <&3
  exec 3<&-
}
response=""
for _ in $(seq 1 20); do
  response=$(get_page 2>/dev/null | tr -d '\r') && [ -n "$response" ] && break
  sleep 0.5
done
status_line=$(printf '%s\n' "$response" | head -n 1)
case "$status_line" in
  HTTP/*" 200"*) ;;
  *) fail "tried: GET $url; answer: ${status_line:-none}" ;;
esac
page=$(printf '%s\n' "$response" | sed '1,/^$/d')
if printf '%s\n' "$page" | grep -qiE 'could not|error|fatal|refused'; then
  fail "tried: GET $url; the app could not reach the database: $page"
fi
lines=$(printf '%s' "$page" | grep -c . || true)
[ "$lines" = "$rows" ] || fail "tried: GET $url; the page lists $lines rows, the database holds $rows: $page"

echo
echo "The app lists the people table at $url"
echo "From compose-examples/people (or with -f compose-examples/people/compose.yaml), rcompose on PATH:"
echo "  export PATH=\"$root/target/release:\$PATH\"; cd compose-examples/people"
echo "  rcompose exec -T db psql -U postgres -d people -c \"INSERT INTO people (name) VALUES ('Ada')\""
echo "  rcompose down -v && rcompose up -d --wait   # reset: an empty people table again"
log "RESULT: the example works: the database answers ($rows rows) and $url lists them"
