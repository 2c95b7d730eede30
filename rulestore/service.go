package rulestore

import (
	"bytes"
	"cmp"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
	"github.com/accretedb/accrete/storage"
)

// Storage is the durable store the service keeps its records in: the
// metadata API of the storage engine. *storage.DB and *accrete.DB
// implement it. It must be safe for concurrent use.
type Storage interface {
	// IterMeta calls fn for every key of namespace ns starting with
	// prefix, in key order; key and value are valid only during the call.
	IterMeta(ns string, prefix []byte, fn func(key, value []byte) error) error
	// NewBatch starts a batch whose Commit writes atomically and durably.
	NewBatch() *storage.Batch
}

// Options configure a [Service]. A nil *Options or zero fields mean the
// defaults.
type Options struct {
	// Logger receives errors the service recovers from. The default
	// discards them.
	Logger *slog.Logger
	// Clock gives the time recorded when a program is put. The default is
	// time.Now.
	Clock func() time.Time
	// Check runs the engines in checking mode (rete.Options.Check): every
	// step recomputes every activation from scratch and fails on a
	// difference. It is slow and meant for tests. The default is off.
	Check bool
}

// Service is the persistent rule service: named programs, the facts they
// share, their activations and the event stream. It is safe for
// concurrent use; changes are serialized.
type Service struct {
	// Set by Open, never changed.
	st    Storage
	log   *slog.Logger
	now   func() time.Time
	check bool

	// mu guards every field of the struct. Changes (puts, deletes, steps)
	// and subscriptions take it exclusively, reads shared. Subscribers are
	// called with it held.
	mu struct {
		sync.RWMutex
		programs map[string]*program
		types    map[string]*factType
		nextSeq  uint64 // first-assert sequence number of the next new key
		subs     []*subscription
		steps    stepStats
		actions  map[actionKey]uint64 // action calls by program, rule and action
	}
}

// program is a stored program with its engine.
type program struct {
	name    string
	src     []byte
	updated time.Time
	prog    *rulelang.Program
	engine  *rete.Engine
	active  map[string]int // current activations by rule
	// events collects the engine's events during a step; the step hands
	// them to subscribers and clears it. Guarded by Service.mu.
	events []rete.Event
}

// declares reports whether the program declares a type.
func (p *program) declares(typ string) bool { return p.prog.Type(typ) != nil }

// factType is a fact type with the keys of its stored facts.
type factType struct {
	info *rulelang.TypeInfo
	// keys maps encoded fact keys (appendFactKey) to seq<<1 | live: the
	// key's first-assert sequence number and whether a fact has it. A
	// retracted key keeps its entry and number, as in the engines, so that
	// asserting it again keeps its place in the agenda order.
	keys map[string]uint64
	live int // facts with a live key
}

func newFactType(info *rulelang.TypeInfo) *factType {
	return &factType{info: info, keys: make(map[string]uint64)}
}

