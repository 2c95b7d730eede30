package aggregate

import (
	"encoding/binary"
	"math"

	"github.com/accretedb/accrete/model"
)

// StddevState computes the sample standard deviation (dividing by n-1, as
// InfluxDB 1.x does) of numbers, as a float. Its partial state is the count,
// the mean and the sum of squared deviations from the mean (M2), updated
// with Welford's method and merged with the formula of Chan, Golub and
// LeVeque, so partials merge without the cancellation of sums of squares.
// With fewer than two values there is no result (InfluxDB reports NaN,
// which its JSON renders as null).
type StddevState struct {
	typ  model.FieldType
	n    int64
	mean float64
	m2   float64
}

// NewStddev returns an empty standard deviation of values of numeric type in.
func NewStddev(in model.FieldType) *StddevState {
	mustAccept(Stddev, in)
	return &StddevState{typ: in}
}

// Func returns Stddev.
func (s *StddevState) Func() Func { return Stddev }

// InputType returns the type of the values.
func (s *StddevState) InputType() model.FieldType { return s.typ }

func (s *StddevState) add(x float64) {
	s.n++
	d := x - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (x - s.mean)
}

// Add adds v.
func (s *StddevState) Add(_ int64, v model.FieldValue) {
	checkType(Stddev, s.typ, v)
	x, _ := v.Number()
	s.add(x)
}

// AddFloat adds f to a standard deviation of floats.
func (s *StddevState) AddFloat(_ int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Stddev, s.typ)
	}
	s.add(f)
}

// Merge adds other's values.
func (s *StddevState) Merge(other State) {
	o := mergeArg(s, other)
	switch {
	case o.n == 0:
		return
	case s.n == 0:
		s.n, s.mean, s.m2 = o.n, o.mean, o.m2
		return
	}
	na, nb := float64(s.n), float64(o.n)
	n := na + nb
	d := o.mean - s.mean
	s.mean += d * nb / n
	s.m2 += o.m2 + d*d*na*nb/n
	s.n += o.n
}

// Result returns the sample standard deviation, and false for fewer than two
// values.
func (s *StddevState) Result() (model.FieldValue, bool) {
	if s.n < 2 {
		return model.FieldValue{}, false
	}
	return model.Float(math.Sqrt(s.m2 / float64(s.n-1))), true
}

// Count returns the number of values.
func (s *StddevState) Count() int64 { return s.n }

// AppendBinary appends the encoding: the header, the count as a uvarint, and
// the mean and M2 as 8-byte floats.
func (s *StddevState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, Stddev, s.typ, formPartial)
	dst = binary.AppendUvarint(dst, uint64(s.n))
	dst = appendFloat(dst, s.mean)
	return appendFloat(dst, s.m2), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *StddevState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Stddev, s.typ, formPartial)
	t := StddevState{typ: s.typ, n: d.count(), mean: d.float(), m2: d.float()}
	if err := d.finish(); err != nil {
		return err
	}
	*s = t
	return nil
}

// Reset empties the state.
func (s *StddevState) Reset() { *s = StddevState{typ: s.typ} }
