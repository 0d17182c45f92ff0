package server_test

import (
	"math"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestPublishRightAfterStart: an encoder that connects the moment a start
// call returns is accepted and held until the pipeline is up, through both
// APIs, twenty times in a row; and each run's archive holds what it sent
// from its first second on.
func TestPublishRightAfterStart(t *testing.T) {
	n := startNode(t, nil)
	runs, seconds, segment := 20, 3, 1.0
	if testing.Short() {
		runs = 2
	}
	check := func(t *testing.T, i int, pub error, archives []api.ArchiveInfo) {
		t.Helper()
		if pub != nil {
			t.Fatalf("run %d: the publisher was refused: %v", i, pub)
		}
		if len(archives) == 0 || math.Abs(archives[0].Duration-float64(seconds)) > segment {
			t.Fatalf("run %d: archives %+v, want one of %d s within a %.0f s segment", i, archives, seconds, segment)
		}
	}

	t.Run("workflows", func(t *testing.T) {
		t.Parallel()
		b := e2e.Passthrough(domain.ClassSinglePipeline)
		b.Settings.Inputs[0].CreateInput.AvailableImmediately = true
		for i := range runs {
			id := n.Create(b)
			url := n.Channel(id).Endpoints.Input[0].Endpoints[0]
			n.Start(id)
			err := e2e.Publish(t, url, seconds).Wait()
			n.Stop(id)
			check(t, i, err, n.WaitStatus(id, domain.StatusDone).Archives)
		}
	})

	t.Run("streams", func(t *testing.T) {
		t.Parallel()
		n.Call("POST", "/api/blueprints", e2e.Passthrough(domain.ClassStandard), nil)
		var st api.StreamInfo
		if code := n.Call("POST", "/api/streams", map[string]any{"name": "Race", "blueprint_id": "small-passthrough", "segment_length": 1}, &st); code != 200 {
			t.Fatalf("create: %d", code)
		}
		for i := range runs {
			if code := n.Call("POST", "/api/streams/"+st.ID+"/start", nil, &st); code != 200 || !st.Started {
				t.Fatalf("run %d: start: %d %+v", i, code, st)
			}
			err := e2e.Publish(t, st.RTMP1, seconds).Wait()
			if code := n.Call("POST", "/api/streams/"+st.ID+"/stop", nil, &st); code != 200 {
				t.Fatalf("run %d: stop: %d", i, code)
			}
			info := n.WaitStatus(st.LiveChannelID, domain.StatusDone)
			check(t, i, err, info.Archives)
		}
	})
}

// TestRTMPURLForms: every common split of one ingest URL reaches the same
// stream, with a query string kept out of the key; and a wrong key is refused
// in every form.
func TestRTMPURLForms(t *testing.T) {
	n := startNode(t, nil)
	id, info := n.CreateAndStart(e2e.Passthrough(domain.ClassSinglePipeline))
	url := info.Endpoints.Input[0].Endpoints[0] // rtmp://HOST:PORT/live/KEY
	host := strings.TrimSuffix(url[:strings.Index(url, "/live/")], "/")
	key := url[strings.LastIndex(url, "/")+1:]
	forms := []struct {
		name string
		url  func(key string) string
		opts func(key string) []string
	}{
		{"as handed out", func(k string) string { return host + "/live/" + k }, nil},
		// OBS: Server rtmp://HOST:PORT/, Stream Key live/KEY (ffmpeg sends the
		// same app and stream name as OBS does).
		{"OBS server and live/KEY", func(string) string { return host + "/" }, func(k string) []string { return []string{"-rtmp_playpath", "live/" + k} }},
		{"OBS server rtmp://HOST/live/ and KEY", func(string) string { return host + "/live/" }, func(k string) []string { return []string{"-rtmp_playpath", k} }},
		{"FrontMaster's rtmp://HOST:PORT/KEY", func(k string) string { return host + "/" + k }, nil},
		{"a query on the name", func(k string) string { return host + "/live/" + k + "?username=alice&token=t0k" }, nil},
		{"a query on the app", func(string) string { return host + "/live" },
			func(k string) []string { return []string{"-rtmp_app", "live?username=alice", "-rtmp_playpath", k} }},
	}
	wrong := "0123456789abcdef0123456789abcdef"
	connected := 0
	for _, f := range forms {
		var opts, wrongOpts []string
		if f.opts != nil {
			opts, wrongOpts = f.opts(key), f.opts(wrong)
		}
		if err := e2e.PublishWith(t, f.url(wrong), 1, wrongOpts).Wait(); err == nil {
			t.Errorf("%s: a wrong key was accepted", f.name)
		}
		if err := e2e.PublishWith(t, f.url(key), 1, opts).Wait(); err != nil {
			t.Errorf("%s: refused: %v", f.name, err)
			continue
		}
		connected++
		if got := e2e.CountEvents(n.Channel(id), "publisher_connected"); got != connected {
			t.Errorf("%s: the channel saw %d publishers, want %d", f.name, got, connected)
		}
	}
	n.Stop(id)
	if d := n.WaitStatus(id, domain.StatusDone).Archives[0].Duration; d < float64(connected)-1 {
		t.Errorf("the archive lasts %.1f s: every form's second should be in it", d)
	}
}
