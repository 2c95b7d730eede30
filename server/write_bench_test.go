package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/storage"
	"github.com/klauspost/compress/gzip"
)

// httpBatches is the number of 10,000-line bodies one iteration of
// BenchmarkHTTPWriteTSBS posts: 200,000 rows, 2,000 time steps of 100 hosts.
const httpBatches = 20

var (
	httpBodiesOnce sync.Once
	httpBodies     [][]byte
)

// tsbsHTTPBodies returns gzipped TSBS cpu-only bodies of 10,000 lines
// (100 time steps of 100 hosts, 10 tags in TSBS's order, 10 integer
// fields), compressed as the TSBS loader does (default level).
func tsbsHTTPBodies() [][]byte {
	httpBodiesOnce.Do(func() {
		t0 := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		var line []byte
		for k := range httpBatches {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			for i := range 10000 {
				h := i % 100
				step := k*100 + i/100
				line = fmt.Appendf(line[:0], "cpu,hostname=host_%d,region=eu-west-1,datacenter=eu-west-1%c,rack=%d,os=Ubuntu16.04LTS,arch=x64,team=NYC,service=%d,service_version=%d,service_environment=production "+
					"usage_user=%di,usage_system=%di,usage_idle=%di,usage_nice=%di,usage_iowait=%di,usage_irq=%di,usage_softirq=%di,usage_steal=%di,usage_guest=%di,usage_guest_nice=%di %d\n",
					h, 'a'+h%3, h%97, h%19, h%2, (i*7)%100, (i*11)%100, (i*13)%100, i%100, (i*3)%100, (i*5)%100, (i*17)%100, (i*19)%100, (i*23)%100, (i*29)%100,
					t0+int64(step)*int64(10*time.Second))
				zw.Write(line)
			}
			zw.Close()
			httpBodies = append(httpBodies, buf.Bytes())
		}
	})
	return httpBodies
}

// BenchmarkHTTPWriteTSBS measures the whole /write path as the TSBS loader
// drives it: a real server on 127.0.0.1:0 over a real database, two
// clients posting gzipped 10,000-line bodies concurrently, in the default
// durability (every_write: each request is acknowledged after an fsync)
// and in periodic. Each iteration loads 200,000 rows (2 M values) into a
// fresh database.
func BenchmarkHTTPWriteTSBS(b *testing.B) {
	bodies := tsbsHTTPBodies()
	for _, d := range []storage.Durability{storage.DurabilityEveryWrite, storage.DurabilityPeriodic} {
		b.Run("durability="+d.String(), func(b *testing.B) {
			b.ReportAllocs()
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				db, err := accrete.Open(b.TempDir(), &accrete.Options{Storage: storage.Options{Durability: d}})
				if err != nil {
					b.Fatal(err)
				}
				if err := db.CreateDatabase("benchmark"); err != nil {
					b.Fatal(err)
				}
				hs := httptest.NewServer(New(&Options{Writer: db}).Handler())
				client := hs.Client()
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				errs := make(chan error, 2)
				for w := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := w; i < len(bodies); i += 2 {
							req, _ := http.NewRequest("POST", hs.URL+"/write?db=benchmark&consistency=all", bytes.NewReader(bodies[i]))
							req.Header.Set("Content-Encoding", "gzip")
							req.Header.Set("Content-Type", "text/plain")
							resp, err := client.Do(req)
							if err != nil {
								errs <- err
								return
							}
							resp.Body.Close()
							if resp.StatusCode != http.StatusNoContent {
								errs <- fmt.Errorf("status %d", resp.StatusCode)
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed += time.Since(start)
				b.StopTimer()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				hs.Close()
				db.Close()
				b.StartTimer()
			}
			rows := float64(b.N) * httpBatches * 10000
			b.ReportMetric(rows*10/elapsed.Seconds(), "values/s")
			b.ReportMetric(rows/elapsed.Seconds(), "rows/s")
		})
	}
}
