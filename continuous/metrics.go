package continuous

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns a Prometheus collector of the aggregates' status, one
// series per aggregate (labels aggregate and database), read at every
// scrape:
//
//	accrete_aggregate_last_run_timestamp_seconds      when the last refresh started
//	accrete_aggregate_last_run_duration_seconds       how long it took
//	accrete_aggregate_last_run_success                1, or 0 when it failed
//	accrete_aggregate_lag_seconds                     how far the watermark trails the clock
//	accrete_aggregate_watermark_timestamp_seconds     where materialized buckets end
//	accrete_aggregate_refreshes_total                 refreshes since the engine opened
//	accrete_aggregate_failures_total                  failed refreshes
//	accrete_aggregate_buckets_recomputed_total        dirty (group, bucket) pairs recomputed
//	accrete_aggregate_buckets_materialized_total      closed (group, bucket) pairs materialized
//	accrete_aggregate_buckets_deleted_total           (group, bucket) pairs removed
//	accrete_aggregate_points_read_total               source values and lower-level states read
//	accrete_aggregate_points_written_total            target points written
//	accrete_aggregate_enabled                         1 when the scheduler refreshes it
//	accrete_aggregate_last_error_info                 1, label error: the last refresh's error (only after a failure)
func (e *Engine) Collector() prometheus.Collector { return collector{e} }

type collector struct{ e *Engine }

type metric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(s *Status, enabled bool) float64
}

var metrics = func() []metric {
	labels := []string{"aggregate", "database"}
	m := func(name, help string, typ prometheus.ValueType, f func(*Status, bool) float64) metric {
		return metric{desc: prometheus.NewDesc("accrete_aggregate_"+name, help, labels, nil), typ: typ, value: f}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	unix := func(s *Status) float64 {
		if s.LastRun.IsZero() {
			return 0
		}
		return float64(s.LastRun.UnixNano()) / 1e9
	}
	return []metric{
		m("last_run_timestamp_seconds", "Start of the last refresh, in seconds since the epoch.", gauge, func(s *Status, _ bool) float64 { return unix(s) }),
		m("last_run_duration_seconds", "Duration of the last refresh.", gauge, func(s *Status, _ bool) float64 { return s.LastDuration.Seconds() }),
		m("last_run_success", "1 when the last refresh succeeded (or none ran), 0 when it failed.", gauge, func(s *Status, _ bool) float64 {
			if s.LastError != "" {
				return 0
			}
			return 1
		}),
		m("lag_seconds", "How far the watermark trails the clock.", gauge, func(s *Status, _ bool) float64 { return s.Lag.Seconds() }),
		m("watermark_timestamp_seconds", "End of the materialized buckets, in seconds since the epoch.", gauge, func(s *Status, _ bool) float64 {
			if s.Watermark.IsZero() {
				return 0
			}
			return float64(s.Watermark.UnixNano()) / 1e9
		}),
		m("refreshes_total", "Refreshes since the engine opened.", counter, func(s *Status, _ bool) float64 { return float64(s.Runs) }),
		m("failures_total", "Failed refreshes since the engine opened.", counter, func(s *Status, _ bool) float64 { return float64(s.Failures) }),
		m("buckets_recomputed_total", "Dirty (group, bucket) pairs recomputed.", counter, func(s *Status, _ bool) float64 { return float64(s.BucketsRecomputed) }),
		m("buckets_materialized_total", "Closed (group, bucket) pairs materialized.", counter, func(s *Status, _ bool) float64 { return float64(s.BucketsMaterialized) }),
		m("buckets_deleted_total", "(Group, bucket) pairs removed from the target.", counter, func(s *Status, _ bool) float64 { return float64(s.BucketsDeleted) }),
		m("points_read_total", "Source values and lower-level partial states read.", counter, func(s *Status, _ bool) float64 { return float64(s.PointsRead) }),
		m("points_written_total", "Points written to the target.", counter, func(s *Status, _ bool) float64 { return float64(s.PointsWritten) }),
		m("enabled", "1 when the scheduler refreshes the aggregate.", gauge, func(_ *Status, on bool) float64 {
			if on {
				return 1
			}
			return 0
		}),
	}
}()

// lastErrorDesc carries the error of a failed last refresh as a label.
var lastErrorDesc = prometheus.NewDesc("accrete_aggregate_last_error_info",
	"1 with the error of the last refresh when it failed; absent when it succeeded.",
	[]string{"aggregate", "database", "error"}, nil)

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range metrics {
		ch <- m.desc
	}
	ch <- lastErrorDesc
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	if c.e.closed.Load() {
		return
	}
	now := c.e.clock()
	for _, a := range c.e.cat.Load().order {
		s := a.status(now)
		d := a.cur.Load()
		for _, m := range metrics {
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.value(&s, d.Enabled), d.Name, d.Database)
		}
		if s.LastError != "" {
			ch <- prometheus.MustNewConstMetric(lastErrorDesc, prometheus.GaugeValue, 1, d.Name, d.Database, s.LastError)
		}
	}
}
