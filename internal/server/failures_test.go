package server_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/server"
	"onair/internal/testutil/e2e"
)

// crashingFFmpeg is an ffmpeg that the system kills (as the OOM killer
// would) after seconds, before it has written anything, whenever its
// command line holds the text in the file it returns: empty, every
// instance; absent, none. Such an instance is killed before it runs ffmpeg
// at all, so that however little ffmpeg probes, it never writes; the others
// are the real ffmpeg.
func crashingFFmpeg(t *testing.T, seconds float64) (ffmpeg, control string) {
	t.Helper()
	dir := t.TempDir()
	control = filepath.Join(dir, "crash-when")
	ffmpeg = filepath.Join(dir, "ffmpeg")
	script := `#!/bin/sh
if [ -e '` + control + `' ]; then
	case "$*" in *"$(cat '` + control + `')"*) sleep ` + strconv.FormatFloat(seconds, 'f', 2, 64) + `; kill -9 $$ ;; esac
fi
exec ffmpeg "$@"
`
	if err := os.WriteFile(ffmpeg, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return ffmpeg, control
}

// TestCrashLoopWhileStarting: an ffmpeg that dies on the publisher's media
// again and again fails the start with its cause, and the publisher that was
// waiting for it is told.
func TestCrashLoopWhileStarting(t *testing.T) {
	// The start waits a second for its first ffmpeg, so that the publisher,
	// which connects right after the start call, is there during the start
	// even on a loaded machine; each ffmpeg dies 0.2 s later, before it
	// could have probed its input and written.
	ffmpeg, control := crashingFFmpeg(t, 1.2)
	os.WriteFile(control, nil, 0o644) // every instance
	n := startNode(t, func(c *config.Config) { c.FFmpeg = ffmpeg }, server.WithSettle(time.Second))
	b := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	b.Settings.Inputs[0].CreateInput.AvailableImmediately = true
	id := n.Create(b)
	url := n.Channel(id).Endpoints.Input[0].Endpoints[0]
	n.Start(id)
	pub := e2e.PublishCommand(url, 30, nil)
	var stderr bytes.Buffer
	pub.Stderr = &stderr
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Process.Kill(); pub.Wait() })
	info := n.WaitStatus(id, domain.StatusStartFailed)
	if !strings.Contains(info.Cause, "keeps failing") || !strings.Contains(info.Cause, "killed") {
		t.Errorf("cause %q, want the crash loop and its cause", info.Cause)
	}
	exited := make(chan error, 1)
	go func() { exited <- pub.Wait() }()
	select {
	case err := <-exited:
		if err == nil {
			t.Error("the held publisher exited 0")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held publisher is still connected after START_FAILED")
	}
	if !strings.Contains(stderr.String(), "keeps failing") {
		t.Errorf("the publisher was not told why:\n%s", stderr.String())
	}
}

// TestCrashLoopWhileRunning: a RUNNING pipeline whose ffmpeg keeps dying is
// restarted at most 5 s apart, and shows an alert with the cause in its
// channel info, its events and the metrics, from the second failure on; the
// other pipeline of the STANDARD channel stays up and playable; and the
// alert closes when the pipeline works again.
func TestCrashLoopWhileRunning(t *testing.T) {
	ffmpeg, control := crashingFFmpeg(t, 0.6)
	n := startNode(t, func(c *config.Config) { c.FFmpeg = ffmpeg })
	id, info := n.CreateAndStart(e2e.SmallBlueprint(domain.ClassStandard))
	urls := info.Endpoints.Input[0].Endpoints
	e2e.Publish(t, urls[0], 60)
	e2e.Publish(t, urls[1], 60)
	main := filepath.Join(n.data, "live", id, "0", "180p", "index.m3u8")
	e2e.WaitFor(t, "both pipelines' segments", 30*time.Second, func() bool {
		return e2e.Segments(main) >= 2 && e2e.Segments(filepath.Join(n.data, "live", id, "1", "180p", "index.m3u8")) >= 2
	})

	// The backup pipeline's ffmpeg dies, and every one after it too.
	backup := ffmpegOf("live/" + id + "/1")
	os.WriteFile(control, []byte(backup), 0o644)
	exec.Command("pkill", "-KILL", "-f", backup).Run()
	e2e.WaitFor(t, "the alert", 30*time.Second, func() bool { return len(n.Channel(id).Alerts) == 1 })
	info = n.Channel(id)
	if a := info.Alerts[0]; a.Pipeline != 1 || !strings.Contains(a.Cause, "killed") || a.Since.IsZero() {
		t.Errorf("alert %+v", a)
	}
	if info.Status != domain.StatusRunning || !e2e.HasEvent(info, domain.EventPipelineFailing) {
		t.Errorf("status %s, events %+v", info.Status, info.Events)
	}
	if m := n.metrics(t); !strings.Contains(m, `onair_pipeline_alert{pipeline="1",workflow="`+id+`"} 1`) ||
		!strings.Contains(m, `onair_pipeline_alert{pipeline="0",workflow="`+id+`"} 0`) {
		t.Error("the metrics do not show the alert on pipeline 1 alone")
	}

	// It keeps trying, never more than 5 s apart, while the main pipeline plays on.
	before := e2e.LastSegment(main)
	e2e.WaitFor(t, "six failures in a row", 40*time.Second, func() bool {
		return e2e.CountEvents(n.Channel(id), "pipeline_restarted") >= 7
	})
	var restarts []time.Time
	for _, e := range n.Channel(id).Events {
		if e.Type == "pipeline_restarted" && e.Pipeline == 1 {
			restarts = append(restarts, e.Time)
		}
	}
	for i := 1; i < len(restarts); i++ {
		if gap := restarts[i].Sub(restarts[i-1]); gap > 5*time.Second+2*time.Second {
			t.Errorf("restarts %d and %d are %s apart: the backoff is capped at 5 s (plus the 0.6 s the ffmpeg lives)", i, i+1, gap)
		}
	}
	if e2e.LastSegment(main) <= before {
		t.Error("the main pipeline stopped making segments while the backup failed")
	}
	e2e.DecodesLive(t, n.Base+"/live/"+id+"/0/master.m3u8", 2)

	// It works again: the alert closes.
	os.Remove(control)
	e2e.WaitFor(t, "the alert to close", 30*time.Second, func() bool { return len(n.Channel(id).Alerts) == 0 })
	if !e2e.HasEvent(n.Channel(id), domain.EventPipelineRecovered) {
		t.Error("no recovery event")
	}
}
