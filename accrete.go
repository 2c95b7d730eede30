package accrete

import (
	"fmt"
	"sync"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// DB is an open accrete data directory. It embeds the storage engine,
// whose methods read the index and data, delete, and manage databases and
// retention policies. It is safe for concurrent use.
type DB struct {
	*storage.DB
	opts *Options // never changes after Open
}

// Open opens or creates the data directory dir.
func Open(dir string, opts *Options) (*DB, error) {
	o := opts.withDefaults()
	s, err := storage.Open(dir, &o.Storage)
	if err != nil {
		return nil, err
	}
	return &DB{DB: s, opts: o}, nil
}

// Close flushes and closes the data directory. Readers must be closed
// first.
func (db *DB) Close() error { return db.DB.Close() }

// Write stores points atomically in retention policy rp ("" is the
// database's default); see storage.Batch.Write for what is checked.
func (db *DB) Write(database, rp string, points []model.Point) error {
	return db.DB.Write(database, rp, points)
}

// WriteLineProtocol parses body as InfluxDB line protocol with timestamps
// in the given precision (0 means nanoseconds; lines without a timestamp
// get the clock's time) and stores all its points atomically. A malformed
// body fails with a *model.LineError and stores nothing; so does a body
// without points (storage.ErrEmptyBatch).
func (db *DB) WriteLineProtocol(database, rp string, body []byte, precision model.Precision) error {
	dec := decoders.Get().(*model.Decoder)
	defer decoders.Put(dec)
	d, err := dec.Decode(body, model.ParseOptions{
		Precision:    precision,
		Now:          db.opts.Clock().UnixNano(),
		MaxLineBytes: db.opts.MaxLineBytes,
	})
	if err != nil {
		return err
	}
	if len(d.Points) == 0 {
		return fmt.Errorf("%w: no points in the body", storage.ErrEmptyBatch)
	}
	return db.DB.WriteDecoded(database, rp, d)
}

// decoders are reused across WriteLineProtocol calls.
var decoders = sync.Pool{New: func() any { return new(model.Decoder) }}
