package storage

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// DefaultRetentionPolicyName is the name of the retention policy
// CreateDatabase creates, as InfluxDB 1.x does.
const DefaultRetentionPolicyName = "autogen"

// maxNameLen bounds database and retention policy names.
const maxNameLen = 255

// RetentionPolicy describes a retention policy of a database.
type RetentionPolicy struct {
	Name string
	// Duration is how long data is kept; 0 keeps it forever. accrete stores
	// it; the retention package enforces it.
	Duration time.Duration
	// ShardDuration is the time span of one data partition. 0 at creation
	// means Options.PartitionDuration. Changing it affects new partitions
	// only.
	ShardDuration time.Duration
	// Replication is stored for InfluxQL compatibility; accrete keeps one
	// copy.
	Replication int
	// Default marks the policy writes and reads without a policy name use.
	Default bool
}

// DatabaseInfo describes a database and its retention policies (sorted by
// name).
type DatabaseInfo struct {
	Name              string
	RetentionPolicies []RetentionPolicy
}

// RetentionPolicyUpdate lists the settings AlterRetentionPolicy changes; nil
// fields are kept.
type RetentionPolicyUpdate struct {
	Duration      *time.Duration
	ShardDuration *time.Duration
	Replication   *int
	// Default, when true, makes the policy the database's default.
	Default bool
}

// database is the in-memory catalog entry of a database.
type database struct {
	name       string
	rps        map[string]*rpState
	defaultRP  string
	catalogKey []byte
}

// rpState is a retention policy with its index and partitions. id never
// changes. policy, idx and parts change holding DB.mu and DB.state.Lock.
type rpState struct {
	id     uint32
	db     string
	policy RetentionPolicy
	idx    *seriesIndex
	parts  []partition // sorted by start, non-overlapping
}

// partition is the time range [start, last] of a data partition.
type partition struct {
	start, last int64
}

// catalogEntry is the JSON value of a catalog key.
type catalogEntry struct {
	Name string      `json:"name"`
	RPs  []catalogRP `json:"rps"`
}

type catalogRP struct {
	Name          string `json:"name"`
	ID            uint32 `json:"id"`
	Duration      int64  `json:"duration_ns"`
	ShardDuration int64  `json:"shard_duration_ns"`
	Replication   int    `json:"replication"`
	Default       bool   `json:"default,omitempty"`
}

func checkName(kind, name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w: %s name %q must have 1 to %d bytes", ErrInvalidName, kind, name, maxNameLen)
	}
	return nil
}

func (d *database) encode() []byte {
	e := catalogEntry{Name: d.name}
	for _, name := range slices.Sorted(maps.Keys(d.rps)) {
		rp := d.rps[name]
		e.RPs = append(e.RPs, catalogRP{
			Name:          name,
			ID:            rp.id,
			Duration:      int64(rp.policy.Duration),
			ShardDuration: int64(rp.policy.ShardDuration),
			Replication:   rp.policy.Replication,
			Default:       name == d.defaultRP,
		})
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic("BUG: catalog entry does not marshal: " + err.Error())
	}
	return b
}

func decodeCatalogEntry(b []byte) (*database, error) {
	var e catalogEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: catalog entry: %v", ErrCorrupt, err)
	}
	d := &database{name: e.Name, rps: map[string]*rpState{}, catalogKey: appendCatalogKey(nil, e.Name)}
	for _, r := range e.RPs {
		rp := &rpState{
			id: r.ID,
			db: e.Name,
			policy: RetentionPolicy{
				Name:          r.Name,
				Duration:      time.Duration(r.Duration),
				ShardDuration: time.Duration(r.ShardDuration),
				Replication:   r.Replication,
			},
			idx: newSeriesIndex(),
		}
		if rp.policy.ShardDuration <= 0 {
			return nil, fmt.Errorf("%w: retention policy %q.%q has shard duration %d", ErrCorrupt, e.Name, r.Name, r.ShardDuration)
		}
		d.rps[r.Name] = rp
		if r.Default {
			d.defaultRP = r.Name
		}
	}
	return d, nil
}

func (d *database) info() DatabaseInfo {
	info := DatabaseInfo{Name: d.name}
	for _, name := range slices.Sorted(maps.Keys(d.rps)) {
		p := d.rps[name].policy
		p.Default = name == d.defaultRP
		info.RetentionPolicies = append(info.RetentionPolicies, p)
	}
	return info
}

// Databases returns all databases sorted by name.
func (db *DB) Databases() []DatabaseInfo {
	db.state.RLock()
	defer db.state.RUnlock()
	var out []DatabaseInfo
	for _, name := range slices.Sorted(maps.Keys(db.state.dbs)) {
		out = append(out, db.state.dbs[name].info())
	}
	return out
}

// Database returns one database.
func (db *DB) Database(name string) (DatabaseInfo, error) {
	db.state.RLock()
	defer db.state.RUnlock()
	d := db.state.dbs[name]
	if d == nil {
		return DatabaseInfo{}, fmt.Errorf("%w: %q", ErrDatabaseNotFound, name)
	}
	return d.info(), nil
}

