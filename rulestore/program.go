package rulestore

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
)

// PutOptions configure [Service.Put]. A nil *PutOptions gives the
// defaults.
type PutOptions struct {
	// DropFacts lets a new version of a program discard the facts of the
	// types it no longer declares, or declares differently, when no other
	// program declares them. Without it such a Put fails with a
	// [*FactsInUseError]. The default is off.
	DropFacts bool
}

// PutResult says what [Service.Put] did.
type PutResult struct {
	Created bool // no program of that name was stored before
	Program *ProgramInfo
	// Asserted and Retracted count the program's own facts and
	// retractions.
	Asserted, Retracted int
	// Dropped are the types whose facts were discarded, with the number of
	// facts each had.
	Dropped []TypeCount
	// Events counts the events delivered: the program's own activation
	// changes and those of other programs that share the types of its
	// facts.
	Events EventCounts
}

// DeleteResult says what [Service.Delete] did.
type DeleteResult struct {
	// Dropped are the types no remaining program declares, whose facts
	// were discarded, with the number of facts each had.
	Dropped []TypeCount
	// Events counts the withdrawals of the program's activations.
	Events EventCounts
}

// ProgramInfo describes a stored program.
type ProgramInfo struct {
	Name    string
	Source  string // empty in the list of [Service.Programs]
	Updated time.Time
	Rules   []RuleInfo  // in declaration order
	Types   []TypeCount // the declared types with their facts, in declaration order
}

// RuleInfo describes a rule of a program.
type RuleInfo struct {
	Name        string
	Kind        rulelang.RuleKind
	Activations int
}

// Put compiles a program and stores it under name, replacing the previous
// version atomically. The program must compile, and every type it
// declares must be declared the same way by the other programs; otherwise
// the error is a rulelang.ErrorList with every diagnostic and nothing
// changes. Facts stay: the new version's network is built over the stored
// facts of its types, then the program's own facts and retractions are
// applied as one step (a retraction of a missing key is a diagnostic
// too).
//
// The new version's activations are compared with the old one's: an
// activation that held before with the same bound values stays quiet,
// one with other values fires an update, a new one fires, and one that
// no longer holds is withdrawn. Withdrawals are delivered first, then
// fires and updates in agenda order. Other programs declaring the types
// of the program's facts see those facts as one step.
//
// The program text, its facts and retractions, and any discarded facts
// (see [PutOptions.DropFacts]) are stored in one atomic, durable batch
// before anything changes in memory.
func (s *Service) Put(name string, src []byte, opts *PutOptions) (*PutResult, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	prog, err := rulelang.Compile("", src)
	if err != nil {
		return nil, err
	}
	var o PutOptions
	if opts != nil {
		o = *opts
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.put(name, bytes.Clone(src), prog, o)
}

// Ensure puts a program unless it is stored with the same source, and
// reports whether it put it. Starting a server with a configuration file
// uses it, so that a restart does not assert the program's facts again.
func (s *Service) Ensure(name string, src []byte) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	prog, err := rulelang.Compile("", src)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.mu.programs[name]; p != nil && bytes.Equal(p.src, src) {
		return false, nil
	}
	_, err = s.put(name, bytes.Clone(src), prog, PutOptions{})
	return err == nil, err
}

// declaredByOthers reports whether a program other than name declares
// typ. The caller holds s.mu.
func (s *Service) declaredByOthers(typ, name string) bool {
	for _, q := range s.mu.programs {
		if q.name != name && q.declares(typ) {
			return true
		}
	}
	return false
}

