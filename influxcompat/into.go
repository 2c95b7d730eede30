package influxcompat

import (
	"fmt"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
)

// selectInto runs SELECT ... INTO: it writes every result row as a point of
// the target measurement (the source's name for :MEASUREMENT), with the
// row's group tags as tags and its non-null columns as fields, through the
// store's write path in batches. Rows without a non-null value are counted
// but not written, as in InfluxDB. The result is one row "result" with the
// number of rows written.
func (x *execution) selectInto(p *selectPlan, target *influxql.Target) error {
	db, rp, err := x.databaseOf(target.Measurement.Database, target.Measurement.RetentionPolicy)
	if err != nil {
		return err
	}
	var written int64
	batch := make([]model.Point, 0, x.e.batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := x.e.store.Write(db, rp, batch); err != nil {
			return fmt.Errorf("cannot write into %s: %w", target.Measurement.Name, err)
		}
		batch = batch[:0]
		return nil
	}
	err = p.rows(x, func(r *Row) error {
		name := target.Measurement.Name
		if name == "" {
			name = r.Name
		}
		var tags model.Tags
		for k, v := range r.Tags {
			tags = append(tags, model.Tag{Key: k, Value: v})
		}
		tags.Sort()
		for _, vals := range r.Values {
			written++
			pt := model.Point{Measurement: name, Tags: tags, Time: vals[0].(int64)}
			for i := 1; i < len(vals); i++ {
				if fv, ok := fieldValue(vals[i]); ok {
					pt.Fields = append(pt.Fields, model.Field{Key: r.Columns[i], Value: fv})
				}
			}
			if len(pt.Fields) == 0 {
				continue
			}
			batch = append(batch, pt)
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return x.out.addTimed(&Row{
		Name:    "result",
		Columns: []string{"time", "written"},
		Values:  [][]any{{int64(0), written}},
	})
}

// fieldValue converts a result value back to a field value; nil, NaN and
// infinities have none.
func fieldValue(v any) (model.FieldValue, bool) {
	switch v := jsonValue(v).(type) {
	case float64:
		return model.Float(v), true
	case int64:
		return model.Int(v), true
	case uint64:
		return model.Uint(v), true
	case string:
		return model.String(v), true
	case bool:
		return model.Bool(v), true
	}
	return model.FieldValue{}, false
}
