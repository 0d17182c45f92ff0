package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"onair/internal/domain"
)

// maxBody bounds every request body; larger ones get 413.
const maxBody = 1 << 20

// ErrorBody is the JSON every /api error answers with.
type ErrorBody struct {
	Message string              `json:"message" doc:"What went wrong, in words a person can act on."`
	Field   string              `json:"field,omitempty" doc:"The first bad field, as a JSON path, for 400s."`
	Errors  []domain.FieldError `json:"errors,omitempty" doc:"Every bad field, for 400s."`
}

// httpError is an error with its status code and message, for the problems that
// the HTTP layer itself finds (bad query strings, bodies).
type httpError struct {
	status int
	field  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &httpError{status: http.StatusBadRequest, field: field, msg: msg}
}

// errorStatus maps an error to its status code and body. It is the one place
// where errors become HTTP.
func errorStatus(err error) (int, ErrorBody) {
	var (
		he  *httpError
		ve  *domain.ValidationError
		ce  *domain.ConflictError
		fe  *domain.ForbiddenError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &he):
		return he.status, ErrorBody{Message: he.msg, Field: he.field}
	case errors.As(err, &ve):
		return http.StatusBadRequest, ErrorBody{Message: ve.Error(), Field: ve.Errors[0].Field, Errors: ve.Errors}
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, ErrorBody{Message: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}
	case errors.Is(err, domain.ErrNotFound):
		return http.StatusNotFound, ErrorBody{Message: err.Error()}
	case errors.As(err, &ce):
		return http.StatusConflict, ErrorBody{Message: ce.Message}
	case errors.As(err, &fe):
		return http.StatusForbidden, ErrorBody{Message: fe.Message}
	}
	return http.StatusInternalServerError, ErrorBody{Message: "internal error; the server log has the details"}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("writing response", "err", err)
	}
}

// decode reads a JSON request body into v strictly: the content type must be
// JSON, the body at most maxBody bytes, one value, no unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type must be application/json, got %q", ct)}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("", "the body must hold one JSON value, and it has more after it")
	}
	return nil
}

// decodeError turns encoding/json's errors into messages that name the field.
func decodeError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
		prefix = "json: unknown field "
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("", "the request body is empty; it must be a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &syn):
		return badRequest("", "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return badRequest(field, "must be %s, got JSON %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), prefix):
		name := strings.Trim(strings.TrimPrefix(err.Error(), prefix), `"`)
		return badRequest(name, "unknown field")
	}
	return badRequest("", "malformed JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "float32", "float64":
		return "a number"
	}
	if strings.HasPrefix(goKind, "int") || strings.HasPrefix(goKind, "uint") {
		return "an integer"
	}
	return "a " + goKind
}
