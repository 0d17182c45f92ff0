package pipeline

import (
	"context"
	"sort"
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
	n := min(d.next, len(d.sent))
	frames := make([]sentFrame, 0, n)
	for i := d.next - n; i < d.next; i++ {
		frames = append(frames, d.sent[i%len(d.sent)])
	}
	// Presentation order is not write order (B-frames): look among all.
	sort.Slice(frames, func(i, j int) bool { return frames[i].pts < frames[j].pts })
	i := sort.Search(len(frames), func(i int) bool { return frames[i].pts > pts }) - 1
	if i < 0 {
		return // older than what is remembered
	}
	d.delay, d.has = now.Sub(frames[i].at), true
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
