package storage

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage/chunk"
	"github.com/cockroachdb/pebble/v2"
)

// Batch collects point writes and metadata changes that commit atomically:
// after Commit either all of them are stored or (on error) none is.
//
// A Batch is not safe for concurrent use. Points passed to Write are kept
// by reference until Commit returns: do not modify them before. A Write
// that fails (bad point, type conflict, unknown database) leaves the batch
// failed: Commit returns the same error and writes nothing.
type Batch struct {
	db       *DB
	pb       *pebble.Batch // metadata operations; data keys join at commit
	writes   []*pendingWrite
	sets     []WriteSet // the Write calls, for observers
	groupOf  []*seriesGroup
	arena    *colArena // the columns' arrays, taken by the first Write
	key      []byte
	err      error // sticky error of a failed Write
	internal bool  // made by the DB for a delete or drop
	done     bool
	values   int
}

// pendingWrite groups the points of one retention policy by series and
// field.
type pendingWrite struct {
	database, rp string
	// byHash finds a point's group by a hash of its measurement and tags
	// (collisions are resolved by comparing them), so that the escaped
	// series key is built once per series and batch, not once per point.
	byHash map[uint64][]*seriesGroup
	seed   maphash.Seed
	groups []*seriesGroup
	types  map[mfKey]model.FieldType // first type of each field in the batch
}

type mfKey struct{ measurement, field string }

type seriesGroup struct {
	key         string
	measurement string
	tags        model.Tags
	fields      []*fieldGroup
	pending     int // points of the current Write call
}

type fieldGroup struct {
	name string
	cols chunk.Columns
}

// NewBatch starts an empty batch.
func (db *DB) NewBatch() *Batch {
	return &Batch{db: db, pb: db.pdb.NewBatch()}
}

// newInternalBatch makes the batch a delete or drop hands to observers.
func (db *DB) newInternalBatch() *Batch {
	return &Batch{db: db, pb: db.pdb.NewBatch(), internal: true}
}

// Write is DB.NewBatch, Batch.Write and Batch.Commit: it stores points
// atomically in a retention policy ("" is the database's default). See
// Batch.Write for what is checked.
func (db *DB) Write(database, rp string, points []model.Point) error {
	b := db.NewBatch()
	if err := b.Write(database, rp, points); err != nil {
		b.Discard()
		return err
	}
	return b.Commit()
}

// Write adds points to the batch. It fails with ErrEmptyBatch for no
// points, ErrDatabaseNotFound or ErrRetentionPolicyNotFound for an unknown
// target, ErrInvalidPoint (wrapped, naming the point's index) for a
// malformed point and *FieldTypeConflictError when a field gets values of
// two types within the batch; a conflict with the stored type is found by
// Commit. Within one batch the last value of a series, field and timestamp
// wins, as does a later batch over an earlier one.
func (b *Batch) Write(database, rp string, points []model.Point) error {
	w, err := b.pendingFor(database, rp, points)
	if err != nil {
		return err
	}
	// Pass 1 validates and finds each point's series group, counting
	// points per group so that pass 2 allocates each column once.
	groupOf := b.groupOf[:0]
	if cap(groupOf) < len(points) {
		groupOf = make([]*seriesGroup, 0, len(points))
	}
	var h maphash.Hash
	h.SetSeed(w.seed)
	for i := range points {
		p := &points[i]
		if err := b.db.checkPoint(p); err != nil {
			return b.fail(fmt.Errorf("%w: point %d (%s): %s", ErrInvalidPoint, i, clipName(p.Measurement), err))
		}
		g, err := b.group(w, &h, p, i)
		if err != nil {
			return err
		}
		g.pending++
		groupOf = append(groupOf, g)
	}
	b.groupOf = groupOf
	return b.addValues(w, database, points)
}

// WriteDecoded stores a batch decoded by a model.Decoder atomically, like
// Write(database, rp, d.Points) but without hashing each point's tags: the
// points are grouped by d.SeriesOf. Observers see d.Points.
func (db *DB) WriteDecoded(database, rp string, d *model.Decoded) error {
	b := db.NewBatch()
	if err := b.WriteDecoded(database, rp, d); err != nil {
		b.Discard()
		return err
	}
	return b.Commit()
}

