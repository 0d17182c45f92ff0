package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/testutil/e2e"
)

// newStreamEnv is newEnv with a live domain ("" for none).
func newStreamEnv(t *testing.T, liveDomain string) *env {
	t.Helper()
	return newEnvWith(t, func(o *api.Options) {
		o.LiveDomain = liveDomain
		o.StopWait = time.Second
	})
}

// newStream creates a stream and returns what the API answered.
func (e *env) newStream(body map[string]any) api.StreamInfo {
	e.t.Helper()
	var st api.StreamInfo
	if code := e.do("POST", "/api/streams", body, &st); code != 200 {
		e.t.Fatalf("create stream %v: %d", body, code)
	}
	return st
}

// streamCall sends one request and wants the status; it returns the stream answered.
func (e *env) streamCall(method, path string, body any, want int) api.StreamInfo {
	e.t.Helper()
	var st api.StreamInfo
	if code := e.do(method, path, body, &st); code != want {
		e.t.Fatalf("%s %s: %d, want %d", method, path, code, want)
	}
	return st
}

// wantError sends one request and wants an error with this status whose
// message holds each of words; field, when not "", is the field it names.
func (e *env) wantError(method, path string, body any, status int, field string, words ...string) {
	e.t.Helper()
	var eb api.ErrorBody
	code := e.do(method, path, body, &eb)
	if code != status || eb.Field != field || eb.Message == "" {
		e.t.Errorf("%s %s %v: %d %+v, want %d on field %q", method, path, body, code, eb, status, field)
	}
	for _, w := range words {
		if !strings.Contains(eb.Message, w) {
			e.t.Errorf("%s %s: message %q does not say %q", method, path, eb.Message, w)
		}
	}
}