// CreateDatabase creates a database with the default retention policy
// "autogen" (infinite duration). Creating an existing database does
// nothing, as in InfluxDB.
func (db *DB) CreateDatabase(name string) error {
	if err := checkName("database", name); err != nil {
		return err
	}
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.state.dbs[name] != nil {
		return nil
	}
	d := &database{name: name, rps: map[string]*rpState{}, catalogKey: appendCatalogKey(nil, name)}
	rp := db.newRP(name, RetentionPolicy{Name: DefaultRetentionPolicyName, Replication: 1})
	d.rps[rp.policy.Name] = rp
	d.defaultRP = rp.policy.Name
	return db.commitCatalog(d, nil, func() {
		db.state.dbs[name] = d
		db.state.rps[rp.id] = rp
	})
}

// newRP makes the state of a new retention policy, taking an id. The caller
// holds db.mu and persists db.mu.nextRPID with commitCatalog.
func (db *DB) newRP(dbName string, p RetentionPolicy) *rpState {
	if p.ShardDuration <= 0 {
		p.ShardDuration = db.opts.PartitionDuration
	}
	p.Default = false
	id := db.mu.nextRPID
	db.mu.nextRPID++
	return &rpState{id: id, db: dbName, policy: p, idx: newSeriesIndex()}
}

// commitCatalog writes d's catalog entry and the RP id counter (plus
// anything already in b), then runs apply under the state lock. The caller
// holds db.mu. On failure the RP id counter is reloaded from disk.
func (db *DB) commitCatalog(d *database, b *pebble.Batch, apply func()) error {
	if b == nil {
		b = db.pdb.NewBatch()
	}
	defer b.Close()
	if d != nil {
		_ = b.Set(d.catalogKey, d.encode(), nil)
	}
	_ = b.Set(rpIDKey, be64(uint64(db.mu.nextRPID)), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("cannot commit catalog change: %w", err)
	}
	db.state.Lock()
	apply()
	db.state.Unlock()
	return nil
}

// CreateRetentionPolicy adds a retention policy to a database. Creating a
// policy that exists with the same settings does nothing; with other
// settings it fails with ErrRetentionPolicyExists.
func (db *DB) CreateRetentionPolicy(dbName string, p RetentionPolicy) error {
	if err := checkName("retention policy", p.Name); err != nil {
		return err
	}
	if p.Duration < 0 || p.ShardDuration < 0 {
		return fmt.Errorf("%w: retention policy %q: negative duration", ErrInvalidDuration, p.Name)
	}
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.mu.Lock()
	defer db.mu.Unlock()
	d := db.state.dbs[dbName]
	if d == nil {
		return fmt.Errorf("%w: %q", ErrDatabaseNotFound, dbName)
	}
	if old := d.rps[p.Name]; old != nil {
		q := old.policy
		if q.Duration == p.Duration && (p.ShardDuration == 0 || q.ShardDuration == p.ShardDuration) &&
			(p.Replication == 0 || q.Replication == p.Replication) && (!p.Default || d.defaultRP == p.Name) {
			return nil
		}
		return fmt.Errorf("%w: %q.%q", ErrRetentionPolicyExists, dbName, p.Name)
	}
	if p.Replication <= 0 {
		p.Replication = 1
	}
	rp := db.newRP(dbName, p)
	nd := d.clone()
	nd.rps[p.Name] = rp
	if p.Default || nd.defaultRP == "" {
		nd.defaultRP = p.Name
	}
	return db.commitCatalog(nd, nil, func() {
		d.rps[p.Name] = rp
		d.defaultRP = nd.defaultRP
		db.state.rps[rp.id] = rp
	})
}

// clone copies d's RP map so a change can be encoded before it is applied.
func (d *database) clone() *database {
	c := *d
	c.rps = make(map[string]*rpState, len(d.rps))
	for k, v := range d.rps {
		c.rps[k] = v
	}
	return &c
}

// AlterRetentionPolicy changes settings of a retention policy.
func (db *DB) AlterRetentionPolicy(dbName, rpName string, u RetentionPolicyUpdate) error {
	if (u.Duration != nil && *u.Duration < 0) || (u.ShardDuration != nil && *u.ShardDuration < 0) {
		return fmt.Errorf("%w: retention policy %q: negative duration", ErrInvalidDuration, rpName)
	}
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.mu.Lock()
	defer db.mu.Unlock()
	d, rp, err := db.lookupRP(dbName, rpName)
	if err != nil {
		return err
	}
	p := rp.policy
	if u.Duration != nil {
		p.Duration = *u.Duration
	}
	if u.ShardDuration != nil {
		p.ShardDuration = *u.ShardDuration
		if p.ShardDuration == 0 {
			p.ShardDuration = db.opts.PartitionDuration
		}
	}
	if u.Replication != nil && *u.Replication > 0 {
		p.Replication = *u.Replication
	}
	nd := d.clone()
	nrp := *rp
	nrp.policy = p
	nd.rps[rp.policy.Name] = &nrp
	if u.Default {
		nd.defaultRP = rp.policy.Name
	}
	return db.commitCatalog(nd, nil, func() {
		rp.policy = p
		d.defaultRP = nd.defaultRP
	})
}

