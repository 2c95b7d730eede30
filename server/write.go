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
const maxPooledBuffer = 16 << 20

// Body buffers and decoders are kept in free lists rather than sync.Pools,
// which drop their contents at every garbage collection: a steady stream
// of large writes would allocate (and zero) megabytes per request.
var (
	bodyBuffers = newFreeList[bodyBuffer](4)
	decoders    = newFreeList[model.Decoder](4)
	gzipReaders sync.Pool // of *gzip.Reader
)

// freeList holds up to its capacity of reusable objects.
type freeList[T any] chan *T

func newFreeList[T any](n int) freeList[T] { return make(freeList[T], n) }

// get returns a free object or a new one.
func (f freeList[T]) get() *T {
	select {
	case x := <-f:
		return x
	default:
		return new(T)
	}
}

// put returns x to the list, or to the collector when the list is full.
func (f freeList[T]) put(x *T) {
	select {
	case f <- x:
	default:
	}
}

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

	buf := bodyBuffers.get()
	buf.b = buf.b[:0]
	defer func() {
		buf.zr.Reset(nil)
		if cap(buf.b)+cap(buf.z) <= maxPooledBuffer {
			bodyBuffers.put(buf)
		}
	}()
	if err := s.readBodyInto(r, buf); err != nil {
		s.metrics.writeErrors.Inc()
		return result{err: err}
	}
	dec := decoders.get()
	defer decoders.put(dec)
	d, err := dec.Decode(buf.b, model.ParseOptions{
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

// bodyBuffer holds a request body: b the decoded one, z a compressed one
// and zr a reader of z.
type bodyBuffer struct {
	b, z []byte
	zr   bytes.Reader
}

// readBody reads the request body into buf, decompressing it when its
// Content-Encoding is gzip. A body longer than Options.MaxBodyBytes, before
// or after decompression, fails with errBodyTooLarge.
func (s *Server) readBody(r *http.Request, buf *bytes.Buffer) error {
	var b bodyBuffer
	if err := s.readBodyInto(r, &b); err != nil {
		return err
	}
	buf.Write(b.b)
	return nil
}

// readBodyInto is readBody into a reusable buffer.
func (s *Server) readBodyInto(r *http.Request, buf *bodyBuffer) error {
	limit := s.opts.MaxBodyBytes
	var body io.Reader = r.Body
	if limit > 0 {
		if r.ContentLength > limit {
			return errBodyTooLarge
		}
		body = http.MaxBytesReader(nil, r.Body, limit)
	}
	size := int(r.ContentLength) // a guess of the decoded size
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		// The compressed body is read whole first: in large reads rather
		// than the decompressor's small ones, and decompressed from memory.
		if int64(cap(buf.z)) < r.ContentLength {
			buf.z = make([]byte, 0, r.ContentLength)
		}
		var err error
		if buf.z, err = readAll(body, buf.z[:0]); err != nil {
			return bodyError(err)
		}
		buf.zr.Reset(buf.z)
		zr, err := newGzipReader(&buf.zr)
		if err != nil {
			return badRequest("%v", err)
		}
		defer gzipReaders.Put(zr)
		body = zr
		if limit > 0 {
			body = io.LimitReader(zr, limit+1)
		}
		size *= 8 // line protocol usually compresses 5 to 10 times
	default:
		return &requestError{status: http.StatusUnsupportedMediaType, msg: "unsupported Content-Encoding " + enc}
	}
	if limit > 0 {
		size = int(min(int64(size), limit+1))
	}
	if size > 2*cap(buf.b) { // a reused buffer that is a bit short grows in readAll
		buf.b = make([]byte, 0, size)
	}
	var err error
	if buf.b, err = readAll(body, buf.b); err != nil {
		return bodyError(err)
	}
	if limit > 0 && int64(len(buf.b)) > limit {
		return errBodyTooLarge
	}
	return nil
}

// bodyError is the answer to a failed read of a request body.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errBodyTooLarge
	}
	return badRequest("%v", err)
}

// readAll appends what r reads to b until io.EOF. Unlike
// bytes.Buffer.ReadFrom, it fills b to its capacity before growing it, so
// a reused buffer of the right size never grows.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
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
