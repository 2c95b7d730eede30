package query

import (
	"runtime"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// tagFilter returns the series filter of a condition: it matches every
// series for which the condition may hold, deciding what the tags decide.
// Comparisons of tags with strings and regular expressions become the
// storage's own filters, whose equalities the index answers from postings.
func tagFilter(e Expr) storage.TagFilter {
	if e == nil {
		return nil
	}
	return toStorageFilter(e)
}

func toStorageFilter(e Expr) storage.TagFilter {
	b, ok := e.(*Binary)
	if !ok {
		if l, ok := e.(*Literal); ok && l.Value.Type() == model.TypeBoolean && l.Value.BoolV() {
			return nil // true matches everything
		}
		return exprFilter{e}
	}
	switch b.Op {
	case OpAnd:
		var out storage.And
		for _, s := range []storage.TagFilter{toStorageFilter(b.LHS), toStorageFilter(b.RHS)} {
			if a, ok := s.(storage.And); ok {
				out = append(out, a...)
			} else if s != nil {
				out = append(out, s)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0]
		}
		return out
	case OpOr:
		l, r := toStorageFilter(b.LHS), toStorageFilter(b.RHS)
		if l == nil || r == nil {
			return nil
		}
		if _, ok := l.(exprFilter); ok {
			return exprFilter{e}
		}
		if _, ok := r.(exprFilter); ok {
			return exprFilter{e}
		}
		var out storage.Or
		for _, s := range []storage.TagFilter{l, r} {
			if o, ok := s.(storage.Or); ok {
				out = append(out, o...)
			} else {
				out = append(out, s)
			}
		}
		return out
	}
	ref, other, op := tagOperand(b.LHS, b.RHS, b.Op)
	if ref == nil && b.Op != OpMatch && b.Op != OpNotMatch {
		ref, other, op = tagOperand(b.RHS, b.LHS, mirror(b.Op))
	}
	if ref != nil {
		switch o := other.(type) {
		case *Literal:
			if o.Value.Type() == model.TypeString {
				switch op {
				case OpEq:
					return storage.TagEq{Key: ref.Name, Value: o.Value.StringV()}
				case OpNeq:
					return storage.TagNeq{Key: ref.Name, Value: o.Value.StringV()}
				}
			}
		case *Regex:
			switch op {
			case OpMatch:
				return storage.TagRegex{Key: ref.Name, Re: o.Re}
			case OpNotMatch:
				return storage.TagNotRegex{Key: ref.Name, Re: o.Re}
			}
		}
	}
	return exprFilter{e}
}

// tagOperand returns a as a tag reference when it is one, with the other
// operand and the operator.
func tagOperand(a, b Expr, op Op) (*Ref, Expr, Op) {
	if r, ok := a.(*Ref); ok && r.Kind == TagRef {
		return r, b, op
	}
	return nil, nil, op
}

// exprFilter matches the series for which a condition is not false by its
// tags alone.
type exprFilter struct{ e Expr }

// Match implements storage.TagFilter.
func (f exprFilter) Match(tags model.Tags) bool { return evalTags(f.e, tags) != triFalse }
