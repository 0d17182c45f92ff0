package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/store"
)

// env is an API over a real SQLite store, driven over HTTP.
type env struct {
	t     *testing.T
	store store.Store
	srv   *httptest.Server
	kicks int
}

func (e *env) Notify() { e.kicks++ }

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with options changed (a logger, metrics, a live domain).
func newEnvWith(t *testing.T, change func(*api.Options)) *env {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st}
	o := api.Options{Store: st, Controller: e, Region: "local", PublicURL: "http://onair.test", IngestHost: "onair.test:1935"}
	if change != nil {
		change(&o)
	}
	a := api.New(o)
	mux := http.NewServeMux()
	a.Register(mux)
	seedAdmin(t, st)
	e.srv = httptest.NewServer(asAdmin(mux))
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request with a JSON (or raw string) body and decodes the answer into out.
func (e *env) do(method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// create posts a workflow from a built-in blueprint and returns its id.
func (e *env) create(name string, tags []string, desc string) string {
	e.t.Helper()
	var b domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &b)
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", map[string]any{"name": name, "description": desc, "blueprint": b, "tags": tags}, &id); code != 201 {
		e.t.Fatalf("create %s: %d", name, code)
	}
	return id.ID
}

func (e *env) setStatus(id string, s domain.Status) {
	e.t.Helper()
	_, err := e.store.UpdateChannel(context.Background(), "default", id, func(ch *domain.Channel) error {
		ch.Workflow.Status = s
		if ch.Run != nil {
			ch.Run.Status = s
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestGuideFlow is the IOIO guide's create, list, duplicate flow with its bodies.
func TestGuideFlow(t *testing.T) {
	e := newEnv(t)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if code := e.do("GET", "/api/blueprints", nil, &list); code != 200 || len(list.Items) != 4 {
		t.Fatalf("blueprints: %d %v", code, list)
	}
	for _, key := range []string{"id", "name", "description", "featured", "tags"} {
		if _, ok := list.Items[0][key]; !ok {
			t.Errorf("blueprint item lacks %s: %v", key, list.Items[0])
		}
	}
	var bp json.RawMessage
	if code := e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &bp); code != 200 {
		t.Fatalf("get blueprint: %d", code)
	}

	// The guide's body, verbatim but for the blueprint pasted in.
	body := `{
"region": "string",
"name": "string",
"description": "string",
"blueprint": ` + string(bp) + `,
"tags": [
"string"
],
"schedule": {
"startDateTime": "2020-12-16T13:59:28.610Z",
"duration": 0,
"recurrence": {
"unit": "DAY",
"days": [
"MON"
],
"endDate": "2020-12-16"
}
}
}`
	var eb api.ErrorBody
	if code := e.do("POST", "/api/workflows", body, &eb); code != 400 {
		t.Fatalf("placeholder region and duration 0 accepted: %d", code)
	}
	fields := map[string]bool{}
	for _, f := range eb.Errors {
		fields[f.Field] = true
	}
	if !fields["region"] || !fields["schedule.duration"] {
		t.Fatalf("errors %v, want region and schedule.duration named", eb.Errors)
	}

	body = strings.Replace(strings.Replace(body, `"region": "string"`, `"region": "local"`, 1), `"duration": 0`, `"duration": 100`, 1)
	body = strings.Replace(body, `"name": "string"`, `"name": "Live01"`, 1)
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", body, &id); code != 201 || id.ID == "" {
		t.Fatalf("create: %d %v", code, id)
	}
	var wl api.WorkflowList
	e.do("GET", "/api/workflows", nil, &wl)
	if len(wl.Items) != 1 || wl.Items[0].Name != "Live01" || wl.Items[0].Status != domain.StatusReady ||
		wl.Items[0].BlueprintID != "rtmp-abr-720" || wl.Items[0].Region != "local" || wl.Items[0].Created.IsZero() {
		t.Fatalf("list: %+v", wl)
	}
	var wf domain.Workflow
	e.do("GET", "/api/workflows/"+id.ID, nil, &wf)
	if wf.Schedule == nil || wf.Schedule.Duration != 100 || wf.Schedule.Recurrence.Days[0] != "MON" || !wf.CreateArchives || len(wf.Blueprint.Settings.Channel.Video) != 4 {
		t.Fatalf("workflow: %+v", wf)
	}

	var dup api.IDResponse
	if code := e.do("POST", "/api/workflows/"+id.ID+"/duplicate", nil, &dup); code != 201 || dup.ID == id.ID {
		t.Fatalf("duplicate: %d %v", code, dup)
	}
	e.do("GET", "/api/workflows", nil, &wl)
	if len(wl.Items) != 2 || wl.Items[0].ID != dup.ID || wl.Items[1].ID != id.ID {
		t.Fatalf("after duplicate, newest first: %+v", wl.Items)
	}
	var d domain.Workflow
	e.do("GET", "/api/workflows/"+dup.ID, nil, &d)
	if d.Status != domain.StatusReady || d.Name != "Live01" || d.Schedule.Duration != 100 || d.Tags[0] != "string" {
		t.Fatalf("duplicate lost settings: %+v", d)
	}
}

func TestWorkflowFilters(t *testing.T) {
	e := newEnv(t)
	a := e.create("Morning news", []string{"news", "am"}, "daily show")
	b := e.create("Evening news", []string{"news", "pm"}, "")
	c := e.create("Match", []string{"sport", "pm"}, "live_now")
	e.setStatus(b, domain.StatusDone)
	e.setStatus(c, domain.StatusRunning)

	ids := func(q string) []string {
		var wl api.WorkflowList
		if code := e.do("GET", "/api/workflows"+q, nil, &wl); code != 200 {
			t.Fatalf("%s: %d", q, code)
		}
		var out []string
		for _, w := range wl.Items {
			out = append(out, w.ID)
		}
		return out
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"", []string{c, b, a}},
		{"?tags=news", []string{b, a}},
		{"?tags=news,pm", []string{b}},
		{"?tags=news,sport", nil},
		{"?status=READY", []string{a}},
		{"?status=READY,DONE", []string{b, a}},
		{"?status=ready,running", []string{c, a}},
		{"?search=NEWS", []string{b, a}},
		{"?search=daily", []string{a}},
		{"?search=e_n", []string{c}},
		{"?search=_", []string{c}},
		{"?tags=pm&status=RUNNING,READY", []string{c}},
		// A repeated parameter is its comma form: every tag, any status.
		{"?tags=news&tags=pm", []string{b}},
		{"?tags=pm,news&tags=news", []string{b}},
		{"?tags=news&tags=pm&tags=sport", nil},
		{"?tags=pm&tags=", []string{c, b}},
		{"?status=READY&status=DONE", []string{b, a}},
		{"?status=ready&status=RUNNING,done", []string{c, b, a}},
		{"?status=RUNNING&status=RUNNING", []string{c}},
		{"?tags=pm&status=READY&status=RUNNING", []string{c}},
	}
	for _, tc := range cases {
		if got := ids(tc.q); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %v, want %v", tc.q, got, tc.want)
		}
	}

	var p1, p2 api.WorkflowList
	e.do("GET", "/api/workflows?limit=2", nil, &p1)
	if len(p1.Items) != 2 || p1.Next == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	e.do("GET", "/api/workflows?limit=2&next="+p1.Next, nil, &p2)
	if len(p2.Items) != 1 || p2.Next != "" || p2.Items[0].ID != a {
		t.Fatalf("page 2: %+v", p2)
	}
	for q, field := range map[string]string{
		"?limit=0": "limit", "?limit=x": "limit", "?limit=501": "limit", "?status=PAUSED": "status", "?tags=a%20b": "tags",
		"?next=garbage!": "next", "?status=READY&status=PAUSED": "status", "?tags=news&tags=a%20b": "tags",
	} {
		var eb api.ErrorBody
		if code := e.do("GET", "/api/workflows"+q, nil, &eb); code != 400 || eb.Message == "" || eb.Field != field {
			t.Errorf("%s: %d %+v, want 400 on %s", q, code, eb, field)
		}
	}
}

