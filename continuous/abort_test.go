package continuous

import (
	"errors"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// rejectDrops is an observer that rejects every drop of a database or
// retention policy.
type rejectDrops struct{}

var errRejected = errors.New("rejected")

func (rejectDrops) BeforeCommit(_ *storage.Batch, c *storage.Change) error {
	if c.Kind == storage.ChangeDropDatabase || c.Kind == storage.ChangeDropRetentionPolicy {
		return errRejected
	}
	return nil
}

// TestAbortedDropKeepsWatermark drops the target of an aggregate while a
// later observer rejects the drop: the aggregate keeps its watermark, so
// that a late point marks its bucket and the next refresh recomputes just
// that bucket.
func TestAbortedDropKeepsWatermark(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop func(*storage.DB) error
	}{
		{"database", func(db *storage.DB) error { return db.DropDatabase("db") }},
		{"retention policy", func(db *storage.DB) error {
			return db.DropRetentionPolicy("db", storage.DefaultRetentionPolicyName)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := testDB(t, nil)
			e := testEngine(t, db, nil)
			write(t, db, model.Second, "cpu,host=a usage=10 0\ncpu,host=a usage=20 30\ncpu,host=a usage=30 60\ncpu,host=b usage=5 10\n")
			err := e.Register(Definition{Name: "cpu_1m", Database: "db", Source: "cpu", Target: "cpu_1m",
				Interval: Duration(time.Minute), GroupBy: []string{"host"},
				Fields: []Field{{Field: "usage", Function: "mean"}}, Enabled: true})
			if err != nil {
				t.Fatal(err)
			}
			if st := refresh(t, e, "cpu_1m", time.Unix(120, 0)); st.BucketsMaterialized != 3 {
				t.Fatalf("first refresh: %+v", st)
			}
			a := e.cat.Load().byName["cpu_1m"]
			a.mu.Lock()
			w, r := a.mu.watermark, a.mu.retained
			a.mu.Unlock()
			mb := a.markBelow.Load()

			db.AddObserver(rejectDrops{})
			if err := tc.drop(db); !errors.Is(err, errRejected) {
				t.Fatalf("drop: %v, want %v", err, errRejected)
			}
			a.mu.Lock()
			w2, r2 := a.mu.watermark, a.mu.retained
			a.mu.Unlock()
			if w2 != w || r2 != r || a.markBelow.Load() != mb {
				t.Errorf("after the aborted drop: watermark %d, retained %d, markBelow %d; want %d, %d, %d",
					w2, r2, a.markBelow.Load(), w, r, mb)
			}

			write(t, db, model.Second, "cpu,host=a usage=40 45\n")
			st := refresh(t, e, "cpu_1m", time.Unix(120, 0))
			if st.BucketsRecomputed != 1 || st.BucketsMaterialized != 0 {
				t.Errorf("refresh after the late point: %+v, want 1 bucket recomputed", st)
			}
			checkLines(t, dump(t, db, "", "cpu_1m", time.Second),
				"cpu_1m,host=a usage_mean=23.333333333333332 0",
				"cpu_1m,host=a usage_mean=30 60",
				"cpu_1m,host=b usage_mean=5 0")
		})
	}
}