// WriteDecoded adds the points of d to the batch, like Write(database, rp,
// d.Points) with the same checks, finding each point's series
// by d.SeriesOf instead of by its tags. d must be consistent (each point of
// the measurement and tags of its series), as model.Decoder makes it; an
// inconsistent d fails with ErrInvalidPoint. d is kept by reference until
// Commit returns.
func (b *Batch) WriteDecoded(database, rp string, d *model.Decoded) error {
	points := d.Points
	if len(d.SeriesOf) != len(points) {
		return b.fail(fmt.Errorf("%w: %d series indexes for %d points", ErrInvalidPoint, len(d.SeriesOf), len(points)))
	}
	w, err := b.pendingFor(database, rp, points)
	if err != nil {
		return err
	}
	// The group of each series of d, found by hashing once per series.
	groups := make([]*seriesGroup, len(d.Series))
	var h maphash.Hash
	h.SetSeed(w.seed)
	for si := range d.Series {
		s := &d.Series[si]
		first := min(max(s.First, 0), len(points))
		if first == len(points) || d.SeriesOf[first] != int32(si) {
			return b.fail(fmt.Errorf("%w: series %d does not start at point %d", ErrInvalidPoint, si, s.First))
		}
		g, err := b.group(w, &h, &points[first], first)
		if err != nil {
			return err
		}
		groups[si] = g
	}
	groupOf := b.groupOf[:0]
	if cap(groupOf) < len(points) {
		groupOf = make([]*seriesGroup, 0, len(points))
	}
	for i := range points {
		p := &points[i]
		si := d.SeriesOf[i]
		if si < 0 || int(si) >= len(groups) {
			return b.fail(fmt.Errorf("%w: point %d: series index %d out of range", ErrInvalidPoint, i, si))
		}
		g := groups[si]
		if p.Measurement != g.measurement || !sameTags(p.Tags, g.tags) {
			return b.fail(fmt.Errorf("%w: point %d (%s) is not of series %d", ErrInvalidPoint, i, clipName(p.Measurement), si))
		}
		if err := checkFields(p); err != nil {
			return b.fail(fmt.Errorf("%w: point %d (%s): %s", ErrInvalidPoint, i, clipName(p.Measurement), err))
		}
		g.pending++
		groupOf = append(groupOf, g)
	}
	b.groupOf = groupOf
	return b.addValues(w, database, points)
}

// sameTags reports whether a and b are equal, quickly when they share
// their array.
func sameTags(a, b model.Tags) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// pendingFor resolves the target of a Write and returns its pending write.
func (b *Batch) pendingFor(database, rp string, points []model.Point) (*pendingWrite, error) {
	if b.done || b.internal {
		return nil, ErrBatchCommitted
	}
	if b.err != nil {
		return nil, b.err
	}
	if len(points) == 0 {
		return nil, b.fail(fmt.Errorf("%w: no points", ErrEmptyBatch))
	}
	b.db.state.RLock()
	_, rps, err := b.db.lookupRP(database, rp)
	b.db.state.RUnlock()
	if err != nil {
		return nil, b.fail(err)
	}
	rp = rps.policy.Name
	for _, x := range b.writes {
		if x.database == database && x.rp == rp {
			return x, nil
		}
	}
	w := &pendingWrite{database: database, rp: rp, byHash: map[uint64][]*seriesGroup{},
		seed: maphash.MakeSeed(), types: map[mfKey]model.FieldType{}}
	b.writes = append(b.writes, w)
	return w, nil
}

