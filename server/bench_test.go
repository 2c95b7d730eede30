package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/influxcompat"
)

// tsbsBody returns a gzipped TSBS cpu-only batch: rows rows of 100 hosts
// with 10 tags and 10 integer fields, starting at 10 s step start.
func tsbsBody(rows, start int) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	t0 := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := range rows {
		h := i % 100
		step := start + i/100
		fmt.Fprintf(zw, "cpu,hostname=host_%d,region=eu-west-1,datacenter=eu-west-1b,rack=%d,os=Ubuntu16.04LTS,arch=x64,team=NYC,service=%d,service_version=0,service_environment=production "+
			"usage_user=%di,usage_system=%di,usage_idle=%di,usage_nice=%di,usage_iowait=%di,usage_irq=%di,usage_softirq=%di,usage_steal=%di,usage_guest=%di,usage_guest_nice=%di %d\n",
			h, h%7, h%19, (i*7)%100, (i*11)%100, (i*13)%100, i%100, (i*3)%100, (i*5)%100, (i*17)%100, (i*19)%100, (i*23)%100, (i*29)%100,
			t0+int64(step)*int64(10*time.Second))
	}
	zw.Close()
	return buf.Bytes()
}

// BenchmarkWriteTSBS measures /write with TSBS-shaped gzipped batches of
// 1,000 rows (10,000 values) into a real database, without the network.
// The database acknowledges each write after an fsync (the default
// durability), as InfluxDB does by default.
func BenchmarkWriteTSBS(b *testing.B) {
	db, err := accrete.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateDatabase("benchmark"); err != nil {
		b.Fatal(err)
	}
	s := New(&Options{Writer: db, Querier: influxcompat.NewExecutor(db, nil)})
	h := s.Handler()
	const rows = 1000
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body := tsbsBody(rows, i*rows/100)
		req := httptest.NewRequest("POST", "/write?db=benchmark&consistency=all", bytes.NewReader(body))
		req.Header.Set("Content-Encoding", "gzip")
		rec := httptest.NewRecorder()
		b.StartTimer()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("write: %d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}
