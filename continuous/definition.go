package continuous

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/accretedb/accrete/aggregate"
)

// Definition declares a continuous aggregate: the buckets of Interval of
// the Source measurement, grouped by the GroupBy tags and folded by the
// Fields' functions, materialized as points of the Target measurement, one
// per group and bucket, at the bucket's start time.
//
// Its JSON (and YAML) form is the one of the HTTP API and of the
// configuration file:
//
//	{"name": "cpu_1m", "database": "db", "source": "cpu", "target": "cpu_1m",
//	 "interval": "1m", "group_by": ["host"],
//	 "fields": [{"field": "usage", "function": "mean", "as": "usage_mean"}],
//	 "retention": "30d"}
//
// Durations are in InfluxQL syntax. "enabled" defaults to true when absent.
type Definition struct {
	// Name identifies the aggregate; it is unique in the engine.
	Name string `json:"name" yaml:"name"`
	// Database holds the source and the target.
	Database string `json:"database" yaml:"database"`
	// RetentionPolicy of the source; "" is the database's default when the
	// aggregate is registered (the resolved name is stored).
	RetentionPolicy string `json:"retention_policy,omitempty" yaml:"retention_policy,omitempty"`
	// Source is the measurement read.
	Source string `json:"source" yaml:"source"`
	// Target is the measurement written; no other aggregate may write it.
	Target string `json:"target" yaml:"target"`
	// TargetRetentionPolicy of the target; "" means the source's.
	TargetRetentionPolicy string `json:"target_retention_policy,omitempty" yaml:"target_retention_policy,omitempty"`
	// Interval is the bucket width; it must be positive.
	Interval Duration `json:"interval" yaml:"interval"`
	// Offset shifts bucket boundaries, as in GROUP BY time(interval,
	// offset). The default is 0: buckets start at multiples of Interval
	// since the Unix epoch.
	Offset Duration `json:"offset,omitempty" yaml:"offset,omitempty"`
	// GroupBy lists the tags whose values form a group (a target series);
	// ["*"] groups by all tags. Empty means one group.
	GroupBy []string `json:"group_by,omitempty" yaml:"group_by,omitempty"`
	// Fields are the aggregations, each with its own output field.
	Fields []Field `json:"fields" yaml:"fields"`
	// Filter is an optional InfluxQL condition on tags selecting the source
	// series, e.g. "region = 'eu' AND host =~ /^web/".
	Filter string `json:"filter,omitempty" yaml:"filter,omitempty"`
	// Retention, when positive, removes target buckets (and their partial
	// states) older than Retention. The default, 0, keeps them forever.
	Retention Duration `json:"retention,omitempty" yaml:"retention,omitempty"`
	// Lag is how long after its end a bucket is materialized. The default
	// is 0: a bucket is materialized by the first refresh after it ends;
	// later points for it are folded in by a recompute.
	Lag Duration `json:"lag,omitempty" yaml:"lag,omitempty"`
	// Every is how often the scheduler refreshes the aggregate. The default,
	// 0, means Interval (InfluxQL's RESAMPLE EVERY).
	Every Duration `json:"every,omitempty" yaml:"every,omitempty"`
	// For is InfluxQL's RESAMPLE FOR, kept for SHOW CONTINUOUS QUERIES.
	// Late points are folded in exactly whatever their age, so it does not
	// change what is computed.
	For Duration `json:"for,omitempty" yaml:"for,omitempty"`
	// Enabled aggregates are refreshed by the scheduler; disabled ones keep
	// recording dirty buckets but are not refreshed until enabled again (an
	// explicit Refresh still runs).
	Enabled bool `json:"enabled" yaml:"enabled"`
	// Query is the CREATE CONTINUOUS QUERY statement the aggregate was
	// created with, if any.
	Query string `json:"query,omitempty" yaml:"query,omitempty"`
}

// Field is one aggregation of a Definition: Function over the source field
// Field, written to the output field As.
type Field struct {
	// Field is the source field.
	Field string `json:"field" yaml:"field"`
	// Function is one of count, sum, mean, min, max, first and last ("avg"
	// means mean).
	Function string `json:"function" yaml:"function"`
	// As is the output field; the default is "<field>_<function>", e.g.
	// "temperature_max", so that min and max of one field can coexist.
	As string `json:"as,omitempty" yaml:"as,omitempty"`
}

// supported lists the functions a continuous aggregate may use: those
// whose partial states are small and exactly mergeable.
var supported = []aggregate.Func{aggregate.Count, aggregate.Sum, aggregate.Mean, aggregate.Min,
	aggregate.Max, aggregate.First, aggregate.Last}

// definitionKeys are the JSON and YAML keys of a Definition, for strict
// decoding.
var definitionKeys = []string{"name", "database", "retention_policy", "source", "target",
	"target_retention_policy", "interval", "offset", "group_by", "fields", "filter", "retention",
	"lag", "every", "for", "enabled", "query"}

// UnmarshalJSON decodes a definition, rejecting unknown keys; "enabled"
// defaults to true.
func (d *Definition) UnmarshalJSON(b []byte) error {
	type plain Definition
	p := plain{Enabled: true}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*d = Definition(p)
	return nil
}

