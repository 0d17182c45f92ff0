// Command clipbench measures P6: the time to clip 10 minutes out of a 1-hour
// archive, as the split endpoint does it with package clip: the clip playlist
// (read the archive playlist, parse, plan, write) and the MP4 (stream copy).
// It first generates the archive with ffmpeg at a small resolution, faster
// than real time, or reuses one kept by an earlier run with -keep.
//
//	go run ./bench/clipbench [-keep DIR] [-runs 5] [-from 1800 -to 2400]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"onair/bench/internal/benchkit"
	"onair/internal/clip"
)

type options struct {
	ffmpeg, ffprobe string
	keep            string
	seconds         int
	segment         int
	runs            int
	from, to        float64
}

func main() {
	var o options
	flag.StringVar(&o.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary")
	flag.StringVar(&o.ffprobe, "ffprobe", "ffprobe", "the ffprobe binary")
	flag.StringVar(&o.keep, "keep", "", "generate the archive in this directory and keep it, or reuse the one already there")
	flag.IntVar(&o.seconds, "seconds", 3600, "length of the archive")
	flag.IntVar(&o.segment, "segment", 6, "archive segment length, seconds")
	flag.IntVar(&o.runs, "runs", 5, "clips to time")
	flag.Float64Var(&o.from, "from", 1800, "start of the clip, seconds")
	flag.Float64Var(&o.to, "to", 2400, "end of the clip, seconds")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "clipbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.runs < 1 || o.to <= o.from {
		return fmt.Errorf("want -runs ≥ 1 and -to after -from")
	}
	dir := o.keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "clipbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Printf("clipbench on %s, %d cores, %s\n\n", hostName(), runtime.NumCPU(), benchkit.FFmpegVersion(o.ffmpeg))

	segs, err := archive(o, dir)
	if err != nil {
		return err
	}
	size, _ := dirSize(dir)
	fmt.Printf("  %d segments, %.1f s, %.1f MB\n\n", len(segs), clip.Total(segs), float64(size)/1e6)

	fmt.Printf("P6: clip [%g, %g] s (%g min) out of the %g min archive, %d runs\n", o.from, o.to, (o.to-o.from)/60, clip.Total(segs)/60, o.runs)
	var index, mp4, total []time.Duration
	var lastDur float64
	var lastSegs int
	for range o.runs {
		t0 := time.Now()
		c, err := clipPlaylist(dir, clip.Section{Start: o.from, End: o.to})
		if err != nil {
			return err
		}
		t1 := time.Now()
		if err := clip.MakeMP4(context.Background(), o.ffmpeg, dir, c.Playlist, c.MP4, c.Offset, c.Length()); err != nil {
			return err
		}
		t2 := time.Now()
		index, mp4, total = append(index, t1.Sub(t0)), append(mp4, t2.Sub(t1)), append(total, t2.Sub(t0))
		if lastDur, err = probeDuration(o.ffprobe, filepath.Join(dir, c.MP4)); err != nil {
			return err
		}
		lastSegs = strings.Count(string(c.Body), "#EXTINF")
		// Each run starts from nothing, as a new request would.
		os.Remove(filepath.Join(dir, c.Playlist))
		os.Remove(filepath.Join(dir, c.MP4))
	}
	report("index (read+parse+plan+write)", index)
	report("mp4 (ffmpeg stream copy)", mp4)
	report("index + mp4", total)
	fmt.Printf("  the clip playlist lists %d segments; the MP4 lasts %.3f s (asked %.3f s)\n", lastSegs, lastDur, o.to-o.from)
	return nil
}

// clipPlaylist does what the split endpoint does before it answers: read and
// parse the archive playlist, validate and plan the section, write its clip
// playlist.
func clipPlaylist(dir string, s clip.Section) (clip.Clip, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		return clip.Clip{}, err
	}
	segs, _, err := clip.Parse(b)
	if err != nil {
		return clip.Clip{}, err
	}
	clips, err := clip.Plan(segs, []clip.Section{s}, "clipbench")
	if err != nil {
		return clip.Clip{}, err
	}
	return clips[0], clip.WritePlaylists(dir, clips)
}

// archive returns the segments of the archive in dir, generating it unless
// dir already holds a finished one of the wanted length.
func archive(o options, dir string) ([]clip.Segment, error) {
	playlist := filepath.Join(dir, "index.m3u8")
	if b, err := os.ReadFile(playlist); err == nil {
		if segs, ended, err := clip.Parse(b); err == nil && ended && math.Abs(clip.Total(segs)-float64(o.seconds)) < float64(o.segment) {
			fmt.Printf("Archive: reusing %s\n", playlist)
			return segs, nil
		}
	}
	fmt.Printf("Archive: generating %d s of 160x90@10 H.264 ultrafast + AAC, %d s segments, into %s\n", o.seconds, o.segment, dir)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=160x90:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
		"-t", strconv.Itoa(o.seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", strconv.Itoa(10 * o.segment),
		"-c:a", "aac", "-b:a", "32k",
		"-f", "hls", "-hls_time", strconv.Itoa(o.segment), "-hls_list_size", "0", "-hls_playlist_type", "event",
		"-hls_segment_filename", filepath.Join(dir, "seg_%06d.ts"), playlist}
	start := time.Now()
	if out, err := exec.Command(o.ffmpeg, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("generating the archive: %v: %s", err, strings.TrimSpace(string(out)))
	}
	took := time.Since(start)
	fmt.Printf("  generated in %.1f s, %.0f× real time\n", took.Seconds(), float64(o.seconds)/took.Seconds())
	b, err := os.ReadFile(playlist)
	if err != nil {
		return nil, err
	}
	segs, _, err := clip.Parse(b)
	return segs, err
}

func report(name string, d []time.Duration) {
	slices.Sort(d)
	fmt.Printf("  %-30s p50 %8.1f ms   max %8.1f ms   min %8.1f ms\n", name, benchkit.MS(d[(len(d)-1)/2]), benchkit.MS(d[len(d)-1]), benchkit.MS(d[0]))
}

func probeDuration(ffprobe, file string) (float64, error) {
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file).Output()
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: %w", filepath.Base(file), err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

func dirSize(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n, err
}

func hostName() string { h, _ := os.Hostname(); return h }