// TestBadInput checks that each bad request gets its status, names the field, and
// changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	id := e.create("Keep", []string{"x"}, "")
	var bp domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &bp)
	valid := map[string]any{"name": "New", "blueprint": bp}
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	noOutputs := bp
	noOutputs.Settings.OutputGroups = nil
	archiveOnly := bp
	archiveOnly.Settings.OutputGroups = []domain.OutputGroup{bp.Settings.OutputGroups[1]}
	mine := bp
	mine.ID, mine.BuiltIn = "mine", false
	withName := func(name string) map[string]any { return map[string]any{"name": name, "blueprint": bp} }
	cases := []struct {
		name, method, path string
		body               any
		contentType        string
		code               int
		field              string
	}{
		{"malformed", "POST", "/api/workflows", `{"name": "x",`, "", 400, ""},
		{"not an object", "POST", "/api/workflows", `[1]`, "", 400, ""},
		{"trailing data", "POST", "/api/workflows", `{"name":"x"} {}`, "", 400, ""},
		{"empty", "POST", "/api/workflows", ``, "", 400, ""},
		{"unknown field", "POST", "/api/workflows", `{"name":"x","colour":1}`, "", 400, "colour"},
		{"wrong type", "POST", "/api/workflows", `{"name":5}`, "", 400, "name"},
		{"no blueprint", "POST", "/api/workflows", `{"name":"x"}`, "", 400, "blueprint"},
		{"no name", "POST", "/api/workflows", map[string]any{"blueprint": bp}, "", 400, "name"},
		{"too large", "POST", "/api/workflows", big, "", 413, ""},
		{"not json", "POST", "/api/workflows", valid, "text/plain", 415, ""},
		{"form", "POST", "/api/workflows", "name=x", "application/x-www-form-urlencoded", 415, ""},
		{"unknown workflow", "GET", "/api/workflows/nope", nil, "", 404, ""},
		{"update unknown", "PUT", "/api/workflows/nope", valid, "", 404, ""},
		{"delete unknown", "DELETE", "/api/workflows/nope", nil, "", 404, ""},
		{"duplicate unknown", "POST", "/api/workflows/nope/duplicate", nil, "", 404, ""},
		{"unknown blueprint", "GET", "/api/blueprints/nope", nil, "", 404, ""},
		{"update built-in", "PUT", "/api/blueprints/rtmp-abr-720", bp, "", 403, ""},
		{"delete built-in", "DELETE", "/api/blueprints/rtmp-abr-720", nil, "", 403, ""},
		{"take built-in id", "POST", "/api/blueprints", bp, "", 409, ""},
		{"channels empty", "POST", "/api/channels", `{"workflows":[]}`, "", 400, "workflows"},
		{"channels blank id", "POST", "/api/channels", `{"workflows":[""]}`, "", 400, "workflows[0]"},
		{"unknown channel", "GET", "/api/channels/nope", nil, "", 404, ""},
		{"unknown route", "GET", "/api/nothing", nil, "", 404, ""},
		{"no content type", "POST", "/api/workflows", valid, "none", 415, ""},
		{"no content type, channels", "POST", "/api/channels", `{"workflows":["` + id + `"]}`, "none", 415, ""},
		{"no content type, update", "PUT", "/api/workflows/" + id, valid, "none", 415, ""},
		{"other charset", "POST", "/api/workflows", valid, "application/json; charset=latin1", 415, ""},
		{"duplicate key", "POST", "/api/workflows", `{"name":"a","name":"b"}`, "", 400, "name"},
		{"duplicate nested key", "POST", "/api/channels", `{"workflows":["` + id + `"],"workflows":[]}`, "", 400, "workflows"},
		{"null body", "POST", "/api/workflows", `null`, "", 400, "(body)"},
		{"null body, update", "PUT", "/api/workflows/" + id, `null`, "", 400, "(body)"},
		{"null body, blueprint", "POST", "/api/blueprints", ` null `, "", 400, "(body)"},
		{"nested unknown field", "POST", "/api/workflows", `{"name":"x","blueprint":{"settings":{"colour":1}}}`, "", 400, "blueprint.settings.colour"},
		{"no output group", "POST", "/api/workflows", map[string]any{"name": "x", "blueprint": noOutputs}, "", 400, "blueprint.settings.outputGroups"},
		{"no output group, blueprint", "POST", "/api/blueprints", func() domain.Blueprint { b := mine; b.Settings.OutputGroups = nil; return b }(), "", 400, "settings.outputGroups"},
		{"an archive-only blueprint", "POST", "/api/workflows",
			map[string]any{"name": "x", "blueprint": archiveOnly}, "", 400, "blueprint.settings.outputGroups"},
		{"name with NUL", "POST", "/api/workflows", withName("a\x00b"), "", 400, "name"},
		{"name with ESC", "POST", "/api/workflows", withName("\x1b[31mred"), "", 400, "name"},
		{"name with RTL override", "PUT", "/api/workflows/" + id, withName("abc\u202e"), "", 400, "name"},
		{"blueprint name with newline", "POST", "/api/blueprints", func() domain.Blueprint { b := mine; b.Name = "a\nb"; return b }(), "", 400, "name"},
		{"key name with CR", "POST", "/api/api-keys", map[string]any{"name": "ci\r\nFAKE LOG LINE"}, "", 400, "name"},
		{"organization name with DEL", "POST", "/api/organizations", map[string]any{"name": "Org\x7f"}, "", 400, "name"},
		{"input name with tab", "POST", "/api/managed-inputs", map[string]any{"name": "Studio\tA"}, "", 400, "name"},
		{"email with NUL", "POST", "/api/users", map[string]any{"email": "ada\x00@example.com", "password": "long enough", "role": "viewer"}, "", 400, "email"},
		{"email with newline", "POST", "/api/users", map[string]any{"email": "ada@example.com\nx", "password": "long enough", "role": "viewer"}, "", 400, "email"},
		{"workflow id changed", "PUT", "/api/workflows/" + id, map[string]any{"id": "other", "name": "x", "blueprint": bp}, "", 400, "id"},
	}
	before := snapshot(t, e)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rd io.Reader
			switch b := tc.body.(type) {
			case nil:
			case string:
				rd = strings.NewReader(b)
			default:
				raw, _ := json.Marshal(b)
				rd = bytes.NewReader(raw)
			}
			req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, rd)
			ct := tc.contentType
			if ct == "" && rd != nil {
				ct = "application/json"
			}
			if ct != "" && ct != "none" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb api.ErrorBody
			json.NewDecoder(resp.Body).Decode(&eb)
			if resp.StatusCode != tc.code || eb.Message == "" || resp.Header.Get("Content-Type") != "application/json" {
				if !(tc.name == "unknown route" && resp.StatusCode == 404) {
					t.Fatalf("got %d %+v, want %d with a JSON message", resp.StatusCode, eb, tc.code)
				}
			}
			if tc.field != "" && eb.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", eb.Field, tc.field, eb.Message)
			}
		})
	}
	if after := snapshot(t, e); after != before {
		t.Fatalf("rejected requests changed the store:\n%s\n%s", before, after)
	}
	_ = id
}

