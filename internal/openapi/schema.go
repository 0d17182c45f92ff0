package openapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Enumer is implemented by a type whose values form a closed set, such as a
// status. Its schema lists those values wherever the type is used, so the set
// is written down once, next to the type. The method is called on the zero
// value, so it must be declared on the value type, not on a pointer.
type Enumer interface {
	OpenAPIEnum() []string
}

// schema is a JSON Schema (the 2020-12 dialect that OpenAPI 3.1 uses), limited
// to the keywords the generator writes.
type schema struct {
	Ref                  string            `json:"$ref,omitempty"`
	Type                 string            `json:"type,omitempty"`
	Format               string            `json:"format,omitempty"`
	Description          string            `json:"description,omitempty"`
	Enum                 []any             `json:"enum,omitempty"`
	Items                *schema           `json:"items,omitempty"`
	MinItems             *int              `json:"minItems,omitempty"`
	MaxItems             *int              `json:"maxItems,omitempty"`
	Properties           *ordered[*schema] `json:"properties,omitempty"`
	AdditionalProperties *schema           `json:"additionalProperties,omitempty"`
	Required             []string          `json:"required,omitempty"`
	Examples             []any             `json:"examples,omitempty"`

	// target is the type whose component Ref points to. Ref itself is filled
	// in once every component is known, because a name may depend on types
	// met later (see componentNames).
	target reflect.Type
}

// walk calls fn on s and on every schema nested in it. It does not follow
// references, so it ends on recursive types.
func (s *schema) walk(fn func(*schema)) {
	if s == nil {
		return
	}
	fn(s)
	s.Items.walk(fn)
	s.AdditionalProperties.walk(fn)
	if s.Properties != nil {
		for _, k := range s.Properties.keys {
			s.Properties.values[k].walk(fn)
		}
	}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	enumerType        = reflect.TypeFor[Enumer]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// generator turns Go types into schemas. Named struct types, and named types
// that contain themselves, become shared components; everything else is
// written inline.
type generator struct {
	components map[reflect.Type]*schema
	order      []reflect.Type        // components in the order first met
	inlining   map[reflect.Type]bool // named non-struct types being expanded
	recursive  map[reflect.Type]bool // named non-struct types met inside themselves
	used       []*schema             // every schema handed out, for resolveRefs
}

func newGenerator() *generator {
	return &generator{
		components: map[reflect.Type]*schema{},
		inlining:   map[reflect.Type]bool{},
		recursive:  map[reflect.Type]bool{},
	}
}

// bodySchema returns the schema of a request or response body given as a
// value of its type.
func (g *generator) bodySchema(v any) (*schema, error) {
	s, err := g.schema(reflect.TypeOf(v))
	if err != nil {
		return nil, err
	}
	g.used = append(g.used, s)
	return s, nil
}

// finish names the components, points every reference at its component and
// returns the components by name.
func (g *generator) finish() map[string]*schema {
	names := componentNames(g.order)
	out := map[string]*schema{}
	for t, c := range g.components {
		out[names[t]] = c
		g.used = append(g.used, c)
	}
	for _, s := range g.used {
		s.walk(func(s *schema) {
			if s.target != nil {
				s.Ref = schemaRefPrefix + names[s.target]
			}
		})
	}
	return out
}

// schema returns a new schema for t: callers may decorate it (description,
// enum) without touching a shared component.
func (g *generator) schema(t reflect.Type) (*schema, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Interface:
		return &schema{}, nil // any value: its dynamic type is unknown here
	case t == timeType:
		return &schema{Type: "string", Format: "date-time"}, nil
	case t == rawMessageType:
		return &schema{}, nil
	case t.Implements(enumerType):
		return enumSchema(t)
	case t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType):
		// Its own MarshalJSON decides the shape, which reflection cannot see.
		return &schema{}, nil
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		return &schema{Type: "string"}, nil
	}
	if t.Name() != "" {
		switch t.Kind() {
		case reflect.Struct:
			return g.component(t)
		case reflect.Slice, reflect.Array, reflect.Map:
			return g.namedContainer(t)
		}
	}
	return g.inline(t)
}

// component returns a reference to the component of the named struct type t,
// building the component on first use. The component is registered before its
// fields are generated, so a type that contains itself gets a reference.
func (g *generator) component(t reflect.Type) (*schema, error) {
	if _, ok := g.components[t]; !ok {
		c := &schema{}
		g.components[t] = c
		g.order = append(g.order, t)
		s, err := g.inline(t)
		if err != nil {
			return nil, err
		}
		*c = *s
	}
	return &schema{target: t}, nil
}

// namedContainer inlines a named slice, array or map type unless it contains
// itself (type Tree map[string]Tree), in which case it becomes a component.
func (g *generator) namedContainer(t reflect.Type) (*schema, error) {
	if g.recursive[t] {
		return &schema{target: t}, nil
	}
	if g.inlining[t] {
		g.recursive[t] = true
		return &schema{target: t}, nil
	}
	g.inlining[t] = true
	s, err := g.inline(t)
	delete(g.inlining, t)
	if err != nil {
		return nil, err
	}
	if g.recursive[t] {
		g.components[t] = s
		g.order = append(g.order, t)
		return &schema{target: t}, nil
	}
	return s, nil
}

