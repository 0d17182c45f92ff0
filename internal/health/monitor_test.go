package health

import (
	"fmt"
	"math"
	"testing"
	"time"

	"onair/internal/domain"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// feed runs one reading a second through a monitor: make is given the
// second, and returns the reading; it returns the frames and the events,
// but for the first reading's clears (raisedFirst).
func feed(m *Monitor, seconds int, make func(sec int) Reading) ([]Frame, []domain.RunEvent) {
	var frames []Frame
	var events []domain.RunEvent
	for sec := range seconds {
		f, evs := m.Observe(t0.Add(time.Duration(sec)*time.Second), make(sec))
		frames = append(frames, f)
		events = append(events, evs...)
	}
	return frames, raisedFirst(events)
}

var ref = RunRef{OrgID: "o", WorkflowID: "wf", RunID: "run"}

// publishing is a reading of a healthy 30 fps, 2 Mbit/s source.
func publishing() Reading {
	return Reading{Ref: ref, InBitrate: 2e6, InFrameRate: 30, SourceFrameRate: 30, Publisher: true, GOP: 2 * time.Second}
}

// kinds names the events.
func kinds(events []domain.RunEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type+":"+e.Alert+e.Destination)
	}
	return out
}

// raisedFirst drops the clears of alerts never raised: the monitor clears
// each alert once at its first reading, for a run resumed with alerts an
// earlier server left open (TestFirstReadingClears).
func raisedFirst(events []domain.RunEvent) []domain.RunEvent {
	var out []domain.RunEvent
	raised := map[string]bool{}
	for _, e := range events {
		k := e.Alert + "/" + e.Destination
		if e.Type == domain.EventAlertRaised {
			raised[k] = true
		} else if !raised[k] {
			continue
		}
		out = append(out, e)
	}
	return out
}

func TestFirstReadingClears(t *testing.T) {
	m := NewMonitor()
	r := publishing()
	r.Destinations = []DestinationReading{{ID: "cdn", State: domain.DestinationActive}}
	_, first := m.Observe(t0, r)
	got := kinds(first)
	// The frame rate and the encoder are found clear only once they have
	// been clear long enough; the input and the destination at once.
	if fmt.Sprint(got) != "[alert_cleared:input_loss alert_cleared:destination_retryingcdn]" {
		t.Errorf("first reading: %v", got)
	}
	for sec := range 20 {
		_, events := m.Observe(t0.Add(time.Duration(sec+1)*time.Second), r)
		for _, e := range events {
			if e.Alert == domain.AlertInputLoss || e.Alert == domain.AlertDestinationRetrying {
				t.Errorf("cleared again: %+v", e)
			}
		}
	}
}

func TestInputLoss(t *testing.T) {
	// 20 s of input, the publisher gone for 10 s, then back for 10 s; the
	// meter's input loss counts each whole second of the gap.
	loss := time.Duration(0)
	frames, events := feed(NewMonitor(), 40, func(sec int) Reading {
		r := publishing()
		if sec >= 20 && sec < 30 {
			r.Publisher, r.InBitrate, r.InFrameRate = false, 0, 0
			loss += time.Second
		}
		r.InputLoss = loss
		return r
	})
	total := 0.0
	for _, f := range frames {
		total += f.Values["InputLossSeconds"]
	}
	if total != 10 {
		t.Errorf("InputLossSeconds sums to %v, want 10", total)
	}
	if got := fmt.Sprint(kinds(events)); got != "[alert_raised:input_loss alert_cleared:input_loss]" {
		t.Fatalf("events %s", got)
	}
	if raised := events[0].Time.Sub(t0); raised != 25*time.Second {
		t.Errorf("raised %s into the run, want 25 s (the loss began at 19 s, raised once over 5 s)", raised)
	}
	if cleared := events[1].Time.Sub(t0); cleared != 30*time.Second {
		t.Errorf("cleared at %s, want 30 s, as the input came back", cleared)
	}
	if frames[25].Values["ActiveAlerts"] != 1 || frames[31].Values["ActiveAlerts"] != 0 {
		t.Errorf("ActiveAlerts %v during the loss, %v after", frames[25].Values["ActiveAlerts"], frames[31].Values["ActiveAlerts"])
	}
	if frames[22].Values["NetworkIn"] != 0 || frames[10].Values["NetworkIn"] != 2000 {
		t.Errorf("NetworkIn %v in the gap, %v before", frames[22].Values["NetworkIn"], frames[10].Values["NetworkIn"])
	}
}

