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
	// The publisher goes away for 10 s and comes back: those 10 s are lost too.
	m.Observe(Item{Break: true})
	clk.Advance(10*time.Second + 300*time.Millisecond)
	m.Observe(Item{Tracks: testTracks})
	m.Observe(Item{Unit: &Unit{Track: 0, PTS: 3 * time.Second, Random: true, AU: [][]byte{make([]byte, 1000)}}})
	if s := m.Stats(); s.InputLoss != 13*time.Second {
		t.Errorf("loss after the publisher was away 10.3 s: %s, want 13 s", s.InputLoss)
	}
	clk.Advance(500 * time.Millisecond)
	if s := m.Stats(); s.InputLoss != 13*time.Second {
		t.Errorf("loss once it is back: %s, want 13 s", s.InputLoss)
	}
}

func TestMeterWaitsForTheFirstSource(t *testing.T) {
	clk := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	m := NewMeter(clk.Now)
	clk.Advance(20 * time.Second)
	if s := m.Stats(); s.InputLoss != 0 {
		t.Errorf("before any source: %s lost", s.InputLoss)
	}
	m.Observe(Item{Tracks: testTracks})
	clk.Advance(2500 * time.Millisecond)
	if s := m.Stats(); s.InputLoss != 2*time.Second {
		t.Errorf("a source that sends nothing for 2.5 s: %s lost, want 2 s", s.InputLoss)
	}
}

func TestDeclaredFrameRate(t *testing.T) {
	// libx264's SPS for 320x180 at 30 fps (ffmpeg -f lavfi -i testsrc=rate=30).
	sps := []byte{0x67, 0xf4, 0x00, 0x0d, 0x91, 0x9b, 0x28, 0x28, 0x33, 0xf1, 0xb8, 0x08, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x1e, 0x07, 0x8a, 0x14, 0xcb}
	if got := declaredFrameRate(&H264{SPS: sps}); got != 30 {
		t.Errorf("libx264's 30 fps SPS: %v", got)
	}
	for name, c := range map[string]Codec{"no timing": testTracks[0].Codec, "truncated": &H264{SPS: sps[:6]}, "audio": &AAC{}} {
		if got := declaredFrameRate(c); got != 0 {
			t.Errorf("%s: %v, want 0", name, got)
		}
	}
	m := NewMeter(nil)
	m.Observe(Item{Tracks: Tracks{{Codec: &H264{SPS: sps}}}})
	if s := m.Stats(); s.DeclaredFrameRate != 30 {
		t.Errorf("the meter's declared rate: %v", s.DeclaredFrameRate)
	}
}
