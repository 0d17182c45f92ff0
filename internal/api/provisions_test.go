package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
)

const smBase = "/streammanager/api/4.0/admin/event/meta"

// red5 sends a Stream Manager request as its clients do: the token in
// ?accessToken= (a wrong x-api-key beside it shows that the query is what
// counts), the body as given. It answers the status and the parsed body.
func (e *env) red5(method, path, token, body string) (int, map[string]any, []byte) {
	e.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if token != "" {
		path += sep + "accessToken=" + token
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("x-api-key", "not-the-key")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out, raw
}

// red5Fails wants a Stream Manager failure: the status, and
// {errorMessage, timestamp} whose message holds each of words.
func (e *env) red5Fails(method, path, token, body string, status int, words ...string) {
	e.t.Helper()
	code, out, raw := e.red5(method, path, token, body)
	msg, _ := out["errorMessage"].(string)
	ts, _ := out["timestamp"].(float64)
	if code != status || msg == "" || len(out) != 2 || time.Since(time.UnixMilli(int64(ts))).Abs() > time.Minute {
		e.t.Errorf("%s %s: %d %s, want %d with {errorMessage, timestamp}", method, path, code, raw, status)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			e.t.Errorf("%s %s: message %q does not say %q", method, path, msg, w)
		}
	}
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonOf parses what the document prints (trailing commas and all).
func jsonOf(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(api.StripTrailingCommas([]byte(text)), &v); err != nil {
		t.Fatalf("%v in %s", err, text)
	}
	return v
}

// TestStreamManagerDocument replays the document's requests verbatim, at
// its paths, with accessToken, and checks each answer against the one it
// prints.
func TestStreamManagerDocument(t *testing.T) {
	e := newEnv(t)
	create, update := testdata(t, "red5_create.json"), testdata(t, "red5_update.json")
	one := smBase + "/live/stream1"

	before := time.Now().Add(-time.Second)
	code, out, raw := e.red5("POST", one, adminKey, create)
	if code != 201 {
		t.Fatalf("create: %d %s", code, raw)
	}
	// The answer is the document's: the meta sent, level and qos as
	// numbers, restricted as it was given (a string), updated in ms.
	want := map[string]any{"name": "stream1", "scope": "live", "data": jsonOf(t, create)}
	updated, _ := out["updated"].(float64)
	if u := time.UnixMilli(int64(updated)); u.Before(before) || u.After(time.Now().Add(time.Second)) {
		t.Errorf("updated %v is no epoch-ms time of now", out["updated"])
	}
	delete(out, "updated")
	if !reflect.DeepEqual(out, want) {
		t.Errorf("create answered\n %s\nwant\n %v", raw, want)
	}

	for _, list := range []string{smBase, smBase + "/"} {
		code, _, raw := e.red5("GET", list, adminKey, "")
		var items []map[string]any
		if code != 200 || json.Unmarshal(raw, &items) != nil || len(items) != 1 || items[0]["name"] != "stream1" || items[0]["scope"] != "live" {
			t.Errorf("GET %s: %d %s, want an array of the one provision", list, code, raw)
		}
	}
	code, got, raw := e.red5("GET", one, adminKey, "")
	delete(got, "updated")
	if code != 200 || !reflect.DeepEqual(got, want) {
		t.Errorf("read: %d %s", code, raw)
	}

	// The document's fragment example.
	code, got, raw = e.red5("GET", one+"?key=authentication", adminKey, "")
	if code != 200 || !reflect.DeepEqual(got["data"], jsonOf(t, `{"authentication": {"username": "acme", "password": "acme!newpass"}}`)) ||
		got["name"] != "stream1" || got["scope"] != "live" || got["updated"] == nil {
		t.Errorf("fragment: %d %s", code, raw)
	}
	e.red5Fails("GET", one+"?key=nothing", adminKey, "", 404, "nothing")

	// The document's update: new password, empty properties.
	code, got, raw = e.red5("PUT", one, adminKey, update)
	wantUpdate := map[string]any{"name": "stream1", "scope": "live", "data": jsonOf(t, update)}
	if got["updated"].(float64) < updated {
		t.Errorf("update's updated %v is before create's %v", got["updated"], updated)
	}
	delete(got, "updated")
	if code != 200 || !reflect.DeepEqual(got, wantUpdate) {
		t.Errorf("update: %d %s\nwant %v", code, raw, wantUpdate)
	}

	code, got, raw = e.red5("DELETE", one, adminKey, "")
	delete(got, "updated")
	if code != 200 || !reflect.DeepEqual(got, wantUpdate) {
		t.Errorf("delete: %d %s", code, raw)
	}
	e.red5Fails("GET", one, adminKey, "", 404, "live/stream1")
	e.red5Fails("PUT", one, adminKey, update, 404, "live/stream1")
	e.red5Fails("DELETE", one, adminKey, "", 404, "live/stream1")
}

// TestStreamManagerRefusals: every failure is {errorMessage, timestamp}
// under 400 or 404, names what is wrong, and changes nothing.
func TestStreamManagerRefusals(t *testing.T) {
	e := newEnv(t)
	one := smBase + "/live/stream1"
	body := func(meta string) string { return `{"meta": ` + meta + `}` }

	// Credentials: none, a wrong token, each a 400 in the document's shape.
	req, _ := http.NewRequest("GET", e.srv.URL+smBase+"?accessToken=nope", nil)
	req.Header.Set("Authorization", "Bearer x.y.z") // keeps the test's admin key out
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var eb map[string]any
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != 400 || eb["errorMessage"] == nil || eb["timestamp"] == nil {
		t.Errorf("a wrong accessToken: %d %v", resp.StatusCode, eb)
	}
	e.red5Fails("POST", one, "not-a-key", body(`{"qos": 3}`), 400, "accessToken")

	for _, c := range []struct {
		name, meta string
		words      []string
	}{
		{"qos", `{"qos": 2}`, []string{"meta.qos", "3"}},
		{"qos type", `{"qos": "high"}`, []string{"meta.qos"}},
		{"level type", `{"stream": [{"name": "a", "level": "top", "properties": {}}]}`, []string{"meta.stream[0].level"}},
		{"level zero", `{"stream": [{"name": "a", "level": 0, "properties": {}}]}`, []string{"meta.stream[0].level", "positive"}},
		{"level twice", `{"stream": [{"name": "a", "level": 1, "properties": {}}, {"name": "b", "level": "1", "properties": {}}]}`, []string{"meta.stream[1].level", "twice"}},
		{"name twice", `{"stream": [{"name": "a", "level": 1, "properties": {}}, {"name": "a", "level": 2, "properties": {}}]}`, []string{"meta.stream[1].name", "twice"}},
		{"name is a path", `{"stream": [{"name": "a/b", "level": 1, "properties": {}}]}`, []string{"meta.stream[0].name"}},
		{"width", `{"stream": [{"name": "a", "level": 1, "properties": {"videoWidth": 99999, "videoHeight": 600, "videoBR": 750000}}]}`, []string{"meta.stream[0].properties.videoWidth", "7680"}},
		{"bitrate in kbps", `{"stream": [{"name": "a", "level": 1}, {"name": "b", "level": 2, "properties": {"videoWidth": 640, "videoHeight": 360, "videoBR": 500}}]}`, []string{"meta.stream[1].properties.videoBR"}},
		{"rung without size", `{"stream": [{"name": "a", "level": 1}, {"name": "b", "level": 2, "properties": {"videoBR": 500000}}]}`, []string{"meta.stream[1].properties.videoWidth", "meta.stream[1].properties.videoHeight"}},
		{"unknown property", `{"stream": [{"name": "a", "level": 1, "properties": {"audioBR": 64000}}]}`, []string{"meta.stream[0].properties.audioBR"}},
		{"restricted", `{"georules": {"regions": ["US"], "restricted": "yes"}}`, []string{"meta.georules.restricted"}},
		{"region", `{"georules": {"regions": ["USA"], "restricted": true}}`, []string{"meta.georules.regions[0]"}},
		{"nobody may play", `{"georules": {"regions": [], "restricted": true}}`, []string{"meta.georules.regions"}},
		{"password", `{"authentication": {"username": "acme"}}`, []string{"meta.authentication.password"}},
	} {
		e.red5Fails("POST", one, adminKey, body(c.meta), 400, c.words...)
	}
	e.red5Fails("POST", one, adminKey, `{"meta": {}, "extra": 1}`, 400, "extra")
	e.red5Fails("POST", one, adminKey, `{}`, 400, "meta")
	e.red5Fails("POST", one, adminKey, `{"meta": {"qos": 3}`, 400, "malformed")
	e.red5Fails("POST", one, adminKey, `{"meta": {"qos": 3, "qos": 3}}`, 400, "twice")
	e.red5Fails("POST", smBase+"/live/bad%20name", adminKey, body(`{}`), 400, "streamName")
	e.red5Fails("GET", smBase+"/live/stream1", adminKey, "", 404, "live/stream1")
	if code, _, raw := e.red5("GET", smBase, adminKey, ""); code != 200 || strings.TrimSpace(string(raw)) != "[]" {
		t.Errorf("refused creates left something: %d %s", code, raw)
	}

	// A path, or a variant's name, is one provision's.
	if code, _, raw := e.red5("POST", one, adminKey, body(`{"stream": [{"name": "stream1_1", "level": 1, "properties": {}}]}`)); code != 201 {
		t.Fatalf("create: %d %s", code, raw)
	}
	e.red5Fails("POST", one, adminKey, body(`{}`), 400, "already exists")
	e.red5Fails("POST", smBase+"/live/stream1_1", adminKey, body(`{}`), 400, "stream1_1")

	// The facade's trailing commas are its own: the workflow API still refuses them.
	if code := e.do("POST", "/api/workflows", `{"name": "x",}`, nil); code != 400 {
		t.Errorf("a trailing comma on /api/workflows: %d, want 400", code)
	}
}

// TestStreamManagerTypes: level and qos given as strings come back as
// numbers; restricted comes back in the form it was given.
func TestStreamManagerTypes(t *testing.T) {
	e := newEnv(t)
	code, out, raw := e.red5("POST", smBase+"/live/typed", adminKey,
		`{"meta": {"stream": [{"name": "typed_1", "level": "1", "properties": {}}], "georules": {"regions": ["US"], "restricted": true}, "qos": "3", "custom": {"a": [1]}}}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, raw)
	}
	meta := out["data"].(map[string]any)["meta"].(map[string]any)
	want := jsonOf(t, `{"stream": [{"name": "typed_1", "level": 1, "properties": {}}], "georules": {"regions": ["US"], "restricted": true}, "qos": 3, "custom": {"a": [1]}}`)
	if !reflect.DeepEqual(meta, want) {
		t.Errorf("meta answered %v, want %v", meta, want)
	}
	// Any root property of meta is a fragment.
	if code, got, raw := e.red5("GET", smBase+"/live/typed?key=custom", adminKey, ""); code != 200 ||
		!reflect.DeepEqual(got["data"], jsonOf(t, `{"custom": {"a": [1]}}`)) {
		t.Errorf("fragment of an extra property: %d %s", code, raw)
	}
	var buf bytes.Buffer
	json.Compact(&buf, raw)
	if !strings.Contains(buf.String(), `"level":1`) || !strings.Contains(buf.String(), `"qos":3`) {
		t.Errorf("numbers not answered as numbers: %s", buf.String())
	}
}
