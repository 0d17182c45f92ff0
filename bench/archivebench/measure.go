package main

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"onair/bench/internal/benchkit"
	"onair/internal/recorder"
)

// result is one storage's measurement.
type result struct {
	stop, server time.Duration // stop → DONE, by the client and by the run's times
	duration     float64       // the archive's, as the API reports it
	size         int64         // the archive's fileSize
	publish      time.Duration // how long the publisher took to send the source
	speed        float64       // media seconds published per second
	drops        string        // what the run's readers dropped before the stop
	archiveDrops int           // of which the archive's
	kept         float64       // the MP4's bytes over the source's for as long
}

// lossless is the least share of the source's bytes an archive that lost
// nothing holds: MP4 is a little leaner than FLV, never by a tenth.
const lossless = 0.9

// measure records the source into a new run on a server of its own, with
// its archive on storage, and times the stop. Everything it made is removed
// afterwards, for the disk's sake.
func measure(o options, src source, storage string) (result, error) {
	var r result
	dir, err := os.MkdirTemp("", "archivebench-"+storage)
	if err != nil {
		return r, err
	}
	if o.keep {
		fmt.Printf("%s: keeping %s\n", storage, dir)
	} else {
		defer os.RemoveAll(dir)
	}
	var gw *gateway
	var flags []string
	if storage == "s3" {
		if gw, err = startGateway(dir); err != nil {
			return r, fmt.Errorf("versitygw: %w", err)
		}
		defer gw.stop()
		// benchkit starts onair with this process's environment.
		for k, v := range gw.env() {
			os.Setenv(k, v)
			defer os.Unsetenv(k)
		}
		flags = gw.flags()
		fmt.Printf("%s: versitygw %s over %s, onair serve %s\n", storage, gw.url, gw.root, strings.Join(flags, " "))
	}
	srv, err := benchkit.StartServerWith(o.onair, dir, flags...)
	if err != nil {
		return r, fmt.Errorf("onair serve %s: %w", strings.Join(flags, " "), err)
	}
	defer srv.Stop()
	c := srv.Client
	bp, err := c.Blueprint("rtmp-passthrough")
	if err != nil {
		return r, err
	}
	id, err := c.Create(bp)
	if err != nil {
		return r, err
	}
	chans, err := c.StartAll([]string{id})
	if err != nil {
		return r, err
	}

	pub := src.publisher(o.ffmpeg, chans[0].Ingest(), o.readrate)
	var stderr strings.Builder
	pub.Stderr = &stderr
	t0 := time.Now()
	if err := pub.Run(); err != nil {
		c.StopAll([]string{id})
		return r, fmt.Errorf("publisher: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	r.publish = time.Since(t0)
	r.speed = src.seconds / r.publish.Seconds()
	fmt.Printf("%s: published %.1f s of media in %.1f s (%.1fx real time, %.0f Mbit/s)\n",
		storage, src.seconds, r.publish.Seconds(), r.speed, float64(src.size)*8/r.publish.Seconds()/1e6)

	playlist, segs, err := settle(filepath.Join(srv.Data, "archive", id))
	if err != nil {
		c.StopAll([]string{id})
		return r, err
	}
	rel, _ := filepath.Rel(srv.Data, playlist)
	recorded := benchkit.Total(segs).Seconds()
	fmt.Printf("  before the stop, %s lists %d segments, %.1f s of EXTINF\n", rel, len(segs), recorded)
	if recorded < src.seconds-30 {
		fmt.Printf("  the archive holds %.0f s of the %.0f s published: onair lost media published faster than real time\n", recorded, src.seconds)
	}
	if gw != nil {
		objs, err := gw.objects(id)
		if err != nil {
			return r, fmt.Errorf("listing the bucket: %w", err)
		}
		fmt.Printf("  the bucket holds %d of the %d segments at the stop\n", segmentsIn(objs), len(segs))
	}
	if r.drops, r.archiveDrops, err = queueDrops(c); err != nil {
		return r, err
	}
	fmt.Printf("  units the run's readers dropped, falling behind (onair_stream_queue_dropped_total): %s\n", r.drops)
	if o.sync {
		dirty := dirtyMB()
		t := time.Now()
		syscall.Sync()
		fmt.Printf("  sync: %.0f MB of dirty page cache written back in %.1f s\n", dirty, time.Since(t).Seconds())
	}
	fmt.Printf("  dirty page cache at the stop: %.0f MB\n", dirtyMB())

	// The CPU onair (and versitygw) spend during the stop tell work from
	// waiting on the disk.
	pids := map[string]int{"onair": srv.PID()}
	if gw != nil {
		pids["versitygw"] = gw.daemon.PID()
	}
	samplers := map[string]*benchkit.Sampler{}
	for name, pid := range pids {
		if samplers[name], err = benchkit.Begin(pid, 100*time.Millisecond); err != nil {
			return r, err
		}
	}
	t1 := time.Now()
	err = c.Stop(id)
	var ch benchkit.Channel
	if err == nil {
		ch, err = c.WaitStatusFor(id, "DONE", 50*time.Millisecond, 10*time.Minute)
	}
	r.stop = time.Since(t1)
	var cpu []string
	for _, name := range []string{"onair", "versitygw"} {
		if s, ok := samplers[name]; ok {
			use, _ := s.End()
			cpu = append(cpu, fmt.Sprintf("%s %.2f s (%.2f s system)", name, use.CPU.Seconds(), use.Sys.Seconds()))
		}
	}
	if err != nil {
		return r, fmt.Errorf("the stop: %w", err)
	}
	r.server = ch.StoppedDateTime.Sub(ch.StopRequestedDateTime)
	if len(ch.Archives) == 0 {
		return r, fmt.Errorf("the run has no archive")
	}
	r.duration, r.size = ch.Archives[0].Duration, ch.Archives[0].FileSize
	fmt.Printf("  stop → DONE %.3f s (server %.3f s); CPU meanwhile: %s\n", r.stop.Seconds(), r.server.Seconds(), strings.Join(cpu, ", "))
	fmt.Printf("  archives[0]: fileSize %d (%.0f MB), duration %.3f s\n", r.size, benchkit.MB(r.size), r.duration)
	if r.kept = float64(r.size) / (float64(src.size) * r.duration / src.seconds); r.kept < lossless {
		fmt.Printf("  the archive's MP4 holds %.0f%% of the bytes the source has for %.0f s: media is missing between its segments' times\n",
			100*r.kept, r.duration)
	}
	if gw != nil {
		fmt.Printf("  versitygw: %s\n", gw.uploads())
		if err := checkBucket(gw, srv.Data, id, r.size); err != nil {
			return r, err
		}
	} else if err := checkLocal(srv.Data, id, r.size); err != nil {
		return r, err
	}
	return r, nil
}

// settle finds a run's archive playlist under dir and waits until it has
// not changed for 2 s: what was published is recorded, so that the stop is
// timed alone. It returns the playlist and its segments.
func settle(dir string) (string, []benchkit.Segment, error) {
	deadline := time.Now().Add(2 * time.Minute)
	var playlist string
	var segs []benchkit.Segment
	last, since := -1, time.Now()
	for time.Now().Before(deadline) && (playlist == "" || time.Since(since) < 2*time.Second) {
		if playlist == "" {
			playlist = find(dir, recorder.Playlist)
		}
		if playlist != "" {
			if segs = benchkit.Segments(playlist); len(segs) != last {
				last, since = len(segs), time.Now()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if playlist == "" {
		return "", nil, fmt.Errorf("no archive playlist under %s", dir)
	}
	return playlist, segs, nil
}

// find is the first file named name under dir; "" when there is none.
func find(dir, name string) string {
	var found string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// checkLocal says whether the data directory holds the archive's MP4 of
// the size the API reports.
func checkLocal(data, workflow string, size int64) error {
	var mp4s []string
	filepath.WalkDir(filepath.Join(data, "archive", workflow), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".mp4") {
			mp4s = append(mp4s, p)
		}
		return nil
	})
	for _, p := range mp4s {
		if st, err := os.Stat(p); err == nil && st.Size() == size {
			rel, _ := filepath.Rel(data, p)
			fmt.Printf("  the data directory holds %s, %d bytes\n", rel, size)
			return nil
		}
	}
	return fmt.Errorf("no MP4 of %d bytes in the data directory (MP4s: %v)", size, mp4s)
}

// checkBucket says whether the bucket holds the archive's MP4 of the size
// the API reports, and whether the data directory let go of its copy.
func checkBucket(gw *gateway, data, workflow string, size int64) error {
	objs, err := gw.objects(workflow)
	if err != nil {
		return fmt.Errorf("listing the bucket: %w", err)
	}
	var total int64
	var mp4s []string
	found := ""
	for _, o := range objs {
		total += o.Size
		if strings.HasSuffix(o.Key, ".mp4") {
			mp4s = append(mp4s, fmt.Sprintf("%s (%d bytes)", o.Key, o.Size))
			if o.Size == size {
				found = o.Key
			}
		}
	}
	fmt.Printf("  the bucket holds %d objects under %s/archive/%s/, %.0f MB, %d segments\n", len(objs), prefix, workflow, benchkit.MB(total), segmentsIn(objs))
	if found == "" {
		return fmt.Errorf("the bucket holds no MP4 of the archive's %d bytes (MP4s: %v)", size, mp4s)
	}
	fmt.Printf("  the bucket holds s3://%s/%s, %d bytes\n", bucket, found, size)
	if left := find(filepath.Join(data, "archive", workflow), recorder.Playlist); left != "" {
		fmt.Printf("  the data directory still holds %s after DONE\n", left)
	}
	return nil
}

// queueDrops is what onair_stream_queue_dropped_total says, series by
// series ("none" when no reader dropped anything), and how many units the
// archive's readers dropped. Read it before the stop: a run's series go when
// it ends.
func queueDrops(c benchkit.Client) (string, int, error) {
	req, err := http.NewRequest("GET", c.Base+"/metrics", nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("x-api-key", benchkit.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("GET /metrics: %d %s", resp.StatusCode, raw)
	}
	summary, archive := parseDrops(string(raw))
	return summary, archive, nil
}

// parseDrops reads onair_stream_queue_dropped_total out of a /metrics page.
func parseDrops(metrics string) (summary string, archive int) {
	var out []string
	for _, line := range strings.Split(metrics, "\n") {
		rest, ok := strings.CutPrefix(line, "onair_stream_queue_dropped_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		n, _ := strconv.ParseFloat(value, 64)
		if n == 0 {
			continue
		}
		// The labels but the workflow, which the run's paths show.
		var keep []string
		reader := ""
		for _, l := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(l, "=")
			if k == "reader" {
				reader = strings.Trim(v, `"`)
			}
			if k != "workflow" {
				keep = append(keep, l)
			}
		}
		out = append(out, strings.Join(keep, ",")+": "+value)
		if reader == "archive" {
			archive += int(n)
		}
	}
	if len(out) == 0 {
		return "none", 0
	}
	return strings.Join(out, "; "), archive
}

// dirtyMB is the page cache not yet written back, as /proc/meminfo has it.
func dirtyMB() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Dirty:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1000
		}
	}
	return 0
}