// TestLockedWorkflows checks 409s on update and delete in every status that
// forbids them, and that the workflow is unchanged after.
func TestLockedWorkflows(t *testing.T) {
	e := newEnv(t)
	id := e.create("Locked", nil, "")
	var bp domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-passthrough", nil, &bp)
	for _, s := range domain.Statuses {
		e.setStatus(id, s)
		upd := e.do("PUT", "/api/workflows/"+id, map[string]any{"name": "Changed", "blueprint": bp}, nil)
		var wf domain.Workflow
		e.do("GET", "/api/workflows/"+id, nil, &wf)
		if s.Modifiable() {
			if upd != 200 || wf.Name != "Changed" || wf.BlueprintID != "rtmp-passthrough" {
				t.Errorf("%s: update %d, name %q", s, upd, wf.Name)
			}
			e.do("PUT", "/api/workflows/"+id, map[string]any{"name": "Locked", "blueprint": bp}, nil)
			continue
		}
		if upd != 409 || wf.Name != "Locked" {
			t.Errorf("%s: update %d, name %q; want 409 and no change", s, upd, wf.Name)
		}
		if code := e.do("DELETE", "/api/workflows/"+id, nil, nil); code != 409 {
			t.Errorf("%s: delete %d, want 409", s, code)
		}
	}
	e.setStatus(id, domain.StatusDone)
	if code := e.do("DELETE", "/api/workflows/"+id, nil, nil); code != 204 {
		t.Fatalf("delete DONE: %d", code)
	}
	if code := e.do("GET", "/api/workflows/"+id, nil, nil); code != 404 {
		t.Fatalf("deleted workflow still there: %d", code)
	}
}