func TestShortLossRaisesNothing(t *testing.T) {
	loss := time.Duration(0)
	_, events := feed(NewMonitor(), 20, func(sec int) Reading {
		r := publishing()
		if sec >= 5 && sec < 9 {
			r.Publisher, r.InBitrate, r.InFrameRate = false, 0, 0
			loss += time.Second
		}
		r.InputLoss = loss
		return r
	})
	if len(events) != 0 {
		t.Errorf("a 4 s loss raised %s", kinds(events))
	}
}

func TestLowFrameRate(t *testing.T) {
	cases := []struct {
		name     string
		declared float64
		rate     func(sec int) float64
		want     string
	}{
		{"declared 30, 20 for 8 s", 30, func(sec int) float64 { return pick(sec >= 10 && sec < 18, 20, 30) },
			"[alert_raised:low_frame_rate alert_cleared:low_frame_rate]"},
		{"declared 30, 25 is not low", 30, func(sec int) float64 { return pick(sec >= 10, 25, 30) }, "[]"},
		{"declared 30, 20 for 3 s is a blip", 30, func(sec int) float64 { return pick(sec >= 10 && sec < 13, 20, 30) }, "[]"},
		{"learned 25 from the first 10 s, then 15", 0, func(sec int) float64 { return pick(sec >= 15, 15, 25) },
			"[alert_raised:low_frame_rate]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, events := feed(NewMonitor(), 30, func(sec int) Reading {
				r := publishing()
				r.SourceFrameRate, r.InFrameRate = c.declared, c.rate(sec)
				return r
			})
			if got := fmt.Sprint(kinds(events)); got != c.want {
				t.Errorf("events %s, want %s", got, c.want)
			}
		})
	}
}

func pick(cond bool, a, b float64) float64 {
	if cond {
		return a
	}
	return b
}

func TestSlowEncoder(t *testing.T) {
	// ffmpeg reports twice a second; from 10 s to 30 s it encodes 0.8 s of
	// media a second, then keeps up again.
	out := time.Duration(0)
	frames, events := feed(NewMonitor(), 45, func(sec int) Reading {
		r := publishing()
		rate := pick(sec >= 10 && sec < 30, 0.8, 1.0)
		out += time.Duration(rate * float64(time.Second))
		r.Encoder = &EncoderReading{Running: true, Instance: 1, OutTime: out, At: t0.Add(time.Duration(sec) * time.Second)}
		return r
	})
	if got := fmt.Sprint(kinds(events)); got != "[alert_raised:slow_encoder alert_cleared:slow_encoder]" {
		t.Fatalf("events %s", got)
	}
	if s := frames[20].Values["EncoderSpeed"]; math.Abs(s-0.8) > 0.01 {
		t.Errorf("EncoderSpeed %v while slow, want 0.8", s)
	}
	if s := frames[44].Values["EncoderSpeed"]; math.Abs(s-1) > 0.01 {
		t.Errorf("EncoderSpeed %v after, want 1", s)
	}
	if raised := events[0].Time.Sub(t0); raised < 19*time.Second || raised > 24*time.Second {
		t.Errorf("raised at %s: want 10 s of slowness after the 5 s window turned", raised)
	}
}

