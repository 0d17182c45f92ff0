package main

import (
	"fmt"
	"time"

	"onair/bench/internal/benchkit"
)

// lateSlack is how long after its own length a segment may be listed, counted
// from its first frame's publishing, and still be on time.
const lateSlack = time.Second

// scale steps the number of 4 Mbit/s passthrough streams, 5, 10, 20, 40 …, on
// a fresh server each time, until one of its segments is late or the step
// passes -scale-max; onair and nginx-rtmp each step on their own.
func scale(o options, src source) error {
	fmt.Printf("Scale: concurrent passthrough streams of the source, %d s each, on time when every segment is\n", o.scaleSecs)
	fmt.Printf("  listed at most its length + %s after its first frame was published (the last segment, cut by\n", lateSlack)
	fmt.Println("  the publisher's end, left out; the publishers, ffmpeg -re -c copy, run on the same 2 cores;")
	fmt.Println("  over = listed − first frame published − the segment's length; a failed step is run once more)")
	fmt.Printf("  %-11s %7s %9s %6s %13s %13s %12s %11s  %s\n", "server", "streams", "segments", "late", "over p50", "over max", "CPU-s/strm", "CPU cores", "load")
	held := map[string]int{}
	for _, s := range scaleSetups {
		for n := 5; n <= o.scaleMax; n *= 2 {
			// The machine is shared: a step that fails runs once more, and
			// fails only if it fails again.
			var r scaleResult
			for try := 0; try < 2; try++ {
				var err error
				if r, err = scaleStep(o, src, s, n); err != nil {
					return fmt.Errorf("%s, %d streams: %w", s.name, n, err)
				}
				over := benchkit.Sorted(r.over)
				fmt.Printf("  %-11s %7d %9d %6d %10.0f ms %10.0f ms %12.3f %11.2f  %s\n", s.name, n, len(r.over), r.late,
					benchkit.MS(benchkit.Pct(over, 50)), benchkit.MS(benchkit.Pct(over, 100)),
					r.use.CPU.Seconds()/float64(n), r.use.CPU.Seconds()/r.wall.Seconds(), benchkit.LoadAvg())
				if r.missing > 0 {
					fmt.Printf("  %-11s %7d  %d streams listed no segment\n", s.name, n, r.missing)
				}
				if r.onTime() {
					break
				}
			}
			if !r.onTime() {
				break
			}
			held[s.name] = n
		}
	}
	for _, s := range scaleSetups {
		more := ""
		if held[s.name]*2 > o.scaleMax {
			more = fmt.Sprintf(" (the most tried, -scale-max %d)", o.scaleMax)
		}
		fmt.Printf("  %-11s holds %d streams with every segment on time%s\n", s.name, held[s.name], more)
	}
	return nil
}

// scaleSetups are the servers scale steps: onair with the built-in
// passthrough blueprint (TS and CMAF LL-HLS outputs, the archive), onair with
// the TS output alone, which is what nginx-rtmp makes, and nginx-rtmp.
var scaleSetups = []setup{onairSetup, onairTSOnly, nginxSetup}

// scaleResult is one step: by how much each segment was over its own
// length, how many were late, and how many streams listed nothing.
type scaleResult struct {
	over          []time.Duration
	late, missing int
	use           benchkit.Usage
	wall          time.Duration
}

func (r scaleResult) onTime() bool { return r.late == 0 && r.missing == 0 }

func scaleStep(o options, src source, s setup, n int) (scaleResult, error) {
	t, streams, err := s.start(o, n)
	if err != nil {
		return scaleResult{}, err
	}
	defer t.close()
	m, err := publish(t, streams, src, o.scaleSecs, true, nil)
	if err != nil {
		return scaleResult{}, err
	}
	r := scaleResult{use: m.use, wall: m.wall}
	for i, st := range streams {
		first, dur := benchkit.Delays(st.playlist, m.listed[i], m.t0[i])
		if len(first) == 0 {
			r.missing++
		}
		for j := range first {
			over := first[j] - dur[j]
			r.over = append(r.over, over)
			if over > lateSlack {
				r.late++
			}
		}
	}
	return r, nil
}
