# bench/snapshot.sh — owns the snapshot benchmark: save and restore of a PostgreSQL volume of
# 2,000,000 rows (about 130 MB; compose-examples/people), side by side with resetting the database
# the usual way (down -v, up --wait, re-seed) in the same run; prints restore/reset and save/reset
# (goals: restore <= 0.25x, save <= 0.5x). Called by bench/run.sh; runnable alone:
# bash bench/snapshot.sh
#   BENCH_SNAPSHOT_ROWS=N   rows (an int and an md5 text) to seed (default 2000000)
#   RCOMPOSE=path           the binary to time (default target/release/rcompose, built when missing)
# Appends its table to bench/results/latest.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "bench-snapshot: $*" >&2; }

rows="${BENCH_SNAPSHOT_ROWS:-2000000}"
if [ -z "${RCOMPOSE:-}" ]; then
  [ -x target/release/rcompose ] || cargo build --release
  RCOMPOSE="$root/target/release/rcompose"
fi
if ! docker image inspect rcompose-examples/people-db:latest >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  log "example images or psql missing: running integration/engine.sh --test-tools"
  bash integration/engine.sh --test-tools
fi

project=rcbenchsnap
data=$(mktemp -d /tmp/rcbench-snap.XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export APP_PORT DB_PORT
APP_PORT=$(port)
DB_PORT=$(port)
export XDG_DATA_HOME="$data" RCOMPOSE_SNAPSHOT_IMAGE=rcompose-test/busybox:latest COMPOSE_PROGRESS=quiet
rc() { "$RCOMPOSE" -p "$project" -f compose-examples/people/compose.yaml "$@"; }
cleanup() {
  rc down -v >/dev/null 2>&1 || true
  rc snapshot rm bench >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

psql_q() { PGPASSWORD= psql -h 127.0.0.1 -p "$DB_PORT" -U postgres -d people -Atqc "$1"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
wait_db() {
  for _ in $(seq 1 300); do
    psql_q "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "the database does not answer"
  return 1
}
seed() {
  psql_q "CREATE TABLE IF NOT EXISTS filler(id int, body text);
          INSERT INTO filler SELECT g, md5(g::text) FROM generate_series(1, $rows) g;
          CHECKPOINT;"
}

log "up and seed $rows rows"
rc up -d --wait >/dev/null
wait_db
t=$(now)
seed
seed_s=$(since "$t")
count=$(psql_q "SELECT count(*) FROM filler")
size_mb=$(docker run --rm -v "${project}_db-data:/d:ro" rcompose-test/busybox:latest busybox du -sm /d | cut -f1)
log "seeded $count rows, volume $size_mb MB, in ${seed_s}s"

# The usual reset: empty database, then seed again.
t=$(now)
rc down -v >/dev/null
rc up -d --wait >/dev/null
wait_db
seed
reset_s=$(since "$t")

t=$(now)
/usr/bin/time -f "%M" -o "$data/save.rss" "$RCOMPOSE" -p "$project" -f compose-examples/people/compose.yaml snapshot save bench >/dev/null
save_s=$(since "$t")
snap_volume=$(docker volume ls -q --filter "label=io.rcompose.snapshot.project=$project" --filter label=io.rcompose.snapshot.name=bench)
archive_mb=$(docker run --rm -v "$snap_volume:/d:ro" rcompose-test/busybox:latest busybox du -sm /d | cut -f1)

# What a test suite does between restores: a few UPDATEs, INSERTs and DELETEs on the seeded table.
psql_q "UPDATE filler SET body = 'updated' WHERE id % 100000 = 7;
        INSERT INTO filler SELECT -g, 'inserted' FROM generate_series(1, 500) g;
        DELETE FROM filler WHERE id BETWEEN 1000 AND 1999" >/dev/null
t=$(now)
/usr/bin/time -f "%M" -o "$data/restore.rss" "$RCOMPOSE" -p "$project" -f compose-examples/people/compose.yaml snapshot restore bench >/dev/null
wait_db
restore_s=$(since "$t")
after=$(psql_q "SELECT count(*) FROM filler")
if [ "$after" != "$count" ]; then
  log "restore is wrong: $after rows, want $count"
  exit 1
fi

t=$(now)
rc down -v >/dev/null
"$RCOMPOSE" -p "$project" -f compose-examples/people/compose.yaml snapshot restore bench >/dev/null
rc up -d --wait >/dev/null
wait_db
fresh_s=$(since "$t")
[ "$(psql_q "SELECT count(*) FROM filler")" = "$count" ] || { log "restore after down -v is wrong"; exit 1; }

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
restore_ratio=$(ratio "$restore_s" "$reset_s")
save_ratio=$(ratio "$save_s" "$reset_s")
table=$(cat <<EOF

### Snapshot of a ${size_mb} MB PostgreSQL volume ($count rows)

| step | seconds | peak RSS (KiB) |
|---|---:|---:|
| seed (INSERT) | $seed_s | |
| reset the usual way: down -v, up --wait, re-seed | $reset_s | |
| snapshot save (snapshot volume ${archive_mb} MB) | $save_s | $(cat "$data/save.rss") |
| snapshot restore after a test run (services stopped and started) | $restore_s | $(cat "$data/restore.rss") |
| down -v, snapshot restore, up --wait | $fresh_s | |

restore / usual reset: **${restore_ratio}×** (goal ≤ 0.25×)
save / usual reset: **${save_ratio}×** (goal ≤ 0.5×)
EOF
)
echo "$table"
mkdir -p bench/results
echo "$table" >>bench/results/latest.md