// UnmarshalYAML decodes a definition, rejecting unknown keys; "enabled"
// defaults to true.
func (d *Definition) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !slices.Contains(definitionKeys, k.Value) {
				return fmt.Errorf("line %d: field %s not found in continuous aggregate", k.Line, k.Value)
			}
		}
	}
	type plain Definition
	p := plain{Enabled: true}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = Definition(p)
	return nil
}

// UnmarshalYAML decodes a field, rejecting unknown keys.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Value != "field" && k.Value != "function" && k.Value != "as" {
				return fmt.Errorf("line %d: field %s not found in aggregation", k.Line, k.Value)
			}
		}
	}
	type plain Field
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*f = Field(p)
	return nil
}

// Validate checks what can be checked without the database: it returns an
// error wrapping ErrInvalid that names the aggregate and lists what is
// wrong. Register checks the rest (databases, field types, other
// aggregates).
func (d Definition) Validate() error {
	_, err := d.normalized()
	return err
}

// normalized returns a copy of d with function names in canonical form,
// default output names filled in and GroupBy sorted, or the problems of d.
func (d Definition) normalized() (Definition, error) {
	n := d
	n.GroupBy = slices.Clone(d.GroupBy)
	n.Fields = slices.Clone(d.Fields)
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if n.Name == "" {
		bad("name is empty")
	}
	if n.Database == "" {
		bad("database is empty")
	}
	if n.Source == "" {
		bad("source measurement is empty")
	}
	if n.Target == "" {
		bad("target measurement is empty")
	}
	if n.Interval <= 0 {
		bad("interval %s is not positive", n.Interval)
	}
	if n.Offset < 0 || (n.Interval > 0 && n.Offset >= n.Interval) {
		bad("offset %s is not in [0, interval)", n.Offset)
	}
	for _, x := range []struct {
		name string
		d    Duration
	}{{"retention", n.Retention}, {"lag", n.Lag}, {"every", n.Every}, {"for", n.For}} {
		if x.d < 0 {
			bad("%s %s is negative", x.name, x.d)
		}
	}
	if n.Retention > 0 && n.Retention < n.Interval {
		bad("retention %s is shorter than the interval %s", n.Retention, n.Interval)
	}
	if n.Source != "" && n.Source == n.Target && (n.TargetRetentionPolicy == "" || n.TargetRetentionPolicy == n.RetentionPolicy) {
		bad("target %q is the source", n.Target)
	}
	if len(n.Fields) == 0 {
		bad("no aggregations")
	}
	outputs := map[string]int{}
	for i := range n.Fields {
		f := &n.Fields[i]
		if f.Field == "" {
			bad("fields[%d]: source field is empty", i)
		}
		fn, err := aggregate.ParseFunc(f.Function)
		switch {
		case f.Function == "":
			bad("fields[%d]: function is empty", i)
		case err != nil:
			bad("fields[%d]: unknown function %q", i, f.Function)
		case !slices.Contains(supported, fn):
			bad("fields[%d]: function %s is not supported by continuous aggregates (use count, sum, mean, min, max, first or last)", i, fn)
		default:
			f.Function = fn.String()
		}
		if f.As == "" && f.Field != "" && err == nil {
			f.As = f.Field + "_" + f.Function
		}
		if f.As == "time" {
			bad("fields[%d]: output name \"time\" is reserved", i)
		}
		if j, ok := outputs[f.As]; ok && f.As != "" {
			bad("fields[%d]: output name %q is used twice (also by fields[%d])", i, f.As, j)
		}
		outputs[f.As] = i
	}
	seen := map[string]bool{}
	for _, k := range n.GroupBy {
		switch {
		case k == "*" && len(n.GroupBy) > 1:
			bad("group_by: \"*\" must be alone")
		case k == "":
			bad("group_by: empty tag name")
		case k == "time":
			bad("group_by: \"time\" is not a tag (the interval sets the buckets)")
		case seen[k]:
			bad("group_by: tag %q is listed twice", k)
		}
		seen[k] = true
	}
	slices.Sort(n.GroupBy)
	if n.Filter != "" {
		if _, err := parseFilter(n.Filter); err != nil {
			bad("filter: %v", err)
		}
	}
	if len(problems) > 0 {
		return n, fmt.Errorf("%w %q: %s", ErrInvalid, d.Name, strings.Join(problems, "; "))
	}
	return n, nil
}

// invalid returns an ErrInvalid error naming the aggregate.
func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalid, name, fmt.Sprintf(format, args...))
}

// sameSubstance reports whether two normalized definitions compute the same
// thing, so that changing one into the other keeps what is materialized.
// Enabled, Every, For, Lag and Query do not matter.
func sameSubstance(a, b Definition) bool {
	a.Enabled, b.Enabled = false, false
	a.Every, b.Every = 0, 0
	a.For, b.For = 0, 0
	a.Lag, b.Lag = 0, 0
	a.Query, b.Query = "", ""
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

var errStop = errors.New("stop")
