package openapi

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/openapi/internal/other"
)

// Types for the schema tests. Their JSON forms are what a client sees, so each
// test compares the generated schema with the JSON a reader would expect.

type Status string

func (Status) OpenAPIEnum() []string { return []string{"READY", "RUNNING", "DONE"} }

type Level int

func (Level) OpenAPIEnum() []string { return []string{"1", "2", "3"} }

type Kinds struct {
	S   string          `json:"s"`
	B   bool            `json:"b"`
	I   int             `json:"i"`
	I32 int32           `json:"i32"`
	I64 int64           `json:"i64"`
	U8  uint8           `json:"u8"`
	F32 float32         `json:"f32"`
	F64 float64         `json:"f64"`
	T   time.Time       `json:"t"`
	D   time.Duration   `json:"d"`
	Raw []byte          `json:"raw"`
	L   []string        `json:"l"`
	A   [2]int          `json:"a"`
	M   map[string]int  `json:"m"`
	Any any             `json:"any"`
	RM  json.RawMessage `json:"rm"`
	IP  netip.Addr      `json:"ip"`
}

type Tagged struct {
	Name     string `json:"name" doc:"Display name." example:"Morning show"`
	Note     string `json:"note,omitempty"`
	Later    string `json:"later,omitzero"`
	Ptr      *int   `json:"ptr"`
	Skipped  string `json:"-"`
	Dash     string `json:"-,"`
	Untagged string
	Renamed  int               `json:"count,string"`
	Profile  string            `json:"profile" enum:"baseline,main,high"`
	Rate     int               `json:"rate" enum:"25, 30, 50" example:"25"`
	Labels   []string          `json:"labels" enum:"a,b"`
	Extra    map[string]string `json:"extra" doc:"Free pairs."`
	hidden   string
}

type Base struct {
	ID      string `json:"id"`
	Created string `json:"created"`
}

type Meta struct {
	Owner string `json:"owner"`
}

type Embedding struct {
	Base
	*Meta
	Named   Base   `json:"named,omitempty"`
	Created int    `json:"created" doc:"Shadows Base.Created: the shallowest field wins."`
	Own     string `json:"own"`
}

type embeddedUnexported struct {
	Inner string `json:"inner"`
}

type Conflict struct {
	A
	B
	embeddedUnexported
}

type A struct {
	X string // ambiguous with B.X: dropped, as encoding/json does
	V string
}

type B struct {
	X string
	W string `json:"V"` // a tagged field wins over an untagged one at the same depth
	Z string `json:"z"`
}

type Node struct {
	Name     string   `json:"name"`
	Children []Node   `json:"children"`
	Parent   *Node    `json:"parent,omitempty"`
	Status   Status   `json:"status"`
	Statuses []Status `json:"statuses,omitempty"`
}

type Tree map[string]Tree

type UsesTree struct {
	T Tree `json:"t"`
	U Tree `json:"u"`
}

type Workflow struct {
	ID string `json:"id"`
}

type Collide struct {
	Mine   Workflow       `json:"mine"`
	Theirs other.Workflow `json:"theirs"`
}

type Page[T any] struct {
	Items []T `json:"items"`
}

