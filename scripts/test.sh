#!/usr/bin/env bash
# Runs the whole test suite as CI does: installs the tools the tests drive,
# starts a real Apache Kafka broker for the integration tests, runs vet and
# the race-enabled tests, and stops the broker whatever happens.
#
#   scripts/test.sh [go test flags...]     e.g. scripts/test.sh -run TestServer ./bindings/tcp/
#
# SLUICE_NO_KAFKA=1 skips the broker: integration tests then run on the
# embedded one.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

if [ -z "${SLUICE_NO_KAFKA:-}" ] && [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  export SLUICE_STATE_DIR="${SLUICE_STATE_DIR:-${TMPDIR:-/tmp}/sluice-test-kafka}"
  trap 'scripts/kafka.sh stop >/dev/null 2>&1 || true' EXIT
  eval "export $(scripts/kafka.sh start | tail -n 1)"
  echo "test.sh: Apache Kafka at $KAFKA_BOOTSTRAP_SERVERS" >&2
fi

echo "test.sh: go vet" >&2
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "test.sh: gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

if [ $# -eq 0 ]; then
  set -- ./...
fi
echo "test.sh: go test -race $*" >&2
go test -race -timeout 45m "$@"
