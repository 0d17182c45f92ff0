package media

import (
	"math"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// Stats is what a Meter measured of a stream.
type Stats struct {
	// Over the last second of arrivals:
	Bitrate   float64 // bits per second of all tracks' payloads
	FrameRate float64 // video frames per second
	// The latest of each:
	GOP   time.Duration // between the last two video keyframes
	Drift time.Duration // the newest video presentation time minus the newest audio's; 0 without both
	// Over the stream's life:
	// InputLoss is the time in whole seconds during which nothing arrived,
	// from the first source on: a publisher gone and not yet back counts,
	// as MediaLive's InputLossSeconds does; the wait for the first does not.
	InputLoss time.Duration
	Units     uint64 // units seen
	// DeclaredFrameRate is the rate the current video track declares (its SPS's
	// timing), 0 when it declares none.
	DeclaredFrameRate float64
}

// Meter measures a stream from the units its hub is written, as they
// arrive: what ffmpeg's progress lines guessed, from the media itself.
type Meter struct {
	now func() time.Time

	mu         sync.Mutex
	stats      Stats
	video      int
	window     []arrival // the last second's arrivals
	lastKey    time.Duration
	hasKey     bool
	lastVideo  time.Duration
	lastAudio  time.Duration
	seenVideo  bool
	seenAudio  bool
	up         bool      // a source has begun: loss counts from then on
	lastArrive time.Time // when the last unit arrived
	lossFrom   time.Time // counted up to here
}

type arrival struct {
	at    time.Time
	bytes int
	video bool
}

// NewMeter returns a meter that reads the time from now (time.Now when nil).
func NewMeter(now func() time.Time) *Meter {
	if now == nil {
		now = time.Now
	}
	return &Meter{now: now, video: -1}
}

// Observe measures an item as it arrives; a hub calls it for each item
// written (Hub.Observe), in the source's own goroutine, so that a meter is
// no reader to wake and its times are the arrivals themselves.
func (m *Meter) Observe(it Item) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	switch {
	case it.Tracks != nil:
		m.countLoss(now)
		if !m.up {
			m.lastArrive, m.lossFrom = now, now
		}
		m.video, m.up = it.Tracks.Video(), true
		m.seenVideo, m.seenAudio = false, false
		m.stats.DeclaredFrameRate = 0
		if m.video >= 0 {
			m.stats.DeclaredFrameRate = declaredFrameRate(it.Tracks[m.video].Codec)
		}
	case it.Break:
		m.countLoss(now)
	case it.Unit != nil:
		m.countLoss(now)
		u := it.Unit
		m.stats.Units++
		isVideo := u.Track == m.video
		m.window = append(m.window, arrival{at: now, bytes: u.Size(), video: isVideo})
		m.trim(now)
		if isVideo {
			m.lastVideo, m.seenVideo = u.PTS, true
			if u.Random {
				if m.hasKey && u.PTS > m.lastKey {
					m.stats.GOP = u.PTS - m.lastKey
				}
				m.lastKey, m.hasKey = u.PTS, true
			}
		} else {
			m.lastAudio, m.seenAudio = u.PTS, true
		}
		m.lastArrive = now
	}
}

// countLoss adds the whole seconds since the last arrival, once a source
// began, to the input loss; m.mu is held.
func (m *Meter) countLoss(now time.Time) {
	if !m.up {
		return
	}
	from := m.lastArrive
	if m.lossFrom.After(from) {
		from = m.lossFrom
	}
	if gap := now.Sub(from); gap >= time.Second {
		whole := gap.Truncate(time.Second)
		m.stats.InputLoss += whole
		m.lossFrom = from.Add(whole)
	}
}

// trim drops the arrivals older than a second; m.mu is held.
func (m *Meter) trim(now time.Time) {
	cut := 0
	for cut < len(m.window) && now.Sub(m.window[cut].at) > time.Second {
		cut++
	}
	if cut > 0 {
		m.window = append(m.window[:0], m.window[cut:]...)
	}
}

// Stats is what the meter measured, now.
func (m *Meter) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.countLoss(now) // the silence so far counts, not only once a unit ends it
	m.trim(now)
	s := m.stats
	bytes, frames := 0, 0
	for _, a := range m.window {
		bytes += a.bytes
		if a.video {
			frames++
		}
	}
	s.Bitrate, s.FrameRate = float64(bytes*8), float64(frames)
	if m.seenVideo && m.seenAudio {
		s.Drift = m.lastVideo - m.lastAudio
	}
	return s
}

// declaredFrameRate is the frame rate a video codec's SPS declares in its
// timing information, 0 when it has none or cannot be read; anything over
// 300 fps is taken for a misreading.
func declaredFrameRate(c Codec) float64 {
	var fps float64
	switch c := c.(type) {
	case *H264:
		var sps h264.SPS
		if sps.Unmarshal(c.SPS) == nil {
			fps = sps.FPS()
		}
	case *H265:
		var sps h265.SPS
		if sps.Unmarshal(c.SPS) == nil {
			fps = sps.FPS()
		}
	}
	if math.IsNaN(fps) || math.IsInf(fps, 0) || fps <= 0 || fps > 300 {
		return 0
	}
	return fps
}
