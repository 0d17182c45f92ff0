package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/store"
)

// FuzzRequestBodies sends arbitrary bytes as the body of every route that reads
// one. Whatever arrives, the answer is a success or a 4xx with a JSON message,
// never a 5xx or a panic.
func FuzzRequestBodies(f *testing.F) {
	bp, err := os.ReadFile(filepath.Join("testdata", "blueprint-720.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(0, []byte(`{"name":"Live01","blueprint":`+string(bp)+`}`))
	f.Add(1, bp)
	f.Add(2, []byte(`{"workflows":["a","b"]}`))
	f.Add(0, []byte(`{"name":"x","blueprint":{"settings":{"channel":{"video":[{"gopSeconds":1e308}]}}}}`))
	f.Add(0, []byte(`{"name":"x","schedule":{"startDateTime":"2020-12-16T13:59:28.610Z","duration":5,"recurrence":{"unit":"WEEK","days":["MON"],"endDate":"2020-12-16"}}}`))
	f.Add(3, []byte(`{"name":"x","blueprint":null}`))
	f.Add(3, []byte(`{"id":"x","status":"READY","created":"2020-12-16T13:59:28.610Z","name":"x","name":"y"}`))
	f.Add(5, bp)
	for _, name := range []string{"red5_create.json", "red5_update.json"} {
		doc, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(7, doc)
		f.Add(8, doc)
	}

	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(f.TempDir(), "onair.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	a := api.New(api.Options{Store: st, Region: "local", PublicURL: "http://onair.test", IngestHost: "onair.test:1935"})
	mux := http.NewServeMux()
	a.Register(mux)
	seedAdmin(f, st)
	h := asAdmin(mux)
	routes := []struct{ method, path string }{
		{"POST", "/api/workflows"},
		{"POST", "/api/blueprints"},
		{"POST", "/api/channels"},
		{"PUT", "/api/workflows/x"},
		{"DELETE", "/api/channels"},
		{"PUT", "/api/blueprints/x"},
		{"POST", "/api/streams/x"},
		{"POST", "/streammanager/api/4.0/admin/event/meta/live/stream1"},
		{"PUT", "/streammanager/api/4.0/admin/event/meta/live/stream1"},
	}
	f.Fuzz(func(t *testing.T, route int, body []byte) {
		if route < 0 {
			route = -route
		}
		rt := routes[route%len(routes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s", rt.method, rt.path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !bytes.Contains(rec.Body.Bytes(), []byte(`"message"`)) && !bytes.Contains(rec.Body.Bytes(), []byte(`"errorMessage"`)) {
			t.Fatalf("%d without a message: %s", rec.Code, rec.Body)
		}
	})
}

// FuzzStripTrailingCommas: the Stream Manager's trailing commas go, and
// nothing else: valid JSON comes out as it went in, and what comes out is
// never longer.
func FuzzStripTrailingCommas(f *testing.F) {
	for _, name := range []string{"red5_create.json", "red5_update.json", "blueprint-720.json"} {
		doc, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Add([]byte(`{"a": "x,}", "b": [1,2,],}`))
	f.Add([]byte(`{"a": "\\",}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := api.StripTrailingCommas(in)
		if len(out) > len(in) {
			t.Fatalf("%q grew to %q", in, out)
		}
		if json.Valid(in) && !bytes.Equal(in, out) {
			t.Fatalf("valid JSON %q changed to %q", in, out)
		}
	})
}

// FuzzParseProvisionMeta reads arbitrary bytes as a provision's meta. Parsing
// never panics, and meta it parses and accepts reads back the same from what
// RenderProvisionMeta writes of it (so that a GET → PUT round trip keeps the
// provision as it is).
func FuzzParseProvisionMeta(f *testing.F) {
	f.Add([]byte(docMeta(f, "red5_create.json")))
	f.Add([]byte(docMeta(f, "red5_update.json")))
	f.Add([]byte(docTemplateMeta))
	f.Add([]byte(`{"stream":[{"name":"a","level":"2","properties":{"videoWidth":"640","videoHeight":480,"videoBR":500000}},{"name":"b","level":1}],"qos":"3"}`))
	f.Add([]byte(`{"georules":{"regions":["us","CA"],"restricted":true},"custom":{"b":[1,2.50,"<&>"]},"x":null}`))
	f.Add([]byte(`{"authentication":{"username":"acme","password":"acme!newpass"},"stream":null,"georules":null,"qos":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := api.ParseProvisionMeta(data)
		if err != nil || m.Validate("stream1") != nil {
			return
		}
		out, err := api.RenderProvisionMeta(m)
		if err != nil {
			t.Fatalf("accepted meta does not render: %v", err)
		}
		again, err := api.ParseProvisionMeta(out)
		if err != nil {
			t.Fatalf("accepted meta does not read back from %s: %v", out, err)
		}
		if !maps.EqualFunc(m.Extra, again.Extra, sameJSON) {
			t.Errorf("extra %s reads back as %s", extraText(m.Extra), extraText(again.Extra))
		}
		m.Extra, again.Extra = nil, nil
		// Georules without regions go out as "regions": [], which reads back
		// as an empty list: the same rules.
		for _, g := range []*domain.Georules{m.Georules, again.Georules} {
			if g != nil && len(g.Regions) == 0 {
				g.Regions = nil
			}
		}
		if !reflect.DeepEqual(m, again) {
			t.Errorf("%s reads back from %s as another meta:\n%s\nwant\n%s", data, out, dump(again), dump(m))
		}
	})
}

// sameJSON compares JSON texts compacted, with <, > and & escaped as
// json.Marshal escapes them.
func sameJSON(a, b json.RawMessage) bool {
	return bytes.Equal(canonicalJSON(a), canonicalJSON(b))
}

func canonicalJSON(raw json.RawMessage) []byte {
	var c, e bytes.Buffer
	if json.Compact(&c, raw) != nil {
		return raw
	}
	json.HTMLEscape(&e, c.Bytes())
	return e.Bytes()
}

func extraText(extra map[string]json.RawMessage) string {
	b, _ := json.Marshal(extra)
	return string(b)
}
