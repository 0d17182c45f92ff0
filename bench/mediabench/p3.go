package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"onair/bench/internal/benchkit"
)

// p3 is the passthrough cost per stream: the server's CPU time (its process
// and every child, so that onair's ffmpeg counts) and its peak resident
// memory, divided by the streams, for onair and nginx-rtmp given the same
// publishers.
func p3(o options, src source) error {
	fmt.Printf("P3: passthrough cost per stream, %d s of the source published with ffmpeg -re -c copy to each stream\n", o.p3Seconds)
	fmt.Println("  (server = its process and all its children; CPU = utime+stime from /proc over the publishing,")
	fmt.Println("   kernel = the stime part of it;")
	fmt.Println("   RSS = the peak of the tree's resident memory, sampled every 250 ms; onair runs the built-in")
	fmt.Println("   rtmp-passthrough blueprint (TS and CMAF LL-HLS outputs, the archive), \"onair -arch\" the same with")
	fmt.Println("   createArchives false, and \"onair TS\" only the TS output, which is what nginx-rtmp makes;")
	fmt.Printf("   nginx-rtmp has hls on, %d s fragments)\n", passthroughSegment)
	fmt.Printf("  %-8s %-17s %12s %8s %14s %12s %14s %9s  %s\n", "streams", "server", "CPU-s/stream", "kernel", "peak RSS/strm", "CPU-s total", "peak RSS total", "segments", "load")
	setups, err := p3Setups(o.p3Servers)
	if err != nil {
		return err
	}
	for _, n := range o.p3Streams {
		got := make([]benchkit.Usage, len(setups))
		for i, s := range setups {
			use, segs, err := p3Run(o, src, s, n)
			if err != nil {
				return fmt.Errorf("%s, %d streams: %w", s.name, n, err)
			}
			got[i] = use
			fmt.Printf("  %-8d %-17s %12.3f %8.3f %11.1f MB %12.2f %11.1f MB %9d  %s\n", n, s.name,
				use.CPU.Seconds()/float64(n), use.Sys.Seconds()/float64(n), benchkit.MB(use.PeakRSS)/float64(n), use.CPU.Seconds(), benchkit.MB(use.PeakRSS), segs, benchkit.LoadAvg())
		}
		if last := len(setups) - 1; setups[last].name == nginxSetup.name {
			for i, s := range setups[:last] {
				fmt.Printf("  %-8d %-17s %11.2fx %7.2fx %13.1fx\n", n, s.name+"/nginx", ratio(got[i].CPU, got[last].CPU), ratio(got[i].Sys, got[last].Sys), float64(got[i].PeakRSS)/float64(got[last].PeakRSS))
			}
		}
	}
	return nil
}

// p3Setups are the servers of -p3-servers, by name.
func p3Setups(names []string) ([]setup, error) {
	var out []setup
	for _, name := range names {
		i := slices.IndexFunc(p3All, func(s setup) bool { return s.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("-p3-servers: no server %q (want onair, onair -arch, onair TS or nginx-rtmp)", name)
		}
		out = append(out, p3All[i])
	}
	return out, nil
}

// p3All are the servers P3 can measure.
var p3All = []setup{onairSetup, onairNoArchive, onairTSOnly, nginxSetup}

// p3Run publishes to n passthrough streams of a fresh server and returns
// what its tree used, and the fewest segments any stream got listed.
func p3Run(o options, src source, s setup, n int) (benchkit.Usage, int, error) {
	t, streams, err := s.start(o, n)
	if err != nil {
		return benchkit.Usage{}, 0, err
	}
	defer t.close()
	m, err := publish(t, streams, src, o.p3Seconds, false, nil)
	if err != nil {
		return benchkit.Usage{}, 0, err
	}
	segs, err := segmentCounts(streams)
	return m.use, segs, err
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
