package player

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"

	"onair/internal/testutil/fftest"
)

// TestPlayVOD: the player plays an HLS playlist that ffmpeg wrote, and says
// so; and it reports a playlist it cannot play.
func TestPlayVOD(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine",
		"-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p", "-c:a", "aac",
		"-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", filepath.Join(dir, "index.m3u8")).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	res := Play(t, srv.URL+"/index.m3u8", Options{Seconds: 3})
	if res.Played < 3 || res.Frames < 30 || len(res.Errors) > 0 {
		t.Errorf("playing ffmpeg's HLS: %s", res)
	}
	bad := Play(t, srv.URL+"/missing.m3u8", Options{Seconds: 1})
	if len(bad.Errors) == 0 {
		t.Errorf("a missing playlist: %s", bad)
	}
}
