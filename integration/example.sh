#!/usr/bin/env bash
# Brings the seed example (compose-examples/people: an app and PostgreSQL) up with rcompose,
# after making sure an engine runs and the example's images exist (integration/engine.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
bash integration/engine.sh
cargo build --release --quiet
./target/release/rcompose -f compose-examples/people/compose.yaml up -d --wait
./target/release/rcompose -f compose-examples/people/compose.yaml ps
echo
echo "The app lists the people table at http://127.0.0.1:${APP_PORT:-8080}/cgi-bin/people"
echo "psql: psql -h 127.0.0.1 -p ${DB_PORT:-5432} -U postgres -d people"
echo "Reset the database: ./target/release/rcompose -f compose-examples/people/compose.yaml down -v"