// inline returns the schema of t's kind, without looking at its name.
func (g *generator) inline(t reflect.Type) (*schema, error) {
	switch t.Kind() {
	case reflect.Bool:
		return &schema{Type: "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &schema{Type: "integer", Format: intFormat(t.Kind())}, nil
	case reflect.Float32:
		return &schema{Type: "number", Format: "float"}, nil
	case reflect.Float64:
		return &schema{Type: "number", Format: "double"}, nil
	case reflect.String:
		return &schema{Type: "string"}, nil
	case reflect.Slice:
		if isBytes(t) {
			return &schema{Type: "string", Format: "byte"}, nil
		}
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return &schema{Type: "array", Items: items}, nil
	case reflect.Array:
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		n := t.Len()
		return &schema{Type: "array", Items: items, MinItems: &n, MaxItems: &n}, nil
	case reflect.Map:
		if !validMapKey(t.Key()) {
			return nil, fmt.Errorf("type %s: encoding/json cannot write map keys of type %s", t, t.Key())
		}
		values, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return &schema{Type: "object", AdditionalProperties: values}, nil
	case reflect.Struct:
		return g.structSchema(t)
	}
	return nil, fmt.Errorf("type %s: kind %s has no JSON form", t, t.Kind())
}

func intFormat(k reflect.Kind) string {
	switch k {
	case reflect.Int32:
		return "int32"
	case reflect.Int64:
		return "int64"
	}
	return ""
}

// isBytes reports whether encoding/json writes t as a base64 string.
func isBytes(t reflect.Type) bool {
	if t.Elem().Kind() != reflect.Uint8 {
		return false
	}
	p := reflect.PointerTo(t.Elem())
	return !p.Implements(jsonMarshalerType) && !p.Implements(textMarshalerType)
}

func validMapKey(k reflect.Type) bool {
	switch k.Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return k.Implements(textMarshalerType)
}

// enumSchema is the schema of a type that lists its own values.
func enumSchema(t reflect.Type) (*schema, error) {
	var s *schema
	switch t.Kind() {
	case reflect.String:
		s = &schema{Type: "string"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s = &schema{Type: "integer", Format: intFormat(t.Kind())}
	default:
		return nil, fmt.Errorf("type %s: OpenAPIEnum needs a string or integer kind, not %s", t, t.Kind())
	}
	values := reflect.Zero(t).Interface().(Enumer).OpenAPIEnum()
	enum, err := parseValues(s.Type, values)
	if err != nil {
		return nil, fmt.Errorf("type %s: OpenAPIEnum: %w", t, err)
	}
	s.Enum = enum
	return s, nil
}

// structSchema lists the fields that encoding/json writes for t.
func (g *generator) structSchema(t reflect.Type) (*schema, error) {
	s := &schema{Type: "object"}
	for _, f := range jsonFields(t) {
		fs, err := g.fieldSchema(f)
		if err != nil {
			return nil, fmt.Errorf("type %s, field %s: %w", t, f.goName, err)
		}
		if s.Properties == nil {
			s.Properties = &ordered[*schema]{}
		}
		s.Properties.set(f.name, fs)
		if f.required {
			s.Required = append(s.Required, f.name)
		}
	}
	return s, nil
}

// fieldSchema is the schema of one field, with what its struct tags add.
func (g *generator) fieldSchema(f field) (*schema, error) {
	var s *schema
	if f.quoted {
		s = &schema{Type: "string"} // the ",string" option writes the value as a JSON string
	} else {
		var err error
		if s, err = g.schema(f.typ); err != nil {
			return nil, err
		}
	}
	if doc, ok := f.tag.Lookup("doc"); ok {
		s.Description = doc
	}
	if enum, ok := f.tag.Lookup("enum"); ok {
		target := s
		if s.Type == "array" {
			target = s.Items // an enum on a list constrains its items
		}
		if target.target != nil || (target.Type != "string" && target.Type != "integer" && target.Type != "number") {
			return nil, fmt.Errorf("enum tag on a field that is not a string or a number")
		}
		values, err := parseValues(target.Type, strings.Split(enum, ","))
		if err != nil {
			return nil, fmt.Errorf("enum tag: %w", err)
		}
		target.Enum = values
	}
	if example, ok := f.tag.Lookup("example"); ok {
		v, err := parseExample(s.Type, example)
		if err != nil {
			return nil, fmt.Errorf("example tag: %w", err)
		}
		s.Examples = []any{v}
	}
	return s, nil
}

// parseValues converts the words of an enum to the JSON type of the schema.
func parseValues(typ string, words []string) ([]any, error) {
	out := make([]any, 0, len(words))
	for _, w := range words {
		w = strings.TrimSpace(w)
		var v any = w
		switch typ {
		case "integer":
			n, err := strconv.ParseInt(w, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", w)
			}
			v = n
		case "number":
			n, err := strconv.ParseFloat(w, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", w)
			}
			v = n
		}
		out = append(out, v)
	}
	return out, nil
}

// parseExample converts an example tag to the JSON type of the schema;
// objects and arrays are written as JSON.
func parseExample(typ, text string) (any, error) {
	switch typ {
	case "string":
		return text, nil
	case "integer", "number":
		v, err := parseValues(typ, []string{text})
		if err != nil {
			return nil, err
		}
		return v[0], nil
	case "boolean":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean", text)
		}
		return b, nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("%q is not JSON: %w", text, err)
	}
	return v, nil
}