func TestDroppedFramesAndRestarts(t *testing.T) {
	// ffmpeg instance 1 drops 3 frames; it is restarted, and instance 2 drops 2.
	steps := []EncoderReading{
		{Running: true, Instance: 1, DropFrames: 0},
		{Running: true, Instance: 1, DropFrames: 3},
		{Running: false, Instance: 1, DropFrames: 3, Restarts: 1},
		{Running: true, Instance: 2, DropFrames: 2, Restarts: 1},
	}
	frames, _ := feed(NewMonitor(), len(steps), func(sec int) Reading {
		r := publishing()
		r.Encoder = &steps[sec]
		return r
	})
	var drops, restarts []float64
	for _, f := range frames {
		drops = append(drops, f.Values["DroppedFrames"])
		restarts = append(restarts, f.Values["PipelineRestarts"])
	}
	if fmt.Sprint(drops) != "[0 3 0 2]" || fmt.Sprint(restarts) != "[0 0 1 0]" {
		t.Errorf("DroppedFrames %v, PipelineRestarts %v", drops, restarts)
	}
}

func TestDestinationRetrying(t *testing.T) {
	// "cdn" goes down at 5 s and retries (RETRYING, CONNECTING, RETRYING...)
	// until 50 s; "backup" pushes throughout.
	var errs uint64
	frames, events := feed(NewMonitor(), 60, func(sec int) Reading {
		r := publishing()
		state := domain.DestinationActive
		if sec >= 5 && sec < 50 {
			state = []string{domain.DestinationRetrying, domain.DestinationConnecting}[sec%2]
			errs++
		}
		r.Destinations = []DestinationReading{
			{ID: "cdn", State: state, LastError: "503 Service Unavailable", Errors5xx: errs},
			{ID: "backup", State: domain.DestinationActive},
		}
		return r
	})
	if got := fmt.Sprint(kinds(events)); got != "[alert_raised:destination_retryingcdn alert_cleared:destination_retryingcdn]" {
		t.Fatalf("events %s", got)
	}
	if raised := events[0].Time.Sub(t0); raised != 37*time.Second {
		t.Errorf("raised at %s, want 37 s (RETRYING first at 6 s, then over 30 s)", raised)
	}
	if events[1].Time.Sub(t0) != 50*time.Second {
		t.Errorf("cleared at %s, want 50 s", events[1].Time.Sub(t0))
	}
	if v := frames[10].Values["Output5xxErrors/cdn"]; v != 1 {
		t.Errorf("Output5xxErrors/cdn %v in a second of one error", v)
	}
	if frames[10].Values["DestinationActive/cdn"] != 0 || frames[10].Values["DestinationActive/backup"] != 1 {
		t.Errorf("DestinationActive: %v", frames[10].Values)
	}
	if frames[40].Values["ActiveAlerts"] != 1 {
		t.Errorf("ActiveAlerts %v with one destination alert", frames[40].Values["ActiveAlerts"])
	}
}

func TestActiveAlertsCountsAFailingPipeline(t *testing.T) {
	frames, events := feed(NewMonitor(), 2, func(sec int) Reading {
		r := publishing()
		r.Failing = sec == 1
		return r
	})
	if len(events) != 0 || frames[0].Values["ActiveAlerts"] != 0 || frames[1].Values["ActiveAlerts"] != 1 {
		t.Errorf("events %v, ActiveAlerts %v then %v", kinds(events), frames[0].Values["ActiveAlerts"], frames[1].Values["ActiveAlerts"])
	}
}

func TestAudience(t *testing.T) {
	frames, _ := feed(NewMonitor(), 3, func(sec int) Reading {
		r := publishing()
		r.Audience = &Audience{Viewers: sec + 1, Segments: uint64(10 * sec)}
		return r
	})
	if frames[2].Values["Viewers"] != 3 || frames[2].Values["SegmentRequests"] != 10 {
		t.Errorf("frame %v", frames[2].Values)
	}
}

