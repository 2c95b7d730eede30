#!/usr/bin/env bash
# Runs accrete's whole test suite. This is the one test command: README.md
# names it and .ci/run calls it. Extra arguments go to `go test`.
#
# The end-to-end tests (e2e/) need InfluxDB 1.x's influxd and influx: the
# differential test compares accrete with a real InfluxDB 1.6, and the influx
# shell is one of the clients tested. They come from Debian's influxdb and
# influxdb-client packages, installed here when missing and when running as
# root; otherwise those tests skip (and fail under CI=true). The tests start
# their own influxd on a free loopback port with a temporary data directory;
# a service the package install may have started is stopped again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v influx >/dev/null || ! command -v influxd >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		was_running=$(pidof influxd || true)
		echo "== installing influxdb and influxdb-client (apt-get)"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb influxdb-client >/dev/null
		if [ -z "$was_running" ] && pidof influxd >/dev/null; then
			# The package started its service; the tests run their own.
			if command -v systemctl >/dev/null && systemctl stop influxdb 2>/dev/null; then :
			elif [ -x /etc/init.d/influxdb ]; then /etc/init.d/influxdb stop || true
			fi
		fi
	else
		echo "scripts/test.sh: influx/influxd missing and not root: the InfluxDB end-to-end tests will skip" >&2
	fi
fi

exec go test "$@" ./...
