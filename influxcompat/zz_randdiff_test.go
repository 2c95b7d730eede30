package influxcompat

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

func TestZZRandomDiff(t *testing.T) {
	base := os.Getenv("INFLUXD")
	if base == "" {
		t.Skip()
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	db := openStore(t)
	post(t, base+"/query", url.Values{"q": {"DROP DATABASE rnd; CREATE DATABASE rnd"}})
	var lines []string
	start := int64(1451606400)
	for h := 0; h < 4; h++ {
		for k := 0; k < 80; k++ {
			ts := start + rng.Int64N(3600)
			if rng.IntN(3) == 0 {
				ts -= ts % 60
			}
			tags := fmt.Sprintf("host=h%d", h)
			if h%2 == 0 {
				tags += fmt.Sprintf(",dc=d%d", rng.IntN(2))
			}
			var fs []string
			if rng.IntN(4) > 0 {
				fs = append(fs, fmt.Sprintf("f=%g", float64(rng.IntN(1000))/4))
			}
			if rng.IntN(4) > 0 {
				fs = append(fs, fmt.Sprintf("i=%di", rng.IntN(100)-20))
			}
			if rng.IntN(5) == 0 {
				fs = append(fs, fmt.Sprintf("s=\"%c\"", 'a'+rng.IntN(3)))
			}
			if len(fs) == 0 {
				fs = append(fs, "i=1i")
			}
			lines = append(lines, fmt.Sprintf("m,%s %s %d", tags, strings.Join(fs, ","), ts))
		}
	}
	body := strings.Join(lines, "\n")
	resp, err := http.Post(base+"/write?db=rnd&precision=s", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pts, err := model.ParseLines([]byte(body), model.ParseOptions{Precision: model.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
	e := NewExecutor(db, nil)
	at := func(sec int64) string { return time.Unix(start+sec, 0).UTC().Format(time.RFC3339) }
	funcs := []string{"count", "sum", "mean", "min", "max", "first", "last", "spread", "stddev", "median"}
	fails := 0
	for n := 0; n < 400 && fails < 15; n++ {
		var sel []string
		agg := rng.IntN(3) > 0
		field := func() string { return []string{"f", "i"}[rng.IntN(2)] }
		if agg {
			for c := 1 + rng.IntN(3); c > 0; c-- {
				fn := funcs[rng.IntN(len(funcs))]
				if rng.IntN(8) == 0 {
					sel = append(sel, fmt.Sprintf("percentile(%s, %d)", field(), rng.IntN(101)))
				} else {
					sel = append(sel, fmt.Sprintf("%s(%s)", fn, field()))
				}
			}
		} else {
			switch rng.IntN(3) {
			case 0:
				sel = []string{"*"}
			case 1:
				sel = []string{"f", "host"}
			default:
				sel = []string{"i", "f", "s"}
			}
		}
		var where []string
		if rng.IntN(2) == 0 {
			where = append(where, fmt.Sprintf("time >= '%s'", at(rng.Int64N(3600)-300)))
		}
		if rng.IntN(2) == 0 {
			where = append(where, fmt.Sprintf("time < '%s'", at(rng.Int64N(3900))))
		}
		switch rng.IntN(5) {
		case 0:
			where = append(where, fmt.Sprintf("host = 'h%d'", rng.IntN(4)))
		case 1:
			where = append(where, fmt.Sprintf("(host = 'h%d' OR dc = 'd1')", rng.IntN(4)))
		case 2:
			where = append(where, fmt.Sprintf("f > %d", rng.IntN(250)))
		case 3:
			where = append(where, "dc !~ /0/")
		}
		q := "SELECT " + strings.Join(sel, ", ") + " FROM m"
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		var dims []string
		hasTime := false
		if agg && rng.IntN(2) == 0 {
			hasTime = true
			iv := []string{"1m", "7m", "13m", "30s"}[rng.IntN(4)]
			if rng.IntN(3) == 0 {
				dims = append(dims, fmt.Sprintf("time(%s, %ds)", iv, rng.IntN(50)))
			} else {
				dims = append(dims, "time("+iv+")")
			}
		}
		switch rng.IntN(4) {
		case 0:
			dims = append(dims, "host")
		case 1:
			dims = append(dims, "*")
		case 2:
			dims = append(dims, "dc")
		}
		if len(dims) > 0 {
			q += " GROUP BY " + strings.Join(dims, ", ")
		}
		if hasTime && rng.IntN(2) == 0 {
			q += []string{" fill(none)", " fill(0)", " fill(previous)", " fill(linear)"}[rng.IntN(4)]
		}
		if rng.IntN(3) == 0 {
			q += " ORDER BY time DESC"
		}
		if rng.IntN(3) == 0 {
			q += fmt.Sprintf(" LIMIT %d", 1+rng.IntN(5))
		}
		if rng.IntN(5) == 0 {
			q += fmt.Sprintf(" OFFSET %d", rng.IntN(3))
		}
		if rng.IntN(6) == 0 {
			q += fmt.Sprintf(" SLIMIT %d SOFFSET %d", 1+rng.IntN(2), rng.IntN(2))
		}
		now := time.Unix(start+4000, 0)
		if hasTime && !strings.Contains(q, "time <") {
			continue // influxd's now() is not ours
		}
		wantBody := post(t, base+"/query", url.Values{"q": {q}, "db": {"rnd"}, "epoch": {"s"}})
		got := runJSON(t, e, q, Options{Epoch: "s", Now: func() time.Time { return now }})
		var a, b any
		json.Unmarshal([]byte(got), &a)
		json.Unmarshal([]byte(wantBody), &b)
		if d := diffJSON("", a, b); d != "" {
			fails++
			fmt.Printf("=== %s\n%s\nours:   %.600s\ninflux: %.600s\n\n", q, d, got, wantBody)
		}
	}
	_ = math.Abs
}

func diffJSON(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return path + ": object differs"
		}
		for k := range x {
			if d := diffJSON(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: array len %d vs %d", path, len(x), lenOf(b))
		}
		for i := range x {
			if d := diffJSON(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
			return fmt.Sprintf("%s: %v vs %v", path, a, b)
		}
	default:
		if a != b {
			return fmt.Sprintf("%s: %v vs %v", path, a, b)
		}
	}
	return ""
}

func lenOf(v any) int {
	if a, ok := v.([]any); ok {
		return len(a)
	}
	return -1
}

func post(t *testing.T, u string, v url.Values) string {
	resp, err := http.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}