func (s *Service) put(name string, src []byte, prog *rulelang.Program, o PutOptions) (*PutResult, error) {
	old := s.mu.programs[name]
	var diags rulelang.ErrorList
	others := slices.DeleteFunc(s.sortedPrograms(), func(q *program) bool { return q.name == name })
	for _, t := range prog.Types {
		for _, q := range others {
			if qt := q.prog.Type(t.Name); qt != nil && !sameType(qt, t) {
				decl := strings.TrimSpace(string(declSource([]*rulelang.TypeInfo{qt})))
				diags.Add(prog.File.Position(t.At), fmt.Sprintf(msgTypeConflict, t.Name, q.name, decl))
				break
			}
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}

	// The types after the put: a kept type keeps its stored keys; a new or
	// redeclared one starts empty. Types only the old version declared,
	// or declared differently, lose their facts.
	view := make(map[string]*factType, len(s.mu.types)+len(prog.Types))
	var losses []TypeLoss
	var dropped []TypeCount
	for typ, ft := range s.mu.types {
		nt := prog.Type(typ)
		if s.declaredByOthers(typ, name) || (nt != nil && sameType(nt, ft.info)) {
			view[typ] = ft
			continue
		}
		if ft.live > 0 {
			losses = append(losses, TypeLoss{Type: typ, Facts: ft.live, Redeclared: nt != nil})
		}
		dropped = append(dropped, TypeCount{Type: typ, Facts: ft.live})
	}
	if len(losses) > 0 && !o.DropFacts {
		slices.SortFunc(losses, func(a, b TypeLoss) int { return cmp.Compare(a.Type, b.Type) })
		return nil, &FactsInUseError{Program: name, Types: losses}
	}
	slices.SortFunc(dropped, func(a, b TypeCount) int { return cmp.Compare(a.Type, b.Type) })
	var kept []string
	for _, t := range prog.Types {
		if view[t.Name] == nil {
			view[t.Name] = newFactType(t)
		} else {
			kept = append(kept, t.Name)
		}
	}

	// The program's facts and retractions, as one step.
	ov := s.newOverlay(view)
	var changes []rete.Change
	for _, st := range prog.Stmts {
		var c rete.Change
		switch st := st.(type) {
		case *rulelang.Fact:
			c = rete.Assert(st.Type.Name, st.Values...)
		case *rulelang.Retract:
			c = rete.Retract(st.Type.Name, st.Key)
		default:
			continue
		}
		if err := ov.apply(&c); err != nil {
			diags.Add(prog.File.Position(st.Pos()), err.Error())
			continue
		}
		changes = append(changes, c)
	}
	if len(diags) > 0 {
		return nil, diags
	}

	// The new network over the stored facts of the kept types with the
	// step applied.
	recs, err := s.loadRecords(kept)
	if err != nil {
		return nil, err
	}
	recs = mergeOverlay(recs, ov)
	p := &program{name: name, src: src, updated: s.now(), prog: prog}
	fresh, err := s.build(p, recs, true)
	if err != nil {
		return nil, fmt.Errorf("build program %s: %w", name, err)
	}
	var events []rete.Event
	if old != nil {
		events = diffActivations(old.engine.Activations(), fresh)
	} else {
		events = fresh
	}

	b := s.st.NewBatch()
	err = b.SetMeta(namespace, programKey(name), appendProgramRecord(nil, p.updated.UnixNano(), src))
	for _, d := range dropped {
		if err == nil {
			err = b.DeleteMetaPrefix(namespace, typePrefix(d.Type))
		}
	}
	if err == nil {
		err = ov.write(b)
	}
	if err != nil {
		b.Discard()
		return nil, err
	}
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("cannot store program %s: %w", name, err)
	}

	for _, d := range dropped {
		delete(s.mu.types, d.Type)
	}
	for typ, ft := range view {
		s.mu.types[typ] = ft
	}
	s.commitOverlay(ov)
	s.mu.programs[name] = p
	for k := range s.mu.actions {
		if k.program == name && !slices.ContainsFunc(prog.Rules, func(r *rulelang.Rule) bool { return r.Name == k.rule }) {
			delete(s.mu.actions, k)
		}
	}
	res := &PutResult{Created: old == nil, Asserted: ov.asserted, Retracted: ov.retracted}
	for _, d := range dropped {
		if d.Facts > 0 {
			res.Dropped = append(res.Dropped, d)
		}
	}
	s.deliver(p, events, &res.Events)
	var runErr error
	if len(changes) > 0 {
		for _, q := range others {
			if err := s.applyTo(q, changes); err != nil {
				runErr = err
			}
			trackActive(q, q.events)
			s.deliver(q, q.events, &res.Events)
			q.events = q.events[:0]
		}
	}
	res.Program = s.info(p, true)
	return res, runErr
}

// msgTypeConflict is the diagnostic for a type another program declares
// differently.
const msgTypeConflict = "type %s is declared differently by program %s: %s"

// mergeOverlay returns the records with the overlay's changes applied,
// sorted in first-assert order.
func mergeOverlay(recs []factRecord, ov *overlay) []factRecord {
	if len(ov.order) == 0 {
		return recs
	}
	idx := make(map[overlayKey]int, len(recs))
	for i := range recs {
		idx[overlayKey{recs[i].typ.Name, recs[i].key}] = i
	}
	for _, e := range ov.order {
		r := factRecord{typ: e.ft.info, key: e.key, seq: e.seq, live: e.live}
		if e.live {
			r.values = e.values
		}
		if i, ok := idx[overlayKey{r.typ.Name, r.key}]; ok {
			recs[i] = r
		} else {
			recs = append(recs, r)
		}
	}
	sortRecords(recs)
	return recs
}

// diffActivations compares the activations a program had with the fires of
// its new version's first run: it returns withdrawals of the activations
// that no longer hold, in their old order, then the fires of new
// activations and updates of those whose bound values changed, in agenda
// order.
func diffActivations(prev []rete.Activation, fresh []rete.Event) []rete.Event {
	byID := make(map[string]int, len(prev))
	for i := range prev {
		byID[activationID(prev[i].Rule, prev[i].Facts)] = i
	}
	seen := make([]bool, len(prev))
	var fires []rete.Event
	for _, ev := range fresh {
		if i, ok := byID[activationID(ev.Rule, ev.Facts)]; ok {
			seen[i] = true
			if sameBinding(&prev[i], &ev) {
				continue
			}
			ev.Kind = rete.Update
		}
		fires = append(fires, ev)
	}
	var out []rete.Event
	for i := range prev {
		if !seen[i] {
			out = append(out, rete.Event{Kind: rete.Withdraw, Rule: prev[i].Rule, Facts: prev[i].Facts})
		}
	}
	return append(out, fires...)
}

