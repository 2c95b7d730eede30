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
// # Authentication and authorization
//
// With [Options.Auth] set the server authenticates and authorizes as
// InfluxDB 1.6 with auth-enabled = true does, over the users of
// [Auth.Store] (those of CREATE USER; the configuration file's users are
// admins there) or, without a store, the admins of [Auth.Users]:
//
//   - While no admin user exists, requests are not authenticated: /query
//     runs only a query whose first statement is CREATE USER ... WITH ALL
//     PRIVILEGES (otherwise 403 "error authorizing query: create admin user
//     first or disable authentication", or "no user provided" when users
//     exist but none is an admin); /write answers 403 "user is required to
//     write to database".
//   - Once an admin exists, /write, /query and the /api/v1 endpoints need
//     credentials, given InfluxDB's way: u and p query parameters (both
//     set), or an Authorization header with Basic credentials (or InfluxDB
//     1.8's "Token user:password"). Missing credentials answer 401 "unable
//     to parse authentication credentials", a wrong user or password 401
//     "authorization failed". JWT bearer tokens are not supported.
//   - Admins may do everything. Other users need WRITE (or ALL) on the
//     database of a /write (403 `"bob" user is not authorized to write
//     to database "db"`), READ on every database a /query statement
//     reads and WRITE on those it changes, and cannot run admin statements
//     (403 "error authorizing query: bob not authorized to execute
//     statement '...', requires admin privilege"): the executor checks the
//     whole query before running any statement. SHOW DATABASES lists what
//     the user may read or write. The /api/v1 endpoints are for admins
//     only (403 otherwise).
//
// A missing database still answers 404 and a missing db parameter 400
// before privileges are checked, as in InfluxDB. /ping, /health, /ready
// and /metrics stay open.
//
// # Dependencies
//
// The server declares the narrow interfaces it uses, [Writer], [Querier] and
// [StatsSource]; the accrete command wires the storage engine and the
// InfluxQL executor into them.
package server
