package origin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// variantWaiter routes one live directory to its variant, as the engine
// routes each rendition's.
type variantWaiter struct {
	dir string // relative to the data directory
	v   *hls.Variant
}

func (w variantWaiter) Wait(ctx context.Context, file string, msn, part int) error {
	if file != path.Join(w.dir, hls.Playlist) {
		return hls.ErrNotLive
	}
	return w.v.Wait(ctx, msn, part)
}

func (w variantWaiter) WaitFile(ctx context.Context, file string) error {
	if path.Dir(file) != w.dir {
		return hls.ErrNotLive
	}
	return w.v.WaitFile(ctx, path.Base(file))
}

type reply struct {
	code  int
	body  string
	cache string
	ctype string
	err   error
}

func fetch(url string) reply {
	resp, err := http.Get(url)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: string(b), cache: resp.Header.Get("Cache-Control"), ctype: resp.Header.Get("Content-Type")}
}

// later fetches url in the background.
func later(url string) chan reply {
	ch := make(chan reply, 1)
	go func() { ch <- fetch(url) }()
	return ch
}

// pending asserts that a held request has not been answered yet.
func pending(t *testing.T, what string, ch chan reply) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s was answered before its media existed: %d %s", what, r.code, r.body)
	case <-time.After(300 * time.Millisecond):
	}
}

func answered(t *testing.T, what string, ch chan reply) reply {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s: %v", what, r.err)
		}
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was never answered", what)
	}
	return reply{}
}

