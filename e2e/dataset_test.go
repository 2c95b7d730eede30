package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// t0 is the start of the historical part of the test dataset, the start
// of TSBS's default day.
var t0 = time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)

// batch is one write request of the dataset.
type batch struct {
	precision string // the precision parameter
	gzip      bool   // send the body gzip-compressed
	body      string
}

// cpuFields are the fields of TSBS's cpu measurement.
var cpuFields = []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
	"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}

// dataset returns the writes of the differential test, deterministic except
// for the measurement "recent", whose points lie in the hour before now:
//
//   - cpu: TSBS's cpu-only shape, 8 hosts (tags hostname, region,
//     datacenter) with 10 integer fields every 10 s for 2 h from t0; host_3
//     has a gap from 00:30 to 00:50. Precision s, every other batch gzipped.
//   - mem: 3 hosts at irregular times (every 30 s plus up to 10 s of jitter,
//     millisecond precision) with a float, an integer, a string and a
//     boolean field; host_1 has a gap from 00:40 to 01:10.
//   - recent: one point a minute for the last 50 minutes, nanosecond
//     precision.
func dataset(now time.Time) []batch {
	rng := rand.New(rand.NewPCG(1, 2))
	var batches []batch
	var b strings.Builder
	lines := 0
	flush := func(precision string) {
		if lines == 0 {
			return
		}
		batches = append(batches, batch{precision: precision, gzip: len(batches)%2 == 1, body: b.String()})
		b.Reset()
		lines = 0
	}
	regions := []string{"us-east-1", "us-west-1", "eu-central-1"}
	for ts := t0; ts.Before(t0.Add(2 * time.Hour)); ts = ts.Add(10 * time.Second) {
		for h := range 8 {
			if h == 3 && !ts.Before(t0.Add(30*time.Minute)) && ts.Before(t0.Add(50*time.Minute)) {
				continue
			}
			fmt.Fprintf(&b, "cpu,hostname=host_%d,region=%s,datacenter=%s%c ", h, regions[h%3], regions[h%3], 'a'+rune(h%2))
			for i, f := range cpuFields {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%s=%di", f, rng.IntN(101))
			}
			fmt.Fprintf(&b, " %d\n", ts.Unix())
			if lines++; lines == 1000 {
				flush("s")
			}
		}
	}
	flush("s")
	statuses := []string{"ok", "warn", "crit"}
	for k := range 240 {
		for h := range 3 {
			ts := t0.Add(time.Duration(k)*30*time.Second + time.Duration(rng.IntN(10000))*time.Millisecond)
			if h == 1 && !ts.Before(t0.Add(40*time.Minute)) && ts.Before(t0.Add(70*time.Minute)) {
				continue
			}
			fmt.Fprintf(&b, "mem,host=host_%d used_percent=%.3f,available=%di,status=%q,healthy=%t %d\n",
				h, 20+rng.Float64()*70, rng.IntN(1<<30), statuses[rng.IntN(3)], rng.IntN(4) != 0, ts.UnixMilli())
			lines++
		}
	}
	flush("ms")
	for m := 50; m >= 1; m-- {
		fmt.Fprintf(&b, "recent,host=host_%d v=%di,x=%g %d\n", m%2, m, float64(m)/4, now.Add(-time.Duration(m)*time.Minute).UnixNano())
		lines++
	}
	flush("ns")
	return batches
}

// writeDataset creates database db on the server at base and writes the
// dataset to it, failing the test on any error.
func writeDataset(t *testing.T, base, db string, batches []batch) {
	t.Helper()
	mustQuery(t, base, "CREATE DATABASE "+db)
	for i, bt := range batches {
		body := []byte(bt.body)
		var hdr []string
		if bt.gzip {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			body = buf.Bytes()
			hdr = []string{"Content-Encoding", "gzip"}
		}
		code, resp := post(t, base+"/write?consistency=all&db="+db+"&precision="+bt.precision, "text/plain", bytes.NewReader(body), hdr...)
		if code != 204 {
			t.Fatalf("%s: write batch %d: %d %s", base, i, code, resp)
		}
	}
}
