#!/usr/bin/env bash
# Starts the quickstart pipeline and prints what to try.
set -euo pipefail
cd "$(dirname "$0")/.."
export TCP_ECHO_PORT="${TCP_ECHO_PORT:-12345}"
cat <<MSG
sluice quickstart: tcp echo on port $TCP_ECHO_PORT (examples/tcp.echo/zilla.yaml)

Try, in another terminal:
  echo "hello, sluice" | nc -N localhost $TCP_ECHO_PORT

Stop with Ctrl-C.
MSG
exec bin/sluice start -c examples/tcp.echo/zilla.yaml
