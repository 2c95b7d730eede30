package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/accretedb/accrete/continuous"
	"github.com/prometheus/client_golang/prometheus"
)

// The continuous-aggregates API (Options.Aggregates):
//
//	POST   /api/v1/aggregates                  a definition; 201 with it and its status
//	GET    /api/v1/aggregates                  every definition with its status
//	GET    /api/v1/aggregates/{name}           one definition with its status
//	DELETE /api/v1/aggregates/{name}           204; the target's data stays
//	POST   /api/v1/aggregates/{name}/enable    the definition with its status
//	POST   /api/v1/aggregates/{name}/disable
//	POST   /api/v1/aggregates/{name}/refresh   optional body {"start": T, "end": T}; the refresh's statistics
//	GET    /api/v1/aggregates/{name}/data?start=T&end=T&realtime=true
//
// A definition has the JSON shape of continuous.Definition:
//
//	{"name": "cpu_1m", "database": "db", "source": "cpu", "target": "cpu_1m",
//	 "interval": "1m", "group_by": ["host"],
//	 "fields": [{"field": "usage", "function": "mean", "as": "usage_mean"}],
//	 "retention": "30d"}
//
// Times T are RFC 3339 strings or integer nanoseconds since the epoch (as
// JSON numbers or strings). A refresh without a body refreshes at the
// server's clock; with a range it first recomputes every bucket in it
// (a backfill). The data route answers the aggregate's buckets in
// [start, end) per group, and with realtime=true also the buckets not yet
// materialized, computed from the source on the fly, the open one included:
//
//	{"name": "cpu_1m", "columns": ["time", "usage_mean"],
//	 "series": [{"tags": {"host": "a"}, "values": [["1970-01-01T00:00:00Z", 15]]}],
//	 "watermark": "1970-01-01T00:02:00Z"}
//
// The routes need credentials when Options.Auth is set, like /write and
// /query.

// Aggregates is the continuous-aggregate engine behind the aggregates API;
// *continuous.Engine implements it. It must be safe for concurrent use.
type Aggregates interface {
	Register(def continuous.Definition) error
	Unregister(name string) error
	Get(name string) (continuous.Definition, error)
	List() []continuous.Definition
	Status(name string) (continuous.Status, error)
	Enable(name string) error
	Disable(name string) error
	Refresh(ctx context.Context, name string, now time.Time) (continuous.Stats, error)
	RefreshRange(ctx context.Context, name string, start, end time.Time) (continuous.Stats, error)
	Query(ctx context.Context, name string, start, end time.Time, realTime bool) (*continuous.Result, error)
	// Collector exports the aggregates' status on /metrics.
	Collector() prometheus.Collector
}

// aggregatesRoutes adds the aggregates API to mux.
func (s *Server) aggregatesRoutes(mux *http.ServeMux) {
	h := func(f handlerFunc) http.Handler { return s.wrap("aggregates", s.auth(s.needAggregates(f))) }
	mux.Handle("POST /api/v1/aggregates", h(s.createAggregate))
	mux.Handle("GET /api/v1/aggregates", h(s.listAggregates))
	mux.Handle("GET /api/v1/aggregates/{name}", h(s.getAggregate))
	mux.Handle("DELETE /api/v1/aggregates/{name}", h(s.deleteAggregate))
	mux.Handle("POST /api/v1/aggregates/{name}/enable", h(s.enableAggregate(true)))
	mux.Handle("POST /api/v1/aggregates/{name}/disable", h(s.enableAggregate(false)))
	mux.Handle("POST /api/v1/aggregates/{name}/refresh", h(s.refreshAggregate))
	mux.Handle("GET /api/v1/aggregates/{name}/data", h(s.aggregateData))
}

// needAggregates answers 503 when the server has no aggregate engine.
func (s *Server) needAggregates(h handlerFunc) handlerFunc {
	return func(r *http.Request) result {
		if s.opts.Aggregates == nil {
			return result{err: errNotConfigured}
		}
		return h(r)
	}
}

