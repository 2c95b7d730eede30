package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// pointsObserver records the points of every write change.
type pointsObserver struct {
	mu     sync.Mutex
	points []model.Point
}

func (o *pointsObserver) BeforeCommit(_ *storage.Batch, c *storage.Change) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ws := range c.Writes {
		for _, p := range ws.Points {
			// Copy: the points belong to the writer after the commit.
			p.Tags = slices.Clone(p.Tags)
			p.Fields = slices.Clone(p.Fields)
			o.points = append(o.points, p)
		}
	}
	return nil
}

// TestWriteObserversSeeParsedPoints posts bodies that take the decoder's
// fast path (TSBS shape, tags out of order) and bodies that need its
// general path (escapes, comments, repeated keys): observers must see
// exactly the points ParseLines gives, and queries the stored values.
func TestWriteObserversSeeParsedPoints(t *testing.T) {
	ts := newTestServer(t, nil)
	o := &pointsObserver{}
	ts.db.AddObserver(o)
	bodies := []string{
		"cpu,host=a,dc=x usage=1i,idle=2i 10\ncpu,dc=x,host=a usage=3i,idle=4i 20\ncpu,host=b,dc=y idle=5i 10\n",
		"cpu,host=a,dc=x usage=5i 30\n# a comment\ncpu\\ x,host=a\\ b v=1.5,v=2.5 40\ncpu,host=c,host=d usage=6i 50\n",
		"str,k=v s=\"a b,c\",b=true,u=7u 60\nstr,k=v s=\"x\\\"y\",b=F,u=8u 70\n",
	}
	var want []model.Point
	for _, body := range bodies {
		if code, b := ts.write(t, "db=db", body); code != 204 {
			t.Fatalf("write %q: %d %s", body, code, b)
		}
		pts, err := model.ParseLines([]byte(body), model.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, pts...)
	}
	if len(o.points) != len(want) {
		t.Fatalf("observer saw %d points, want %d", len(o.points), len(want))
	}
	for i := range want {
		g, w := o.points[i], want[i]
		if g.Measurement != w.Measurement || g.Time != w.Time || !slices.Equal(g.Tags, w.Tags) || !slices.Equal(g.Fields, w.Fields) {
			t.Fatalf("point %d: observer saw %+v, want %+v", i, g, w)
		}
	}
	_, body := ts.query(t, `SELECT usage, idle FROM cpu WHERE host = 'a'`, "epoch", "ns")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage","idle"],"values":[[10,1,2],[20,3,4],[30,5,null]]}]}]}` + "\n"; body != want {
		t.Fatalf("query: got %s want %s", body, want)
	}
	_, body = ts.query(t, `SELECT * FROM "cpu x"`, "epoch", "ns")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"cpu x","columns":["time","host","v"],"values":[[40,"a b",2.5]]}]}]}` + "\n"; body != want {
		t.Fatalf("query: got %s want %s", body, want)
	}
}

// TestWriteConcurrentGzip posts gzipped bodies from several clients at
// once, so that reused buffers and decoders are exercised concurrently:
// every value must be stored.
func TestWriteConcurrentGzip(t *testing.T) {
	ts := newTestServer(t, nil)
	const clients, requests, lines = 4, 5, 500
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range requests {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				for i := range lines {
					fmt.Fprintf(zw, "m,client=c%d,host=h%d v=%di,w=%d %d\n", c, i%7, r*lines+i, c, r*lines+i)
				}
				zw.Close()
				code, body, _ := ts.do(t, "POST", "/write?db=db", &buf, "Content-Encoding", "gzip")
				if code != 204 {
					errs <- fmt.Errorf("client %d request %d: %d %s", c, r, code, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, body := ts.query(t, "SELECT count(v), sum(v), sum(w) FROM m", "epoch", "ns")
	n := clients * requests * lines
	sumV := clients * (requests * lines) * (requests*lines - 1) / 2
	sumW := lines * requests * (0 + 1 + 2 + 3)
	want := fmt.Sprintf(`{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count","sum","sum_1"],"values":[[0,%d,%d,%d]]}]}]}`, n, sumV, sumW) + "\n"
	if body != want {
		t.Fatalf("got %s want %s", body, want)
	}
}
