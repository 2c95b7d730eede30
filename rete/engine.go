package rete

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/accretedb/accrete/rulelang"
)

// Options configure an [Engine]. The zero value gives the defaults.
type Options struct {
	// Check turns on checking mode: after every step, Run recomputes every
	// activation from scratch (walking the join tree over working memory,
	// or enumerating every tuple of a join rule) and compares it with the
	// incrementally maintained one, returning an error wrapping
	// [ErrMismatch] on a difference. A step then costs a full
	// recomputation, so this is for tests. The default is off.
	Check bool
}

// DefaultOptions returns the default options.
func DefaultOptions() *Options { return &Options{} }

// Engine is a RETE network with its working memory and agenda.
//
// An Engine is safe for concurrent use. Event handlers run after a step's
// agenda has been computed, without the engine's lock held, on the
// goroutine that called [Engine.Run]; they may call the engine.
type Engine struct {
	opts Options // never changes after New

	// mu guards every field below. Exported methods take it and call an
	// unexported twin; unexported methods and the networks assume it is
	// held.
	mu sync.Mutex

	strs       strTable
	types      map[string]*typeMem
	typeList   []*typeMem
	rules      []ruleNet
	ruleByName map[string]ruleNet
	trees      []*accTree
	// pendingRules are the rules with activation changes for the next
	// agenda; a rule adds itself with its first change of a step.
	pendingRules []ruleNet
	subs         []*subscription

	// Step state: the contents tracked facts had when the step began, and
	// string references to drop once the step's agenda has run.
	stepOld map[factRef][]uint64
	pending []uint32

	// Scratch buffers.
	encoded        []uint64 // codes of a chunk of assertions
	touched        uint64   // sums what sink.touch reads, so that it is read
	codes          []uint64
	keyBytes       []byte
	pendingAdds    []sink
	pendingInPlace []sink
	mainStack      [][]uint32
}

// ruleNet is the network of one rule.
type ruleNet interface {
	// position returns the rule's index in Engine.rules.
	position() int
	// agenda updates the activations changed in the step and appends
	// their events to out, unless out is nil.
	agenda(out *[]Event)
	// check recomputes every activation from scratch.
	check() error
	explain(key rulelang.Value) (*Explanation, error)
	activations(out *[]Activation)
	describe(b *strings.Builder)
}

type subscription struct {
	fn func(Event)
}

// New returns an empty engine. opts may be nil.
func New(opts *Options) *Engine {
	e := &Engine{
		strs:       newStrTable(),
		types:      make(map[string]*typeMem),
		ruleByName: make(map[string]ruleNet),
		stepOld:    make(map[factRef][]uint64),
	}
	if opts != nil {
		e.opts = *opts
	}
	return e
}

// Compile returns an engine with the types and rules of a checked program.
// The program's facts and retractions are not applied; [Engine.Exec] runs
// every statement in order instead.
func Compile(p *rulelang.Program, opts *Options) (*Engine, error) {
	e := New(opts)
	for _, t := range p.Types {
		if err := e.Declare(t); err != nil {
			return nil, err
		}
	}
	for _, r := range p.Rules {
		if err := e.AddRule(r); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Declare declares a fact type. Declaring a type again is allowed when the
// declarations agree (same fields, types and key); otherwise the error
// wraps [ErrTypeConflict].
func (e *Engine) Declare(t *rulelang.TypeInfo) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.declare(t)
}

func (e *Engine) declare(t *rulelang.TypeInfo) error {
	if old, ok := e.types[t.Name]; ok {
		if !sameDecl(old.info, t) {
			return fmt.Errorf("type %s: %w", t.Name, ErrTypeConflict)
		}
		return nil
	}
	tm := newTypeMem(t)
	e.types[t.Name] = tm
	e.typeList = append(e.typeList, tm)
	return nil
}

// AddRule compiles a checked rule into the network, sharing alpha nodes
// with the rules already there, and feeds it the facts in working memory.
// Its activations come out of the next [Engine.Run]. The rule's types must
// be declared (the error wraps [ErrUnknownType]) and its name must be new
// ([ErrDuplicateRule]).
func (e *Engine) AddRule(r *rulelang.Rule) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addRule(r)
}

