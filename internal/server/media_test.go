package server_test

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestPublishPlayStopDownload is a channel's whole life as a user lives it: start,
// publish with ffmpeg to the URL the API gives, play the ABR ladder, stop, and
// download an archive as long as what was published.
func TestPublishPlayStopDownload(t *testing.T) {
	n := startNode(t, nil)
	id, info := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	if len(info.Endpoints.Input) != 1 || len(info.Endpoints.Input[0].Endpoints) != 1 || len(info.Endpoints.Output) != 1 {
		t.Fatalf("endpoints: %+v", info.Endpoints)
	}
	ingest := info.Endpoints.Input[0].Endpoints[0]
	if !strings.HasPrefix(ingest, "rtmp://127.0.0.1:") || len(ingest[strings.LastIndex(ingest, "/")+1:]) < 32 {
		t.Fatalf("ingest URL %q: want a 128-bit key", ingest)
	}
	master := info.Endpoints.Output[0].URL
	master = n.local(master)

	const seconds = 8
	pub := e2e.Publish(t, ingest, seconds)
	e2e.WaitFor(t, "the live ladder", 30*time.Second, func() bool {
		code, _, body := e2e.Get(t, master)
		return code == 200 && strings.Count(body, "#EXT-X-STREAM-INF") == 2
	})
	_, hdr, body := e2e.Get(t, master)
	if hdr.Get("Content-Type") != "application/vnd.apple.mpegurl" || hdr.Get("Cache-Control") != "no-cache" {
		t.Errorf("master headers: %v", hdr)
	}
	for _, res := range []string{"RESOLUTION=320x180", "RESOLUTION=160x90", `CODECS="avc1.64`, `CODECS="avc1.4d`, "mp4a.40.2"} {
		if !strings.Contains(body, res) {
			t.Errorf("master lacks %s:\n%s", res, body)
		}
	}
	// ffprobe reads the live ladder through the origin and decodes it.
	streams := e2e.Probe(t, "-show_entries", "stream=codec_type,width,height", master)["streams"].([]any)
	widths := map[float64]bool{}
	for _, s := range streams {
		if w, ok := s.(map[string]any)["width"].(float64); ok {
			widths[w] = true
		}
	}
	if !widths[320] || !widths[160] {
		t.Errorf("ffprobe of the master sees widths %v", widths)
	}
	if err := pub.Wait(); err != nil {
		t.Fatalf("publisher: %v", err)
	}

	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	a := info.Archives[0]
	if a.FileSize <= 0 || a.DownloadURL == "" || a.PlaylistURL == "" {
		t.Fatalf("archive: %+v", a)
	}
	if math.Abs(a.Duration-seconds) > 2 { // within one segment
		t.Errorf("archive lasts %.2f s, published %d s", a.Duration, seconds)
	}
	mp4 := n.local(a.DownloadURL)
	code, hdr, _ := e2e.Get(t, mp4)
	if code != 200 || hdr.Get("Content-Type") != "video/mp4" || hdr.Get("Content-Length") != strconv.FormatInt(a.FileSize, 10) {
		t.Fatalf("download: %d %v", code, hdr)
	}
	e2e.Decodes(t, mp4)
	vod, _, _ := strings.Cut(n.local(a.PlaylistURL), "?")
	if _, _, body := e2e.Get(t, vod); !strings.Contains(body, "#EXT-X-ENDLIST") {
		t.Errorf("archive playlist not finalized:\n%s", body)
	}
	if code, _, _ := e2e.Get(t, master); code != 404 {
		t.Errorf("live playlist still served after DONE: %d", code)
	}
	if !e2e.HasEvent(info, "publisher_connected") || !e2e.HasEvent(info, "publisher_disconnected") {
		t.Errorf("events: %+v", info.Events)
	}
}

