#!/usr/bin/env bash
# The customer lookup under load: `wrk` (16 connections, 127.0.0.1) against
# POST /api/track/lookup (order number + digits: rate-limit counters and the order read in one
# D1 batch, the customer view, a signed token) and against a bare route returning constant JSON
# (POST /api/dev/bench/constant, dev-only) on the same wrangler dev in the same run.
# Targets (issue 6): lookup throughput >= 70% of the bare route's, lookup p99 <= 20 ms.
# Expects the build to be fresh (scripts/bench builds first). Usage: scripts/bench_track.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || die "wrk is missing (Debian package wrk; scripts/setup installs it)"

PORT=${BENCH_TRACK_PORT:-8846}
DURATION=${BENCH_TRACK_SECONDS:-10}
STATE=$(mktemp -d)
SCRIPT_DIR=$(mktemp -d)
trap 'stop_worker; rm -rf "$STATE" "$SCRIPT_DIR"' EXIT INT TERM
apply_migrations "$STATE" >/dev/null
SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
ensure_dev_vars
# Every request comes from 127.0.0.1 for one order number: at the production limits (30 per
# address, 10 per number in 15 min) all but the first few would be 429s. The limits are raised,
# not removed: every lookup still counts against both keys in D1, as in production.
start_worker "$PORT" "$STATE" --var DEMO_DATA:enabled --var "SHARE_SECRET:$SECRET" \
  --var TRACK_LOOKUPS_PER_IP:100000000 --var TRACK_LOOKUPS_PER_NUMBER:100000000 \
  --var TRACK_FAILED_LOOKUPS_PER_NUMBER_PER_DAY:100000000 >/dev/null
dev_post "$PORT" /api/dev/demo-data >/dev/null

post_script() { # post_script FILE BODY
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.body = '$2'
wrk.headers["Content-Type"] = "application/json"
LUA
}
post_script "$SCRIPT_DIR/constant.lua" '{}'
echo "wrk.headers[\"X-Dev-Secret\"] = \"$DEV_SECRET\"" >>"$SCRIPT_DIR/constant.lua"
# A third reference: GET /api/health, one plain SELECT. It shows what one D1 round trip costs on
# this machine, whatever the lookup does besides.
echo 'wrk.method = "GET"' >"$SCRIPT_DIR/health.lua"
post_script "$SCRIPT_DIR/lookup.lua" '{"order_number":"GD-DEMO-008","phone_last4":"8899"}'

# The lookup must really answer 200 with the order (not a 404 or 429) before it is timed.
check=$(curl -fsS -X POST -H 'content-type: application/json' \
  -d '{"order_number":"GD-DEMO-008","phone_last4":"8899"}' "http://127.0.0.1:$PORT/api/track/lookup")
case "$check" in *'"order_number":"GD-DEMO-008"'*) ;; *) die "lookup did not answer the order: $check" ;; esac

# wrk counts answers that are not 2xx/3xx; any (a 429 would make the lookup look cheap) fails the run.
run_wrk() { # run_wrk NAME PATH: prints "rps p99_ms non2xx"
  local out
  out=$(wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-16}" -d"${DURATION}s" --latency -s "$SCRIPT_DIR/$1.lua" "http://127.0.0.1:$PORT$2")
  printf '%s\n' "$out" >"$ROOT/target/wrk-$1.log"
  local rps p99 non2xx
  rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')
  p99=$(printf '%s\n' "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 } print v }')
  non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $5 }')
  echo "$rps $p99 ${non2xx:-0}"
}

# Warm both paths (JIT, D1 pages) so neither pays the start-up.
DURATION=3 run_wrk constant /api/dev/bench/constant >/dev/null
DURATION=3 run_wrk lookup /api/track/lookup >/dev/null
read -r constant_rps constant_p99 constant_bad < <(run_wrk constant /api/dev/bench/constant)
read -r lookup_rps lookup_p99 lookup_bad < <(run_wrk lookup /api/track/lookup)
read -r health_rps health_p99 _ < <(run_wrk health /api/health)
# One connection: what a single request costs without queueing behind 15 others on 2 cores.
read -r constant1_rps constant1_p99 _ < <(THREADS=1 CONNECTIONS=1 run_wrk constant /api/dev/bench/constant)
read -r lookup1_rps lookup1_p99 _ < <(THREADS=1 CONNECTIONS=1 run_wrk lookup /api/track/lookup)
[ "$constant_bad" = 0 ] && [ "$lookup_bad" = 0 ] ||
  die "non-200 answers during the benchmark (constant: $constant_bad, lookup: $lookup_bad); see target/wrk-*.log"

echo "customer lookup under load: wrk, 16 connections, ${DURATION} s each, 127.0.0.1, one wrangler dev + local D1"
echo "  (lookup limits raised to 100,000,000 for this worker; every lookup still counts in D1)"
printf '  %-40s %12s %10s\n' "" "req/s" "p99 ms"
printf '  %-40s %12s %10s\n' "bare constant JSON (/api/dev/bench/constant)" "$constant_rps" "$constant_p99"
printf '  %-40s %12s %10s\n' "lookup (/api/track/lookup)" "$lookup_rps" "$lookup_p99"
printf '  %-40s %12s %10s\n' "reference: one D1 SELECT (/api/health)" "$health_rps" "$health_p99"
printf '  %-40s %12s %10s\n' "reference, 1 connection: bare" "$constant1_rps" "$constant1_p99"
printf '  %-40s %12s %10s\n' "reference, 1 connection: lookup" "$lookup1_rps" "$lookup1_p99"
awk -v l="$lookup_rps" -v c="$constant_rps" -v p="$lookup_p99" 'BEGIN {
  ratio = 100 * l / c
  printf "  lookup / bare throughput: %.0f%% (target >= 70%%): %s\n", ratio, (ratio >= 70 ? "ok" : "MISSED")
  printf "  lookup p99: %.1f ms (target <= 20 ms): %s\n", p, (p <= 20 ? "ok" : "MISSED")
}'
