package downsample

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBuilder(t *testing.T) {
	c, err := NewDownsample("cpu", "cpu_1m", time.Minute).Database("db", "").
		Mean("cpu").Min("t").Max("t").Field("requests", Sum, "total_requests").Build()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range c.Fields {
		got = append(got, f.Field+" "+f.Function+" "+f.As)
	}
	want := "cpu mean cpu_mean|t min t_min|t max t_max|requests sum total_requests"
	if strings.Join(got, "|") != want {
		t.Fatalf("fields %q, want %q", strings.Join(got, "|"), want)
	}
	if c.Name != "cpu_1m" || c.Source != "cpu" || c.Target != "cpu_1m" || c.Interval != Duration(time.Minute) {
		t.Fatalf("config %+v", c)
	}
}

func TestValidation(t *testing.T) {
	f := func(b *Builder, want ...string) {
		t.Helper()
		_, err := b.Build()
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v, want ErrInvalid", err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	}
	f(NewDownsample("cpu", "cpu_1m", 0).Mean("x"), `"cpu_1m"`, "interval 0s must be positive")
	f(NewDownsample("cpu", "cpu_1m", -time.Second).Mean("x"), "interval -1s must be positive")
	f(NewDownsample("cpu", "cpu_1m", time.Minute), `"cpu_1m": no fields`)
	f(NewDownsample("cpu", "cpu", time.Minute).Mean("x"), `target "cpu" is the source`)
	f(NewDownsample("cpu", "c", time.Minute).Mean("x").Field("y", Max, "x_mean"), `duplicate output name "x_mean"`)
	f(NewDownsample("cpu", "c", time.Minute).Mean("x").Mean("x"), `duplicate output name "x_mean"`)
	b := NewDownsample("cpu", "c", time.Minute)
	b.c.Fields = append(b.c.Fields, Field{Field: "x", Function: "median"})
	f(b, `unknown function "median"`)
	f(NewDownsample("cpu", "c", time.Minute).Mean("x").Grace(-time.Second).Retention(-time.Hour), "grace -1s is negative", "retention -1h0m0s is negative")

	// Tier shorthands.
	_, err := Config{Name: "cpu", Database: "db", Source: "cpu", Target: "x", Interval: Duration(time.Minute),
		Fields: []Field{{Field: "u", Function: "mean"}}, Tiers: []Tier{{Interval: Duration(time.Hour)}}}.Expand()
	if err == nil || !strings.Contains(err.Error(), "target must be empty when tiers are given") || !strings.Contains(err.Error(), "interval must be empty") {
		t.Fatalf("tiers with target and interval: %v", err)
	}
	cs, err := Config{Name: "cpu", Database: "db", Source: "cpu", SourceRetention: Duration(7 * 24 * time.Hour),
		Fields: []Field{{Field: "u", Function: "avg"}, {Field: "u", Function: "max", As: "peak"}},
		Tiers:  []Tier{{Interval: Duration(time.Minute), Retention: Duration(90 * 24 * time.Hour)}, {Interval: Duration(time.Hour)}}}.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name != "cpu_1m" || cs[0].Target != "cpu_1m" || cs[0].SourceRetention == 0 ||
		cs[1].Name != "cpu_1h" || cs[1].Source != "cpu_1m" || cs[1].Target != "cpu_1h" || cs[1].SourceRetention != 0 || cs[1].Retention != 0 {
		t.Fatalf("expanded %+v", cs)
	}
	if f := cs[1].Fields; f[0] != (Field{Field: "u_mean", Function: "mean", As: "u_mean"}) || f[1] != (Field{Field: "peak", Function: "max", As: "peak"}) {
		t.Fatalf("tier fields %+v", f)
	}
}

func TestRegistry(t *testing.T) {
	clk := &fakeClock{}
	clk.set(time.Hour)
	db := openDB(t, t.TempDir())
	defer db.Close()
	e := openEngine(t, db, clk, nil)
	defer e.Close()
	c, _ := NewDownsample("cpu", "cpu_1m", time.Minute).Database("db", "").Mean("u").Build()
	if err := e.Register(c); err != nil {
		t.Fatal(err)
	}
	if err := e.Register(c); !errors.Is(err, ErrExists) {
		t.Fatalf("second Register: %v", err)
	}
	m, _ := NewDownsample("mem", "mem_1m", time.Minute).Database("db", "").Max("u").Build()
	if err := e.Register(m); err != nil {
		t.Fatal(err)
	}
	nodb, _ := NewDownsample("x", "y", time.Minute).Database("nodb", "").Max("u").Build()
	if err := e.Register(nodb); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `database "nodb"`) {
		t.Fatalf("unknown database: %v", err)
	}
	// A cycle: cpu_1m → cpu.
	back, _ := NewDownsample("cpu_1m", "cpu", time.Hour).Name("back").Database("db", "").Field("u_mean", Mean, "u").Build()
	if err := e.Register(back); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
	if got := e.ForSource("db", "cpu"); len(got) != 1 || got[0].Name != "cpu_1m" {
		t.Fatalf("ForSource(cpu) = %+v", got)
	}
	if got := e.List(); len(got) != 2 || got[0].Name != "cpu_1m" || got[1].Name != "mem_1m" {
		t.Fatalf("List = %+v", got)
	}
	if got, err := e.Get("mem_1m"); err != nil || got.RetentionPolicy != "autogen" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := e.Remove("mem_1m"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get("mem_1m"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Remove: %v", err)
	}
	// Configs survive a restart; Put of the same config changes nothing.
	e.Close()
	e = openEngine(t, db, clk, nil)
	defer e.Close()
	if got := e.List(); len(got) != 1 || got[0].Name != "cpu_1m" {
		t.Fatalf("after restart: %+v", got)
	}
	if changed, err := e.Put(c); err != nil || changed {
		t.Fatalf("Put of the same config: %v, %v", changed, err)
	}
}
