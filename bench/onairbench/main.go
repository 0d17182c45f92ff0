// Command onairbench measures a real onair binary: channel start time (P1) and
// the delay from a published frame to the live playlist listing it (P4), with
// bare ffmpeg measured side by side as the floor for P4. It prints a report.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	onair := flag.String("onair", "./bin/onair", "the onair binary")
	starts := flag.Int("starts", 20, "channel starts per blueprint for P1")
	seconds := flag.Int("seconds", 30, "seconds of publishing for P4")
	flag.Parse()
	if err := run(*onair, *starts, *seconds); err != nil {
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
	httpAddr, rtmpAddr := freeAddr(), freeAddr()
	data := filepath.Join(dir, "data")
	srv := exec.Command(bin, "serve", "--data", data, "--http", httpAddr, "--rtmp", rtmpAddr,
		"--public-url", "http://"+httpAddr, "--log-level", "warn")
	srv.Stderr = os.Stderr
	srv.Env = append(os.Environ(), "ONAIR_ADMIN_API_KEY="+benchKey)
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	c := client{base: "http://" + httpAddr}
	if err := c.waitHealthy(); err != nil {
		return err
	}
	fmt.Printf("onair benchmark on %s, %d cores\n\n", hostName(), numCPU())

	fmt.Printf("P1: channel start time, POST /api/channels → RUNNING, %d starts each\n", starts)
	for _, bp := range []string{"rtmp-passthrough", "rtmp-abr-720"} {
		d, err := startTimes(c, bp, starts)
		if err != nil {
			return fmt.Errorf("P1 %s: %w", bp, err)
		}
		fmt.Printf("  %-18s p50 %7.1f ms   p99 %7.1f ms   min %7.1f ms   max %7.1f ms\n", bp, ms(pct(d, 50)), ms(pct(d, 99)), ms(d[0]), ms(d[len(d)-1]))
	}

	fmt.Printf("\nP8: scheduled start error, startRequestedDateTime − startDateTime, %d scheduled starts\n", starts)
	errs, err := scheduleErrors(c, starts)
	if err != nil {
		return fmt.Errorf("P8: %w", err)
	}
	fmt.Printf("  %-18s p50 %7.1f ms   p99 %7.1f ms   min %7.1f ms   max %7.1f ms\n", "schedules", ms(pct(errs, 50)), ms(pct(errs, 99)), ms(errs[0]), ms(errs[len(errs)-1]))

	fmt.Printf("\nP4: publisher frame → segment listed in the live playlist, %d s of 320x180@15 with 2 s segments\n", seconds)
	fmt.Println("  (first frame: the segment's first frame, so it includes the segment's own duration;")
	fmt.Println("   last frame: the segment's newest frame, so it is the packaging delay alone)")
	type result struct {
		name string
		d    delays
	}
	var results []result
	for _, mode := range []string{"passthrough", "abr"} {
		d, err := onairDelays(c, data, rtmpAddr, mode, seconds)
		if err != nil {
			return fmt.Errorf("P4 onair %s: %w", mode, err)
		}
		results = append(results, result{"onair " + mode, d})
	}
	peer, err := ffmpegDelays(dir, seconds)
	if err != nil {
		return fmt.Errorf("P4 bare ffmpeg: %w", err)
	}
	results = append(results, result{"bare ffmpeg copy", peer})
	for _, r := range results {
		fmt.Printf("  %-18s last frame p50 %6.0f ms  p99 %6.0f ms   first frame p50 %6.0f ms  p99 %6.0f ms  (%d segments)\n",
			r.name, ms(pct(r.d.last, 50)), ms(pct(r.d.last, 99)), ms(pct(r.d.first, 50)), ms(pct(r.d.first, 99)), len(r.d.last))
	}
	ratio := float64(pct(results[0].d.last, 50)) / float64(pct(peer.last, 50))
	fmt.Printf("  onair passthrough / bare ffmpeg, last-frame p50: %.2fx\n", ratio)
	return nil
}

