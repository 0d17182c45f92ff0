package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Sample API types, shaped like onair's.
type (
	WorkflowBody struct {
		Name     string    `json:"name" doc:"Display name." example:"Morning show"`
		Status   Status    `json:"status"`
		Settings *Settings `json:"settings,omitempty"`
	}
	Settings struct {
		Profile string    `json:"profile" enum:"baseline,main,high"`
		Next    *Settings `json:"next,omitempty"`
	}
	WorkflowList struct {
		Items []WorkflowBody `json:"items"`
		Next  string         `json:"next,omitempty" doc:"Cursor of the next page; <empty> on the last."`
	}
	APIError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)

func sampleSpec() Spec {
	errResp := func(status int) Response { return Response{Status: status, Body: APIError{}} }
	return Spec{
		Title:       "onair",
		Version:     "1.0.0",
		Description: "Live video workflows.",
		Tags: []Tag{
			{Name: "Workflows", Description: "Channels and their settings."},
			{Name: "System", Description: "Health and documentation."},
		},
		SecuritySchemes: map[string]SecurityScheme{
			"apiKey": {Type: "apiKey", Name: "x-api-key", In: "header", Description: "An API key."},
			"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
		},
		Security: []map[string][]string{{"apiKey": nil}, {"bearer": {}}},
		Operations: []Operation{
			{Method: "GET", Path: "/api/workflows", Tag: "Workflows", Summary: "List workflows",
				Params: []Param{
					{Name: "status", In: "query", Enum: []string{"READY", "RUNNING"}},
					{Name: "limit", In: "query", Type: "integer", Example: "20"},
				},
				Responses: []Response{{Status: 200, Body: WorkflowList{}}, errResp(401)}},
			{Method: "POST", Path: "/api/workflows", Tag: "Workflows", Summary: "Create a workflow",
				Body:      WorkflowBody{},
				Responses: []Response{{Status: 201, Body: WorkflowBody{}}, errResp(400)}},
			{Method: "GET", Path: "/api/workflows/{id}", Tag: "Workflows", OperationID: "getWorkflow",
				Params:    []Param{{Name: "id", In: "path", Description: "Workflow id."}},
				Responses: []Response{{Status: 200, Body: &WorkflowBody{}}, errResp(404)}},
			{Method: "DELETE", Path: "/api/workflows/{id}", Tag: "Workflows",
				Params:    []Param{{Name: "id", In: "path"}},
				Responses: []Response{{Status: 204}, errResp(409)}},
			{Method: "GET", Path: "/healthz", Tag: "System", Public: true,
				Responses: []Response{{Status: 200, ContentType: "text/plain", Body: ""}}},
			{Method: "GET", Path: "/files/{path...}", Tag: "System", Public: true,
				Params:    []Param{{Name: "path", In: "path"}},
				Responses: []Response{{Status: 200, ContentType: "application/octet-stream"}}},
		},
	}
}

