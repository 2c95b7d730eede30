package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/influxcompat"
)

// DefaultChunkSize is the number of rows per chunk of a chunked /query
// response that names no chunk_size, InfluxDB's default.
const DefaultChunkSize = 10000

// Querier runs InfluxQL. It must be safe for concurrent use;
// *influxcompat.Executor implements it.
type Querier interface {
	// Execute runs the statements of q in order and calls emit with each
	// result (several per statement when opts.ChunkSize > 0). A q that does
	// not parse returns an *influxcompat.ParseError before emitting
	// anything; a statement that fails is reported in its Result. Execute
	// stops with the error of emit or of ctx.
	Execute(ctx context.Context, q string, opts influxcompat.Options, emit func(*influxcompat.Result) error) error
}

// queryResponse is the body of a /query response, or one line of a chunked
// one.
type queryResponse struct {
	Results []*influxcompat.Result `json:"results"`
}

// timeoutMessage is InfluxDB's error of a statement stopped by the query
// timeout.
const timeoutMessage = "query-timeout limit exceeded"

// query serves GET and POST /query. The query text comes from the q
// parameter of the URL or of a form body; bound parameters from params.
func (s *Server) query(r *http.Request) result {
	if s.opts.Querier == nil {
		return result{err: errNotConfigured}
	}
	if s.opts.MaxBodyBytes > 0 && r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes)
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return result{err: errBodyTooLarge}
		}
		return result{err: badRequest("%v", err)}
	}
	q := r.Form.Get("q")
	if q == "" {
		return result{err: badRequest(`missing required parameter "q"`)}
	}
	q, err := bindParams(q, r.Form.Get("params"))
	if err != nil {
		return result{err: err}
	}
	opts := influxcompat.Options{
		Database:        r.Form.Get("db"),
		RetentionPolicy: r.Form.Get("rp"),
		Epoch:           r.Form.Get("epoch"),
		Now:             s.now,
	}
	pretty := r.Form.Get("pretty") == "true"
	chunked := r.Form.Get("chunked") == "true"
	if chunked {
		opts.ChunkSize = DefaultChunkSize
		if v := r.Form.Get("chunk_size"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return result{err: badRequest("invalid chunk_size %q: want a positive integer", v)}
			}
			opts.ChunkSize = n
		}
	}

	var (
		ctx    context.Context
		cancel context.CancelFunc
	)
	if s.opts.QueryTimeout > 0 {
		ctx, cancel = context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	} else {
		ctx, cancel = context.WithCancel(r.Context())
	}
	if chunked {
		// The stream runs after this function returns.
		return result{stream: func(w *chunkWriter) error {
			defer cancel()
			return s.streamQuery(ctx, w, q, opts, pretty)
		}}
	}
	defer cancel()

	var results []*influxcompat.Result
	err = s.opts.Querier.Execute(ctx, q, opts, func(res *influxcompat.Result) error {
		results = append(results, res)
		return nil
	})
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return result{err: err}
		}
		results = append(results, &influxcompat.Result{StatementID: nextStatement(results), Err: timeoutMessage})
	}
	s.metrics.queryStatements.Add(float64(len(results)))
	if results == nil {
		results = []*influxcompat.Result{}
	}
	return result{body: queryResponse{Results: results}, pretty: pretty}
}

// streamQuery runs a chunked query, writing each result as its own
// {"results":[...]} line as soon as it is emitted.
func (s *Server) streamQuery(ctx context.Context, w *chunkWriter, q string, opts influxcompat.Options, pretty bool) error {
	var last *influxcompat.Result
	err := s.opts.Querier.Execute(ctx, q, opts, func(res *influxcompat.Result) error {
		if !res.Partial {
			s.metrics.queryStatements.Inc()
		}
		last = res
		return w.WriteJSON(queryResponse{Results: []*influxcompat.Result{res}}, pretty)
	})
	if errors.Is(err, context.DeadlineExceeded) && w.err == nil {
		id := 0
		if last != nil {
			id = last.StatementID
			if !last.Partial {
				id++
			}
		}
		return w.WriteJSON(queryResponse{Results: []*influxcompat.Result{{StatementID: id, Err: timeoutMessage}}}, pretty)
	}
	return err
}

// bindParams substitutes the bound parameters of a query, given as a JSON
// object in the params parameter ({"host": "a", "n": 3}), for the $host and
// $n of its text, the way InfluxDB does, and returns the query text to run.
// Without parameters (none, "null" or {}) it returns q unchanged.
func bindParams(q, raw string) (string, error) {
	if raw == "" {
		return q, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return "", badRequest("error parsing query parameters: %v", err)
	}
	if len(params) == 0 {
		return q, nil
	}
	p := influxql.NewParser(strings.NewReader(q))
	p.SetParams(params)
	parsed, err := p.ParseQuery()
	if err != nil {
		return "", &influxcompat.ParseError{Err: err}
	}
	return parsed.String(), nil
}

// nextStatement returns the id of the statement after the last result.
func nextStatement(results []*influxcompat.Result) int {
	if len(results) == 0 {
		return 0
	}
	return results[len(results)-1].StatementID + 1
}
