# Shared by the developer commands. Sourced, never run. Every function is idempotent.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Pinned tool versions. wasm-bindgen must equal Cargo.lock's version (checked in setup).
TRUNK_VERSION=0.21.14
WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130
TWIGGY_VERSION=0.8.0

# Keep wrangler off the internet (it has nothing to fetch; only registries are reachable here).
export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_PATH="$ROOT/target/wrangler-logs"

# worker-build would download wasm-bindgen, wasm-opt and esbuild; point it at ours.
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"

say() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

app_version() {
  local described
  described=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
  echo "$(grep -m1 '^version' "$ROOT/Cargo.toml" | cut -d'"' -f2)+$described"
}

# Starts `wrangler dev` in its own process group, so that stopping it also stops workerd.
# Usage: start_worker PORT PERSIST_DIR [extra wrangler args...]; sets WORKER_PGID.
start_worker() {
  local port=$1 persist=$2
  shift 2
  mkdir -p "$ROOT/target"
  local log="$ROOT/target/wrangler-$port.log"
  # Something already answering there would be tested instead of this build, on another D1.
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null; then
    die "port $port is already serving a worker (a leftover wrangler dev?): stop it or set another port"
  fi
  say "starting wrangler dev on 127.0.0.1:$port (log: $log)"
  (
    cd "$ROOT/worker" &&
      exec setsid wrangler dev --ip 127.0.0.1 --port "$port" --persist-to "$persist" \
        --show-interactive-dev-session=false --var "APP_VERSION:$(app_version)" "$@" \
        </dev/null >"$log" 2>&1
  ) &
  WORKER_PGID=$!
  wait_for_health "$port" "$log"
}

# Polls /api/health until the worker answers 200, or fails with the log's tail after 90 s.
wait_for_health() {
  local port=$1 log=$2 tries=0
  until curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 180 ] || ! kill -0 "$WORKER_PGID" 2>/dev/null; then
      tail -n 40 "$log" >&2
      die "wrangler dev did not become healthy on port $port"
    fi
    sleep 0.5
  done
}

stop_worker() {
  [ -n "${WORKER_PGID:-}" ] || return 0
  kill -TERM -- "-$WORKER_PGID" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 -- "-$WORKER_PGID" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL -- "-$WORKER_PGID" 2>/dev/null || true
  WORKER_PGID=
}

# Local secrets for `wrangler dev` (worker/.dev.vars, git-ignored; production uses `wrangler
# secret put`): a random SHARE_SECRET, made once, so customer links survive restarts, and a
# random DEV_SECRET, which the dev-only routes (/api/dev/*) want in X-Dev-Secret on top of
# DEMO_DATA=enabled. Exports DEV_SECRET for the scripts and tests that call those routes.
ensure_dev_vars() {
  local file="$ROOT/worker/.dev.vars"
  if ! grep -q '^SHARE_SECRET=' "$file" 2>/dev/null; then
    say "creating worker/.dev.vars with a random SHARE_SECRET"
    echo "SHARE_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >>"$file"
  fi
  if ! grep -q '^DEV_SECRET=' "$file" 2>/dev/null; then
    say "adding a random DEV_SECRET to worker/.dev.vars"
    echo "DEV_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >>"$file"
  fi
  DEV_SECRET=$(grep -m1 '^DEV_SECRET=' "$file" | cut -d= -f2-)
  export DEV_SECRET
}

# POSTs to a dev-only route of the worker on PORT with the dev secret (after ensure_dev_vars).
# Usage: dev_post PORT PATH
dev_post() {
  curl -fsS -X POST -H "X-Dev-Secret: $DEV_SECRET" "http://127.0.0.1:$1$2"
}

apply_migrations() {
  local persist=$1
  (cd "$ROOT/worker" && wrangler d1 migrations apply DB --local --persist-to "$persist" </dev/null)
}
