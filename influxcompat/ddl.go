package influxcompat

import (
	"errors"
	"math"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/query"
	"github.com/accretedb/accrete/storage"
)

// Errors of retention policy statements, with InfluxDB's texts.
var (
	errDurationTooLow        = errors.New("retention policy duration must be at least 1h0m0s")
	errIncompatibleDurations = errors.New("retention policy duration must be greater than the shard duration")
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
	if err := x.e.store.CreateDatabase(s.Name); err != nil {
		return err
	}
	if !s.RetentionPolicyCreate {
		return nil
	}
	var d time.Duration
	if s.RetentionPolicyDuration != nil {
		d = *s.RetentionPolicyDuration
	}
	shard := s.RetentionPolicyShardGroupDuration
	if shard == 0 {
		shard = shardDuration(d)
	}
	if err := checkDurations(d, shard); err != nil {
		return err
	}
	repl := 1
	if s.RetentionPolicyReplication != nil {
		repl = *s.RetentionPolicyReplication
	}
	if s.RetentionPolicyName == "" || s.RetentionPolicyName == storage.DefaultRetentionPolicyName {
		return x.e.store.AlterRetentionPolicy(s.Name, storage.DefaultRetentionPolicyName, storage.RetentionPolicyUpdate{
			Duration: &d, ShardDuration: &shard, Replication: &repl, Default: true,
		})
	}
	return x.e.store.CreateRetentionPolicy(s.Name, storage.RetentionPolicy{
		Name: s.RetentionPolicyName, Duration: d, ShardDuration: shard, Replication: repl, Default: true,
	})
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
	shard := s.ShardGroupDuration
	if shard == 0 {
		shard = shardDuration(s.Duration)
	}
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
		shard = *s.ShardGroupDuration
		if shard == 0 {
			shard = shardDuration(d)
		}
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
	x.snap, err = query.NewSnapshot(x.e.store)
	if err != nil {
		return err
	}
	defer func() {
		x.snap.Close()
		x.snap = nil
	}()
	sc := metaScope{db: db}
	for _, p := range info.RetentionPolicies {
		sc.rps = append(sc.rps, p.Name)
	}
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
			if err := x.e.store.DeleteSeries(db, rp, m, seriesFilter(c), minT, maxT); err != nil {
				return err
			}
		}
	}
	return nil
}
