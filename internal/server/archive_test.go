package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestArchiveSurvivesRestarts: five kills of a recording ABR pipeline's ffmpeg
// leave an archive that lists every segment written, and whose MP4 has no
// hole longer than a restart and no timestamp going back.
func TestArchiveSurvivesRestarts(t *testing.T) {
	n := startNode(t, nil)
	b := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	b.Settings.OutputGroups[1].Archive.SegmentSeconds = 6 // a kill mid-segment cost up to 6 s before
	id, info := n.CreateAndStart(b)
	const seconds = 36
	pub := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], seconds)
	archiveDir := filepath.Join(n.data, "archive", id, info.RunID, "320x180")
	e2e.WaitFor(t, "the first archive segment", 30*time.Second, func() bool { return e2e.Segments(filepath.Join(archiveDir, "index.m3u8")) >= 1 })
	for kill := 1; kill <= 5; kill++ {
		time.Sleep(3 * time.Second) // into the next 6 s segment
		exec.Command("pkill", "-KILL", "-f", ffmpegOf("live/"+id)).Run()
		e2e.WaitFor(t, "the restarted ffmpeg", 20*time.Second, func() bool {
			return e2e.CountEvents(n.Channel(id), "pipeline_started") == kill+1
		})
	}
	if err := pub.Wait(); err != nil {
		t.Fatalf("publisher: %v", err)
	}
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 || info.Archives[0].FileSize == 0 {
		t.Fatalf("archives %+v", info.Archives)
	}

	// Every segment on disk is in the playlist.
	playlist, _ := os.ReadFile(filepath.Join(archiveDir, "index.m3u8"))
	files, _ := filepath.Glob(filepath.Join(archiveDir, "seg_*.ts"))
	for _, f := range files {
		if !strings.Contains(string(playlist), filepath.Base(f)) {
			t.Errorf("%s is on disk and not in the archive playlist", filepath.Base(f))
		}
	}
	// The MP4: holes no longer than a restart (a kill, the backoff, ffmpeg's
	// start and its probe, the next keyframe), nothing going back, and the
	// media of all but those holes.
	tl := e2e.VideoTimeline(t, filepath.Join(n.data, "archive", strings.TrimPrefix(info.Archives[0].DownloadURL, public+"/archive/")))
	t.Logf("archive: %.1f s to %.1f s, %.1f s of media, longest hole %.2f s at %.1f s", tl.Start, tl.End, tl.Media, tl.MaxGap, tl.GapAt)
	if tl.Back {
		t.Error("a timestamp goes back in the archive's MP4")
	}
	if tl.MaxGap > 3.5 {
		t.Errorf("the longest hole is %.2f s at %.1f s: more than a restart", tl.MaxGap, tl.GapAt)
	}
	if tl.Media < seconds-5*3.5 {
		t.Errorf("the archive holds %.1f s of media of the %d s published", tl.Media, seconds)
	}
	if t.Failed() {
		t.Logf("the archive playlist:\n%s", playlist)
		for _, f := range files {
			out, _ := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=start_time,duration", "-of", "csv=p=0", f).Output()
			t.Logf("%s: %s", filepath.Base(f), strings.TrimSpace(string(out)))
		}
	}
}
