package media

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

var testTracks = Tracks{{Codec: &H264{SPS: []byte{0x67}, PPS: []byte{0x68}}}, {Codec: &AAC{}}}

// frames writes n video frames (a keyframe every gop) and one audio frame
// after each, from frame first on, 40 ms apart.
func frames(h *Hub, first, n, gop int) {
	for i := first; i < first+n; i++ {
		t := time.Duration(i) * 40 * time.Millisecond
		h.Write(&Unit{Track: 0, PTS: t, DTS: t, Random: i%gop == 0, AU: [][]byte{make([]byte, 100)}})
		h.Write(&Unit{Track: 1, PTS: t, DTS: t, Random: true, AU: [][]byte{make([]byte, 10)}})
	}
}

// drain reads what a reader has queued, without waiting.
func drain(t *testing.T, r *Reader) []Item {
	t.Helper()
	var out []Item
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		it, err := r.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, it)
	}
}

func TestHubFansOut(t *testing.T) {
	h := NewHub(HubOptions{})
	a, b := h.Subscribe("a", 100), h.Subscribe("b", 100)
	h.Begin(testTracks)
	frames(h, 0, 10, 5)
	h.End()
	for _, r := range []*Reader{a, b} {
		items := drain(t, r)
		if len(items) != 22 || items[0].Tracks == nil || !items[21].Break {
			t.Fatalf("%s read %d items", r.Name(), len(items))
		}
		for i, it := range items[1:21] {
			if it.Unit == nil || it.Unit.PTS != time.Duration(i/2)*40*time.Millisecond {
				t.Fatalf("%s item %d = %+v", r.Name(), i+1, it)
			}
		}
	}
}

// TestHubSlowReader: a reader that stops reading never holds up the source
// or another reader; it loses units, counted, and when it reads again it
// starts at a keyframe, having lost no tracks or break.
func TestHubSlowReader(t *testing.T) {
	h := NewHub(HubOptions{})
	stuck, live := h.Subscribe("stuck", 10), h.Subscribe("live", 100000)
	h.Begin(testTracks)
	done := make(chan struct{})
	go func() {
		frames(h, 0, 10000, 25)
		h.End()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the source was held up by a reader that reads nothing")
	}
	if n := len(drain(t, live)); n != 1+20000+1 {
		t.Errorf("the live reader read %d items, want all 20002", n)
	}
	if live.Dropped() != 0 {
		t.Errorf("the live reader dropped %d", live.Dropped())
	}
	items := drain(t, stuck)
	if stuck.Dropped() == 0 || items[0].Tracks == nil || !items[len(items)-1].Break {
		t.Fatalf("the stuck reader: %d items, %d dropped", len(items), stuck.Dropped())
	}
	units := 0
	for _, it := range items {
		if it.Unit != nil {
			units++
		}
	}
	if units != 10 || units+int(stuck.Dropped()) != 20000 {
		t.Errorf("the stuck reader queued %d units and dropped %d, of 20000", units, stuck.Dropped())
	}

	// Reading again after a loss starts at a keyframe.
	h.Begin(testTracks)
	frames(h, 0, 30, 25) // frames 0..29: keyframes at 0 and 25
	items = drain(t, stuck)
	if items[0].Tracks == nil || items[1].Unit == nil || !items[1].Unit.Random || items[1].Unit.Track != 0 {
		t.Fatalf("after the loss the reader starts with %+v, %+v", items[0], items[1].Unit)
	}
}

// TestHubLateReader: a reader that subscribes while a source runs starts
// with its tracks and the current GOP, from its keyframe.
func TestHubLateReader(t *testing.T) {
	h := NewHub(HubOptions{GOP: true})
	h.Begin(testTracks)
	frames(h, 0, 12, 5) // keyframes at 0, 5, 10
	r := h.Subscribe("late", 100)
	items := drain(t, r)
	if len(items) != 1+4 || items[0].Tracks == nil || !items[1].Unit.Random || items[1].Unit.PTS != 400*time.Millisecond {
		t.Fatalf("the late reader starts with %d items: %+v", len(items), items[1].Unit)
	}
	h.End()
	if r := h.Subscribe("after", 100); len(drain(t, r)) != 0 {
		t.Error("a reader after the source ended got something")
	}
}