func (e *Engine) addRule(r *rulelang.Rule) error {
	if _, ok := e.ruleByName[r.Name]; ok {
		return fmt.Errorf("rule %s: %w", r.Name, ErrDuplicateRule)
	}
	types := make([]*typeMem, len(r.Vars))
	for i, v := range r.Vars {
		t, ok := e.types[v.Type.Name]
		if !ok {
			return fmt.Errorf("rule %s: %w %s", r.Name, ErrUnknownType, v.Type.Name)
		}
		if !sameDecl(t.info, v.Type) {
			return fmt.Errorf("rule %s: type %s: %w", r.Name, v.Type.Name, ErrTypeConflict)
		}
		types[i] = t
	}
	var n ruleNet
	if r.Kind == rulelang.AggregationRule {
		n = e.newAggRule(r, types)
	} else {
		n = e.newJoinRule(r, types)
	}
	e.rules = append(e.rules, n)
	e.ruleByName[r.Name] = n
	return nil
}

// Op is the kind of a [Change].
type Op uint8

// The kinds of changes.
const (
	// OpAssert adds a fact, or replaces the fact with the same key (a
	// modify). Asserting a fact equal to the one in working memory changes
	// nothing.
	OpAssert Op = iota
	// OpRetract removes the fact with the given key.
	OpRetract
)

// Change is one change of working memory.
type Change struct {
	Op   Op
	Type string
	// Values are the fact's field values in declaration order (OpAssert),
	// or, for a type without a key field, the values of the fact to
	// retract (OpRetract).
	Values []rulelang.Value
	// Key is the key of the fact to retract (OpRetract of a type with a key
	// field).
	Key rulelang.Value
}

// Assert returns the change asserting a fact of type typ.
func Assert(typ string, values ...rulelang.Value) Change {
	return Change{Op: OpAssert, Type: typ, Values: values}
}

// Retract returns the change retracting the fact of type typ with the given
// key.
func Retract(typ string, key rulelang.Value) Change {
	return Change{Op: OpRetract, Type: typ, Key: key}
}

// Apply applies the changes, in order, as one step; the agenda does not
// run until [Engine.Run]. Changes that cannot be applied are skipped and
// reported together as [ChangeErrors]; the others take effect.
func (e *Engine) Apply(changes ...Change) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.apply(changes)
}

func (e *Engine) apply(changes []Change) error {
	var errs ChangeErrors
	// Changes go in chunks: first every assertion of the chunk is checked
	// and encoded, interning its strings, then the chunk is applied. Each
	// of these works on memory all over the heap (hash slots, groups);
	// touching that memory for the whole chunk first, in loops that do
	// nothing else, lets the cache misses of a chunk overlap instead of
	// waiting on one another.
	const chunk = 64
	if len(changes) > chunk {
		// A large step most likely brings a new key per fact: make room
		// for them in the string index at once rather than growing it
		// (and rehashing everything) several times on the way.
		e.strs.reserve(len(changes))
	}
	var types [chunk]*typeMem
	var offs [chunk + 1]int
	var last *typeMem
	for start := 0; start < len(changes); start += chunk {
		n := min(chunk, len(changes)-start)
		for i := range n {
			c := &changes[start+i]
			if c.Op != OpAssert {
				continue
			}
			for _, v := range c.Values {
				if v.Type == rulelang.TypeString {
					e.touched += e.strs.touch(v.Str)
				}
			}
		}
		buf := e.encoded[:0]
		for i := range n {
			c := &changes[start+i]
			t := last
			if t == nil || t.info.Name != c.Type {
				t = e.types[c.Type]
			}
			offs[i] = len(buf)
			types[i] = t
			var err error
			switch {
			case t == nil && c.Op == OpRetract:
				err = fmt.Errorf("retract of %w %s", ErrUnknownType, c.Type)
			case t == nil:
				err = fmt.Errorf("fact of %w %s", ErrUnknownType, c.Type)
			case c.Op == OpAssert:
				err = checkValues(t, c.Values)
				if err == nil {
					buf = append(buf, make([]uint64, t.nf)...)
					e.encode(t, c.Values, buf[offs[i]:])
				}
			}
			if err != nil {
				types[i] = nil
				errs = append(errs, &ChangeError{Index: start + i, Change: *c, Err: err})
				continue
			}
			last = t
		}
		offs[n] = len(buf)
		e.encoded = buf
		for i := range n {
			if t := types[i]; t != nil && changes[start+i].Op == OpAssert {
				codes := buf[offs[i]:offs[i+1]]
				for _, a := range t.alphas {
					for _, s := range a.sinks {
						e.touched += s.touch(codes)
					}
				}
			}
		}
		for i := range n {
			t := types[i]
			if t == nil {
				continue
			}
			c := &changes[start+i]
			if c.Op == OpAssert {
				e.assertCodes(t, buf[offs[i]:offs[i+1]])
				continue
			}
			if err := e.retract(t, c.Key, c.Values); err != nil {
				errs = append(errs, &ChangeError{Index: start + i, Change: *c, Err: err})
			}
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b *ChangeError) int { return a.Index - b.Index })
		return errs
	}
	return nil
}

