package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// TestWriteDecodedAgainstModel writes random batches as line protocol
// decoded by a model.Decoder through WriteDecoded and compares the stored
// data with the reference model; observers must see the points ParseLines
// gives for the same bodies.
func TestWriteDecodedAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	db := openTestDB(t, &Options{Durability: DurabilityNone, PartitionDuration: time.Hour, MaxBlocks: 4, MaxChunkPoints: 32})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRetentionPolicy("db", RetentionPolicy{Name: "short", ShardDuration: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	o := &recordingObserver{}
	db.AddObserver(o)
	rps := []string{"autogen", "short"}
	m := newRefModel()
	var dec model.Decoder
	for step := range 60 {
		rp := rps[r.IntN(len(rps))]
		var body []byte
		for _, p := range randomPoints(r, 1+r.IntN(60)) {
			body = model.AppendLine(body, &p)
		}
		want, err := model.ParseLines(body, model.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := dec.Decode(body, model.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.WriteDecoded("db", rp, d); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		m.write(rp, want)
		c := o.changes[len(o.changes)-1]
		if c.Kind != ChangeWrite || len(c.Writes) != 1 || c.Writes[0].RetentionPolicy != rp || !equalPoints(c.Writes[0].Points, want) {
			t.Fatalf("step %d: observer saw %+v", step, c)
		}
		if step%20 == 19 {
			checkAgainstModel(t, db, m, rps, r, fmt.Sprintf("step %d", step))
		}
	}
	if err := db.Compact(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkAgainstModel(t, db, m, rps, r, "after compaction")
}

func equalPoints(a, b []model.Point) bool {
	return slices.EqualFunc(a, b, func(x, y model.Point) bool {
		return x.Measurement == y.Measurement && x.Time == y.Time && slices.Equal(x.Tags, y.Tags) &&
			slices.EqualFunc(x.Fields, y.Fields, func(f, g model.Field) bool { return f.Key == g.Key && f.Value.Equal(g.Value) })
	})
}

// TestWriteDecodedErrors checks that WriteDecoded fails like Write and
// writes nothing: a type conflict within the batch or with stored data, an
// unknown database, and a Decoded whose points do not match their series.
func TestWriteDecodedErrors(t *testing.T) {
	db := openTestDB(t, nil)
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	var dec model.Decoder
	decode := func(body string) *model.Decoded {
		t.Helper()
		d, err := dec.Decode([]byte(body), model.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if err := db.WriteDecoded("db", "", decode("cpu,host=a v=1i 10\n")); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		"cpu,host=b v=2i 20\ncpu,host=b v=2.5 30\n", // conflict within the batch
		"cpu,host=c w=1i 20\ncpu,host=c v=2.5 30\n", // conflict with the stored type
	} {
		var fe *FieldTypeConflictError
		err := db.WriteDecoded("db", "", decode(body))
		if !errors.As(err, &fe) || fe.Field != "v" || fe.Existing != model.TypeInteger || fe.Written != model.TypeFloat {
			t.Fatalf("%q: got %v, want a conflict of field v", body, err)
		}
		// Write fails the same way.
		pts, _ := model.ParseLines([]byte(body), model.ParseOptions{})
		if werr := db.Write("db", "", pts); werr == nil || werr.Error() != err.Error() {
			t.Fatalf("%q: Write failed with %v, WriteDecoded with %v", body, werr, err)
		}
	}
	if err := db.WriteDecoded("nope", "", decode("cpu v=1i 1\n")); !errors.Is(err, ErrDatabaseNotFound) {
		t.Fatalf("unknown database: %v", err)
	}
	d := decode("cpu,host=a v=1i 40\ncpu,host=b v=2i 40\n")
	d.SeriesOf[1] = 0 // point 1 is not of series 0
	if err := db.WriteDecoded("db", "", d); !errors.Is(err, ErrInvalidPoint) {
		t.Fatalf("inconsistent series: %v", err)
	}
	d = decode("cpu,host=a v=1i 40\n")
	d.Series[0].First = 3
	if err := db.WriteDecoded("db", "", d); !errors.Is(err, ErrInvalidPoint) {
		t.Fatalf("bad first point: %v", err)
	}
	series, err := db.Series("db", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || series[0].Key != "cpu,host=a" {
		t.Fatalf("series after failed writes: %v", series)
	}
	if got := readInts(t, db, "", "cpu,host=a", "v"); !slices.Equal(got, []string{"10=1"}) {
		t.Fatalf("stored values after failed writes: %v", got)
	}
}
