package pipeline

import (
	"testing"
	"time"

	"onair/internal/testutil/testclock"
)

// TestDelayMeter: a frame that comes out is matched with the source frame
// of its presentation time, among frames written in decode order (B-frames),
// or the latest one at or before it (another frame rate).
func TestDelayMeter(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	d := &delayMeter{now: clock.Now}
	if _, ok := d.Delay(); ok {
		t.Fatal("a delay before any frame")
	}
	ms := time.Millisecond
	// Decode order I P B: presentation times 0, 200, 100 ms, written 40 ms apart.
	for _, pts := range []time.Duration{0, 200 * ms, 100 * ms} {
		d.wrote(pts)
		clock.Advance(40 * ms)
	}
	cases := []struct {
		pts  time.Duration
		want time.Duration
	}{
		{0, 120 * ms},       // written at 0
		{100 * ms, 40 * ms}, // the B-frame, written at 80 ms
		{150 * ms, 40 * ms}, // no frame at 150 ms: the one at 100 ms
		{200 * ms, 80 * ms}, // written at 40 ms
		{-10 * ms, 80 * ms}, // older than what is remembered: unchanged
	}
	for _, c := range cases {
		d.came(c.pts)
		if got, _ := d.Delay(); got != c.want {
			t.Errorf("frame at %s: delay %s, want %s", c.pts, got, c.want)
		}
	}
}
