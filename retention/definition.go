package retention

import (
	"fmt"
	"time"
)

// Definition keeps one measurement of one retention policy for Duration.
// Its JSON shape is the retention API's:
//
//	{"name": "cpu_7d", "database": "db", "retention_policy": "autogen",
//	 "measurement": "cpu", "duration": "7d"}
type Definition struct {
	// Name identifies the definition.
	Name     string `json:"name" yaml:"name"`
	Database string `json:"database" yaml:"database"`
	// RetentionPolicy holding the measurement; "" is the database's default
	// policy at the time of each enforcement.
	RetentionPolicy string `json:"retention_policy,omitempty" yaml:"retention_policy,omitempty"`
	Measurement     string `json:"measurement" yaml:"measurement"`
	// Duration is how long points are kept; it must be positive.
	Duration Duration `json:"duration" yaml:"duration"`
}

// Validate checks the fields of a definition that need no database: a
// name, a database, a measurement and a positive duration. Its errors match
// ErrInvalid and name the definition.
func (d *Definition) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalid, d.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case d.Name == "":
		return fmt.Errorf("%w: name is missing", ErrInvalid)
	case len(d.Name) > 255:
		return bad("name is longer than 255 bytes")
	case d.Database == "":
		return bad("database is missing")
	case d.Measurement == "":
		return bad("measurement is missing")
	case d.Duration <= 0:
		return bad("duration %s is not positive", time.Duration(d.Duration))
	}
	return nil
}
