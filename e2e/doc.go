// Package e2e holds accrete's end-to-end tests: real clients against a real
// server on 127.0.0.1, and a differential test that runs the same writes and
// InfluxQL statements against accrete and against InfluxDB 1.6 (Debian's
// influxdb package), started by the test with its data in a temporary
// directory. It has no code besides its tests.
//
// The tests that need InfluxDB's binaries (influxd, influx) skip when they
// are missing, except under CI=true, where they fail: scripts/test.sh
// installs them.
package e2e