// Open loads the stored programs and facts and rebuilds every program's
// network and activations, without running actions or delivering events.
// opts may be nil.
func Open(st Storage, opts *Options) (*Service, error) {
	s := &Service{st: st}
	if opts != nil {
		s.log, s.now, s.check = opts.Logger, opts.Clock, opts.Check
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.mu.programs = make(map[string]*program)
	s.mu.types = make(map[string]*factType)
	s.mu.actions = make(map[actionKey]uint64)
	s.mu.nextSeq = 1

	err := st.IterMeta(namespace, []byte{prefixProgram}, func(k, v []byte) error {
		name := string(k[1:])
		updated, src, err := decodeProgramRecord(v)
		if err != nil {
			return fmt.Errorf("program %s: %w", name, err)
		}
		prog, err := rulelang.Compile("", src)
		if err != nil {
			return fmt.Errorf("%w: stored program %s does not compile: %v", ErrCorrupt, name, err)
		}
		for _, t := range prog.Types {
			if ft, ok := s.mu.types[t.Name]; !ok {
				s.mu.types[t.Name] = newFactType(t)
			} else if !sameType(ft.info, t) {
				return fmt.Errorf("%w: stored programs declare type %s differently", ErrCorrupt, t.Name)
			}
		}
		s.mu.programs[name] = &program{
			name:    name,
			src:     bytes.Clone(src),
			updated: time.Unix(0, updated),
			prog:    prog,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load rules programs: %w", err)
	}

	var recs []factRecord
	err = st.IterMeta(namespace, []byte{prefixFact}, func(k, v []byte) error {
		name, key, ok := bytes.Cut(k[1:], []byte{0})
		if !ok {
			return fmt.Errorf("%w: fact key %q", ErrCorrupt, k)
		}
		ft := s.mu.types[string(name)]
		if ft == nil {
			return fmt.Errorf("%w: facts of type %s, which no program declares", ErrCorrupt, name)
		}
		r, err := decodeFactRecord(ft.info, key, v)
		if err != nil {
			return fmt.Errorf("fact %q of %s: %w", key, name, err)
		}
		ft.keys[r.key] = r.seq<<1 | b2u(r.live)
		if r.live {
			ft.live++
		}
		s.mu.nextSeq = max(s.mu.nextSeq, r.seq+1)
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load rules facts: %w", err)
	}
	sortRecords(recs)
	for _, name := range slices.Sorted(maps.Keys(s.mu.programs)) {
		p := s.mu.programs[name]
		if _, err := s.build(p, recs, false); err != nil {
			return nil, fmt.Errorf("rebuild program %s: %w", name, err)
		}
	}
	return s, nil
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// sortRecords sorts fact records in first-assert order.
func sortRecords(recs []factRecord) {
	slices.SortFunc(recs, func(a, b factRecord) int { return cmp.Compare(a.seq, b.seq) })
}

// build gives p a new engine holding the facts of recs (sorted in
// first-assert order) of the types p declares, runs the agenda and
// subscribes p.events to it. With collect, it returns the events of that
// first run: a fire for every activation. Without, no events are made.
func (s *Service) build(p *program, recs []factRecord, collect bool) ([]rete.Event, error) {
	e, err := rete.Compile(p.prog, &rete.Options{Check: s.check})
	if err != nil {
		return nil, err
	}
	var evs []rete.Event
	cancel := func() {}
	if collect {
		cancel = e.Subscribe(func(ev rete.Event) { evs = append(evs, ev) })
	}
	var changes, retracts []rete.Change
	for i := range recs {
		r := &recs[i]
		if !p.declares(r.typ.Name) {
			continue
		}
		if r.live {
			changes = append(changes, rete.Assert(r.typ.Name, r.values...))
			continue
		}
		// A retracted key: assert and retract it in the same step, which
		// leaves only its place in the first-assert order.
		vals, err := decodeFactKey(r.typ, []byte(r.key))
		if err != nil {
			return nil, err
		}
		changes = append(changes, rete.Assert(r.typ.Name, vals...))
		retracts = append(retracts, retractChange(r.typ, vals))
	}
	changes = append(changes, retracts...)
	if err := e.Apply(changes...); err != nil {
		return nil, fmt.Errorf("BUG: stored facts do not apply: %w", err)
	}
	if err := e.Run(); err != nil {
		return nil, err
	}
	cancel()
	e.Subscribe(func(ev rete.Event) { p.events = append(p.events, ev) })
	p.engine = e
	p.active = make(map[string]int, len(p.prog.Rules))
	for _, r := range p.prog.Rules {
		p.active[r.Name] = 0
	}
	if collect {
		for i := range evs {
			p.active[evs[i].Rule]++
		}
	} else {
		for _, a := range e.Activations() {
			p.active[a.Rule]++
		}
	}
	return evs, nil
}

// retractChange returns the change retracting the fact of t with the
// given values: by key, or by content for a type without a key field.
func retractChange(t *rulelang.TypeInfo, vals []rulelang.Value) rete.Change {
	if t.Key >= 0 {
		return rete.Retract(t.Name, vals[t.Key])
	}
	return rete.Change{Op: rete.OpRetract, Type: t.Name, Values: vals}
}

// loadRecords reads the fact records of the given types from storage,
// sorted in first-assert order. The caller holds s.mu.
func (s *Service) loadRecords(types []string) ([]factRecord, error) {
	var recs []factRecord
	for _, typ := range types {
		ft := s.mu.types[typ]
		if ft == nil {
			continue
		}
		prefix := typePrefix(typ)
		err := s.st.IterMeta(namespace, prefix, func(k, v []byte) error {
			r, err := decodeFactRecord(ft.info, k[len(prefix):], v)
			if err != nil {
				return fmt.Errorf("fact %q of %s: %w", k[len(prefix):], typ, err)
			}
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sortRecords(recs)
	return recs, nil
}

// rebuild replaces p's engine with one rebuilt from storage, without
// events. It is the way back when an engine refused a change that had
// been validated and stored, which means a bug.
func (s *Service) rebuild(p *program) {
	names := make([]string, len(p.prog.Types))
	for i, t := range p.prog.Types {
		names[i] = t.Name
	}
	recs, err := s.loadRecords(names)
	if err == nil {
		_, err = s.build(p, recs, false)
	}
	if err != nil {
		s.log.Error("cannot rebuild a rules program from storage", "program", p.name, "err", err)
	}
}

// sortedPrograms returns the programs in name order. The caller holds
// s.mu.
func (s *Service) sortedPrograms() []*program {
	out := slices.Collect(maps.Values(s.mu.programs))
	slices.SortFunc(out, func(a, b *program) int { return cmp.Compare(a.name, b.name) })
	return out
}
