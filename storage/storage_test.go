package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

func mustWrite(t *testing.T, db *DB, rp string, pts ...model.Point) {
	t.Helper()
	if err := db.Write("db", rp, pts); err != nil {
		t.Fatal(err)
	}
}

// readInts reads an integer field of a series as "time=value" strings.
func readInts(t *testing.T, db *DB, rp, key, field string) []string {
	t.Helper()
	m, _, _ := model.ParseSeriesKey([]byte(key))
	series, err := db.Series("db", rp, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, ok, err := db.Field("db", rp, m, field)
	if err != nil || !ok {
		t.Fatalf("field %s.%s: %v %v", m, field, ok, err)
	}
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for _, s := range series {
		if s.Key != key {
			continue
		}
		cols, err := r.ReadAll("db", rp, s.ID, fi.ID, math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		for i, ts := range cols.Times {
			out = append(out, fmt.Sprintf("%d=%d", ts, cols.Ints[i]))
		}
	}
	return out
}

func TestCatalog(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, nil, dir)
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatalf("creating an existing database: %v", err)
	}
	if err := db.CreateDatabase(""); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty name: %v", err)
	}
	week := 7 * 24 * time.Hour
	if err := db.CreateRetentionPolicy("db", RetentionPolicy{Name: "week", Duration: week, ShardDuration: time.Hour, Default: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRetentionPolicy("db", RetentionPolicy{Name: "week", Duration: week}); err != nil {
		t.Fatalf("same settings again: %v", err)
	}
	if err := db.CreateRetentionPolicy("db", RetentionPolicy{Name: "week", Duration: time.Hour}); !errors.Is(err, ErrRetentionPolicyExists) {
		t.Fatalf("other settings: %v", err)
	}
	if err := db.CreateRetentionPolicy("nope", RetentionPolicy{Name: "x"}); !errors.Is(err, ErrDatabaseNotFound) {
		t.Fatalf("unknown database: %v", err)
	}
	day := 24 * time.Hour
	if err := db.AlterRetentionPolicy("db", "autogen", RetentionPolicyUpdate{Duration: &day, Default: true}); err != nil {
		t.Fatal(err)
	}
	want := DatabaseInfo{Name: "db", RetentionPolicies: []RetentionPolicy{
		{Name: "autogen", Duration: day, ShardDuration: 24 * time.Hour, Replication: 1, Default: true},
		{Name: "week", Duration: week, ShardDuration: time.Hour, Replication: 1},
	}}
	check := func(db *DB) {
		t.Helper()
		got, err := db.Database("db")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	}
	check(db)
	// "" writes to the default policy.
	mustWrite(t, db, "", pt("cpu", 1, nil, fv("v", model.Int(1))))
	mustWrite(t, db, "week", pt("cpu", 2, nil, fv("v", model.Int(2))))
	if got := readInts(t, db, "autogen", "cpu", "v"); !slices.Equal(got, []string{"1=1"}) {
		t.Fatalf("autogen: %v", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDB(t, nil, dir)
	check(db)
	if got := readInts(t, db, "week", "cpu", "v"); !slices.Equal(got, []string{"2=2"}) {
		t.Fatalf("week: %v", got)
	}
	if err := db.DropRetentionPolicy("db", "week"); err != nil {
		t.Fatal(err)
	}
	if err := db.Write("db", "week", []model.Point{pt("cpu", 3, nil, fv("v", model.Int(3)))}); !errors.Is(err, ErrRetentionPolicyNotFound) {
		t.Fatalf("write to a dropped policy: %v", err)
	}
	// Re-creating the policy starts empty: its data went with it.
	if err := db.CreateRetentionPolicy("db", RetentionPolicy{Name: "week"}); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Series("db", "week", "", nil); len(s) != 0 {
		t.Fatalf("series of a re-created policy: %v", s)
	}
	if err := db.DropDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.DropDatabase("db"); err != nil {
		t.Fatalf("dropping a missing database: %v", err)
	}
	if _, err := db.Measurements("db", ""); !errors.Is(err, ErrDatabaseNotFound) {
		t.Fatalf("dropped database: %v", err)
	}
	if dbs := db.Databases(); len(dbs) != 0 {
		t.Fatalf("databases: %v", dbs)
	}
}

func TestIndexQueries(t *testing.T) {
	db := openTestDB(t, nil)
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, db, "",
		pt("cpu", 1, []string{"host", "a", "region", "east"}, fv("usage", model.Float(1)), fv("n", model.Int(1))),
		pt("cpu", 1, []string{"host", "b", "region", "west"}, fv("usage", model.Float(2))),
		pt("cpu", 1, []string{"host", "c"}, fv("usage", model.Float(3))),
		pt("mem", 1, []string{"host", "a", "dc", "x"}, fv("free", model.Uint(3)), fv("ok", model.Bool(true)), fv("s", model.String("x"))),
	)
	keys := func(f TagFilter) []string {
		s, err := db.Series("db", "", "cpu", f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range s {
			out = append(out, x.Key)
		}
		return out
	}
	for _, tc := range []struct {
		f    TagFilter
		want []string
	}{
		{nil, []string{"cpu,host=a,region=east", "cpu,host=b,region=west", "cpu,host=c"}},
		{TagEq{"host", "b"}, []string{"cpu,host=b,region=west"}},
		{TagNeq{"region", "east"}, []string{"cpu,host=b,region=west", "cpu,host=c"}},
		{TagEq{"region", ""}, []string{"cpu,host=c"}},
		{TagRegex{"host", regexp.MustCompile("^[ab]$")}, []string{"cpu,host=a,region=east", "cpu,host=b,region=west"}},
		{TagNotRegex{"host", regexp.MustCompile("a")}, []string{"cpu,host=b,region=west", "cpu,host=c"}},
		{And{TagRegex{"host", regexp.MustCompile(".")}, TagEq{"region", "west"}}, []string{"cpu,host=b,region=west"}},
		{Or{TagEq{"host", "a"}, TagEq{"host", "c"}}, []string{"cpu,host=a,region=east", "cpu,host=c"}},
		{And{TagEq{"host", "a"}, TagEq{"region", "west"}}, nil},
	} {
		if got := keys(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%#v: got %q, want %q", tc.f, got, tc.want)
		}
	}
	str := func(v any, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(v)
	}
	for _, tc := range []struct{ got, want string }{
		{str(db.Measurements("db", "")), "[cpu mem]"},
		{str(db.TagKeys("db", "", "cpu")), "[host region]"},
		{str(db.TagKeys("db", "", "")), "[dc host region]"},
		{str(db.TagValues("db", "", "cpu", "host", nil)), "[a b c]"},
		{str(db.TagValues("db", "", "", "host", nil)), "[a b c]"},
		{str(db.TagValues("db", "", "cpu", "host", TagEq{"region", "west"})), "[b]"},
		{str(db.FieldKeys("db", "", "cpu")), "[{n 2 integer} {usage 1 float}]"},
		{str(db.FieldKeys("db", "", "mem")), "[{free 3 unsigned} {ok 4 boolean} {s 5 string}]"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	// Dropping the measurement removes series and fields; new writes may
	// then use other types.
	if err := db.DropMeasurement("db", "cpu"); err != nil {
		t.Fatal(err)
	}
	if got := str(db.Measurements("db", "")); got != "[mem]" {
		t.Fatalf("after drop: %s", got)
	}
	if got := str(db.FieldKeys("db", "", "cpu")); got != "[]" {
		t.Fatalf("fields after drop: %s", got)
	}
	mustWrite(t, db, "", pt("cpu", 1, nil, fv("usage", model.String("high"))))
	if got := str(db.FieldKeys("db", "", "cpu")); got != "[{usage 6 string}]" {
		t.Fatalf("fields after re-creation: %s", got)
	}
}

// recordingObserver records changes and adds a metadata key per change.
type recordingObserver struct {
	changes []Change
	fail    error
}

func (o *recordingObserver) BeforeCommit(b *Batch, c *Change) error {
	if o.fail != nil {
		return o.fail
	}
	o.changes = append(o.changes, *c)
	return b.SetMeta("obs", []byte(fmt.Sprintf("%02d", len(o.changes))), []byte(fmt.Sprint(c.Kind)))
}

func TestObserverCommitsInTheSameBatch(t *testing.T) {
	db := openTestDB(t, &Options{PartitionDuration: time.Hour})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	o := &recordingObserver{}
	db.AddObserver(o)
	p1 := pt("cpu", 10, []string{"host", "a"}, fv("v", model.Int(1)))
	mustWrite(t, db, "", p1)
	if len(o.changes) != 1 || o.changes[0].Kind != ChangeWrite || o.changes[0].Seq == 0 ||
		len(o.changes[0].Writes) != 1 || o.changes[0].Writes[0].RetentionPolicy != "autogen" ||
		len(o.changes[0].Writes[0].Points) != 1 {
		t.Fatalf("changes: %+v", o.changes)
	}
	// A failing observer aborts the write: no data, no series, no meta.
	o.fail = errors.New("observer says no")
	err := db.Write("db", "", []model.Point{pt("cpu", 20, []string{"host", "b"}, fv("v", model.Int(2)))})
	if err == nil || err.Error() != "observer says no" {
		t.Fatalf("got %v", err)
	}
	if s, _ := db.Series("db", "", "cpu", nil); len(s) != 1 {
		t.Fatalf("series after aborted write: %v", s)
	}
	o.fail = nil
	mustWrite(t, db, "", pt("cpu", int64(2*time.Hour), []string{"host", "a"}, fv("v", model.Int(3))))
	if err := db.DeleteSeries("db", "", "cpu", TagEq{"host", "a"}, 0, 15); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DropPartitionsBefore("db", "", int64(time.Hour)); err != nil {
		t.Fatal(err)
	}
	kinds := []ChangeKind{}
	for _, c := range o.changes {
		kinds = append(kinds, c.Kind)
	}
	if !slices.Equal(kinds, []ChangeKind{ChangeWrite, ChangeWrite, ChangeDelete, ChangeDropPartitions}) {
		t.Fatalf("kinds %v", kinds)
	}
	del := o.changes[2]
	if del.Measurement != "cpu" || del.MinTime != 0 || del.MaxTime != 15 || len(del.Series) != 1 || del.Series[0].Key != "cpu,host=a" {
		t.Fatalf("delete change %+v", del)
	}
	if drop := o.changes[3]; drop.MinTime != 0 || drop.MaxTime != int64(time.Hour)-1 {
		t.Fatalf("drop change %+v", drop)
	}
	var metas []string
	if err := db.IterMeta("obs", nil, func(k, v []byte) error {
		metas = append(metas, string(k)+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(metas) != 4 {
		t.Fatalf("observer metadata %v", metas)
	}
	if got := readInts(t, db, "", "cpu,host=a", "v"); !slices.Equal(got, []string{fmt.Sprintf("%d=3", 2*time.Hour)}) {
		t.Fatalf("data %v", got)
	}
}

func TestMetadata(t *testing.T) {
	db := openTestDB(t, nil)
	b := db.NewBatch()
	for _, k := range []string{"a/1", "a/2", "b/1"} {
		if err := b.SetMeta("cq", []byte(k), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SetMeta("rules", []byte("a/1"), []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); !errors.Is(err, ErrBatchCommitted) {
		t.Fatalf("second commit: %v", err)
	}
	if err := db.NewBatch().Commit(); !errors.Is(err, ErrEmptyBatch) {
		t.Fatalf("empty batch: %v", err)
	}
	v, ok, err := db.GetMeta("cq", []byte("a/2"))
	if err != nil || !ok || string(v) != "va/2" {
		t.Fatalf("get: %q %v %v", v, ok, err)
	}
	if _, ok, _ := db.GetMeta("cq", []byte("zz")); ok {
		t.Fatal("missing key found")
	}
	list := func(ns, prefix string) []string {
		var out []string
		if err := db.IterMeta(ns, []byte(prefix), func(k, v []byte) error {
			out = append(out, string(k)+"="+string(v))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := list("cq", "a/"); !slices.Equal(got, []string{"a/1=va/1", "a/2=va/2"}) {
		t.Fatalf("iter: %v", got)
	}
	b = db.NewBatch()
	_ = b.DeleteMetaPrefix("cq", []byte("a/"))
	_ = b.DeleteMeta("cq", []byte("b/1"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := list("cq", ""); len(got) != 0 {
		t.Fatalf("after deletes: %v", got)
	}
	if got := list("rules", ""); !slices.Equal(got, []string{"a/1=other"}) {
		t.Fatalf("other namespace: %v", got)
	}
	if err := db.NewBatch().SetMeta("", nil, nil); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty namespace: %v", err)
	}
}

func TestDropPartitionsBefore(t *testing.T) {
	db := openTestDB(t, &Options{PartitionDuration: time.Hour})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	h := int64(time.Hour)
	for i := range int64(4) {
		mustWrite(t, db, "", pt("cpu", i*h+5, nil, fv("v", model.Int(i))))
	}
	dropped, err := db.DropPartitionsBefore("db", "", 2*h+1) // the third partition holds 2h+1
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dropped) != fmt.Sprintf("[[0, %d] [%d, %d]]", h-1, h, 2*h-1) {
		t.Fatalf("dropped %v", dropped)
	}
	if got := readInts(t, db, "", "cpu", "v"); !slices.Equal(got, []string{fmt.Sprintf("%d=2", 2*h+5), fmt.Sprintf("%d=3", 3*h+5)}) {
		t.Fatalf("left %v", got)
	}
	parts, _ := db.Partitions("db", "")
	if len(parts) != 2 || parts[0].Start != 2*h {
		t.Fatalf("partitions %v", parts)
	}
	// A late write into a dropped range makes a new partition.
	mustWrite(t, db, "", pt("cpu", 7, nil, fv("v", model.Int(9))))
	if got := readInts(t, db, "", "cpu", "v"); got[0] != "7=9" {
		t.Fatalf("late write %v", got)
	}
}

func TestShardDurationChangeKeepsPartitionsDisjoint(t *testing.T) {
	db := openTestDB(t, &Options{PartitionDuration: time.Hour})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	h := int64(time.Hour)
	mustWrite(t, db, "", pt("cpu", h+1, nil, fv("v", model.Int(1))))
	day := 24 * time.Hour
	if err := db.AlterRetentionPolicy("db", "", RetentionPolicyUpdate{ShardDuration: &day}); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, db, "", pt("cpu", 5, nil, fv("v", model.Int(2))), pt("cpu", 3*h, nil, fv("v", model.Int(3))))
	parts, _ := db.Partitions("db", "")
	want := fmt.Sprintf("[[0, %d] [%d, %d] [%d, %d]]", h-1, h, 2*h-1, 2*h, 24*h-1)
	if fmt.Sprint(parts) != want {
		t.Fatalf("partitions %v, want %s", parts, want)
	}
	if got := readInts(t, db, "", "cpu", "v"); !slices.Equal(got, []string{"5=2", fmt.Sprintf("%d=1", h+1), fmt.Sprintf("%d=3", 3*h)}) {
		t.Fatalf("values %v", got)
	}
}

// TestConcurrentWritesReadsAndCompaction runs writers, readers and
// background compaction together (run it with -race), then compares
// with what the writers wrote.
func TestConcurrentWritesReadsAndCompaction(t *testing.T) {
	db := openTestDB(t, &Options{
		Durability:         DurabilityPeriodic,
		SyncInterval:       time.Millisecond,
		PartitionDuration:  time.Minute,
		CompactionDelay:    time.Nanosecond,
		CompactionInterval: time.Millisecond,
		MaxBlocks:          3,
		MaxChunkPoints:     50,
	})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	const writers, batches, perBatch = 3, 60, 20
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				var pts []model.Point
				for i := range perBatch {
					// Overwrite earlier times with the batch number.
					ts := int64((b*perBatch/2+i)%(batches*perBatch/2)) * int64(time.Second)
					pts = append(pts, pt("cpu", ts, []string{"w", fmt.Sprint(w)}, fv("v", model.Int(int64(b)))))
				}
				if err := db.Write("db", "", pts); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := db.NewReader()
			if err != nil {
				t.Error(err)
				return
			}
			series, _ := db.Series("db", "", "cpu", nil)
			fi, ok, _ := db.Field("db", "", "cpu", "v")
			for _, s := range series {
				if !ok {
					break
				}
				cols, err := r.ReadAll("db", "", s.ID, fi.ID, math.MinInt64, math.MaxInt64)
				if err != nil {
					t.Error(err)
				}
				for i := 1; i < cols.Len(); i++ {
					if cols.Times[i] <= cols.Times[i-1] {
						t.Errorf("unsorted read of %s", s.Key)
					}
				}
			}
			r.Close()
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	if err := db.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Each writer wrote the same sequence: rebuild it.
	want := map[int64]int64{}
	for b := range batches {
		for i := range perBatch {
			want[int64((b*perBatch/2+i)%(batches*perBatch/2))*int64(time.Second)] = int64(b)
		}
	}
	var wantS []string
	for ts, v := range want {
		wantS = append(wantS, fmt.Sprintf("%d=%d", ts, v))
	}
	slices.SortFunc(wantS, func(a, b string) int {
		var ta, tb int64
		fmt.Sscanf(a, "%d=", &ta)
		fmt.Sscanf(b, "%d=", &tb)
		return int(ta - tb)
	})
	for w := range writers {
		if got := readInts(t, db, "", fmt.Sprintf("cpu,w=%d", w), "v"); !slices.Equal(got, wantS) {
			t.Fatalf("writer %d: got %v\nwant %v", w, got, wantS)
		}
	}
	if db.Stats().Compactions == 0 {
		t.Fatal("background compaction never ran")
	}
}

func TestCursorRangesAndReuse(t *testing.T) {
	db := openTestDB(t, &Options{PartitionDuration: time.Hour, MaxChunkPoints: 7})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	m := int64(time.Minute)
	var pts []model.Point
	for i := range int64(300) { // five partitions of 60 points
		pts = append(pts, pt("cpu", i*m, nil, fv("v", model.Int(i))))
	}
	mustWrite(t, db, "", pts...)
	if err := db.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A late overwrite leaves one block over the chunks.
	mustWrite(t, db, "", pt("cpu", 100*m, nil, fv("v", model.Int(-1))))
	series, _ := db.Series("db", "", "cpu", nil)
	fi, _, _ := db.Field("db", "", "cpu", "v")
	r, _ := db.NewReader()
	defer r.Close()
	c := r.NewCursor()
	defer c.Close()
	for _, rg := range [][2]int64{{0, 299}, {59, 61}, {95, 105}, {100, 100}, {-5, 3}, {298, 1000}, {7, 6}} {
		if err := c.Seek("db", "", series[0].ID, fi.ID, rg[0]*m, rg[1]*m); err != nil {
			t.Fatal(err)
		}
		var got []int64
		for c.Next() {
			cols := c.Columns()
			for i, ts := range cols.Times {
				if ts/m != cols.Ints[i] && !(ts == 100*m && cols.Ints[i] == -1) {
					t.Fatalf("range %v: value %d at %d", rg, cols.Ints[i], ts/m)
				}
				got = append(got, ts/m)
			}
		}
		if err := c.Err(); err != nil {
			t.Fatal(err)
		}
		var want []int64
		for i := max(rg[0], 0); i <= min(rg[1], 299); i++ {
			want = append(want, i)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("range %v: got %v, want %v", rg, got, want)
		}
	}
}
