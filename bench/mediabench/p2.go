package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"onair/bench/internal/benchkit"
	"onair/internal/testutil/localnet"
)

// abrBlueprint is the ladder P2 runs.
const abrBlueprint = "rtmp-abr-720"

// p2 is an ABR run's CPU against bare ffmpeg encoding the same ladder from
// the same publisher with its own HLS muxer. One ladder at 720p takes about
// both cores, so each runs alone and briefly.
func p2(o options, src source) error {
	fmt.Printf("P2: ABR, %s's ladder from %d s of the source published with ffmpeg -re -c copy, one run at a time\n", abrBlueprint, o.p2Seconds)
	fmt.Println("  (CPU = the server's process tree from the publisher's start until the run is over: onair's")
	fmt.Println("   until its channel is DONE, its archive's MP4 included; bare ffmpeg's until it exits; wall =")
	fmt.Println("   until the top rendition's last segment is listed; the run is short on purpose: one 720p")
	fmt.Println("   ladder fills both cores of this machine)")
	onairUse, onairWall, onairSegs, bp, err := p2Onair(o, src)
	if err != nil {
		return fmt.Errorf("onair: %w", err)
	}
	bareUse, bareWall, bareSegs, err := p2Bare(o, src, bp)
	if err != nil {
		return fmt.Errorf("bare ffmpeg: %w", err)
	}
	fmt.Printf("  %-12s %12s %16s %10s %18s  %s\n", "", "CPU-s", "CPU-s per media-s", "wall", "top rendition", "load")
	for _, r := range []struct {
		name string
		cpu  time.Duration
		wall time.Duration
		segs []benchkit.Segment
	}{{"onair", onairUse, onairWall, onairSegs}, {"bare ffmpeg", bareUse, bareWall, bareSegs}} {
		fmt.Printf("  %-12s %12.2f %16.3f %8.1f s %7d segs %5.1f s  %s\n", r.name, r.cpu.Seconds(), r.cpu.Seconds()/float64(o.p2Seconds),
			r.wall.Seconds(), len(r.segs), benchkit.Total(r.segs).Seconds(), benchkit.LoadAvg())
	}
	fmt.Printf("  onair / bare ffmpeg CPU: %.3fx\n", ratio(onairUse, bareUse))
	return nil
}

// p2Onair runs the ABR blueprint on a fresh onair and returns its tree's CPU
// from the publisher's start to DONE, and the blueprint for bare ffmpeg.
func p2Onair(o options, src source) (time.Duration, time.Duration, []benchkit.Segment, benchkit.Ladder, error) {
	var l benchkit.Ladder
	t, err := startOnair(o, "abr")
	if err != nil {
		return 0, 0, nil, l, err
	}
	defer t.close()
	c := t.srv.Client
	bp, err := c.Blueprint(abrBlueprint)
	if err != nil {
		return 0, 0, nil, l, err
	}
	if err := json.Unmarshal(bp, &l); err != nil {
		return 0, 0, nil, l, err
	}
	id, err := c.Create(bp)
	if err != nil {
		return 0, 0, nil, l, err
	}
	chans, err := c.StartAll([]string{id})
	if err != nil {
		return 0, 0, nil, l, err
	}
	sampler, err := benchkit.Begin(t.pid(), 250*time.Millisecond)
	if err != nil {
		return 0, 0, nil, l, err
	}
	start := time.Now()
	_, done, errs := src.publishAll([]string{chans[0].Ingest()}, o.p2Seconds, 0)
	<-done
	close(errs)
	if err := <-errs; err != nil {
		sampler.End()
		return 0, 0, nil, l, err
	}
	// What the encoder still has is listed before the run is stopped; wall
	// ends at the last listing, as bare ffmpeg's ends at its exit.
	segs, listed := settle(t.srv.LocalPath(chans[0].Playback()))
	wall := listed.Sub(start)
	// The run is over once its channel is DONE: its encoder flushed, its
	// archive finished.
	err = c.StopAll([]string{id})
	use, uerr := sampler.End()
	if err == nil {
		err = uerr
	}
	t.ids = nil
	return use.CPU, wall, segs, l, err
}

// p2Bare runs bare ffmpeg as the RTMP server, encoding the ladder as onair's
// pipeline does it (internal/pipeline/args.go: one decode split and scaled
// into each rendition, x264 veryfast with keyframes forced on the GOP grid,
// AAC per variant) into its own HLS muxer, and returns its CPU time.
func p2Bare(o options, src source, l benchkit.Ladder) (time.Duration, time.Duration, []benchkit.Segment, error) {
	dir, err := tempDir("bare-abr")
	if err != nil {
		return 0, 0, nil, err
	}
	defer os.RemoveAll(dir)
	addr, err := localnet.FreeAddr()
	if err != nil {
		return 0, 0, nil, err
	}
	args, err := benchkit.BareLadderArgs(l, "rtmp://"+addr+"/live/key", dir)
	if err != nil {
		return 0, 0, nil, err
	}
	srv := exec.Command(o.ffmpeg, args...)
	var stderr strings.Builder
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		return 0, 0, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	pub, err := benchkit.PublishToListener(func() *exec.Cmd { return src.publisher("rtmp://"+addr+"/live/key", o.p2Seconds) }, &stderr)
	if err != nil {
		srv.Process.Kill()
		<-exited
		return 0, 0, nil, err
	}
	<-pub.Done
	if err := <-exited; err != nil {
		return 0, 0, nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	wall := time.Since(pub.T0)
	cpu := srv.ProcessState.UserTime() + srv.ProcessState.SystemTime()
	media, _ := benchkit.MediaPlaylist(filepath.Join(dir, "master.m3u8"))
	return cpu, wall, benchkit.Segments(media), nil
}
