// Package rulelang is the front end of the rule language: a hand-written
// scanner and recursive-descent parser producing a syntax tree with
// positions, a printer writing canonical source, and a checker that resolves
// names, types every expression and classifies rule conditions for the
// engine.
//
// # Language
//
//	type Department : <id: string, name: string>
//	type Employee : <#id: string, deptId: string, salary: number>
//	Employee(id: "e1", deptId: "d1", salary: 52000)
//	retract Employee(id: "e1")
//	rule dept_avg : {d: Department, avg_sal: AVG(e.salary)} / {e: Employee}
//	  / e.deptId == d.id AND avg_sal > 50000
//	  ==> print("avg", d.id, avg_sal)
//	rule r2 : {p: Person, o: Order} / p.id == o.customer_id AND o.amount > 100 ==> premium(p.id, o.id)
//
// Keywords (type, rule, retract, AND, OR, NOT, true, false) are recognised
// in any letter case, and so are the aggregate functions AVG, SUM, COUNT,
// MIN and MAX. Comments are // to the end of the line and /* ... */.
//
// # Entry points
//
// [ParseFile] turns source into a [*File]; [Check] turns a File into a
// [*Program]. Both report every diagnostic they find as an [ErrorList]
// sorted by position, each printed as file:line:col: message. [Format]
// writes a File back as canonical source.
package rulelang
