package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
)

// docTemplateMeta is the meta of the Stream Manager document's create
// request template, its placeholders where numbers and booleans go. The
// document's examples are the request bodies in testdata.
const docTemplateMeta = `{
      "authentication": {
      "username": "<username>",
      "password": "<password>"
     },
      "stream": [
        {
          "name": "<variant_name>",
          "level": "<variant_level>",
          "properties": {}
         }
],
      "georules": {
      "regions": [
        "<location_name>"
      ],
      "restricted": "<restriction_status>"
    },
    "qos": "<QOS-Constant-Index>"
  }`

// docMeta is the meta object of one of the document's request bodies in
// testdata, its trailing commas stripped as the API strips them.
func docMeta(t testing.TB, name string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var body api.ProvisionBody
	if err := json.Unmarshal(api.StripTrailingCommas(raw), &body); err != nil || len(body.Meta) == 0 {
		t.Fatalf("%s has no meta: %v", name, err)
	}
	return body.Meta
}

func variant(name string, level, w, h, br, fps int) domain.ProvisionVariant {
	return domain.ProvisionVariant{Name: name, Level: level, Properties: domain.VariantProperties{VideoWidth: w, VideoHeight: h, VideoBR: br, VideoFPS: fps}}
}

func intp(v int) *int { return &v }

// sortedFields is the fields err refuses, in sorted order: ParseProvisionMeta
// walks a JSON object, so its problems come in no set order.
func sortedFields(t *testing.T, err error) []string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *domain.ValidationError, got %v", err)
	}
	out := make([]string, len(ve.Errors))
	for i, fe := range ve.Errors {
		out[i] = fe.Field
	}
	slices.Sort(out)
	return out
}