// Run runs the agenda: for every rule in declaration order, the
// activations whose state changed since the last run, in first-assert
// order of their facts, become events (see [EventKind]) that are delivered
// to every subscribed handler, in order, after the agenda is done. In
// checking mode it then returns an error wrapping [ErrMismatch] if an
// incremental result is wrong.
func (e *Engine) Run() error {
	e.mu.Lock()
	evs, err := e.run()
	subs := slices.Clone(e.subs)
	e.mu.Unlock()
	for i := range evs {
		for _, s := range subs {
			s.fn(evs[i])
		}
	}
	return err
}

func (e *Engine) run() ([]Event, error) {
	// Events are built only when someone listens.
	var out *[]Event
	if len(e.subs) > 0 {
		out = new([]Event)
	}
	slices.SortFunc(e.pendingRules, func(a, b ruleNet) int { return a.position() - b.position() })
	for _, r := range e.pendingRules {
		r.agenda(out)
	}
	clear(e.pendingRules)
	e.pendingRules = e.pendingRules[:0]
	var err error
	if e.opts.Check {
		err = e.check()
	}
	for _, id := range e.pending {
		e.strs.release(id)
	}
	e.pending = e.pending[:0]
	switch n := len(e.stepOld); {
	case n > 1024:
		// Clearing costs the map's capacity: start small again.
		e.stepOld = make(map[factRef][]uint64)
	case n > 0:
		clear(e.stepOld)
	}
	if out == nil {
		return nil, err
	}
	return *out, err
}

// Step applies the changes as one step and runs the agenda. The error
// joins those of [Engine.Apply] and [Engine.Run].
func (e *Engine) Step(changes ...Change) error {
	aerr := e.Apply(changes...)
	rerr := e.Run()
	return errors.Join(aerr, rerr)
}

// Subscribe registers a handler for the activation events of every rule
// and returns a function that removes it. Handlers receive events in
// order; the slices of an Event belong to the handler.
func (e *Engine) Subscribe(fn func(Event)) (cancel func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &subscription{fn: fn}
	e.subs = append(e.subs, s)
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if i := slices.Index(e.subs, s); i >= 0 {
			e.subs = slices.Delete(e.subs, i, i+1)
		}
	}
}

// ExecOptions configure [Engine.Exec]. A nil *ExecOptions gives the
// defaults.
type ExecOptions struct {
	// Report receives every runtime error of a statement. The default
	// drops them.
	Report func(*StmtError)
	// Batch makes every run of consecutive fact and retract statements one
	// step, so the agenda runs once after the run instead of after each
	// statement: loading many facts then fires nothing for the states in
	// between. The default is off: each statement is a step.
	Batch bool
}