func TestChannels(t *testing.T) {
	e := newEnv(t)
	ready := e.create("Ready", nil, "")
	done := e.create("Done", nil, "")
	e.setStatus(done, domain.StatusDone)

	var res api.ChannelsResult
	if code := e.do("POST", "/api/channels", map[string]any{"workflows": []string{ready, done, "nope", ready}}, &res); code != 200 {
		t.Fatalf("start: %d", code)
	}
	if len(res.Items) != 1 || res.Items[0].WorkflowID != ready || len(res.Failed) != 2 || e.kicks != 1 {
		t.Fatalf("start result: %+v (kicks %d)", res, e.kicks)
	}
	if !strings.Contains(res.Failed[0].Message, "duplicate") || !strings.Contains(res.Failed[1].Message, "not found") {
		t.Errorf("failure messages: %+v", res.Failed)
	}
	var info api.ChannelInfo
	e.do("GET", "/api/channels/"+ready, nil, &info)
	if info.ID != ready || info.Status != domain.StatusProvisioning || info.StartRequestedDateTime == nil || info.RunID == "" || info.Region != "local" {
		t.Fatalf("channel: %+v", info)
	}
	if code := e.do("POST", "/api/channels", map[string]any{"workflows": []string{ready}}, &res); code != 200 || len(res.Failed) != 1 {
		t.Fatalf("second start accepted: %+v", res)
	}

	res = api.ChannelsResult{}
	e.do("DELETE", "/api/channels", map[string]any{"workflows": []string{ready, done}}, &res)
	if len(res.Items) != 1 || len(res.Failed) != 1 {
		t.Fatalf("stop result: %+v", res)
	}
	e.do("GET", "/api/channels/"+ready, nil, &info)
	if info.StopRequestedDateTime == nil {
		t.Fatalf("stop not recorded: %+v", info)
	}

	// A channel that never ran answers with READY and empty lists.
	fresh := e.create("Fresh", nil, "")
	var raw map[string]any
	e.do("GET", "/api/channels/"+fresh, nil, &raw)
	if raw["status"] != "READY" || raw["endpoints"] == nil || raw["archives"] == nil {
		t.Fatalf("fresh channel: %v", raw)
	}

	var cl api.ChannelList
	e.do("GET", "/api/channels", nil, &cl)
	if len(cl.Items) != 1 || cl.Items[0].ID != ready || cl.Items[0].Name != "Ready" {
		t.Fatalf("channel list: %+v", cl)
	}
}

