package pipeline

import (
	"bytes"
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"onair/internal/domain"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// ladderSpec is a two-rung ladder small enough for the test machine.
func ladderSpec() Spec {
	return Spec{Settings: domain.BlueprintSettings{
		Channel: domain.ChannelSettings{
			Class: domain.ClassSinglePipeline,
			Video: []domain.VideoRendition{
				{Name: "180p", Codec: "H264", Width: 320, Height: 180, Bitrate: 300_000, Maxrate: 450_000, GopSeconds: 1, Profile: "high"},
				{Name: "90p", Codec: "H264", Width: 160, Height: 90, Bitrate: 100_000, Maxrate: 150_000, GopSeconds: 1, Profile: "main"},
			},
			Audio: &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 64_000, Channels: 2},
		},
		OutputGroups: []domain.OutputGroup{{Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 2, WindowSeconds: 20}}},
	}}
}

// sourceUnits makes seconds of a 640x360 test pattern at 15 fps with a tone
// (a keyframe each second), with timestamps from 10 s, as units of a hub.
func sourceUnits(t *testing.T, seconds string) []media.Item {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	ts, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc=size=640x360:rate=15", "-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-t", seconds, "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-output_ts_offset", "10", "-f", "mpegts", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	h := media.NewHub(media.HubOptions{})
	r := h.Subscribe("sample", 1<<20)
	if err := media.ReadTS(bytes.NewReader(ts), h); err != nil {
		t.Fatal(err)
	}
	var items []media.Item
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		it, err := r.Next(ctx)
		cancel()
		if err != nil || it.Break {
			return items
		}
		items = append(items, it)
	}
}

// publish writes items into a hub in real time, as a publisher would.
func publish(h *media.Hub, items []media.Item) {
	start := time.Now()
	var base time.Duration
	for _, it := range items {
		if it.Tracks != nil {
			h.Begin(it.Tracks)
			continue
		}
		if base == 0 {
			base = it.Unit.DTS
		}
		time.Sleep(time.Until(start.Add(it.Unit.DTS - base)))
		h.Write(it.Unit)
	}
}

// collect reads a rendition hub until it has been quiet for a second.
func collect(r *media.Reader) []media.Item {
	var out []media.Item
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		it, err := r.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, it)
	}
}

// TestEncoder: ffmpeg encodes the source it is fed from a hub into each
// rendition, written back into their hubs: H.264 at each rung's size, with
// keyframes on the GOP grid and the source's timeline; and after ffmpeg is
// killed the next instance goes on, its units later than the last ones.
func TestEncoder(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	items := sourceUnits(t, "6")
	source := media.NewHub(media.HubOptions{})
	outs := []*media.Hub{media.NewHub(media.HubOptions{}), media.NewHub(media.HubOptions{})}
	readers := []*media.Reader{outs[0].Subscribe("test", 1<<16), outs[1].Subscribe("test", 1<<16)}
	spec := ladderSpec()
	e := NewEncoder(Config{FFmpeg: ffmpeg, Dir: t.TempDir(), Args: func(bool) ([]string, error) { return Args(spec) },
		Settle: 100 * time.Millisecond, Backoff: Backoff{Min: 100 * time.Millisecond}}, source, outs)
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	publish(source, items[:len(items)/2])
	syscall.Kill(e.Supervisor().PID(), syscall.SIGKILL)
	publish(source, items[len(items)/2:])
	// publish paces the source in real time: ffmpeg holds a frame for far
	// less than the 3 s it took.
	d, ok := e.Delay()
	t.Logf("encoder delay %s", d)
	if !ok || d <= 0 || d > 3*time.Second {
		t.Errorf("encoder delay %s (measured %t)", d, ok)
	}
	// Stop lets the last instance finish what it encoded into the hubs.
	if err := e.Stop(context.Background()); err != nil {
		t.Logf("stop: %v", err)
	}
	for _, h := range outs {
		h.Close()
	}
	got := [][]media.Item{collect(readers[0]), collect(readers[1])}
	for i, want := range []struct{ w, h int }{{320, 180}, {160, 90}} {
		var sources, keys, video int
		var last time.Duration
		for _, it := range got[i] {
			switch {
			case it.Tracks != nil:
				sources++
				var sps h264.SPS
				c, ok := it.Tracks[it.Tracks.Video()].Codec.(*media.H264)
				if !ok || sps.Unmarshal(c.SPS) != nil || sps.Width() != want.w || sps.Height() != want.h {
					t.Errorf("rendition %d: video %dx%d, want %dx%d", i, sps.Width(), sps.Height(), want.w, want.h)
				}
			case it.Unit != nil && it.Unit.Track == 0:
				video++
				if it.Unit.Random {
					keys++
				}
				if it.Unit.DTS < 10*time.Second {
					t.Fatalf("rendition %d: DTS %s, before the source's timeline starts", i, it.Unit.DTS)
				}
				if it.Unit.DTS < last {
					t.Errorf("rendition %d: DTS goes back from %s to %s across the restart", i, last, it.Unit.DTS)
				}
				last = it.Unit.DTS
			}
		}
		if sources != 2 || video < 45 || keys < 4 {
			t.Errorf("rendition %d: %d sources, %d frames, %d keyframes; want the 2 instances' and most of 6 s at 15 fps", i, sources, video, keys)
		}
	}
}