// TestBlockingReload serves a live LL-HLS variant written by a real
// hls.Variant from real media: a blocking playlist reload for the next
// part is held until the part is listed, a request for the hinted part is
// held until it is written, a reload for media that never comes gets a 503
// after three target durations, and malformed or too-far requests a 400.
func TestBlockingReload(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	file := filepath.Join(t.TempDir(), "src.ts")
	hlstest.Encode(t, ffmpeg, file, 4, 15, "libx264")
	tracks, units := hlstest.ReadTS(t, file)

	data, srv := serve(t)
	v, err := hls.OpenVariant(hls.VariantConfig{Dir: filepath.Join(data, "live/wf/ll"), Format: hls.CMAF,
		Segment: time.Second, Window: 10 * time.Second, Part: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o, err := New(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	o.SetWaiter(variantWaiter{dir: "live/wf/ll", v: v})
	mux := http.NewServeMux()
	o.Register(mux, func(_ string, h http.Handler) http.Handler { return h })
	llsrv := httptest.NewServer(mux)
	t.Cleanup(llsrv.Close)
	base := llsrv.URL + "/live/wf/ll/"

	hub := media.NewHub(media.HubOptions{})
	r := hub.Subscribe("hls", 1<<20)
	done := make(chan error, 1)
	go func() { done <- v.Run(context.Background(), r) }()
	t.Cleanup(func() { hub.Close(); <-done })
	hub.Begin(tracks)
	// Up to a part into the second segment, then the rest at once.
	n := 0
	for ; units[n].DTS-units[0].DTS < 1700*time.Millisecond; n++ {
		hub.Write(units[n])
	}
	var m *hlstest.Media
	deadline := time.Now().Add(5 * time.Second)
	for m == nil || m.Segments == nil || len(m.Open) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no segment and part listed: %+v", m)
		}
		time.Sleep(20 * time.Millisecond)
		got := fetch(base + hls.Playlist)
		m, _ = hlstest.ParseMedia([]byte(got.body))
	}
	msn, nextPart := m.Seq+len(m.Segments), len(m.Open)
	reload := later(base + hls.Playlist + "?_HLS_msn=" + itoa(msn) + "&_HLS_part=" + itoa(nextPart))
	hinted := later(llsrv.URL + "/live/wf/ll/" + m.Hint)
	pending(t, "the blocking reload", reload)
	pending(t, "the hinted part", hinted)

	for _, u := range units[n:] {
		hub.Write(u)
	}
	got := answered(t, "the blocking reload", reload)
	if got.code != 200 || got.cache != "no-cache" {
		t.Fatalf("blocking reload: %d, cache %q", got.code, got.cache)
	}
	checker := &hlstest.Checker{Exists: hlstest.HTTP(base + hls.Playlist)}
	after, err := checker.Check([]byte(got.body))
	if err != nil {
		t.Fatal(err)
	}
	if after.Seq+len(after.Segments) == msn && len(after.Open) <= nextPart {
		t.Fatalf("the blocking reload answered without part %d of segment %d:\n%s", nextPart, msn, got.body)
	}
	part := answered(t, "the hinted part", hinted)
	if part.code != 200 || part.ctype != "video/iso.segment" || part.cache != "public, max-age=31536000, immutable" || len(part.body) < 100 {
		t.Fatalf("hinted part: %d %q %q, %d bytes", part.code, part.ctype, part.cache, len(part.body))
	}
	if init := fetch(base + after.Segments[0].Map); init.code != 200 || init.ctype != "video/mp4" || init.cache != "public, max-age=31536000, immutable" {
		t.Errorf("init section: %d %q %q", init.code, init.ctype, init.cache)
	}

	// All the media is in: what comes next never does.
	time.Sleep(200 * time.Millisecond)
	now, _ := hlstest.ParseMedia([]byte(fetch(base + hls.Playlist).body))
	next := now.Seq + len(now.Segments) + 1
	start := time.Now()
	if got := fetch(base + hls.Playlist + "?_HLS_msn=" + itoa(next)); got.code != 503 {
		t.Errorf("a reload for media that never comes: %d", got.code)
	} else if held := time.Since(start); held < 2*time.Second || held > 6*time.Second {
		t.Errorf("held %s, want three target durations (3 s)", held)
	}
	if got := fetch(llsrv.URL + "/live/wf/ll/part_009999.m4s"); got.code != 404 {
		t.Errorf("a part nobody will write: %d", got.code)
	}

	for _, tc := range []struct{ query string }{
		{"?_HLS_part=1"},
		{"?_HLS_msn=abc"},
		{"?_HLS_msn=-1"},
		{"?_HLS_msn=1&_HLS_msn=2"},
		{"?_HLS_msn=" + itoa(next+5)},
		{"?_HLS_msn=" + itoa(next-1) + "&_HLS_part=9"},
		{"?_HLS_skip=NO"},
		{"?_HLS_msn=1&_HLS_skip=YES&_HLS_skip=YES"},
	} {
		if got := fetch(base + hls.Playlist + tc.query); got.code != 400 {
			t.Errorf("%s: %d, want 400", tc.query, got.code)
		}
	}
	// A playlist no live variant writes is served as it is.
	if got := fetch(srv.URL + "/live/wf/master.m3u8?_HLS_msn=3&_HLS_part=1"); got.code != 200 {
		t.Errorf("a blocking reload of a playlist without a waiter: %d", got.code)
	}
	if got := fetch(llsrv.URL + "/live/wf/master.m3u8?_HLS_msn=3"); got.code != 200 || got.body != "#EXTM3U\n" {
		t.Errorf("a blocking reload of a playlist no variant writes: %d %q", got.code, got.body)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzBlockingQuery: the query parsers never panic, and what they accept is
// a pair of sequence numbers a variant can compare.
func FuzzBlockingQuery(f *testing.F) {
	for _, s := range []string{"", "_HLS_msn=3", "_HLS_msn=3&_HLS_part=2", "_HLS_part=1", "_HLS_msn=%ff", "_HLS_msn=99999999999999999999", "_HLS_skip=YES&_HLS_msn=1", "_HLS_skip=v2", "_HLS_skip=%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if skip, err := skipQuery(q); skip && err != nil {
			t.Fatalf("skipQuery(%q) skips and fails", q)
		}
		msn, part, block, err := blockingQuery(q)
		if err != nil || !block {
			return
		}
		if msn < 0 || msn >= maxSequence || part < -1 || part >= maxSequence {
			t.Fatalf("blockingQuery(%q) = %d, %d", q, msn, part)
		}
	})
}
