package engine

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"onair/internal/hls/hlstest"
	"onair/internal/ingest"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// source is what a publisher's sink receives: its tracks and units.
type source struct {
	tracks media.Tracks
	units  []*media.Unit
}

// sourceOf makes seconds of a 320x180 test pattern with a tone (a keyframe
// each second), as the ingest would hand it over.
func sourceOf(t *testing.T, seconds int) source {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	file := filepath.Join(t.TempDir(), "source.ts")
	hlstest.Encode(t, ffmpeg, file, seconds, 15, "libx264")
	tracks, units := hlstest.ReadTS(t, file)
	return source{tracks: tracks, units: units}
}

// half is the first half of the source.
func (s source) half() source {
	return source{tracks: s.tracks, units: s.units[:len(s.units)/2]}
}

// play sends the source to a publisher's sink in real time.
func (s source) play(sink ingest.Sink) error {
	if err := sink.Begin(s.tracks); err != nil {
		return err
	}
	start, base := time.Now(), s.units[0].DTS
	for _, u := range s.units {
		if d := time.Until(start.Add(u.DTS - base)); d > 0 {
			time.Sleep(d)
		}
		c := *u
		if err := sink.Write(&c); err != nil {
			return fmt.Errorf("Write @%s: %w", u.DTS, err)
		}
	}
	return nil
}
