// Package retention enforces how long time-series data is kept.
//
// # Policies and definitions
//
// Two kinds of retention apply, both enforced by one [Enforcer]:
//
//   - A retention policy of the storage catalog (storage.RetentionPolicy,
//     created by InfluxQL's CREATE RETENTION POLICY) with a finite Duration
//     keeps every measurement of the policy for that long.
//   - A [Definition] of this package keeps one measurement of one retention
//     policy for its Duration: {"name": "cpu_7d", "database": "db",
//     "measurement": "cpu", "duration": "7d"}. Definitions are stored in the
//     storage's metadata namespace "retention" (docs/format.md, Retention).
//
// A retention only ever deletes data of its own policy or measurement: a
// continuous aggregate's target is affected only by a retention of the
// target's policy or of the target measurement itself. Options.Guard can
// hold back a definition's deletes, for a measurement whose deleted points
// another component would otherwise propagate (a continuous aggregate's
// source); [Enforcer.Duration] tells such a component how long a
// measurement is kept.
//
// # Enforcement
//
// [Enforcer.EnforceOnce] computes, per retention, the cutoff now - Duration
// and removes every point older than it. For a policy it first drops the
// whole partitions that end before the cutoff (storage.DB.DropPartitionsBefore,
// one range deletion) and then deletes the older part of the partition
// straddling the cutoff (storage.DB.DeleteSeries). InfluxDB drops only whole
// shard groups; accrete is exact: after enforcement no point older than the
// cutoff remains. A definition deletes [min, cutoff) of its measurement.
// [Enforcer.Run] enforces every Options.Interval until its context ends.
// Each removal is logged and reported in [Report] and [Enforcer.Metrics].
//
// # Writes
//
// The Enforcer is a storage.Observer: a write batch holding a point older
// than the cutoff of its policy or measurement is rejected as a whole with a
// [*TooOldError] (InfluxDB drops such points too), unless Options.Exempt
// exempts the measurement.
//
// # Concurrency
//
// An Enforcer is safe for concurrent use. Enforcement runs are serialized.
package retention