func TestBuildSample(t *testing.T) {
	out, err := Build(sampleSpec())
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(sampleSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, again) {
		t.Error("two builds of the same spec differ")
	}

	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	if got := at(t, doc, "info", "title"); got != "onair" {
		t.Errorf("info.title = %v", got)
	}

	// Paths keep the order given, and a mux wildcard becomes a plain parameter.
	wantPaths := []string{"/api/workflows", "/api/workflows/{id}", "/healthz", "/files/{path}"}
	if got := objectKeys(t, out, "paths"); !slices.Equal(got, wantPaths) {
		t.Errorf("paths = %v, want %v", got, wantPaths)
	}
	if got := objectKeys(t, out, "paths", "/api/workflows/{id}"); !slices.Equal(got, []string{"get", "delete"}) {
		t.Errorf("methods = %v, want [get delete]", got)
	}
	// Top-level keys in OpenAPI's order, which reads well in a diff.
	wantTop := []string{"openapi", "info", "tags", "paths", "components", "security"}
	if got := objectKeys(t, out); !slices.Equal(got, wantTop) {
		t.Errorf("top-level keys = %v, want %v", got, wantTop)
	}

	checks := []struct {
		path []string
		want string
	}{
		{[]string{"paths", "/api/workflows", "get", "operationId"}, `"getApiWorkflows"`},
		{[]string{"paths", "/api/workflows", "get", "tags"}, `["Workflows"]`},
		{[]string{"paths", "/api/workflows", "get", "parameters"}, `[{"name":"status","in":"query","schema":{"type":"string","enum":["READY","RUNNING"]}},{"name":"limit","in":"query","schema":{"type":"integer"},"example":20}]`},
		{[]string{"paths", "/api/workflows", "post", "requestBody"}, `{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/WorkflowBody"}}},"required":true}`},
		{[]string{"paths", "/api/workflows", "post", "responses", "201"}, `{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/WorkflowBody"}}},"description":"Created"}`},
		{[]string{"paths", "/api/workflows/{id}", "get", "operationId"}, `"getWorkflow"`},
		{[]string{"paths", "/api/workflows/{id}", "get", "parameters"}, `[{"description":"Workflow id.","in":"path","name":"id","required":true,"schema":{"type":"string"}}]`},
		{[]string{"paths", "/api/workflows/{id}", "delete", "operationId"}, `"deleteApiWorkflowsById"`},
		{[]string{"paths", "/api/workflows/{id}", "delete", "responses", "204"}, `{"description":"No Content"}`},
		{[]string{"paths", "/healthz", "get", "security"}, `[]`},
		{[]string{"paths", "/healthz", "get", "responses", "200", "content"}, `{"text/plain":{"schema":{"type":"string"}}}`},
		{[]string{"paths", "/files/{path}", "get", "responses", "200", "content"}, `{"application/octet-stream":{}}`},
		{[]string{"security"}, `[{"apiKey":[]},{"bearer":[]}]`},
		{[]string{"components", "securitySchemes"}, `{"apiKey":{"description":"An API key.","in":"header","name":"x-api-key","type":"apiKey"},"bearer":{"bearerFormat":"JWT","scheme":"bearer","type":"http"}}`},
		{[]string{"components", "schemas", "WorkflowList", "properties", "next", "description"}, `"Cursor of the next page; <empty> on the last."`},
		{[]string{"components", "schemas", "Settings", "properties", "next"}, `{"$ref":"#/components/schemas/Settings"}`},
	}
	for _, c := range checks {
		got := at(t, doc, c.path...)
		if s := canonical(t, got); s != canonical(t, mustUnmarshal(t, c.want)) {
			t.Errorf("%s\n got %s\nwant %s", strings.Join(c.path, "."), s, c.want)
		}
	}
	if _, ok := at(t, doc, "paths", "/api/workflows", "get").(map[string]any)["security"]; ok {
		t.Error("a protected operation repeats the security requirement instead of inheriting it")
	}
	if !bytes.Contains(out, []byte("<empty>")) {
		t.Error("HTML characters are escaped in descriptions")
	}

	schemas := at(t, doc, "components", "schemas").(map[string]any)
	if got := slices.Sorted(mapKeys(schemas)); !slices.Equal(got, []string{"APIError", "Settings", "WorkflowBody", "WorkflowList"}) {
		t.Errorf("components.schemas = %v", got)
	}
	refs := checkRefs(t, doc)
	for name := range schemas {
		if !refs[schemaRefPrefix+name] {
			t.Errorf("component %s is never referenced", name)
		}
	}
}

// checkRefs walks the whole document and fails on any $ref that does not point
// at a component. It returns the references it saw.
func checkRefs(t *testing.T, doc map[string]any) map[string]bool {
	t.Helper()
	schemas, _ := at(t, doc, "components", "schemas").(map[string]any)
	seen := map[string]bool{}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "$ref" {
					ref, _ := child.(string)
					seen[ref] = true
					name, ok := strings.CutPrefix(ref, schemaRefPrefix)
					if _, exists := schemas[name]; !ok || !exists {
						t.Errorf("%s: $ref %q does not resolve", where, ref)
					}
					continue
				}
				walk(where+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s/%d", where, i), child)
			}
		}
	}
	walk("#", doc)
	if len(seen) == 0 {
		t.Error("no $ref in the document")
	}
	return seen
}

