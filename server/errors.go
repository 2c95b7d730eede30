package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// Errors of authentication.
var (
	// errNoCredentials is returned when a request needing authentication
	// carries no credentials or unreadable ones.
	errNoCredentials = errors.New("unable to parse authentication credentials")
	// errAuthFailed is returned for an unknown user or a wrong password.
	errAuthFailed = errors.New("authorization failed")
)

// Errors of request bodies.
var (
	// errBodyTooLarge is returned when a request body, after
	// decompression, exceeds Options.MaxBodyBytes.
	errBodyTooLarge = errors.New("http: request body too large")
	// errNotConfigured is returned by /write and /query when the server has
	// no Writer or Querier.
	errNotConfigured = errors.New("not configured")
)

// requestError is a request the server rejects by itself, with the status
// and InfluxDB's message for it.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// badRequest returns a 400 requestError with a formatted message.
func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// writeError adds what /write knows to a storage error: the database the
// request named, and how many points the request dropped.
type writeError struct {
	db, rp string
	points int
	err    error
}

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// errorStatus maps an error of a handler or of the layers below to the HTTP
// status and the message of the {"error": ...} body. It is the only place
// that does.
func errorStatus(err error) (int, string) {
	var (
		re   *requestError
		le   *model.LineError
		we   *writeError
		ftc  *storage.FieldTypeConflictError
		mbe  *http.MaxBytesError
		perr *influxcompat.ParseError
	)
	switch {
	case errors.As(err, &re):
		return re.status, re.msg
	case errors.Is(err, errNoCredentials), errors.Is(err, errAuthFailed):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, errBodyTooLarge), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, errBodyTooLarge.Error()
	case errors.As(err, &le):
		text := le.Text
		if text == "" {
			text = fmt.Sprintf("line %d", le.Line)
		}
		return http.StatusBadRequest, fmt.Sprintf("unable to parse '%s': %s", text, lineReason(le))
	case errors.As(err, &perr):
		return http.StatusBadRequest, perr.Error()
	case errors.Is(err, errNotConfigured):
		return http.StatusServiceUnavailable, err.Error()
	}
	if status, msg, ok := rulesErrorStatus(err); ok {
		return status, msg
	}
	if status, msg, ok := aggregatesErrorStatus(err); ok {
		return status, msg
	}
	if status, msg, ok := retentionErrorStatus(err); ok {
		return status, msg
	}
	if errors.As(err, &we) {
		switch {
		case errors.Is(err, storage.ErrDatabaseNotFound):
			return http.StatusNotFound, fmt.Sprintf("database not found: %q", we.db)
		case errors.Is(err, storage.ErrRetentionPolicyNotFound):
			if we.rp == "" {
				return http.StatusNotFound, fmt.Sprintf("database %q has no default retention policy", we.db)
			}
			return http.StatusNotFound, "retention policy not found: " + we.rp
		case errors.As(err, &ftc):
			// InfluxDB's words, though accrete drops the whole request.
			return http.StatusBadRequest, fmt.Sprintf(
				"partial write: field type conflict: input field %q on measurement %q is type %s, already exists as type %s dropped=%d",
				ftc.Field, ftc.Measurement, ftc.Written, ftc.Existing, we.points)
		}
	}
	switch {
	case errors.Is(err, storage.ErrDatabaseNotFound), errors.Is(err, storage.ErrRetentionPolicyNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, storage.ErrInvalidPoint), errors.Is(err, storage.ErrEmptyBatch),
		errors.Is(err, storage.ErrInvalidName), errors.Is(err, storage.ErrFieldTypeConflict):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, storage.ErrClosed):
		return http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusRequestTimeout, "query-timeout limit exceeded"
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "request canceled"
	}
	return http.StatusInternalServerError, err.Error()
}

// lineReason is a line error's reason with its position.
func lineReason(le *model.LineError) string {
	if le.Column > 0 {
		return fmt.Sprintf("%s (line %d, column %d)", le.Msg, le.Line, le.Column)
	}
	return fmt.Sprintf("%s (line %d)", le.Msg, le.Line)
}
