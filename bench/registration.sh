#!/usr/bin/env bash
# Registration-service figures as ratios to baselines taken in the same run:
#   registrations/s  vs  the bare argon2id hash rate (one thread per core)
#   verification/s   vs  GET /health/live of the same service (64 connections)
# (The built-in `bench` profile writes to target/release.)
# Needs wrk (Debian package `wrk`), Postgres and Redis as for `cargo xtask test`.
# Rate limits are set out of the way by configuration. Events stay in the
# outbox (no EVENTS_TOPIC_ARN): the relay is not what is measured here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION="${DURATION:-15s}"
ADMIN_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="bench_registration"
PORT="${PORT:-18081}"
target="${CARGO_TARGET_DIR:-target}"

command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
cargo build --profile bench -p registration-service -p platform --examples --bins --quiet

psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
keys="$(cargo xtask gen-key --kid bench-1)"
PORT=$PORT DATABASE_URL="${ADMIN_URL%/*}/$DB" REDIS_KEY_PREFIX="bench-$$" \
  JWT_SIGNING_KEYS="$keys" LOG_FORMAT=json RUST_LOG=warn \
  RATE_LIMIT_VERIFICATION=1000000000/60 RATE_LIMIT_LOGIN=1000000000/60 RATE_LIMIT_LOGIN_PER_CLIENT=1000000000/60 \
  DATABASE_MAX_CONNECTIONS=16 \
  "$target/release/registration-service" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done

echo "== baseline: bare argon2id hash rate"
"$target/release/examples/argon2_rate" 10
echo "== registrations (8 connections)"
wrk -t2 -c8 -d"$DURATION" --latency -s bench/wrk/register.lua "http://127.0.0.1:$PORT"
echo "== baseline: GET /health/live (64 connections)"
wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$PORT/health/live"
echo "== verification (64 connections)"
wrk -t2 -c64 -d"$DURATION" --latency -s bench/wrk/verify.lua "http://127.0.0.1:$PORT/customers/verification"