// group returns the series group of point p (index i), adding one when the
// series is new in the batch.
func (b *Batch) group(w *pendingWrite, h *maphash.Hash, p *model.Point, i int) (*seriesGroup, error) {
	sum := hashSeries(h, p)
	for _, c := range w.byHash[sum] {
		if c.measurement == p.Measurement && slices.Equal(c.tags, p.Tags) {
			return c, nil
		}
	}
	if err := checkSeries(p); err != nil {
		return nil, b.fail(fmt.Errorf("%w: point %d (%s): %s", ErrInvalidPoint, i, clipName(p.Measurement), err))
	}
	b.key = model.AppendSeriesKey(b.key[:0], p.Measurement, p.Tags)
	if len(b.key) > b.db.opts.MaxSeriesKeyLen {
		return nil, b.fail(fmt.Errorf("%w: point %d: series key of %d bytes is longer than the limit of %d",
			ErrInvalidPoint, i, len(b.key), b.db.opts.MaxSeriesKeyLen))
	}
	g := &seriesGroup{key: string(b.key), measurement: p.Measurement, tags: p.Tags}
	w.byHash[sum] = append(w.byHash[sum], g)
	w.groups = append(w.groups, g)
	return g, nil
}

// addValues is pass 2 of a Write: it appends the field values of points,
// whose groups are in b.groupOf, to the columns of their groups.
func (b *Batch) addValues(w *pendingWrite, database string, points []model.Point) error {
	groupOf := b.groupOf[:len(points)]
	if b.arena == nil {
		b.arena = b.db.getArena()
	}
	b.arena.need = 0
	for i := range points {
		b.arena.need += len(points[i].Fields)
	}
	for i := range points {
		p := &points[i]
		g := groupOf[i]
		for j := range p.Fields {
			f := &p.Fields[j]
			fg := g.field(j, f.Key)
			if fg == nil {
				mf := mfKey{p.Measurement, f.Key}
				t, ok := w.types[mf]
				if !ok {
					t = f.Value.Type()
					w.types[mf] = t
				}
				fg = b.arena.newFieldGroup(f.Key, t, g.pending)
				g.fields = append(g.fields, fg)
			}
			// fg.cols has a valid type (the field's first in the batch), so
			// Append fails only for a value of another type.
			if err := fg.cols.Append(p.Time, f.Value); err != nil {
				return b.fail(&FieldTypeConflictError{Measurement: p.Measurement, Field: f.Key, Existing: fg.cols.Type, Written: f.Value.Type()})
			}
		}
		b.values += len(p.Fields)
	}
	clear(groupOf)
	for _, g := range w.groups {
		g.pending = 0
	}
	b.sets = append(b.sets, WriteSet{Database: database, RetentionPolicy: w.rp, Points: points})
	return nil
}

// hashSeries hashes a point's measurement and tags. Points of one series
// (equal measurement and sorted tags) hash equal.
func hashSeries(h *maphash.Hash, p *model.Point) uint64 {
	h.Reset()
	h.WriteString(p.Measurement)
	for _, t := range p.Tags {
		h.WriteByte(0)
		h.WriteString(t.Key)
		h.WriteByte(0)
		h.WriteString(t.Value)
	}
	return h.Sum64()
}

func (b *Batch) fail(err error) error {
	b.err = err
	return err
}

// field returns the group of field name, trying position hint first
// (points of a series usually list their fields in the same order).
func (g *seriesGroup) field(hint int, name string) *fieldGroup {
	if hint < len(g.fields) && g.fields[hint].name == name {
		return g.fields[hint]
	}
	for _, f := range g.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// checkPoint validates a point written through the library (ParseLines
// produces only valid points).
func (db *DB) checkPoint(p *model.Point) error {
	if err := checkSeries(p); err != nil {
		return err
	}
	return checkFields(p)
}

// checkSeries validates a point's measurement and tags.
func checkSeries(p *model.Point) error {
	if p.Measurement == "" {
		return fmt.Errorf("empty measurement")
	}
	for i, t := range p.Tags {
		switch {
		case t.Key == "" || t.Value == "":
			return fmt.Errorf("tag %q has an empty key or value", t.Key)
		case t.Key == "time":
			return fmt.Errorf("invalid tag key \"time\": it is reserved")
		case i > 0 && p.Tags[i-1].Key >= t.Key:
			return fmt.Errorf("tags are not sorted by key or repeat key %q", t.Key)
		}
	}
	return nil
}

// checkFields validates a point's fields.
func checkFields(p *model.Point) error {
	if len(p.Fields) == 0 {
		return fmt.Errorf("no fields")
	}
	for _, f := range p.Fields {
		switch {
		case f.Key == "":
			return fmt.Errorf("empty field key")
		case f.Key == "time":
			return fmt.Errorf("invalid field key \"time\": it is reserved")
		case !f.Value.IsValid():
			return fmt.Errorf("field %q has no value", f.Key)
		case f.Value.Type() == model.TypeFloat && (math.IsNaN(f.Value.FloatV()) || math.IsInf(f.Value.FloatV(), 0)):
			return fmt.Errorf("field %q: %v is not a valid float", f.Key, f.Value.FloatV())
		}
	}
	return nil
}

func clipName(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q...", s[:64])
	}
	return fmt.Sprintf("%q", s)
}

