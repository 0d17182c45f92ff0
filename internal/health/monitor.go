package health

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"onair/internal/domain"
)

// Reading is what the engine read of one pipeline of a started run, once a
// second. Counters are cumulative, as the engine keeps them.
type Reading struct {
	Ref      RunRef
	Pipeline int
	// The source, over the last second:
	InBitrate   float64 // bits per second
	InFrameRate float64
	// SourceFrameRate is the frame rate the source declares (its SPS
	// timing), 0 when it declares none.
	SourceFrameRate float64
	GOP, Drift      time.Duration
	InputLoss       time.Duration // cumulative (media.Stats.InputLoss)
	// Publisher: a publisher is connected.
	Publisher bool
	// Encoder is nil for a pipeline that packages its source as it is.
	Encoder      *EncoderReading
	Renditions   []RenditionReading
	QueueDrops   []ReaderDrops
	Failing      bool // the pipeline's pipeline_failing alert is open
	Destinations []DestinationReading
	// The origin's audience of the channel, given with pipeline 0 only:
	// distinct players of the last 30 s, and segments served (cumulative).
	Audience *Audience
}

// ReaderDrops is what one reader of the pipeline's streams dropped, cumulative.
type ReaderDrops struct {
	Reader  string // unique in the pipeline
	Kind    string // what QueueDrops is labelled by: hls, archive, encoder, destination
	Dropped uint64
}

// ReaderKind is the bounded label of a hub reader: its name up to the first
// slash or space (hls, archive, encoder, destination, meter).
func ReaderKind(name string) string {
	if i := strings.IndexAny(name, "/ "); i >= 0 {
		return name[:i]
	}
	return name
}

// EncoderReading is the pipeline's encoder: its ffmpeg's latest -progress
// block.
type EncoderReading struct {
	Running    bool
	Instance   int           // the ffmpeg instance that reported the block
	OutTime    time.Duration // how far it encoded
	At         time.Time     // when the block arrived
	DropFrames int64         // in this instance
	Restarts   int
}

// RenditionReading is one encoded rendition's bitrate over the last second.
type RenditionReading struct {
	Name    string
	Bitrate float64 // bits per second
}

// DestinationReading is one destination worker's state and counters.
type DestinationReading struct {
	ID        string
	State     string
	LastError string
	Errors4xx uint64
	Errors5xx uint64
}

// Audience is who watches a channel on the origin.
type Audience struct {
	Viewers  int
	Segments uint64
}

// Alert thresholds.
const (
	inputLossAfter   = 5 * time.Second  // input loss longer than this raises input_loss
	lowRate          = 0.8              // a frame rate under this share of the source's is low...
	lowRateAfter     = 5                // ...for this many seconds in a row
	slowSpeed        = 0.95             // an encoder under this speed is slow...
	slowAfter        = 10               // ...for this many seconds in a row
	recoverAfter     = 5                // seconds back to normal that clear a rate or speed alert
	retryingAfter    = 30 * time.Second // a destination failing for longer than this raises destination_retrying
	speedWindow      = 5 * time.Second  // EncoderSpeed is measured over this much of ffmpeg's progress
	learnRateSeconds = 10               // seconds of input whose median rate is the source's, when it declares none
)

// Monitor turns readings into frames, and raises and clears the health
// alerts: input loss, a low frame rate, a slow encoder and a destination
// that keeps retrying. It keeps the state of every pipeline it read.
type Monitor struct {
	mu    sync.Mutex
	pipes map[pipeKey]*pipeState
}

// NewMonitor returns a monitor that has read nothing.
func NewMonitor() *Monitor { return &Monitor{pipes: map[pipeKey]*pipeState{}} }

