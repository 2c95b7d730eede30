package downsample

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/continuous"
)

// Duration is a time.Duration in InfluxQL syntax in JSON and YAML ("1m",
// "90d"), shared with continuous aggregates.
type Duration = continuous.Duration

// Field is one aggregation of a Config: Function over the source field
// Field, written to the output field As (default "<field>_<function>").
// It has the shape of a continuous aggregate's field.
type Field = continuous.Field

// The functions a downsample may use: the seven whose partial states are
// small and merge exactly, so that every tier is exact.
const (
	Count = aggregate.Count
	Sum   = aggregate.Sum
	Mean  = aggregate.Mean
	Min   = aggregate.Min
	Max   = aggregate.Max
	First = aggregate.First
	Last  = aggregate.Last
)

var supported = []aggregate.Func{Count, Sum, Mean, Min, Max, First, Last}

// Config rolls the source measurement up into the target measurement, one
// point per source series and bucket of Interval, keeping every tag. Its
// JSON and YAML shape is the one of the HTTP API and the configuration
// file, the shape of continuous aggregates:
//
//	{"name": "cpu_1m", "database": "telegraf", "source": "cpu", "target": "cpu_1m",
//	 "interval": "1m", "fields": [{"field": "usage", "function": "mean"}],
//	 "retention": "90d"}
//
// A config with Tiers is the shorthand of a chain: it stands for one
// config per tier (see [Config.Expand]):
//
//	{"name": "cpu", "database": "telegraf", "source": "cpu", "source_retention": "7d",
//	 "fields": [{"field": "usage", "function": "mean"}],
//	 "tiers": [{"interval": "1m", "retention": "90d"}, {"interval": "1h"}]}
type Config struct {
	// Name identifies the config; it is unique in the engine.
	Name string `json:"name" yaml:"name"`
	// Database holds the source and the target.
	Database string `json:"database" yaml:"database"`
	// RetentionPolicy of the source and the target; "" is the database's
	// default when the config is registered (the resolved name is stored).
	RetentionPolicy string `json:"retention_policy,omitempty" yaml:"retention_policy,omitempty"`
	// Source is the measurement read: raw data, or the target of another
	// config (a tier), whose partial states are merged.
	Source string `json:"source" yaml:"source"`
	// Target is the measurement written; no other config may write it.
	Target string `json:"target,omitempty" yaml:"target,omitempty"`
	// Interval is the bucket width; it must be positive, and a multiple of
	// the lower tier's Interval for a tier.
	Interval Duration `json:"interval,omitempty" yaml:"interval,omitempty"`
	// Grace is how long after its end a bucket stays open for points
	// arriving late before it is written. The default is 0. Points
	// arriving later still re-aggregate the bucket exactly.
	Grace Duration `json:"grace,omitempty" yaml:"grace,omitempty"`
	// GroupBy must be empty: a downsample keeps every tag of the source
	// series (use a continuous aggregate to group series). It is part of
	// the shape shared with aggregates.
	GroupBy []string `json:"group_by,omitempty" yaml:"group_by,omitempty"`
	// Fields are the aggregations, keyed by output field.
	Fields []Field `json:"fields" yaml:"fields"`
	// Retention, when positive, removes target points (and their partial
	// states) older than it. The default, 0, keeps them forever.
	Retention Duration `json:"retention,omitempty" yaml:"retention,omitempty"`
	// SourceRetention, when positive, keeps raw source points for this
	// long: older ones are removed by the engine and writes of older points
	// are rejected. Only for a config reading raw data.
	SourceRetention Duration `json:"source_retention,omitempty" yaml:"source_retention,omitempty"`
	// Tiers, when present, make the config a shorthand of a chain of
	// configs (see Expand); Target, Interval and Retention must then be
	// empty.
	Tiers []Tier `json:"tiers,omitempty" yaml:"tiers,omitempty"`
}

// Tier is one level of a chain of configs.
type Tier struct {
	// Interval is the bucket width of the tier.
	Interval Duration `json:"interval" yaml:"interval"`
	// Target is the measurement written; the default is
	// "<source>_<interval>", e.g. "cpu_1m".
	Target string `json:"target,omitempty" yaml:"target,omitempty"`
	// Retention of the tier's target; 0 keeps it forever.
	Retention Duration `json:"retention,omitempty" yaml:"retention,omitempty"`
	// Grace of the tier; the default is the config's Grace.
	Grace Duration `json:"grace,omitempty" yaml:"grace,omitempty"`
}

var configKeys = []string{"name", "database", "retention_policy", "source", "target", "interval", "grace",
	"group_by", "fields", "retention", "source_retention", "tiers"}

var tierKeys = []string{"interval", "target", "retention", "grace"}

// UnmarshalJSON decodes a config, rejecting unknown keys.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*c = Config(p)
	return nil
}

