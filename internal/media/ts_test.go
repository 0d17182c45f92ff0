package media

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"onair/internal/testutil/fftest"
)

// TestReadTS reads what a real ffmpeg writes, cut short as a killed one
// leaves it: the tracks come with the video's parameter sets, the units with
// their timestamps and keyframes, and the stream's end is a break.
func TestReadTS(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	for _, c := range []struct{ name, codec string }{{"H.264", "libx264"}, {"H.265", "libx265"}} {
		t.Run(c.name, func(t *testing.T) {
			ts, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error",
				"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=sample_rate=48000",
				"-t", "3", "-c:v", c.codec, "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p",
				"-x265-params", "log-level=error", "-c:a", "aac", "-output_ts_offset", "20", "-f", "mpegts", "-").Output()
			if err != nil {
				t.Fatalf("ffmpeg: %v", err)
			}
			h := NewHub(HubOptions{})
			r := h.Subscribe("test", 1<<16)
			if err := ReadTS(bytes.NewReader(ts[:len(ts)*2/3+7]), h); err != nil {
				t.Fatal(err)
			}
			var items []Item
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				it, err := r.Next(ctx)
				cancel()
				if err != nil {
					break
				}
				items = append(items, it)
			}
			if len(items) < 3 || items[0].Tracks == nil || !items[len(items)-1].Break {
				t.Fatalf("%d items", len(items))
			}
			tracks := items[0].Tracks
			switch v := tracks[tracks.Video()].Codec.(type) {
			case *H264:
				if c.codec != "libx264" || len(v.SPS) == 0 || len(v.PPS) == 0 {
					t.Errorf("video codec %+v", v)
				}
			case *H265:
				if c.codec != "libx265" || len(v.VPS) == 0 || len(v.SPS) == 0 || len(v.PPS) == 0 {
					t.Errorf("video codec %+v", v)
				}
			}
			if a := tracks.Audio(); a < 0 || tracks[a].Codec.(*AAC).Config.SampleRate != 48000 {
				t.Errorf("audio track %d", a)
			}
			first := items[1].Unit
			if first.Track != tracks.Video() || !first.Random || first.PTS < 20*time.Second {
				t.Errorf("the first unit is %+v, want the first keyframe at 20 s and after", first)
			}
			keys, video := 0, 0
			var last time.Duration
			for _, it := range items[1 : len(items)-1] {
				if u := it.Unit; u.Track == tracks.Video() {
					video++
					if u.Random {
						keys++
					}
					if u.DTS < last {
						t.Fatalf("video DTS goes back: %s after %s", u.DTS, last)
					}
					last = u.DTS
				}
			}
			if video < 25 || keys < 2 {
				t.Errorf("%d video units, %d keyframes in 2 s of a 1 s GOP", video, keys)
			}
		})
	}
}