// Exec runs the statements of a checked program in file order: a type
// declaration declares, a rule is added and the agenda runs, and a fact or
// a retraction is applied as a step followed by the agenda (with
// ExecOptions.Batch, consecutive facts and retractions form one step).
//
// A statement that fails at runtime (a fact of a type not declared yet, a
// retraction of a missing key, a conflicting type redeclaration, a rule
// over undeclared types) has no effect: it is passed to
// ExecOptions.Report as a [*StmtError] with the statement's position, and
// the run goes on with the next statement. Exec returns an error only in
// checking mode, for a mismatch, and then stops.
func (e *Engine) Exec(p *rulelang.Program, opts *ExecOptions) error {
	var o ExecOptions
	if opts != nil {
		o = *opts
	}
	stmtErr := func(s rulelang.Statement, err error) {
		if o.Report != nil {
			o.Report(&StmtError{Pos: p.File.Position(s.Pos()), Err: err})
		}
	}
	var step []rulelang.Statement
	var changes []Change
	flush := func() error {
		if len(step) == 0 {
			return nil
		}
		err := e.Apply(changes...)
		var ces ChangeErrors
		if errors.As(err, &ces) {
			for _, ce := range ces {
				stmtErr(step[ce.Index], ce.Err)
			}
		}
		step, changes = step[:0], changes[:0]
		return e.Run()
	}
	for _, s := range p.Stmts {
		var c Change
		var t *rulelang.TypeInfo
		what := ""
		switch s := s.(type) {
		case *rulelang.Fact:
			c, t, what = Change{Op: OpAssert, Type: s.Type.Name, Values: s.Values}, s.Type, "fact of"
		case *rulelang.Retract:
			c, t, what = Change{Op: OpRetract, Type: s.Type.Name, Key: s.Key}, s.Type, "retract of"
		}
		if t != nil {
			if err := e.declared(t, what); err != nil {
				stmtErr(s, err)
				continue
			}
			step = append(step, s)
			changes = append(changes, c)
			if !o.Batch {
				if err := flush(); err != nil {
					return err
				}
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		switch s := s.(type) {
		case *rulelang.TypeInfo:
			if err := e.Declare(s); err != nil {
				stmtErr(s, err)
			}
		case *rulelang.Rule:
			if err := e.AddRule(s); err != nil {
				stmtErr(s, err)
				continue
			}
			if err := e.Run(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// declared checks that t is declared as the engine knows it.
func (e *Engine) declared(t *rulelang.TypeInfo, what string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	tm, ok := e.types[t.Name]
	switch {
	case !ok:
		return fmt.Errorf("%s %w %s", what, ErrUnknownType, t.Name)
	case !sameDecl(tm.info, t):
		return fmt.Errorf("%s type %s: %w", what, t.Name, ErrTypeConflict)
	}
	return nil
}

// Facts returns the facts of a type in first-assert order.
func (e *Engine) Facts(typ string) []Fact {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.types[typ]
	if !ok {
		return nil
	}
	out := make([]Fact, 0, t.live)
	for s := uint32(0); s < t.n; s++ {
		if t.isAlive(s) {
			out = append(out, e.fact(t, s))
		}
	}
	return out
}

// Activation is an activation that currently holds.
type Activation struct {
	Rule string
	// Facts are the bound facts, as in [Event].
	Facts []Fact
	// Aggregates are the values of the aggregation variables.
	Aggregates []Binding
}

// Activations returns the activations that held at the end of the last
// [Engine.Run], by rule in declaration order, then in first-assert order.
func (e *Engine) Activations() []Activation {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Activation
	for _, r := range e.rules {
		r.activations(&out)
	}
	return out
}

// lookupKey returns the slot of the fact of t with the given key.
func (e *Engine) lookupKey(t *typeMem, key rulelang.Value) (uint32, bool) {
	if t.key < 0 || key.Type != t.kinds[t.key] {
		return 0, false
	}
	var c uint64
	switch key.Type {
	case rulelang.TypeString:
		id, ok := e.strs.lookup(key.Str)
		if !ok {
			return 0, false
		}
		c = uint64(id)
	case rulelang.TypeNumber:
		c = math.Float64bits(key.Num)
	case rulelang.TypeBool:
		if key.Bool {
			c = 1
		}
	}
	s, ok := t.slotOfKey(c)
	if !ok || !t.isAlive(s) {
		return 0, false
	}
	return s, true
}
