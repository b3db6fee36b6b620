#!/usr/bin/env bash
# Installs (when absent) and starts the two real services the tests use: RabbitMQ (Debian package)
# and Azurite (npm package, Table endpoint only). Idempotent: a running service is left alone.
# Usage: scripts/services.sh [start|stop]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
AZURITE_VERSION=3.37.0
log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds name
  for _ in $(seq 1 $(( $2 * 5 ))); do port_open "$1" && return 0; sleep 0.2; done
  log "$3 did not open port $1 within $2 s"; return 1
}

ensure_rabbitmq() {
  if port_open 5672; then log "RabbitMQ already listening on 5672"; return; fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    log "installing rabbitmq-server (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port 5672 60 RabbitMQ
  # The port opens before the broker accepts work; wait until it reports itself running.
  timeout 60 rabbitmqctl await_startup >/dev/null 2>&1 || true
}

ensure_azurite() {
  if port_open 10002; then log "Azurite already listening on 10002"; return; fi
  if [ ! -x "$tools/node_modules/.bin/azurite-table" ]; then
    log "installing azurite@$AZURITE_VERSION (npm)"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --silent "azurite@$AZURITE_VERSION" >/dev/null
  fi
  log "starting Azurite (tables)"
  # In-memory persistence: tests create their own uniquely named tables and need no state across runs.
  nohup "$tools/node_modules/.bin/azurite-table" --inMemoryPersistence --skipApiVersionCheck \
    --tableHost 127.0.0.1 --tablePort 10002 >"$tools/azurite.log" 2>&1 &
  wait_port 10002 60 Azurite
}

case "${1:-start}" in
  start) ensure_rabbitmq; ensure_azurite ;;
  stop)
    rabbitmqctl stop >/dev/null 2>&1 || true
    pkill -f azurite-table >/dev/null 2>&1 || true ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
