package ingest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"onair/internal/ingest/ingesttest"
	"onair/internal/media"
)

// TestEnhancedRTMPHEVC publishes an x265 file over Enhanced RTMP, as OBS 30+
// does, with gortmplib's client: the sink gets an H.265 track with the
// file's VPS, SPS and PPS, and units that ffmpeg decodes once written as
// MPEG-TS.
func TestEnhancedRTMPHEVC(t *testing.T) {
	t.Parallel()
	file := ingesttest.MakeTS(t, t.TempDir(), "libx265", 3)
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	p := &ingesttest.Publisher{URL: "rtmp://" + addr + "/live/hevc-key?token=t", File: file}
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 2500*time.Millisecond {
		t.Errorf("published 3 s in %s: not at the file's pace", d)
	}
	s := r.sink(t)
	if closes, err := s.closeResult(t); closes != 1 || err != nil {
		t.Errorf("Close called %d times, with %v", closes, err)
	}
	if req := r.requests()[0]; req.Path != "live/hevc-key" || req.Query != "token=t" {
		t.Errorf("request %+v", req)
	}

	begins, units := s.snapshot()
	if len(begins) != 1 || len(begins[0]) != 2 {
		t.Fatalf("tracks announced: %v", begins)
	}
	hevc, ok := begins[0][0].Codec.(*media.H265)
	if !ok {
		t.Fatalf("video track is %T, want H.265", begins[0][0].Codec)
	}
	var sps h265.SPS
	if err := sps.Unmarshal(hevc.SPS); err != nil || sps.Width() != 320 || sps.Height() != 180 {
		t.Errorf("SPS: %dx%d, %v", sps.Width(), sps.Height(), err)
	}
	want, err := ingesttest.VideoConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	if w := want.(*media.H265); !bytes.Equal(hevc.VPS, w.VPS) || !bytes.Equal(hevc.SPS, w.SPS) || !bytes.Equal(hevc.PPS, w.PPS) {
		t.Errorf("VPS/SPS/PPS\n% x\n% x\n% x\nwant the file's\n% x\n% x\n% x", hevc.VPS, hevc.SPS, hevc.PPS, w.VPS, w.SPS, w.PPS)
	}
	if _, ok := begins[0][1].Codec.(*media.AAC); !ok {
		t.Errorf("audio track is %T", begins[0][1].Codec)
	}
	v := stats(units, 0)
	if v.frames != 45 || v.keyframes != 3 || v.span < 2800*time.Millisecond {
		t.Errorf("video %+v, want 45 frames, 3 keyframes, over 3 s", v)
	}
	reordered := 0
	for _, u := range units {
		if u.Track == 0 && u.PTS != u.DTS {
			reordered++
		}
	}
	if reordered == 0 {
		t.Error("no unit with PTS != DTS: the B-frames' composition offsets were lost")
	}

	out := writeTS(t, begins[0], units)
	if p := probe(t, out); p.video != "hevc" || p.width != 320 || p.height != 180 || p.audio != "aac" || p.duration < 2.8 {
		t.Errorf("ffprobe: %+v, want ~3 s of 320x180 HEVC with AAC", p)
	}
	decodes(t, out)
}

// TestPublisherHearsRefusal: the test publisher reports what the server said.
func TestPublisherHearsRefusal(t *testing.T) {
	t.Parallel()
	file := ingesttest.MakeTS(t, t.TempDir(), "libx264", 1)
	r := newRecRouter()
	r.refuse = errNoSuchKey
	_, addr := startServer(t, r, Options{})
	p := &ingesttest.Publisher{URL: "rtmp://" + addr + "/live/nope", File: file, Fast: true}
	if err := p.Run(context.Background()); err == nil || !strings.Contains(err.Error(), errNoSuchKey.Error()) {
		t.Errorf("Run: %v, want the refusal", err)
	}
}

var errNoSuchKey = errors.New("unknown stream key")