// SetMeta sets key of namespace ns to value in the batch. Namespaces are
// 1 to 255 bytes, reserved per package ("cq", "rules", ...). The batch
// copies key and value.
func (b *Batch) SetMeta(ns string, key, value []byte) error {
	if b.done {
		return ErrBatchCommitted
	}
	if err := checkName("metadata namespace", ns); err != nil {
		return err
	}
	return b.pb.Set(appendMetaKey(nil, ns, key), value, nil)
}

// DeleteMeta deletes key of namespace ns in the batch.
func (b *Batch) DeleteMeta(ns string, key []byte) error {
	if b.done {
		return ErrBatchCommitted
	}
	if err := checkName("metadata namespace", ns); err != nil {
		return err
	}
	return b.pb.Delete(appendMetaKey(nil, ns, key), nil)
}

// DeleteMetaPrefix deletes every key of namespace ns starting with prefix.
func (b *Batch) DeleteMetaPrefix(ns string, prefix []byte) error {
	if b.done {
		return ErrBatchCommitted
	}
	if err := checkName("metadata namespace", ns); err != nil {
		return err
	}
	start := appendMetaKey(nil, ns, prefix)
	return b.pb.DeleteRange(start, prefixEnd(start), nil)
}

// Discard abandons the batch without writing anything.
func (b *Batch) Discard() {
	if !b.done {
		b.done = true
		b.pb.Close()
		if b.arena != nil {
			b.db.putArena(b.arena)
			b.arena = nil
		}
	}
}

// stagedRP holds the index changes of one RP a commit makes; they are
// applied to the in-memory index only after the commit succeeded.
type stagedRP struct {
	rp         *rpState
	nextSeries uint64
	nextField  uint32
	series     []*Series
	fields     []stagedField
	parts      []partition // the RP's partition list with new ones, when changed
	newParts   []partition
	touched    []seriesRef // series per partition written
}

type stagedField struct {
	measurement string
	info        FieldInfo
}

// Commit writes the batch atomically and waits until it is durable under
// the DB's Durability. A batch with neither points nor metadata fails with
// ErrEmptyBatch. A field value whose type differs from the field's stored
// type fails the whole batch with *FieldTypeConflictError.
func (b *Batch) Commit() error {
	if b.done {
		return ErrBatchCommitted
	}
	if b.err != nil {
		b.Discard()
		return b.err
	}
	if b.internal {
		panic("BUG: Commit of an internal batch")
	}
	defer b.Discard()
	if len(b.writes) == 0 && b.pb.Empty() {
		return ErrEmptyBatch
	}
	db := b.db
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()

	for _, w := range b.writes {
		for _, g := range w.groups {
			for _, f := range g.fields {
				sortDedupe(&f.cols)
			}
		}
	}

	db.mu.Lock()
	seq := db.mu.seq + 1
	staged, err := b.stage(seq)
	var change *Change
	if err == nil && len(b.writes) > 0 {
		change = &Change{Kind: ChangeWrite, Seq: seq, Writes: b.sets}
		err = db.observe(b, change)
	}
	if err != nil {
		db.mu.Unlock()
		return err
	}
	_ = b.pb.Set(seqKey, be64(seq), nil)
	if db.opts.Durability == DurabilityEveryWrite {
		err = db.pdb.ApplyNoSyncWait(b.pb, pebble.Sync)
	} else {
		err = db.pdb.Apply(b.pb, pebble.NoSync)
	}
	if err != nil {
		if change != nil {
			db.aborted(change)
		}
		db.mu.Unlock()
		return fmt.Errorf("cannot commit write: %w", err)
	}
	db.mu.seq = seq
	db.applyStaged(staged)
	db.mu.Unlock()

	if db.opts.Durability == DurabilityEveryWrite {
		if err := b.pb.SyncWait(); err != nil {
			return fmt.Errorf("cannot sync write: %w", err)
		}
	}
	db.stats.batches.Add(1)
	db.stats.values.Add(uint64(b.values))
	return nil
}

