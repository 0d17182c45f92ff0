package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/openapi"
	"onair/internal/store"
)

var ingestURL = regexp.MustCompile(`^rtmp://onair\.test:1935/live/[0-9a-f]{32}$`)

// createInput posts a managed input and returns what the API answered.
func (e *env) createInput(body map[string]any) api.ManagedInputInfo {
	e.t.Helper()
	var in api.ManagedInputInfo
	if code := e.do("POST", "/api/managed-inputs", body, &in); code != 201 {
		e.t.Fatalf("create managed input %v: %d", body, code)
	}
	return in
}

// createOn posts a workflow from a built-in blueprint whose input is the managed
// input id, and returns the workflow's id.
func (e *env) createOn(name, blueprint, inputID string) string {
	e.t.Helper()
	var b domain.Blueprint
	e.do("GET", "/api/blueprints/"+blueprint, nil, &b)
	b.Settings.Inputs = []domain.Input{{ManagedInput: &domain.ManagedInputRef{ID: inputID}}}
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", map[string]any{"name": name, "blueprint": b}, &id); code != 201 {
		e.t.Fatalf("create %s: %d", name, code)
	}
	return id.ID
}

// start asks for one channel start and returns the refusal's message, or "".
func (e *env) start(id string) string {
	e.t.Helper()
	var res api.ChannelsResult
	if code := e.do("POST", "/api/channels", map[string]any{"workflows": []string{id}}, &res); code != 200 {
		e.t.Fatalf("start %s: %d", id, code)
	}
	if len(res.Failed) > 0 {
		return res.Failed[0].Message
	}
	if len(res.Items) != 1 || res.Items[0].WorkflowID != id {
		e.t.Fatalf("start %s: %+v", id, res)
	}
	return ""
}

func (e *env) getInput(id string) api.ManagedInputInfo {
	e.t.Helper()
	var in api.ManagedInputInfo
	if code := e.do("GET", "/api/managed-inputs/"+id, nil, &in); code != 200 {
		e.t.Fatalf("get managed input %s: %d", id, code)
	}
	return in
}

