package accrete_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

func openDB(t *testing.T, opts *accrete.Options) *accrete.DB {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	return db
}

// snapshot is everything a test can observe of the database's contents:
// every series key with every field's values.
func snapshot(t *testing.T, db *accrete.DB) []string {
	t.Helper()
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	series, err := db.Series("db", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range series {
		fields, err := db.FieldKeys("db", "", s.Measurement)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			cols, err := r.ReadAll("db", "", s.ID, f.ID, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			line := s.Key + " " + f.Name + ":" + f.Type.String()
			for i := range cols.Times {
				line += " " + cols.Value(i).String()
			}
			out = append(out, line)
		}
	}
	m, err := db.Measurements("db", "")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "measurements: "+strings.Join(m, ","))
	return out
}

func TestWriteLineProtocolRoundTrip(t *testing.T) {
	db := openDB(t, nil)
	body := "cpu,host=a,region=west usage=0.5,n=3i,ok=true,msg=\"hi\",u=7u 1000\n" +
		"cpu,host=a,region=west usage=0.75 2000\n" +
		"cpu,host=b usage=1 1\n"
	if err := db.WriteLineProtocol("db", "", []byte(body), model.Nanosecond); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, db)
	want := []string{
		"cpu,host=a,region=west msg:string \"hi\"",
		"cpu,host=a,region=west n:integer 3i",
		"cpu,host=a,region=west ok:boolean true",
		"cpu,host=a,region=west u:unsigned 7u",
		"cpu,host=a,region=west usage:float 0.5 0.75",
		"cpu,host=b msg:string",
		"cpu,host=b n:integer",
		"cpu,host=b ok:boolean",
		"cpu,host=b u:unsigned",
		"cpu,host=b usage:float 1",
		"measurements: cpu",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Writing the same series, field and time again replaces the value.
	if err := db.WriteLineProtocol("db", "autogen", []byte("cpu,region=west,host=a usage=9 2\n"), model.Microsecond); err != nil {
		t.Fatal(err)
	}
	got = snapshot(t, db)
	if got[4] != "cpu,host=a,region=west usage:float 0.5 9" {
		t.Fatalf("after overwrite: %q", got[4])
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	huge := "cpu,host=a usage=1 1\ncpu,host=b msg=\"" + strings.Repeat("x", 2048) + "\" 2\n"
	for _, tc := range []struct {
		name string
		body string
		// check inspects the error.
		check func(t *testing.T, err error)
	}{
		{"malformed line", "cpu,host=a usage=1 1\ncpu,host=b usage= 2\nmem free=1i 3\n", func(t *testing.T, err error) {
			var le *model.LineError
			if !errors.As(err, &le) || le.Line != 2 {
				t.Fatalf("want a *model.LineError on line 2, got %v", err)
			}
			if !strings.HasPrefix(err.Error(), "line 2:") {
				t.Fatalf("message %q does not name line 2", err)
			}
		}},
		{"bad timestamp", "cpu,host=a usage=1 1\ncpu usage=2 12x\n", func(t *testing.T, err error) {
			var le *model.LineError
			if !errors.As(err, &le) || le.Line != 2 {
				t.Fatalf("want a *model.LineError on line 2, got %v", err)
			}
		}},
		{"type conflict with stored field", "mem,host=new free=1i 5\ncpu,host=new usage=2i 5\n", func(t *testing.T, err error) {
			const want = `field type conflict: measurement "cpu" field "usage" is float, write has integer`
			if err == nil || err.Error() != want {
				t.Fatalf("got %v, want %s", err, want)
			}
			var fe *storage.FieldTypeConflictError
			if !errors.As(err, &fe) || fe.Measurement != "cpu" || fe.Field != "usage" ||
				fe.Existing != model.TypeFloat || fe.Written != model.TypeInteger {
				t.Fatalf("got %#v", err)
			}
			if !errors.Is(err, storage.ErrFieldTypeConflict) {
				t.Fatal("not ErrFieldTypeConflict")
			}
		}},
		{"type conflict within the batch", "disk,host=a used=1i 1\ndisk,host=b used=2.5 2\n", func(t *testing.T, err error) {
			const want = `field type conflict: measurement "disk" field "used" is integer, write has float`
			if err == nil || err.Error() != want {
				t.Fatalf("got %v, want %s", err, want)
			}
		}},
		{"type conflict within one series", "disk,host=a used=1i 1\ndisk,host=a used=true 2\n", func(t *testing.T, err error) {
			const want = `field type conflict: measurement "disk" field "used" is integer, write has boolean`
			if err == nil || err.Error() != want {
				t.Fatalf("got %v, want %s", err, want)
			}
		}},
		{"empty body", "", func(t *testing.T, err error) {
			if !errors.Is(err, storage.ErrEmptyBatch) {
				t.Fatalf("got %v, want ErrEmptyBatch", err)
			}
		}},
		{"only comments", "# nothing\n\n   \n", func(t *testing.T, err error) {
			if !errors.Is(err, storage.ErrEmptyBatch) {
				t.Fatalf("got %v, want ErrEmptyBatch", err)
			}
		}},
		{"huge line", huge, func(t *testing.T, err error) {
			var le *model.LineError
			if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(le.Msg, "longer than the limit of 1024") {
				t.Fatalf("got %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, &accrete.Options{MaxLineBytes: 1024})
			if err := db.WriteLineProtocol("db", "", []byte("cpu,host=a usage=0.5 1\n"), 0); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, db)
			batches := db.Stats().Batches
			err := db.WriteLineProtocol("db", "", []byte(tc.body), 0)
			tc.check(t, err)
			if after := snapshot(t, db); !slices.Equal(before, after) {
				t.Fatalf("a failed write changed the data:\nbefore %q\nafter  %q", before, after)
			}
			if db.Stats().Batches != batches {
				t.Fatal("a failed write committed a batch")
			}
			if s, _ := db.Series("db", "", "", nil); len(s) != 1 {
				t.Fatalf("series after failed write: %v", s)
			}
		})
	}
}

func TestBadPointsWriteNothing(t *testing.T) {
	db := openDB(t, &accrete.Options{Storage: storage.Options{MaxSeriesKeyLen: 100}})
	ok := model.Point{Measurement: "cpu", Fields: []model.Field{{Key: "v", Value: model.Int(1)}}, Time: 1}
	for _, tc := range []struct {
		name  string
		point model.Point
		want  string
	}{
		{"no measurement", model.Point{Fields: ok.Fields}, "invalid point: point 1 (\"\"): empty measurement"},
		{"no fields", model.Point{Measurement: "cpu"}, "invalid point: point 1 (\"cpu\"): no fields"},
		{"unsorted tags", model.Point{Measurement: "cpu", Tags: model.Tags{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}}, Fields: ok.Fields},
			`invalid point: point 1 ("cpu"): tags are not sorted by key or repeat key "a"`},
		{"NaN", model.Point{Measurement: "cpu", Fields: []model.Field{{Key: "f", Value: model.Float(math.NaN())}}},
			`invalid point: point 1 ("cpu"): field "f": NaN is not a valid float`},
		{"long series key", model.Point{Measurement: strings.Repeat("m", 101), Fields: ok.Fields},
			"invalid point: point 1: series key of 101 bytes is longer than the limit of 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Write("db", "", []model.Point{ok, tc.point})
			if err == nil || err.Error() != tc.want || !errors.Is(err, storage.ErrInvalidPoint) {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
			if m, _ := db.Measurements("db", ""); len(m) != 0 {
				t.Fatalf("measurements after a failed write: %v", m)
			}
		})
	}
	if err := db.Write("db", "", nil); !errors.Is(err, storage.ErrEmptyBatch) {
		t.Fatalf("empty write: %v", err)
	}
	if err := db.Write("nope", "", []model.Point{ok}); !errors.Is(err, storage.ErrDatabaseNotFound) {
		t.Fatalf("unknown database: %v", err)
	}
	if err := db.Write("db", "nope", []model.Point{ok}); !errors.Is(err, storage.ErrRetentionPolicyNotFound) {
		t.Fatalf("unknown retention policy: %v", err)
	}
}
