package hls

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// advancePartLimit is how many parts ahead of the last one listed a client
// may block for (RFC 8216bis 6.2.5.2).
const advancePartLimit = 3

// Wait is a blocking playlist reload (RFC 8216bis 6.2.5.2): it returns once
// the playlist holds media segment msn, or part part of it (part < 0: the
// whole segment), or a later one, or has ended. It returns ErrTooFar for a
// segment or part further ahead than a client may ask for, ErrHoldTimeout
// after three target durations, ctx's error if it ends first.
func (v *Variant) Wait(ctx context.Context, msn, part int) error {
	return v.wait(ctx, func() (bool, error) { return v.holds(msn, part) })
}

// holds reports whether the playlist holds (msn, part); v.mu is held.
func (v *Variant) holds(msn, part int) (bool, error) {
	if v.pl.ended {
		return true, nil
	}
	cur := v.pl.nextSeq() // the segment being written
	if v.cfg.Part == 0 {
		part = -1
	}
	switch {
	case msn > cur+1:
		return false, ErrTooFar
	case msn < cur:
		return true, nil
	case part < 0:
		return false, nil
	case msn == cur:
		n := 0
		if v.pl.open != nil {
			n = len(v.pl.open.parts)
		}
		if part >= n+advancePartLimit {
			return false, ErrTooFar
		}
		return part < n, nil
	default: // the segment after the one being written
		if part >= advancePartLimit {
			return false, ErrTooFar
		}
		return false, nil
	}
}

// WaitFile returns once the named file of the variant's directory exists,
// if it is the part the playlist hints at (EXT-X-PRELOAD-HINT) or the
// segment being written; otherwise, or if it is not written after all,
// ErrNotLive. It returns ErrHoldTimeout after three target durations.
func (v *Variant) WaitFile(ctx context.Context, name string) error {
	file := filepath.Join(v.cfg.Dir, filepath.Base(name))
	return v.wait(ctx, func() (bool, error) {
		if _, err := os.Stat(file); err == nil {
			return true, nil
		}
		if v.pl.ended || name != v.pl.hint && (v.seg == nil || name != v.seg.uri) {
			return false, ErrNotLive
		}
		return false, nil
	})
}

// wait checks cond, under v.mu, each time the playlist changes.
func (v *Variant) wait(ctx context.Context, cond func() (bool, error)) error {
	var timer *time.Timer
	for {
		v.mu.Lock()
		ok, err := cond()
		changed, target := v.changed, time.Duration(v.pl.target)*time.Second
		v.mu.Unlock()
		if ok || err != nil {
			if timer != nil {
				timer.Stop()
			}
			return err
		}
		if timer == nil {
			timer = time.NewTimer(3 * target)
			defer timer.Stop()
		}
		select {
		case <-changed:
		case <-timer.C:
			return ErrHoldTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