// checkAggregateConfigs checks the aggregates section of a Config.
func checkAggregateConfigs(defs []continuous.Definition) error {
	seen := map[string]bool{}
	for i, d := range defs {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("aggregates[%d]: %w", i, err)
		}
		if seen[d.Name] {
			return fmt.Errorf("aggregates[%d]: aggregate %q is declared twice", i, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// aggregatesErrorStatus maps the errors of the aggregate engine; errorStatus
// calls it. ok is false for other errors.
func aggregatesErrorStatus(err error) (status int, msg string, ok bool) {
	switch {
	case errors.Is(err, continuous.ErrNotFound):
		return http.StatusNotFound, err.Error(), true
	case errors.Is(err, continuous.ErrExists):
		return http.StatusConflict, err.Error(), true
	case errors.Is(err, continuous.ErrInvalid):
		return http.StatusBadRequest, err.Error(), true
	case errors.Is(err, continuous.ErrClosed):
		return http.StatusServiceUnavailable, err.Error(), true
	}
	return 0, "", false
}

// continuousAggregateJSON is a definition with its status.
type continuousAggregateJSON struct {
	continuous.Definition
	Status continuous.Status `json:"status"`
}

// MarshalJSON writes the definition's fields and "status" side by side.
func (a continuousAggregateJSON) MarshalJSON() ([]byte, error) {
	def, err := json.Marshal(a.Definition)
	if err != nil {
		return nil, err
	}
	st, err := json.Marshal(a.Status)
	if err != nil {
		return nil, err
	}
	def = def[:len(def)-1]
	def = append(def, `,"status":`...)
	def = append(def, st...)
	return append(def, '}'), nil
}

func (s *Server) aggregateView(name string) result {
	def, err := s.opts.Aggregates.Get(name)
	if err != nil {
		return result{err: err}
	}
	st, err := s.opts.Aggregates.Status(name)
	if err != nil {
		return result{err: err}
	}
	return result{body: continuousAggregateJSON{def, st}}
}

func (s *Server) createAggregate(r *http.Request) result {
	body, err := s.readText(r)
	if err != nil {
		return result{err: err}
	}
	var def continuous.Definition
	if err := json.Unmarshal(body, &def); err != nil {
		return result{err: badRequest("invalid aggregate definition: %v", err)}
	}
	if err := s.opts.Aggregates.Register(def); err != nil {
		return result{err: err}
	}
	res := s.aggregateView(def.Name)
	if res.err == nil {
		res.status = http.StatusCreated
	}
	return res
}

func (s *Server) listAggregates(*http.Request) result {
	out := []continuousAggregateJSON{}
	for _, d := range s.opts.Aggregates.List() {
		st, err := s.opts.Aggregates.Status(d.Name)
		if err != nil {
			continue // dropped meanwhile
		}
		out = append(out, continuousAggregateJSON{d, st})
	}
	return result{body: struct {
		Aggregates []continuousAggregateJSON `json:"aggregates"`
	}{out}}
}

func (s *Server) getAggregate(r *http.Request) result { return s.aggregateView(r.PathValue("name")) }

func (s *Server) deleteAggregate(r *http.Request) result {
	if err := s.opts.Aggregates.Unregister(r.PathValue("name")); err != nil {
		return result{err: err}
	}
	return result{status: http.StatusNoContent}
}

func (s *Server) enableAggregate(on bool) handlerFunc {
	return func(r *http.Request) result {
		name := r.PathValue("name")
		var err error
		if on {
			err = s.opts.Aggregates.Enable(name)
		} else {
			err = s.opts.Aggregates.Disable(name)
		}
		if err != nil {
			return result{err: err}
		}
		return s.aggregateView(name)
	}
}

// refreshRange is the optional body of POST .../refresh.
type refreshRange struct {
	Start json.RawMessage `json:"start"`
	End   json.RawMessage `json:"end"`
}

func (s *Server) refreshAggregate(r *http.Request) result {
	body, err := s.readText(r)
	if err != nil {
		return result{err: err}
	}
	name := r.PathValue("name")
	var st continuous.Stats
	if len(bytes.TrimSpace(body)) == 0 {
		st, err = s.opts.Aggregates.Refresh(r.Context(), name, s.now())
	} else {
		var rr refreshRange
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rr); err != nil {
			return result{err: badRequest("invalid refresh body: %v", err)}
		}
		start, err := jsonTime("start", rr.Start)
		if err != nil {
			return result{err: err}
		}
		end, err := jsonTime("end", rr.End)
		if err != nil {
			return result{err: err}
		}
		if end.IsZero() {
			end = s.now()
		}
		if start.IsZero() {
			return result{err: badRequest("a refresh range needs a start")}
		}
		st, err = s.opts.Aggregates.RefreshRange(r.Context(), name, start, end)
	}
	if err != nil {
		return result{err: err}
	}
	return result{body: st}
}

func (s *Server) aggregateData(r *http.Request) result {
	q := r.URL.Query()
	start, err := paramTime("start", q.Get("start"))
	if err != nil {
		return result{err: err}
	}
	end, err := paramTime("end", q.Get("end"))
	if err != nil {
		return result{err: err}
	}
	realTime := false
	if v := q.Get("realtime"); v != "" {
		if realTime, err = strconv.ParseBool(v); err != nil {
			return result{err: badRequest("realtime must be true or false, not %q", v)}
		}
	}
	res, err := s.opts.Aggregates.Query(r.Context(), r.PathValue("name"), start, end, realTime)
	if err != nil {
		return result{err: err}
	}
	return result{body: res}
}

// jsonTime reads a time given as an RFC 3339 string or as integer
// nanoseconds (a number or a string); absent or null is the zero time.
func jsonTime(name string, raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, badRequest("%s: %v", name, err)
		}
		return paramTime(name, s)
	}
	return paramTime(name, string(raw))
}

// paramTime parses an RFC 3339 time or integer nanoseconds since the epoch;
// "" is the zero time.
func paramTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if ns, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(0, ns).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest("%s: %q is neither an RFC 3339 time nor integer nanoseconds", name, strings.TrimSpace(v))
	}
	return t, nil
}
