package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/accretedb/accrete/model"
	"github.com/klauspost/compress/gzip"
)

// maxPooledBuffer is the largest body buffer kept for reuse; larger ones
// are left to the garbage collector.
const maxPooledBuffer = 8 << 20

var (
	bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	gzipReaders sync.Pool // of *gzip.Reader
	decoders    = sync.Pool{New: func() any { return new(model.Decoder) }}
)

// DecodedWriter is implemented by Writers that store a batch decoded by a
// model.Decoder without regrouping its points by series (*accrete.DB
// does). WriteDecoded must behave as Write(db, rp, d.Points); d belongs to
// the caller again when it returns.
type DecodedWriter interface {
	WriteDecoded(db, rp string, d *model.Decoded) error
}

// write serves POST /write: it decodes a line-protocol body into points and
// hands them to the Writer in one call, so that a request is stored whole or
// not at all. The consistency parameter of InfluxDB clusters is accepted
// and ignored.
func (s *Server) write(r *http.Request) result {
	if s.opts.Writer == nil {
		return result{err: errNotConfigured}
	}
	q := r.URL.Query()
	db := q.Get("db")
	if db == "" {
		return result{err: badRequest("database is required")}
	}
	prec, err := model.ParsePrecision(q.Get("precision"))
	if err != nil {
		return result{err: badRequest("%v", err)}
	}
	rp := q.Get("rp")

	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bodyBuffers.Put(buf)
		}
	}()
	if err := s.readBody(r, buf); err != nil {
		s.metrics.writeErrors.Inc()
		return result{err: err}
	}
	dec := decoders.Get().(*model.Decoder)
	defer decoders.Put(dec)
	d, err := dec.Decode(buf.Bytes(), model.ParseOptions{
		Precision: prec,
		Now:       s.now().UnixNano(),
	})
	if err != nil {
		s.metrics.writeErrors.Inc()
		return result{err: err}
	}
	n := len(d.Points)
	if n == 0 {
		return result{status: http.StatusNoContent}
	}
	if dw, ok := s.opts.Writer.(DecodedWriter); ok {
		err = dw.WriteDecoded(db, rp, d)
	} else {
		err = s.opts.Writer.Write(db, rp, d.Points)
	}
	if err != nil {
		s.metrics.writeErrors.Inc()
		return result{err: &writeError{db: db, rp: rp, points: n, err: err}}
	}
	s.metrics.pointsWritten.Add(float64(n))
	return result{status: http.StatusNoContent}
}

// readBody reads the request body into buf, decompressing it when its
// Content-Encoding is gzip. A body longer than Options.MaxBodyBytes, before
// or after decompression, fails with errBodyTooLarge.
func (s *Server) readBody(r *http.Request, buf *bytes.Buffer) error {
	limit := s.opts.MaxBodyBytes
	var body io.Reader = r.Body
	if limit > 0 {
		if r.ContentLength > limit {
			return errBodyTooLarge
		}
		body = http.MaxBytesReader(nil, r.Body, limit)
	}
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength))
		}
	case "gzip":
		zr, err := newGzipReader(body)
		if err != nil {
			return badRequest("%v", err)
		}
		defer gzipReaders.Put(zr)
		body = zr
		if limit > 0 {
			body = io.LimitReader(zr, limit+1)
		}
		if r.ContentLength > 0 {
			buf.Grow(4 * int(r.ContentLength))
		}
	default:
		return &requestError{status: http.StatusUnsupportedMediaType, msg: "unsupported Content-Encoding " + enc}
	}
	n, err := buf.ReadFrom(body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errBodyTooLarge
	case err != nil:
		return badRequest("%v", err)
	case limit > 0 && n > limit:
		return errBodyTooLarge
	}
	return nil
}

// newGzipReader returns a pooled gzip reader over r.
func newGzipReader(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipReaders.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			gzipReaders.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}
