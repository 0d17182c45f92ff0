package origin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
	"onair/internal/testutil/player"
)

const playerPage = `<!doctype html><html><body>
<script src="/hls.js"></script>
<script>
window.players = {};
function play(name, url, lowLatency) {
  const video = document.createElement('video');
  video.muted = true;
  document.body.appendChild(video);
  const s = {name, errors: [], sns: [], parts: 0, time: 0, frames: 0};
  players[name] = s;
  const h = new Hls({lowLatencyMode: lowLatency, debug: false});
  h.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) s.errors.push(d.type + ': ' + d.details); });
  h.on(Hls.Events.FRAG_CHANGED, (e, d) => { if (!s.sns.includes(d.frag.sn)) s.sns.push(d.frag.sn); });
  h.on(Hls.Events.FRAG_LOADED, (e, d) => { if (d.part) s.parts++; });
  setInterval(() => {
    s.time = video.currentTime;
    s.frames = video.getVideoPlaybackQuality().totalVideoFrames;
    s.ended = video.ended;
  }, 100);
  h.loadSource(url);
  h.attachMedia(video);
  video.play().catch(e => s.errors.push('play: ' + e));
}
</script></body></html>`

// TestHLSJS plays the packager's three outputs (TS, CMAF, LL-HLS), written
// live from one hub, in hls.js in headless Chromium through the origin,
// across a publisher that leaves and comes back with its timestamps starting
// over: each player decodes frames, keeps playing past the discontinuity,
// and meets no fatal error; the LL-HLS player loads parts through blocking
// playlist reloads.
func TestHLSJS(t *testing.T) {
	chromium, hlsjs := player.Chromium(t), player.HLSJS(t)
	ffmpeg, _ := fftest.Tools(t)
	src := filepath.Join(t.TempDir(), "src.ts")
	hlstest.Encode(t, ffmpeg, src, 8, 15, "libx264")
	tracks, units := hlstest.ReadTS(t, src)

	data := t.TempDir()
	o, err := New(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	hub := media.NewHub(media.HubOptions{})
	configs := map[string]hls.VariantConfig{
		"ts":   {Format: hls.TS, Segment: 2 * time.Second, Window: 30 * time.Second},
		"cmaf": {Format: hls.CMAF, Segment: 2 * time.Second, Window: 30 * time.Second},
		"ll":   {Format: hls.CMAF, Segment: 2 * time.Second, Window: 30 * time.Second, Part: 500 * time.Millisecond},
	}
	variants := map[string]*hls.Variant{}
	var wg sync.WaitGroup
	for name, cfg := range configs {
		cfg.Dir = filepath.Join(data, "live", "wf", name)
		v, err := hls.OpenVariant(cfg)
		if err != nil {
			t.Fatal(err)
		}
		variants[name] = v
		r := hub.Subscribe(name, 1<<20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := v.Run(context.Background(), r); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	t.Cleanup(func() { hub.Close(); wg.Wait() })
	o.SetWaiter(variantWaiter{dir: "live/wf/ll", v: variants["ll"]})

	var blocking, skipping atomic.Int64
	mux := http.NewServeMux()
	o.Register(mux, func(_ string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.RawQuery, "_HLS_msn") {
				blocking.Add(1)
			}
			if strings.Contains(r.URL.RawQuery, "_HLS_skip") {
				skipping.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	mux.HandleFunc("/player.html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, playerPage) })
	mux.HandleFunc("/hls.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, hlsjs) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// The publisher, in real time: 8 s, away, then 8 s more starting over.
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i, batch := range [][]*media.Unit{units, units} {
			if i > 0 {
				hub.End()
			}
			hub.Begin(tracks)
			start, base := time.Now(), batch[0].DTS
			for _, u := range batch {
				time.Sleep(time.Until(start.Add(u.DTS - base)))
				hub.Write(u)
			}
		}
		for _, v := range variants {
			v.Finish()
		}
	}()
	t.Cleanup(func() { <-fed })

	// Players join once each playlist lists a few seconds.
	for name := range configs {
		file := filepath.Join(data, "live", "wf", name, hls.Playlist)
		deadline := time.Now().Add(20 * time.Second)
		for {
			b, _ := os.ReadFile(file)
			if m, err := hlstest.ParseMedia(b); err == nil && len(m.Segments) >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no playlist to play", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var problems []string
	var pmu sync.Mutex
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			pmu.Lock()
			problems = append(problems, e.ExceptionDetails.Text)
			pmu.Unlock()
		}
	}))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/player.html")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	for name := range configs {
		js := fmt.Sprintf("play(%q, %q, %t)", name, "/live/wf/"+name+"/"+hls.Playlist, name == "ll")
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](js)); err != nil {
			t.Fatal(err)
		}
	}
	<-fed
	type state struct {
		Errors []string
		Sns    []int
		Parts  int
		Time   float64
		Frames int
		Ended  bool
	}
	// Each player plays to the end of what it was given.
	deadline := time.Now().Add(30 * time.Second)
	var got map[string]state
	for {
		if got, err = chromedp.Run(ctx, chromedp.Evaluate[map[string]state]("players")); err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, s := range got {
			if s.Ended || len(s.Errors) > 0 {
				done++
			}
		}
		if done == len(configs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for name := range configs {
		b, _ := os.ReadFile(filepath.Join(data, "live", "wf", name, hls.Playlist))
		m, err := hlstest.ParseMedia(b)
		if err != nil || !m.Ended || len(m.Segments) != 8 || !m.Segments[4].Discontinuity {
			t.Fatalf("%s: the playlist played is not 8 segments with a discontinuity at 4 (%v):\n%s", name, err, b)
		}
		s := got[name]
		t.Logf("%s: %+v", name, s)

		maxSN := 0
		for _, sn := range s.Sns {
			maxSN = max(maxSN, sn)
		}
		var total float64
		for _, seg := range m.Segments {
			total += seg.Duration
		}
		// hls.js in low-latency mode sometimes stops within the last part
		// of an ended stream without firing ended (it never calls
		// endOfStream; in 1 run of about 5 on this machine, under load or
		// not): played to there, the stream was played whole.
		whole := s.Ended || name == "ll" && s.Time >= total-configs[name].Part.Seconds()
		switch {
		case len(s.Errors) > 0:
			t.Errorf("%s: hls.js failed: %v", name, s.Errors)
		case !whole || s.Frames < 15*6:
			t.Errorf("%s: played to %.1f s of %.1f, %d frames, ended %t", name, s.Time, total, s.Frames, s.Ended)
		case maxSN < 6:
			t.Errorf("%s: played segments %v, never past the discontinuity at 4", name, s.Sns)
		case name == "ll" && s.Parts == 0:
			t.Errorf("ll: hls.js loaded no part")
		}
	}
	t.Logf("%d blocking playlist reloads, %d of them for delta updates", blocking.Load(), skipping.Load())
	if blocking.Load() == 0 {
		t.Error("hls.js made no blocking playlist reload")
	}
	pmu.Lock()
	defer pmu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page threw: %v", problems)
	}
}
