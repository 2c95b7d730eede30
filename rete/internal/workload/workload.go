// Package workload generates the departments / employees / performance
// records workload of the rule-engine benchmarks (the shape of
// shared/bench/rules/gen/genbench.py with rule set b): D departments, 20
// employees per department, 0 to 8 performance records per employee, and
// the two-source rule
//
//	AVG(e.salary) > 60000 AND AVG(p.score) > 50
//
// over Department ← Employee ← Performance. It lives in the repository so
// that the benchmarks are reproducible with go test alone.
package workload

import (
	"math/rand/v2"
	"strconv"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
)

// Program declares the workload's types and its rule.
const Program = `type Department : <#id: string, name: string>
type Employee : <#id: string, deptId: string, salary: number>
type Performance : <#id: string, employeeId: string, score: number>

rule r_b : {d: Department, avg_sal: AVG(e.salary), avg_score: AVG(p.score)}
  / {e: Employee} / {p: Performance}
  / e.deptId == d.id AND p.employeeId == e.id AND avg_sal > 60000 AND avg_score > 50
  ==> OUT("b", d.id)
`

// EmployeesPerDept and MaxRecords fix the shape: every department has 20
// employees, every employee 0 to 8 records (4 on average), so a department
// brings 101 facts on average.
const (
	EmployeesPerDept = 20
	MaxRecords       = 8
	FactsPerDept     = 1 + EmployeesPerDept + EmployeesPerDept*MaxRecords/2
)

// Employee is an employee's current state.
type Employee struct {
	ID     string
	Dept   int // index in Workload.Depts
	Salary float64
}

// Record is a performance record.
type Record struct {
	ID       string
	Employee int // index in Workload.Employees
	Score    float64
}

// Workload is a generated data set. Its slices describe the current state
// of the facts; the change generators keep them up to date.
type Workload struct {
	Depts     []string
	Employees []Employee
	Records   []Record
	rng       *rand.Rand
}

// Generate builds a workload with about n facts (at least one department)
// from a fixed seed. Employees and records come in shuffled order, as in
// genbench.py.
func Generate(n int, seed uint64) *Workload {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	d := max(1, (n+FactsPerDept/2)/FactsPerDept)
	w := &Workload{rng: rng}
	for di := range d {
		w.Depts = append(w.Depts, "d"+strconv.Itoa(di+1))
		baseSal := 45000 + rng.IntN(30001)
		baseScore := 30 + rng.IntN(41)
		for range EmployeesPerDept {
			ei := len(w.Employees)
			w.Employees = append(w.Employees, Employee{
				ID:     "e" + strconv.Itoa(ei+1),
				Dept:   di,
				Salary: float64(baseSal + rng.IntN(30001) - 15000),
			})
			for range rng.IntN(MaxRecords + 1) {
				w.Records = append(w.Records, Record{
					ID:       "p" + strconv.Itoa(len(w.Records)+1),
					Employee: ei,
					Score:    float64(baseScore + rng.IntN(51) - 25),
				})
			}
		}
	}
	rng.Shuffle(len(w.Employees), func(i, j int) { w.Employees[i], w.Employees[j] = w.Employees[j], w.Employees[i] })
	// Records refer to employees by index: remap after the shuffle.
	where := make(map[string]int, len(w.Employees))
	for i, e := range w.Employees {
		where[e.ID] = i
	}
	for i := range w.Records {
		r := &w.Records[i]
		r.Employee = where["e"+strconv.Itoa(r.Employee+1)]
	}
	rng.Shuffle(len(w.Records), func(i, j int) { w.Records[i], w.Records[j] = w.Records[j], w.Records[i] })
	return w
}

// Facts returns the number of facts.
func (w *Workload) Facts() int { return len(w.Depts) + len(w.Employees) + len(w.Records) }

// Changes returns the assertions of every fact: departments, then
// employees, then records.
func (w *Workload) Changes() []rete.Change {
	out := make([]rete.Change, 0, w.Facts())
	for _, d := range w.Depts {
		out = append(out, rete.Assert("Department", rulelang.StringValue(d), rulelang.StringValue("N"+d)))
	}
	for i := range w.Employees {
		out = append(out, w.employee(i))
	}
	for i := range w.Records {
		out = append(out, w.record(i))
	}
	return out
}

func (w *Workload) employee(i int) rete.Change {
	e := &w.Employees[i]
	return rete.Assert("Employee", rulelang.StringValue(e.ID), rulelang.StringValue(w.Depts[e.Dept]), rulelang.NumberValue(e.Salary))
}

func (w *Workload) record(i int) rete.Change {
	r := &w.Records[i]
	return rete.Assert("Performance", rulelang.StringValue(r.ID), rulelang.StringValue(w.Employees[r.Employee].ID), rulelang.NumberValue(r.Score))
}

// ModifySalary returns a change giving a random employee a new salary.
func (w *Workload) ModifySalary() rete.Change {
	i := w.rng.IntN(len(w.Employees))
	w.Employees[i].Salary = float64(30000 + w.rng.IntN(60001))
	return w.employee(i)
}

// MoveEmployee returns a change moving a random employee to another
// department (with one department, to the same one).
func (w *Workload) MoveEmployee() rete.Change {
	i := w.rng.IntN(len(w.Employees))
	e := &w.Employees[i]
	if n := len(w.Depts); n > 1 {
		e.Dept = (e.Dept + 1 + w.rng.IntN(n-1)) % n
	}
	return w.employee(i)
}

// RetractRecord returns a change retracting a random record, and the
// change asserting it again.
func (w *Workload) RetractRecord() (retract, restore rete.Change) {
	i := w.rng.IntN(len(w.Records))
	return rete.Retract("Performance", rulelang.StringValue(w.Records[i].ID)), w.record(i)
}

// DropRecord returns a change retracting a random record for good.
func (w *Workload) DropRecord() rete.Change {
	i := w.rng.IntN(len(w.Records))
	c := rete.Retract("Performance", rulelang.StringValue(w.Records[i].ID))
	last := len(w.Records) - 1
	w.Records[i] = w.Records[last]
	w.Records = w.Records[:last]
	return c
}

// Expected returns, per department in order, whether the rule holds for it
// in the workload's current state, computed directly from the data.
func (w *Workload) Expected() []bool {
	type acc struct {
		salSum, salN, scoreSum, scoreN float64
	}
	accs := make([]acc, len(w.Depts))
	for _, e := range w.Employees {
		accs[e.Dept].salSum += e.Salary
		accs[e.Dept].salN++
	}
	for _, r := range w.Records {
		a := &accs[w.Employees[r.Employee].Dept]
		a.scoreSum += r.Score
		a.scoreN++
	}
	out := make([]bool, len(w.Depts))
	for i, a := range accs {
		out[i] = a.salN > 0 && a.scoreN > 0 && a.salSum/a.salN > 60000 && a.scoreSum/a.scoreN > 50
	}
	return out
}
