#!/usr/bin/env bash
# catalog-service reads beside a raw Redis GET baseline in the same run:
#   GET /products/{id} (cached) at 64 connections  vs  redis-benchmark -t get
#   search (?q=) p99 over 10,000 products (uncached, Postgres full-text)
# Needs wrk, redis-benchmark (redis-tools) and psql; Postgres and Redis as
# for `cargo xtask test`. (The built-in `bench` profile writes to target/release.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION="${DURATION:-15s}"
ADMIN_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PORT="${PORT:-18083}"
target="${CARGO_TARGET_DIR:-target}"
db=bench_catalog

cargo build --profile bench -p catalog-service --quiet
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export DATABASE_URL="${ADMIN_URL%/*}/$db" REDIS_KEY_PREFIX="bench-catalog-$$" LOG_FORMAT=json RUST_LOG=warn PORT
"$target/release/catalog-service" seed --count 10000
"$target/release/catalog-service" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
id=$(curl -fs "http://127.0.0.1:$PORT/products?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -fs "http://127.0.0.1:$PORT/products/$id" >/dev/null

echo "== baseline: redis-benchmark GET (64 clients)"
redis-benchmark -q -t get -c 64 -n 400000
echo "== GET /products/{id}, cached (64 connections)"
wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$PORT/products/$id" | grep -E "Requests/sec|99%|50%|Non-2xx"
echo "== search ?q=wireless (16 connections, 10,000 products)"
wrk -t2 -c16 -d"$DURATION" --latency "http://127.0.0.1:$PORT/products?q=wireless&limit=20" | grep -E "Requests/sec|99%|50%|Non-2xx"