// stage resolves series and field ids, checks stored field types, assigns
// partitions and adds the data and index keys to the batch. The caller
// holds db.mu.
func (b *Batch) stage(seq uint64) ([]*stagedRP, error) {
	db := b.db
	var out []*stagedRP
	enc := db.mu.blockEnc
	var key, val []byte
	for _, w := range b.writes {
		_, rp, err := db.lookupRP(w.database, w.rp)
		if err != nil {
			return nil, err
		}
		st := &stagedRP{rp: rp, nextSeries: rp.idx.nextSeries, nextField: rp.idx.nextField, parts: rp.parts}
		out = append(out, st)
		newFields := map[mfKey]FieldInfo{}
		for _, g := range w.groups {
			s := rp.idx.byKey[g.key]
			if s == nil {
				s = &Series{ID: st.nextSeries, Key: g.key, Measurement: g.measurement, Tags: slices.Clone(g.tags)}
				st.nextSeries++
				st.series = append(st.series, s)
				_ = b.pb.Set(appendSeriesIndexKey(key[:0], rp.id, s.ID), []byte(s.Key), nil)
			}
			m := rp.idx.measurements[g.measurement]
			for _, fg := range g.fields {
				var fi FieldInfo
				var ok bool
				if m != nil {
					fi, ok = m.fields[fg.name]
				}
				if !ok {
					mf := mfKey{g.measurement, fg.name}
					if fi, ok = newFields[mf]; !ok {
						fi = FieldInfo{Name: fg.name, ID: st.nextField, Type: fg.cols.Type}
						st.nextField++
						newFields[mf] = fi
						st.fields = append(st.fields, stagedField{g.measurement, fi})
						val = appendFieldInfo(val[:0], fi)
						_ = b.pb.Set(appendFieldIndexKey(key[:0], rp.id, g.measurement, fg.name), val, nil)
					}
				}
				if fi.Type != fg.cols.Type {
					return nil, &FieldTypeConflictError{Measurement: g.measurement, Field: fg.name, Existing: fi.Type, Written: fg.cols.Type}
				}
				if err := b.stageField(st, s.ID, fi.ID, &fg.cols, seq, enc); err != nil {
					return nil, err
				}
			}
		}
		if len(st.series) > 0 || len(st.fields) > 0 {
			v := appendCounters(nil, st.nextSeries, st.nextField)
			_ = b.pb.Set(appendIndexPrefix(key[:0], rp.id, indexCounters), v, nil)
		}
		for _, p := range st.newParts {
			_ = b.pb.Set(appendPartitionIndexKey(key[:0], rp.id, p.start), be64(flip(p.last)), nil)
		}
	}
	return out, nil
}

// stageField splits the sorted columns of one series field at partition
// bounds and adds one block per partition to the batch.
func (b *Batch) stageField(st *stagedRP, series uint64, field uint32, c *chunk.Columns, seq uint64, enc *chunk.Encoder) error {
	val, key := b.db.mu.val, b.db.mu.key
	for i := 0; i < c.Len(); {
		p, pi, isNew := partitionFor(st.parts, c.Times[i], st.rp.policy.ShardDuration)
		if isNew {
			st.parts = slices.Insert(slices.Clone(st.parts), pi, p)
			st.newParts = append(st.newParts, p)
		}
		j := i + 1
		for j < c.Len() && c.Times[j] <= p.last {
			j++
		}
		sub := sliceColumns(c, i, j)
		var err error
		val, err = enc.AppendColumns(val[:0], &sub)
		if err != nil {
			return fmt.Errorf("BUG: cannot encode block: %w", err)
		}
		key = appendDataKey(key[:0], dataKey{RP: st.rp.id, Partition: p.start, Series: series, Field: field, Kind: kindBlock, Suffix: seq})
		_ = b.pb.Set(key, val, nil)
		ref := seriesRef{partRef{st.rp.id, p.start}, series}
		if n := len(st.touched); n == 0 || st.touched[n-1] != ref {
			st.touched = append(st.touched, ref)
		}
		i = j
	}
	b.db.mu.val, b.db.mu.key = val, key
	return nil
}

