package storage

import (
	"regexp"

	"github.com/accretedb/accrete/model"
)

// TagFilter selects series by their tags. A nil TagFilter matches every
// series. As in InfluxQL, a tag a series does not carry reads as the empty
// string, so TagNeq{"host", "a"} matches series without a host tag and
// TagEq{"host", ""} matches exactly those.
//
// The filters of this package are immutable values, safe for concurrent
// use. Callers may implement their own.
type TagFilter interface {
	Match(tags model.Tags) bool
}

// TagEq matches series whose tag Key equals Value.
type TagEq struct{ Key, Value string }

// TagNeq matches series whose tag Key differs from Value.
type TagNeq struct{ Key, Value string }

// TagRegex matches series whose tag Key matches Re.
type TagRegex struct {
	Key string
	Re  *regexp.Regexp
}

// TagNotRegex matches series whose tag Key does not match Re.
type TagNotRegex struct {
	Key string
	Re  *regexp.Regexp
}

// And matches series matched by every filter (all series when empty).
type And []TagFilter

// Or matches series matched by any filter (no series when empty).
type Or []TagFilter

// Match implements TagFilter.
func (f TagEq) Match(tags model.Tags) bool { v, _ := tags.Get(f.Key); return v == f.Value }

// Match implements TagFilter.
func (f TagNeq) Match(tags model.Tags) bool { v, _ := tags.Get(f.Key); return v != f.Value }

// Match implements TagFilter.
func (f TagRegex) Match(tags model.Tags) bool {
	v, _ := tags.Get(f.Key)
	return f.Re.MatchString(v)
}

// Match implements TagFilter.
func (f TagNotRegex) Match(tags model.Tags) bool {
	v, _ := tags.Get(f.Key)
	return !f.Re.MatchString(v)
}

// Match implements TagFilter.
func (f And) Match(tags model.Tags) bool {
	for _, s := range f {
		if s != nil && !s.Match(tags) {
			return false
		}
	}
	return true
}

// Match implements TagFilter.
func (f Or) Match(tags model.Tags) bool {
	for _, s := range f {
		if s == nil || s.Match(tags) {
			return true
		}
	}
	return false
}
