// Package server is accrete's HTTP front end.
//
// # InfluxDB 1.x API
//
// The server speaks the InfluxDB 1.x HTTP API so that the influx CLI, the 1.x
// client libraries and load tools such as TSBS work unmodified:
//
//   - POST /write?db=&rp=&precision= takes a line-protocol body, gzip
//     compressed or not, and answers 204 once every point is stored. A bad
//     line, a field type conflict or a body over the size limit is rejected
//     with a 4xx and nothing of the request is written.
//   - GET|POST /query?q=&db=&rp=&epoch=&chunked=&chunk_size=&pretty= runs
//     InfluxQL and answers {"results":[...]} with per-statement errors inside
//     the results, or newline-delimited result objects when chunked.
//   - GET /ping answers 204 with the X-Influxdb-Version header (200 and a JSON
//     body with verbose=true).
//
// Errors have InfluxDB's shape, {"error": "..."}; one function, errorStatus, is the
// only place that maps errors of the layers below to a status code and message.
//
// # Operations
//
// GET /health and GET /ready report liveness and readiness (ready turns 503
// once shutdown starts); GET /metrics exposes Prometheus metrics from a
// registry private to the Server: requests and latencies per handler, points
// written, write errors, storage statistics and the Go and process
// collectors.
//
// # Authentication
//
// With [Options.Auth] set, /write and /query need credentials, given
// InfluxDB's way: u and p query parameters, or an Authorization header with
// Basic credentials or "Token user:password". /ping, /health, /ready and
// /metrics stay open.
//
// # Dependencies
//
// The server declares the narrow interfaces it uses, [Writer], [Querier] and
// [StatsSource]; the accrete command wires the storage engine and the
// InfluxQL executor into them.
package server