// pipeState is what the monitor remembers of a pipeline between readings.
type pipeState struct {
	prev     Reading
	progress []progressMark // ffmpeg's progress over the last speedWindow
	// lossSince is when the current input loss began; zero with input.
	lossSince time.Time
	// The source's frame rate as measured since its publisher came, for a
	// source that declares none.
	learned []float64
	low, ok int // seconds in a row with the frame rate low, and back up
	slow    int // seconds in a row the encoder was slow
	fast    int
	// retrying is since when each destination has failed without being
	// ACTIVE since; zero while it works.
	retrying map[string]time.Time
	active   map[string]bool   // the destinations that pushed once
	drops    map[string]uint64 // each reader's drops at the last reading
	open     map[alertKey]bool
	// unsure are the alerts an earlier server may have left open in the
	// run (it was resumed here): the first time one is found clear, it is
	// cleared, which closes it in the run if it was open there.
	unsure map[alertKey]bool
}

type progressMark struct {
	at  time.Time
	out time.Duration
}

type alertKey struct{ typ, destination string }

// Observe reads one pipeline at now: it returns the second's frame and the
// alert_raised and alert_cleared events of what changed.
func (m *Monitor) Observe(now time.Time, r Reading) (Frame, []domain.RunEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := pipeKey{r.Ref.RunID, r.Pipeline}
	s := m.pipes[k]
	if s == nil {
		s = &pipeState{retrying: map[string]time.Time{}, active: map[string]bool{}, drops: map[string]uint64{},
			open: map[alertKey]bool{}, unsure: map[alertKey]bool{}}
		for _, typ := range []string{domain.AlertInputLoss, domain.AlertLowFrameRate, domain.AlertSlowEncoder} {
			s.unsure[alertKey{typ: typ}] = true
		}
		for _, d := range r.Destinations {
			s.unsure[alertKey{domain.AlertDestinationRetrying, d.ID}] = true
		}
		m.pipes[k] = s
	}
	v := map[string]float64{
		"NetworkIn":           r.InBitrate / 1000,
		"InputVideoFrameRate": r.InFrameRate,
		"AvDriftMs":           float64(r.Drift.Milliseconds()),
	}
	if r.GOP > 0 {
		v["GopSeconds"] = r.GOP.Seconds()
	}
	lost := r.InputLoss - s.prev.InputLoss
	if lost < 0 {
		lost = r.InputLoss // a new meter (the pipeline was started again)
	}
	v["InputLossSeconds"] = lost.Seconds()
	inLoss := s.input(now, r, lost)
	var events []domain.RunEvent
	set := func(typ, dest string, open bool, cause string) {
		key := alertKey{typ, dest}
		unsure := s.unsure[key]
		delete(s.unsure, key)
		if s.open[key] == open && !unsure {
			return
		}
		s.open[key] = open
		e := domain.RunEvent{Time: now.UTC(), Type: domain.EventAlertCleared, Pipeline: r.Pipeline, Alert: typ, Destination: dest}
		if open {
			e.Type, e.Message = domain.EventAlertRaised, cause
		}
		events = append(events, e)
	}
	// A run resumed here may have an input_loss an earlier server left open:
	// it is cleared once input flows, not while none is measured yet.
	lossOpen := inLoss && now.Sub(s.lossSince) > inputLossAfter
	if lossOpen || !inLoss && r.InBitrate > 0 || !s.unsure[alertKey{typ: domain.AlertInputLoss}] {
		set(domain.AlertInputLoss, "", lossOpen,
			fmt.Sprintf("no input from the publisher for over %s (since %s)", inputLossAfter, s.lossSince.UTC().Format(time.TimeOnly)))
	}
	s.frameRate(r, inLoss, set)
	s.encoder(now, r, inLoss, v, set)
	for _, rd := range r.Renditions {
		v[Key("OutputBitrate", rd.Name)] = rd.Bitrate / 1000
	}
	// Per reader: a reader that went (a destination's connection) takes
	// its count with it, and a new one counts from 0.
	drops := make(map[string]uint64, len(r.QueueDrops))
	for _, d := range r.QueueDrops {
		k := Key("QueueDrops", d.Kind)
		v[k] += float64(delta(d.Dropped, s.drops[d.Reader]))
		drops[d.Reader] = d.Dropped
	}
	s.drops = drops
	s.destinations(now, r, v, set)
	if a := r.Audience; a != nil {
		v["Viewers"] = float64(a.Viewers)
		var before uint64
		if s.prev.Audience != nil {
			before = s.prev.Audience.Segments
		}
		v["SegmentRequests"] = float64(delta(a.Segments, before))
	}
	active := 0
	for _, o := range s.open {
		if o {
			active++
		}
	}
	if r.Failing {
		active++
	}
	v["ActiveAlerts"] = float64(active)
	s.prev = r
	return Frame{T: now.Truncate(time.Second), Values: v}, events
}

