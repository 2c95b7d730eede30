package influxcompat

import (
	"errors"
	"math"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
	"github.com/accretedb/accrete/storage"
)

// shardDuration returns InfluxDB's default shard group duration for a
// retention duration (0 is infinite).
func shardDuration(d time.Duration) time.Duration {
	switch {
	case d == 0 || d >= 180*24*time.Hour:
		return 7 * 24 * time.Hour
	case d >= 2*24*time.Hour:
		return 24 * time.Hour
	}
	return time.Hour
}

// normalShardDuration returns the shard duration InfluxDB stores for a
// requested one: the default for 0, and at least an hour's default.
func normalShardDuration(shard, d time.Duration) time.Duration {
	switch {
	case shard == 0:
		return shardDuration(d)
	case shard < time.Hour:
		return shardDuration(time.Hour)
	}
	return shard
}

// checkDurations validates a retention duration and shard duration as
// InfluxDB does.
func checkDurations(d, shard time.Duration) error {
	if d != 0 && d < time.Hour {
		return errDurationTooLow
	}
	if d != 0 && shard > d {
		return errIncompatibleDurations
	}
	return nil
}

func (x *execution) createDatabase(s *influxql.CreateDatabaseStatement) error {
	_, err := x.e.store.Database(s.Name)
	exists := err == nil
	if err := x.e.store.CreateDatabase(s.Name); err != nil {
		return err
	}
	if exists && !s.RetentionPolicyCreate {
		return nil
	}
	var d time.Duration
	if s.RetentionPolicyDuration != nil {
		d = *s.RetentionPolicyDuration
	}
	shard := normalShardDuration(s.RetentionPolicyShardGroupDuration, d)
	if err := checkDurations(d, shard); err != nil {
		return err
	}
	repl := 1
	if s.RetentionPolicyReplication != nil {
		repl = *s.RetentionPolicyReplication
	}
	autogen := storage.DefaultRetentionPolicyName
	if s.RetentionPolicyName == "" || s.RetentionPolicyName == autogen {
		// A new database gets InfluxDB's autogen policy: infinite, with
		// week-long shards.
		return x.e.store.AlterRetentionPolicy(s.Name, autogen, storage.RetentionPolicyUpdate{
			Duration: &d, ShardDuration: &shard, Replication: &repl, Default: true,
		})
	}
	err = x.e.store.CreateRetentionPolicy(s.Name, storage.RetentionPolicy{
		Name: s.RetentionPolicyName, Duration: d, ShardDuration: shard, Replication: repl, Default: true,
	})
	if err != nil || exists {
		return err
	}
	// InfluxDB creates only the named policy.
	return x.e.store.DropRetentionPolicy(s.Name, autogen)
}

// dropDatabase deletes a database and, as InfluxDB does, every user's
// privilege on it.
func (x *execution) dropDatabase(name string) error {
	if err := x.e.store.DropDatabase(name); err != nil {
		return err
	}
	if x.e.users == nil {
		return nil
	}
	return x.e.users.DropDatabase(name)
}

func (x *execution) checkDatabase(name string) error {
	if _, err := x.e.store.Database(name); err != nil {
		if errors.Is(err, storage.ErrDatabaseNotFound) {
			return databaseNotFound(name)
		}
		return err
	}
	return nil
}

func (x *execution) createRetentionPolicy(s *influxql.CreateRetentionPolicyStatement) error {
	if err := x.checkDatabase(s.Database); err != nil {
		return err
	}
	shard := normalShardDuration(s.ShardGroupDuration, s.Duration)
	if err := checkDurations(s.Duration, shard); err != nil {
		return err
	}
	err := x.e.store.CreateRetentionPolicy(s.Database, storage.RetentionPolicy{
		Name: s.Name, Duration: s.Duration, ShardDuration: shard, Replication: s.Replication, Default: s.Default,
	})
	if errors.Is(err, storage.ErrRetentionPolicyExists) {
		return errors.New("retention policy already exists")
	}
	return err
}

func (x *execution) alterRetentionPolicy(s *influxql.AlterRetentionPolicyStatement) error {
	if err := x.checkDatabase(s.Database); err != nil {
		return err
	}
	info, _ := x.e.store.Database(s.Database)
	var cur *storage.RetentionPolicy
	for i := range info.RetentionPolicies {
		if info.RetentionPolicies[i].Name == s.Name {
			cur = &info.RetentionPolicies[i]
		}
	}
	if cur == nil {
		return errors.New("retention policy not found")
	}
	d, shard := cur.Duration, cur.ShardDuration
	if s.Duration != nil {
		d = *s.Duration
	}
	if s.ShardGroupDuration != nil {
		shard = normalShardDuration(*s.ShardGroupDuration, d)
	}
	if err := checkDurations(d, shard); err != nil {
		return err
	}
	u := storage.RetentionPolicyUpdate{Replication: s.Replication, Default: s.Default}
	if s.Duration != nil {
		u.Duration = &d
	}
	if s.ShardGroupDuration != nil {
		u.ShardDuration = &shard
	}
	return x.e.store.AlterRetentionPolicy(s.Database, s.Name, u)
}

