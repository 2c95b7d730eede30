// Package accrete is the front door for programs that embed accrete: Open a
// data directory, write points (as model.Point values or InfluxDB line
// protocol), and read them back through the embedded storage engine.
//
//	db, err := accrete.Open("data", nil)
//	if err != nil { ... }
//	defer db.Close()
//	if err := db.CreateDatabase("telegraf"); err != nil { ... }
//	err = db.WriteLineProtocol("telegraf", "", []byte("cpu,host=a usage=0.5 1700000000000000000\n"), model.Nanosecond)
//
// # Writes
//
// A write is all-or-nothing: a malformed line (a *model.LineError naming
// the line and column), a field written with another type than it was
// first written with (a *storage.FieldTypeConflictError naming measurement,
// field and both types), an empty body (storage.ErrEmptyBatch) or an
// unknown database (storage.ErrDatabaseNotFound) stores nothing. A write
// returns once it is durable under Options.Storage.Durability.
//
// # Reads
//
// DB embeds *storage.DB: the series index (Measurements, TagKeys,
// TagValues, Series, FieldKeys), range reads (NewReader, Cursor), deletes,
// retention policies and the metadata API are its methods.
//
// # Concurrency
//
// A DB is safe for concurrent use by any number of goroutines.
package accrete