// UnmarshalYAML decodes a config, rejecting unknown keys.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, configKeys, "downsample"); err != nil {
		return err
	}
	type plain Config
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = Config(p)
	return nil
}

// UnmarshalYAML decodes a tier, rejecting unknown keys.
func (t *Tier) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, tierKeys, "tier"); err != nil {
		return err
	}
	type plain Tier
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = Tier(p)
	return nil
}

func knownKeys(n *yaml.Node, keys []string, what string) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(keys, k.Value) {
			return fmt.Errorf("line %d: field %s not found in %s", k.Line, k.Value, what)
		}
	}
	return nil
}

// Expand returns the configs a config stands for: itself when it has no
// Tiers, else one config per tier, named "<name>_<interval>" (e.g.
// "cpu_1m"), the first reading the config's Source (with its
// SourceRetention) and each later one the target of the one before, all
// with the config's fields. A later tier aggregates each output of the
// tier below with the same function under the same name, so that cpu_1m
// and cpu_1h both have "usage_mean" and the hourly mean is the exact mean
// of the raw values.
func (c Config) Expand() ([]Config, error) {
	if len(c.Tiers) == 0 {
		return []Config{c}, nil
	}
	var errs []string
	if c.Target != "" {
		errs = append(errs, "target must be empty when tiers are given (each tier names its own)")
	}
	if c.Interval != 0 {
		errs = append(errs, "interval must be empty when tiers are given (each tier has its own)")
	}
	if c.Retention != 0 {
		errs = append(errs, "retention must be empty when tiers are given (each tier has its own; source_retention is the raw data's)")
	}
	if len(errs) > 0 {
		return nil, invalidList(c.Name, errs)
	}
	out := make([]Config, 0, len(c.Tiers))
	src := c.Source
	var outputs []Field
	for i, t := range c.Tiers {
		d := Config{
			Name:            c.Name + "_" + t.Interval.String(),
			Database:        c.Database,
			RetentionPolicy: c.RetentionPolicy,
			Source:          src,
			Target:          t.Target,
			Interval:        t.Interval,
			Grace:           c.Grace,
			GroupBy:         c.GroupBy,
			Retention:       t.Retention,
		}
		if t.Grace != 0 {
			d.Grace = t.Grace
		}
		if d.Target == "" {
			d.Target = c.Source + "_" + t.Interval.String()
		}
		if i == 0 {
			d.SourceRetention = c.SourceRetention
			d.Fields = slices.Clone(c.Fields)
			for _, f := range c.Fields {
				fn := f.Function
				if p, err := aggregate.ParseFunc(strings.ToLower(fn)); err == nil {
					fn = p.String()
				}
				outputs = append(outputs, Field{Field: outputName(f), Function: fn, As: outputName(f)})
			}
		} else {
			d.Fields = slices.Clone(outputs)
		}
		out = append(out, d)
		src = d.Target
	}
	return out, nil
}

// outputName is a field's output name: As, or "<field>_<function>".
func outputName(f Field) string {
	if f.As != "" {
		return f.As
	}
	fn := strings.ToLower(f.Function)
	if p, err := aggregate.ParseFunc(fn); err == nil {
		fn = p.String()
	}
	return f.Field + "_" + fn
}

// Validate checks what can be checked without the engine: it returns an
// error wrapping ErrInvalid naming the config and every problem. Register
// checks the rest (the database, other configs, tiers).
func (c Config) Validate() error {
	cs, err := c.Expand()
	if err != nil {
		return err
	}
	for _, d := range cs {
		if _, err := d.normalized(); err != nil {
			return err
		}
	}
	return nil
}

// output is one compiled aggregation.
type output struct {
	name  string // output field
	input string // source field
	fn    aggregate.Func
}

