package continuous

import (
	"fmt"
	"slices"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// parseFilter parses an InfluxQL condition on tags into a series filter.
// It accepts =, !=, =~ and !~ between a tag and a string or regular
// expression, combined with AND, OR and parentheses.
func parseFilter(s string) (storage.TagFilter, error) {
	e, err := influxql.ParseExpr(s)
	if err != nil {
		return nil, err
	}
	return convertFilter(e)
}

func convertFilter(e influxql.Expr) (storage.TagFilter, error) {
	switch e := e.(type) {
	case *influxql.ParenExpr:
		return convertFilter(e.Expr)
	case *influxql.BinaryExpr:
		switch e.Op {
		case influxql.AND, influxql.OR:
			l, err := convertFilter(e.LHS)
			if err != nil {
				return nil, err
			}
			r, err := convertFilter(e.RHS)
			if err != nil {
				return nil, err
			}
			if e.Op == influxql.AND {
				return storage.And{l, r}, nil
			}
			return storage.Or{l, r}, nil
		case influxql.EQ, influxql.NEQ, influxql.EQREGEX, influxql.NEQREGEX:
		default:
			return nil, fmt.Errorf("operator %s is not allowed in a tag filter: %s", e.Op, e)
		}
		ref, lit := e.LHS, e.RHS
		if _, ok := ref.(*influxql.VarRef); !ok {
			ref, lit = lit, ref
		}
		v, ok := ref.(*influxql.VarRef)
		if !ok || v.Val == "time" || (v.Type != influxql.Unknown && v.Type != influxql.Tag) {
			return nil, fmt.Errorf("a tag filter compares a tag with a string or regular expression: %s", e)
		}
		switch l := lit.(type) {
		case *influxql.StringLiteral:
			switch e.Op {
			case influxql.EQ:
				return storage.TagEq{Key: v.Val, Value: l.Val}, nil
			case influxql.NEQ:
				return storage.TagNeq{Key: v.Val, Value: l.Val}, nil
			}
		case *influxql.RegexLiteral:
			switch e.Op {
			case influxql.EQREGEX:
				return storage.TagRegex{Key: v.Val, Re: l.Val}, nil
			case influxql.NEQREGEX:
				return storage.TagNotRegex{Key: v.Val, Re: l.Val}, nil
			}
		}
		return nil, fmt.Errorf("a tag filter compares a tag with a string or regular expression: %s", e)
	}
	return nil, fmt.Errorf("not a condition on tags: %s", e)
}

// exactTags matches the series whose tag set is exactly tags: the target
// series of one group.
type exactTags struct{ tags model.Tags }

// Match implements storage.TagFilter.
func (f exactTags) Match(tags model.Tags) bool {
	return slices.Equal(f.tags, tags)
}

// seriesFilter returns a filter matching exactly the series with tags,
// starting with an equality the index answers from its postings.
func seriesFilter(tags model.Tags) storage.TagFilter {
	if len(tags) == 0 {
		return exactTags{}
	}
	return storage.And{storage.TagEq{Key: tags[0].Key, Value: tags[0].Value}, exactTags{tags}}
}
