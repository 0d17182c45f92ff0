package pipeline

import (
	"context"
	"sync"
	"time"

	"onair/internal/media"
)

// delayMeter measures how long ffmpeg holds a frame: from the write of a
// source video frame into its input to the top rendition's frame of the
// same presentation time coming out (-copyts keeps the times; a rendition
// whose frame rate differs matches the latest source frame at or before).
type delayMeter struct {
	now func() time.Time

	mu    sync.Mutex
	sent  [256]sentFrame // a ring, in write order
	next  int
	delay time.Duration // the latest frame's
	has   bool
}

type sentFrame struct {
	pts time.Duration
	at  time.Time
}

// wrote notes a video frame written into ffmpeg.
func (d *delayMeter) wrote(pts time.Duration) {
	d.mu.Lock()
	d.sent[d.next%len(d.sent)] = sentFrame{pts: pts, at: d.now()}
	d.next++
	d.mu.Unlock()
}

// came notes a video frame of the top rendition out of ffmpeg.
func (d *delayMeter) came(pts time.Duration) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	// The latest frame written at or before pts: presentation order is not
	// write order (B-frames), so all that is remembered is looked at.
	var found *sentFrame
	for i := d.next - min(d.next, len(d.sent)); i < d.next; i++ {
		if f := &d.sent[i%len(d.sent)]; f.pts <= pts && (found == nil || f.pts >= found.pts) {
			found = f
		}
	}
	if found == nil {
		return // older than what is remembered
	}
	d.delay, d.has = now.Sub(found.at), true
}

// Delay is how long ffmpeg held the latest frame that came out; false
// before the first.
func (d *delayMeter) Delay() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.delay, d.has
}

// run notes the frames of the top rendition's hub until it closes.
func (d *delayMeter) run(r *media.Reader) {
	defer r.Close()
	video := -1
	for {
		it, err := r.Next(context.Background())
		if err != nil {
			return
		}
		switch {
		case it.Tracks != nil:
			video = it.Tracks.Video()
		case it.Unit != nil && it.Unit.Track == video:
			d.came(it.Unit.PTS)
		}
	}
}
