package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/storage"
)

// Auth switches on InfluxDB-1.x-style authentication and authorization.
// Once an admin user exists, every request to /write, /query and the
// /api/v1 endpoints must name a user with its password; before that, only
// a query creating an admin user runs (InfluxDB's bootstrap). Admins may
// do everything; other users need READ on a database to query it and
// WRITE to write to it, and may not run admin statements nor use the
// /api/v1 endpoints.
type Auth struct {
	// Store holds the users, the same the executor's user statements
	// change (influxcompat.ExecutorOptions.Users).
	Store *influxcompat.Users
	// Users maps user names to passwords: admins kept in memory, used
	// when Store is nil (tests, embedding). With a Store, the caller puts
	// its configured users there (Users.Ensure).
	Users map[string]string

	once  sync.Once
	users *influxcompat.Users
	err   error
}

// store returns the users to authenticate against.
func (a *Auth) store() (*influxcompat.Users, error) {
	a.once.Do(func() {
		if a.Store != nil {
			a.users = a.Store
			return
		}
		a.users, a.err = influxcompat.OpenUsers(nil, nil)
		for name, pw := range a.Users {
			if a.err == nil {
				a.err = a.users.Ensure(name, pw)
			}
		}
	})
	return a.users, a.err
}

// errUsernameRequired is InfluxDB's answer to credentials with an empty
// user name.
var errUsernameRequired = &requestError{status: http.StatusUnauthorized, msg: "username required"}

// forbidden returns InfluxDB's 403 answer.
func forbidden(format string, args ...any) error {
	return &requestError{status: http.StatusForbidden, msg: fmt.Sprintf(format, args...)}
}

// auth returns h guarded by authentication and authorization when
// Options.Auth is set, and h itself otherwise. /write is authorized here,
// /query statement by statement by the executor (through the Authorizer
// the request's context carries), and every other route (the /api/v1
// endpoints) needs an admin.
func (s *Server) auth(h handlerFunc) handlerFunc {
	a := s.opts.Auth
	if a == nil {
		return h
	}
	return func(r *http.Request) result {
		users, err := a.store()
		if err != nil {
			return result{err: err}
		}
		var user *influxcompat.UserInfo
		if users.AdminExists() {
			name, pass, err := credentials(r)
			if err != nil {
				return result{err: err}
			}
			u, err := users.Authenticate(name, pass)
			if err != nil {
				s.log.Info("authentication failed", "user", name, "remote", r.RemoteAddr)
				return result{err: errAuthFailed}
			}
			user = &u
		}
		switch r.URL.Path {
		case "/query":
			authz := users.Authorizer(user)
			res := h(r.WithContext(influxcompat.WithAuthorizer(r.Context(), authz)))
			res.err = s.queryAuthError(r, res.err)
			if stream := res.stream; stream != nil {
				// A chunked query is refused before its first line.
				res.stream = func(w *chunkWriter) error { return s.queryAuthError(r, stream(w)) }
			}
			return res
		case "/write":
			db := r.URL.Query().Get("db")
			if db == "" || !s.databaseExists(db) {
				return h(r) // answers 400 or 404 as without authentication
			}
			if user == nil {
				return result{err: forbidden("user is required to write to database %q", db)}
			}
			if !user.AuthorizeDatabase(influxql.WritePrivilege, db) {
				return result{err: forbidden("%q user is not authorized to write to database %q", user.Name, db)}
			}
			return h(r)
		}
		switch {
		case user == nil && users.Count() == 0:
			return result{err: forbidden("create admin user first or disable authentication")}
		case user == nil:
			return result{err: forbidden("user is required to use %s", r.URL.Path)}
		case !user.Admin:
			return result{err: forbidden("%s not authorized to use %s, requires admin privilege", user.Name, r.URL.Path)}
		}
		return h(r)
	}
}

// queryAuthError turns the executor's refusal of a query into InfluxDB's
// 403 answer; other errors pass.
func (s *Server) queryAuthError(r *http.Request, err error) error {
	var ae *influxcompat.AuthorizationError
	if !errors.As(err, &ae) {
		return err
	}
	s.log.Info("unauthorized query", "user", ae.User, "remote", r.RemoteAddr)
	return forbidden("error authorizing query: %s", ae.Error())
}

// databaseExists reports whether the Writer has database db; a Writer
// that cannot tell is assumed to have it.
func (s *Server) databaseExists(db string) bool {
	w, ok := s.opts.Writer.(interface {
		Database(name string) (storage.DatabaseInfo, error)
	})
	if !ok {
		return true
	}
	_, err := w.Database(db)
	return !errors.Is(err, storage.ErrDatabaseNotFound)
}

// credentials returns the user and password of a request, from the u and p
// query parameters (both set) or from an Authorization header with Basic
// credentials or "Token user:password" (InfluxDB 1.8's form), in that
// order.
func credentials(r *http.Request) (user, pass string, err error) {
	q := r.URL.Query()
	if u, p := q.Get("u"), q.Get("p"); u != "" && p != "" {
		return u, p, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", errNoCredentials
	}
	if u, p, ok := r.BasicAuth(); ok {
		if u == "" {
			return "", "", errUsernameRequired
		}
		return u, p, nil
	}
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Token") {
		if u, p, ok := strings.Cut(tok, ":"); ok && u != "" {
			return u, p, nil
		}
	}
	return "", "", errNoCredentials
}