// startTimes creates a workflow per start from a built-in blueprint, starts it,
// times POST → RUNNING, then stops it and waits for DONE before the next.
func startTimes(c client, blueprint string, n int) ([]time.Duration, error) {
	var bp json.RawMessage
	if err := c.call("GET", "/api/blueprints/"+blueprint, nil, &bp); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := 0; i < n; i++ {
		id, err := c.create(bp)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		if err := c.call("POST", "/api/channels", map[string]any{"workflows": []string{id}}, nil); err != nil {
			return nil, err
		}
		if _, err := c.waitStatus(id, "RUNNING", 5*time.Millisecond); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
		if err := c.call("DELETE", "/api/channels", map[string]any{"workflows": []string{id}}, nil); err != nil {
			return nil, err
		}
		if _, err := c.waitStatus(id, "DONE", 20*time.Millisecond); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// scheduleErrors schedules n passthrough workflows a few seconds ahead, 250 ms
// apart, and measures how late each start was requested; then stops them.
func scheduleErrors(c client, n int) ([]time.Duration, error) {
	var bp json.RawMessage
	if err := c.call("GET", "/api/blueprints/rtmp-passthrough", nil, &bp); err != nil {
		return nil, err
	}
	base := time.Now().UTC().Add(5 * time.Second).Truncate(time.Millisecond)
	ids := make([]string, n)
	at := make([]time.Time, n)
	for i := range ids {
		at[i] = base.Add(time.Duration(i) * 250 * time.Millisecond)
		var id struct{ ID string }
		err := c.call("POST", "/api/workflows", map[string]any{"name": "Scheduled", "blueprint": bp,
			"schedule": map[string]any{"startDateTime": at[i].Format(time.RFC3339Nano), "duration": 5}}, &id)
		if err != nil {
			return nil, err
		}
		ids[i] = id.ID
	}
	var out []time.Duration
	for i, id := range ids {
		info, err := c.waitStatus(id, "RUNNING", 20*time.Millisecond)
		if err != nil {
			return nil, err
		}
		out = append(out, info.StartRequestedDateTime.Sub(at[i]))
	}
	for _, id := range ids {
		c.call("DELETE", "/api/channels", map[string]any{"workflows": []string{id}}, nil)
	}
	for _, id := range ids {
		c.waitStatus(id, "DONE", 50*time.Millisecond)
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
// the moment the publisher started.
func onairDelays(c client, data, rtmpAddr, mode string, seconds int) (delays, error) {
	raw, _ := json.Marshal(smallBlueprint(mode))
	id, err := c.create(raw)
	if err != nil {
		return delays{}, err
	}
	if err := c.call("POST", "/api/channels", map[string]any{"workflows": []string{id}}, nil); err != nil {
		return delays{}, err
	}
	info, err := c.waitStatus(id, "RUNNING", 10*time.Millisecond)
	if err != nil {
		return delays{}, err
	}
	defer func() {
		c.call("DELETE", "/api/channels", map[string]any{"workflows": []string{id}}, nil)
		c.waitStatus(id, "DONE", 50*time.Millisecond)
	}()
	variant := "180p"
	if mode == "passthrough" {
		variant = "SOURCE"
	}
	playlist := filepath.Join(data, "live", id, variant, "index.m3u8")
	// t0 is when the publisher process starts, for onair and bare ffmpeg alike,
	// so that both figures carry the same publisher start-up.
	pub := publisher(info.Endpoints.Input[0].Endpoints[0], seconds)
	t0 := time.Now()
	if err := pub.Start(); err != nil {
		return delays{}, err
	}
	listed := watch(playlist, pub)
	return measure(playlist, listed, t0)
}

// ffmpegDelays runs bare ffmpeg as the RTMP server and HLS packager (stream
// copy), the floor any RTMP-to-HLS origin is measured against.
func ffmpegDelays(dir string, seconds int) (delays, error) {
	out := filepath.Join(dir, "peer")
	os.MkdirAll(out, 0o755)
	addr := freeAddr()
	playlist := filepath.Join(out, "index.m3u8")
	srv := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-listen", "1", "-f", "flv", "-i", "rtmp://"+addr+"/live/key",
		"-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "60", playlist)
	stderr := &bytes.Buffer{}
	srv.Stderr = stderr
	if err := srv.Start(); err != nil {
		return delays{}, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	// ffmpeg's RTMP server listens for one connection, so nothing may probe it:
	// the publisher retries until it gets through.
	var pub *exec.Cmd
	var t0 time.Time
	for attempt := 0; ; attempt++ {
		time.Sleep(300 * time.Millisecond)
		pub = publisher("rtmp://"+addr+"/live/key", seconds)
		t0 = time.Now()
		if err := pub.Start(); err != nil {
			return delays{}, err
		}
		early := make(chan error, 1)
		go func() { early <- pub.Wait() }()
		select {
		case err := <-early:
			if attempt == 20 {
				return delays{}, fmt.Errorf("publishing to bare ffmpeg: %v; ffmpeg said: %s", err, stderr)
			}
			continue
		case <-time.After(time.Second):
		}
		listed := watchUntil(playlist, early)
		return measure(playlist, listed, t0)
	}
}

func publisher(url string, seconds int) *exec.Cmd {
	return exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url)
}

// watch polls a playlist every 10 ms until the publisher exits and returns when
// each segment URI was first listed.
func watch(playlist string, pub *exec.Cmd) map[string]time.Time {
	done := make(chan error, 1)
	go func() { done <- pub.Wait() }()
	return watchUntil(playlist, done)
}

// watchUntil polls a playlist every 10 ms until done delivers.
func watchUntil(playlist string, done <-chan error) map[string]time.Time {
	listed := map[string]time.Time{}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return listed
		case <-tick.C:
			now := time.Now()
			for _, s := range entries(playlist) {
				if _, ok := listed[s.uri]; !ok {
					listed[s.uri] = now
				}
			}
		}
	}
}

type entry struct {
	uri string
	dur time.Duration
}

func entries(playlist string) []entry {
	b, err := os.ReadFile(playlist)
	if err != nil {
		return nil
	}
	var out []entry
	var dur time.Duration
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(l, "#EXTINF:"); ok {
			f, _ := strconv.ParseFloat(strings.TrimSuffix(v, ","), 64)
			dur = time.Duration(f * float64(time.Second))
		} else if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, entry{l, dur})
		}
	}
	return out
}

