// Package player plays HLS and DASH in a real browser for end-to-end tests:
// hls.js or Shaka Player (the npm packages in web/) in headless Chromium,
// driven over the DevTools protocol, reporting what a viewer would see:
// media time played, frames decoded, the variants found, LL-HLS parts
// loaded, and the player's fatal errors. One browser plays several streams
// at once, and keeps playing while a test reconnects a publisher or
// restarts the server. Shaka also plays ClearKey-encrypted DASH, with the
// keys given or from a license server.
package player

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Stream is one playlist to play.
type Stream struct {
	URL string // a master or media playlist
	// LowLatency plays LL-HLS parts (hls.js lowLatencyMode).
	LowLatency bool
	// Switch makes the player go to the next variant of the master every
	// 1.5 s, as a viewer whose bandwidth changes would.
	Switch bool
}

// Options say how long to play.
type Options struct {
	// Seconds of media to play (default 4).
	Seconds float64
	// Timeout bounds the wait (default 60 s).
	Timeout time.Duration
	// LowLatency and Switch are Stream's, for Play.
	LowLatency, Switch bool
}

func (o *Options) defaults() {
	if o.Seconds <= 0 {
		o.Seconds = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
}

// Result is what one player saw since it started.
type Result struct {
	Played  float64  `json:"played"`  // seconds of media played (HLS: currentTime advanced; DASH: video.played)
	Frames  int      `json:"frames"`  // video frames decoded
	Levels  int      `json:"levels"`  // variants in the master playlist (DASH: video representations)
	Parts   int      `json:"parts"`   // LL-HLS parts loaded
	Errors  []string `json:"errors"`  // fatal hls.js errors (DASH: Shaka's critical errors)
	Latency float64  `json:"latency"` // the live edge minus the playhead, seconds (live streams; DASH: the wall clock minus the MPD time played)
	// Switched lists the variants (levels) hls.js switched to, in order.
	Switched []int `json:"switched"`
	// Heights are the distinct video heights of the variants, ascending.
	Heights []int `json:"heights"`
	// Warnings are the errors the player recovered from (Shaka's
	// recoverable errors; hls.js's are not kept).
	Warnings []string `json:"warnings"`
}

// String describes a result for a failure message.
func (r Result) String() string {
	s := fmt.Sprintf("played %.1f s, %d frames, %d variants %v, %d parts, latency %.1f s, switched to %v, errors [%s]",
		r.Played, r.Frames, r.Levels, r.Heights, r.Parts, r.Latency, r.Switched, strings.Join(r.Errors, "; "))
	if len(r.Warnings) > 0 {
		s += ", warnings [" + strings.Join(r.Warnings, "; ") + "]"
	}
	return s
}

// Chromium finds Debian's chromium, or the one ONAIR_CHROMIUM names. Without
// it the test fails, so that CI cannot pass without having run it, unless
// ONAIR_SKIP_BROWSER=1 asks to skip.
func Chromium(t testing.TB) string {
	t.Helper()
	candidates := []string{"/usr/bin/chromium", "chromium"}
	if p := os.Getenv("ONAIR_CHROMIUM"); p != "" {
		candidates = []string{p}
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ONAIR_SKIP_BROWSER") == "1" {
		t.Skipf("SKIPPED a browser test: ONAIR_SKIP_BROWSER=1 and no chromium at %v (apt-get install chromium)", candidates)
	}
	t.Fatalf("this test needs chromium, and there is none at %v: apt-get install chromium "+
		"(ONAIR_CHROMIUM=/path/to/chromium picks another; ONAIR_SKIP_BROWSER=1 skips browser tests)", candidates)
	return ""
}

// HLSJS is hls.js's file in the repository's web/node_modules (make test
// installs it).
func HLSJS(t testing.TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(here), "..", "..", "..", "web", "node_modules", "hls.js", "dist", "hls.min.js")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("hls.js is not installed (%v): run scripts/docs-assets.sh, which make test runs", err)
	}
	return file
}

