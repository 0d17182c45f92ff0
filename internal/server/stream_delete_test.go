package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestStreamDeleteKeepsArchives: deleting a stream deletes its workflow and
// managed input, and its sessions' recordings stay where archives_path said,
// served at the same URLs. (ffmpeg is missing here, so the session fails to
// start; its directory gets a recording by hand.)
func TestStreamDeleteKeepsArchives(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.FFmpeg = "/nonexistent/ffmpeg" })
	var st api.StreamInfo
	if code := n.Call("POST", "/api/streams", map[string]any{"name": "Lecture"}, &st); code != 200 {
		t.Fatalf("create: %d", code)
	}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/start", nil, &st); code != 200 || st.CurrentSessionID == nil {
		t.Fatalf("start: %d %+v", code, st)
	}
	n.WaitStatus(st.LiveChannelID, domain.StatusStartFailed)
	dir := st.ArchivesPath[*st.CurrentSessionID]
	file := filepath.Join(n.data, "archive", dir, "0", "1920x1080VBR.mp4")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("not really an mp4"), 0o644); err != nil {
		t.Fatal(err)
	}
	url := n.Base + "/archive/" + dir + "/0/1920x1080VBR.mp4"
	if code, _, _ := e2e.Get(t, url); code != 200 {
		t.Fatalf("the recording before the delete: %d", code)
	}

	var gone api.StreamInfo
	if code := n.Call("DELETE", "/api/streams/"+st.ID, nil, &gone); code != 200 || gone.ArchivesPath[*st.CurrentSessionID] != dir {
		t.Fatalf("delete: %d %+v", code, gone)
	}
	for _, path := range []string{"/api/streams/" + st.ID, "/api/workflows/" + st.LiveChannelID, "/api/managed-inputs/" + st.LiveInputID} {
		if code := n.Call("GET", path, nil, nil); code != 404 {
			t.Errorf("GET %s after the delete: %d, want 404", path, code)
		}
	}
	if code, _, body := e2e.Get(t, url); code != 200 || body != "not really an mp4" {
		t.Errorf("the recording after the delete: %d %q", code, body)
	}
}
