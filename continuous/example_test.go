package continuous

import (
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// TestExampleLatePoint is EXAMPLES.md §3 against the engine.
func TestExampleLatePoint(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	write(t, db, model.Second, "cpu,host=a usage=10 0\ncpu,host=a usage=20 30\ncpu,host=a usage=30 60\ncpu,host=b usage=5 10\n")
	err := e.Register(Definition{Name: "cpu_1m", Database: "db", Source: "cpu", Target: "cpu_1m",
		Interval: Duration(time.Minute), GroupBy: []string{"host"},
		Fields: []Field{{Field: "usage", Function: "mean"}}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	st := refresh(t, e, "cpu_1m", time.Unix(120, 0))
	if st.BucketsMaterialized != 3 || st.BucketsRecomputed != 0 {
		t.Errorf("first refresh: %+v", st)
	}
	checkLines(t, dump(t, db, "", "cpu_1m", time.Second),
		"cpu_1m,host=a usage_mean=15 0",
		"cpu_1m,host=a usage_mean=30 60",
		"cpu_1m,host=b usage_mean=5 0")

	write(t, db, model.Second, "cpu,host=a usage=40 45\n")
	st = refresh(t, e, "cpu_1m", time.Unix(120, 0))
	if st.BucketsRecomputed != 1 || st.BucketsMaterialized != 0 || st.PointsWritten != 1 {
		t.Errorf("refresh after the late point: %+v, want 1 bucket recomputed and 1 point written", st)
	}
	checkLines(t, dump(t, db, "", "cpu_1m", time.Second),
		"cpu_1m,host=a usage_mean=23.333333333333332 0",
		"cpu_1m,host=a usage_mean=30 60",
		"cpu_1m,host=b usage_mean=5 0")
	st = refresh(t, e, "cpu_1m", time.Unix(120, 0))
	if st.BucketsRecomputed != 0 || st.PointsWritten != 0 {
		t.Errorf("idle refresh: %+v", st)
	}
}
