package main

import (
	"fmt"
	"time"

	"onair/bench/internal/benchkit"
)

// llhlsGroup is P4's LL-HLS output group: CMAF with 0.5 s parts, 2 s
// segments, and a window longer than the run (parts are placed by the
// segments before them).
func llhlsGroup() map[string]any {
	return map[string]any{"type": "HLS", "hls": map[string]any{
		"segmentSeconds": 2, "windowSeconds": 120, "format": "CMAF", "lowLatency": true, "partSeconds": 0.5}}
}

// llhlsRow prints P4's LL-HLS row: onair's part delays, or why there are
// none. Bare ffmpeg 5.1 makes no LL-HLS parts, so the row has no
// bare-ffmpeg floor: the part length is its floor.
func llhlsRow(srv *benchkit.Server, seconds int) error {
	d, err := llhlsDelays(srv, llhlsGroup(), seconds)
	if err != nil {
		return fmt.Errorf("P4 onair LL-HLS: %w", err)
	}
	fmt.Printf("  %-18s last frame p50 %6.0f ms  p99 %6.0f ms   first frame p50 %6.0f ms  p99 %6.0f ms  (%d parts; no bare-ffmpeg floor: ffmpeg 5.1 has no LL-HLS)\n",
		"onair LL-HLS parts", benchkit.MS(benchkit.Pct(d.last, 50)), benchkit.MS(benchkit.Pct(d.last, 99)),
		benchkit.MS(benchkit.Pct(d.first, 50)), benchkit.MS(benchkit.Pct(d.first, 99)), len(d.last))
	return nil
}

// llhlsDelays publishes to a passthrough channel whose HLS is group and times
// the listing of each part.
func llhlsDelays(srv *benchkit.Server, group map[string]any, seconds int) (delays, error) {
	bp := smallBlueprint("passthrough")
	bp["settings"].(map[string]any)["outputGroups"] = []any{group}
	master, pub, stop, err := publishTo(srv, bp, seconds)
	if err != nil {
		return delays{}, err
	}
	defer stop()
	listed := benchkit.Watch([]string{master}, 10*time.Millisecond, pub.Done)
	first, dur := benchkit.PartDelays(master, listed[0], pub.T0)
	if len(first) == 0 {
		return delays{}, fmt.Errorf("no parts were listed under %s", master)
	}
	return sortedDelays(first, dur), nil
}
