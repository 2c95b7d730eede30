package storage

import (
	"errors"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// abortObserver records the changes it accepts and those it is told
// aborted; it rejects the changes reject returns true for.
type abortObserver struct {
	name     string
	reject   func(*Change) bool
	accepted []*Change
	aborted  []*Change
}

var errRejected = errors.New("rejected")

func (o *abortObserver) BeforeCommit(b *Batch, c *Change) error {
	if o.reject != nil && o.reject(c) {
		return errRejected
	}
	o.accepted = append(o.accepted, c)
	return b.SetMeta("obs", []byte(o.name), []byte{byte(len(o.accepted))})
}

func (o *abortObserver) Aborted(c *Change) { o.aborted = append(o.aborted, c) }

func TestAbortObserver(t *testing.T) {
	db := openTestDB(t, &Options{PartitionDuration: time.Hour})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	rejectHost := func(host string) func(*Change) bool {
		return func(c *Change) bool {
			for _, ws := range c.Writes {
				for _, p := range ws.Points {
					if v, _ := p.Tags.Get("host"); v == host {
						return true
					}
				}
			}
			return c.Kind == ChangeDelete
		}
	}
	first := &abortObserver{name: "first"}
	second := &abortObserver{name: "second", reject: rejectHost("b")}
	db.AddObserver(first)
	db.AddObserver(second)

	// Accepted by both: committed, nobody aborted.
	mustWrite(t, db, "", pt("cpu", 10, []string{"host", "a"}, fv("v", model.Int(1))))
	if len(first.accepted) != 1 || len(second.accepted) != 1 || len(first.aborted) != 0 || len(second.aborted) != 0 {
		t.Fatalf("after commit: first %d/%d, second %d/%d", len(first.accepted), len(first.aborted), len(second.accepted), len(second.aborted))
	}

	// Rejected by the second: the first is told, with the same change,
	// and nothing is written.
	err := db.Write("db", "", []model.Point{pt("cpu", 20, []string{"host", "b"}, fv("v", model.Int(2)))})
	if !errors.Is(err, errRejected) {
		t.Fatalf("write: %v", err)
	}
	if len(first.accepted) != 2 || len(first.aborted) != 1 || first.aborted[0] != first.accepted[1] {
		t.Fatalf("first: accepted %d, aborted %v", len(first.accepted), first.aborted)
	}
	if c := first.aborted[0]; c.Kind != ChangeWrite || len(c.Writes) != 1 || c.Writes[0].Points[0].Time != 20 {
		t.Fatalf("aborted change: %+v", c)
	}
	if len(second.aborted) != 0 {
		t.Fatalf("the rejecting observer was told: %v", second.aborted)
	}
	if s, _ := db.Series("db", "", "cpu", nil); len(s) != 1 {
		t.Fatalf("series after aborted write: %v", s)
	}
	if v, ok, err := db.GetMeta("obs", []byte("first")); err != nil || !ok || len(v) != 1 || v[0] != 1 {
		t.Fatalf("meta of the aborted batch: %v %v %v", v, ok, err)
	}

	// An aborted delete is reported too and deletes nothing.
	if err := db.DeleteSeries("db", "", "cpu", nil, 0, 100); !errors.Is(err, errRejected) {
		t.Fatalf("delete: %v", err)
	}
	if len(first.aborted) != 2 || first.aborted[1].Kind != ChangeDelete || first.aborted[1] != first.accepted[2] {
		t.Fatalf("first after delete: %v", first.aborted)
	}
	if s, _ := db.Series("db", "", "cpu", nil); len(s) != 1 {
		t.Fatalf("series after aborted delete: %v", s)
	}

	// A later successful change aborts nothing.
	second.reject = nil
	mustWrite(t, db, "", pt("cpu", 30, []string{"host", "b"}, fv("v", model.Int(3))))
	if len(first.aborted) != 2 || len(second.aborted) != 0 {
		t.Fatalf("after commit: %v %v", first.aborted, second.aborted)
	}
	if s, _ := db.Series("db", "", "cpu", nil); len(s) != 2 {
		t.Fatalf("series: %v", s)
	}
}
