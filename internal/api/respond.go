package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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
// JSON, the body at most maxBody bytes, one JSON object, no member named
// twice, no unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	obj, err := readBody(w, r, false)
	if err != nil {
		return err
	}
	return unmarshal(obj, v)
}

// decodeOptional is decode for a body that may be left out: no body at all
// leaves v as it is, whatever the content type.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	obj, err := readBody(w, r, true)
	if err != nil || obj == nil {
		return err
	}
	return unmarshal(obj, v)
}

// readBody reads a request body that must be one JSON object: at most maxBody
// bytes (413), sent as JSON (415 otherwise, a missing Content-Type too), with
// no member named twice, which encoding/json would let the last one win. An
// empty body is nil when optional, and a 400 otherwise.
func readBody(w http.ResponseWriter, r *http.Request, optional bool) (jsontext.Value, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if optional {
			return nil, nil
		}
		return nil, badRequest("", "the request body is empty; it must be a JSON object")
	}
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	return jsonObject(raw)
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return &httpError{status: http.StatusUnsupportedMediaType, msg: "the body has no Content-Type; send it as application/json"}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type must be application/json, got %q", ct)}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("JSON is UTF-8; Content-Type says charset %q", cs)}
	}
	return nil
}

// jsonObject checks that raw is one JSON object, well formed, in UTF-8, with
// no member named twice at any depth.
func jsonObject(raw []byte) (jsontext.Value, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	v, err := dec.ReadValue()
	if err != nil {
		return nil, syntaxError(err)
	}
	v = v.Clone() // ReadValue's answer lasts only until the next read
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, badRequest("", "the body must hold one JSON value, and it has more after it")
	}
	switch v.Kind() {
	case '{':
		return v, nil
	case 'n':
		return nil, badRequest("(body)", "is null; it must be a JSON object")
	}
	return nil, badRequest("(body)", "must be a JSON object, got %s", kindName(v.Kind()))
}

// syntaxError says where a body is malformed, and names the member that
// appears twice.
func syntaxError(err error) error {
	var se *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName):
		return badRequest(fieldPath(se.JSONPointer), "appears twice in its object; send each field once")
	case errors.As(err, &se):
		return badRequest("", "malformed JSON at byte %d: %v", se.ByteOffset, se.Err)
	}
	return badRequest("", "malformed JSON: %v", err)
}

// unmarshal decodes a checked JSON object into v, refusing members v has no
// field for, and names the field of the first problem.
func unmarshal(obj jsontext.Value, v any) error {
	err := jsonv2.Unmarshal(obj, v, jsonv2.RejectUnknownMembers(true))
	var se *jsonv2.SemanticError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && errors.Is(se.Err, jsonv2.ErrUnknownName):
		return badRequest(fieldPath(se.JSONPointer), "unknown field")
	case errors.As(err, &se):
		field := fieldPath(se.JSONPointer)
		if field == "" {
			field = "(body)"
		}
		got := kindName(se.JSONKind)
		if len(se.JSONValue) > 0 {
			got = "JSON " + string(se.JSONValue)
		}
		return badRequest(field, "must be %s, got %s", goKind(se.GoType), got)
	}
	return badRequest("", "malformed JSON: %v", err)
}

// fieldPath turns a JSON pointer (/blueprint/settings/outputGroups/0/name)
// into the path that errors name fields by
// (blueprint.settings.outputGroups[0].name).
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "something else"
}

var timeType = reflect.TypeFor[time.Time]()

// goKind says in words what JSON a Go type takes.
func goKind(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return "an RFC 3339 time such as 2024-05-17T09:00:00Z"
	}
	switch k := t.Kind(); k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	default:
		return "a " + k.String()
	}
}