// TestReconnect: the publisher is killed and comes back on the same key; the
// run stays RUNNING and records one continuous, playable archive.
func TestReconnect(t *testing.T) {
	n := startNode(t, nil)
	id, info := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	ingest := info.Endpoints.Input[0].Endpoints[0]
	variant := filepath.Join(n.data, "live", id, "180p", "index.m3u8")

	first := e2e.Publish(t, ingest, 30)
	e2e.WaitFor(t, "segments from the first publisher", 30*time.Second, func() bool { return e2e.Segments(variant) >= 3 })
	first.Process.Kill()
	first.Wait()
	seqBefore := e2e.MediaSequence(t, variant)
	if s := n.Channel(id).Status; s != domain.StatusRunning {
		t.Fatalf("after the publisher dropped: %s", s)
	}

	second := e2e.Publish(t, ingest, 5)
	if err := second.Wait(); err != nil {
		t.Fatalf("second publisher refused: %v", err)
	}
	if seq := e2e.MediaSequence(t, variant); seq < seqBefore {
		t.Errorf("media sequence went back: %d → %d", seqBefore, seq)
	}
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 || info.Archives[0].FileSize == 0 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	// The first publisher ran at least 3 segments (6 s), the second 5 s.
	if d := info.Archives[0].Duration; d < 9 {
		t.Errorf("archive lasts %.1f s: both sessions should be in it", d)
	}
	e2e.Decodes(t, n.local(info.Archives[0].DownloadURL))
	connected := 0
	for _, e := range info.Events {
		if e.Type == "publisher_connected" {
			connected++
		}
	}
	if connected != 2 {
		t.Errorf("events: %+v", info.Events)
	}
}

// TestStandard: a STANDARD channel has a main and a backup endpoint, each with
// its own pipeline, output and archive.
func TestStandard(t *testing.T) {
	n := startNode(t, nil)
	b := e2e.SmallBlueprint(domain.ClassStandard)
	b.Settings.OutputGroups[1].Archive.NameModifier = "0/$w$x$h$"
	id, info := n.CreateAndStart(b)
	urls := info.Endpoints.Input[0].Endpoints
	if len(urls) != 2 || urls[0] == urls[1] {
		t.Fatalf("STANDARD endpoints: %v", urls)
	}
	if out := info.Endpoints.Output[0].URL; !strings.HasSuffix(out, "/live/"+id+"/0/master.m3u8") {
		t.Errorf("output URL %s does not point at pipeline 0", out)
	}
	main, backup := e2e.Publish(t, urls[0], 4), e2e.Publish(t, urls[1], 4)
	if err := main.Wait(); err != nil {
		t.Fatalf("main: %v", err)
	}
	if err := backup.Wait(); err != nil {
		t.Fatalf("backup: %v", err)
	}
	for _, p := range []string{"0", "1"} {
		if _, err := os.Stat(filepath.Join(n.data, "live", id, p, "master.m3u8")); err != nil {
			t.Errorf("pipeline %s wrote no master playlist: %v", p, err)
		}
	}
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 2 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	for i, a := range info.Archives {
		if a.FileSize == 0 || !strings.Contains(a.DownloadURL, "/"+strconv.Itoa(i)+"/320x180") {
			t.Errorf("archive %d: %+v", i, a)
		}
	}
}

// TestRefusals: a wrong key, and a second publisher on a key in use, are refused.
func TestRefusals(t *testing.T) {
	n := startNode(t, nil)
	_, info := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	ingest := info.Endpoints.Input[0].Endpoints[0]
	wrong := ingest[:strings.LastIndex(ingest, "/")+1] + "0123456789abcdef0123456789abcdef"
	if err := e2e.Publish(t, wrong, 2).Wait(); err == nil {
		t.Error("a wrong key was accepted")
	}
	first := e2e.Publish(t, ingest, 20)
	e2e.WaitFor(t, "the first publisher", 20*time.Second, func() bool { return e2e.HasEvent(n.Channel(info.ID), "publisher_connected") })
	if err := e2e.Publish(t, ingest, 2).Wait(); err == nil {
		t.Error("a second publisher on a key in use was accepted")
	}
	first.Process.Kill()
}

