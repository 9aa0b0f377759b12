#!/usr/bin/env bash
# Starts the quickstart (examples/quickstart/zilla.yaml) on the embedded
# Kafka-compatible broker and prints what to try.
set -euo pipefail
cd "$(dirname "$0")/.."
export HTTP_PORT="${HTTP_PORT:-7114}"
export METRICS_PORT="${METRICS_PORT:-7190}"
data="${SLUICE_QUICKSTART_DATA:-.sluice/kafka}"
mkdir -p "$data"
cat <<MSG
sluice quickstart on http://localhost:$HTTP_PORT (examples/quickstart/zilla.yaml)
with an embedded Kafka-compatible broker keeping its data in $data/

Try, in another terminal:

  # watch the items topic as Server-Sent Events (leave it running)
  curl -N http://localhost:$HTTP_PORT/events/items

  # create, replace and delete items: each is a Kafka record keyed by id
  curl -i -X PUT http://localhost:$HTTP_PORT/items/1 -H 'content-type: application/json' -d '{"name":"widget"}'
  curl -i -X PUT http://localhost:$HTTP_PORT/items/2 -H 'content-type: application/json' -d '{"name":"gadget"}'
  curl -i -X DELETE http://localhost:$HTTP_PORT/items/2

  # read the latest value per key; repeat with the etag to get 304
  curl -i http://localhost:$HTTP_PORT/items
  curl -i http://localhost:$HTTP_PORT/items/1
  curl -i http://localhost:$HTTP_PORT/items/1 -H 'if-none-match: <etag from above>'

  # long-poll: returns as soon as item 1 changes (or 304 after 30 s)
  curl -i http://localhost:$HTTP_PORT/items/1 -H 'if-none-match: <etag>' -H 'prefer: wait=30'

  # the engine's metrics, as Prometheus scrapes them: streams per binding, cache memory
  curl http://localhost:$METRICS_PORT/metrics

Stop with Ctrl-C. More examples: examples/*/README.md.
MSG
exec bin/sluice start -c examples/quickstart/zilla.yaml \
  --embedded-kafka "$data" --embedded-kafka-address 127.0.0.1:0