func (e *env) channel(workflowID string) domain.Channel {
	e.t.Helper()
	ch, err := e.store.GetChannel(context.Background(), "default", workflowID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ch
}

var (
	epochString = regexp.MustCompile(`^[0-9]{10}$`)
	defaultPath = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}/(.+)-([0-9]{10})$`)
)

func recent(t *testing.T, what, v string) {
	t.Helper()
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || !epochString.MatchString(v) || time.Since(time.Unix(n, 0)) > time.Minute || time.Until(time.Unix(n, 0)) > time.Second {
		t.Errorf("%s is %q, want the epoch seconds of now", what, v)
	}
}

// TestStreamCreate: the answer has every documented field with its JSON type,
// and names onair's own objects.
func TestStreamCreate(t *testing.T) {
	e := newStreamEnv(t, "")
	var raw map[string]any
	if code := e.do("POST", "/api/streams", map[string]any{"name": "my_stream", "description": "This is a stream", "segment_length": 123}, &raw); code != 200 {
		t.Fatalf("create: %d %v", code, raw)
	}
	kinds := map[string]string{
		"name": "string", "description": "string", "id": "string", "rtmp1": "string", "rtmp2": "string",
		"viewer_endpoint": "string", "viewer_endpoint_cloudfront": "string", "archives_path": "object",
		"last_update": "string", "last_started": "null", "last_stopped": "null", "started": "bool",
		"current_session_id": "null", "live_channel_id": "string", "live_input_id": "string",
		"package_endpoint_id": "string", "package_channel_id": "string", "segment_length": "number",
		"startover_window_seconds": "number", "key_rotation_interval": "number", "cloudfront_associated": "bool",
		"blueprint_id": "string", "playout_profile_ids": "array",
	}
	for key, kind := range kinds {
		v, ok := raw[key]
		if !ok {
			t.Errorf("no %s in %v", key, raw)
			continue
		}
		got := "null"
		switch v.(type) {
		case string:
			got = "string"
		case bool:
			got = "bool"
		case float64:
			got = "number"
		case map[string]any:
			got = "object"
		case []any:
			got = "array"
		}
		if got != kind {
			t.Errorf("%s is %v (%s), want a JSON %s", key, v, got, kind)
		}
	}
	for key := range raw {
		if _, ok := kinds[key]; !ok {
			t.Errorf("undocumented field %s", key)
		}
	}
	b, _ := json.Marshal(raw)
	var st api.StreamInfo
	json.Unmarshal(b, &st)
	if st.Name != "my_stream" || st.Description != "This is a stream" || st.ID == "" || st.Started ||
		len(st.ArchivesPath) != 0 || st.SegmentLength != 123 || st.StartoverWindowSeconds != 3600 ||
		st.KeyRotationInterval != 60 || st.CloudfrontAssociated || st.BlueprintID != "rtmp-abr-1080" {
		t.Errorf("created: %+v", st)
	}
	recent(t, "last_update", st.LastUpdate)
	if !ingestURL.MatchString(st.RTMP1) || !ingestURL.MatchString(st.RTMP2) || st.RTMP1 == st.RTMP2 {
		t.Errorf("rtmp1 %q, rtmp2 %q: want two rtmp://HOST:PORT/live/<key>", st.RTMP1, st.RTMP2)
	}
	live := "/live/" + st.LiveChannelID + "/0/master.m3u8"
	if st.ViewerEndpoint != "http://onair.test"+live || st.ViewerEndpointCloudfront != st.ViewerEndpoint ||
		st.PackageEndpointID != live || st.PackageChannelID != st.LiveChannelID {
		t.Errorf("endpoints: %+v", st)
	}

	// The workflow: named like the stream, STANDARD, on the managed input.
	var wf domain.Workflow
	if code := e.do("GET", "/api/workflows/"+st.LiveChannelID, nil, &wf); code != 200 {
		t.Fatalf("the stream's workflow: %d", code)
	}
	if wf.Name != "my_stream" || wf.Description != "This is a stream" || wf.BlueprintID != "rtmp-abr-1080" ||
		wf.Status != domain.StatusReady || wf.Blueprint.Settings.Channel.Class != domain.ClassStandard ||
		wf.ManagedInputID() != st.LiveInputID || !wf.CreateArchives || len(wf.Tags) != 1 || wf.Tags[0] != "stream" {
		t.Errorf("workflow: %+v", wf)
	}
	in := e.getInput(st.LiveInputID)
	if in.Class != domain.ClassStandard || len(in.Endpoints) != 2 || in.Endpoints[0] != st.RTMP1 || in.Endpoints[1] != st.RTMP2 {
		t.Errorf("managed input: %+v", in)
	}

	// Without segment_length, the documents' 300 s; another blueprint.
	if st := e.newStream(map[string]any{"name": "b"}); st.SegmentLength != 300 || st.Description != "" {
		t.Errorf("default segment_length: %+v", st)
	}
	if st := e.newStream(map[string]any{"name": "c", "blueprint_id": "rtmp-abr-720-standard"}); st.BlueprintID != "rtmp-abr-720-standard" {
		t.Errorf("blueprint_id: %+v", st)
	}
	// An organization's SINGLE_PIPELINE blueprint runs as STANDARD.
	small := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	if code := e.do("POST", "/api/blueprints", small, nil); code != 201 {
		t.Fatalf("create blueprint: %d", code)
	}
	sm := e.newStream(map[string]any{"name": "d", "blueprint_id": "small"})
	e.do("GET", "/api/workflows/"+sm.LiveChannelID, nil, &wf)
	if sm.SegmentLength != 300 || wf.Blueprint.Settings.Channel.Class != domain.ClassStandard || sm.RTMP2 == "" {
		t.Errorf("stream of a SINGLE_PIPELINE blueprint: %+v, class %s", sm, wf.Blueprint.Settings.Channel.Class)
	}
	// One whose destination has one setting cannot run on two pipelines.
	small.ID = "one-dest"
	small.Settings.Destinations = []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{{URL: "rtmp://a.example.com/live", StreamName: "k"}}}}
	small.Settings.OutputGroups = append(small.Settings.OutputGroups, domain.OutputGroup{Type: domain.OutputRTMP, DestinationID: "yt"})
	if code := e.do("POST", "/api/blueprints", small, nil); code != 201 {
		t.Fatalf("create blueprint: %d", code)
	}

	for _, tc := range []struct {
		body  any
		field string
		words []string
	}{
		{map[string]any{"description": "x"}, "name", nil},
		{map[string]any{"name": "a<b"}, "name", nil},
		{map[string]any{"name": "a", "segment_length": 0}, "segment_length", nil},
		{map[string]any{"name": "a", "segment_length": 301}, "segment_length", nil},
		{map[string]any{"name": "a", "segment_length": "6"}, "segment_length", nil},
		{map[string]any{"name": "a", "blueprint_id": "nope"}, "blueprint_id", []string{"nope"}},
		{map[string]any{"name": "a", "blueprint_id": "one-dest"}, "blueprint_id", []string{"STANDARD", "settings"}},
		{map[string]any{"name": "a", "rtmp1": "x"}, "rtmp1", []string{"unknown"}},
	} {
		e.wantError("POST", "/api/streams", tc.body, 400, tc.field, tc.words...)
	}
	var list []api.StreamInfo
	e.do("GET", "/api/streams", nil, &list)
	if len(list) != 4 {
		t.Errorf("refused creates left streams behind: %d streams", len(list))
	}
}

func TestStreamListAndUpdate(t *testing.T) {
	e := newStreamEnv(t, "")
	var raw json.RawMessage
	if code := e.do("GET", "/api/streams", nil, &raw); code != 200 || strings.TrimSpace(string(raw)) != "[]" {
		t.Fatalf("empty list: %d %s", code, raw)
	}
	a := e.newStream(map[string]any{"name": "first", "description": "one"})
	b := e.newStream(map[string]any{"name": "second"})
	var list []api.StreamInfo
	if code := e.do("GET", "/api/streams", nil, &list); code != 200 || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("list: %d %+v", code, list)
	}
	if got := e.streamCall("GET", "/api/streams/"+a.ID, nil, 200); got.ID != a.ID || got.RTMP1 != a.RTMP1 {
		t.Errorf("get: %+v", got)
	}

	// trackit's clients post the whole stream back: name and description
	// change, and every other field must be as GET shows it.
	var whole map[string]any
	e.do("GET", "/api/streams/"+a.ID, nil, &whole)
	before := snapshot(t, e)
	for field, v := range map[string]any{
		"rtmp1": "rtmp://evil/x", "started": true, "segment_length": 1, "archives_path": map[string]any{"x": "y"},
		"id": "other", "live_channel_id": "other", "current_session_id": "s",
	} {
		edited := maps.Clone(whole)
		edited["name"], edited[field] = "never", v
		e.wantError("POST", "/api/streams/"+a.ID, edited, 400, field, "read-only")
	}
	edited := maps.Clone(whole)
	edited["something_else"] = 1
	e.wantError("POST", "/api/streams/"+a.ID, edited, 400, "something_else", "unknown field")
	if after := snapshot(t, e); after != before {
		t.Fatalf("refused updates changed the store:\n%s\n%s", before, after)
	}
	// last_update, when the server last changed the stream, is ignored: a
	// body from an earlier GET is not refused for it.
	whole["name"], whole["description"], whole["last_update"] = "renamed", "This is a stream with MediaLive", "1"
	got := e.streamCall("POST", "/api/streams/"+a.ID, whole, 200)
	want := a
	want.Name, want.Description, want.LastUpdate = "renamed", "This is a stream with MediaLive", got.LastUpdate
	if !equalJSON(got, want) {
		t.Errorf("update:\n got  %+v\n want %+v", got, want)
	}
	if again := e.streamCall("GET", "/api/streams/"+a.ID, nil, 200); !equalJSON(again, got) {
		t.Errorf("GET after update: %+v", again)
	}
	var wf domain.Workflow
	e.do("GET", "/api/workflows/"+a.LiveChannelID, nil, &wf)
	if wf.Name != "renamed" || wf.Description != "This is a stream with MediaLive" {
		t.Errorf("the workflow keeps the stream's name: %q %q", wf.Name, wf.Description)
	}
	// Only the description.
	if got := e.streamCall("POST", "/api/streams/"+a.ID, map[string]any{"description": ""}, 200); got.Name != "renamed" || got.Description != "" {
		t.Errorf("description only: %+v", got)
	}
	e.wantError("POST", "/api/streams/"+a.ID, map[string]any{"name": ""}, 400, "name")
	e.wantError("POST", "/api/streams/"+a.ID, map[string]any{"name": 5}, 400, "name")
	e.wantError("POST", "/api/streams/"+a.ID, `[]`, 400, "(body)")
	e.wantError("POST", "/api/streams/nope", map[string]any{"name": "x"}, 404, "", "nope")
	e.wantError("GET", "/api/streams/nope", nil, 404, "", "stream", "nope")
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestStreamSessions: start and stop, session by session. No controller runs
// here, so a run stays where the API left it: PROVISIONING counts as started,
// and the controller's end of a stop (DONE) is set through the store.
func TestStreamSessions(t *testing.T) {
	e := newStreamEnv(t, "")
	st := e.newStream(map[string]any{"name": "show", "segment_length": 10})
	base := "/api/streams/" + st.ID

	e.wantError("POST", base+"/stop", nil, 409, "", "not started")
	kicks := e.kicks
	one := e.streamCall("POST", base+"/start", nil, 200)
	if !one.Started || one.CurrentSessionID == nil || one.LastStarted == nil || one.LastStopped != nil || len(one.ArchivesPath) != 1 {
		t.Fatalf("started: %+v", one)
	}
	session := *one.CurrentSessionID
	recent(t, "last_started", *one.LastStarted)
	m := defaultPath.FindStringSubmatch(one.ArchivesPath[session])
	if m == nil || m[1] != st.ID || m[2] != *one.LastStarted || !strings.HasPrefix(one.ArchivesPath[session], time.Now().UTC().Format("2006/01/")) {
		t.Errorf("default archive path %q, want YYYY/MM/DD/%s-<unix time>", one.ArchivesPath[session], st.ID)
	}
	if e.kicks == kicks {
		t.Error("the controller was not told of the start")
	}
	ch := e.channel(st.LiveChannelID)
	wantOpts := domain.RunOptions{ArchiveDir: one.ArchivesPath[session], WindowSeconds: 3600, KeyRotationSeconds: 60, ArchiveSegmentSeconds: 10}
	if ch.Run == nil || ch.Run.ID != session || ch.Run.Options != wantOpts || ch.Workflow.Status != domain.StatusProvisioning || len(ch.Run.Inputs) != 2 {
		t.Errorf("the session's run: %+v, want id %s and options %+v", ch.Run, session, wantOpts)
	}
	var info api.ChannelInfo
	e.do("GET", "/api/channels/"+st.LiveChannelID, nil, &info)
	if out := info.Endpoints.Output; len(out) != 1 || out[0].Format != domain.FormatTS || !strings.HasSuffix(out[0].URL, "/live/"+st.LiveChannelID+"/0/master.m3u8") {
		t.Errorf("an encrypted session's playback: %+v, want its TS output alone", out)
	}
	if in := e.getInput(st.LiveInputID); in.Status != api.InputInUse || in.WorkflowID != st.LiveChannelID {
		t.Errorf("the input while started: %+v", in)
	}
	e.wantError("POST", base+"/start", nil, 409, "", "already started", session)

	stopped := e.streamCall("POST", base+"/stop", nil, 200)
	if stopped.Started || stopped.LastStopped == nil || stopped.CurrentSessionID == nil || *stopped.CurrentSessionID != session {
		t.Errorf("stopped: %+v", stopped)
	}
	recent(t, "last_stopped", *stopped.LastStopped)
	if ch := e.channel(st.LiveChannelID); ch.Run.StopRequested == nil {
		t.Error("the stop did not reach the channel")
	}
	e.wantError("POST", base+"/stop", nil, 409, "", "already stopping")
	// Until the channel ends, the archive is being finalized: the refusal says
	// so about the stream, not about its workflow.
	for _, status := range []domain.Status{domain.StatusProvisioning, domain.StatusStopping, domain.StatusDeleting} {
		e.setStatus(st.LiveChannelID, status)
		var eb api.ErrorBody
		if code := e.do("POST", base+"/start", nil, &eb); code != 409 ||
			!strings.Contains(eb.Message, "the last session is still finishing its archive") ||
			!strings.Contains(eb.Message, st.ID) || strings.Contains(eb.Message, "workflow") || strings.Contains(eb.Message, string(status)) {
			t.Errorf("start while %s: %d %q", status, code, eb.Message)
		}
	}

	// The controller finishes the stop.
	e.setStatus(st.LiveChannelID, domain.StatusDone)
	e.wantError("POST", base+"/stop", nil, 409, "", "not started")
	two := e.streamCall("POST", base+"/start", map[string]any{"path": "shows/./keynote/", "startover_window_seconds": 600, "key_rotation_interval": 0}, 200)
	if !two.Started || two.CurrentSessionID == nil || *two.CurrentSessionID == session || len(two.ArchivesPath) != 2 ||
		two.ArchivesPath[*two.CurrentSessionID] != "shows/keynote" || two.ArchivesPath[session] != one.ArchivesPath[session] ||
		two.StartoverWindowSeconds != 600 || two.KeyRotationInterval != 0 {
		t.Errorf("second session: %+v", two)
	}
	ch = e.channel(st.LiveChannelID)
	wantOpts = domain.RunOptions{ArchiveDir: "shows/keynote", WindowSeconds: 600, ArchiveSegmentSeconds: 10}
	if ch.Run.ID != *two.CurrentSessionID || ch.Run.Options != wantOpts {
		t.Errorf("the second run: %+v, want options %+v", ch.Run, wantOpts)
	}

	// A third session may not write into an earlier one's directory.
	e.streamCall("POST", base+"/stop", nil, 200)
	e.setStatus(st.LiveChannelID, domain.StatusDone)
	for _, p := range []string{"shows/keynote", "shows", "shows/keynote/day-2", one.ArchivesPath[session]} {
		e.wantError("POST", base+"/start", map[string]any{"path": p}, 409, "", "earlier session")
	}
	// Bad paths and values are 400s naming the field, and start nothing.
	for _, p := range []string{"../x", "/etc", "a/../../b", "s3://bucket/path", "a b", ".", "/"} {
		e.wantError("POST", base+"/start", map[string]any{"path": p}, 400, "path")
	}
	e.wantError("POST", base+"/start", map[string]any{"startover_window_seconds": 17}, 400, "startover_window_seconds", "18")
	e.wantError("POST", base+"/start", map[string]any{"key_rotation_interval": -1}, 400, "key_rotation_interval")
	e.wantError("POST", base+"/start", map[string]any{"path": 5}, 400, "path")
	e.wantError("POST", base+"/start", map[string]any{"session": "x"}, 400, "session")
	if got := e.streamCall("GET", base, nil, 200); got.Started || len(got.ArchivesPath) != 2 {
		t.Errorf("refused starts changed the stream: %+v", got)
	}
	// An empty object is the defaults, as no body is.
	three := e.streamCall("POST", base+"/start", map[string]any{}, 200)
	if !three.Started || len(three.ArchivesPath) != 3 || three.StartoverWindowSeconds != 3600 || three.KeyRotationInterval != 60 {
		t.Errorf("third session: %+v", three)
	}
	e.wantError("POST", "/api/streams/nope/start", nil, 404, "", "nope")
	e.wantError("POST", "/api/streams/nope/stop", nil, 404, "", "nope")
}

// TestStreamSegmentLength follows segment_length from the create to what the
// engine builds for each pipeline: the archive's recorder writes segments of
// its length, 300 s when absent, and the live HLS keeps the blueprint's.
func TestStreamSegmentLength(t *testing.T) {
	e := newStreamEnv(t, "")
	for _, tc := range []struct {
		body    map[string]any
		archive time.Duration
	}{
		{map[string]any{"name": "default"}, 300 * time.Second},
		{map[string]any{"name": "short", "segment_length": 10}, 10 * time.Second},
	} {
		st := e.newStream(tc.body)
		e.streamCall("POST", "/api/streams/"+st.ID+"/start", nil, 200)
		ch := e.channel(st.LiveChannelID)
		for p := range 2 {
			spec := pipeline.SpecFor(&ch.Workflow, ch.Run, p)
			// rtmp-abr-1080: 6 s live segments in a 3600 s window.
			if len(spec.Live) == 0 || spec.Live[0].Segment != 6*time.Second || spec.Live[0].Window != time.Hour ||
				len(spec.Archives) != 1 || spec.Archives[0].Segment != tc.archive {
				t.Errorf("%s, pipeline %d: the live outputs %+v and the archives %+v; want live segments of 6 s and archive segments of %s", st.Name, p, spec.Live, spec.Archives, tc.archive)
			}
		}
	}
}

// TestStreamDefaultPathTwiceInASecond: two sessions started within one second
// still get directories of their own.
func TestStreamDefaultPathTwiceInASecond(t *testing.T) {
	e := newStreamEnv(t, "")
	st := e.newStream(map[string]any{"name": "quick"})
	base := "/api/streams/" + st.ID
	var dirs []string
	for range 3 {
		got := e.streamCall("POST", base+"/start", nil, 200)
		dirs = append(dirs, got.ArchivesPath[*got.CurrentSessionID])
		e.streamCall("POST", base+"/stop", nil, 200)
		e.setStatus(st.LiveChannelID, domain.StatusDone)
	}
	for i := range dirs {
		for j := range i {
			if domain.ArchivePathsOverlap(dirs[i], dirs[j]) {
				t.Errorf("sessions %d and %d share %q and %q", j, i, dirs[j], dirs[i])
			}
		}
	}
}

func TestStreamLive(t *testing.T) {
	for _, tc := range []struct{ domain, want string }{
		{"", "http://onair.test"},
		{"cdn.example.com", "https://cdn.example.com"},
	} {
		e := newStreamEnv(t, tc.domain)
		st := e.newStream(map[string]any{"name": "live"})
		base := "/api/streams/" + st.ID
		want := tc.want + "/live/" + st.LiveChannelID + "/0/master.m3u8"
		if st.ViewerEndpointCloudfront != want || st.ViewerEndpoint != "http://onair.test/live/"+st.LiveChannelID+"/0/master.m3u8" {
			t.Errorf("live domain %q: viewer_endpoint_cloudfront %q, want %q", tc.domain, st.ViewerEndpointCloudfront, want)
		}
		if got := e.streamCall("POST", base+"/live", nil, 200); !got.CloudfrontAssociated || got.ViewerEndpointCloudfront != want {
			t.Errorf("after POST live: %+v", got)
		}
		if got := e.streamCall("GET", base, nil, 200); !got.CloudfrontAssociated {
			t.Error("the association was not kept")
		}
		e.streamCall("POST", base+"/live", nil, 200) // again: no change, no error
		if got := e.streamCall("DELETE", base+"/live", nil, 200); got.CloudfrontAssociated {
			t.Errorf("after DELETE live: %+v", got)
		}
		if got := e.streamCall("GET", base, nil, 200); got.CloudfrontAssociated {
			t.Error("the dissociation was not kept")
		}
		e.wantError("POST", "/api/streams/nope/live", nil, 404, "")
		e.wantError("DELETE", "/api/streams/nope/live", nil, 404, "")
	}
}

// gone checks that a deleted stream's workflow and managed input are gone too.
func (e *env) gone(st api.StreamInfo) {
	e.t.Helper()
	e.wantError("GET", "/api/streams/"+st.ID, nil, 404, "", st.ID)
	e.wantError("GET", "/api/workflows/"+st.LiveChannelID, nil, 404, "", st.LiveChannelID)
	e.wantError("GET", "/api/managed-inputs/"+st.LiveInputID, nil, 404, "", st.LiveInputID)
	var runs api.ChannelList
	if code := e.do("GET", "/api/channels?workflowId="+st.LiveChannelID, nil, &runs); code != 200 || len(runs.Items) != 0 {
		e.t.Errorf("runs of a deleted stream's workflow: %d %+v", code, runs)
	}
}

func TestStreamDelete(t *testing.T) {
	e := newStreamEnv(t, "")
	idle := e.newStream(map[string]any{"name": "idle"})
	if got := e.streamCall("DELETE", "/api/streams/"+idle.ID, nil, 200); !equalJSON(got, idle) {
		t.Errorf("delete answers the stream:\n got  %+v\n want %+v", got, idle)
	}
	e.gone(idle)
	e.wantError("DELETE", "/api/streams/"+idle.ID, nil, 404, "", idle.ID)

	// A started stream is stopped, and deleted once its last session has
	// finished its archive. With no controller here, the session never ends:
	// after the wait, a 409 that says so, and nothing is deleted.
	live := e.newStream(map[string]any{"name": "live"})
	started := e.streamCall("POST", "/api/streams/"+live.ID+"/start", nil, 200)
	e.wantError("DELETE", "/api/streams/"+live.ID, nil, 409, "", "the last session is still finishing its archive", *started.CurrentSessionID)
	if ch := e.channel(live.LiveChannelID); ch.Run == nil || ch.Run.StopRequested == nil {
		t.Error("deleting a started stream did not stop its channel")
	}
	if got := e.streamCall("GET", "/api/streams/"+live.ID, nil, 200); got.Started || got.LastStopped == nil {
		t.Errorf("the stream after a delete that waited in vain: %+v", got)
	}
	e.getInput(live.LiveInputID)

	// The session ends while a second delete waits: it deletes all three.
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		time.Sleep(300 * time.Millisecond)
		if _, err := e.store.UpdateChannel(context.Background(), "default", live.LiveChannelID, func(ch *domain.Channel) error {
			ch.Workflow.Status, ch.Run.Status = domain.StatusDone, domain.StatusDone
			return nil
		}); err != nil {
			t.Error(err)
		}
	}()
	got := e.streamCall("DELETE", "/api/streams/"+live.ID, nil, 200)
	<-ended
	if got.ID != live.ID || got.Started || got.LastStopped == nil || got.RTMP1 != live.RTMP1 || !equalJSON(got.ArchivesPath, started.ArchivesPath) {
		t.Errorf("deleted after its session: %+v", got)
	}
	e.gone(live)

	// A stream whose managed input another running workflow uses keeps it all.
	shared := e.newStream(map[string]any{"name": "shared"})
	other := e.createOn("other", "rtmp-abr-720-standard", shared.LiveInputID)
	if msg := e.start(other); msg != "" {
		t.Fatalf("start a workflow on the stream's input: %s", msg)
	}
	e.wantError("DELETE", "/api/streams/"+shared.ID, nil, 409, "", shared.LiveInputID, other)
	e.streamCall("GET", "/api/streams/"+shared.ID, nil, 200)
	e.getInput(shared.LiveInputID)
	var wf domain.Workflow
	if code := e.do("GET", "/api/workflows/"+shared.LiveChannelID, nil, &wf); code != 200 {
		t.Errorf("the workflow of a stream whose delete was refused: %d", code)
	}

	// One whose workflow and input were deleted on their own goes alone.
	lone := e.newStream(map[string]any{"name": "lone"})
	if code := e.do("DELETE", "/api/workflows/"+lone.LiveChannelID, nil, nil); code != 204 {
		t.Fatalf("delete the workflow: %d", code)
	}
	if code := e.do("DELETE", "/api/managed-inputs/"+lone.LiveInputID, nil, nil); code != 204 {
		t.Fatalf("delete the input: %d", code)
	}
	e.streamCall("DELETE", "/api/streams/"+lone.ID, nil, 200)
	e.gone(lone)
	var list []api.StreamInfo
	if e.do("GET", "/api/streams", nil, &list); len(list) != 1 || list[0].ID != shared.ID {
		t.Errorf("streams after the deletes: %+v", list)
	}
}

// TestStreamsTenants: another organization sees none of A's streams, and a
// viewer reads them but changes nothing.
func TestStreamsTenants(t *testing.T) {
	tn := newTenants(t)
	var st api.StreamInfo
	if code := tn.send("POST", "/api/streams", map[string]any{"name": "A's stream"}, "x-api-key", e2e.AdminKey, &st); code != 200 {
		t.Fatalf("create: %d", code)
	}
	n := 0
	for _, op := range tn.api.Operations() {
		if !strings.HasPrefix(op.Path, "/api/streams") {
			continue
		}
		n++
		if op.Tag != "Streams" || op.Summary == "" {
			t.Errorf("%s %s: tag %q, summary %q", op.Method, op.Path, op.Tag, op.Summary)
		}
		path := strings.ReplaceAll(op.Path, "{id}", st.ID)
		if strings.Contains(op.Path, "{id}") {
			if code := tn.send(op.Method, path, map[string]any{"name": "x"}, "x-api-key", tn.keyB, nil); code != 404 {
				t.Errorf("%s %s on A's stream as B: %d, want 404", op.Method, op.Path, code)
			}
		}
		code := tn.send(op.Method, path, map[string]any{"name": "x"}, "Authorization", "Bearer "+tn.viewer, nil)
		if (op.Method == "GET") != (code == 200) || (op.Method != "GET" && code != 403) {
			t.Errorf("%s %s as a viewer: %d", op.Method, op.Path, code)
		}
	}
	if n != 10 { // nine, and split
		t.Errorf("%d stream operations, want 10", n)
	}
	var list []api.StreamInfo
	if code := tn.send("GET", "/api/streams", nil, "x-api-key", tn.keyB, &list); code != 200 || len(list) != 0 {
		t.Errorf("B's list: %d %+v", code, list)
	}
	var got api.StreamInfo
	if code := tn.send("GET", "/api/streams/"+st.ID, nil, "x-api-key", e2e.AdminKey, &got); code != 200 || got.Name != "A's stream" || got.Started {
		t.Errorf("A's stream after B and the viewer: %d %+v", code, got)
	}
}

// TestStreamPlayoutProfiles: a stream takes playout profiles at creation
// and in an update, shows them, and refuses one that does not exist.
func TestStreamPlayoutProfiles(t *testing.T) {
	e := newStreamEnv(t, "")
	var p api.PlayoutProfile
	if code := e.do("POST", "/api/playoutprofile", map[string]any{"name": "clear", "configurationJson": `{"manifestFile":"clear.isml"}`}, &p); code != 201 {
		t.Fatalf("POST profile: %d", code)
	}
	e.wantError("POST", "/api/streams", map[string]any{"name": "x", "playout_profile_ids": []string{"nope"}}, 400, "playout_profile_ids[0]", "nope")
	st := e.newStream(map[string]any{"name": "with profile", "playout_profile_ids": []string{p.ID, p.ID}})
	if len(st.PlayoutProfileIDs) != 1 || st.PlayoutProfileIDs[0] != p.ID {
		t.Fatalf("created with %v", st.PlayoutProfileIDs)
	}
	var ids []string
	if e.do("GET", "/api/playoutprofile/"+p.ID+"/events?idsOnly=true", nil, &ids); len(ids) != 1 || ids[0] != st.LiveChannelID {
		t.Errorf("the profile's events: %v, want the stream's workflow %s", ids, st.LiveChannelID)
	}
	if got := e.streamCall("POST", "/api/streams/"+st.ID, map[string]any{"playout_profile_ids": []string{}}, 200); len(got.PlayoutProfileIDs) != 0 {
		t.Errorf("after detaching: %v", got.PlayoutProfileIDs)
	}
	if got := e.streamCall("GET", "/api/streams/"+st.ID, nil, 200); len(got.PlayoutProfileIDs) != 0 || got.Name != "with profile" {
		t.Errorf("GET after detaching: %+v", got)
	}
}