func (x *execution) dropRetentionPolicy(s *influxql.DropRetentionPolicyStatement) error {
	err := x.e.store.DropRetentionPolicy(s.Database, s.Name)
	// Dropping what does not exist is not an error in InfluxDB.
	if errors.Is(err, storage.ErrDatabaseNotFound) || errors.Is(err, storage.ErrRetentionPolicyNotFound) {
		return nil
	}
	return err
}

func (x *execution) dropMeasurement(s *influxql.DropMeasurementStatement) error {
	db, _, err := x.databaseOf("", "")
	if err != nil {
		return err
	}
	return x.e.store.DropMeasurement(db, s.Name)
}

// deleteSeries runs DELETE and, with drop, DROP SERIES: both take tag
// conditions only; DELETE also takes a time range.
func (x *execution) deleteSeries(sources influxql.Sources, cond influxql.Expr, drop bool) error {
	if drop && influxql.HasTimeExpr(cond) {
		return errors.New("DROP SERIES doesn't support time in WHERE clause")
	}
	db, _, err := x.databaseOf("", "")
	if err != nil {
		return err
	}
	info, _ := x.e.store.Database(db)
	rest, tr, err := splitTime(cond, x.now, nil)
	if err != nil {
		return err
	}
	if err := checkCondition(rest); err != nil {
		return err
	}
	minT, maxT := tr.Min, tr.Max
	if minT == query.MinTime {
		minT = math.MinInt64
	}
	if maxT == query.MaxTime {
		maxT = math.MaxInt64
	}
	if minT > maxT {
		return nil
	}
	sc := metaScope{db: db, tr: query.Unbounded()}
	for _, p := range info.RetentionPolicies {
		sc.rps = append(sc.rps, p.Name)
	}
	type target struct {
		rp, m  string
		filter storage.TagFilter
	}
	var targets []target
	err = x.withSnapshot(func() error {
		names, err := x.measurements(sc, sources)
		if err != nil {
			return err
		}
		for _, m := range names {
			for _, rp := range sc.rps {
				fields, err := x.snap.Fields(db, rp, m)
				if err != nil {
					return err
				}
				fs := fieldSet{}
				for _, f := range fields {
					fs[f.Name] = f.Type
				}
				if !tagOnly(rest, fs) {
					return errors.New("fields not supported in WHERE clause during deletion")
				}
				c, err := convertCond(rest, fs)
				if err != nil {
					return err
				}
				targets = append(targets, target{rp, m, seriesFilter(c)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range targets {
		if err := x.e.store.DeleteSeries(db, t.rp, t.m, t.filter, minT, maxT); err != nil {
			return err
		}
	}
	if minT == math.MinInt64 && maxT == math.MaxInt64 {
		return nil // the storage dropped the series from the index
	}
	// Series left without data leave the index, as in InfluxDB.
	for _, t := range targets {
		if err := x.dropEmptySeries(db, t.rp, t.m, t.filter); err != nil {
			return err
		}
	}
	return nil
}

// dropEmptySeries removes the series of a measurement matching filter that
// have no values left.
func (x *execution) dropEmptySeries(db, rp, m string, filter storage.TagFilter) error {
	empty := map[string]bool{}
	err := x.withSnapshot(func() error {
		series, err := x.snap.Series(db, rp, m, filter)
		if err != nil {
			return err
		}
		fields, err := x.snap.Fields(db, rp, m)
		if err != nil {
			return err
		}
		cur := x.snap.NewCursor()
		defer cur.Close()
	next:
		for _, s := range series {
			for _, f := range fields {
				if err := cur.Seek(db, rp, s.ID, f.ID, math.MinInt64, math.MaxInt64); err != nil {
					return err
				}
				if cur.Next() {
					continue next
				}
				if err := cur.Err(); err != nil {
					return err
				}
			}
			empty[s.Key] = true
		}
		return nil
	})
	if err != nil || len(empty) == 0 {
		return err
	}
	return x.e.store.DeleteSeries(db, rp, m, seriesKeys{m, empty}, math.MinInt64, math.MaxInt64)
}

// seriesKeys matches the series of a measurement whose keys are in a set.
type seriesKeys struct {
	measurement string
	keys        map[string]bool
}

func (f seriesKeys) Match(tags model.Tags) bool {
	return f.keys[string(model.AppendSeriesKey(nil, f.measurement, tags))]
}