// applyStaged updates the in-memory index and the compaction bookkeeping
// after a successful commit. The caller holds db.mu.
func (db *DB) applyStaged(staged []*stagedRP) {
	db.state.Lock()
	for _, st := range staged {
		idx := st.rp.idx
		for _, s := range st.series {
			idx.addSeries(s)
		}
		for _, f := range st.fields {
			idx.addField(f.measurement, f.info)
		}
		idx.nextSeries = max(idx.nextSeries, st.nextSeries)
		idx.nextField = max(idx.nextField, st.nextField)
		if len(st.newParts) > 0 {
			st.rp.parts = st.parts
		}
	}
	db.state.Unlock()

	now := db.clock().UnixNano()
	kick := false
	db.dirty.Lock()
	for _, st := range staged {
		for _, ref := range st.touched {
			db.dirty.parts[ref.part] = now
			n := db.dirty.series[ref] + 1
			db.dirty.series[ref] = n
			if n >= db.opts.MaxBlocks && !db.dirty.urgent {
				db.dirty.urgent = true
				kick = true
			}
		}
	}
	db.dirty.Unlock()
	if kick {
		select {
		case db.kick <- struct{}{}:
		default:
		}
	}
}

// appendFieldInfo appends the value of a field index key.
func appendFieldInfo(dst []byte, fi FieldInfo) []byte {
	dst = binary.AppendUvarint(dst, uint64(fi.ID))
	return append(dst, byte(fi.Type))
}

// appendCounters appends the value of an RP's counters key.
func appendCounters(dst []byte, nextSeries uint64, nextField uint32) []byte {
	dst = binary.BigEndian.AppendUint64(dst, nextSeries)
	return binary.BigEndian.AppendUint32(dst, nextField)
}

// sliceColumns returns a view of points [i, j) of c sharing its arrays.
func sliceColumns(c *chunk.Columns, i, j int) chunk.Columns {
	s := chunk.Columns{Type: c.Type, Times: c.Times[i:j]}
	switch c.Type {
	case model.TypeFloat:
		s.Floats = c.Floats[i:j]
	case model.TypeInteger:
		s.Ints = c.Ints[i:j]
	case model.TypeUnsigned:
		s.Uints = c.Uints[i:j]
	case model.TypeString:
		s.Strings = c.Strings[i:j]
	case model.TypeBoolean:
		s.Bools = c.Bools[i:j]
	}
	return s
}

// sortDedupe sorts c by time, keeping of equal timestamps the value
// appended last.
func sortDedupe(c *chunk.Columns) {
	n := c.Len()
	sorted := true
	for i := 1; i < n; i++ {
		if c.Times[i] <= c.Times[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(a, b int32) int {
		ta, tb := c.Times[a], c.Times[b]
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
	// Keep the last of each run of equal times.
	keep := perm[:0]
	for i, p := range perm {
		if i+1 < len(perm) && c.Times[perm[i+1]] == c.Times[p] {
			continue
		}
		keep = append(keep, p)
	}
	c.Times = permute(c.Times, keep)
	switch c.Type {
	case model.TypeFloat:
		c.Floats = permute(c.Floats, keep)
	case model.TypeInteger:
		c.Ints = permute(c.Ints, keep)
	case model.TypeUnsigned:
		c.Uints = permute(c.Uints, keep)
	case model.TypeString:
		c.Strings = permute(c.Strings, keep)
	case model.TypeBoolean:
		c.Bools = permute(c.Bools, keep)
	}
}

func permute[T any](s []T, perm []int32) []T {
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = s[p]
	}
	return out
}
