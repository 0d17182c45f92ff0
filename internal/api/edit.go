package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"onair/internal/domain"
	"onair/internal/openapi"
)

// Round trips. The body of a request that changes an object which GET also
// answers with (PUT /api/workflows/{id}, PUT /api/blueprints/{id}, POST
// /api/streams/{id}, PUT /api/users/{id}, ...) may be that answer, edited: the
// fields of the request type are decoded into it, and the other fields that
// GET shows are read-only. A read-only field sent back unchanged is ignored; one
// that differs is a 400 naming it. A field that GET does not show either is
// unknown, a 400 as everywhere.

// edit is a read body whose read-only fields wait to be checked against the
// object as GET shows it, a V.
type edit[V any] struct {
	readOnly []member
}

// member is one name and value of a JSON object.
type member struct {
	name  string
	value jsontext.Value
}

// readEdit reads the body of a request that edits an object shown as a V,
// decoding into v the fields of v's type. readOnly names fields of v's type
// that are read-only all the same in this request (a blueprint's id, which the
// URL gives). Call unchanged with the current object before acting on v.
func readEdit[V any](w http.ResponseWriter, r *http.Request, v any, readOnly ...string) (*edit[V], error) {
	raw, err := readBody(w, r, false)
	if err != nil {
		return nil, err
	}
	members, err := objectMembers(raw)
	if err != nil {
		return nil, err
	}
	writable := openapi.FieldIndex(reflect.TypeOf(v).Elem())
	for _, name := range readOnly {
		delete(writable, name)
	}
	shown := openapi.FieldIndex(reflect.TypeFor[V]())
	e := &edit[V]{}
	var keep []member
	for _, m := range members {
		_, isWritable := writable[m.name]
		_, isShown := shown[m.name]
		switch {
		case isWritable:
			keep = append(keep, m)
		case isShown:
			e.readOnly = append(e.readOnly, m)
		default:
			return nil, badRequest(m.name, "unknown field")
		}
	}
	if err := unmarshal(object(keep), v); err != nil {
		return nil, err
	}
	return e, nil
}

// unchanged refuses the read-only fields of the body that differ from
// current's, the object as GET shows it now, naming each. Values compare by
// meaning, not spelling: times as instants, an absent list as an empty one.
func (e *edit[V]) unchanged(current V) error {
	cv := reflect.ValueOf(current)
	index := openapi.FieldIndex(cv.Type())
	var bad []domain.FieldError
	for _, m := range e.readOnly {
		if touched[m.name] {
			continue
		}
		have := cv.FieldByIndex(index[m.name])
		sent := reflect.New(have.Type())
		err := jsonv2.Unmarshal(m.value, sent.Interface(), jsonv2.RejectUnknownMembers(true))
		if err == nil && sameValue(sent.Elem(), have) {
			continue
		}
		shown, _ := json.Marshal(have.Interface())
		bad = append(bad, domain.FieldError{Field: m.name, Message: "is read-only: it is " + excerpt(shown) +
			" and the body says " + excerpt(m.value) + "; send it as GET shows it, or leave it out"})
	}
	if len(bad) > 0 {
		return &domain.ValidationError{Errors: bad}
	}
	return nil
}

// touched names the read-only fields that say when the server last changed
// the object (or will act on it next): a body built from an earlier GET has
// other values there without asking for anything, so they are ignored
// whatever they hold.
// A workflow's playoutManifests are the sync controller's, changed without
// the workflow changing.
var touched = map[string]bool{"updated": true, "nextRun": true, "last_update": true, "playoutManifests": true}

// objectMembers lists the members of a checked JSON object, in order.
func objectMembers(obj jsontext.Value) ([]member, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntaxError(err)
	}
	var out []member
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, syntaxError(err)
		}
		name := tok.String() // before the next read voids tok
		value, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		out = append(out, member{name: name, value: value.Clone()})
	}
	return out, nil
}

// object writes members back as one JSON object.
func object(members []member) jsontext.Value {
	var buf bytes.Buffer
	enc := jsontext.NewEncoder(&buf)
	_ = enc.WriteToken(jsontext.BeginObject)
	for _, m := range members {
		// The members come from a checked object: they cannot fail to encode.
		_ = enc.WriteToken(jsontext.String(m.name))
		_ = enc.WriteValue(m.value)
	}
	_ = enc.WriteToken(jsontext.EndObject)
	return buf.Bytes()
}

// excerpt is a JSON value shortened for an error message.
func excerpt(v []byte) string {
	const max = 80
	if r := []rune(string(v)); len(r) > max {
		return string(r[:max]) + "…"
	}
	return string(v)
}

// sameValue reports whether two values of one type mean the same: times are
// equal instants, nil and empty lists and maps are alike, and struct fields
// that JSON does not carry are left out.
func sameValue(a, b reflect.Value) bool {
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Elem().Type() != b.Elem().Type() {
			return false
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); !bv.IsValid() || !sameValue(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for _, i := range openapi.FieldIndex(a.Type()) {
			if !sameValue(a.FieldByIndex(i), b.FieldByIndex(i)) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}