func TestChannelEndpointsAndArchives(t *testing.T) {
	e := newEnv(t)
	id := e.create("Show", nil, "")
	var res api.ChannelsResult
	e.do("POST", "/api/channels", map[string]any{"workflows": []string{id}}, &res)
	_, err := e.store.UpdateChannel(context.Background(), "default", id, func(ch *domain.Channel) error {
		ch.Run.Inputs = []domain.Ingest{{Pipeline: 0, App: "live", StreamKey: "k0"}}
		ch.Run.Archives = []domain.Archive{
			{ID: "a0", Playlist: "r/720p/index.m3u8", MP4: "r/720p.mp4", FileSize: 1000, Duration: 14.2},
			{ID: "a1", Playlist: "r/empty/index.m3u8", FileSize: 0},
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var info api.ChannelInfo
	e.do("GET", "/api/channels/"+id, nil, &info)
	if got := info.Endpoints.Input[0].Endpoints[0]; got != "rtmp://onair.test:1935/live/k0" {
		t.Errorf("ingest URL %q", got)
	}
	if got := info.Endpoints.Output[0]; got.Type != "HLS" || got.URL != "http://onair.test/live/"+id+"/master.m3u8" {
		t.Errorf("output %+v", got)
	}
	if a := info.Archives[0]; a.DownloadURL != "http://onair.test/archive/r/720p.mp4" || a.FileSize != 1000 || a.PlaylistURL == "" {
		t.Errorf("archive %+v", a)
	}
	if a := info.Archives[1]; a.DownloadURL != "" || a.FileSize != 0 {
		t.Errorf("an empty archive has a download link: %+v", a)
	}
}

func TestOwnBlueprints(t *testing.T) {
	e := newEnv(t)
	var bp domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &bp)
	if !bp.BuiltIn {
		t.Fatal("a built-in blueprint does not say so")
	}
	if code := e.do("POST", "/api/blueprints", bp, nil); code != 409 {
		t.Fatalf("took a built-in id: %d", code)
	}
	bp.ID = "my-720"
	bp.Name = "Mine"
	var id api.IDResponse
	if code := e.do("POST", "/api/blueprints", bp, &id); code != 201 || id.ID != "my-720" { // builtIn:true is ignored
		t.Fatalf("create: %d %v", code, id)
	}
	if code := e.do("POST", "/api/blueprints", bp, nil); code != 409 {
		t.Fatalf("second create with the same id: %d", code)
	}
	bp.Settings.Channel.Video = bp.Settings.Channel.Video[:2]
	var ro api.ErrorBody
	if code := e.do("PUT", "/api/blueprints/my-720", bp, &ro); code != 400 || ro.Field != "builtIn" { // the copy is not built in
		t.Fatalf("update claiming builtIn: %d %+v", code, ro)
	}
	bp.BuiltIn = false
	if code := e.do("PUT", "/api/blueprints/my-720", bp, nil); code != 200 {
		t.Fatalf("update: %d", code)
	}
	var got domain.Blueprint
	e.do("GET", "/api/blueprints/my-720", nil, &got)
	if len(got.Settings.Channel.Video) != 2 || got.BuiltIn {
		t.Fatalf("update not kept: %+v", got)
	}
	bp.Settings.Channel.Video[0].Width = 3
	var eb api.ErrorBody
	if code := e.do("PUT", "/api/blueprints/my-720", bp, &eb); code != 400 || eb.Field != "settings.channel.video[0].width" {
		t.Fatalf("invalid update: %d %+v", code, eb)
	}
	var list api.BlueprintList
	e.do("GET", "/api/blueprints", nil, &list)
	if len(list.Items) != 5 || list.Items[4].ID != "my-720" {
		t.Fatalf("list: %+v", list)
	}
	if code := e.do("DELETE", "/api/blueprints/my-720", nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code := e.do("GET", "/api/blueprints/my-720", nil, nil); code != 404 {
		t.Fatalf("deleted blueprint: %d", code)
	}
}

func TestRegions(t *testing.T) {
	e := newEnv(t)
	var rl api.RegionList
	e.do("GET", "/api/regions", nil, &rl)
	if len(rl.Items) != 1 || rl.Items[0] != (api.Region{ID: "local", Name: "local", Default: true}) {
		t.Fatalf("regions: %+v", rl)
	}
}

// snapshot renders everything the store holds for the default organization.
func snapshot(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	page, err := e.store.ListWorkflows(ctx, "default", store.WorkflowFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	// A page holds summaries: the whole workflows, blueprint and all, are read one by one.
	workflows := make([]domain.Workflow, len(page.Items))
	for i, sum := range page.Items {
		if workflows[i], err = e.store.GetWorkflow(ctx, "default", sum.ID); err != nil {
			t.Fatal(err)
		}
	}
	bps, _ := e.store.ListBlueprints(ctx, "default")
	runs, _ := e.store.ListRuns(ctx, "default", store.RunFilter{Limit: store.MaxLimit})
	streams, _ := e.store.ListStreams(ctx, "default")
	inputs, _ := e.store.ListManagedInputs(ctx, "default", "")
	users, _ := e.store.ListUsers(ctx, "default")
	keys, _ := e.store.ListAPIKeys(ctx, "default")
	raw, _ := json.Marshal([]any{workflows, bps, runs.Items, streams, inputs, users, keys})
	return string(raw)
}