// TestHubLateReaderNoGOP: without the GOP cache, a reader that subscribes
// while a source runs starts with its tracks, then its next keyframe; the
// hub kept nothing for it.
func TestHubLateReaderNoGOP(t *testing.T) {
	h := NewHub(HubOptions{})
	h.Begin(testTracks)
	frames(h, 0, 12, 5) // keyframes at 0, 5, 10
	if len(h.gop) != 0 {
		t.Fatalf("the hub keeps %d units", len(h.gop))
	}
	r := h.Subscribe("late", 100)
	frames(h, 12, 8, 5) // keyframe at 15
	items := drain(t, r)
	if len(items) != 1+10 || items[0].Tracks == nil || !items[1].Unit.Random || items[1].Unit.PTS != 15*40*time.Millisecond {
		t.Fatalf("the late reader starts with %d items: %+v", len(items), items[1].Unit)
	}
	if r.Dropped() != 0 {
		t.Errorf("what came before its first keyframe counts as %d dropped", r.Dropped())
	}
}

// TestHubHold: what was written before the first readers, while holding, is
// theirs, bounded; after Release, readers start at the latest GOP.
func TestHubHold(t *testing.T) {
	h := NewHub(HubOptions{Hold: true, HoldBytes: 3000, GOP: true})
	h.Begin(testTracks)
	frames(h, 0, 50, 10) // 50 × 110 bytes: more than the bound
	a := h.Subscribe("a", 1000)
	b := h.Subscribe("b", 1000)
	h.Release()
	c := h.Subscribe("c", 1000)
	for _, r := range []*Reader{a, b} {
		items := drain(t, r)
		if items[0].Tracks == nil || !items[1].Unit.Random || items[1].Unit.Track != 0 || items[len(items)-1].Unit.PTS != 49*40*time.Millisecond {
			t.Fatalf("%s: held items start %+v %+v", r.Name(), items[0], items[1].Unit)
		}
		if n := len(items) - 1; n*110/2 > 3000+10*110 {
			t.Errorf("%s: %d units held, beyond the bound", r.Name(), n)
		}
	}
	if items := drain(t, c); len(items) != 1+20 || items[1].Unit.PTS != 40*40*time.Millisecond {
		t.Errorf("after Release a reader starts with %d items", len(items))
	}
}

func TestHubClose(t *testing.T) {
	h := NewHub(HubOptions{})
	r := h.Subscribe("r", 10)
	h.Begin(testTracks)
	frames(h, 0, 2, 1)
	h.Close()
	if n := len(drain(t, r)); n != 5 {
		t.Errorf("read %d items after Close, want the 5 queued", n)
	}
	if _, err := r.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
	if _, err := h.Subscribe("x", 1).Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("a reader of a closed hub: %v", err)
	}
}

// TestHubWakes: a waiting reader is woken by a video frame, but audio frames
// of a stream with video are let to gather a little (quietUnits), without
// waking it for each; those of an audio-only stream wake it at once.
func TestHubWakes(t *testing.T) {
	audio := func(h *Hub, n int) {
		for range n {
			h.Write(&Unit{Track: 1, Random: true, AU: [][]byte{{1}}})
		}
	}
	// woken reports whether a reader waiting for its next item gets it
	// within a moment.
	woken := func(r *Reader) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := r.Next(ctx)
		return err == nil
	}
	h := NewHub(HubOptions{})
	r := h.Subscribe("r", 100)
	h.Begin(testTracks)
	if it, err := r.Next(context.Background()); err != nil || it.Tracks == nil {
		t.Fatalf("first item: %+v, %v", it, err)
	}
	got := make(chan bool)
	go func() { got <- woken(r) }()
	time.Sleep(10 * time.Millisecond) // r waits
	audio(h, quietUnits)
	if <-got {
		t.Errorf("woken by %d audio frames", quietUnits)
	}
	// What was queued quietly is there for the next Next.
	for i := range quietUnits {
		if it, err := r.Next(context.Background()); err != nil || it.Unit == nil || it.Unit.Track != 1 {
			t.Fatalf("audio frame %d: %+v, %v", i, it, err)
		}
	}
	go func() { got <- woken(r) }()
	time.Sleep(10 * time.Millisecond)
	audio(h, quietUnits+1)
	if !<-got {
		t.Errorf("not woken by %d audio frames: a stream whose video stopped would stall", quietUnits+1)
	}
	drain(t, r)
	go func() { got <- woken(r) }()
	time.Sleep(10 * time.Millisecond)
	h.Write(&Unit{Track: 0, Random: true, AU: [][]byte{{1}}})
	if !<-got {
		t.Error("not woken by a video frame")
	}

	ah := NewHub(HubOptions{})
	ar := ah.Subscribe("audio only", 100)
	ah.Begin(Tracks{{Codec: &AAC{}}})
	ar.Next(context.Background())
	go func() { got <- woken(ar) }()
	time.Sleep(10 * time.Millisecond)
	ah.Write(&Unit{Track: 0, Random: true, AU: [][]byte{{1}}})
	if !<-got {
		t.Error("an audio-only stream's frame did not wake its reader")
	}
}
