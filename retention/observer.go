package retention

import (
	"time"

	"github.com/accretedb/accrete/storage"
)

// observer rejects write batches holding a point older than a retention's
// cutoff.
type observer struct{ e *Enforcer }

// BeforeCommit implements storage.Observer. It runs under the storage's
// write lock; it reads the catalog (DB.Database) but changes nothing.
func (o observer) BeforeCommit(_ *storage.Batch, c *storage.Change) error {
	if c.Kind != storage.ChangeWrite {
		return nil
	}
	e := o.e
	defs := *e.defs.Load()
	var now int64
	nowSet := false
	for _, ws := range c.Writes {
		// The policy's own duration and the definitions of its measurements.
		var rpDur time.Duration
		defaultRP := false
		info, err := e.db.Database(ws.Database)
		if err != nil {
			continue // the write fails on its own
		}
		for _, p := range info.RetentionPolicies {
			if p.Name == ws.RetentionPolicy {
				rpDur, defaultRP = p.Duration, p.Default
			}
		}
		var byM map[string]Definition
		for _, d := range defs {
			if d.Database == ws.Database && (d.RetentionPolicy == ws.RetentionPolicy || d.RetentionPolicy == "" && defaultRP) {
				if byM == nil {
					byM = map[string]Definition{}
				}
				if old, ok := byM[d.Measurement]; !ok || d.Duration < old.Duration {
					byM[d.Measurement] = d
				}
			}
		}
		if rpDur <= 0 && byM == nil {
			continue
		}
		if !nowSet {
			now, nowSet = e.now().UnixNano(), true
		}
		last, exempt := "", false
		for i := range ws.Points {
			p := &ws.Points[i]
			if i == 0 || p.Measurement != last {
				last = p.Measurement
				exempt = e.exempt != nil && e.exempt(ws.Database, ws.RetentionPolicy, p.Measurement)
			}
			if exempt {
				continue
			}
			if rpDur > 0 && p.Time < now-int64(rpDur) {
				return &TooOldError{Measurement: p.Measurement, Time: time.Unix(0, p.Time),
					Cutoff: time.Unix(0, now-int64(rpDur)), Policy: ws.RetentionPolicy}
			}
			if d, ok := byM[p.Measurement]; ok && p.Time < now-int64(d.Duration) {
				return &TooOldError{Measurement: p.Measurement, Time: time.Unix(0, p.Time),
					Cutoff: time.Unix(0, now-int64(d.Duration)), Definition: d.Name}
			}
		}
	}
	return nil
}
