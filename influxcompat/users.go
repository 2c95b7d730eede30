package influxcompat

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/influxdata/influxql"
	"golang.org/x/crypto/bcrypt"

	"github.com/accretedb/accrete/storage"
)

// UsersNamespace is the storage metadata namespace of the user accounts:
// one key per user, its name, whose value is the JSON of its record (see
// docs/format.md).
const UsersNamespace = "users"

// Errors of user accounts, with InfluxDB 1.6's texts.
var (
	// ErrUserExists is returned by CREATE USER for an existing user with
	// another password or another admin flag.
	ErrUserExists = errors.New("user already exists")
	// ErrUserNotFound is returned for statements naming an unknown user.
	ErrUserNotFound = errors.New("user not found")
	// ErrUsernameRequired is returned for an empty user name.
	ErrUsernameRequired = errors.New("username required")
	// ErrAuthenticate is returned by [Users.Authenticate] for an unknown
	// user or a wrong password.
	ErrAuthenticate = errors.New("authentication failed")
)

// UserInfo is a user account as statements and authorization see it.
type UserInfo struct {
	Name  string
	Admin bool
	// Privileges maps databases to what the user may do on them.
	Privileges map[string]influxql.Privilege
}

// AuthorizeDatabase reports whether the user may use database with
// privilege p: admins may do everything, others need p or ALL on it.
func (u *UserInfo) AuthorizeDatabase(p influxql.Privilege, database string) bool {
	if u.Admin {
		return true
	}
	got, ok := u.Privileges[database]
	return ok && (got == p || got == influxql.AllPrivileges)
}

// userRecord is the stored form of a user.
type userRecord struct {
	// Seq orders users by creation, the order of SHOW USERS.
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"` // bcrypt
	Admin bool   `json:"admin"`
	// Privileges maps databases to influxql.Privilege values (0 none,
	// 1 READ, 2 WRITE, 3 ALL).
	Privileges map[string]influxql.Privilege `json:"privileges,omitempty"`
}

// Users keeps the user accounts and their privileges, InfluxDB 1.x's user
// management: in memory, and in the storage metadata namespace
// [UsersNamespace] when opened over a database. Passwords are stored as
// bcrypt hashes. It is safe for concurrent use.
type Users struct {
	db   *storage.DB // nil: in memory only
	cost int

	mu    sync.RWMutex
	users map[string]*userRecord // replaced, never changed in place
	seq   uint64
	// cache holds a salted SHA-256 of the password of users who logged in,
	// so that requests do not pay bcrypt's cost every time, as InfluxDB
	// does. A change of the user drops its entry.
	cache map[string]authCacheEntry
}

type authCacheEntry struct {
	salt [16]byte
	sum  [sha256.Size]byte
}

// UsersOptions configure [OpenUsers]. A nil *UsersOptions or a zero field
// means the default.
type UsersOptions struct {
	// Cost is the bcrypt cost of new password hashes. The default is
	// bcrypt.DefaultCost (10), InfluxDB's.
	Cost int
}

// OpenUsers loads the users stored in db, or returns an empty in-memory
// set when db is nil.
func OpenUsers(db *storage.DB, opts *UsersOptions) (*Users, error) {
	u := &Users{db: db, cost: bcrypt.DefaultCost, users: map[string]*userRecord{}, cache: map[string]authCacheEntry{}}
	if opts != nil && opts.Cost != 0 {
		if opts.Cost < bcrypt.MinCost || opts.Cost > bcrypt.MaxCost {
			return nil, fmt.Errorf("bcrypt cost %d is out of range [%d, %d]", opts.Cost, bcrypt.MinCost, bcrypt.MaxCost)
		}
		u.cost = opts.Cost
	}
	if db == nil {
		return u, nil
	}
	err := db.IterMeta(UsersNamespace, nil, func(key, value []byte) error {
		var r userRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("user %q: %w", key, err)
		}
		u.users[string(key)] = &r
		u.seq = max(u.seq, r.Seq)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	return u, nil
}

// Count returns the number of users.
func (u *Users) Count() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.users)
}

// AdminExists reports whether some user is an admin.
func (u *Users) AdminExists() bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, r := range u.users {
		if r.Admin {
			return true
		}
	}
	return false
}

// List returns the users in the order they were created.
func (u *Users) List() []UserInfo {
	u.mu.RLock()
	defer u.mu.RUnlock()
	names := slices.Collect(maps.Keys(u.users))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(u.users[a].Seq, u.users[b].Seq) })
	out := make([]UserInfo, len(names))
	for i, n := range names {
		out[i] = info(n, u.users[n])
	}
	return out
}

// User returns one user, or ErrUserNotFound.
func (u *Users) User(name string) (UserInfo, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	r, ok := u.users[name]
	if !ok {
		return UserInfo{}, ErrUserNotFound
	}
	return info(name, r), nil
}

func info(name string, r *userRecord) UserInfo {
	return UserInfo{Name: name, Admin: r.Admin, Privileges: maps.Clone(r.Privileges)}
}

