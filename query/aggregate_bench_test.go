package query

import (
	"testing"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage/chunk"
)

// BenchmarkAddColumnsInts folds a day of 10 s integer values (one TSBS
// series field, 8,640 points) into one-minute buckets of each function,
// as a query without a field condition does batch by batch.
func BenchmarkAddColumnsInts(b *testing.B) {
	cols := &chunk.Columns{Type: model.TypeInteger}
	for i := range 8640 {
		cols.Times = append(cols.Times, int64(i)*int64(10*time.Second))
		cols.Ints = append(cols.Ints, int64((i*37)%101))
	}
	iv := Interval{Duration: int64(time.Minute)}
	for _, f := range []aggregate.Func{aggregate.Max, aggregate.Mean, aggregate.Count, aggregate.Last} {
		b.Run(f.String(), func(b *testing.B) {
			call := Call{Func: f, Field: "v"}
			b.ReportAllocs()
			for b.Loop() {
				acc := bucketAcc{call: &call, typ: model.TypeInteger, iv: iv}
				addColumns(cols, iv, []*bucketAcc{&acc})
				if len(acc.buckets) != 1440 {
					b.Fatalf("%d buckets", len(acc.buckets))
				}
			}
		})
	}
}
