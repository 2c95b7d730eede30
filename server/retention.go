package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/accretedb/accrete/retention"
	"github.com/prometheus/client_golang/prometheus"
)

// The retention API (Options.Retention), per-measurement retentions:
//
//	POST   /api/v1/retention          a definition; 201 with it and its status
//	GET    /api/v1/retention          {"retention": [every definition with its status]}
//	GET    /api/v1/retention/{name}   one definition with its status
//	DELETE /api/v1/retention/{name}   204; the data stays
//
// A definition has the JSON shape of retention.Definition, the status that
// of retention.Status:
//
//	{"name": "cpu_7d", "database": "db", "retention_policy": "autogen",
//	 "measurement": "cpu", "duration": "1w",
//	 "status": {"last_run": "2026-11-23T03:00:00Z", "last_cutoff": "2026-11-16T03:00:00Z",
//	            "points_removed": 42}}
//
// A write with a point older than a retention's cutoff (of a definition or
// of its retention policy's duration) is answered 400 and writes nothing.
// The routes need credentials when Options.Auth is set.

// Retention is the retention enforcer behind the retention API;
// *retention.Enforcer implements it. It must be safe for concurrent use.
type Retention interface {
	Create(def retention.Definition) error
	Delete(name string) error
	Get(name string) (retention.Definition, error)
	List() []retention.Definition
	Status(name string) (retention.Status, error)
	// Metrics are the enforcement totals exported on /metrics.
	Metrics() retention.Metrics
}

// retentionRoutes adds the retention API to mux.
func (s *Server) retentionRoutes(mux *http.ServeMux) {
	h := func(f handlerFunc) http.Handler { return s.wrap("retention", s.auth(s.needRetention(f))) }
	mux.Handle("POST /api/v1/retention", h(s.createRetention))
	mux.Handle("GET /api/v1/retention", h(s.listRetention))
	mux.Handle("GET /api/v1/retention/{name}", h(s.getRetention))
	mux.Handle("DELETE /api/v1/retention/{name}", h(s.deleteRetention))
}

// needRetention answers 503 when the server has no retention enforcer.
func (s *Server) needRetention(h handlerFunc) handlerFunc {
	return func(r *http.Request) result {
		if s.opts.Retention == nil {
			return result{err: errNotConfigured}
		}
		return h(r)
	}
}

// checkRetentionConfigs checks the retention section of a Config.
func checkRetentionConfigs(defs []retention.Definition) error {
	seen := map[string]bool{}
	for i, d := range defs {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("retention[%d]: %w", i, err)
		}
		if seen[d.Name] {
			return fmt.Errorf("retention[%d]: retention %q is declared twice", i, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// retentionErrorStatus maps the errors of the retention enforcer, and the
// rejection of writes older than a retention; errorStatus calls it. ok is
// false for other errors.
func retentionErrorStatus(err error) (status int, msg string, ok bool) {
	switch {
	case errors.Is(err, retention.ErrNotFound):
		return http.StatusNotFound, err.Error(), true
	case errors.Is(err, retention.ErrInvalid), errors.Is(err, retention.ErrExists), errors.Is(err, retention.ErrTooOld):
		return http.StatusBadRequest, err.Error(), true
	}
	return 0, "", false
}

// retentionJSON is a definition with its status.
type retentionJSON struct {
	retention.Definition
	Status retention.Status `json:"status"`
}

func (s *Server) retentionView(name string) result {
	def, err := s.opts.Retention.Get(name)
	if err != nil {
		return result{err: err}
	}
	st, err := s.opts.Retention.Status(name)
	if err != nil {
		return result{err: err}
	}
	return result{body: retentionJSON{def, st}}
}

func (s *Server) createRetention(r *http.Request) result {
	body, err := s.readText(r)
	if err != nil {
		return result{err: err}
	}
	var def retention.Definition
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&def); err != nil {
		return result{err: badRequest("invalid retention definition: %v", err)}
	}
	if dec.More() {
		return result{err: badRequest("invalid retention definition: unexpected data after the object")}
	}
	if err := s.opts.Retention.Create(def); err != nil {
		return result{err: err}
	}
	res := s.retentionView(def.Name)
	if res.err == nil {
		res.status = http.StatusCreated
	}
	return res
}

func (s *Server) listRetention(*http.Request) result {
	out := []retentionJSON{}
	for _, d := range s.opts.Retention.List() {
		st, err := s.opts.Retention.Status(d.Name)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, retentionJSON{d, st})
	}
	return result{body: struct {
		Retention []retentionJSON `json:"retention"`
	}{out}}
}

func (s *Server) getRetention(r *http.Request) result { return s.retentionView(r.PathValue("name")) }

func (s *Server) deleteRetention(r *http.Request) result {
	if err := s.opts.Retention.Delete(r.PathValue("name")); err != nil {
		return result{err: err}
	}
	return result{status: http.StatusNoContent}
}

// retentionCollector exports the enforcement totals on /metrics.
type retentionCollector struct {
	ret                       Retention
	runs, errors, points, prt *prometheus.Desc
}

func newRetentionCollector(ret Retention) *retentionCollector {
	return &retentionCollector{
		ret:    ret,
		runs:   prometheus.NewDesc("accrete_retention_runs_total", "Retention enforcements since start.", nil, nil),
		errors: prometheus.NewDesc("accrete_retention_errors_total", "Failed retention enforcements of single policies or definitions since start.", nil, nil),
		points: prometheus.NewDesc("accrete_retention_points_removed_total", "Points range-deleted by retention since start, per database, retention policy and measurement.", []string{"database", "retention_policy", "measurement"}, nil),
		prt:    prometheus.NewDesc("accrete_retention_partitions_removed_total", "Whole partitions dropped by retention since start, per database and retention policy.", []string{"database", "retention_policy"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *retentionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.runs
	ch <- c.errors
	ch <- c.points
	ch <- c.prt
}

// Collect implements prometheus.Collector.
func (c *retentionCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.ret.Metrics()
	ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(m.Runs))
	ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(m.Errors))
	for _, r := range m.Removed {
		if r.Measurement == "" {
			ch <- prometheus.MustNewConstMetric(c.prt, prometheus.CounterValue, float64(r.Partitions), r.Database, r.RetentionPolicy)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.points, prometheus.CounterValue, float64(r.Points), r.Database, r.RetentionPolicy, r.Measurement)
	}
}
