// Package rete is accrete's rule engine: it compiles checked rule programs
// ([rulelang.Program]) into a RETE network, keeps working memory, and runs
// an agenda that turns changes of working memory into activation events.
//
// # Using it
//
//	prog, err := rulelang.Compile("dept.rules", src)
//	e, err := rete.Compile(prog, nil)          // types and rules
//	cancel := e.Subscribe(func(ev rete.Event) { ... })
//	err = e.Step(                             // one step: apply, then run the agenda
//		rete.Assert("Employee", rulelang.StringValue("e1"), rulelang.StringValue("d1"), rulelang.NumberValue(52000)),
//		rete.Retract("Employee", rulelang.StringValue("e7")),
//	)
//	x, err := e.Explain("dept_avg", rulelang.StringValue("d1"))
//
// [Engine.Exec] runs a whole program statement by statement, as
// accrete run does: each fact or retraction is a step, unless
// [ExecOptions.Batch] makes every run of consecutive ones a single step.
//
// # Working memory
//
// A fact is identified by its key: the field marked with #, else the field
// named id, else its whole content. Asserting a fact whose key exists
// replaces it (a modify); asserting an equal fact changes nothing.
// Retracting a missing key is an error ([ErrNoFact]). Facts are numbered in
// the order their keys were first asserted; a key retracted and asserted
// again keeps its number, so a retracted fact's slot stays reserved for its
// key: working memory grows with the number of distinct keys ever
// asserted. Field values are stored as 8-byte codes, strings interned with
// reference counts.
//
// # The network
//
// Alpha nodes test one pattern variable's filters on the facts of its
// type; variables of any rules with the same type and filters share a
// node. A rule without aggregation variables (a join rule) becomes a chain
// of join levels, one per variable, each a hash join on the equalities
// with earlier variables, indexed on both sides, plus the join filters
// that become complete there; every token of the last level is an
// activation. A rule with aggregation variables becomes an accumulate
// network, described next; rules with the same main variable, sources,
// filters and joins share one, which computes the union of their
// aggregates (a rule added once the network holds facts shares it only if
// it needs no new aggregate). [Engine.Describe] prints the network.
//
// # Aggregation over joins
//
// The main variable (the first one) roots a tree of equality joins
// reaching every source variable. An aggregate over source v ranges over
// the distinct facts of v connected to the main fact along the path from
// the main variable to v: each fact counts once however many paths reach
// it, and facts of sibling branches play no part. COUNT and SUM of nothing
// are 0; AVG, MIN and MAX of nothing are null, and the rule does not hold
// for a main fact while one of its aggregates is null. The thresholds (the
// conditions on aggregates, which may use the main fact's fields) decide
// whether it holds.
//
// The aggregates are maintained without materializing the join. The facts
// of a source variable are grouped by their join key. A group keeps a
// partial state per aggregate over its members and records how many facts
// of the parent variable connect each main fact to it; every main fact
// keeps one state per aggregate, the merge of the partial states of the
// groups it reaches: a count and a Neumaier-compensated sum for COUNT,
// SUM and AVG, an ordered multiset ([aggregate.FloatMinMax]) for MIN and
// MAX, holding each reached group's extreme. A fact entering or leaving a
// group updates the group's partial and the states of the main facts the
// group reaches; a main fact entering or leaving a group's reach merges or
// unmerges the group's partial and passes the change down the tree. Each
// change costs time proportional to the groups and main facts it touches,
// never to the size of working memory; a modification that keeps a fact's
// join fields updates its values in place. Sums of integers are exact:
// after any sequence of changes they equal the sum computed from scratch.
//
// # The agenda
//
// [Engine.Apply] applies a step's changes; [Engine.Run] runs the agenda
// once for all of them. For each rule in declaration order, the
// activations whose state changed are visited in first-assert order of
// their main facts (join rules: of their tuples' facts, first variable
// first):
//
//   - an activation that starts to hold fires ([Fire]): its actions run;
//   - one that still holds and whose bound values changed (an aggregate
//     value or a field of the main fact; for a join rule, a field of a
//     fact of its tuple) fires again ([Update]);
//   - one that stops holding is withdrawn ([Withdraw]); no action runs.
//
// Changes that cancel out within a step fire nothing. Events go to the
// handlers given to [Engine.Subscribe], with the bound facts, aggregate
// values and evaluated action arguments.
//
// # Checking mode
//
// With [Options.Check], every Run recomputes every activation from
// scratch, walking the join tree over working memory (or enumerating all
// tuples of a join rule) without the network's memories, and returns an
// error wrapping [ErrMismatch] when a value, a holds decision or an
// activation differs. The package's tests run with it on.
package rete
