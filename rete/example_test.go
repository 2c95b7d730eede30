package rete_test

import (
	"fmt"
	"log"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
)

func Example() {
	prog, err := rulelang.Compile("dept.rules", []byte(`
type Department : <id: string, budget: number>
type Employee : <id: string, deptId: string, salary: number>
rule over_budget : {d: Department, total: SUM(e.salary), n: COUNT(e.id)}
  / {e: Employee} / e.deptId == d.id AND total > d.budget
  ==> print("over budget", d.id, total), alert(d.id, n)
`))
	if err != nil {
		log.Fatal(err)
	}
	// Checking mode recomputes every activation after each step; it is
	// for tests, like this one.
	e, err := rete.Compile(prog, &rete.Options{Check: true})
	if err != nil {
		log.Fatal(err)
	}
	e.Subscribe(func(ev rete.Event) {
		fmt.Println(ev.Kind, ev.Rule, ev.Key())
		for _, a := range ev.Actions {
			fmt.Println("  " + a.String())
		}
	})
	s, n := rulelang.StringValue, rulelang.NumberValue
	// One step: the department goes over budget once, with its final total.
	err = e.Step(
		rete.Assert("Department", s("d1"), n(100000)),
		rete.Assert("Employee", s("e1"), s("d1"), n(60000)),
		rete.Assert("Employee", s("e2"), s("d1"), n(50000)),
	)
	if err != nil {
		log.Fatal(err)
	}
	// A raise changes the total: the rule fires again.
	if err := e.Step(rete.Assert("Employee", s("e2"), s("d1"), n(55000))); err != nil {
		log.Fatal(err)
	}
	// e1 leaves: the department is back under budget.
	if err := e.Step(rete.Retract("Employee", s("e1"))); err != nil {
		log.Fatal(err)
	}
	x, err := e.Explain("over_budget", s("d1"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(x)
	// Output:
	// fire over_budget "d1"
	//   over budget d1 110000
	//   alert("d1", 2)
	// update over_budget "d1"
	//   over budget d1 115000
	//   alert("d1", 2)
	// withdraw over_budget "d1"
	// over_budget "d1": does not hold
	//   total = SUM(e.salary) = 55000
	//   n = COUNT(e.id) = 1
	//   e: Employee(id: "e2", deptId: "d1", salary: 55000)
	//   total > d.budget: false
}

func ExampleEngine_Exec() {
	prog, err := rulelang.Compile("example.rules", []byte(`type Department : <id: string>
type Employee : <id: string, deptId: string>
Department(id: "d1")
Department(id: "d2")
Employee(id: "e1", deptId: "d1")
rule understaffed : {d: Department, n: COUNT(e.id)} / {e: Employee} / e.deptId == d.id AND n < 2
  ==> print("understaffed", d.id, n)
retract Employee(id: "e7")
`))
	if err != nil {
		log.Fatal(err)
	}
	e := rete.New(&rete.Options{Check: true})
	e.Subscribe(func(ev rete.Event) {
		for _, a := range ev.Actions {
			fmt.Println(a)
		}
	})
	err = e.Exec(prog, &rete.ExecOptions{Report: func(se *rete.StmtError) { fmt.Println(se) }})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// understaffed d1 1
	// understaffed d2 0
	// example.rules:8:1: cannot retract Employee(id: "e7"): no such fact
}
