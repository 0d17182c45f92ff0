package pipeline

import "time"

// Backoff is the delay before restarting an ffmpeg that exited: it doubles from
// Min up to Max, and goes back to Min once an instance ran StableAfter, or
// wrote output before it died (the Supervisor sees to that).
type Backoff struct {
	Min, Max, StableAfter time.Duration // defaults 500 ms, 30 s, 30 s
}

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	b.Max = max(b.Max, b.Min)
	if b.StableAfter <= 0 {
		b.StableAfter = 30 * time.Second
	}
	return b
}

// next returns the wait before the next instance, given the wait before the
// previous one (0 if there was none) and when the instance that just exited
// started and ended.
func (b Backoff) next(prev time.Duration, started, ended time.Time) time.Duration {
	b = b.withDefaults()
	if prev <= 0 || ended.Sub(started) >= b.StableAfter {
		return b.Min
	}
	return min(2*prev, b.Max)
}
