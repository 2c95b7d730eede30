package retention

import (
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// BenchmarkWriteChecked measures a 1000-point write batch checked against
// a policy duration and a per-measurement retention, against the same
// write unchecked.
func BenchmarkWriteChecked(b *testing.B) {
	for _, checked := range []bool{false, true} {
		name := "unchecked"
		if checked {
			name = "checked"
		}
		b.Run(name, func(b *testing.B) {
			db := openDB(b, "")
			if err := db.CreateDatabase("db"); err != nil {
				b.Fatal(err)
			}
			if err := db.CreateRetentionPolicy("db", storage.RetentionPolicy{Name: "week", Duration: 7 * 24 * time.Hour, Default: true}); err != nil {
				b.Fatal(err)
			}
			if checked {
				e, err := Open(db, &Options{Clock: func() time.Time { return t0 }})
				if err != nil {
					b.Fatal(err)
				}
				if err := e.Create(Definition{Name: "cpu", Database: "db", Measurement: "cpu", Duration: Duration(24 * time.Hour)}); err != nil {
					b.Fatal(err)
				}
			}
			pts := make([]model.Point, 1000)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				for j := range pts {
					pts[j] = pt("cpu", "a", t0.UnixNano()+int64(i*len(pts)+j))
				}
				if err := db.Write("db", "", pts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
