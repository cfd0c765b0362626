#!/usr/bin/env bash
# The flash-sale claim endpoint at 256 connections, with the Redis gate on
# and off, beside a pgbench single-hot-row baseline measured in the same run.
# Needs wrk, pgbench (postgresql-contrib) and psql, Postgres and Redis as for
# `cargo xtask test`. Claim rate limits are set out of the way by
# configuration. Each customer may claim one unit; tokens for 20,000
# customers are minted with a throwaway key whose JWKS is served locally.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION="${DURATION:-15s}"
UNITS="${UNITS:-500}"
ADMIN_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PORT="${PORT:-18085}"
JWKS_PORT="${JWKS_PORT:-18090}"
target="${CARGO_TARGET_DIR:-target}"
work="$target/bench-flash-sale"

cargo build --profile bench -p inventory-service --quiet
rm -rf "$work" && mkdir -p "$work"
cargo xtask mint-tokens --out-dir "$work" --count 20000 --issuer http://bench.local --audience storefront
(cd "$work" && exec python3 -m http.server "$JWKS_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
jwks_pid=$!
trap 'kill $jwks_pid ${svc_pid:-} 2>/dev/null || true' EXIT
admin="$(cat "$work/admin.txt")"

echo "== baseline: pgbench, one hot row decremented by 16 clients"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS bench_hot WITH (FORCE)" -c "CREATE DATABASE bench_hot"
hot_url="${ADMIN_URL%/*}/bench_hot"
psql "$hot_url" -qc "CREATE TABLE hot (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO hot VALUES (1, 1000000000)"
echo "UPDATE hot SET n = n - 1 WHERE id = 1 AND n > 0;" > "$work/hot.sql"
pgbench -n -c 16 -j 2 -T 10 -f "$work/hot.sql" "$hot_url" | grep -E "^tps|latency average"

run_sale() {
  local gate="$1" db="bench_inventory_$1"
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  PORT=$PORT DATABASE_URL="${ADMIN_URL%/*}/$db" DATABASE_MAX_CONNECTIONS=32 REDIS_KEY_PREFIX="bench-$$-$gate" \
    JWKS_URL="http://127.0.0.1:$JWKS_PORT/jwks.json" JWT_ISSUER=http://bench.local JWT_AUDIENCE=storefront \
    FLASH_SALE_GATE="$gate" RATE_LIMIT_CLAIMS=1000000000/60 LOG_FORMAT=json RUST_LOG=warn \
    "$target/release/inventory-service" &
  svc_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
  curl -fs -X PUT "http://127.0.0.1:$PORT/inventory/BENCH-1" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d "{\"on_hand\": $UNITS, \"low_stock_threshold\": 0}" >/dev/null
  local now starts ends sale
  starts=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ); ends=$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:%SZ)
  sale=$(curl -fs -X POST "http://127.0.0.1:$PORT/flash-sales" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"sku\":\"BENCH-1\",\"quantity\":$UNITS,\"price_cents\":999,\"starts_at\":\"$starts\",\"ends_at\":\"$ends\",\"per_customer_limit\":1}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  # Time to sell out: poll the sale while the load runs.
  (
    start=$(date +%s%N)
    while true; do
      left=$(curl -fs "http://127.0.0.1:$PORT/flash-sales/$sale" | python3 -c 'import json,sys; print(json.load(sys.stdin)["remaining"])')
      if [ "$left" = "0" ]; then echo "sold out after $(( ($(date +%s%N) - start) / 1000000 )) ms"; break; fi
      sleep 0.05
    done
  ) &
  local poll=$!
  echo "== claims, gate $gate, $UNITS units, 256 connections"
  TOKENS_FILE="$work/customers.txt" SALE_ID="$sale" wrk -t2 -c256 -d"$DURATION" --latency -s bench/wrk/claim.lua "http://127.0.0.1:$PORT" \
    | grep -E "Requests/sec|Non-2xx|p50|Latency  "
  kill $poll 2>/dev/null || true
  local sold remaining
  sold=$(psql "${ADMIN_URL%/*}/$db" -tAc "SELECT count(*) FROM reservations")
  remaining=$(psql "${ADMIN_URL%/*}/$db" -tAc "SELECT count(*) FROM flash_sale_units WHERE reservation_id IS NULL")
  echo "invariant: reservations $sold + remaining $remaining = $UNITS; sold <= units"
  [ "$sold" -le "$UNITS" ] && [ $((sold + remaining)) -eq "$UNITS" ] || { echo "INVARIANT BROKEN"; exit 1; }
  kill $svc_pid; wait $svc_pid 2>/dev/null || true
}

run_sale true
run_sale false
