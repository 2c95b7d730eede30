#!/usr/bin/env bash
# Runs accrete's whole test suite. This is the one test command: README.md
# names it and .ci/run calls it. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test "$@" ./...