// input follows the input loss: it reports whether this second lost input,
// and keeps since when.
func (s *pipeState) input(now time.Time, r Reading, lost time.Duration) bool {
	if lost > 0 || (!r.Publisher && !s.lossSince.IsZero()) {
		if s.lossSince.IsZero() {
			s.lossSince = now.Add(-lost)
		}
		s.learned = s.learned[:0] // the next publisher may send another rate
		s.progress = s.progress[:0]
		return true
	}
	s.lossSince = time.Time{}
	return false
}

// frameRate raises low_frame_rate after lowRateAfter seconds under 80 % of
// the source's rate and clears it after recoverAfter seconds above, or as
// soon as the input is lost (input_loss says it then).
func (s *pipeState) frameRate(r Reading, inLoss bool, set func(string, string, bool, string)) {
	key := alertKey{typ: domain.AlertLowFrameRate}
	if inLoss || r.InBitrate == 0 {
		s.low, s.ok = 0, 0
		set(key.typ, "", false, "")
		return
	}
	want := r.SourceFrameRate
	if want <= 0 {
		if len(s.learned) < learnRateSeconds {
			s.learned = append(s.learned, r.InFrameRate)
			return
		}
		want = median(s.learned)
	}
	if want <= 0 {
		return // audio only
	}
	if r.InFrameRate < lowRate*want {
		s.low, s.ok = s.low+1, 0
	} else {
		s.low, s.ok = 0, s.ok+1
	}
	switch {
	case s.low >= lowRateAfter:
		set(key.typ, "", true, fmt.Sprintf("the input's frame rate is %.1f fps, under 80 %% of the source's %.1f fps", r.InFrameRate, want))
	case s.ok >= recoverAfter:
		set(key.typ, "", false, "")
	}
}

// encoder measures the encoder's speed over its last speedWindow of
// progress and its drops and restarts, and raises slow_encoder after
// slowAfter seconds under 0.95.
func (s *pipeState) encoder(now time.Time, r Reading, inLoss bool, v map[string]float64, set func(string, string, bool, string)) {
	e := r.Encoder
	if e == nil {
		return
	}
	var before EncoderReading
	if s.prev.Encoder != nil {
		before = *s.prev.Encoder
	}
	drops := e.DropFrames - before.DropFrames
	if e.Instance != before.Instance || drops < 0 {
		drops = e.DropFrames // a new ffmpeg counts from 0
	}
	v["DroppedFrames"] = float64(drops)
	v["PipelineRestarts"] = float64(max(e.Restarts-before.Restarts, 0))
	if !e.Running || e.Instance != before.Instance {
		s.progress = s.progress[:0]
	}
	if e.Running && !e.At.IsZero() && (len(s.progress) == 0 || e.At.After(s.progress[len(s.progress)-1].at)) {
		s.progress = append(s.progress, progressMark{at: e.At, out: e.OutTime})
	}
	for len(s.progress) > 1 && e.At.Sub(s.progress[0].at) > speedWindow {
		s.progress = s.progress[1:]
	}
	speed := math.NaN()
	if n := len(s.progress); n > 1 {
		first, last := s.progress[0], s.progress[n-1]
		if span := last.at.Sub(first.at); span >= speedWindow/2 {
			speed = float64(last.out-first.out) / float64(span)
		}
		if e.Running && now.Sub(last.at) > speedWindow {
			speed = 0 // ffmpeg runs but reports nothing: it is stuck
		}
	}
	if !math.IsNaN(speed) {
		v["EncoderSpeed"] = speed
	}
	switch {
	case !e.Running || inLoss || math.IsNaN(speed):
		s.slow, s.fast = 0, 0
	case speed < slowSpeed:
		s.slow, s.fast = s.slow+1, 0
	default:
		s.slow, s.fast = 0, s.fast+1
	}
	switch {
	case s.slow >= slowAfter:
		set(domain.AlertSlowEncoder, "", true, fmt.Sprintf("the encoder runs at %.2fx real time, under %.2fx for %d s: the machine cannot keep up with the ladder", speed, slowSpeed, slowAfter))
	case s.fast >= recoverAfter || !e.Running && s.open[alertKey{typ: domain.AlertSlowEncoder}]:
		set(domain.AlertSlowEncoder, "", false, "")
	}
}

