package rulestore

import (
	"cmp"
	"slices"

	"github.com/accretedb/accrete/rete"
)

// Event is an activation event of a program: a fire or an update (whose
// actions ran) or a withdrawal.
type Event struct {
	Program string
	rete.Event
}

type subscription struct {
	fn func(*Event)
}

// Subscribe registers fn for every event delivered from now on, across
// all programs, and returns a function that removes it. fn is called in
// event order with the service's lock held: it must return quickly, must
// not block, and must not call the Service. The Event belongs to every
// subscriber and must not be modified.
func (s *Service) Subscribe(fn func(*Event)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := &subscription{fn: fn}
	s.mu.subs = append(s.mu.subs, sub)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.mu.subs, sub); i >= 0 {
			s.mu.subs = slices.Delete(s.mu.subs, i, i+1)
		}
	}
}

// deliver hands events of p to the subscribers and counts them: the
// actions run and the events by kind. The caller holds s.mu.
func (s *Service) deliver(p *program, evs []rete.Event, counts *EventCounts) {
	for i := range evs {
		ev := &Event{Program: p.name, Event: evs[i]}
		for _, a := range ev.Actions {
			s.mu.actions[actionKey{p.name, ev.Rule, a.Name}]++
		}
		counts.add(ev.Kind)
		for _, sub := range s.mu.subs {
			sub.fn(ev)
		}
	}
}

// actionKey names the action of a rule of a program.
type actionKey struct{ program, rule, action string }

// stepBounds are the upper bounds, in seconds, of the buckets of the step
// latency histogram. Never modified.
var stepBounds = [...]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// stepStats is a histogram of step latencies.
type stepStats struct {
	count   uint64
	sum     float64
	buckets [len(stepBounds)]uint64 // non-cumulative
}

func (h *stepStats) observe(sec float64) {
	h.count++
	h.sum += sec
	for i, ub := range stepBounds {
		if sec <= ub {
			h.buckets[i]++
			break
		}
	}
}

// Stats are the service's statistics for monitoring.
type Stats struct {
	// Facts are the facts per type, in type name order.
	Facts []TypeCount
	// Activations are the current activations per rule, by program name
	// and then in rule declaration order.
	Activations []RuleCount
	// Actions are the action calls made by fires and updates since the
	// service opened, by program, rule and action name, in that order.
	// Rebuilding activations at Open runs no action.
	Actions []ActionCount
	// Steps is the number of fact steps since the service opened, and
	// StepSeconds their total duration (checking, storing, applying and
	// delivering events).
	Steps       uint64
	StepSeconds float64
	// StepBuckets are the buckets of the step latency histogram, by
	// increasing upper bound.
	StepBuckets []StepBucket
}

// StepBucket is a bucket of the step latency histogram: the number of
// steps that took at most UpperBound seconds.
type StepBucket struct {
	UpperBound float64
	Steps      uint64 // cumulative
}

// TypeCount is the number of facts of a type.
type TypeCount struct {
	Type  string
	Facts int
}

// RuleCount is the number of activations of a rule.
type RuleCount struct {
	Program, Rule string
	Activations   int
}

// ActionCount is the number of calls of an action of a rule.
type ActionCount struct {
	Program, Rule, Action string
	Calls                 uint64
}

// Stats returns the current statistics.
func (s *Service) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var st Stats
	for name, ft := range s.mu.types {
		st.Facts = append(st.Facts, TypeCount{Type: name, Facts: ft.live})
	}
	slices.SortFunc(st.Facts, func(a, b TypeCount) int { return cmp.Compare(a.Type, b.Type) })
	for _, p := range s.sortedPrograms() {
		for _, r := range p.prog.Rules {
			st.Activations = append(st.Activations, RuleCount{Program: p.name, Rule: r.Name, Activations: p.active[r.Name]})
		}
	}
	for k, n := range s.mu.actions {
		st.Actions = append(st.Actions, ActionCount{Program: k.program, Rule: k.rule, Action: k.action, Calls: n})
	}
	slices.SortFunc(st.Actions, func(a, b ActionCount) int {
		return cmp.Or(cmp.Compare(a.Program, b.Program), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Action, b.Action))
	})
	st.Steps, st.StepSeconds = s.mu.steps.count, s.mu.steps.sum
	var cum uint64
	for i, n := range s.mu.steps.buckets {
		cum += n
		st.StepBuckets = append(st.StepBuckets, StepBucket{UpperBound: stepBounds[i], Steps: cum})
	}
	return st
}