func TestBuildErrors(t *testing.T) {
	ok := []Response{{Status: http.StatusOK}}
	op := func(method, path string, params ...Param) Operation {
		return Operation{Method: method, Path: path, Params: params, Responses: ok}
	}
	id := Param{Name: "id", In: "path"}
	tests := []struct {
		name string
		edit func(*Spec)
		want []string // every one must appear in the error
	}{
		{"no title", func(s *Spec) { s.Title = "" }, []string{"Title and Version are required"}},
		{"path parameter not declared", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/w/{id}")}
		}, []string{"GET /w/{id}: {id} in the path has no path parameter"}},
		{"declared parameter not in path", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/w", id)}
		}, []string{`path parameter "id" is not in the path`}},
		{"duplicate method and path", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/w/{id}", id), op("GET", "/w/{name}", Param{Name: "name", In: "path"})}
		}, []string{"GET /w/{name}: same method and path as GET /w/{id}"}},
		{"duplicate operationId", func(s *Spec) {
			a, b := op("GET", "/a"), op("GET", "/b")
			a.OperationID, b.OperationID = "list", "list"
			s.Operations = []Operation{a, b}
		}, []string{`operationId "list" already used by GET /a`}},
		{"generated operationIds collide", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/a-b"), op("GET", "/a_b")}
		}, []string{`operationId "getAB" already used`}},
		{"no responses", func(s *Spec) {
			s.Operations = []Operation{{Method: "GET", Path: "/w"}}
		}, []string{"GET /w: no responses"}},
		{"bad method", func(s *Spec) { s.Operations = []Operation{op("get", "/w")} }, []string{"upper-case HTTP method"}},
		{"relative path", func(s *Spec) { s.Operations = []Operation{op("GET", "w")} }, []string{"does not start with /"}},
		{"repeated path parameter", func(s *Spec) { s.Operations = []Operation{op("GET", "/{id}/{id}", id)} }, []string{"empty or repeated"}},
		{"parameter twice", func(s *Spec) { s.Operations = []Operation{op("GET", "/{id}", id, id)} }, []string{"declared twice"}},
		{"bad parameter location", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/w", Param{Name: "q", In: "body"})}
		}, []string{`in "body"`}},
		{"bad parameter enum", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/w", Param{Name: "n", In: "query", Type: "integer", Enum: []string{"x"}})}
		}, []string{`"x" is not an integer`}},
		{"undeclared tag", func(s *Spec) {
			o := op("GET", "/w")
			o.Tag = "Nope"
			s.Operations = []Operation{o}
		}, []string{`tag "Nope" is not declared`}},
		{"status twice", func(s *Spec) {
			o := op("GET", "/w")
			o.Responses = []Response{{Status: 200}, {Status: 200}}
			s.Operations = []Operation{o}
		}, []string{"response 200 given twice"}},
		{"bad status", func(s *Spec) {
			o := op("GET", "/w")
			o.Responses = []Response{{Status: 0}}
			s.Operations = []Operation{o}
		}, []string{"status 0 is not an HTTP status"}},
		{"body type without JSON form", func(s *Spec) {
			o := op("POST", "/w")
			o.Body = struct{ F func() }{}
			s.Operations = []Operation{o}
		}, []string{"POST /w: request body:", "kind func"}},
		{"undeclared security scheme", func(s *Spec) {
			s.Security = []map[string][]string{{"oauth": nil}}
		}, []string{`undeclared scheme "oauth"`}},
		{"undeclared scheme in an operation's own security", func(s *Spec) {
			o := op("GET", "/metrics")
			o.Security = []map[string][]string{{"metricsToken": nil}}
			s.Operations = []Operation{o}
		}, []string{`GET /metrics: security requirement names undeclared scheme "metricsToken"`}},
		{"incomplete security scheme", func(s *Spec) {
			s.SecuritySchemes = map[string]SecurityScheme{"k": {Type: "apiKey", In: "header"}}
		}, []string{`security scheme "k": apiKey needs a Name`}},
		{"every problem is listed", func(s *Spec) {
			s.Operations = []Operation{op("GET", "/a/{id}"), {Method: "GET", Path: "/b"}}
		}, []string{"GET /a/{id}: {id}", "GET /b: no responses"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Title: "t", Version: "1", Tags: []Tag{{Name: "T"}}}
			tt.edit(&s)
			out, err := Build(s)
			if err == nil {
				t.Fatalf("no error; document:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestOperationSecurity: an operation with its own requirement lists it in
// place of the spec's; Public still means none.
func TestOperationSecurity(t *testing.T) {
	s := sampleSpec()
	s.SecuritySchemes["metricsToken"] = SecurityScheme{Type: "http", Scheme: "bearer"}
	s.Operations = append(s.Operations, Operation{Method: "GET", Path: "/metrics", Tag: "System",
		Security:  []map[string][]string{{"metricsToken": nil}, {"apiKey": nil}},
		Responses: []Response{{Status: 200, ContentType: "text/plain"}}})
	out, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/metrics": `[{"metricsToken":[]},{"apiKey":[]}]`,
		"/healthz": `[]`,
	} {
		if got := canonical(t, at(t, doc, "paths", path, "get", "security")); got != canonical(t, mustUnmarshal(t, want)) {
			t.Errorf("%s security = %s, want %s", path, got, want)
		}
	}
	if got := canonical(t, at(t, doc, "security")); got != canonical(t, mustUnmarshal(t, `[{"apiKey":[]},{"bearer":[]}]`)) {
		t.Errorf("the spec's security changed: %s", got)
	}
}

func TestOperationID(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/", "get"},
		{"GET", "/api/workflows", "getApiWorkflows"},
		{"POST", "/api/workflows/{id}/start", "postApiWorkflowsByIdStart"},
		{"PUT", "/api/channel-groups/{groupId}", "putApiChannelGroupsByGroupId"},
	}
	for _, tt := range tests {
		if got := operationID(tt.method, tt.path); got != tt.want {
			t.Errorf("operationID(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// at follows keys into a decoded JSON document.
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object", k)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("no key %q among %v", k, slices.Sorted(mapKeys(m)))
		}
	}
	return v
}

// objectKeys returns the keys of the object at path in the order they are
// written, which a decoded map would lose.
func objectKeys(t *testing.T, doc []byte, path ...string) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		raw = m[k]
	}
	dec = json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func mustUnmarshal(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// canonical writes decoded JSON with sorted keys, to compare values whatever
// order their keys were written in.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
