package downsample

import (
	"errors"
	"fmt"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/storage"
	"github.com/accretedb/accrete/storage/chunk"
)

// backfillStates bounds the (series, bucket) states one backfill step
// holds: a step covers backfillStates / series buckets (at least one).
// Tests lower it.
var backfillStates = 1 << 16

// backfillBudget is how long one flush keeps backfilling a config (at
// least one step); the rest waits for the next flush. Tests lower it.
var backfillBudget = 200 * time.Millisecond

// backfill is the history a config writes after its registration: the
// buckets from `from` to `end` (exclusive), done before `next`. next is
// minTime until the first step has found the first bucket with data.
type backfill struct{ from, next, end int64 }

func backfillKey(id uint32) []byte { return appendID(nil, keyBackfill, id) }

func (bf backfill) encode() []byte {
	return appendTime(appendTime(appendTime(nil, bf.from), bf.next), bf.end)
}

func decodeBackfill(v []byte) (backfill, error) {
	if len(v) != 24 {
		return backfill{}, fmt.Errorf("%w: backfill value of %d bytes", errCorrupt, len(v))
	}
	return backfill{readTime(v), readTime(v[8:]), readTime(v[16:])}, nil
}

// Backfill is the progress of the history a config writes after its
// registration.
type Backfill struct {
	// From and End bound the buckets to write (End excluded: the
	// watermark at registration); every bucket before Next is written.
	From time.Time `json:"from"`
	Next time.Time `json:"next"`
	End  time.Time `json:"end"`
	// Remaining counts the buckets from Next to End; it is -1 (and From
	// and Next are End) until the first step has found where the history
	// starts.
	Remaining int64 `json:"remaining_buckets"`
}

// historyStart returns the first bucket of c with source data before end
// in the snapshot r, and false when there is none: raw values, or for a
// tier the lower tier's states.
func (e *Engine) historyStart(r *storage.Reader, c *config, end int64) (int64, bool, error) {
	if l := c.lower; l != nil {
		first, ok := int64(0), false
		err := r.IterMeta(namespace, appendID(nil, keyState, l.id), func(k, _ []byte) error {
			if len(k) >= 13 {
				first, ok = readTime(k[5:]), true
			}
			return errStop
		})
		if err != nil && !errors.Is(err, errStop) {
			return 0, false, err
		}
		if !ok || c.bucketOf(first) >= end {
			return 0, false, nil
		}
		return c.bucketOf(first), true, nil
	}
	first, ok := int64(0), false
	err := e.walkSource(r, c, minTime, end-1, func(_ *storage.Series, _ *input, cols *chunk.Columns) bool {
		if ts := cols.Times; len(ts) > 0 {
			if !ok || ts[0] < first {
				first, ok = ts[0], true
			}
			return false
		}
		return true
	}, nil)
	if err != nil {
		return 0, false, err
	}
	if !ok {
		return 0, false, nil
	}
	return c.bucketOf(first), true, nil
}

// backfillChunk aggregates the buckets from lo to hi (exclusive) of every
// series from the snapshot r, by series key and bucket: raw values, or
// for a tier the lower tier's states.
func (e *Engine) backfillChunk(r *storage.Reader, c *config, lo, hi int64, add func(series string, bucket int64, sts []aggregate.State)) error {
	if l := c.lower; l != nil {
		for ub := lo; ub < hi; ub += c.iv {
			acc := map[string][]aggregate.State{}
			var order []string
			for b := ub; b < ub+c.iv; b += l.iv {
				prefix := appendTime(appendID(nil, keyState, l.id), b)
				err := r.IterMeta(namespace, prefix, func(k, v []byte) error {
					lsts, err := decodeStates(v, len(l.outs))
					if err != nil {
						return err
					}
					series := string(k[len(prefix):])
					sts := acc[series]
					if sts == nil {
						sts = make([]aggregate.State, len(c.outs))
						acc[series] = sts
						order = append(order, series)
					}
					for i, j := range c.lowerIdx {
						if ls := lsts[j]; ls != nil {
							if sts[i] == nil {
								sts[i] = ls
							} else {
								sts[i].Merge(ls)
							}
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			for _, s := range order {
				add(s, ub, acc[s])
			}
		}
		return nil
	}
	var key []byte
	acc := map[int64][]aggregate.State{}
	return e.walkSource(r, c, lo, hi-1, func(_ *storage.Series, in *input, cols *chunk.Columns) bool {
		for i, t := range cols.Times {
			b := c.bucketOf(t)
			sts := acc[b]
			if sts == nil {
				sts = make([]aggregate.State, len(c.outs))
				acc[b] = sts
			}
			v := cols.Value(i)
			for _, oi := range in.outs {
				if sts[oi] == nil {
					sts[oi] = aggregate.New(c.outs[oi].fn, v.Type())
				}
				sts[oi].Add(t, v)
			}
		}
		return true
	}, func(s *storage.Series) {
		key = appendSeriesKey(key[:0], s.Tags)
		for b, sts := range acc {
			add(string(key), b, sts)
		}
		acc = map[int64][]aggregate.State{}
	})
}

// backfillSpan returns how many buckets one backfill step of c covers.
func (e *Engine) backfillSpan(c *config) int64 {
	n := int64(1)
	if series, err := e.db.Series(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source, nil); err == nil {
		n = int64(max(1, len(series)))
	}
	return max(1, int64(backfillStates)/n)
}
