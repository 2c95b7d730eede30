package storage

import (
	"errors"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// Metadata API. Other packages (continuous aggregates, rules, retention)
// keep their own keys in the storage's Pebble database, each under its own
// namespace: a short name reserved per package ("cq", "rules", ...). Keys
// and values are opaque bytes. They are written with Batch.SetMeta,
// Batch.DeleteMeta and Batch.DeleteMetaPrefix, atomically with points
// written in the same Batch and, through an Observer, atomically with any
// change of data. Dropping databases never touches metadata.

// pebbleReader is what DB and Reader read metadata from.
type pebbleReader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// GetMeta returns a copy of the value of key in namespace ns, with false
// when the key is absent.
func (db *DB) GetMeta(ns string, key []byte) ([]byte, bool, error) {
	if err := db.enter(); err != nil {
		return nil, false, err
	}
	defer db.leave()
	return getMeta(db.pdb, ns, key)
}

// IterMeta calls fn for every key of namespace ns starting with prefix, in
// key order, with the key (without namespace) and value; both are valid
// only during the call. An error from fn stops the iteration and is
// returned.
func (db *DB) IterMeta(ns string, prefix []byte, fn func(key, value []byte) error) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return iterMeta(db.pdb, ns, prefix, fn)
}

// GetMeta is DB.GetMeta as of the Reader's view.
func (r *Reader) GetMeta(ns string, key []byte) ([]byte, bool, error) {
	return getMeta(r.snap, ns, key)
}

// IterMeta is DB.IterMeta as of the Reader's view.
func (r *Reader) IterMeta(ns string, prefix []byte, fn func(key, value []byte) error) error {
	return iterMeta(r.snap, ns, prefix, fn)
}

func getMeta(pr pebbleReader, ns string, key []byte) ([]byte, bool, error) {
	if err := checkName("metadata namespace", ns); err != nil {
		return nil, false, err
	}
	v, closer, err := pr.Get(appendMetaKey(nil, ns, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return append([]byte{}, v...), true, nil
}

func iterMeta(pr pebbleReader, ns string, prefix []byte, fn func(key, value []byte) error) error {
	if err := checkName("metadata namespace", ns); err != nil {
		return err
	}
	lo := appendMetaKey(nil, ns, prefix)
	it, err := pr.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	skip := 2 + len(ns)
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key()[skip:], it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return errors.Join(it.Error(), it.Close())
}
