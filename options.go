package accrete

import (
	"log/slog"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// Options configure a DB. A nil *Options or zero fields mean the defaults
// of DefaultOptions.
type Options struct {
	// Storage configures the storage engine; see storage.Options for the
	// defaults of its fields. Logger and Clock below override its own.
	Storage storage.Options
	// MaxLineBytes is the longest line WriteLineProtocol accepts. The
	// default is model.DefaultMaxLineBytes (1 MiB).
	MaxLineBytes int
	// Logger receives operational messages of every component. The default
	// discards them.
	Logger *slog.Logger
	// Clock returns the current time: the timestamp of lines without one
	// and the closing of partitions. The default is time.Now.
	Clock func() time.Time
}

// DefaultOptions returns the defaults every zero field of Options means.
func DefaultOptions() *Options {
	return &Options{
		Storage:      *storage.DefaultOptions(),
		MaxLineBytes: model.DefaultMaxLineBytes,
		Logger:       slog.New(slog.DiscardHandler),
		Clock:        time.Now,
	}
}

func (o *Options) withDefaults() *Options {
	d := DefaultOptions()
	if o == nil {
		return d
	}
	c := *o
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = d.MaxLineBytes
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	c.Storage.Logger = c.Logger
	c.Storage.Clock = c.Clock
	return &c
}
