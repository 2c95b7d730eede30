// Package rulestore runs rule programs as a durable service: named
// programs, the facts they share, their activations and a stream of
// activation events, all kept in the storage engine's Pebble database.
//
// # Why a package of its own
//
// It joins the rule engine to durable storage. Package rete is a pure
// in-memory engine and must never import storage or HTTP; package server
// stays an HTTP layer that decodes requests and encodes answers. What lies
// between, which programs exist, which facts are stored, how a step is
// made atomic and durable, how networks are rebuilt after a restart, lives
// here. [Service] is the whole API; server's rule routes call it through
// an interface.
//
// # Programs and facts
//
// A program is a rules source stored under a name ([Service.Put]). Each
// program runs in an engine of its own, built from its types and rules.
// Facts are not owned by programs: they are identified by type name and
// key, and every program that declares a type sees all its facts, as rule
// sets over one table. So a fact is posted once, without naming a program
// ([Service.Step]), and a program's new version, or a new program, starts
// from the facts already stored. A type must be declared identically
// (fields, field types, key) by every program that declares it; a program
// declaring it differently is refused with a diagnostic at the
// declaration. A fact of a type no program declares is refused.
//
// Facts written inside a program's source are asserted, and its
// retractions applied, in file order when the program is put, all of them
// as one step (accrete run makes a step of each run of consecutive facts;
// a service has no moment between them). A retraction of a key no fact has
// is a diagnostic. Putting the same source again asserts those facts again;
// [Service.Ensure] leaves a program stored with the same source alone.
//
// A type's facts live as long as some program declares it. Deleting the
// last program that declares a type discards its facts in the same atomic
// batch. A new version of a program that drops a type, or declares it
// differently, while it has facts and no other program declares it, is
// refused with a [*FactsInUseError] unless [PutOptions.DropFacts] allows
// discarding them; facts stored under another declaration could not be
// read back.
//
// # Atomic replace
//
// [Service.Put] compiles and checks the new source, checks its types
// against the other programs and its retractions against the stored facts,
// builds a new engine, replays the stored facts of its types into it in
// first-assert order without delivering events, applies the program's own
// facts, and runs the agenda. Only then does it store the source and the
// program's facts in one batch, and swap the engine in. Any failure before
// the commit leaves everything as it was.
//
// The activations are recomputed, and subscribers see only the
// differences: an activation that held before and still holds with the
// same bound values (facts and aggregates) is not fired again; one whose
// values changed fires an update, a new one fires, and one that no longer
// holds is withdrawn. A new program fires every activation that holds
// over the stored facts.
//
// # Steps and durability
//
// A step is a list of assertions and retractions ([Change]) applied
// together: one POST of facts. It is checked first, in order, against the
// stored keys and the declarations: every fact must fit its type (field
// count, field types, finite numbers) and every retraction must name a
// live key (possibly asserted earlier in the same step). A step with any
// bad change is refused as a whole with [FactErrors] naming each one;
// nothing changes. A valid step is written as one storage batch and
// committed under the storage's durability mode; only after the commit
// are the changes applied to the engines, so memory never runs ahead of
// disk and no action runs, and no event is seen, for a change that was not
// stored. Since the checked changes cannot fail in the engines, memory
// never falls behind either; should an engine refuse one all the same (a
// bug), it is rebuilt from storage. A crash at any point loses no
// acknowledged step and stores no partial one.
//
// # Storage layout
//
// Records live in the storage metadata namespace "rules" (docs/format.md,
// section Rules): one record per program with its source and the time of
// its last put, and one record per fact key with the key's first-assert
// sequence number, whether a fact has the key, and the fact's values in
// declared field order. A retracted key keeps its record without values, as
// the engine keeps its place: asserting it again keeps its position in the
// agenda order, before and after a restart.
//
// # Restart
//
// [Open] reads every program and fact record, compiles the programs, and
// rebuilds each engine by asserting its types' facts in first-assert order
// (asserting and retracting each retracted key, to give it its place) as
// one step, then runs the agenda with nothing subscribed. The activations
// are those that held before the restart, with the same values, and no
// action runs and no event is delivered for them: after a restart nothing
// fires twice. Subscribers attach afterwards and see only new changes.
//
// # Events
//
// [Service.Subscribe] registers a handler for the events of every program:
// fires and updates with their evaluated actions, and withdrawals. Handlers
// run synchronously, in event order, at the end of each step, with the
// service's lock held, so they must hand events off without blocking (the
// HTTP event stream gives each client a bounded buffer and drops a client
// that falls behind). [Service.Stats] counts facts per type, activations
// per rule, actions run and step latencies.
package rulestore
