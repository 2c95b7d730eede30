package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/accretedb/accrete/storage"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus metrics of one Server, in a registry of its
// own.
type metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec   // by handler and code
	latency         *prometheus.HistogramVec // by handler
	pointsWritten   prometheus.Counter
	writeErrors     prometheus.Counter
	queryStatements prometheus.Counter
}

func newMetrics(stats StatsSource) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accrete_http_requests_total",
			Help: "HTTP requests by handler and status code.",
		}, []string{"handler", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accrete_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by handler.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"handler"}),
		pointsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accrete_points_written_total",
			Help: "Points stored through /write.",
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accrete_write_errors_total",
			Help: "/write requests rejected or failed; none of their points were stored.",
		}),
		queryStatements: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accrete_query_statements_total",
			Help: "InfluxQL statements answered through /query.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.pointsWritten, m.writeErrors, m.queryStatements,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		m.reg.MustRegister(newStorageCollector(stats))
	}
	return m
}

// observeRequest records one answered request.
func (m *metrics) observeRequest(handler string, code int, d time.Duration) {
	m.requests.WithLabelValues(handler, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(handler).Observe(d.Seconds())
}

// handler serves the registry in the Prometheus exposition format.
func (m *metrics) handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		m.observeRequest("metrics", http.StatusOK, time.Since(start))
	})
}

// storageCollector exports a StatsSource's statistics, reading them once
// per scrape.
type storageCollector struct {
	stats StatsSource
	descs []storageMetric
}

// storageMetric is one exported field of storage statistics.
type storageMetric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(*storage.Stats) float64
}

func newStorageCollector(stats StatsSource) *storageCollector {
	g := func(name, help string, typ prometheus.ValueType, f func(*storage.Stats) float64) storageMetric {
		return storageMetric{desc: prometheus.NewDesc(name, help, nil, nil), typ: typ, value: f}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	return &storageCollector{stats: stats, descs: []storageMetric{
		g("accrete_storage_databases", "Databases in the catalog.", gauge, func(s *storage.Stats) float64 { return float64(s.Databases) }),
		g("accrete_storage_retention_policies", "Retention policies of all databases.", gauge, func(s *storage.Stats) float64 { return float64(s.RetentionPolicies) }),
		g("accrete_storage_series", "Series in all indexes.", gauge, func(s *storage.Stats) float64 { return float64(s.Series) }),
		g("accrete_storage_partitions", "Time partitions holding data.", gauge, func(s *storage.Stats) float64 { return float64(s.Partitions) }),
		g("accrete_storage_pending_compaction_partitions", "Partitions that may hold recent blocks waiting for compaction.", gauge, func(s *storage.Stats) float64 { return float64(s.PendingCompaction) }),
		g("accrete_storage_disk_bytes", "Bytes of the storage directory.", gauge, func(s *storage.Stats) float64 { return float64(s.DiskBytes) }),
		g("accrete_storage_write_batches_total", "Write batches committed since start.", counter, func(s *storage.Stats) float64 { return float64(s.Batches) }),
		g("accrete_storage_values_written_total", "Field values written since start.", counter, func(s *storage.Stats) float64 { return float64(s.Values) }),
		g("accrete_storage_compactions_total", "Series fields compacted since start.", counter, func(s *storage.Stats) float64 { return float64(s.Compactions) }),
		g("accrete_storage_compacted_keys_total", "Blocks and chunks folded by compaction since start.", counter, func(s *storage.Stats) float64 { return float64(s.CompactedKeys) }),
		g("accrete_storage_wal_flushes_total", "Memtable flushes that released the write-ahead log after compaction since start.", counter, func(s *storage.Stats) float64 { return float64(s.WALFlushes) }),
		g("accrete_storage_deletes_total", "Delete and drop operations since start.", counter, func(s *storage.Stats) float64 { return float64(s.Deletes) }),
		g("accrete_storage_dropped_partitions_total", "Partitions dropped since start.", counter, func(s *storage.Stats) float64 { return float64(s.DroppedPartitions) }),
	}}
}

// Describe implements prometheus.Collector.
func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.desc
	}
}

// Collect implements prometheus.Collector.
func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats.Stats()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.desc, d.typ, d.value(&s))
	}
}
