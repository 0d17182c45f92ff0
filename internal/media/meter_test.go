package media

import (
	"testing"
	"time"

	"onair/internal/testutil/testclock"
)

func TestMeter(t *testing.T) {
	clk := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	m := NewMeter(clk.Now)
	m.Observe(Item{Tracks: testTracks})
	// Two seconds of 25 fps video (a keyframe each second, 1000 bytes a frame)
	// and audio running 120 ms behind it, arriving in real time.
	for i := range 50 {
		pts := time.Duration(i) * 40 * time.Millisecond
		m.Observe(Item{Unit: &Unit{Track: 0, PTS: pts, Random: i%25 == 0, AU: [][]byte{make([]byte, 1000)}}})
		m.Observe(Item{Unit: &Unit{Track: 1, PTS: pts - 120*time.Millisecond, Random: true, AU: [][]byte{make([]byte, 200)}}})
		clk.Advance(40 * time.Millisecond)
	}
	s := m.Stats()
	if s.FrameRate < 24 || s.FrameRate > 26 || s.GOP != time.Second || s.Drift != 120*time.Millisecond {
		t.Errorf("stats %+v", s)
	}
	if want := 25 * 1200 * 8.0; s.Bitrate < want*0.95 || s.Bitrate > want*1.05 {
		t.Errorf("bitrate %.0f, want about %.0f", s.Bitrate, want)
	}
	if s.InputLoss != 0 || s.Units != 100 {
		t.Errorf("loss %s, units %d", s.InputLoss, s.Units)
	}
	// The publisher goes quiet for 3.5 s: 3 whole seconds lost, and the rates fall to 0.
	for i := range 3 {
		clk.Advance(time.Second)
		if s := m.Stats(); s.InputLoss != time.Duration(i+1)*time.Second {
			t.Errorf("%d s into the silence: %s lost", i+1, s.InputLoss)
		}
	}
	clk.Advance(500 * time.Millisecond)
	m.Observe(Item{Unit: &Unit{Track: 0, PTS: 2 * time.Second, Random: true, AU: [][]byte{make([]byte, 1000)}}})
	if s := m.Stats(); s.InputLoss != 3*time.Second || s.FrameRate != 1 {
		t.Errorf("after a gap: %+v", s)
	}
	// Between sources nothing counts as lost.
	m.Observe(Item{Break: true})
	clk.Advance(10 * time.Second)
	if s := m.Stats(); s.InputLoss != 3*time.Second {
		t.Errorf("loss between sources: %s", s.InputLoss)
	}
}
