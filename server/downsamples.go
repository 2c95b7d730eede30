package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/accretedb/accrete/downsample"
	"github.com/prometheus/client_golang/prometheus"
)

// The downsampling API (Options.Downsamples):
//
//	POST   /api/v1/downsamples          a config (or a tiered config); 201 with the configs created and their status
//	GET    /api/v1/downsamples          every config with its status
//	GET    /api/v1/downsamples/{name}   one config with its status
//	DELETE /api/v1/downsamples/{name}   204; the target's data stays
//
// A config has the JSON shape of downsample.Config, the shape of the
// aggregates API:
//
//	{"name": "cpu_1m", "database": "db", "source": "cpu", "target": "cpu_1m",
//	 "interval": "1m", "fields": [{"field": "usage", "function": "mean"}],
//	 "retention": "90d"}
//
// and a tiered config creates one config per tier ("cpu_1m", "cpu_1h"):
//
//	{"name": "cpu", "database": "db", "source": "cpu", "source_retention": "7d",
//	 "fields": [{"field": "usage", "function": "mean"}],
//	 "tiers": [{"interval": "1m", "retention": "90d"}, {"interval": "1h"}]}
//
// The routes need credentials when Options.Auth is set.

// Downsamples is the downsampling engine behind the downsamples API;
// *downsample.Engine implements it. It must be safe for concurrent use.
type Downsamples interface {
	Register(cfg downsample.Config) error
	Remove(name string) error
	Get(name string) (downsample.Config, error)
	List() []downsample.Config
	Status(name string) (downsample.Status, error)
	// Collector exports the configs' status on /metrics.
	Collector() prometheus.Collector
}

// downsamplesRoutes adds the downsamples API to mux.
func (s *Server) downsamplesRoutes(mux *http.ServeMux) {
	h := func(f handlerFunc) http.Handler { return s.wrap("downsamples", s.auth(s.needDownsamples(f))) }
	mux.Handle("POST /api/v1/downsamples", h(s.createDownsample))
	mux.Handle("GET /api/v1/downsamples", h(s.listDownsamples))
	mux.Handle("GET /api/v1/downsamples/{name}", h(s.getDownsample))
	mux.Handle("DELETE /api/v1/downsamples/{name}", h(s.deleteDownsample))
}

// needDownsamples answers 503 when the server has no downsampling engine
// and gives the engine's errors their status.
func (s *Server) needDownsamples(h handlerFunc) handlerFunc {
	return func(r *http.Request) result {
		if s.opts.Downsamples == nil {
			return result{err: errNotConfigured}
		}
		res := h(r)
		if res.err != nil {
			res.err = downsampleError(res.err)
		}
		return res
	}
}

// downsampleError turns the engine's errors into request errors with
// their status.
func downsampleError(err error) error {
	status := 0
	switch {
	case errors.Is(err, downsample.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, downsample.ErrExists):
		status = http.StatusConflict
	case errors.Is(err, downsample.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, downsample.ErrClosed):
		status = http.StatusServiceUnavailable
	default:
		return err
	}
	return &requestError{status: status, msg: err.Error()}
}

// checkDownsampleConfigs checks the downsamples section of a Config.
func checkDownsampleConfigs(cfgs []downsample.Config) error {
	seen := map[string]bool{}
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("downsamples[%d]: %w", i, err)
		}
		expanded, _ := c.Expand()
		for _, e := range expanded {
			if seen[e.Name] {
				return fmt.Errorf("downsamples[%d]: downsample %q is declared twice", i, e.Name)
			}
			seen[e.Name] = true
		}
	}
	return nil
}

// downsampleJSON is a config with its status.
type downsampleJSON struct {
	downsample.Config
	Status downsample.Status `json:"status"`
}

// MarshalJSON writes the config's fields and "status" side by side.
func (d downsampleJSON) MarshalJSON() ([]byte, error) {
	c, err := json.Marshal(d.Config)
	if err != nil {
		return nil, err
	}
	st, err := json.Marshal(d.Status)
	if err != nil {
		return nil, err
	}
	c = append(c[:len(c)-1], `,"status":`...)
	c = append(c, st...)
	return append(c, '}'), nil
}

func (s *Server) downsampleView(name string) (downsampleJSON, error) {
	c, err := s.opts.Downsamples.Get(name)
	if err != nil {
		return downsampleJSON{}, err
	}
	st, err := s.opts.Downsamples.Status(name)
	if err != nil {
		return downsampleJSON{}, err
	}
	return downsampleJSON{c, st}, nil
}

func (s *Server) createDownsample(r *http.Request) result {
	body, err := s.readText(r)
	if err != nil {
		return result{err: err}
	}
	var c downsample.Config
	if err := json.Unmarshal(body, &c); err != nil {
		return result{err: badRequest("invalid downsample config: %v", err)}
	}
	if err := s.opts.Downsamples.Register(c); err != nil {
		return result{err: err}
	}
	if len(c.Tiers) == 0 {
		v, err := s.downsampleView(c.Name)
		if err != nil {
			return result{err: err}
		}
		return result{status: http.StatusCreated, body: v}
	}
	expanded, _ := c.Expand()
	out := []downsampleJSON{}
	for _, e := range expanded {
		v, err := s.downsampleView(e.Name)
		if err != nil {
			return result{err: err}
		}
		out = append(out, v)
	}
	return result{status: http.StatusCreated, body: struct {
		Downsamples []downsampleJSON `json:"downsamples"`
	}{out}}
}

func (s *Server) listDownsamples(*http.Request) result {
	out := []downsampleJSON{}
	for _, c := range s.opts.Downsamples.List() {
		v, err := s.downsampleView(c.Name)
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, v)
	}
	return result{body: struct {
		Downsamples []downsampleJSON `json:"downsamples"`
	}{out}}
}

func (s *Server) getDownsample(r *http.Request) result {
	v, err := s.downsampleView(r.PathValue("name"))
	if err != nil {
		return result{err: err}
	}
	return result{body: v}
}

func (s *Server) deleteDownsample(r *http.Request) result {
	if err := s.opts.Downsamples.Remove(r.PathValue("name")); err != nil {
		return result{err: err}
	}
	return result{status: http.StatusNoContent}
}
