package health

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"onair/internal/testutil/testclock"
)

func TestAudience30Seconds(t *testing.T) {
	clk := testclock.New(t0)
	a := NewAudienceMeter(clk.Now)
	a.SetLive(map[string]bool{"wf": true, "other": true})
	h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/live/wf/missing.ts" {
			http.NotFound(w, r)
		}
	}))
	get := func(path, addr, agent string) {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr, r.Header["User-Agent"] = addr, []string{agent}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	get("/live/wf/master.m3u8", "10.0.0.1:5000", "hls.js")
	get("/live/wf/180p/seg_000001.ts", "10.0.0.1:5001", "hls.js") // the same player on another connection
	get("/live/wf/180p/seg_000001.ts", "10.0.0.1:5002", "Safari") // another player behind the same address
	get("/live/wf/missing.ts", "10.0.0.9:1", "curl")              // a 404 counts no one
	get("/live/other/master.m3u8", "10.0.0.2:1", "vlc")
	get("/archive/wf/run/0/index.m3u8", "10.0.0.3:1", "vlc") // not live
	get("/live/ended/master.m3u8", "10.0.0.4:1", "vlc")      // no run up here
	if got := a.Of("wf"); got.Viewers != 2 || got.Segments != 2 {
		t.Errorf("wf: %+v, want 2 viewers and 2 segments", got)
	}
	if got := a.Of("other"); got.Viewers != 1 || got.Segments != 0 {
		t.Errorf("other: %+v", got)
	}
	clk.Advance(20 * time.Second)
	get("/live/wf/180p/seg_000002.ts", "10.0.0.1:5003", "hls.js")
	clk.Advance(15 * time.Second)
	if got := a.Of("wf"); got.Viewers != 1 || got.Segments != 3 {
		t.Errorf("35 s on: %+v, want the one player seen 15 s ago", got)
	}
	if got := a.Of("ended"); got != (Audience{}) {
		t.Errorf("a workflow with no run up: %+v", got)
	}
	a.SetLive(map[string]bool{"other": true})
	if got := a.Of("wf"); got != (Audience{}) {
		t.Errorf("once its run ended: %+v", got)
	}
}

func TestLivePath(t *testing.T) {
	for path, want := range map[string]struct {
		wf      string
		segment bool
		ok      bool
	}{
		"/live/wf/master.m3u8":       {"wf", false, true},
		"/live/wf/0/180p/seg_1.ts":   {"wf", true, true},
		"/live/wf/cmaf/720p/p_1.m4s": {"wf", true, true},
		"/live/wf/keys/1.key":        {"wf", false, true},
		"/live/wf":                   {"", false, false},
		"/live//x.ts":                {"", false, false},
		"/archive/wf/a.ts":           {"", false, false},
	} {
		wf, segment, ok := livePath(path)
		if wf != want.wf || segment != want.segment || ok != want.ok {
			t.Errorf("%s: %q %v %v, want %+v", path, wf, segment, ok, want)
		}
	}
}
