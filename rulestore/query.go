package rulestore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
)

// Activation is an activation that currently holds in a program.
type Activation struct {
	Program string
	rete.Activation
}

// Activations returns the current activations of the program called name,
// or of every program in name order when name is empty; within a program by rule
// in declaration order, then in first-assert order. The error wraps
// ErrProgramNotFound.
func (s *Service) Activations(name string) ([]Activation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	progs := s.sortedPrograms()
	if name != "" {
		p := s.mu.programs[name]
		if p == nil {
			return nil, fmt.Errorf("%w: %s", ErrProgramNotFound, name)
		}
		progs = []*program{p}
	}
	var out []Activation
	for _, p := range progs {
		for _, a := range p.engine.Activations() {
			out = append(out, Activation{Program: p.name, Activation: a})
		}
	}
	return out, nil
}

// Explain explains a rule of a program for the main fact with the given
// key, written as in a URL (see [Service.Retract]). The error wraps
// ErrProgramNotFound, ErrRuleNotFound, ErrNoKey, ErrBadKey or
// rete.ErrNoFact.
func (s *Service) Explain(program, rule, key string) (*rete.Explanation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.mu.programs[program]
	if p == nil {
		return nil, fmt.Errorf("%w: %s", ErrProgramNotFound, program)
	}
	i := slices.IndexFunc(p.prog.Rules, func(r *rulelang.Rule) bool { return r.Name == rule })
	if i < 0 {
		return nil, fmt.Errorf("%w: program %s has no rule %q", ErrRuleNotFound, program, rule)
	}
	v, err := parseKey(p.prog.Rules[i].Main().Type, key)
	if err != nil {
		return nil, err
	}
	return p.engine.Explain(rule, v)
}

// TypeInfo describes a fact type.
type TypeInfo struct {
	*rulelang.TypeInfo
	Facts    int
	Programs []string // the programs declaring it, in name order
}

// Types describes every declared type, in name order.
func (s *Service) Types() []TypeInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]TypeInfo, 0, len(s.mu.types))
	for _, ft := range s.mu.types {
		out = append(out, TypeInfo{TypeInfo: ft.info, Facts: ft.live})
	}
	slices.SortFunc(out, func(a, b TypeInfo) int { return cmp.Compare(a.Name, b.Name) })
	for _, p := range s.sortedPrograms() {
		for i := range out {
			if p.declares(out[i].Name) {
				out[i].Programs = append(out[i].Programs, p.name)
			}
		}
	}
	return out
}

// Type returns the declaration of a type, or false when no program
// declares it. The TypeInfo must not be modified.
func (s *Service) Type(name string) (*rulelang.TypeInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ft := s.mu.types[name]
	if ft == nil {
		return nil, false
	}
	return ft.info, true
}

// Facts returns up to limit facts of a type in first-assert order (all of
// them when limit <= 0) and the number of facts of the type. The error
// wraps ErrUnknownType.
func (s *Service) Facts(typ string, limit int) ([]rete.Fact, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ft := s.mu.types[typ]
	if ft == nil {
		return nil, 0, fmt.Errorf("%w %s", ErrUnknownType, typ)
	}
	for _, p := range s.sortedPrograms() {
		if p.declares(typ) {
			facts := p.engine.Facts(typ)
			if limit > 0 && len(facts) > limit {
				facts = facts[:limit]
			}
			return facts, ft.live, nil
		}
	}
	panic("BUG: a declared type without a program")
}
