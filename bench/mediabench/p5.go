package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"onair/bench/internal/benchkit"
)

// p5 is stop → DONE for a run whose archive holds a long recording. The
// archive is made the way a real one is, by a run of the rtmp-passthrough
// blueprint recording its publisher, but the publisher sends the source
// repeated by the concat demuxer faster than real time, so that an hour's
// archive takes minutes. Everything a stop does is then timed through the
// API, whatever onair does at stop (today: a faststart remux of the whole
// archive into its MP4).
func p5(o options, src source) error {
	fmt.Printf("P5: stop → DONE for a run of rtmp-passthrough whose archive holds the source repeated, published at %gx real time\n", o.p5ReadRate)
	fmt.Println("  (client = DELETE /api/channels until GET shows DONE, polled every 10 ms; server = the run's")
	fmt.Println("   stoppedDateTime − stopRequestedDateTime; the archive's duration and size as the API reports them;")
	fmt.Println("   the stop is asked for once the live playlist is still and the page cache is written back (sync))")
	t, err := startOnair(o, "p5")
	if err != nil {
		return err
	}
	defer t.close()
	fmt.Printf("  %-9s %10s %10s %12s %10s %9s  %s\n", "archive", "client", "server", "archive dur", "MP4 size", "publish", "load")
	for _, m := range o.p5Minutes {
		r, err := p5Run(o, src, t, m*60)
		if err != nil {
			return fmt.Errorf("%d min: %w", m, err)
		}
		fmt.Printf("  %-9s %8.0f ms %8.0f ms %10.1f s %7.0f MB %7.0f s  %s\n", fmt.Sprintf("%d min", m), benchkit.MS(r.client), benchkit.MS(r.server),
			r.duration, benchkit.MB(r.size), r.publish.Seconds(), benchkit.LoadAvg())
		if d := float64(m * 60); r.duration < d-2*passthroughSegment {
			fmt.Printf("  %-9s the archive lasts %.0f s of the %.0f s published: onair lost media published faster than real time\n", "", r.duration, d)
		}
	}
	return nil
}

type p5Result struct {
	client, server time.Duration
	duration       float64
	size           int64
	publish        time.Duration
}

// p5Run records seconds of media into a new run and times its stop; the run's
// files are removed afterwards, for the disk's sake.
func p5Run(o options, src source, t *onairTarget, seconds int) (p5Result, error) {
	c := t.srv.Client
	bp, err := c.Blueprint("rtmp-passthrough")
	if err != nil {
		return p5Result{}, err
	}
	id, err := c.Create(bp)
	if err != nil {
		return p5Result{}, err
	}
	defer func() {
		os.RemoveAll(filepath.Join(t.srv.Data, "live", id))
		os.RemoveAll(filepath.Join(t.srv.Data, "archive", id))
	}()
	chans, err := c.StartAll([]string{id})
	if err != nil {
		return p5Result{}, err
	}
	dir, err := tempDir("p5-publisher")
	if err != nil {
		return p5Result{}, err
	}
	defer os.RemoveAll(dir)
	pub, err := src.longPublisher(dir, chans[0].Ingest(), seconds, o.p5ReadRate)
	if err != nil {
		return p5Result{}, err
	}
	var stderr strings.Builder
	pub.Stderr = &stderr
	start := time.Now()
	if err := pub.Run(); err != nil {
		c.StopAll([]string{id})
		return p5Result{}, fmt.Errorf("publisher: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	r := p5Result{publish: time.Since(start)}
	// What was published is packaged before the stop is asked for, so that
	// the stop is timed alone: the live playlist stops growing. Then the
	// page cache is written back: a run that took its real length to record
	// left no gigabytes of dirty pages behind, and the stop should not pay
	// for this one's speed.
	settle(t.srv.LocalPath(chans[0].Playback()))
	syscall.Sync()

	t0 := time.Now()
	if err := c.Stop(id); err != nil {
		return r, err
	}
	ch, err := c.WaitStatusFor(id, "DONE", 10*time.Millisecond, 10*time.Minute)
	if err != nil {
		return r, err
	}
	r.client = time.Since(t0)
	r.server = ch.StoppedDateTime.Sub(ch.StopRequestedDateTime)
	if len(ch.Archives) == 0 {
		return r, fmt.Errorf("the run has no archive")
	}
	r.duration, r.size = ch.Archives[0].Duration, ch.Archives[0].FileSize
	return r, nil
}

// settle waits until a live playlist has not changed for 2 s, or 2 minutes,
// and returns its segments and when they last changed.
func settle(playlist string) ([]benchkit.Segment, time.Time) {
	deadline := time.Now().Add(2 * time.Minute)
	var segs []benchkit.Segment
	last, since := -1, time.Now()
	for time.Now().Before(deadline) && time.Since(since) < 2*time.Second {
		media, _ := benchkit.MediaPlaylist(playlist)
		if segs = benchkit.Segments(media); len(segs) != last {
			last, since = len(segs), time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return segs, since
}
