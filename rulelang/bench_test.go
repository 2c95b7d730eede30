package rulelang

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user + system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the throughput per CPU second, including the garbage
// collector's work on other threads, which stays meaningful on a loaded
// machine where wall-clock MB/s is not.
func reportCPU(b *testing.B, bytes int, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/1e6/d.Seconds(), "MB/cpu-s")
	}
}

// benchProgram generates a program of the given numbers of rules and facts:
// three related types, facts spread over them, and rules of every shape
// (multi-source and single-source aggregation, plain joins, filters).
func benchProgram(rules, facts int) []byte {
	var b strings.Builder
	b.WriteString("type Department : <id: string, name: string, budget: number>\n")
	b.WriteString("type Employee : <#id: string, deptId: string, salary: number, active: bool>\n")
	b.WriteString("type Performance : <id: string, employeeId: string, score: number>\n")
	depts := facts / 100
	emps := facts / 5
	for i := 0; i < facts; i++ {
		switch {
		case i < depts:
			fmt.Fprintf(&b, "Department(id: \"d%d\", name: \"Department %d\", budget: %d)\n", i, i, 100000+i)
		case i < depts+emps:
			fmt.Fprintf(&b, "Employee(id: \"e%d\", deptId: \"d%d\", salary: %d.5, active: %t)\n", i, i%depts, 30000+i%50000, i%3 != 0)
		default:
			fmt.Fprintf(&b, "Performance(id: \"p%d\", employeeId: \"e%d\", score: %d)\n", i, depts+i%emps, i%100)
		}
	}
	for i := 0; i < rules; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "rule multi_%d :\n  {d: Department, avg_sal: AVG(e.salary), avg_score: AVG(p.score), n: COUNT(p.id)}\n"+
				"  / {e: Employee} / {p: Performance}\n"+
				"  / e.deptId == d.id AND p.employeeId == e.id AND e.active == true AND avg_sal > %d AND (avg_score >= 50 OR n < 3)\n"+
				"  ==> print(\"dept\", d.id, avg_sal, avg_score), alert(d.name + \"!\", n)\n", i, 40000+i)
		case 1:
			fmt.Fprintf(&b, "rule single_%d : {d: Department, total: SUM(e.salary - 1000)} / {e: Employee} / e.deptId == d.id AND total > d.budget * 2 ==> over_budget(d.id, total)\n", i)
		case 2:
			fmt.Fprintf(&b, "rule join_%d : {e: Employee, p: Performance} / p.employeeId == e.id AND p.score > %d AND e.salary / 12 < 5000 ==> star(e.id, p.score)\n", i, i%100)
		case 3:
			fmt.Fprintf(&b, "rule alpha_%d : {e: Employee} / e.salary >= %d AND NOT e.active /* inactive */ ==> print(\"inactive\", e.id) // check\n", i, 10000+i)
		}
	}
	return []byte(b.String())
}

func TestBenchProgramChecks(t *testing.T) {
	prog, err := Compile("bench.rules", benchProgram(40, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(prog.Rules) != 40 || len(prog.Stmts) != 3+1000+40 {
		t.Fatalf("got %d rules and %d statements", len(prog.Rules), len(prog.Stmts))
	}
}

// BenchmarkParseCheck measures ParseFile + Check over a file of 10,000 rules
// and 100,000 facts.
func BenchmarkParseCheck(b *testing.B) {
	src := benchProgram(10000, 100000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		f, err := ParseFile("bench.rules", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Check(f); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, len(src), start)
}

// BenchmarkParse measures ParseFile alone on the same file.
func BenchmarkParse(b *testing.B) {
	src := benchProgram(10000, 100000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := ParseFile("bench.rules", src); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, len(src), start)
}

// BenchmarkCheck measures Check alone on the same file.
func BenchmarkCheck(b *testing.B) {
	src := benchProgram(10000, 100000)
	f, err := ParseFile("bench.rules", src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := Check(f); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, len(src), start)
}