// TestNoInputArchive: a run that never received input has an archive of size 0
// and no download link, as the guide says.
func TestNoInputArchive(t *testing.T) {
	n := startNode(t, nil)
	id, _ := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	n.Stop(id)
	info := n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 || info.Archives[0].FileSize != 0 || info.Archives[0].DownloadURL != "" {
		t.Fatalf("archives: %+v", info.Archives)
	}
}

// TestPipelineRestart: an ffmpeg that dies while RUNNING is restarted; the run
// stays RUNNING, the live playlist goes on, and the restart shows in the run's
// events and in the metrics.
func TestPipelineRestart(t *testing.T) {
	n := startNode(t, nil)
	id, info := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	variant := filepath.Join(n.data, "live", id, "180p", "index.m3u8")
	pub := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 30)
	defer pub.Process.Kill()
	e2e.WaitFor(t, "segments", 30*time.Second, func() bool { return e2e.Segments(variant) >= 2 })
	seq := e2e.MediaSequence(t, variant)
	last := e2e.LastSegment(variant)

	out, err := exec.Command("pkill", "-KILL", "-f", ffmpegOf("live/"+id)).CombinedOutput()
	if err != nil {
		t.Fatalf("pkill: %v %s", err, out)
	}
	e2e.WaitFor(t, "the restarted ffmpeg", 20*time.Second, func() bool {
		info := n.Channel(id)
		return e2e.HasEvent(info, "pipeline_restarted") && e2e.CountEvents(info, "pipeline_started") == 2
	})
	// The segment the kill cut short is listed at once; then the new ffmpeg's.
	last = max(last, e2e.LastSegment(variant))
	e2e.WaitFor(t, "new segments after the restart", 30*time.Second, func() bool { return e2e.LastSegment(variant) > last })
	if s := e2e.MediaSequence(t, variant); s < seq {
		t.Errorf("media sequence went back: %d → %d", seq, s)
	}
	if b, _ := os.ReadFile(variant); e2e.Discontinuities(variant) == 0 {
		t.Errorf("no discontinuity where the new ffmpeg starts:\n%s", b)
	}
	if s := n.Channel(id).Status; s != domain.StatusRunning {
		t.Errorf("status after a restart: %s", s)
	}
	metrics := n.metrics(t)
	if want := `onair_pipeline_restarts_total{pipeline="0",workflow="` + id + `"} 1`; !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %s", want)
	}
	if !strings.Contains(metrics, `onair_pipeline_up{pipeline="0",workflow="`+id+`"} 1`) {
		t.Error("metrics do not show the pipeline up again")
	}
}

// TestDestinationPush: a channel pushes its top rendition over RTMP to a
// destination; here the destination is another channel's ingest on this node.
func TestDestinationPush(t *testing.T) {
	n := startNode(t, nil)
	sinkID, sink := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	target := sink.Endpoints.Input[0].Endpoints[0]
	base, key := target[:strings.LastIndex(target, "/")], target[strings.LastIndex(target, "/")+1:]

	b := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	b.Settings.Destinations = []domain.Destination{{ID: "relay", Settings: []domain.DestinationSetting{{URL: base, StreamName: key}}}}
	b.Settings.OutputGroups = append(b.Settings.OutputGroups, domain.OutputGroup{Name: "Relay", Type: domain.OutputRTMP, DestinationID: "relay"})
	_, src := n.CreateAndStart(b)
	pub := e2e.Publish(t, src.Endpoints.Input[0].Endpoints[0], 30)
	defer pub.Process.Kill()

	variant := filepath.Join(n.data, "live", sinkID, "180p", "index.m3u8")
	e2e.WaitFor(t, "the pushed stream in the destination channel", 40*time.Second, func() bool {
		return e2e.HasEvent(n.Channel(sinkID), "publisher_connected") && e2e.Segments(variant) >= 1
	})
}
