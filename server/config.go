package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/influxdata/influxql"
	"gopkg.in/yaml.v3"

	"github.com/accretedb/accrete/continuous"
	"github.com/accretedb/accrete/downsample"
	"github.com/accretedb/accrete/retention"
)

// Config is the configuration file of `accrete serve`, in YAML or JSON.
// Every section has the shape of the matching part of the HTTP API, so that
// what a file declares can also be sent to a running server. Unknown keys
// are errors. A zero field means the default of the command (or its flag).
//
//	listen: 127.0.0.1:8086
//	data: /var/lib/accrete
//	durability: periodic
//	auth:
//	  enabled: true
//	  users:
//	    - {name: admin, password: secret}
//	limits:
//	  max_body_bytes: 25000000
//	  query_timeout: 30s
//	databases:
//	  - name: telegraf
//	aggregates:
//	  - {name: cpu_1m, database: telegraf, source: cpu, target: cpu_1m, interval: 1m,
//	     group_by: [host], fields: [{field: usage_user, function: mean}]}
//	retention:
//	  - {name: cpu_7d, database: telegraf, measurement: cpu, duration: 7d}
//	downsamples:
//	  - {name: mem, database: telegraf, source: mem, source_retention: 7d,
//	     fields: [{field: used, function: mean}, {field: used, function: max}],
//	     tiers: [{interval: 1m, retention: 90d}, {interval: 1h}]}
type Config struct {
	// Listen is the TCP address of the HTTP API.
	Listen string `json:"listen,omitempty" yaml:"listen,omitempty"`
	// Data is the data directory.
	Data string `json:"data,omitempty" yaml:"data,omitempty"`
	// Durability is when writes are acknowledged: "every_write",
	// "periodic" or "none".
	Durability string `json:"durability,omitempty" yaml:"durability,omitempty"`
	// Auth configures authentication.
	Auth AuthConfig `json:"auth,omitzero" yaml:"auth,omitempty"`
	// Limits bound requests.
	Limits LimitsConfig `json:"limits,omitzero" yaml:"limits,omitempty"`
	// Databases are created at start when missing.
	Databases []DatabaseConfig `json:"databases,omitempty" yaml:"databases,omitempty"`
	// Rules are rule programs put at start when missing or changed.
	Rules []RuleConfig `json:"rules,omitempty" yaml:"rules,omitempty"`
	// Aggregates are continuous aggregates, in the shape of the aggregates
	// API, created at start or updated when changed (continuous.Engine.Put).
	Aggregates []continuous.Definition `json:"aggregates,omitempty" yaml:"aggregates,omitempty"`
	// Retention are per-measurement retentions, in the shape of the
	// retention API, created at start or updated when changed
	// (retention.Enforcer.Put).
	Retention []retention.Definition `json:"retention,omitempty" yaml:"retention,omitempty"`
	// Downsamples are downsample configs (or tiered configs), in the shape
	// of the downsamples API, created at start or updated when changed
	// (downsample.Engine.Put).
	Downsamples []downsample.Config `json:"downsamples,omitempty" yaml:"downsamples,omitempty"`
}

// AuthConfig is the auth section of a Config.
type AuthConfig struct {
	// Enabled requires credentials and privileges on /write, /query and
	// the /api/v1 endpoints (see Auth).
	Enabled bool `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	// Users are admin accounts created at start, or updated when their
	// password changed, beside the users of CREATE USER.
	Users []UserConfig `json:"users,omitempty" yaml:"users,omitempty"`
}

// UserConfig is one user of an AuthConfig.
type UserConfig struct {
	Name     string `json:"name" yaml:"name"`
	Password string `json:"password" yaml:"password"`
}

// LimitsConfig is the limits section of a Config.
type LimitsConfig struct {
	// MaxBodyBytes is Options.MaxBodyBytes.
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty" yaml:"max_body_bytes,omitempty"`
	// QueryTimeout is Options.QueryTimeout, in InfluxQL duration syntax
	// ("30s", "1m").
	QueryTimeout Duration `json:"query_timeout,omitempty" yaml:"query_timeout,omitempty"`
}

// DatabaseConfig declares a database.
type DatabaseConfig struct {
	Name string `json:"name" yaml:"name"`
}

// Duration is a time.Duration written in InfluxQL duration syntax in
// configuration files and API bodies: "10s", "1h30m", "7d", "2w".
type Duration time.Duration

// ParseDuration parses an InfluxQL duration.
func ParseDuration(s string) (Duration, error) {
	d, err := influxql.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: %w", s, err)
	}
	return Duration(d), nil
}

// String formats d in InfluxQL syntax.
func (d Duration) String() string { return influxql.FormatDuration(time.Duration(d)) }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// LoadConfig reads a configuration file: JSON when its name ends in .json,
// YAML otherwise.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b, strings.EqualFold(filepath.Ext(path), ".json"))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration, JSON when isJSON is set and YAML
// otherwise, and checks it.
func ParseConfig(b []byte, isJSON bool) (*Config, error) {
	var c Config
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
		if dec.More() {
			return nil, errors.New("unexpected data after the configuration object")
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// check reports the first inconsistency of a decoded configuration.
func (c *Config) check() error {
	seen := map[string]bool{}
	for i, u := range c.Auth.Users {
		if u.Name == "" {
			return fmt.Errorf("auth.users[%d]: name is empty", i)
		}
		if seen[u.Name] {
			return fmt.Errorf("auth.users[%d]: user %q is declared twice", i, u.Name)
		}
		if len(u.Password) > 72 {
			// bcrypt hashes at most 72 bytes.
			return fmt.Errorf("auth.users[%d]: the password of %q is longer than 72 bytes", i, u.Name)
		}
		seen[u.Name] = true
	}
	if c.Limits.MaxBodyBytes < 0 {
		return fmt.Errorf("limits.max_body_bytes: %d is negative", c.Limits.MaxBodyBytes)
	}
	if c.Limits.QueryTimeout < 0 {
		return fmt.Errorf("limits.query_timeout: %s is negative", c.Limits.QueryTimeout)
	}
	seen = map[string]bool{}
	for i, d := range c.Databases {
		if d.Name == "" {
			return fmt.Errorf("databases[%d]: name is empty", i)
		}
		if seen[d.Name] {
			return fmt.Errorf("databases[%d]: database %q is declared twice", i, d.Name)
		}
		seen[d.Name] = true
	}
	if err := checkAggregateConfigs(c.Aggregates); err != nil {
		return err
	}
	if err := checkRetentionConfigs(c.Retention); err != nil {
		return err
	}
	if err := checkDownsampleConfigs(c.Downsamples); err != nil {
		return err
	}
	return checkRuleConfigs(c.Rules)
}

// AuthOption returns the Options.Auth the configuration asks for: nil when
// authentication is off. Its Users are the configured users; the caller
// sets its Store. Enabling authentication without configured users is
// allowed: the first query must then create an admin user.
func (c *Config) AuthOption() (*Auth, error) {
	if !c.Auth.Enabled {
		return nil, nil
	}
	a := &Auth{Users: make(map[string]string, len(c.Auth.Users))}
	for _, u := range c.Auth.Users {
		a.Users[u.Name] = u.Password
	}
	return a, nil
}