func TestSchema(t *testing.T) {
	tests := []struct {
		name       string
		value      any
		want       string            // the body's schema
		components map[string]string // components.schemas, when any are expected
	}{
		{name: "string", value: "", want: `{"type":"string"}`},
		{name: "pointer is its element", value: new(int64), want: `{"type":"integer","format":"int64"}`},
		{name: "slice of structs", value: []Base{}, want: `{"type":"array","items":{"$ref":"#/components/schemas/Base"}}`,
			components: map[string]string{"Base": `{"type":"object","properties":{"id":{"type":"string"},"created":{"type":"string"}},"required":["id","created"]}`}},
		{name: "anonymous struct is inline", value: struct {
			N int `json:"n"`
		}{}, want: `{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`},
		{name: "empty anonymous struct", value: struct{}{}, want: `{"type":"object"}`},
		{name: "kinds", value: Kinds{}, want: `{"$ref":"#/components/schemas/Kinds"}`, components: map[string]string{"Kinds": `{"type":"object","properties":{` +
			`"s":{"type":"string"},"b":{"type":"boolean"},"i":{"type":"integer"},` +
			`"i32":{"type":"integer","format":"int32"},"i64":{"type":"integer","format":"int64"},"u8":{"type":"integer"},` +
			`"f32":{"type":"number","format":"float"},"f64":{"type":"number","format":"double"},` +
			`"t":{"type":"string","format":"date-time"},"d":{"type":"integer","format":"int64"},` +
			`"raw":{"type":"string","format":"byte"},"l":{"type":"array","items":{"type":"string"}},` +
			`"a":{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":2},` +
			`"m":{"type":"object","additionalProperties":{"type":"integer"}},"any":{},"rm":{},"ip":{"type":"string"}},` +
			`"required":["s","b","i","i32","i64","u8","f32","f64","t","d","raw","l","a","m","any","rm","ip"]}`}},
		{name: "tags and required", value: Tagged{}, want: `{"$ref":"#/components/schemas/Tagged"}`, components: map[string]string{"Tagged": `{"type":"object","properties":{` +
			`"name":{"type":"string","description":"Display name.","examples":["Morning show"]},` +
			`"note":{"type":"string"},"later":{"type":"string"},"ptr":{"type":"integer"},` +
			`"-":{"type":"string"},"Untagged":{"type":"string"},"count":{"type":"string"},` +
			`"profile":{"type":"string","enum":["baseline","main","high"]},` +
			`"rate":{"type":"integer","enum":[25,30,50],"examples":[25]},` +
			`"labels":{"type":"array","items":{"type":"string","enum":["a","b"]}},` +
			`"extra":{"type":"object","description":"Free pairs.","additionalProperties":{"type":"string"}}},` +
			`"required":["name","-","Untagged","count","profile","rate","labels","extra"]}`}},
		{name: "enum types", value: struct {
			S  Status  `json:"s"`
			P  *Status `json:"p,omitempty"`
			L  Level   `json:"l"`
			Ov Status  `json:"ov" enum:"READY"`
		}{}, want: `{"type":"object","properties":{` +
			`"s":{"type":"string","enum":["READY","RUNNING","DONE"]},"p":{"type":"string","enum":["READY","RUNNING","DONE"]},` +
			`"l":{"type":"integer","enum":[1,2,3]},"ov":{"type":"string","enum":["READY"]}},"required":["s","l","ov"]}`},
		{name: "embedded structs are flattened", value: Embedding{}, want: `{"$ref":"#/components/schemas/Embedding"}`, components: map[string]string{
			"Embedding": `{"type":"object","properties":{"id":{"type":"string"},"owner":{"type":"string"},` +
				`"named":{"$ref":"#/components/schemas/Base"},` +
				`"created":{"type":"integer","description":"Shadows Base.Created: the shallowest field wins."},"own":{"type":"string"}},` +
				`"required":["id","created","own"]}`,
			"Base": `{"type":"object","properties":{"id":{"type":"string"},"created":{"type":"string"}},"required":["id","created"]}`,
		}},
		{name: "ambiguous embedded fields are dropped", value: Conflict{}, want: `{"$ref":"#/components/schemas/Conflict"}`, components: map[string]string{
			"Conflict": `{"type":"object","properties":{"V":{"type":"string"},"z":{"type":"string"},"inner":{"type":"string"}},"required":["V","z","inner"]}`,
		}},
		{name: "recursive struct", value: Node{}, want: `{"$ref":"#/components/schemas/Node"}`, components: map[string]string{
			"Node": `{"type":"object","properties":{"name":{"type":"string"},` +
				`"children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}},` +
				`"parent":{"$ref":"#/components/schemas/Node"},` +
				`"status":{"type":"string","enum":["READY","RUNNING","DONE"]},` +
				`"statuses":{"type":"array","items":{"type":"string","enum":["READY","RUNNING","DONE"]}}},` +
				`"required":["name","children","status"]}`,
		}},
		{name: "recursive map type", value: UsesTree{}, want: `{"$ref":"#/components/schemas/UsesTree"}`, components: map[string]string{
			"Tree":     `{"type":"object","additionalProperties":{"$ref":"#/components/schemas/Tree"}}`,
			"UsesTree": `{"type":"object","properties":{"t":{"$ref":"#/components/schemas/Tree"},"u":{"$ref":"#/components/schemas/Tree"}},"required":["t","u"]}`,
		}},
		{name: "same name in two packages", value: Collide{}, want: `{"$ref":"#/components/schemas/Collide"}`, components: map[string]string{
			"Collide":          `{"type":"object","properties":{"mine":{"$ref":"#/components/schemas/openapi.Workflow"},"theirs":{"$ref":"#/components/schemas/other.Workflow"}},"required":["mine","theirs"]}`,
			"openapi.Workflow": `{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`,
			"other.Workflow":   `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`,
		}},
		{name: "generic type", value: Page[Workflow]{}, want: `{"$ref":"#/components/schemas/Page_Workflow"}`, components: map[string]string{
			"Page_Workflow": `{"type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/components/schemas/Workflow"}}},"required":["items"]}`,
			"Workflow":      `{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGenerator()
			s, err := g.bodySchema(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			components := g.finish()
			if got := compact(t, s); got != tt.want {
				t.Errorf("schema\n got %s\nwant %s", got, tt.want)
			}
			if len(components) != len(tt.components) {
				t.Errorf("components: got %d (%v), want %d", len(components), keys(components), len(tt.components))
			}
			for name, want := range tt.components {
				c, ok := components[name]
				if !ok {
					t.Errorf("no component %q among %v", name, keys(components))
					continue
				}
				if got := compact(t, c); got != want {
					t.Errorf("component %s\n got %s\nwant %s", name, got, want)
				}
			}
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"channel", struct {
			C chan int `json:"c"`
		}{}, "kind chan"},
		{"func", struct{ F func() }{}, "kind func"},
		{"map key", map[[2]int]string{}, "map keys"},
		{"enum on a struct", struct {
			W Workflow `json:"w" enum:"a"`
		}{}, "enum tag"},
		{"bad int enum", struct {
			N int `json:"n" enum:"1,two"`
		}{}, `"two" is not an integer`},
		{"bad example", struct {
			B bool `json:"b" example:"maybe"`
		}{}, `"maybe" is not a boolean`},
		{"enum type of wrong kind", struct {
			E badEnum `json:"e"`
		}{}, "OpenAPIEnum needs a string or integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newGenerator().bodySchema(tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

type badEnum struct{}

func (badEnum) OpenAPIEnum() []string { return []string{"x"} }

func compact(t *testing.T, v any) string {
	t.Helper()
	b, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestFieldsMatchEncodingJSON checks the flattening rules against the real
// thing: the properties are the keys encoding/json writes, in its order.
func TestFieldsMatchEncodingJSON(t *testing.T) {
	for _, v := range []any{Conflict{}, Embedding{Meta: &Meta{}}, Kinds{}, Node{Statuses: []Status{"READY"}, Parent: &Node{}}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			names = append(names, f.name)
		}
		if want := objectKeys(t, b); !slices.Equal(names, want) {
			t.Errorf("%T: fields %v, encoding/json writes %v", v, names, want)
		}
	}
}