// activationID identifies an activation: its rule and the keys of its
// bound facts.
func activationID(rule string, facts []rete.Fact) string {
	b := append([]byte(rule), 0)
	for _, f := range facts {
		b = append(b, f.Type.Name...)
		b = append(b, 0)
		b = appendFactKey(b, f.Type, f.Values)
	}
	return string(b)
}

// sameBinding reports whether an activation and an event bind the same
// values: the facts' fields and the aggregates.
func sameBinding(a *rete.Activation, ev *rete.Event) bool {
	if len(a.Facts) != len(ev.Facts) || len(a.Aggregates) != len(ev.Aggregates) {
		return false
	}
	for i := range a.Facts {
		x, y := a.Facts[i].Values, ev.Facts[i].Values
		if len(x) != len(y) {
			return false
		}
		for j := range x {
			if x[j] != y[j] { // numbers by value: -0 == 0
				return false
			}
		}
	}
	for i := range a.Aggregates {
		x, y := a.Aggregates[i], ev.Aggregates[i]
		if x.Name != y.Name || (x.Value != y.Value && !(math.IsNaN(x.Value) && math.IsNaN(y.Value))) {
			return false
		}
	}
	return true
}

// trackActive counts the fires and withdrawals of a step in p.active.
func trackActive(p *program, evs []rete.Event) {
	for i := range evs {
		switch evs[i].Kind {
		case rete.Fire:
			p.active[evs[i].Rule]++
		case rete.Withdraw:
			p.active[evs[i].Rule]--
		}
	}
}

// Delete removes a program. The facts of the types no remaining program
// declares are discarded in the same atomic batch; the program's
// activations are withdrawn (the subscribers see the withdrawals). The
// error wraps ErrProgramNotFound when nothing is stored under name.
func (s *Service) Delete(name string) (*DeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mu.programs[name]
	if p == nil {
		return nil, fmt.Errorf("%w: %s", ErrProgramNotFound, name)
	}
	var dropped []TypeCount
	for _, t := range p.prog.Types {
		if !s.declaredByOthers(t.Name, name) {
			dropped = append(dropped, TypeCount{Type: t.Name, Facts: s.mu.types[t.Name].live})
		}
	}
	b := s.st.NewBatch()
	err := b.DeleteMeta(namespace, programKey(name))
	for _, d := range dropped {
		if err == nil {
			err = b.DeleteMetaPrefix(namespace, typePrefix(d.Type))
		}
	}
	if err != nil {
		b.Discard()
		return nil, err
	}
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("cannot delete program %s: %w", name, err)
	}

	prev := p.engine.Activations()
	delete(s.mu.programs, name)
	res := &DeleteResult{}
	for _, d := range dropped {
		delete(s.mu.types, d.Type)
		if d.Facts > 0 {
			res.Dropped = append(res.Dropped, d)
		}
	}
	for k := range s.mu.actions {
		if k.program == name {
			delete(s.mu.actions, k)
		}
	}
	evs := make([]rete.Event, len(prev))
	for i, a := range prev {
		evs[i] = rete.Event{Kind: rete.Withdraw, Rule: a.Rule, Facts: a.Facts}
	}
	s.deliver(p, evs, &res.Events)
	return res, nil
}

// checkName checks a program name.
func checkName(name string) error {
	if name == "" || len(name) > 128 || name[0] == '.' {
		return fmt.Errorf("%w %q: use 1 to 128 letters, digits, '_', '-' and '.', not starting with '.'", ErrInvalidName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("%w %q: use 1 to 128 letters, digits, '_', '-' and '.', not starting with '.'", ErrInvalidName, name)
		}
	}
	return nil
}

// info describes p. The caller holds s.mu.
func (s *Service) info(p *program, withSource bool) *ProgramInfo {
	pi := &ProgramInfo{Name: p.name, Updated: p.updated}
	if withSource {
		pi.Source = string(p.src)
	}
	for _, r := range p.prog.Rules {
		pi.Rules = append(pi.Rules, RuleInfo{Name: r.Name, Kind: r.Kind, Activations: p.active[r.Name]})
	}
	for _, t := range p.prog.Types {
		pi.Types = append(pi.Types, TypeCount{Type: t.Name, Facts: s.mu.types[t.Name].live})
	}
	return pi
}

// Programs describes every stored program, in name order, without
// sources.
func (s *Service) Programs() []*ProgramInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*ProgramInfo
	for _, p := range s.sortedPrograms() {
		out = append(out, s.info(p, false))
	}
	return out
}

// Program describes the program stored under name, with its source. The
// error wraps ErrProgramNotFound.
func (s *Service) Program(name string) (*ProgramInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.mu.programs[name]
	if p == nil {
		return nil, fmt.Errorf("%w: %s", ErrProgramNotFound, name)
	}
	return s.info(p, true), nil
}