const page = `<!doctype html><html><body>
<script src="/hls.min.js"></script>
<script>
window.players = [];
function play(url, lowLatency, switchLevels) {
  const v = document.createElement('video');
  v.muted = true;
  v.playsInline = true;
  document.body.appendChild(v);
  const s = {errors: [], levels: 0, heights: [], parts: 0, switched: []};
  const hls = new Hls({lowLatencyMode: lowLatency, enableWorker: false});
  hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) s.errors.push(d.type + ': ' + d.details + (d.response ? ' ' + d.response.code : '')); });
  hls.on(Hls.Events.MANIFEST_PARSED, (e, d) => {
    s.levels = d.levels.length;
    s.heights = [...new Set(d.levels.map(l => l.height).filter(h => h > 0))].sort((a, b) => a - b);
    v.play().catch(err => s.errors.push('play: ' + err));
  });
  hls.on(Hls.Events.FRAG_LOADED, (e, d) => { if (d.part) s.parts++; });
  hls.on(Hls.Events.LEVEL_SWITCHED, (e, d) => { s.switched.push(d.level); });
  if (switchLevels) setInterval(() => { if (s.levels > 1 && hls.currentLevel >= 0) hls.nextLevel = (hls.currentLevel + 1) % s.levels; }, 1500);
  hls.loadSource(url);
  hls.attachMedia(v);
  s.state = () => {
    if (s.start === undefined && v.currentTime > 0) s.start = v.currentTime;
    return {played: s.start === undefined ? 0 : v.currentTime - s.start,
      frames: v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0,
      levels: s.levels, parts: s.parts, errors: s.errors, latency: hls.latency || 0, switched: s.switched, heights: s.heights};
  };
  window.players.push(s);
}
window.states = () => JSON.stringify(window.players.map(s => s.state()));
</script></body></html>`

// Session is a browser playing streams.
type Session struct {
	t     testing.TB
	ctx   context.Context
	close func()
}

// Start opens a browser and starts an hls.js player on each stream; the
// test's cleanup closes it.
func Start(t testing.TB, streams ...Stream) *Session {
	t.Helper()
	s := open(t, Chromium(t), page, map[string]string{"/hls.min.js": HLSJS(t)})
	for _, st := range streams {
		url, _ := json.Marshal(st.URL)
		s.run(st.URL, fmt.Sprintf("play(%s, %t, %t), true", url, st.LowLatency, st.Switch))
	}
	return s
}

// open starts a headless chromium on a page served with the given scripts
// (URL path to file), for Start and StartDASH; the test's cleanup closes it.
func open(t testing.TB, chromium, html string, scripts map[string]string) *Session {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if file, ok := scripts[r.URL.Path]; ok {
			http.ServeFile(w, r, file)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, html)
	}))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := chromedp.NewContext(allocCtx)
	s := &Session{t: t, ctx: ctx, close: func() { cancel(); cancelAlloc(); srv.Close() }}
	t.Cleanup(s.close)
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatalf("opening the player: %v", err)
	}
	return s
}

// run evaluates js, which starts a player on url.
func (s *Session) run(url, js string) {
	s.t.Helper()
	if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](js)); err != nil {
		s.t.Fatalf("starting a player on %s: %v", url, err)
	}
}

// Results is what each player saw so far, in the order of the streams.
func (s *Session) Results() []Result {
	s.t.Helper()
	raw, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`window.states()`))
	if err != nil {
		s.t.Fatalf("reading the players: %v", err)
	}
	var res []Result
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		s.t.Fatalf("the players' state %s: %v", raw, err)
	}
	return res
}

// PlayFor waits until every player has played o.Seconds more media than it
// had, or has met a fatal error, or the timeout has passed, and returns what
// they saw since they started.
func (s *Session) PlayFor(o Options) []Result {
	s.t.Helper()
	o.defaults()
	from := s.Results()
	deadline := time.Now().Add(o.Timeout)
	for {
		res := s.Results()
		done := true
		for i, r := range res {
			if len(r.Errors) == 0 && r.Played-from[i].Played < o.Seconds {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			return res
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Play opens url in hls.js and plays it until o.Seconds of media have
// played, a fatal error, or the timeout.
func Play(t testing.TB, url string, o Options) Result {
	t.Helper()
	s := Start(t, Stream{URL: url, LowLatency: o.LowLatency, Switch: o.Switch})
	defer s.close()
	return s.PlayFor(o)[0]
}
