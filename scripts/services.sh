#!/usr/bin/env bash
# Installs (when absent) and starts the real services the tests use: RabbitMQ (Debian package),
# Azurite (npm package, Table endpoint only) and PostgreSQL (Debian package; a cluster of its own on
# port 5433, for the event store). Idempotent: a running service is left alone.
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

# The node can be up with its 'rabbit' application stopped (5672 closed, every command failing with "requires the 'rabbit'
# app to be running"): say why from its log, start the application again, and restart the node if that does not work.
rabbit_running() { [ "$(timeout 30 rabbitmqctl -q eval 'rabbit:is_running().' 2>/dev/null | tail -1)" = true ]; }

heal_rabbitmq() {
  log "the RabbitMQ node is up but its application is not running; the end of its log:"
  tail -n 25 "/var/log/rabbitmq/rabbit@$(hostname -s).log" 2>/dev/null | cut -c1-300 >&2 || true
  timeout 120 rabbitmqctl start_app >/dev/null 2>&1 || true
  timeout 120 rabbitmqctl await_startup >/dev/null 2>&1 || true
  rabbit_running && { log "RabbitMQ application started again"; return 0; }
  log "restarting the RabbitMQ node"
  timeout 60 rabbitmqctl stop >/dev/null 2>&1 || pkill -9 -f 'beam.*rabbit@' || true
  for _ in $(seq 1 50); do port_open 5672 || break; sleep 0.2; done
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port 5672 60 RabbitMQ
  timeout 120 rabbitmqctl await_startup >/dev/null 2>&1 || true
  rabbit_running || { log "RabbitMQ did not come back"; return 1; }
}

ensure_rabbitmq() {
  if rabbit_running; then log "RabbitMQ already running on 5672"; return; fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    log "installing rabbitmq-server (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  if timeout 30 rabbitmqctl -q ping >/dev/null 2>&1; then heal_rabbitmq; return; fi
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port 5672 60 RabbitMQ
  # The port opens before the broker accepts work; wait until it reports itself running.
  timeout 60 rabbitmqctl await_startup >/dev/null 2>&1 || true
  rabbit_running || heal_rabbitmq
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

# A cluster of the project's own (data in .tools/pgdata, port 5433, 127.0.0.1 only, trust auth), so neither a
# system cluster on 5432 nor its settings are touched. PostgreSQL refuses to run as root: it runs as 'postgres'.
POSTGRES_PORT=5433
ensure_postgres() {
  if port_open "$POSTGRES_PORT"; then log "PostgreSQL already listening on $POSTGRES_PORT"; return; fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  # A machine may have only the client (psql) in that folder: the server is there when initdb is.
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    log "installing postgresql (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  local data="$tools/pgdata" as=()
  mkdir -p "$tools"
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); chown postgres "$tools" 2>/dev/null || true; fi
  if [ ! -s "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $data"
    mkdir -p "$data"; [ "$(id -u)" = 0 ] && chown postgres "$data"
    "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  log "starting PostgreSQL on $POSTGRES_PORT"
  "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $POSTGRES_PORT -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off -c max_connections=200" start >/dev/null
  wait_port "$POSTGRES_PORT" 60 PostgreSQL
}

case "${1:-start}" in
  start) ensure_rabbitmq; ensure_azurite; ensure_postgres ;;
  stop)
    rabbitmqctl stop >/dev/null 2>&1 || true
    pkill -f azurite-table >/dev/null 2>&1 || true
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$bin" ] && [ -s "$tools/pgdata/PG_VERSION" ]; then
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$tools/pgdata" -m fast stop >/dev/null 2>&1 || true
      else "$bin/pg_ctl" -D "$tools/pgdata" -m fast stop >/dev/null 2>&1 || true; fi
    fi ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
