// Command onairbench measures a real onair binary: channel start time (P1),
// through the API and by a Stream Manager provision's publisher, and
// the delay from a published frame to the live playlist listing it (P4), with
// bare ffmpeg measured side by side as the floor for P4. It prints a report.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"onair/bench/internal/benchkit"
	"onair/internal/testutil/localnet"
)

func main() {
	onair := flag.String("onair", "./bin/onair", "the onair binary")
	starts := flag.Int("starts", 20, "channel starts per blueprint for P1")
	seconds := flag.Int("seconds", 30, "seconds of publishing for P4")
	provisions := flag.Bool("provisions-only", false, "measure only P1 for Stream Manager provisions")
	flag.Parse()
	var err error
	if *provisions {
		err = runProvisions(*onair, *starts)
	} else {
		err = run(*onair, *starts, *seconds)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "onairbench:", err)
		os.Exit(1)
	}
}

func run(bin string, starts, seconds int) error {
	dir, err := os.MkdirTemp("", "onairbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := benchkit.StartServer(bin, dir)
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client
	fmt.Printf("onair benchmark on %s\n\n", benchkit.Host())

	fmt.Printf("P1: channel start time, POST /api/channels → RUNNING, %d starts each\n", starts)
	for _, bp := range []string{"rtmp-passthrough", "rtmp-abr-720"} {
		d, err := startTimes(c, bp, starts)
		if err != nil {
			return fmt.Errorf("P1 %s: %w", bp, err)
		}
		fmt.Printf("  %-18s p50 %7.1f ms   p99 %7.1f ms   min %7.1f ms   max %7.1f ms\n", bp, benchkit.MS(benchkit.Pct(d, 50)), benchkit.MS(benchkit.Pct(d, 99)), benchkit.MS(d[0]), benchkit.MS(d[len(d)-1]))
	}

	if err := provisionRow(bin, dir, starts); err != nil {
		return fmt.Errorf("P1 provisions: %w", err)
	}

	fmt.Printf("\nP8: scheduled start error, startRequestedDateTime − startDateTime, %d scheduled starts\n", starts)
	errs, err := scheduleErrors(c, starts)
	if err != nil {
		return fmt.Errorf("P8: %w", err)
	}
	fmt.Printf("  %-18s p50 %7.1f ms   p99 %7.1f ms   min %7.1f ms   max %7.1f ms\n", "schedules", benchkit.MS(benchkit.Pct(errs, 50)), benchkit.MS(benchkit.Pct(errs, 99)), benchkit.MS(errs[0]), benchkit.MS(errs[len(errs)-1]))

	fmt.Printf("\nP4: publisher frame → segment listed in the live playlist, %d s of 320x180@15 with 2 s segments\n", seconds)
	fmt.Println("  (first frame: the segment's first frame, so it includes the segment's own duration;")
	fmt.Println("   last frame: the segment's newest frame, so it is the packaging delay alone)")
	type result struct {
		name string
		d    delays
	}
	var results []result
	var encoder []time.Duration
	for _, mode := range []string{"passthrough", "abr"} {
		d, enc, err := onairDelays(srv, mode, seconds)
		if err != nil {
			return fmt.Errorf("P4 onair %s: %w", mode, err)
		}
		results = append(results, result{"onair " + mode, d})
		if mode == "abr" {
			encoder = enc
		}
	}
	peer, err := ffmpegDelays(dir, seconds, nil)
	if err != nil {
		return fmt.Errorf("P4 bare ffmpeg: %w", err)
	}
	results = append(results, result{"bare ffmpeg copy", peer})
	peerABR, err := ffmpegABRDelays(dir, seconds)
	if err != nil {
		return fmt.Errorf("P4 bare ffmpeg ABR: %w", err)
	}
	results = append(results, result{"bare ffmpeg abr", peerABR})
	for _, r := range results {
		fmt.Printf("  %-18s last frame p50 %6.0f ms  p99 %6.0f ms   first frame p50 %6.0f ms  p99 %6.0f ms  (%d segments)\n",
			r.name, benchkit.MS(benchkit.Pct(r.d.last, 50)), benchkit.MS(benchkit.Pct(r.d.last, 99)), benchkit.MS(benchkit.Pct(r.d.first, 50)), benchkit.MS(benchkit.Pct(r.d.first, 99)), len(r.d.last))
	}
	if len(encoder) > 0 {
		fmt.Printf("  %-18s p50 %6.0f ms  p99 %6.0f ms  (onair_pipeline_encoder_delay_seconds, sampled %d times: what ffmpeg holds a frame)\n",
			"onair abr encoder", benchkit.MS(benchkit.Pct(encoder, 50)), benchkit.MS(benchkit.Pct(encoder, 99)), len(encoder))
		fmt.Printf("  %-18s p50 %6.0f ms  (last frame minus the encoder's delay)\n", "onair abr packaging",
			benchkit.MS(benchkit.Pct(results[1].d.last, 50)-benchkit.Pct(encoder, 50)))
	}
	ratio := float64(benchkit.Pct(results[0].d.last, 50)) / float64(benchkit.Pct(peer.last, 50))
	fmt.Printf("  onair passthrough / bare ffmpeg copy, last-frame p50: %.2fx\n", ratio)
	ratio = float64(benchkit.Pct(results[1].d.last, 50)) / float64(benchkit.Pct(peerABR.last, 50))
	fmt.Printf("  onair abr / bare ffmpeg abr, last-frame p50: %.2fx\n", ratio)
	return llhlsRow(srv, seconds)
}

// startTimes creates a workflow per start from a built-in blueprint, starts it,
// times POST → RUNNING, then stops it and waits for DONE before the next.
func startTimes(c benchkit.Client, blueprint string, n int) ([]time.Duration, error) {
	var bp json.RawMessage
	if err := c.Call("GET", "/api/blueprints/"+blueprint, nil, &bp); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := 0; i < n; i++ {
		id, err := c.Create(bp)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		if err := c.Call("POST", "/api/channels", map[string]any{"workflows": []string{id}}, nil); err != nil {
			return nil, err
		}
		if _, err := c.WaitStatus(id, "RUNNING", 5*time.Millisecond); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
		if err := c.Call("DELETE", "/api/channels", map[string]any{"workflows": []string{id}}, nil); err != nil {
			return nil, err
		}
		if _, err := c.WaitStatus(id, "DONE", 20*time.Millisecond); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// scheduleErrors schedules n passthrough workflows a few seconds ahead, 250 ms
// apart, and measures how late each start was requested; then stops them.
func scheduleErrors(c benchkit.Client, n int) ([]time.Duration, error) {
	var bp json.RawMessage
	if err := c.Call("GET", "/api/blueprints/rtmp-passthrough", nil, &bp); err != nil {
		return nil, err
	}
	base := time.Now().UTC().Add(5 * time.Second).Truncate(time.Millisecond)
	ids := make([]string, n)
	at := make([]time.Time, n)
	for i := range ids {
		at[i] = base.Add(time.Duration(i) * 250 * time.Millisecond)
		var id struct{ ID string }
		err := c.Call("POST", "/api/workflows", map[string]any{"name": "Scheduled", "blueprint": bp,
			"schedule": map[string]any{"startDateTime": at[i].Format(time.RFC3339Nano), "duration": 5}}, &id)
		if err != nil {
			return nil, err
		}
		ids[i] = id.ID
	}
	var out []time.Duration
	for i, id := range ids {
		info, err := c.WaitStatus(id, "RUNNING", 20*time.Millisecond)
		if err != nil {
			return nil, err
		}
		out = append(out, info.StartRequestedDateTime.Sub(at[i]))
	}
	for _, id := range ids {
		c.Call("DELETE", "/api/channels", map[string]any{"workflows": []string{id}}, nil)
	}
	for _, id := range ids {
		c.WaitStatus(id, "DONE", 50*time.Millisecond)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// delays are per-segment delays, sorted.
type delays struct{ first, last []time.Duration }

// smallBlueprint is the test ladder: 320x180 and 160x90, or the source copied.
func smallBlueprint(mode string) map[string]any {
	channel := map[string]any{"class": "SINGLE_PIPELINE", "passthrough": true}
	if mode == "abr" {
		channel = map[string]any{"class": "SINGLE_PIPELINE", "video": []map[string]any{
			{"name": "180p", "codec": "H264", "width": 320, "height": 180, "bitrate": 300000, "maxrate": 450000, "gopSeconds": 1, "profile": "high"},
			{"name": "90p", "codec": "H264", "width": 160, "height": 90, "bitrate": 100000, "maxrate": 150000, "gopSeconds": 1, "profile": "main"},
		}, "audio": map[string]any{"codec": "AAC", "sampleRate": 48000, "bitrate": 64000, "channels": 2}}
	}
	return map[string]any{"id": "bench-" + mode, "name": "Bench " + mode, "settings": map[string]any{
		"inputs":       []any{map[string]any{"createInput": map[string]any{"type": "VIRTUAL_INPUT", "protocol": "RTMP_PUSH"}}},
		"channel":      channel,
		"outputGroups": []any{map[string]any{"type": "HLS", "hls": map[string]any{"segmentSeconds": 2, "windowSeconds": 120}}},
	}}
}

// onairDelays publishes to a channel and times each segment's listing against
// the moment the publisher started, in the master playlist's first variant;
// for an ABR channel it samples the encoder's delay meanwhile.
func onairDelays(srv *benchkit.Server, mode string, seconds int) (delays, []time.Duration, error) {
	master, pub, stop, err := publishTo(srv, smallBlueprint(mode), seconds)
	if err != nil {
		return delays{}, nil, err
	}
	defer stop()
	var encoder []time.Duration
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-pub.Done:
				return
			case <-time.After(250 * time.Millisecond):
			}
			if v, ok, _ := srv.Client.Metric("onair_pipeline_encoder_delay_seconds"); ok {
				encoder = append(encoder, time.Duration(v*float64(time.Second)))
			}
		}
	}()
	d, err := measure(master, pub)
	<-sampled
	sort.Slice(encoder, func(i, j int) bool { return encoder[i] < encoder[j] })
	return d, encoder, err
}

// publishTo starts a channel of a blueprint and a publisher to it, and
// returns the channel's master playlist on disk and a stop that ends the
// channel once the publisher is done.
func publishTo(srv *benchkit.Server, blueprint map[string]any, seconds int) (string, *benchkit.Published, func(), error) {
	c := srv.Client
	raw, _ := json.Marshal(blueprint)
	id, err := c.Create(raw)
	if err != nil {
		return "", nil, nil, err
	}
	chans, err := c.StartAll([]string{id})
	if err != nil {
		return "", nil, nil, err
	}
	stop := func() { c.StopAll([]string{id}) }
	// t0 is when the publisher process starts, for onair and bare ffmpeg alike,
	// so that both figures carry the same publisher start-up.
	pub, err := benchkit.Start(publisher(chans[0].Ingest(), seconds))
	if err != nil {
		stop()
		return "", nil, nil, err
	}
	return srv.LocalPath(chans[0].Playback()), pub, stop, nil
}

// ffmpegDelays runs bare ffmpeg as the RTMP server and HLS packager (stream
// copy), the floor any RTMP-to-HLS origin is measured against; args, when
// set, is its whole command line instead (it must listen on addr's URL and
// write playlist's directory).
func ffmpegDelays(dir string, seconds int, args func(url, dir string) ([]string, error)) (delays, error) {
	out := filepath.Join(dir, "peer")
	os.RemoveAll(out)
	os.MkdirAll(out, 0o755)
	addr, err := localnet.FreeAddr()
	if err != nil {
		return delays{}, err
	}
	url := "rtmp://" + addr + "/live/key"
	playlist := filepath.Join(out, "index.m3u8")
	argv := []string{"-hide_banner", "-loglevel", "error", "-listen", "1", "-f", "flv", "-i", url,
		"-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "60", playlist}
	if args != nil {
		if argv, err = args(url, out); err != nil {
			return delays{}, err
		}
		playlist = filepath.Join(out, "180p", "index.m3u8")
	}
	srv := exec.Command("ffmpeg", argv...)
	stderr := &bytes.Buffer{}
	srv.Stderr = stderr
	if err := srv.Start(); err != nil {
		return delays{}, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	pub, err := benchkit.PublishToListener(func() *exec.Cmd { return publisher(url, seconds) }, stderr)
	if err != nil {
		return delays{}, err
	}
	return measure(playlist, pub)
}

// ffmpegABRDelays is ffmpegDelays with bare ffmpeg encoding the ABR ladder
// of smallBlueprint as onair's encoder does, with its own HLS muxer.
func ffmpegABRDelays(dir string, seconds int) (delays, error) {
	raw, _ := json.Marshal(smallBlueprint("abr"))
	var l benchkit.Ladder
	if err := json.Unmarshal(raw, &l); err != nil {
		return delays{}, err
	}
	return ffmpegDelays(dir, seconds, func(url, dir string) ([]string, error) { return benchkit.BareLadderArgs(l, url, dir) })
}

func publisher(url string, seconds int) *exec.Cmd {
	return exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url)
}

// measure polls a playlist every 10 ms until the publisher exits, then lines
// the listing times up with the media timeline (benchkit.Delays).
func measure(playlist string, pub *benchkit.Published) (delays, error) {
	listed := benchkit.Watch([]string{playlist}, 10*time.Millisecond, pub.Done)
	first, dur := benchkit.Delays(playlist, listed[0], pub.T0)
	if len(first) == 0 {
		return delays{}, fmt.Errorf("no segments were listed in %s", playlist)
	}
	return sortedDelays(first, dur), nil
}

// sortedDelays turns first-frame delays and durations into delays: the
// last frame of a segment or part left the publisher its duration after
// its first.
func sortedDelays(first, dur []time.Duration) delays {
	d := delays{first: benchkit.Sorted(first)}
	for i := range first {
		d.last = append(d.last, first[i]-dur[i])
	}
	d.last = benchkit.Sorted(d.last)
	return d
}
