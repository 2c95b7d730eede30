package model

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// tsbsBatch returns n lines of the TSBS cpu-only shape: 100 hosts with 10
// tags each and 10 integer fields, one line per host and 10 s step.
func tsbsBatch(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := 0; i < n; i++ {
		h := i % 100
		fmt.Fprintf(&b, "cpu,hostname=host_%d,region=eu-west-%d,datacenter=eu-west-%db,rack=%d,os=Ubuntu16.10,arch=x64,team=SF,service=%d,service_version=1,service_environment=production ",
			h, h%3, h%3, h%97, h%19)
		for f := 0; f < 10; f++ {
			if f > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "usage_%d=%di", f, rng.IntN(101))
		}
		fmt.Fprintf(&b, " %d\n", int64(1451606400+10*(i/100))*1e9)
	}
	return []byte(b.String())
}

func BenchmarkParseLinesTSBS(b *testing.B) {
	data := tsbsBatch(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		ps, err := ParseLines(data, ParseOptions{})
		if err != nil || len(ps) != 10000 {
			b.Fatal(err, len(ps))
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "values/s")
}
