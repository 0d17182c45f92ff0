package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// Reading columns back into domain values. The scanners accept what either
// driver returns, so that the row mapping is written once.

// The NOT NULL columns are NULL only on the missing side of an outer join: the
// scanners read that as the zero value.

// textCol scans a text column into a string.
type textCol struct{ dst *string }

func (c textCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.dst = ""
	case string:
		*c.dst = v
	case []byte:
		*c.dst = string(v)
	default:
		return fmt.Errorf("text column holds a %T", src)
	}
	return nil
}

// timeCol scans a time column: a timestamptz from PostgreSQL or sqliteTimeFormat
// text from SQLite. The result is always UTC.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(src any) error {
	t, _, err := parseTimeValue(src)
	*c.dst = t
	return err
}

// nullTimeCol scans a time column that may be NULL into a *time.Time.
type nullTimeCol struct{ dst **time.Time }

func (c nullTimeCol) Scan(src any) error {
	t, ok, err := parseTimeValue(src)
	if err != nil {
		return err
	}
	if !ok {
		*c.dst = nil
		return nil
	}
	*c.dst = &t
	return nil
}

func parseTimeValue(src any) (t time.Time, ok bool, err error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		t, err = time.Parse(sqliteTimeFormat, v)
	case []byte:
		t, err = time.Parse(sqliteTimeFormat, string(v))
	default:
		return time.Time{}, false, fmt.Errorf("time column holds a %T", src)
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("time column: %w", err)
	}
	return t.UTC(), true, nil
}

// jsonCol scans a JSON text column into dst, a pointer. NULL leaves dst as it is.
type jsonCol struct{ dst any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("JSON column holds a %T", src)
	}
	if emptyDocument(b, c.dst) {
		return nil
	}
	// json/v2 decodes in one pass, where encoding/json checks the whole
	// document first: a page of runs spends most of its time here.
	if err := jsonv2.Unmarshal(b, c.dst); err != nil {
		return fmt.Errorf("JSON column: %w", err)
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// emptyDocument decodes null, [] and {}, which most rows hold (no tags, no
// options, no prepared inputs), into dst as json.Unmarshal would, without its
// cost, which a page pays for every row: null zeroes a pointer, slice, map or
// interface; [] makes an empty slice; {} makes a nil map empty and leaves a
// struct as it is. It reports false, leaving dst alone, for anything else.
func emptyDocument(b []byte, dst any) bool {
	if len(b) > 4 {
		return false
	}
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Type().Implements(unmarshalerType) {
		return false
	}
	v = v.Elem()
	switch k := v.Kind(); string(b) {
	case "null":
		switch k {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			v.SetZero()
			return true
		}
		return k == reflect.Struct
	case "[]":
		if k == reflect.Slice {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return true
		}
	case "{}":
		if k == reflect.Map && v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		return k == reflect.Map || k == reflect.Struct
	}
	return false
}

// jsonText encodes a document for a JSON text column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// qualify prefixes each of the comma-separated columns with a table alias.
func qualify(alias, columns string) string {
	list := strings.Split(columns, ",")
	for i, c := range list {
		list[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(list, ", ")
}

// nullString is "" for SQL NULL and the other way round.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
