package influxcompat

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// TestLimitNarrowing checks that LIMIT and OFFSET on GROUP BY time queries
// answer what the same query without them answers, cut per series: the
// range narrowing they allow (see boundByLimit) must not change a row.
func TestLimitNarrowing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	store := openStore(t)
	var pts []model.Point
	base := tsbsStart.UnixNano()
	for h := 0; h < 3; h++ {
		tags := model.Tags{{Key: "host", Value: fmt.Sprintf("h%d", h)}}
		for k := 0; k < 60; k++ {
			ts := base + rng.Int64N(int64(2*time.Hour))
			pts = append(pts, model.Point{Measurement: "m", Tags: tags, Time: ts,
				Fields: []model.Field{{Key: "v", Value: model.Float(float64(rng.IntN(50)))}}})
		}
	}
	if err := store.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
	e := NewExecutor(store, nil)
	opts := Options{Epoch: "s", Now: func() time.Time { return tsbsStart.Add(3 * time.Hour) }}
	at := func(d time.Duration) string { return tsbsStart.Add(d).Format(time.RFC3339) }
	for n := 0; n < 150; n++ {
		var where []string
		if rng.IntN(2) == 0 {
			where = append(where, fmt.Sprintf("time >= '%s'", at(time.Duration(rng.IntN(150))*time.Minute-20*time.Minute)))
		}
		if rng.IntN(2) == 0 {
			where = append(where, fmt.Sprintf("time < '%s'", at(time.Duration(rng.IntN(150))*time.Minute)))
		}
		if rng.IntN(3) == 0 {
			where = append(where, fmt.Sprintf("host != 'h%d'", rng.IntN(3)))
		}
		q := fmt.Sprintf("SELECT %s(v) FROM m", []string{"max", "count", "mean", "first"}[rng.IntN(4)])
		for i, w := range where {
			if i == 0 {
				q += " WHERE " + w
			} else {
				q += " AND " + w
			}
		}
		q += fmt.Sprintf(" GROUP BY time(%dm)", 1+rng.IntN(20))
		if rng.IntN(2) == 0 {
			q += ", host"
		}
		q += []string{"", " fill(null)", " fill(previous)", " fill(linear)", " fill(7)", " fill(none)"}[rng.IntN(6)]
		if rng.IntN(2) == 0 {
			q += " ORDER BY time DESC"
		}
		limit, offset := 1+rng.IntN(8), rng.IntN(4)
		full := decode(t, runJSON(t, e, q, opts))
		cut := decode(t, runJSON(t, e, fmt.Sprintf("%s LIMIT %d OFFSET %d", q, limit, offset), opts))
		var want []*Row
		for _, r := range full.Results[0].Series {
			if offset >= len(r.Values) {
				continue
			}
			vals := r.Values[offset:]
			if len(vals) > limit {
				vals = vals[:limit]
			}
			want = append(want, &Row{Name: r.Name, Tags: r.Tags, Columns: r.Columns, Values: vals})
		}
		g, _ := json.Marshal(cut.Results[0].Series)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("seed %d: %s LIMIT %d OFFSET %d\ngot  %s\nwant %s", seed, q, limit, offset, g, w)
		}
	}
}
