package influxcompat

import (
	"context"
	"fmt"
	"slices"

	"github.com/influxdata/influxql"
)

// Authorizer decides what the user of a request may run; the HTTP layer
// attaches one to the context of [Executor.Execute] with [WithAuthorizer]
// when authentication is on. [Users.Authorizer] returns InfluxDB 1.6's.
type Authorizer interface {
	// AuthorizeQuery checks every statement of q before any runs;
	// database is the request's default database. Its error, an
	// *[AuthorizationError], ends Execute before anything runs.
	AuthorizeQuery(q *influxql.Query, database string) error
	// AuthorizeDatabase reports whether the user may use database with
	// privilege p; SHOW DATABASES lists only the databases the user may
	// read or write.
	AuthorizeDatabase(p influxql.Privilege, database string) bool
}

type authorizerKey struct{}

// WithAuthorizer returns ctx carrying a, which [Executor.Execute] then
// consults.
func WithAuthorizer(ctx context.Context, a Authorizer) context.Context {
	return context.WithValue(ctx, authorizerKey{}, a)
}

// authorizerFrom returns the Authorizer of ctx, or nil.
func authorizerFrom(ctx context.Context) Authorizer {
	a, _ := ctx.Value(authorizerKey{}).(Authorizer)
	return a
}

// AuthorizationError is a query refused to its user. Its Error is
// InfluxDB's message, which the HTTP layer answers with status 403 after
// "error authorizing query: ".
type AuthorizationError struct {
	// User is the user refused, "" when the request had none.
	User    string
	Message string
}

// Error implements error.
func (e *AuthorizationError) Error() string {
	if e.User == "" {
		return e.Message
	}
	return fmt.Sprintf("%s not authorized to execute %s", e.User, e.Message)
}

// Messages of InfluxDB 1.6's query authorizer.
const (
	msgBootstrap = "create admin user first or disable authentication"
	msgNoUser    = "no user provided"
)

// Authorizer returns the authorizer of requests by user, nil for a request
// that had no credentials (authentication is skipped while no admin
// exists, as in InfluxDB). While there are no users at all, only a query
// whose first statement is CREATE USER ... WITH ALL PRIVILEGES may run.
func (u *Users) Authorizer(user *UserInfo) Authorizer {
	return &queryAuthorizer{users: u, user: user}
}

type queryAuthorizer struct {
	users *Users
	user  *UserInfo
}

func (a *queryAuthorizer) AuthorizeQuery(q *influxql.Query, database string) error {
	if a.users.Count() == 0 {
		if len(q.Statements) > 0 {
			if cu, ok := q.Statements[0].(*influxql.CreateUserStatement); ok && cu.Admin {
				return nil
			}
		}
		return &AuthorizationError{Message: msgBootstrap}
	}
	u := a.user
	if u == nil {
		return &AuthorizationError{Message: msgNoUser}
	}
	if u.Admin {
		return nil
	}
	for _, stmt := range q.Statements {
		privs, err := stmt.RequiredPrivileges()
		if err != nil {
			return err
		}
		for _, p := range privs {
			if p.Admin {
				return &AuthorizationError{User: u.Name, Message: fmt.Sprintf("statement '%s', requires admin privilege", stmt)}
			}
			if p.Privilege == influxql.NoPrivileges {
				continue
			}
			db := p.Name
			if db == "" {
				db = database
			}
			if !u.AuthorizeDatabase(p.Privilege, db) {
				return &AuthorizationError{User: u.Name, Message: fmt.Sprintf("statement '%s', requires %s on %s", stmt, p.Privilege, db)}
			}
		}
	}
	return nil
}

func (a *queryAuthorizer) AuthorizeDatabase(p influxql.Privilege, database string) bool {
	if a.user == nil {
		return a.users.Count() == 0
	}
	return a.user.AuthorizeDatabase(p, database)
}

// runUserStatement runs the user and privilege statements; ok is false
// for other statements.
func (x *execution) runUserStatement(stmt influxql.Statement) (ok bool, err error) {
	switch stmt.(type) {
	case *influxql.CreateUserStatement, *influxql.DropUserStatement, *influxql.SetPasswordUserStatement,
		*influxql.GrantStatement, *influxql.GrantAdminStatement, *influxql.RevokeStatement,
		*influxql.RevokeAdminStatement, *influxql.ShowUsersStatement, *influxql.ShowGrantsForUserStatement:
	default:
		return false, nil
	}
	u := x.e.users
	if u == nil {
		return true, fmt.Errorf("%w: %s", ErrUnsupportedStatement, firstWords(stmt.String(), 3))
	}
	switch s := stmt.(type) {
	case *influxql.CreateUserStatement:
		return true, u.Create(s.Name, s.Password, s.Admin)
	case *influxql.DropUserStatement:
		return true, u.Drop(s.Name)
	case *influxql.SetPasswordUserStatement:
		return true, u.SetPassword(s.Name, s.Password)
	case *influxql.GrantAdminStatement:
		return true, u.SetAdmin(s.User, true)
	case *influxql.RevokeAdminStatement:
		return true, u.SetAdmin(s.User, false)
	case *influxql.GrantStatement:
		if _, err := u.User(s.User); err != nil {
			return true, err
		}
		if err := x.checkDatabase(s.On); err != nil {
			return true, err
		}
		return true, u.SetPrivilege(s.User, s.On, s.Privilege)
	case *influxql.RevokeStatement:
		// Revoking READ or WRITE clears that bit of what the user has
		// (ALL minus READ leaves WRITE); revoking ALL leaves none.
		p := influxql.NoPrivileges
		if s.Privilege != influxql.AllPrivileges {
			cur, err := u.Privilege(s.User, s.On)
			if err != nil {
				return true, err
			}
			p = cur &^ s.Privilege
		} else if _, err := u.User(s.User); err != nil {
			return true, err
		}
		if err := x.checkDatabase(s.On); err != nil {
			return true, err
		}
		return true, u.SetPrivilege(s.User, s.On, p)
	case *influxql.ShowUsersStatement:
		r := &Row{Columns: []string{"user", "admin"}}
		for _, info := range u.List() {
			r.Values = append(r.Values, []any{info.Name, info.Admin})
		}
		x.out.add(r)
		return true, nil
	case *influxql.ShowGrantsForUserStatement:
		info, err := u.User(s.Name)
		if err != nil {
			return true, err
		}
		r := &Row{Columns: []string{"database", "privilege"}}
		dbs := make([]string, 0, len(info.Privileges))
		for db := range info.Privileges {
			dbs = append(dbs, db)
		}
		slices.Sort(dbs)
		for _, db := range dbs {
			r.Values = append(r.Values, []any{db, info.Privileges[db].String()})
		}
		x.out.add(r)
		return true, nil
	}
	return false, nil
}

// showDatabasesFor runs SHOW DATABASES and, with an Authorizer in the
// context, keeps the databases its user may read or write.
func (x *execution) showDatabasesFor() error {
	if err := x.showDatabases(); err != nil {
		return err
	}
	a := authorizerFrom(x.ctx)
	if a == nil || len(x.out.rows) == 0 {
		return nil
	}
	r := x.out.rows[len(x.out.rows)-1]
	kept := r.Values[:0]
	for _, v := range r.Values {
		db, _ := v[0].(string)
		if a.AuthorizeDatabase(influxql.ReadPrivilege, db) || a.AuthorizeDatabase(influxql.WritePrivilege, db) {
			kept = append(kept, v)
		}
	}
	r.Values = kept
	if len(kept) == 0 {
		r.Values = nil
	}
	return nil
}
