package server_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/hls/hlstest"
	"onair/internal/ingest/ingesttest"
	"onair/internal/testutil/e2e"
)

// TestHEVCPassthrough: a publisher sending H.265 over Enhanced RTMP, as OBS
// 30+ does, gets a passthrough channel whose TS and CMAF outputs ffprobe
// reads as HEVC through the origin, with masters that name the codec
// (CODECS hvc1) and the picture, and an archive whose MP4 is HEVC.
func TestHEVCPassthrough(t *testing.T) {
	n := startNode(t, nil)
	id, info := n.CreateAndStart(e2e.WithLowLatency(e2e.Passthrough(domain.ClassSinglePipeline)))
	file := ingesttest.MakeTS(t, t.TempDir(), "libx265", 12)
	ctx, cancel := context.WithCancel(context.Background())
	published := make(chan struct{})
	go func() {
		defer close(published)
		(&ingesttest.Publisher{URL: info.Endpoints.Input[0].Endpoints[0], File: file}).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-published })

	for _, out := range info.Endpoints.Output {
		master := n.local(out.URL)
		var body string
		e2e.WaitFor(t, "the master playlist of "+out.Format, 30*time.Second, func() bool {
			code, _, b := e2e.Get(t, master)
			body = b
			return code == 200
		})
		m, err := hlstest.ParseMaster([]byte(body))
		if err != nil {
			t.Fatalf("%s master: %v\n%s", out.Format, err, body)
		}
		if len(m.Variants) != 1 || !strings.HasPrefix(m.Variants[0].Codecs, "hvc1.") || m.Variants[0].Width != 320 || m.Variants[0].Height != 180 {
			t.Errorf("%s master: %+v\n%s", out.Format, m.Variants, body)
		}
		variant := master[:strings.LastIndex(master, "/")+1] + m.Variants[0].URI
		e2e.WaitFor(t, "two segments of "+out.Format, 30*time.Second, func() bool {
			_, _, b := e2e.Get(t, variant)
			return strings.Count(b, "#EXTINF") >= 2
		})
		probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", variant).CombinedOutput()
		if err != nil || !strings.Contains(string(probe), "hevc,320,180") || !strings.Contains(string(probe), "aac") {
			t.Errorf("ffprobe %s: %v\n%s", variant, err, probe)
		}
	}
	cancel()
	<-published
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 || info.Archives[0].FileSize == 0 {
		t.Fatalf("archives %+v", info.Archives)
	}
	mp4 := n.local(info.Archives[0].DownloadURL)
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", mp4).CombinedOutput()
	if err != nil || !strings.Contains(string(probe), "hevc,320,180") {
		t.Errorf("ffprobe of the archive's MP4: %v\n%s", err, probe)
	}
}
