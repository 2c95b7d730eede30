package chunk

import (
	"fmt"
	"slices"

	"github.com/accretedb/accrete/model"
)

// MergeRuns merges two runs of points, each sorted by strictly increasing
// time, appending the result to dstTimes and dstValues and returning them.
// Where both runs have a point at the same time, the newer run's value
// wins, so the result is again strictly increasing: this is how late and
// repeated writes replace stored points. dstTimes and dstValues must not
// overlap the inputs. MergeRuns panics when a run's times and values differ
// in length.
//
// Stretches of one run that fall between two points of the other are found
// by galloping search and copied in bulk, so merging a few late points into
// a long run costs a few comparisons per late point plus the copy, and
// merging two interleaved runs stays linear.
func MergeRuns[V any](dstTimes []int64, dstValues []V, olderTimes []int64, olderValues []V, newerTimes []int64, newerValues []V) ([]int64, []V) {
	if len(olderTimes) != len(olderValues) || len(newerTimes) != len(newerValues) {
		panic(fmt.Sprintf("BUG: MergeRuns of runs with %d/%d and %d/%d times/values",
			len(olderTimes), len(olderValues), len(newerTimes), len(newerValues)))
	}
	dstTimes = slices.Grow(dstTimes, len(olderTimes)+len(newerTimes))
	dstValues = slices.Grow(dstValues, len(olderValues)+len(newerValues))
	i, j := 0, 0
	for i < len(olderTimes) && j < len(newerTimes) {
		switch to, tn := olderTimes[i], newerTimes[j]; {
		case to < tn:
			// Copy the older points before tn.
			k := countBelow(olderTimes[i:], tn)
			dstTimes = append(dstTimes, olderTimes[i:i+k]...)
			dstValues = append(dstValues, olderValues[i:i+k]...)
			i += k
		case tn < to:
			k := countBelow(newerTimes[j:], to)
			dstTimes = append(dstTimes, newerTimes[j:j+k]...)
			dstValues = append(dstValues, newerValues[j:j+k]...)
			j += k
		default:
			dstTimes = append(dstTimes, tn)
			dstValues = append(dstValues, newerValues[j])
			i++
			j++
		}
	}
	dstTimes = append(dstTimes, olderTimes[i:]...)
	dstValues = append(dstValues, olderValues[i:]...)
	dstTimes = append(dstTimes, newerTimes[j:]...)
	dstValues = append(dstValues, newerValues[j:]...)
	return dstTimes, dstValues
}

// countBelow returns the number of leading elements of ts less than t,
// given that ts[0] < t. It doubles its step until it passes t, then
// searches the last step in binary.
func countBelow(ts []int64, t int64) int {
	lo, step := 0, 1 // ts[lo] < t
	for {
		hi := lo + step
		if hi >= len(ts) || ts[hi] >= t {
			k, _ := slices.BinarySearch(ts[lo+1:min(hi, len(ts))], t)
			return lo + 1 + k
		}
		lo, step = hi, step*2
	}
}

// MergeColumns sets dst to the merge of older and newer (see [MergeRuns]),
// reusing dst's capacity. The three must be distinct; older and newer must
// have the same type, and each must be sorted by strictly increasing time.
func MergeColumns(dst, older, newer *Columns) error {
	if older.Type != newer.Type {
		return fmt.Errorf("%w: cannot merge %v columns into %v columns", ErrWrongType, newer.Type, older.Type)
	}
	for _, c := range [2]*Columns{older, newer} {
		if n := c.valuesLen(); n != len(c.Times) {
			if n < 0 {
				return fmt.Errorf("%w: cannot merge %v columns", ErrWrongType, c.Type)
			}
			return fmt.Errorf("%w: %d times, %d values", ErrLengthMismatch, len(c.Times), n)
		}
	}
	dst.Reset()
	dst.Type = older.Type
	switch older.Type {
	case model.TypeFloat:
		dst.Times, dst.Floats = MergeRuns(dst.Times, dst.Floats, older.Times, older.Floats, newer.Times, newer.Floats)
	case model.TypeInteger:
		dst.Times, dst.Ints = MergeRuns(dst.Times, dst.Ints, older.Times, older.Ints, newer.Times, newer.Ints)
	case model.TypeUnsigned:
		dst.Times, dst.Uints = MergeRuns(dst.Times, dst.Uints, older.Times, older.Uints, newer.Times, newer.Uints)
	case model.TypeString:
		dst.Times, dst.Strings = MergeRuns(dst.Times, dst.Strings, older.Times, older.Strings, newer.Times, newer.Strings)
	case model.TypeBoolean:
		dst.Times, dst.Bools = MergeRuns(dst.Times, dst.Bools, older.Times, older.Bools, newer.Times, newer.Bools)
	}
	return nil
}