// normalized checks a config without tiers and returns it with functions
// spelled canonically and default output names filled in.
func (c Config) normalized() (Config, error) {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.Name == "" {
		add("name is empty")
	}
	if len(c.Tiers) > 0 {
		add("tiers must be expanded before registering")
	}
	if c.Database == "" {
		add("database is empty")
	}
	if c.Source == "" {
		add("source is empty")
	}
	if c.Target == "" {
		add("target is empty")
	}
	if c.Target != "" && c.Target == c.Source {
		add("target %q is the source: a downsample must write another measurement", c.Target)
	}
	if c.Interval <= 0 {
		add("interval %s must be positive", time.Duration(c.Interval))
	}
	if c.Grace < 0 {
		add("grace %s is negative", time.Duration(c.Grace))
	}
	if c.Retention < 0 {
		add("retention %s is negative", time.Duration(c.Retention))
	}
	if c.SourceRetention < 0 {
		add("source_retention %s is negative", time.Duration(c.SourceRetention))
	}
	if len(c.GroupBy) > 0 {
		add("group_by %v: a downsample keeps every tag of its source series; use a continuous aggregate to group series", c.GroupBy)
	}
	if len(c.Fields) == 0 {
		add("no fields")
	}
	out := c
	out.Fields = make([]Field, len(c.Fields))
	seen := map[string]int{}
	for i, f := range c.Fields {
		nf := f
		if f.Field == "" {
			add("fields[%d]: field is empty", i)
		}
		fn, err := aggregate.ParseFunc(strings.ToLower(f.Function))
		switch {
		case f.Function == "":
			add("fields[%d] (%s): function is empty", i, f.Field)
		case err != nil || !slices.Contains(supported, fn):
			add("fields[%d] (%s): unknown function %q (want count, sum, mean, min, max, first or last)", i, f.Field, f.Function)
		default:
			nf.Function = fn.String()
		}
		nf.As = outputName(nf)
		if j, dup := seen[nf.As]; dup {
			add("fields[%d]: duplicate output name %q (also fields[%d]); set \"as\" to tell them apart", i, nf.As, j)
		} else {
			seen[nf.As] = i
		}
		out.Fields[i] = nf
	}
	if len(errs) > 0 {
		return Config{}, invalidList(c.Name, errs)
	}
	return out, nil
}

func (c Config) outputs() []output {
	out := make([]output, len(c.Fields))
	for i, f := range c.Fields {
		fn, err := aggregate.ParseFunc(f.Function)
		if err != nil {
			panic("BUG: unnormalized field " + f.Function)
		}
		out[i] = output{name: f.As, input: f.Field, fn: fn}
	}
	return out
}

func invalidList(name string, errs []string) error {
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Errorf("%w %q: %s", ErrInvalid, name, strings.Join(errs, "; "))
}

// Builder builds a Config fluently:
//
//	cfg, err := downsample.NewDownsample("cpu", "cpu_1m", time.Minute).
//		Mean("usage").Min("temp").Max("temp").
//		Field("requests", downsample.Sum, "total_requests").
//		Build()
//
// Fields are keyed by output name, so Min("temp") and Max("temp") both
// stay ("temp_min", "temp_max").
type Builder struct {
	c Config
}

// NewDownsample starts a config reading source and writing target in
// buckets of interval. Its name defaults to target and its database to
// "" (set them with Name and Database).
func NewDownsample(source, target string, interval time.Duration) *Builder {
	return &Builder{c: Config{Name: target, Source: source, Target: target, Interval: Duration(interval)}}
}

// Name sets the config's name.
func (b *Builder) Name(name string) *Builder { b.c.Name = name; return b }

// Database sets the database (and retention policy, "" for the default).
func (b *Builder) Database(database, rp string) *Builder {
	b.c.Database, b.c.RetentionPolicy = database, rp
	return b
}

// Grace sets how long buckets stay open after their end.
func (b *Builder) Grace(d time.Duration) *Builder { b.c.Grace = Duration(d); return b }

// Retention sets the retention of the target.
func (b *Builder) Retention(d time.Duration) *Builder { b.c.Retention = Duration(d); return b }

// SourceRetention sets the retention of the raw source.
func (b *Builder) SourceRetention(d time.Duration) *Builder {
	b.c.SourceRetention = Duration(d)
	return b
}

// Mean adds the mean of field, output "<field>_mean".
func (b *Builder) Mean(field string) *Builder { return b.Field(field, Mean, "") }

// Min adds the minimum of field, output "<field>_min".
func (b *Builder) Min(field string) *Builder { return b.Field(field, Min, "") }

// Max adds the maximum of field, output "<field>_max".
func (b *Builder) Max(field string) *Builder { return b.Field(field, Max, "") }

// Sum adds the sum of field, output "<field>_sum".
func (b *Builder) Sum(field string) *Builder { return b.Field(field, Sum, "") }

// Count adds the count of field, output "<field>_count".
func (b *Builder) Count(field string) *Builder { return b.Field(field, Count, "") }

// First adds the first value of field, output "<field>_first".
func (b *Builder) First(field string) *Builder { return b.Field(field, First, "") }

// Last adds the last value of field, output "<field>_last".
func (b *Builder) Last(field string) *Builder { return b.Field(field, Last, "") }

// Field adds fn over field written to output ("" for "<field>_<fn>").
func (b *Builder) Field(field string, fn aggregate.Func, output string) *Builder {
	b.c.Fields = append(b.c.Fields, Field{Field: field, Function: fn.String(), As: output})
	return b
}

// Build returns the config, or an error wrapping ErrInvalid naming every
// problem. The database is checked by Register, so Build accepts an empty
// one.
func (b *Builder) Build() (Config, error) {
	c := b.c
	probe := c
	if probe.Database == "" {
		probe.Database = "-"
	}
	n, err := probe.normalized()
	if err != nil {
		return Config{}, err
	}
	n.Database = c.Database
	return n, nil
}
