package player

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/testutil/fftest"
)

// dashVOD has ffmpeg's dash muxer write a 4 s MPD with 1 s segments into a
// new directory, with extra arguments (such as -format_options) before the
// output.
func dashVOD(t *testing.T, extra ...string) string {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	args := []string{"-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine",
		"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
		"-f", "dash", "-seg_duration", "1", "-use_template", "1", "-use_timeline", "1"}
	args = append(append(args, extra...), filepath.Join(dir, "manifest.mpd"))
	if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	return dir
}

// serveDir serves dir to the player's page, which has another origin.
func serveDir(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPlayDASH: Shaka plays a DASH VOD that ffmpeg wrote, sees its one
// rendition, and says so; and it reports an MPD it cannot load.
func TestPlayDASH(t *testing.T) {
	srv := serveDir(t, dashVOD(t))
	s := StartDASH(t, DASH{URL: srv.URL + "/manifest.mpd"}, DASH{URL: srv.URL + "/missing.mpd"})
	res := s.PlayFor(Options{Seconds: 2, Timeout: 30 * time.Second})
	if r := res[0]; r.Played < 2 || r.Frames == 0 || len(r.Errors) > 0 || r.Levels != 1 || len(r.Heights) != 1 || r.Heights[0] != 180 {
		t.Errorf("playing ffmpeg's DASH: %s", r)
	}
	if r := res[1]; len(r.Errors) == 0 || !strings.HasPrefix(r.Errors[0], "code 1001 BAD_HTTP_STATUS: category 1 NETWORK") || r.Played > 0 {
		t.Errorf("a missing MPD: %s", r)
	}
}

// TestPlayDASHLive: Shaka plays the dynamic MPD of a live stream that ffmpeg
// writes as it goes, from near its live edge, and says how far behind it is.
func TestPlayDASHLive(t *testing.T) {
	Chromium(t) // skip, with no browser, before ffmpeg starts
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine",
		"-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
		"-f", "dash", "-seg_duration", "1", "-use_template", "1", "-use_timeline", "1", "-window_size", "6",
		filepath.Join(dir, "manifest.mpd"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "manifest.mpd")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ffmpeg wrote no MPD in 15 s")
		}
	}
	srv := serveDir(t, dir)
	r := StartDASH(t, DASH{URL: srv.URL + "/manifest.mpd"}).PlayFor(Options{Seconds: 3, Timeout: 30 * time.Second})[0]
	if r.Played < 3 || r.Frames == 0 || len(r.Errors) > 0 || r.Levels != 1 || r.Latency <= 0 || r.Latency > 10 {
		t.Errorf("playing ffmpeg's live DASH: %s", r)
	}
}
