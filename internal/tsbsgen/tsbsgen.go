// Package tsbsgen generates the data of the TSBS cpu-only use case, the
// shape the storage and continuous-aggregate benchmarks ingest: [Hosts]
// hosts with 10 tags each, up to [Fields] integer fields per point (random
// walks in 0..100), one point per host every [Interval] from TSBS's
// default start, in batches of [Batch] points that span all hosts, as TSBS
// loaders send them. A day ([Day] steps) is 864,000 points and 8.64 M
// values.
//
// The data are the same on every call: the generator has a fixed seed. The
// package serves benchmarks and tests; no other code imports it (the
// module's layout has no place for it).
package tsbsgen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/accretedb/accrete/model"
)

const (
	// Hosts is the number of hosts, each a series of measurement "cpu".
	Hosts = 100
	// Fields is the number of fields of the use case; CPU writes the first
	// of them.
	Fields = 10
	// Interval is the time between two points of a host.
	Interval = 10 * time.Second
	// Day is the number of steps of Interval in a day.
	Day = 8640
	// Batch is the number of points of a batch.
	Batch = 10000
	// Start is the time of the first step, in Unix seconds:
	// 2016-01-01T00:00:00Z, TSBS's default start.
	Start = 1451606400
)

// FieldNames returns the names of the fields, in the order CPU writes them.
func FieldNames() [Fields]string {
	return [Fields]string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
		"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}
}

// CPU returns steps time steps of the first fields fields for every host,
// in batches of Batch points (the last one possibly shorter), starting at
// Start. Every point has its own field slice; points of one host share
// their tags. CPU panics when steps is negative or fields is not in 1 to
// Fields.
func CPU(steps, fields int) [][]model.Point {
	if steps < 0 {
		panic(fmt.Sprintf("tsbsgen: %d steps is negative", steps))
	}
	if fields < 1 || fields > Fields {
		panic(fmt.Sprintf("tsbsgen: %d fields is not in 1 to %d", fields, Fields))
	}
	names := FieldNames()
	r := rand.New(rand.NewPCG(42, 42))
	regions := []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}
	tags := make([]model.Tags, Hosts)
	walk := make([][Fields]float64, Hosts)
	for h := range Hosts {
		region := regions[r.IntN(len(regions))]
		tags[h] = model.Tags{
			{Key: "arch", Value: []string{"x64", "x86"}[r.IntN(2)]},
			{Key: "datacenter", Value: fmt.Sprintf("%s%c", region, 'a'+r.IntN(3))},
			{Key: "hostname", Value: fmt.Sprintf("host_%d", h)},
			{Key: "os", Value: []string{"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"}[r.IntN(3)]},
			{Key: "rack", Value: fmt.Sprint(r.IntN(100))},
			{Key: "region", Value: region},
			{Key: "service", Value: fmt.Sprint(r.IntN(20))},
			{Key: "service_environment", Value: []string{"production", "staging", "test"}[r.IntN(3)]},
			{Key: "service_version", Value: fmt.Sprint(r.IntN(2))},
			{Key: "team", Value: []string{"SF", "NYC", "LON", "CHI"}[r.IntN(4)]},
		}
		for f := range Fields {
			walk[h][f] = r.Float64() * 100
		}
	}
	var out [][]model.Point
	var batch []model.Point
	for step := range steps {
		ts := Start*int64(time.Second) + int64(step)*int64(Interval)
		for h := range Hosts {
			fs := make([]model.Field, fields)
			for f := range fields {
				// TSBS: a random walk with N(0,1) steps clamped to
				// [0, 100], written as integers.
				v := min(100, max(0, walk[h][f]+r.NormFloat64()))
				walk[h][f] = v
				fs[f] = model.Field{Key: names[f], Value: model.Int(int64(v))}
			}
			batch = append(batch, model.Point{Measurement: "cpu", Tags: tags[h], Fields: fs, Time: ts})
			if len(batch) == Batch {
				out = append(out, batch)
				batch = nil
			}
		}
	}
	if len(batch) > 0 {
		out = append(out, batch)
	}
	return out
}
