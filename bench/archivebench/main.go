// Command archivebench measures P5: stop → DONE for a run of the built-in
// rtmp-passthrough blueprint whose archive holds an hour of 720p, with the
// archive on the local disk and in an S3-compatible bucket (a versitygw on
// this machine). The target is under 3 s on the local disk.
//
// The hour is a 10 s clip repeated by the concat demuxer into one FLV, made
// once and kept in -cache, and published with ffmpeg -c copy without -re, as
// fast as onair takes it (or at -readrate times real time). onair is a real
// `onair serve` driven through its API; the stop is timed from DELETE
// /api/channels until GET shows DONE. Besides the figures it prints what
// explains them: the archive playlist's length, what the run's readers
// dropped for falling behind (an archive published faster than onair writes
// it has holes that its playlist does not show), the dirty page cache, the
// CPU onair and versitygw spent during the stop, and versitygw's multipart
// upload of the MP4.
//
//	go run ./bench/archivebench [-onair ./bin/onair] [-duration 1h] [-storages local,s3] [-readrate 30] [-sync] [-keep]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"onair/bench/internal/benchkit"
)

// target is P5's goal for the local disk.
const target = 3 * time.Second

type options struct {
	onair, ffmpeg, cache string
	duration             time.Duration
	readrate             float64
	keep, sync           bool
	storages             []string
}

func main() {
	var o options
	var storages string
	cache, err := os.UserCacheDir() // $XDG_CACHE_HOME, else ~/.cache
	if err != nil {
		cache = os.TempDir()
	}
	flag.StringVar(&o.onair, "onair", "", "the onair binary; empty: build ./cmd/onair into a temporary directory")
	flag.StringVar(&o.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary (the source file, the publisher)")
	flag.StringVar(&o.cache, "cache", filepath.Join(cache, "onair-bench"), "where the source file is made once and kept")
	flag.DurationVar(&o.duration, "duration", time.Hour, "length of the archive")
	flag.Float64Var(&o.readrate, "readrate", 30, "publish at this many times real time (ffmpeg -readrate), 30 by default: much faster and the archive's reader falls behind and drops media; 0: as fast as onair takes it, without -re")
	flag.BoolVar(&o.sync, "sync", false, "write the page cache back (sync) before the stop, so that the stop does not pay for a publish faster than real time")
	flag.BoolVar(&o.keep, "keep", false, "keep each run's directory (data, bucket, logs) and print where it is")
	flag.StringVar(&storages, "storages", "local,s3", "where the archive goes, comma-separated: local, s3")
	flag.Parse()
	for _, s := range strings.Split(storages, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.storages = append(o.storages, s)
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "archivebench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	for _, s := range o.storages {
		if s != "local" && s != "s3" {
			return fmt.Errorf("-storages: unknown storage %q (want local, s3)", s)
		}
	}
	if o.duration < 10*time.Second {
		return errors.New("-duration: want at least 10s")
	}
	if o.onair == "" {
		dir, err := os.MkdirTemp("", "archivebench-bin")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.onair = filepath.Join(dir, "onair")
		if out, err := exec.Command("go", "build", "-o", o.onair, "./cmd/onair").CombinedOutput(); err != nil {
			return fmt.Errorf("building onair: %v: %s", err, out)
		}
	}
	fmt.Printf("archivebench on %s, %s\n", benchkit.Host(), benchkit.FFmpegVersion(o.ffmpeg))
	src, err := makeSource(o.ffmpeg, o.cache, o.duration)
	if err != nil {
		return err
	}
	fmt.Printf("source: %s\n\n", src.describe())
	pace := "without -re, as fast as onair takes it"
	if o.readrate > 0 {
		pace = fmt.Sprintf("at %gx real time", o.readrate)
	}
	fmt.Printf("P5: stop → DONE for a run of rtmp-passthrough with a %s archive, published %s\n", o.duration, pace)
	fmt.Println("  (stop → DONE = DELETE /api/channels until GET shows DONE, polled every 50 ms; server = the run's")
	fmt.Println("   stoppedDateTime − stopRequestedDateTime; the stop is asked for once the archive playlist is still)")
	results := map[string]result{}
	var errs []error
	for _, s := range o.storages {
		fmt.Println()
		r, err := measure(o, src, s)
		if err != nil {
			fmt.Printf("%s: FAILED: %v\n", s, err)
			errs = append(errs, fmt.Errorf("%s: %w", s, err))
			continue
		}
		results[s] = r
	}
	fmt.Println()
	report(o, results)
	return errors.Join(errs...)
}

// report is the summary: one line per storage, the ratio, the target.
func report(o options, results map[string]result) {
	fmt.Printf("P5 summary, a %s archive:\n", o.duration)
	for _, s := range o.storages {
		r, ok := results[s]
		if !ok {
			fmt.Printf("  %-6s failed (see above)\n", s)
			continue
		}
		lossy := ""
		if r.archiveDrops > 0 {
			lossy = fmt.Sprintf("  LOSSY: the archive dropped %d units, its MP4 holds %.0f%% of the media's bytes", r.archiveDrops, 100*r.kept)
		}
		fmt.Printf("  %-6s stop → DONE %6.2f s (server %6.2f s)  archive %7.1f s, %6.0f MB  publish %6.1f s (%.0fx real time)%s\n",
			s, r.stop.Seconds(), r.server.Seconds(), r.duration, benchkit.MB(r.size), r.publish.Seconds(), r.speed, lossy)
	}
	local, okL := results["local"]
	s3, okS := results["s3"]
	if okL && okS {
		fmt.Printf("  S3/local: %.1fx\n", s3.stop.Seconds()/local.stop.Seconds())
	}
	if okL {
		verdict := "met"
		if local.stop >= target {
			verdict = "NOT met"
		}
		fmt.Printf("  target < %s on local disk: %s (%.2f s)\n", target, verdict, local.stop.Seconds())
	}
	if slices.Contains(o.storages, "s3") && !okS {
		fmt.Println("  S3: no figure (see the failure above)")
	}
}
