// Command mediabench measures onair's media plane against its peers on this
// machine and prints a table for each figure:
//
//	P3     passthrough CPU-seconds and peak RSS per stream, onair against
//	       nginx-rtmp (Debian's libnginx-mod-rtmp, hls on), 1 and 20 streams:
//	       onair's built-in blueprint, the same without its archive, and only
//	       its TS output (what nginx-rtmp makes)
//	P2     an ABR run's CPU against bare ffmpeg encoding the same ladder
//	P5     stop → DONE for a run whose archive holds 10, 30 and 60 minutes
//	scale  how many 4 Mbps passthrough streams are packaged with every
//	       segment on time, onair against nginx-rtmp
//	profile  a perf CPU profile of onair during P3 (with -profile DIR; with
//	       -profile-ts, of the TS-only setup)
//
// Every stream is the same file, a 4 Mbps 720p30 H.264+AAC made once with
// ffmpeg and kept in -cache, published with ffmpeg -c copy. onair is driven
// through its API only, so the same harness measures whatever onair is on
// main when it runs.
//
//	go run ./bench/mediabench -onair ./bin/onair [-only p3,p2,p5,scale] [-p3-servers "onair TS,nginx-rtmp"] [-profile DIR]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"onair/bench/internal/benchkit"
)

type options struct {
	onair, ffmpeg, nginx, nginxModule string
	cache                             string
	only                              []string

	p3Seconds   int
	p3Streams   []int
	p3Servers   []string
	p2Seconds   int
	p5Minutes   []int
	p5ReadRate  float64
	scaleSecs   int
	scaleMax    int
	profileDir  string
	profileSecs int
	profileTS   bool
}

func main() {
	var o options
	var only, p3Streams, p5Minutes string
	flag.StringVar(&o.onair, "onair", "./bin/onair", "the onair binary")
	flag.StringVar(&o.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary (publishers, bare ffmpeg, the source file)")
	flag.StringVar(&o.nginx, "nginx", "/usr/sbin/nginx", "nginx, with Debian's libnginx-mod-rtmp installed")
	flag.StringVar(&o.nginxModule, "nginx-module", "/usr/lib/nginx/modules/ngx_rtmp_module.so", "the RTMP module nginx loads")
	flag.StringVar(&o.cache, "cache", filepath.Join(os.TempDir(), "onair-bench-cache"), "where the source file is made once and kept")
	flag.StringVar(&only, "only", "p3,p2,p5,scale,dest", "the benchmarks to run, comma-separated")
	flag.IntVar(&o.p3Seconds, "p3-seconds", 40, "P3: seconds each stream is published")
	flag.StringVar(&p3Streams, "p3-streams", "1,20", "P3: concurrent streams, comma-separated")
	var p3Servers string
	flag.StringVar(&p3Servers, "p3-servers", "onair,onair -arch,onair TS,nginx-rtmp", "P3: the servers measured, comma-separated; the ratios need nginx-rtmp last")
	flag.IntVar(&o.p2Seconds, "p2-seconds", 25, "P2: seconds published")
	flag.StringVar(&p5Minutes, "p5-minutes", "10,30,60", "P5: archive lengths, minutes, comma-separated")
	flag.Float64Var(&o.p5ReadRate, "p5-readrate", 30, "P5: how many times faster than real time the archive is published")
	flag.IntVar(&o.scaleSecs, "scale-seconds", 40, "scale: seconds each step publishes")
	flag.IntVar(&o.scaleMax, "scale-max", 80, "scale: the most streams tried")
	flag.StringVar(&o.profileDir, "profile", "", "record a perf CPU profile of onair during a 20-stream P3 run into this directory")
	flag.IntVar(&o.profileSecs, "profile-seconds", 20, "profile: seconds recorded")
	flag.BoolVar(&o.profileTS, "profile-ts", false, "profile: onair with only the TS output, as P3's \"onair TS\" row")
	flag.Parse()
	for _, b := range strings.Split(only, ",") {
		if b = strings.TrimSpace(b); b != "" {
			o.only = append(o.only, b)
		}
	}
	o.p3Servers = strings.Split(p3Servers, ",")
	var err error
	if o.p3Streams, err = ints(p3Streams); err == nil {
		o.p5Minutes, err = ints(p5Minutes)
	}
	if err == nil {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mediabench:", err)
		os.Exit(1)
	}
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q: want positive whole numbers separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(o options) error {
	for _, b := range o.only {
		if !slices.Contains([]string{"p3", "p2", "p5", "scale", "dest"}, b) {
			return fmt.Errorf("-only: unknown benchmark %q (want p3, p2, p5, scale, dest)", b)
		}
	}
	wants := func(b string) bool { return slices.Contains(o.only, b) }
	if wants("p3") || wants("scale") || wants("dest") {
		if err := checkNginx(o); err != nil {
			return err
		}
	}
	if _, err := os.Stat(o.onair); err != nil {
		return fmt.Errorf("the onair binary: %w (make build writes ./bin/onair)", err)
	}
	fmt.Printf("mediabench on %s, %s\n", benchkit.Host(), benchkit.FFmpegVersion(o.ffmpeg))
	src, err := makeSource(o.ffmpeg, o.cache)
	if err != nil {
		return err
	}
	fmt.Printf("source: %s\n", src.describe())
	steps := []struct {
		name string
		run  func(options, source) error
	}{
		{"p3", p3}, {"p2", p2}, {"p5", p5}, {"scale", scale}, {"dest", dest},
	}
	var errs []error
	for _, s := range steps {
		if wants(s.name) {
			fmt.Println()
			if err := s.run(o, src); err != nil {
				fmt.Printf("  %s failed: %v\n", s.name, err)
				errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			}
		}
	}
	if o.profileDir != "" {
		fmt.Println()
		if err := profile(o, src); err != nil {
			errs = append(errs, fmt.Errorf("profile: %w", err))
		}
	}
	return errors.Join(errs...)
}

// tempDir is a fresh directory for one measurement; the caller removes it.
func tempDir(name string) (string, error) { return os.MkdirTemp("", "mediabench-"+name) }
