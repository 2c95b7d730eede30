package rulestore

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
	"github.com/accretedb/accrete/storage"
)

// Change is one change of a step: an assertion or a retraction (see
// rete.Change), with where it came from.
type Change struct {
	rete.Change
	// At names the change in error messages: "3:1" for a statement of
	// language syntax, "facts[2]" for an item of a JSON array. Empty
	// means "change N", N counted from 0.
	At string
}

// StepResult says what a step did.
type StepResult struct {
	Asserted  int // assertions, modifications included
	Retracted int
	Events    EventCounts // the events the step delivered
}

// EventCounts counts activation events by kind.
type EventCounts struct {
	Fire, Update, Withdraw int
}

func (c *EventCounts) add(k rete.EventKind) {
	switch k {
	case rete.Fire:
		c.Fire++
	case rete.Update:
		c.Update++
	case rete.Withdraw:
		c.Withdraw++
	}
}

// Step applies the changes as one step: every program declaring a changed
// type sees them as one step of its engine, whose agenda then runs once.
// The changes are checked first, in order (a retraction may remove a fact
// an earlier change of the step asserted); if any cannot be applied, the
// error is a [FactErrors] listing them and nothing changes. Otherwise the
// changes are stored in one atomic, durable batch, then applied to the
// engines, and their events are delivered to the subscribers before Step
// returns.
func (s *Service) Step(changes []Change) (*StepResult, error) {
	if len(changes) == 0 {
		return nil, ErrNoChanges
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.step(changes)
}

func (s *Service) step(changes []Change) (*StepResult, error) {
	start := time.Now()
	ov := s.newOverlay(s.mu.types)
	var errs FactErrors
	for i := range changes {
		c := &changes[i]
		if err := ov.apply(&c.Change); err != nil {
			at := c.At
			if at == "" {
				at = "change " + strconv.Itoa(i)
			}
			if errs = append(errs, &FactError{At: at, Err: err}); len(errs) == maxFactErrors {
				break
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	b := s.st.NewBatch()
	if err := ov.write(b); err != nil {
		b.Discard()
		return nil, err
	}
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("cannot store facts: %w", err)
	}
	s.commitOverlay(ov)

	res := &StepResult{Asserted: ov.asserted, Retracted: ov.retracted}
	rc := make([]rete.Change, len(changes))
	for i := range changes {
		rc[i] = changes[i].Change
	}
	var runErr error
	for _, p := range s.sortedPrograms() {
		if err := s.applyTo(p, rc); err != nil {
			runErr = err
		}
		trackActive(p, p.events)
		s.deliver(p, p.events, &res.Events)
		p.events = p.events[:0]
	}
	s.mu.steps.observe(time.Since(start).Seconds())
	return res, runErr
}

// applyTo applies the changes of the types p declares to its engine as
// one step and runs the agenda; the events land in p.events. An engine
// refusing a change is a bug: p is rebuilt from storage.
func (s *Service) applyTo(p *program, changes []rete.Change) error {
	mine := changes
	for _, c := range changes {
		if !p.declares(c.Type) {
			mine = nil
			break
		}
	}
	if mine == nil {
		for _, c := range changes {
			if p.declares(c.Type) {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			return nil
		}
	}
	if err := p.engine.Apply(mine...); err != nil {
		s.log.Error("BUG: an engine refused checked facts; rebuilding it from storage", "program", p.name, "err", err)
		p.events = p.events[:0]
		s.rebuild(p)
		return nil
	}
	return p.engine.Run()
}

// overlay holds the changes of a step over the stored fact keys until the
// step's batch is committed.
type overlay struct {
	types     map[string]*factType
	entries   map[overlayKey]*overlayEntry
	order     []*overlayEntry // in order of first change
	nextSeq   uint64
	asserted  int
	retracted int
	buf       []byte
}

type overlayKey struct{ typ, key string }

type overlayEntry struct {
	ft     *factType
	key    string
	seq    uint64 // 0: a new key
	live   bool
	values []rulelang.Value // the new values when live
}

// newOverlay starts an overlay over the given types (s.mu.types, or a view
// of it with the types a new program version declares).
func (s *Service) newOverlay(types map[string]*factType) *overlay {
	return &overlay{
		types:   types,
		entries: make(map[overlayKey]*overlayEntry),
		nextSeq: s.mu.nextSeq,
	}
}

// entry returns the overlay entry of a key, made from the stored state on
// first use.
func (o *overlay) entry(ft *factType, key []byte) *overlayEntry {
	if e, ok := o.entries[overlayKey{ft.info.Name, string(key)}]; ok {
		return e
	}
	e := &overlayEntry{ft: ft, key: string(key)}
	if st, ok := ft.keys[e.key]; ok {
		e.seq, e.live = st>>1, st&1 == 1
	}
	o.entries[overlayKey{ft.info.Name, e.key}] = e
	o.order = append(o.order, e)
	return e
}

// apply checks one change against the overlay and records it.
func (o *overlay) apply(c *rete.Change) error {
	ft := o.types[c.Type]
	if ft == nil {
		return fmt.Errorf("%w %s", ErrUnknownType, c.Type)
	}
	t := ft.info
	switch c.Op {
	case rete.OpAssert:
		if err := checkValues(t, c.Values); err != nil {
			return err
		}
		o.buf = appendFactKey(o.buf[:0], t, c.Values)
		e := o.entry(ft, o.buf)
		if e.seq == 0 {
			e.seq = o.nextSeq
			o.nextSeq++
		}
		e.live, e.values = true, c.Values
		o.asserted++
		return nil
	case rete.OpRetract:
		if t.Key >= 0 {
			if c.Key.Type != t.Fields[t.Key].Type {
				return fmt.Errorf("%w: key %s of %s is %s, but the value is %s",
					ErrBadKey, t.Fields[t.Key].Name, t.Name, t.Fields[t.Key].Type, typeName(c.Key.Type))
			}
			o.buf = appendKeyValue(o.buf[:0], c.Key)
		} else {
			if err := checkValues(t, c.Values); err != nil {
				return err
			}
			o.buf = appendFactKey(o.buf[:0], t, c.Values)
		}
		e := o.entry(ft, o.buf)
		if !e.live {
			return fmt.Errorf("retract of %s: %w", describeKey(t, c), ErrNoFact)
		}
		e.live, e.values = false, nil
		o.retracted++
		return nil
	}
	return fmt.Errorf("%w: unknown operation %d", ErrBadFact, c.Op)
}

// describeKey names the fact a retraction addresses: Employee "e1", or the
// whole fact for a type without a key field.
func describeKey(t *rulelang.TypeInfo, c *rete.Change) string {
	if t.Key >= 0 {
		return t.Name + " " + c.Key.String()
	}
	return rete.Fact{Type: t, Values: c.Values}.String()
}

// write adds the records of the changed keys to a batch.
func (o *overlay) write(b *storage.Batch) error {
	var rec []byte
	for _, e := range o.order {
		var vals []rulelang.Value
		if e.live {
			vals = e.values
		}
		rec = appendFactRecord(rec[:0], e.seq, vals)
		if e.seq == 0 {
			panic("BUG: fact record without a sequence number")
		}
		if err := b.SetMeta(namespace, factKey(e.ft.info.Name, e.key), rec); err != nil {
			return err
		}
	}
	return nil
}

// commitOverlay applies an overlay to the fact types it was made over,
// once its batch is stored. The caller holds s.mu.
func (s *Service) commitOverlay(o *overlay) {
	s.mu.nextSeq = o.nextSeq
	for _, e := range o.order {
		old, ok := e.ft.keys[e.key]
		wasLive := ok && old&1 == 1
		e.ft.keys[e.key] = e.seq<<1 | b2u(e.live)
		switch {
		case e.live && !wasLive:
			e.ft.live++
		case !e.live && wasLive:
			e.ft.live--
		}
	}
}

// checkValues checks that values fit the fields of t.
func checkValues(t *rulelang.TypeInfo, values []rulelang.Value) error {
	if len(values) != len(t.Fields) {
		return fmt.Errorf("%w: %s has %d fields, but the fact has %d values", ErrBadFact, t.Name, len(t.Fields), len(values))
	}
	for i, v := range values {
		f := &t.Fields[i]
		if v.Type != f.Type {
			return fmt.Errorf("%w: field %s of %s is %s, but the value is %s", ErrBadFact, f.Name, t.Name, f.Type, typeName(v.Type))
		}
		if v.Type == rulelang.TypeNumber && (math.IsNaN(v.Num) || math.IsInf(v.Num, 0)) {
			return fmt.Errorf("%w: field %s of %s must be a finite number", ErrBadFact, f.Name, t.Name)
		}
	}
	return nil
}

// typeName names a value's type in messages; an invalid type is a
// missing value.
func typeName(t rulelang.Type) string {
	if t == rulelang.TypeInvalid {
		return "missing"
	}
	return t.String()
}

// ParseFacts reads facts and retractions in the language's syntax, one
// statement after another, against the declared types:
//
//	Employee(id: "e1", deptId: "d1", salary: 52000)
//	retract Employee(id: "e7")
//
// Every problem is reported, as a rulelang.ErrorList of line:col
// diagnostics; other statements (types, rules) are errors too. Each change
// records its line:col in Change.At.
func (s *Service) ParseFacts(src []byte) ([]Change, error) {
	f, err := rulelang.ParseFile("", src)
	if err != nil {
		return nil, err
	}
	var diags rulelang.ErrorList
	for _, st := range f.Stmts {
		switch st.(type) {
		case *rulelang.FactStmt, *rulelang.RetractStmt:
		default:
			diags.Add(f.Position(st.Pos()), msgNotFact)
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	if len(f.Stmts) == 0 {
		return nil, ErrNoChanges
	}
	s.mu.RLock()
	types := make([]*rulelang.TypeInfo, 0, len(s.mu.types))
	for _, ft := range s.mu.types {
		types = append(types, ft.info)
	}
	s.mu.RUnlock()
	// Check the statements together with declarations of the stored
	// types, appended after them so that every position is the body's.
	decls, err := rulelang.ParseFile("", declSource(types))
	if err != nil {
		panic("BUG: generated type declarations do not parse: " + err.Error())
	}
	f.Stmts = append(f.Stmts, decls.Stmts...)
	prog, err := rulelang.Check(f)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(prog.Stmts))
	for _, st := range prog.Stmts {
		var c Change
		switch st := st.(type) {
		case *rulelang.Fact:
			c.Change = rete.Assert(st.Type.Name, st.Values...)
		case *rulelang.Retract:
			c.Change = rete.Retract(st.Type.Name, st.Key)
		default:
			continue
		}
		pos := f.Position(st.Pos())
		c.At = strconv.Itoa(pos.Line) + ":" + strconv.Itoa(pos.Column)
		out = append(out, c)
	}
	return out, nil
}

// msgNotFact is the diagnostic for a type or rule among posted facts.
const msgNotFact = "only facts and retractions can be posted; types and rules belong in a program"

// Retract retracts the fact of type typ whose key field has the value key,
// written as in a URL: a string as is, a number or a bool as a literal.
// The error wraps ErrUnknownType, ErrNoKey, ErrBadKey or ErrNoFact.
func (s *Service) Retract(typ, key string) (*StepResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ft := s.mu.types[typ]
	if ft == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownType, typ)
	}
	v, err := parseKey(ft.info, key)
	if err != nil {
		return nil, err
	}
	res, err := s.step([]Change{{Change: rete.Retract(typ, v)}})
	if errs, ok := err.(FactErrors); ok && len(errs) == 1 {
		return nil, errs[0].Err
	}
	return res, err
}

// RetractAll retracts every fact of type typ as one step. The error wraps
// ErrUnknownType; a type without facts gives ErrNoChanges.
func (s *Service) RetractAll(typ string) (*StepResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ft := s.mu.types[typ]
	if ft == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownType, typ)
	}
	type liveKey struct {
		key string
		seq uint64
	}
	var keys []liveKey
	for k, st := range ft.keys {
		if st&1 == 1 {
			keys = append(keys, liveKey{k, st >> 1})
		}
	}
	if len(keys) == 0 {
		return nil, ErrNoChanges
	}
	slices.SortFunc(keys, func(a, b liveKey) int { return cmp.Compare(a.seq, b.seq) })
	changes := make([]Change, len(keys))
	for i, k := range keys {
		vals, err := decodeFactKey(ft.info, []byte(k.key))
		if err != nil {
			return nil, err
		}
		changes[i].Change = retractChange(ft.info, vals)
	}
	return s.step(changes)
}

// parseKey reads a key written as in a URL as a value of t's key field.
func parseKey(t *rulelang.TypeInfo, key string) (rulelang.Value, error) {
	if t.Key < 0 {
		return rulelang.Value{}, fmt.Errorf("%s: %w, so its facts cannot be addressed by key", t.Name, ErrNoKey)
	}
	f := t.Fields[t.Key]
	switch f.Type {
	case rulelang.TypeString:
		return rulelang.StringValue(key), nil
	case rulelang.TypeNumber:
		x, err := strconv.ParseFloat(key, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return rulelang.Value{}, fmt.Errorf("%w: key %s of %s is a number, not %q", ErrBadKey, f.Name, t.Name, key)
		}
		return rulelang.NumberValue(x), nil
	default:
		x, err := strconv.ParseBool(key)
		if err != nil {
			return rulelang.Value{}, fmt.Errorf("%w: key %s of %s is a bool, not %q", ErrBadKey, f.Name, t.Name, key)
		}
		return rulelang.BoolValue(x), nil
	}
}
