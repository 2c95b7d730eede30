// Package ruleexample holds the rule program of EXAMPLES.md §1 that the
// tests of the packages storing and serving rule programs load: three fact
// types (departments, employees, performance records), their facts, and the
// multi-source aggregation rule dept_combined_metric. Only tests import it
// (the module's layout has no place for it in other code).
package ruleexample

// Program is the program of EXAMPLES.md §1 without its last three
// statements (a retraction, an assertion and a modification), which tests
// apply as a later step. It asserts 11 facts; the rule holds for the
// departments d1 and d2.
const Program = `type Department : <id: string, name: string>
type Employee : <id: string, deptId: string, salary: number>
type Performance : <id: string, employeeId: string, score: number>

Department(id: "d1", name: "Research")
Department(id: "d2", name: "Sales")
Department(id: "d3", name: "Empty")
Employee(id: "e1", deptId: "d1", salary: 60000)
Employee(id: "e2", deptId: "d1", salary: 40000)
Employee(id: "e3", deptId: "d1", salary: 80000)
Employee(id: "e4", deptId: "d2", salary: 30000)
Performance(id: "p1", employeeId: "e1", score: 90)
Performance(id: "p2", employeeId: "e1", score: 80)
Performance(id: "p3", employeeId: "e2", score: 70)
Performance(id: "p4", employeeId: "e4", score: 95)

rule dept_combined_metric :
  {d: Department, avg_sal: AVG(e.salary), avg_score: AVG(p.score)}
  / {e: Employee} / {p: Performance}
  / e.deptId == d.id AND p.employeeId == e.id
  ==> print("dept", d.id, avg_sal, avg_score)
`