// destinations records each destination's errors and state, and raises
// destination_retrying for one that has been failing for retryingAfter
// without pushing since.
func (s *pipeState) destinations(now time.Time, r Reading, v map[string]float64, set func(string, string, bool, string)) {
	before := map[string]DestinationReading{}
	for _, d := range s.prev.Destinations {
		before[d.ID] = d
	}
	for _, d := range r.Destinations {
		b := before[d.ID]
		v[Key("Output4xxErrors", d.ID)] = float64(delta(d.Errors4xx, b.Errors4xx))
		v[Key("Output5xxErrors", d.ID)] = float64(delta(d.Errors5xx, b.Errors5xx))
		active := 0.0
		if d.State == domain.DestinationActive {
			active = 1
		}
		v[Key("DestinationActive", d.ID)] = active
		switch d.State {
		case domain.DestinationRetrying, domain.DestinationFailed:
			if s.retrying[d.ID].IsZero() {
				s.retrying[d.ID] = now
			}
		case domain.DestinationConnecting:
			// Between two attempts of an outage; or the first connection,
			// which may hang as well.
			if !s.active[d.ID] && s.retrying[d.ID].IsZero() {
				s.retrying[d.ID] = now
			}
		case domain.DestinationActive:
			s.active[d.ID] = true
			delete(s.retrying, d.ID)
		default:
			delete(s.retrying, d.ID)
		}
		since, failing := s.retrying[d.ID]
		if failing && now.Sub(since) > retryingAfter {
			set(domain.AlertDestinationRetrying, d.ID, true, fmt.Sprintf("%s since %s without pushing: %s", d.State, since.UTC().Format(time.TimeOnly), d.LastError))
		} else if !failing {
			set(domain.AlertDestinationRetrying, d.ID, false, "")
		}
	}
}

// End forgets a run's pipelines, and clears the alerts they had open: at
// now, the run is no longer up here.
func (m *Monitor) End(runID string, now time.Time) []domain.RunEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var events []domain.RunEvent
	for k, s := range m.pipes {
		if k.run != runID {
			continue
		}
		for key, open := range s.open {
			if open {
				events = append(events, domain.RunEvent{Time: now.UTC(), Type: domain.EventAlertCleared, Pipeline: k.pipeline,
					Alert: key.typ, Destination: key.destination, Message: "the run is no longer up"})
			}
		}
		delete(m.pipes, k)
	}
	slices.SortFunc(events, func(a, b domain.RunEvent) int {
		return cmp.Or(a.Pipeline-b.Pipeline, strings.Compare(a.Alert, b.Alert), strings.Compare(a.Destination, b.Destination))
	})
	return events
}

// delta is how far a counter went since before; a counter that went back
// (a new worker) counts from 0.
func delta(now, before uint64) uint64 {
	if now < before {
		return now
	}
	return now - before
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
