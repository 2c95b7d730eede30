// Package rulelang is the front end of accrete's rule language: a
// hand-written scanner and recursive-descent parser producing a syntax tree
// with positions, a printer writing canonical source, and a checker that
// resolves names, types every expression and classifies rule conditions for
// the engine (package rete).
//
// # Language
//
//	type Department : <id: string, name: string, budget: number>
//	type Employee : <#id: string, deptId: string, salary: number>   // # marks the key field
//	Employee(id: "e1", deptId: "d1", salary: 52000)                  // assert a fact
//	retract Employee(id: "e1")                                       // retract by key
//	rule dept_avg : {d: Department, avg_sal: AVG(e.salary)} / {e: Employee}
//	  / e.deptId == d.id AND avg_sal > d.budget
//	  ==> print("avg", d.id, avg_sal), over_budget(d.id)
//	rule r2 : {p: Person, o: Order} / p.id == o.customer_id AND o.amount > 100 ==> premium(p.id, o.id)
//
// Field types are string, number (float64) and bool. The key field of a type
// is the field marked with #, else a field named id; a type without one has
// no key. A fact names every field exactly once with a literal value
// (strings with \" \\ \/ \n \t \r \uXXXX escapes; numbers with optional sign,
// fraction and exponent; true and false).
//
// A rule is "rule name :" followed by pattern blocks separated by "/", an
// optional condition after one more "/", then "==>" and one or more actions
// separated by commas. A block entry "v: Type" declares a pattern variable;
// an entry "a: FUNC(expr)" in the first block declares an aggregation
// variable, with FUNC one of AVG, SUM, COUNT, MIN, MAX. Conditions use
// == != < <= > >=, AND OR NOT, parentheses, + - * / and string
// concatenation with +. An action is print(args) or any other name, a named
// action. Keywords and aggregate functions are recognised in any letter
// case; comments are // to the end of the line and /* ... */.
//
// # Entry points
//
// [ParseFile] turns source into a [*File] (the syntax tree); [Check] turns a
// File into a [*Program]; [Compile] does both; [Program.Extend] checks a
// further file against the types and rules of a program, for programs that
// arrive in parts. [Format] writes a File back
// as canonical source: parsing the output yields the same tree up to
// positions. All three functions are safe for concurrent use on different
// inputs; a File or Program must not be modified while it is being read.
//
// Large inputs use every processor: ParseFile cuts a file at lines that
// start a statement and parses the parts concurrently, keeping a part only
// when the parser of the text before it stopped exactly at the cut, so the
// tree and diagnostics are those of parsing in one piece; Check checks the
// statements in parts once the types are declared, then numbers the rules
// in file order. Facts, the bulk of large files, keep their arguments in
// pointer-free records over a copy of the source, and program facts'
// strings share that copy, which stays alive as long as they do.
//
// # Diagnostics
//
// The scanner, parser and checker never stop at the first problem. Errors
// come back as an [ErrorList] of [*Diagnostic] sorted by position; its Error
// method prints one "file:line:col: message" per line, with 1-based byte
// columns. The parser recovers at the next statement (type, rule, retract or
// a fact starting a line), so it reports the first syntax error of every
// statement, besides lexical errors such as a bad escape; Compile does not
// check a file with syntax errors. The checker reports
// unknown and duplicate names, type errors, malformed facts and retractions,
// misused aggregates and join conditions that do not form a tree. All
// message texts are in messages.go.
//
// # Programs
//
// A [Program] lists [Program.Types], [Program.Rules] and, in file order,
// [Program.Stmts]: *[TypeInfo], *[Fact], *[Retract] and *[Rule]. The engine
// runs the statements in this order; consecutive facts and retractions form
// one step. Types are visible in the whole file. A Fact holds one [Value]
// per field in declaration order; asserting a fact whose key exists replaces
// the old one.
//
// Expressions of a checked rule are [Term]s: *[Const], *[FieldRef],
// *[AggRef], *[Unary] and *[Binary]. Names are resolved to indices:
// FieldRef.Var indexes [Rule.Vars] and FieldRef.Field the variable's
// [TypeInfo.Fields]; AggRef.Agg indexes [Rule.Aggregates]. Every Term has a
// [Type]; "+" is resolved to [OpAdd] or [OpConcat]. No Term contains an
// error: a Program is returned only when there are no diagnostics.
//
// # Rule kinds and condition classification
//
// A rule with aggregation variables is an [AggregationRule]: Vars[0] is the
// main variable and every other variable is a source. A rule without them is
// a [JoinRule] over all its pattern variables.
//
// The condition's top-level AND conjuncts are classified:
//
//   - a conjunct mentioning an aggregation variable is a threshold
//     ([Rule.Thresholds]); besides aggregation variables it may mention only
//     fields of the main variable;
//   - a conjunct "a.f == b.g" between fields of two different variables is a
//     join; all such equalities between the same two variables form one
//     [Join] with a composite key ([Join.Keys]);
//   - a conjunct mentioning one variable is a filter of that variable
//     ([Var.Filters]); one mentioning no variable is a filter of Vars[0];
//   - any other conjunct mentioning two or more variables is a join filter
//     ([Rule.JoinFilters]) in a join rule, and an error in an aggregation
//     rule, whose joins must be equalities combined with AND.
//
// In an aggregation rule the joins must form a tree over all variables,
// rooted at the main variable: a cycle or a source not reached is an error.
// [Rule.Joins] lists the tree edges parent first, in breadth-first order
// from the main variable, so a network can be built by walking the slice.
// Each [Aggregate] ranges over one source variable ([Aggregate.Source]); its
// argument mentions only that variable's fields, and must be a number
// unless the function is COUNT.
package rulelang
