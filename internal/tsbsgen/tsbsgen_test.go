package tsbsgen

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

func TestCPUShape(t *testing.T) {
	const steps, fields = 250, 3
	batches := CPU(steps, fields)
	if got, want := len(batches), 3; got != want {
		t.Fatalf("%d batches, want %d", got, want)
	}
	for i, want := range []int{Batch, Batch, steps*Hosts - 2*Batch} {
		if len(batches[i]) != want {
			t.Errorf("batch %d has %d points, want %d", i, len(batches[i]), want)
		}
	}
	names := FieldNames()
	n := 0
	for _, batch := range batches {
		for _, p := range batch {
			step, host := n/Hosts, n%Hosts
			n++
			if want := time.Unix(Start, 0).Add(time.Duration(step) * Interval).UnixNano(); p.Time != want {
				t.Fatalf("point %d at %d, want %d", n-1, p.Time, want)
			}
			if hn, _ := p.Tags.Get("hostname"); p.Measurement != "cpu" || len(p.Tags) != 10 || hn != fmt.Sprintf("host_%d", host) {
				t.Fatalf("point %d: %s %v", n-1, p.Measurement, p.Tags)
			}
			if len(p.Fields) != fields {
				t.Fatalf("point %d has %d fields, want %d", n-1, len(p.Fields), fields)
			}
			for f, fv := range p.Fields {
				if fv.Key != names[f] || fv.Value.Type() != model.TypeInteger || fv.Value.IntV() < 0 || fv.Value.IntV() > 100 {
					t.Fatalf("point %d field %d: %s=%v", n-1, f, fv.Key, fv.Value)
				}
			}
		}
	}
	if n != steps*Hosts {
		t.Errorf("%d points, want %d", n, steps*Hosts)
	}
}

// TestCPUFixed checks that the data do not change from call to call nor
// from version to version: benchmark results compare only over the same
// data.
func TestCPUFixed(t *testing.T) {
	a, b := CPU(20, Fields), CPU(20, Fields)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls generate different data")
	}
	const wantFirst = "cpu,arch=x86,datacenter=ap-southeast-1b,hostname=host_0,os=Ubuntu16.04LTS,rack=95," +
		"region=ap-southeast-1,service=5,service_environment=production,service_version=1,team=CHI " +
		"usage_user=78i,usage_system=74i,usage_idle=76i,usage_nice=96i,usage_iowait=48i,usage_irq=0i," +
		"usage_softirq=47i,usage_steal=68i,usage_guest=28i,usage_guest_nice=63i 1451606400000000000"
	if got := strings.TrimSuffix(string(model.AppendLine(nil, &a[0][0])), "\n"); got != wantFirst {
		t.Errorf("first point\n%s\nwant\n%s", got, wantFirst)
	}
	var sum int64
	for _, p := range a[0] {
		for _, f := range p.Fields {
			sum += f.Value.IntV()
		}
	}
	if sum != 989661 {
		t.Errorf("the values of 20 steps sum to %d, want 989661", sum)
	}
}

func TestCPUBadInput(t *testing.T) {
	f := func(steps, fields int, want string) {
		t.Helper()
		defer func() {
			t.Helper()
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), want) {
				t.Errorf("CPU(%d, %d) panicked with %v, want %q", steps, fields, r, want)
			}
		}()
		CPU(steps, fields)
	}
	f(-1, 1, "-1 steps is negative")
	f(1, 0, "0 fields is not in 1 to 10")
	f(1, 11, "11 fields is not in 1 to 10")
}