// measure lines the listing times up with the media timeline: with -re, the
// frame at media time t left the publisher at t0 + t. The last segment, cut by
// the publisher's end rather than by time, is left out.
func measure(playlist string, listed map[string]time.Time, t0 time.Time) (delays, error) {
	var d delays
	var start time.Duration
	es := entries(playlist)
	for i, e := range es {
		end := start + e.dur
		if at, ok := listed[e.uri]; ok && i < len(es)-1 {
			d.first = append(d.first, at.Sub(t0.Add(start)))
			d.last = append(d.last, at.Sub(t0.Add(end)))
		}
		start = end
	}
	if len(d.last) == 0 {
		return d, fmt.Errorf("no segments were listed in %s", playlist)
	}
	sort.Slice(d.first, func(i, j int) bool { return d.first[i] < d.first[j] })
	sort.Slice(d.last, func(i, j int) bool { return d.last[i] < d.last[j] })
	return d, nil
}

// benchKey is the admin API key the benchmarked server is started with.
const benchKey = "onairbench-admin-key-0123456789"

// client is a minimal onair API client.
type client struct{ base string }

type channelInfo struct {
	Status                 string
	StartRequestedDateTime time.Time
	Cause                  string
	Endpoints              struct {
		Input []struct{ Endpoints []string }
	}
	Events []struct {
		Time time.Time
		Type string
	}
}

func (c client) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", benchKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c client) create(blueprint json.RawMessage) (string, error) {
	var id struct{ ID string }
	err := c.call("POST", "/api/workflows", map[string]any{"name": "Bench", "blueprint": blueprint}, &id)
	return id.ID, err
}

func (c client) channel(id string) (channelInfo, error) {
	var info channelInfo
	err := c.call("GET", "/api/channels/"+id, nil, &info)
	return info, err
}

func (c client) waitStatus(id, want string, every time.Duration) (channelInfo, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		info, err := c.channel(id)
		if err != nil {
			return info, err
		}
		if info.Status == want {
			return info, nil
		}
		if strings.HasSuffix(info.Status, "FAILED") {
			return info, fmt.Errorf("%s: %s", info.Status, info.Cause)
		}
		time.Sleep(every)
	}
	return channelInfo{}, fmt.Errorf("channel %s never became %s", id, want)
}

func (c client) waitHealthy() error {
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(c.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("onair did not become healthy")
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func pct(d []time.Duration, p int) time.Duration {
	i := (len(d)*p + 99) / 100
	return d[max(0, min(len(d)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func hostName() string { h, _ := os.Hostname(); return h }

func numCPU() int {
	out, _ := exec.Command("nproc").Output()
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}
