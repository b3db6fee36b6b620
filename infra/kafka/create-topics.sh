#!/usr/bin/env sh
# The Kafka topics of the event processors (written by `topology export`; do not edit by hand).
# Usage: BOOTSTRAP=host:9092 [KAFKA_TOPICS=kafka-topics.sh] [COMMAND_CONFIG=client.properties] sh create-topics.sh
set -eu
: "${BOOTSTRAP:?set BOOTSTRAP to the brokers, host:port}"
KAFKA_TOPICS="${KAFKA_TOPICS:-kafka-topics.sh}"
set -- --bootstrap-server "$BOOTSTRAP"
if [ -n "${COMMAND_CONFIG:-}" ]; then set -- "$@" --command-config "$COMMAND_CONFIG"; fi
"$KAFKA_TOPICS" "$@" --create --if-not-exists --topic mes-events --partitions 12 --replication-factor 3 \
  --config cleanup.policy=delete \
  --config min.insync.replicas=2 \
  --config retention.ms=604800000
"$KAFKA_TOPICS" "$@" --create --if-not-exists --topic mes-events.dead-letter --partitions 3 --replication-factor 3 \
  --config cleanup.policy=delete \
  --config min.insync.replicas=2 \
  --config retention.ms=2592000000