func TestEndClearsOpenAlerts(t *testing.T) {
	m := NewMonitor()
	loss := time.Duration(0)
	feed(m, 10, func(int) Reading {
		loss += time.Second
		return Reading{Ref: ref, InputLoss: loss}
	})
	events := m.End(ref.RunID, t0.Add(time.Minute))
	if fmt.Sprint(kinds(events)) != "[alert_cleared:input_loss]" || len(m.pipes) != 0 {
		t.Errorf("End: %v, %d pipelines left", kinds(events), len(m.pipes))
	}
	if again := m.End(ref.RunID, t0.Add(time.Minute)); len(again) != 0 {
		t.Errorf("a second End cleared %v", kinds(again))
	}
}

func TestResumedRunKeepsInputLossUntilInputFlows(t *testing.T) {
	m := NewMonitor()
	var cleared []time.Duration
	for sec := range 20 {
		r := Reading{Ref: ref} // resumed: the new meter has seen no source yet
		if sec >= 15 {
			r = publishing()
		}
		_, evs := m.Observe(t0.Add(time.Duration(sec)*time.Second), r)
		for _, e := range evs {
			if e.Alert == domain.AlertInputLoss {
				cleared = append(cleared, e.Time.Sub(t0))
			}
		}
	}
	if fmt.Sprint(cleared) != "[15s]" {
		t.Errorf("input_loss cleared at %v, want once, at 15 s when the input flows", cleared)
	}
}

func TestQueueDropsOfAReaderThatWent(t *testing.T) {
	steps := [][]ReaderDrops{
		{{Reader: "src|destination/a", Kind: "destination", Dropped: 5}, {Reader: "src|hls/180p", Kind: "hls", Dropped: 1}},
		{{Reader: "src|destination/a", Kind: "destination", Dropped: 7}, {Reader: "src|hls/180p", Kind: "hls", Dropped: 1}},
		{{Reader: "src|hls/180p", Kind: "hls", Dropped: 1}},                                                                 // a's connection ended
		{{Reader: "src|destination/a", Kind: "destination", Dropped: 3}, {Reader: "src|hls/180p", Kind: "hls", Dropped: 1}}, // a new one
	}
	frames, _ := feed(NewMonitor(), len(steps), func(sec int) Reading {
		r := publishing()
		r.QueueDrops = steps[sec]
		return r
	})
	var got []float64
	for _, f := range frames {
		got = append(got, f.Values["QueueDrops/destination"])
	}
	if fmt.Sprint(got) != "[5 2 0 3]" {
		t.Errorf("QueueDrops/destination %v, want [5 2 0 3]", got)
	}
}

func TestStuckEncoderIsSlow(t *testing.T) {
	// ffmpeg keeps up for 10 s, then runs without a progress block.
	frames, events := feed(NewMonitor(), 40, func(sec int) Reading {
		r := publishing()
		at := min(sec, 10)
		r.Encoder = &EncoderReading{Running: true, Instance: 1, OutTime: time.Duration(at) * time.Second, At: t0.Add(time.Duration(at) * time.Second)}
		return r
	})
	if fmt.Sprint(kinds(events)) != "[alert_raised:slow_encoder]" || frames[30].Values["EncoderSpeed"] != 0 {
		t.Errorf("events %v, EncoderSpeed %v once stuck", kinds(events), frames[30].Values["EncoderSpeed"])
	}
}

func TestDestinationThatNeverConnects(t *testing.T) {
	_, events := feed(NewMonitor(), 40, func(int) Reading {
		r := publishing()
		r.Destinations = []DestinationReading{{ID: "cdn", State: domain.DestinationConnecting}}
		return r
	})
	if fmt.Sprint(kinds(events)) != "[alert_raised:destination_retryingcdn]" || events[0].Time.Sub(t0) != 31*time.Second {
		t.Errorf("a first connection hanging: %v", kinds(events))
	}
}
