package server

import (
	"net/http"
)

// pingVerbose is the body of /ping?verbose=true.
type pingVerbose struct {
	Version string `json:"version"`
}

// ping serves /ping: 204 with the version headers, or with verbose=true 200
// and the version in the body. It needs no authentication.
func (s *Server) ping(r *http.Request) result {
	if v := r.URL.Query().Get("verbose"); v == "true" || v == "1" {
		return result{body: pingVerbose{Version: Version}}
	}
	return result{status: http.StatusNoContent}
}

// healthBody is the body of /health and /ready.
type healthBody struct {
	Name    string   `json:"name"`
	Message string   `json:"message"`
	Status  string   `json:"status"`
	Checks  []string `json:"checks"`
	Version string   `json:"version"`
}

// health serves /health: 200 while the process serves requests.
func (s *Server) health(*http.Request) result {
	return result{body: healthBody{Name: "accrete", Message: "ready for queries and writes", Status: "pass", Checks: []string{}, Version: Version}}
}

// ready serves /ready: 200 while the server takes requests, 503 once
// Shutdown has started.
func (s *Server) ready(*http.Request) result {
	if s.closing.Load() {
		return result{status: http.StatusServiceUnavailable, body: healthBody{Name: "accrete", Message: "shutting down", Status: "fail", Checks: []string{}, Version: Version}}
	}
	return result{body: healthBody{Name: "accrete", Message: "ready for queries and writes", Status: "pass", Checks: []string{}, Version: Version}}
}
