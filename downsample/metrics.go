package downsample

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns a Prometheus collector of the configs' status, one
// series per config (labels downsample and database), read at every
// scrape:
//
//	accrete_downsample_open_buckets               buckets held in memory
//	accrete_downsample_open_bytes                 estimated memory of the open buckets
//	accrete_downsample_watermark_timestamp_seconds where written buckets end
//	accrete_downsample_overflowed_total           points beyond MaxOpenBuckets (re-aggregated from storage)
//	accrete_downsample_points_folded_total        points (lower-tier buckets) folded into open buckets
//	accrete_downsample_buckets_written_total      buckets written from memory
//	accrete_downsample_buckets_recomputed_total   buckets re-aggregated from stored data
//	accrete_downsample_buckets_deleted_total      buckets removed because their data is gone
//	accrete_downsample_flushes_total              flushes that wrote something
//	accrete_downsample_last_flush_success         1, or 0 when the last flush failed
//	accrete_downsample_backfill_remaining_buckets buckets of the history still to write (-1 until the first step)
func (e *Engine) Collector() prometheus.Collector { return collector{e} }

type collector struct{ e *Engine }

type metric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(s *Status) float64
}

var metrics = func() []metric {
	labels := []string{"downsample", "database"}
	m := func(name, help string, typ prometheus.ValueType, f func(*Status) float64) metric {
		return metric{desc: prometheus.NewDesc("accrete_downsample_"+name, help, labels, nil), typ: typ, value: f}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	return []metric{
		m("open_buckets", "Open buckets held in memory.", gauge, func(s *Status) float64 { return float64(s.OpenBuckets) }),
		m("open_bytes", "Estimated memory of the open buckets, in bytes.", gauge, func(s *Status) float64 { return float64(s.OpenBytes) }),
		m("watermark_timestamp_seconds", "End of the written buckets, in seconds since the epoch.", gauge, func(s *Status) float64 {
			return float64(s.Watermark.UnixNano()) / 1e9
		}),
		m("overflowed_total", "Points that would have opened a bucket beyond the open-bucket limit.", counter, func(s *Status) float64 { return float64(s.Overflowed) }),
		m("points_folded_total", "Source points (or lower-tier buckets) folded into open buckets.", counter, func(s *Status) float64 { return float64(s.PointsFolded) }),
		m("buckets_written_total", "Buckets written from their open state.", counter, func(s *Status) float64 { return float64(s.BucketsWritten) }),
		m("buckets_recomputed_total", "Buckets re-aggregated from stored data.", counter, func(s *Status) float64 { return float64(s.BucketsRecomputed) }),
		m("buckets_deleted_total", "Buckets removed because their source data is gone.", counter, func(s *Status) float64 { return float64(s.BucketsDeleted) }),
		m("flushes_total", "Flushes that wrote something.", counter, func(s *Status) float64 { return float64(s.Flushes) }),
		m("last_flush_success", "1 when the last flush succeeded (or none ran), 0 when it failed.", gauge, func(s *Status) float64 {
			if s.LastError != "" {
				return 0
			}
			return 1
		}),
		m("backfill_remaining_buckets", "Buckets of the history still to write (-1 until the first step).", gauge, func(s *Status) float64 {
			if s.Backfill == nil {
				return 0
			}
			return float64(s.Backfill.Remaining)
		}),
	}
}()

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range metrics {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	type row struct {
		name, db string
		s        Status
	}
	c.e.mu.Lock()
	rows := make([]row, 0, len(c.e.mu.byName))
	for _, cf := range c.e.mu.byName {
		rows = append(rows, row{cf.cfg.Name, cf.cfg.Database, cf.status()})
	}
	c.e.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	for _, r := range rows {
		for _, m := range metrics {
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.value(&r.s), r.name, r.db)
		}
	}
}