func TestManagedInputs(t *testing.T) {
	e := newEnv(t)
	before := time.Now().UTC().Add(-time.Second)

	single := e.createInput(map[string]any{"name": "Studio A", "type": "RTMP_PUSH"})
	if single.ID == "" || single.Name != "Studio A" || single.Region != "local" || single.Type != "RTMP_PUSH" ||
		single.Class != domain.ClassSinglePipeline || single.Status != "IDLE" || single.WorkflowID != "" ||
		single.Created.Before(before) {
		t.Errorf("created with defaults: %+v", single)
	}
	if len(single.Endpoints) != 1 || !ingestURL.MatchString(single.Endpoints[0]) {
		t.Errorf("SINGLE_PIPELINE endpoints %q, want one rtmp://onair.test:1935/live/<32 hex>", single.Endpoints)
	}

	std := e.createInput(map[string]any{"name": "Studio B", "region": "local", "class": "STANDARD"})
	if std.Class != domain.ClassStandard || std.Type != "RTMP_PUSH" || len(std.Endpoints) != 2 ||
		!ingestURL.MatchString(std.Endpoints[0]) || !ingestURL.MatchString(std.Endpoints[1]) ||
		std.Endpoints[0] == std.Endpoints[1] || std.Endpoints[0] == single.Endpoints[0] {
		t.Errorf("STANDARD: %+v, want two distinct endpoints", std)
	}

	// The answer names exactly the documented keys.
	var raw map[string]any
	e.do("GET", "/api/managed-inputs/"+single.ID, nil, &raw)
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	for _, k := range []string{"id", "name", "region", "type", "class", "endpoints", "status", "created"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("GET lacks %q: %v", k, raw)
		}
	}
	if len(raw) != 8 {
		t.Errorf("GET has keys %v", keys)
	}
	if got := e.getInput(single.ID); fmt.Sprint(got) != fmt.Sprint(single) {
		t.Errorf("GET %+v\nPOST answered %+v", got, single)
	}

	// An input of another region, from before a region change, say.
	err := e.store.CreateManagedInput(context.Background(), domain.ManagedInput{
		ID: "old", OrgID: "default", Name: "Old", Region: "eu-west", Type: "RTMP_PUSH", Class: domain.ClassSinglePipeline,
		Ingests: []domain.Ingest{{App: "live", StreamKey: "k0"}}, Created: before.Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	list := func(q string) []string {
		var l api.ManagedInputList
		if code := e.do("GET", "/api/managed-inputs"+q, nil, &l); code != 200 {
			t.Fatalf("list%s: %d", q, code)
		}
		ids := []string{}
		for _, in := range l.Items {
			ids = append(ids, in.ID)
		}
		return ids
	}
	if got, want := list(""), []string{std.ID, single.ID, "old"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("list, newest first: %v, want %v", got, want)
	}
	if got, want := list("?region=local"), []string{std.ID, single.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("list ?region=local: %v, want %v", got, want)
	}
	if got := list("?region=eu-west"); fmt.Sprint(got) != "[old]" {
		t.Errorf("list ?region=eu-west: %v", got)
	}
	if got := list("?region=mars"); len(got) != 0 {
		t.Errorf("list ?region=mars: %v", got)
	}

	if code := e.do("DELETE", "/api/managed-inputs/"+single.ID, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	var eb api.ErrorBody
	if code := e.do("GET", "/api/managed-inputs/"+single.ID, nil, &eb); code != 404 || !strings.Contains(eb.Message, single.ID) {
		t.Errorf("GET after delete: %d %+v", code, eb)
	}
	if code := e.do("DELETE", "/api/managed-inputs/"+single.ID, nil, &eb); code != 404 {
		t.Errorf("second delete: %d", code)
	}
	if got, want := list(""), []string{std.ID, "old"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("list after delete: %v, want %v", got, want)
	}
}

func TestManagedInputBadRequests(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		body   any
		field  string
		status int
	}{
		{"no name", `{"type":"RTMP_PUSH"}`, "name", 400},
		{"empty name", `{"name":""}`, "name", 400},
		{"name with <", `{"name":"a<b"}`, "name", 400},
		{"other type", `{"name":"a","type":"SRT_LISTENER"}`, "type", 400},
		{"unknown class", `{"name":"a","class":"TRIPLE"}`, "class", 400},
		{"unknown region", `{"name":"a","region":"us-east-1"}`, "region", 400},
		{"unknown field", `{"name":"a","protocol":"RTMP_PUSH"}`, "protocol", 400},
		{"wrong type", `{"name":1}`, "name", 400},
		{"malformed", `{"name":`, "", 400},
	}
	for _, tc := range cases {
		var eb api.ErrorBody
		code := e.do("POST", "/api/managed-inputs", tc.body, &eb)
		if code != tc.status || eb.Field != tc.field || eb.Message == "" {
			t.Errorf("%s: got %d %+v, want %d on field %q", tc.name, code, eb, tc.status, tc.field)
		}
		if tc.field != "" && !strings.Contains(eb.Message, tc.field) {
			t.Errorf("%s: message %q does not name %s", tc.name, eb.Message, tc.field)
		}
	}
	var l api.ManagedInputList
	if e.do("GET", "/api/managed-inputs", nil, &l); len(l.Items) != 0 {
		t.Errorf("refused requests created inputs: %+v", l.Items)
	}
	var eb api.ErrorBody
	if code := e.do("GET", "/api/managed-inputs/nope", nil, &eb); code != 404 || !strings.Contains(eb.Message, `managed input "nope" not found`) {
		t.Errorf("GET unknown: %d %+v", code, eb)
	}
	if code := e.do("DELETE", "/api/managed-inputs/nope", nil, &eb); code != 404 {
		t.Errorf("DELETE unknown: %d %+v", code, eb)
	}
}

// TestManagedInputRuns starts workflows on a managed input through the channels
// API: one run at a time, the same endpoint every run, no delete while in use.
func TestManagedInputRuns(t *testing.T) {
	e := newEnv(t)
	in := e.createInput(map[string]any{"name": "Studio"})
	first := e.createOn("First", "rtmp-abr-720", in.ID)
	second := e.createOn("Second", "rtmp-abr-720", in.ID)

	if msg := e.start(first); msg != "" {
		t.Fatalf("first start refused: %s", msg)
	}
	var info api.ChannelInfo
	e.do("GET", "/api/channels/"+first, nil, &info)
	// No controller runs here: the run stays PROVISIONING, which holds the input.
	if info.Status != domain.StatusProvisioning || len(info.Endpoints.Input) != 1 ||
		fmt.Sprint(info.Endpoints.Input[0].Endpoints) != fmt.Sprint(in.Endpoints) {
		t.Fatalf("first run: %s %+v, want the managed input's endpoints %v", info.Status, info.Endpoints.Input, in.Endpoints)
	}
	if got := e.getInput(in.ID); got.Status != "IN_USE" || got.WorkflowID != first {
		t.Errorf("input while the first run starts: %s held by %q", got.Status, got.WorkflowID)
	}
	var l api.ManagedInputList
	if e.do("GET", "/api/managed-inputs", nil, &l); len(l.Items) != 1 || l.Items[0].Status != "IN_USE" || l.Items[0].WorkflowID != first {
		t.Errorf("list while in use: %+v", l.Items)
	}

	msg := e.start(second)
	if msg == "" || !strings.Contains(msg, in.ID) || !strings.Contains(msg, first) {
		t.Errorf("second start on a held input: message %q, want one naming the input and its holder", msg)
	}
	var wf domain.Workflow
	if e.do("GET", "/api/workflows/"+second, nil, &wf); wf.Status != domain.StatusReady {
		t.Errorf("refused workflow is %s, want READY", wf.Status)
	}

	var eb api.ErrorBody
	if code := e.do("DELETE", "/api/managed-inputs/"+in.ID, nil, &eb); code != 409 || !strings.Contains(eb.Message, first) {
		t.Errorf("delete while in use: %d %+v, want 409 naming the workflow", code, eb)
	}

	// The first run ends (the controller would release the input; without one the
	// stale claim must not count).
	e.setStatus(first, domain.StatusDone)
	if got := e.getInput(in.ID); got.Status != "IDLE" || got.WorkflowID != "" {
		t.Errorf("input after the first run: %s held by %q", got.Status, got.WorkflowID)
	}
	if msg := e.start(second); msg != "" {
		t.Fatalf("second start after the first ended: %s", msg)
	}
	e.do("GET", "/api/channels/"+second, nil, &info)
	if len(info.Endpoints.Input) != 1 || fmt.Sprint(info.Endpoints.Input[0].Endpoints) != fmt.Sprint(in.Endpoints) {
		t.Errorf("second run's endpoints %+v, want the same %v", info.Endpoints.Input, in.Endpoints)
	}
	if got := e.getInput(in.ID); got.Status != "IN_USE" || got.WorkflowID != second {
		t.Errorf("input during the second run: %s held by %q", got.Status, got.WorkflowID)
	}
	if msg := e.start(first); msg == "" {
		t.Error("a DONE workflow started again")
	}

	e.setStatus(second, domain.StatusDone)
	if code := e.do("DELETE", "/api/managed-inputs/"+in.ID, nil, nil); code != 204 {
		t.Errorf("delete after the runs: %d", code)
	}

	// A workflow whose input is gone is refused at its start, by name.
	third := e.createOn("Third", "rtmp-abr-720", in.ID)
	if msg := e.start(third); !strings.Contains(msg, in.ID) || !strings.Contains(msg, "not found") {
		t.Errorf("start on a deleted input: %q", msg)
	}
}

func TestManagedInputClassMismatch(t *testing.T) {
	e := newEnv(t)
	std := e.createInput(map[string]any{"name": "Two", "class": "STANDARD"})
	single := e.createInput(map[string]any{"name": "One"})

	wf := e.createOn("Single on standard", "rtmp-abr-720", std.ID)
	msg := e.start(wf)
	if !strings.Contains(msg, std.ID) || !strings.Contains(msg, "SINGLE_PIPELINE") {
		t.Errorf("STANDARD input on a SINGLE_PIPELINE channel: message %q, want one naming the input and the class", msg)
	}
	if got := e.getInput(std.ID); got.Status != "IDLE" {
		t.Errorf("the refused start still holds the input: %+v", got)
	}

	wf = e.createOn("Standard on single", "rtmp-abr-720-standard", single.ID)
	if msg := e.start(wf); !strings.Contains(msg, single.ID) || !strings.Contains(msg, "STANDARD") {
		t.Errorf("SINGLE_PIPELINE input on a STANDARD channel: message %q", msg)
	}

	wf = e.createOn("Standard on standard", "rtmp-abr-720-standard", std.ID)
	if msg := e.start(wf); msg != "" {
		t.Fatalf("matching classes refused: %s", msg)
	}
	var info api.ChannelInfo
	e.do("GET", "/api/channels/"+wf, nil, &info)
	if len(info.Endpoints.Input) != 1 || fmt.Sprint(info.Endpoints.Input[0].Endpoints) != fmt.Sprint(std.Endpoints) {
		t.Errorf("STANDARD run's endpoints %+v, want main and backup %v", info.Endpoints.Input, std.Endpoints)
	}
}

// TestManagedInputAcrossRestarts reopens the database under a new server: the
// input keeps its endpoints.
func TestManagedInputAcrossRestarts(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "onair.db")
	serve := func() (*env, func()) {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, store: st}
		a := api.New(api.Options{Store: st, Region: "local", PublicURL: "http://onair.test", IngestHost: "onair.test:1935"})
		mux := http.NewServeMux()
		a.Register(mux)
		seedAdmin(t, st)
		e.srv = httptest.NewServer(asAdmin(mux))
		return e, func() { e.srv.Close(); st.Close() }
	}
	e, stop := serve()
	in := e.createInput(map[string]any{"name": "Kept", "class": "STANDARD"})
	stop()

	e, stop = serve()
	defer stop()
	if got := e.getInput(in.ID); fmt.Sprint(got.Endpoints) != fmt.Sprint(in.Endpoints) {
		t.Errorf("endpoints after a restart %v, want %v", got.Endpoints, in.Endpoints)
	}
}

// TestManagedInputsDocumented checks the managed input routes in the API
// reference: each one documented under the "Managed inputs" tag.
func TestManagedInputsDocumented(t *testing.T) {
	a := api.New(api.Options{Region: "local"})
	want := map[string]bool{
		"POST /api/managed-inputs": true, "GET /api/managed-inputs": true,
		"GET /api/managed-inputs/{id}": true, "DELETE /api/managed-inputs/{id}": true,
	}
	for _, op := range a.Operations() {
		key := op.Method + " " + op.Path
		if !want[key] {
			continue
		}
		delete(want, key)
		if op.Tag != "Managed inputs" || op.Summary == "" || op.OperationID == "" {
			t.Errorf("%s: tag %q, summary %q, id %q", key, op.Tag, op.Summary, op.OperationID)
		}
	}
	for key := range want {
		t.Errorf("%s is not in the API", key)
	}
	if _, err := openapi.Build(openapi.Spec{Title: "t", Version: "1", Tags: api.Tags, Operations: a.Operations()}); err != nil {
		t.Errorf("the API reference does not build: %v", err)
	}
}
