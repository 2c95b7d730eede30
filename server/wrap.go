package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// result is what a handler returns; wrap writes it. The zero result is an
// empty 200.
type result struct {
	// status is the response status; 0 means 200.
	status int
	// body, when not nil, is written as JSON.
	body any
	// pretty indents the JSON body.
	pretty bool
	// err, when not nil, makes the response errorStatus(err) with
	// {"error": message} and every other field is ignored.
	err error
	// stream, when not nil, writes a streamed 200 response through the
	// chunkWriter wrap gives it. An error it returns before writing
	// anything becomes an error response; after that it ends the stream
	// with an {"error": message} line.
	stream func(w *chunkWriter) error
}

// handlerFunc is the shape of every API handler.
type handlerFunc func(r *http.Request) result

// errorBody is InfluxDB's error response body.
type errorBody struct {
	Error string `json:"error"`
}

// wrap turns a handler into an http.Handler: it sets the headers every
// InfluxDB response carries, writes the handler's result and records the
// request in the metrics under the handler name.
func (s *Server) wrap(name string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		hdr := w.Header()
		hdr.Set("X-Influxdb-Build", "OSS")
		hdr.Set("X-Influxdb-Version", Version)
		hdr.Set("Content-Type", "application/json")
		res := h(r)
		status := s.writeResult(w, r, name, res)
		s.metrics.observeRequest(name, status, time.Since(start))
	})
}

// writeResult writes res and returns the status code sent.
func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, name string, res result) int {
	if res.err != nil {
		return s.writeError(w, r, name, res.err)
	}
	if res.stream != nil {
		cw := &chunkWriter{w: w}
		if err := res.stream(cw); err != nil {
			if !cw.started {
				return s.writeError(w, r, name, err)
			}
			_, msg := errorStatus(err)
			s.log.Warn("streamed response ended by error", "handler", name, "err", err)
			cw.WriteJSON(errorBody{Error: msg}, false)
		}
		if !cw.started {
			w.WriteHeader(http.StatusOK)
		}
		return http.StatusOK
	}
	status := res.status
	if status == 0 {
		status = http.StatusOK
	}
	if res.body == nil {
		w.WriteHeader(status)
		return status
	}
	b, err := marshal(res.body, res.pretty)
	if err != nil {
		return s.writeError(w, r, name, err)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return status
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, name string, err error) int {
	status, msg := errorStatus(err)
	if status >= 500 {
		s.log.Error("request failed", "handler", name, "method", r.Method, "url", r.URL.Redacted(), "err", err)
	} else {
		s.log.Debug("request rejected", "handler", name, "status", status, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="InfluxDB"`)
	}
	b, _ := json.Marshal(errorBody{Error: msg})
	b = append(b, '\n')
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return status
}

// marshal encodes v as JSON followed by a newline, indented with four
// spaces like InfluxDB when pretty is set.
func marshal(v any, pretty bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "    ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chunkWriter writes a streamed response as newline-delimited JSON values,
// flushing after each.
type chunkWriter struct {
	w       http.ResponseWriter
	started bool // the status line has been sent
	err     error
}

// WriteJSON writes v as one line (or an indented block when pretty) and
// flushes it to the client. It returns the first write error.
func (c *chunkWriter) WriteJSON(v any, pretty bool) error {
	if c.err != nil {
		return c.err
	}
	b, err := marshal(v, pretty)
	if err != nil {
		return err
	}
	if !c.started {
		c.started = true
		c.w.WriteHeader(http.StatusOK)
	}
	if _, err := c.w.Write(b); err != nil {
		c.err = err
		return err
	}
	if err := http.NewResponseController(c.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		c.err = err
		return err
	}
	return nil
}