// Authenticate returns the user name with password, or ErrAuthenticate.
func (u *Users) Authenticate(name, password string) (UserInfo, error) {
	u.mu.RLock()
	r, ok := u.users[name]
	c, cached := u.cache[name]
	u.mu.RUnlock()
	if !ok {
		return UserInfo{}, ErrAuthenticate
	}
	if cached {
		sum := saltedSum(c.salt, password)
		if subtle.ConstantTimeCompare(sum[:], c.sum[:]) == 1 {
			return info(name, r), nil
		}
	}
	if bcrypt.CompareHashAndPassword([]byte(r.Hash), []byte(password)) != nil {
		return UserInfo{}, ErrAuthenticate
	}
	var e authCacheEntry
	if _, err := rand.Read(e.salt[:]); err == nil {
		e.sum = saltedSum(e.salt, password)
		u.mu.Lock()
		if u.users[name] == r { // not changed meanwhile
			u.cache[name] = e
		}
		u.mu.Unlock()
	}
	return info(name, r), nil
}

func saltedSum(salt [16]byte, password string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(salt[:])
	h.Write([]byte(password))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Create adds a user, as CREATE USER does: creating an existing user with
// the same password and admin flag changes nothing; with another one it
// fails with ErrUserExists.
func (u *Users) Create(name, password string, admin bool) error {
	if name == "" {
		return ErrUsernameRequired
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if r, ok := u.users[name]; ok {
		if r.Admin != admin || bcrypt.CompareHashAndPassword([]byte(r.Hash), []byte(password)) != nil {
			return ErrUserExists
		}
		return nil
	}
	hash, err := u.hash(password)
	if err != nil {
		return err
	}
	return u.put(name, &userRecord{Seq: u.seq + 1, Hash: hash, Admin: admin})
}

// Ensure makes name an admin with password, creating it or updating it as
// needed: the users of the configuration file.
func (u *Users) Ensure(name, password string) error {
	if name == "" {
		return ErrUsernameRequired
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.users[name]
	if ok && r.Admin && bcrypt.CompareHashAndPassword([]byte(r.Hash), []byte(password)) == nil {
		return nil
	}
	hash, err := u.hash(password)
	if err != nil {
		return err
	}
	if !ok {
		return u.put(name, &userRecord{Seq: u.seq + 1, Hash: hash, Admin: true})
	}
	c := *r
	c.Hash, c.Admin = hash, true
	return u.put(name, &c)
}

// Drop deletes a user.
func (u *Users) Drop(name string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.users[name]; !ok {
		return ErrUserNotFound
	}
	if u.db != nil {
		b := u.db.NewBatch()
		if err := b.DeleteMeta(UsersNamespace, []byte(name)); err != nil {
			b.Discard()
			return err
		}
		if err := b.Commit(); err != nil {
			return err
		}
	}
	users := maps.Clone(u.users)
	delete(users, name)
	u.users = users
	delete(u.cache, name)
	return nil
}

// SetPassword changes the password of a user.
func (u *Users) SetPassword(name, password string) error {
	return u.update(name, func(r *userRecord) error {
		hash, err := u.hash(password)
		r.Hash = hash
		return err
	})
}

// SetAdmin grants or revokes the admin privilege.
func (u *Users) SetAdmin(name string, admin bool) error {
	return u.update(name, func(r *userRecord) error {
		r.Admin = admin
		return nil
	})
}

// Privilege returns the privilege of a user on a database (NoPrivileges
// when none was granted).
func (u *Users) Privilege(name, database string) (influxql.Privilege, error) {
	info, err := u.User(name)
	if err != nil {
		return 0, err
	}
	return info.Privileges[database], nil
}

// SetPrivilege sets the privilege of a user on a database; the caller
// checks that the database exists. Setting NoPrivileges keeps the entry,
// as InfluxDB does (SHOW GRANTS lists it as NO PRIVILEGES).
func (u *Users) SetPrivilege(name, database string, p influxql.Privilege) error {
	if p < influxql.NoPrivileges || p > influxql.AllPrivileges {
		return fmt.Errorf("invalid privilege %d", p)
	}
	return u.update(name, func(r *userRecord) error {
		r.Privileges = maps.Clone(r.Privileges)
		if r.Privileges == nil {
			r.Privileges = map[string]influxql.Privilege{}
		}
		r.Privileges[database] = p
		return nil
	})
}

// DropDatabase removes every privilege on a database, as dropping it does
// in InfluxDB.
func (u *Users) DropDatabase(database string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	for name, r := range u.users {
		if _, ok := r.Privileges[database]; !ok {
			continue
		}
		c := *r
		c.Privileges = maps.Clone(r.Privileges)
		delete(c.Privileges, database)
		if err := u.put(name, &c); err != nil {
			return err
		}
	}
	return nil
}

// update changes a copy of a user's record with fn and stores it.
func (u *Users) update(name string, fn func(*userRecord) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.users[name]
	if !ok {
		return ErrUserNotFound
	}
	c := *r
	if err := fn(&c); err != nil {
		return err
	}
	return u.put(name, &c)
}

func (u *Users) hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), u.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// put stores a user's record, durably first when over a database. The
// caller holds mu.
func (u *Users) put(name string, r *userRecord) error {
	if u.db != nil {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode user %q: %w", name, err)
		}
		b := u.db.NewBatch()
		if err := b.SetMeta(UsersNamespace, []byte(name), v); err != nil {
			b.Discard()
			return err
		}
		if err := b.Commit(); err != nil {
			return err
		}
	}
	users := maps.Clone(u.users)
	users[name] = r
	u.users = users
	u.seq = max(u.seq, r.Seq)
	delete(u.cache, name)
	return nil
}