func TestParseProvisionMeta(t *testing.T) {
	acme := &domain.ProvisionAuth{Username: "acme", Password: "acme!newpass"}
	us := &domain.Georules{Regions: []string{"US"}, RestrictedText: true}
	cases := []struct {
		name   string
		body   string
		want   domain.ProvisionMeta
		fields []string // the refused fields, sorted; nil: parsed as want
	}{
		{"the document's create example", string(docMeta(t, "red5_create.json")), domain.ProvisionMeta{
			Authentication: acme,
			Stream: []domain.ProvisionVariant{
				variant("stream1_3", 3, 320, 240, 300000, 15),
				variant("stream1_2", 2, 640, 480, 500000, 30),
				variant("stream1_1", 1, 800, 600, 750000, 30),
			},
			Georules: us, Qos: intp(3),
		}, nil},
		{"the document's update example", string(docMeta(t, "red5_update.json")), domain.ProvisionMeta{
			Authentication: &domain.ProvisionAuth{Username: "acme", Password: "acme!diffpass"},
			Stream:         []domain.ProvisionVariant{{Name: "stream1_1", Level: 3}, {Name: "stream1_2", Level: 2}, {Name: "stream1_3", Level: 1}},
			Georules:       us, Qos: intp(3),
		}, nil},
		{"level and qos as numeric strings", `{"stream":[{"name":"a","level":"3"},{"name":"b","level":" 1 "}],"qos":"3"}`, domain.ProvisionMeta{
			Stream: []domain.ProvisionVariant{{Name: "a", Level: 3}, {Name: "b", Level: 1}}, Qos: intp(3),
		}, nil},
		{"properties as numeric strings", `{"stream":[{"name":"a","level":1,"properties":{"videoWidth":"640","videoBR":"500000"}}]}`, domain.ProvisionMeta{
			Stream: []domain.ProvisionVariant{variant("a", 1, 640, 0, 500000, 0)},
		}, nil},
		{"restricted true", `{"georules":{"regions":["US"],"restricted":true}}`, domain.ProvisionMeta{
			Georules: &domain.Georules{Regions: []string{"US"}, Restricted: true},
		}, nil},
		{"restricted false", `{"georules":{"regions":[],"restricted":false}}`, domain.ProvisionMeta{
			Georules: &domain.Georules{Regions: []string{}},
		}, nil},
		{`restricted "true"`, `{"georules":{"regions":["US"],"restricted":"true"}}`, domain.ProvisionMeta{
			Georules: &domain.Georules{Regions: []string{"US"}, Restricted: true, RestrictedText: true},
		}, nil},
		{"unknown root properties kept", `{"qos":3,"custom":{"b":1,"a":[1, 2]},"note":"x"}`, domain.ProvisionMeta{
			Qos: intp(3), Extra: map[string]json.RawMessage{"custom": json.RawMessage(`{"b":1,"a":[1, 2]}`), "note": json.RawMessage(`"x"`)},
		}, nil},
		{"null members", `{"authentication":null,"stream":null,"georules":null,"qos":null}`, domain.ProvisionMeta{}, nil},
		{"null properties", `{"stream":[{"name":"a","level":1,"properties":null}]}`, domain.ProvisionMeta{
			Stream: []domain.ProvisionVariant{{Name: "a", Level: 1}},
		}, nil},
		{"empty object", `{}`, domain.ProvisionMeta{}, nil},

		{"unknown variant field", `{"stream":[{"name":"a","level":1,"bitrate":5}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].bitrate"}},
		{"unknown property", `{"stream":[{"name":"a","level":1,"properties":{"audioBR":64000}}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].properties.audioBR"}},
		{"property in another case", `{"stream":[{"name":"a","level":1,"properties":{"videowidth":640}}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].properties.videowidth"}},
		{"unknown georules field", `{"georules":{"regions":["US"],"restricted":false,"country":"US"}}`, domain.ProvisionMeta{}, []string{"meta.georules.country"}},
		{"unknown authentication field", `{"authentication":{"username":"a","password":"b","token":"c"}}`, domain.ProvisionMeta{}, []string{"meta.authentication"}},
		{"qos a word", `{"qos":"three"}`, domain.ProvisionMeta{}, []string{"meta.qos"}},
		{"qos a fraction", `{"qos":3.5}`, domain.ProvisionMeta{}, []string{"meta.qos"}},
		{"qos an object", `{"qos":{}}`, domain.ProvisionMeta{}, []string{"meta.qos"}},
		{"level a word", `{"stream":[{"name":"a","level":1},{"name":"b","level":"high"}]}`, domain.ProvisionMeta{}, []string{"meta.stream[1].level"}},
		{"level a boolean", `{"stream":[{"name":"a","level":true}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].level"}},
		{"name a number", `{"stream":[{"name":5,"level":1}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].name"}},
		{"property a word", `{"stream":[{"name":"a","level":1,"properties":{"videoWidth":"wide"}}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].properties.videoWidth"}},
		{"properties a list", `{"stream":[{"name":"a","level":1,"properties":[]}]}`, domain.ProvisionMeta{}, []string{"meta.stream[0].properties"}},
		{"variant a string", `{"stream":["a"]}`, domain.ProvisionMeta{}, []string{"meta.stream[0]"}},
		{"variant null", `{"stream":[null]}`, domain.ProvisionMeta{}, []string{"meta.stream[0]"}},
		{"stream an object", `{"stream":{"name":"a"}}`, domain.ProvisionMeta{}, []string{"meta.stream"}},
		{"restricted yes", `{"georules":{"regions":["US"],"restricted":"yes"}}`, domain.ProvisionMeta{}, []string{"meta.georules.restricted"}},
		{"restricted 1", `{"georules":{"regions":["US"],"restricted":1}}`, domain.ProvisionMeta{}, []string{"meta.georules.restricted"}},
		{`restricted "TRUE"`, `{"georules":{"regions":["US"],"restricted":"TRUE"}}`, domain.ProvisionMeta{}, []string{"meta.georules.restricted"}},
		{"regions a string", `{"georules":{"regions":"US","restricted":false}}`, domain.ProvisionMeta{}, []string{"meta.georules.regions"}},
		{"georules a list", `{"georules":["US"]}`, domain.ProvisionMeta{}, []string{"meta.georules"}},
		{"username a number", `{"authentication":{"username":1,"password":"b"}}`, domain.ProvisionMeta{}, []string{"meta.authentication"}},
		{"authentication a string", `{"authentication":"acme:pass"}`, domain.ProvisionMeta{}, []string{"meta.authentication"}},
		{"every problem at once", `{"qos":"x","stream":[{"name":"a","level":"y","size":1}],"georules":{"restricted":"no"}}`, domain.ProvisionMeta{},
			[]string{"meta.georules.restricted", "meta.qos", "meta.stream[0].level", "meta.stream[0].size"}},
		{"the document's template", docTemplateMeta, domain.ProvisionMeta{},
			[]string{"meta.georules.restricted", "meta.qos", "meta.stream[0].level"}},
		{"meta a list", `[]`, domain.ProvisionMeta{}, []string{"meta"}},
		{"meta a string", `"meta"`, domain.ProvisionMeta{}, []string{"meta"}},
		{"meta a number", `3`, domain.ProvisionMeta{}, []string{"meta"}},
		{"meta null", `null`, domain.ProvisionMeta{}, []string{"meta"}},
		{"meta empty", ``, domain.ProvisionMeta{}, []string{"meta"}},
		{"meta cut short", `{"qos":3`, domain.ProvisionMeta{}, []string{"meta"}},
		{"meta with trailing commas", `{"qos":3,}`, domain.ProvisionMeta{}, []string{"meta"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := api.ParseProvisionMeta([]byte(tc.body))
			if tc.fields != nil {
				if f := sortedFields(t, err); !slices.Equal(f, tc.fields) {
					t.Errorf("refused %v (%v), want %v", f, err, tc.fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parsed\n%s\nwant\n%s", dump(got), dump(tc.want))
			}
		})
	}
}

// dump shows a meta with its pointers followed, for failure messages.
func dump(m domain.ProvisionMeta) string {
	var b strings.Builder
	if m.Authentication != nil {
		fmt.Fprintf(&b, "authentication %+v\n", *m.Authentication)
	}
	for _, v := range m.Stream {
		fmt.Fprintf(&b, "variant %+v\n", v)
	}
	if g := m.Georules; g != nil {
		fmt.Fprintf(&b, "georules %+v (regions nil: %v)\n", *g, g.Regions == nil)
	}
	if m.Qos != nil {
		fmt.Fprintf(&b, "qos %d\n", *m.Qos)
	}
	for k, v := range m.Extra {
		fmt.Fprintf(&b, "extra %s %s\n", k, v)
	}
	return b.String()
}

// TestRenderProvisionMeta: meta goes back out in the Stream Manager's shape,
// level and qos as numbers whatever they came as, restricted as it came, the
// unknown root properties as they came.
func TestRenderProvisionMeta(t *testing.T) {
	cases := []struct{ name, in, out string }{
		{"numeric strings become numbers",
			`{"stream":[{"name":"a","level":"2"}],"qos":"3"}`,
			`{"qos":3,"stream":[{"name":"a","level":2,"properties":{}}]}`},
		{`restricted "false" stays a string`,
			`{"georules":{"regions":["US"],"restricted":"false"}}`,
			`{"georules":{"regions":["US"],"restricted":"false"}}`},
		{`restricted "true" stays a string`,
			`{"georules":{"regions":["US"],"restricted":"true"}}`,
			`{"georules":{"regions":["US"],"restricted":"true"}}`},
		{"restricted true stays a boolean",
			`{"georules":{"regions":["US"],"restricted":true}}`,
			`{"georules":{"regions":["US"],"restricted":true}}`},
		{"restricted false stays a boolean",
			`{"georules":{"regions":["US"],"restricted":false}}`,
			`{"georules":{"regions":["US"],"restricted":false}}`},
		{"regions left out are an empty list",
			`{"georules":{"restricted":false}}`,
			`{"georules":{"regions":[],"restricted":false}}`},
		{"unknown root properties kept",
			`{"qos":3,"custom":{"b":1, "a":[1, 2]},"note":"x","none":null}`,
			`{"custom":{"b":1,"a":[1,2]},"none":null,"note":"x","qos":3}`},
		{"properties in the Stream Manager's names",
			`{"stream":[{"name":"a","level":1,"properties":{"videoFPS":"30","videoWidth":640,"videoHeight":480,"videoBR":500000}}]}`,
			`{"stream":[{"name":"a","level":1,"properties":{"videoWidth":640,"videoHeight":480,"videoBR":500000,"videoFPS":30}}]}`},
		{"authentication",
			`{"authentication":{"username":"acme","password":"acme!newpass"}}`,
			`{"authentication":{"username":"acme","password":"acme!newpass"}}`},
		{"nulls left out", `{"authentication":null,"stream":null,"georules":null,"qos":null}`, `{}`},
		{"an empty ladder kept", `{"stream":[]}`, `{"stream":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := api.ParseProvisionMeta([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			out, err := api.RenderProvisionMeta(m)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.out {
				t.Errorf("rendered %s\nwant     %s", out, tc.out)
			}
			again, err := api.ParseProvisionMeta(out)
			if err != nil {
				t.Fatalf("its own output does not parse: %v", err)
			}
			if out2, _ := api.RenderProvisionMeta(again); string(out2) != string(out) {
				t.Errorf("a second round trip gives %s, the first %s", out2, out)
			}
		})
	}

	// The document's examples go back out as the document answers them.
	m, err := api.ParseProvisionMeta(docMeta(t, "red5_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := api.RenderProvisionMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"authentication":{"username":"acme","password":"acme!newpass"},"georules":{"regions":["US"],"restricted":"false"},"qos":3,` +
		`"stream":[{"name":"stream1_3","level":3,"properties":{"videoWidth":320,"videoHeight":240,"videoBR":300000,"videoFPS":15}},` +
		`{"name":"stream1_2","level":2,"properties":{"videoWidth":640,"videoHeight":480,"videoBR":500000,"videoFPS":30}},` +
		`{"name":"stream1_1","level":1,"properties":{"videoWidth":800,"videoHeight":600,"videoBR":750000,"videoFPS":30}}]}`
	if string(out) != want {
		t.Errorf("the create example renders as\n%s\nwant\n%s", out, want)
	}
}

// TestProvisionBodyMeta: meta inside a create body reads as
// ParseProvisionMeta reads it, and is answered as RenderProvisionMeta writes
// it; a refusal is ParseProvisionMeta's, field paths and all.
func TestProvisionBodyMeta(t *testing.T) {
	e := newEnv(t)
	for i, meta := range []string{
		`{"qos":"3","stream":[{"name":"a","level":"1"}]}`,
		`{"stream":[{"name":"a","level":"2","properties":{"videoWidth":"640","videoHeight":480,"videoBR":500000}},{"name":"b","level":1}],` +
			`"georules":{"regions":["US"],"restricted":"true"},"custom":{"b":1,"a":[1, 2]}}`,
		string(docMeta(t, "red5_create.json")),
	} {
		m, err := api.ParseProvisionMeta([]byte(meta))
		if err != nil {
			t.Fatal(err)
		}
		want, err := api.RenderProvisionMeta(m)
		if err != nil {
			t.Fatal(err)
		}
		code, _, raw := e.red5("POST", fmt.Sprintf("%s/scope%d/stream1", smBase, i), adminKey, `{"meta": `+meta+`}`)
		var got struct {
			Data struct{ Meta json.RawMessage }
		}
		if code != 201 || json.Unmarshal(raw, &got) != nil {
			t.Fatalf("create: %d %s", code, raw)
		}
		if string(got.Data.Meta) != string(want) {
			t.Errorf("meta %s answered\n%s\nwant\n%s", meta, got.Data.Meta, want)
		}
	}

	const bad = `{"qos":"x","stream":[{"name":"a","level":1,"properties":{"audioBR":64000}}]}`
	_, err := api.ParseProvisionMeta([]byte(bad))
	if f := sortedFields(t, err); !slices.Equal(f, []string{"meta.qos", "meta.stream[0].properties.audioBR"}) {
		t.Fatalf("refused %v (%v)", f, err)
	}
	code, out, raw := e.red5("POST", smBase+"/live/bad", adminKey, `{"meta": `+bad+`}`)
	msg, _ := out["errorMessage"].(string)
	parts := strings.Split(msg, "; ")
	wantParts := strings.Split(err.Error(), "; ")
	slices.Sort(parts)
	slices.Sort(wantParts)
	if code != 400 || !slices.Equal(parts, wantParts) {
		t.Errorf("a bad meta: %d %s, want 400 saying %q", code, raw, err)
	}
}
