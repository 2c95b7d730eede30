package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth switches on InfluxDB-1.x-style authentication: every request to
// /write and /query must name one of Users with its password.
type Auth struct {
	// Users maps user names to passwords.
	Users map[string]string
}

// auth returns h guarded by the credential check when Options.Auth is set,
// and h itself otherwise.
func (s *Server) auth(h handlerFunc) handlerFunc {
	if s.opts.Auth == nil {
		return h
	}
	users := make(map[string][sha256.Size]byte, len(s.opts.Auth.Users))
	for u, p := range s.opts.Auth.Users {
		users[u] = sha256.Sum256([]byte(p))
	}
	return func(r *http.Request) result {
		user, pass, err := credentials(r)
		if err != nil {
			return result{err: err}
		}
		want, ok := users[user]
		got := sha256.Sum256([]byte(pass))
		if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || !ok {
			s.log.Info("authentication failed", "user", user, "remote", r.RemoteAddr)
			return result{err: errAuthFailed}
		}
		return h(r)
	}
}

// credentials returns the user and password of a request, from the u and p
// query parameters or from an Authorization header with Basic credentials
// or "Token user:password", in that order.
func credentials(r *http.Request) (user, pass string, err error) {
	q := r.URL.Query()
	if u := q.Get("u"); u != "" {
		return u, q.Get("p"), nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", errNoCredentials
	}
	if u, p, ok := r.BasicAuth(); ok && u != "" {
		return u, p, nil
	}
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Token") {
		if u, p, ok := strings.Cut(tok, ":"); ok && u != "" {
			return u, p, nil
		}
	}
	return "", "", errNoCredentials
}