// DropRetentionPolicy deletes a retention policy with all its data and
// index. Metadata of other packages is left alone. Observers see a
// ChangeDropRetentionPolicy in the same batch.
func (db *DB) DropRetentionPolicy(dbName, rpName string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.maint.Lock()
	defer db.maint.Unlock()
	db.mu.Lock()
	defer db.mu.Unlock()
	d, rp, err := db.lookupRP(dbName, rpName)
	if err != nil {
		return err
	}
	nd := d.clone()
	delete(nd.rps, rpName)
	if nd.defaultRP == rpName {
		nd.defaultRP = ""
	}
	b := db.newInternalBatch()
	deleteRPRanges(b.pb, rp.id)
	change := &Change{Kind: ChangeDropRetentionPolicy, Database: dbName, RetentionPolicy: rpName}
	if err := db.observe(b, change); err != nil {
		b.pb.Close()
		return err
	}
	err = db.commitCatalog(nd, b.pb, func() {
		delete(d.rps, rpName)
		d.defaultRP = nd.defaultRP
		delete(db.state.rps, rp.id)
		db.forgetRP(rp.id)
	})
	if err != nil {
		db.aborted(change)
	}
	return err
}

// DropDatabase deletes a database with all its retention policies, data and
// index. Dropping a missing database does nothing, as in InfluxDB.
func (db *DB) DropDatabase(name string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.maint.Lock()
	defer db.maint.Unlock()
	db.mu.Lock()
	defer db.mu.Unlock()
	d := db.state.dbs[name]
	if d == nil {
		return nil
	}
	b := db.newInternalBatch()
	for _, rp := range d.rps {
		deleteRPRanges(b.pb, rp.id)
	}
	_ = b.pb.Delete(d.catalogKey, nil)
	change := &Change{Kind: ChangeDropDatabase, Database: name}
	if err := db.observe(b, change); err != nil {
		b.pb.Close()
		return err
	}
	err := db.commitCatalog(nil, b.pb, func() {
		for _, rp := range d.rps {
			delete(db.state.rps, rp.id)
			db.forgetRP(rp.id)
		}
		delete(db.state.dbs, name)
	})
	if err != nil {
		db.aborted(change)
	}
	return err
}

// deleteRPRanges adds range deletions of all index and data keys of an RP.
func deleteRPRanges(b *pebble.Batch, rp uint32) {
	for _, start := range [][]byte{appendRPIndexPrefix(nil, rp), appendRPDataPrefix(nil, rp)} {
		_ = b.DeleteRange(start, prefixEnd(start), nil)
	}
}

// lookupRP resolves a database and retention policy name ("" = the default
// policy). The caller holds db.mu or db.state.
func (db *DB) lookupRP(dbName, rpName string) (*database, *rpState, error) {
	d := db.state.dbs[dbName]
	if d == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrDatabaseNotFound, dbName)
	}
	if rpName == "" {
		rpName = d.defaultRP
		if rpName == "" {
			return nil, nil, fmt.Errorf("%w: database %q has no default retention policy", ErrRetentionPolicyNotFound, dbName)
		}
	}
	rp := d.rps[rpName]
	if rp == nil {
		return nil, nil, fmt.Errorf("%w: %q.%q", ErrRetentionPolicyNotFound, dbName, rpName)
	}
	return d, rp, nil
}

// RetentionPolicies returns the policies of a database sorted by name.
func (db *DB) RetentionPolicies(dbName string) ([]RetentionPolicy, error) {
	info, err := db.Database(dbName)
	return info.RetentionPolicies, err
}

// partitionFor returns the partition holding t, or a new one aligned to the
// policy's shard duration and clipped to its neighbours, with new true.
// parts must be sorted and non-overlapping.
func partitionFor(parts []partition, t int64, d time.Duration) (p partition, i int, isNew bool) {
	i, found := slices.BinarySearchFunc(parts, t, func(p partition, t int64) int {
		switch {
		case p.last < t:
			return -1
		case p.start > t:
			return 1
		}
		return 0
	})
	if found {
		return parts[i], i, false
	}
	p.start, p.last = alignPartition(t, int64(d))
	if i > 0 && parts[i-1].last >= p.start {
		p.start = parts[i-1].last + 1
	}
	if i < len(parts) && parts[i].start <= p.last {
		p.last = parts[i].start - 1
	}
	return p, i, true
}

// alignPartition returns the bounds of the partition of length d holding t,
// aligned to multiples of d since the epoch and clamped to the int64 range.
func alignPartition(t, d int64) (start, last int64) {
	q := t / d
	if t%d != 0 && t < 0 {
		q--
	}
	if q < minInt64/d {
		start = minInt64
	} else {
		start = q * d
	}
	if start > maxInt64-d+1 {
		last = maxInt64
	} else {
		last = start + d - 1
	}
	return start, last
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)
