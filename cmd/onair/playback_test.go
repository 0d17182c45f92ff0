package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/hls/hlstest"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/player"
)

// TestPlayback plays a passthrough channel and an ABR channel, each with a
// TS output and a CMAF LL-HLS output, in hls.js in Chromium as a viewer
// would: the TS master, the CMAF master, and the CMAF master in low-latency
// mode, all three at once. The same players keep playing while the
// publisher reconnects, and while onair itself restarts (SIGTERM, then a new
// process on the same data) and the publisher comes back; a new viewer plays
// after the restart too. Every playlist onair writes meanwhile passes the
// RFC 8216 checks, and ffprobe reads every segment the playlists list.
func TestPlayback(t *testing.T) {
	for _, tc := range []struct {
		name     string
		b        domain.Blueprint
		variants int
	}{
		{"passthrough", e2e.WithLowLatency(e2e.Passthrough(domain.ClassSinglePipeline)), 1},
		{"abr", e2e.WithLowLatency(e2e.SmallBlueprint(domain.ClassSinglePipeline)), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			httpAddr, rtmpAddr := freeAddr(t), freeAddr(t)
			e2e.WatchPlaylists(t, data)
			c := &e2e.Client{T: t, Base: "http://" + httpAddr, APIKey: e2e.AdminKey}
			p := serve(t, data, httpAddr, rtmpAddr)
			id, info := c.CreateAndStart(tc.b)
			ingest := info.Endpoints.Input[0].Endpoints[0]
			pub := e2e.Publish(t, ingest, 120)

			streams := playbackStreams(t, info.Endpoints.Output)
			for _, s := range streams {
				e2e.WaitFor(t, "the master playlist "+s.URL, 30*time.Second, func() bool {
					code, _, _ := e2e.Get(t, s.URL)
					return code == 200
				})
			}
			viewer := player.Start(t, streams...)
			played := func(phase string, seconds float64) {
				t.Helper()
				res := viewer.PlayFor(player.Options{Seconds: seconds, Timeout: 45 * time.Second})
				for i, r := range res {
					t.Logf("%s, %s: %s", phase, streams[i].URL, r)
					if len(r.Errors) > 0 || r.Frames == 0 || r.Levels != tc.variants {
						t.Errorf("%s: %s played badly: %s", phase, streams[i].URL, r)
					}
					if streams[i].LowLatency && r.Parts == 0 {
						t.Errorf("%s: the LL-HLS player loaded no part: %s", phase, r)
					}
				}
			}
			played("live", 4)

			// The publisher goes and comes back.
			pub.Process.Kill()
			pub.Wait()
			time.Sleep(time.Second)
			pub = e2e.Publish(t, ingest, 120)
			played("after a publisher reconnect", 6)

			// onair restarts under the players; the publisher comes back.
			p.cmd.Process.Signal(syscall.SIGTERM)
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("SIGTERM: %v\n%s", err, p.out)
			}
			pub.Process.Kill()
			pub.Wait()
			p = serve(t, data, httpAddr, rtmpAddr)
			pub = e2e.Publish(t, ingest, 120)
			played("after onair restarted", 6)
			fresh := player.Start(t, streams...).PlayFor(player.Options{Seconds: 4, Timeout: 45 * time.Second})
			for i, r := range fresh {
				if len(r.Errors) > 0 || r.Frames == 0 {
					t.Errorf("a new viewer after the restart: %s: %s", streams[i].URL, r)
				}
			}

			probeSegments(t, filepath.Join(data, "live", id))
			c.Stop(id)
			c.WaitStatus(id, domain.StatusDone)
		})
	}
}

// playbackStreams are the players of a channel's outputs: TS, CMAF, and
// CMAF in low-latency mode.
func playbackStreams(t *testing.T, outputs []api.OutputEndpoint) []player.Stream {
	t.Helper()
	var ts, cmaf string
	for _, o := range outputs {
		switch {
		case o.Format == domain.FormatTS:
			ts = o.URL
		case o.Format == domain.FormatCMAF && o.LowLatency:
			cmaf = o.URL
		}
	}
	if ts == "" || cmaf == "" {
		t.Fatalf("outputs %+v: want a TS and a CMAF LL-HLS one", outputs)
	}
	return []player.Stream{{URL: ts}, {URL: cmaf}, {URL: cmaf, LowLatency: true}}
}

// probeSegments has ffprobe read every segment that a media playlist under
// dir lists: TS as it is, CMAF after its init section (EXT-X-MAP), as a
// player appends them.
func probeSegments(t *testing.T, dir string) {
	t.Helper()
	playlists, _ := filepath.Glob(filepath.Join(dir, "*", "index.m3u8"))
	more, _ := filepath.Glob(filepath.Join(dir, "cmaf", "*", "index.m3u8"))
	n := 0
	for _, pl := range append(playlists, more...) {
		b, err := os.ReadFile(pl)
		if err != nil {
			t.Fatal(err)
		}
		m, err := hlstest.ParseMedia(b)
		if err != nil {
			t.Fatalf("%s: %v", pl, err)
		}
		for _, s := range m.Segments {
			seg, err := os.ReadFile(filepath.Join(filepath.Dir(pl), s.URI))
			if err != nil {
				t.Fatal(err)
			}
			if s.Map != "" {
				init, err := os.ReadFile(filepath.Join(filepath.Dir(pl), s.Map))
				if err != nil {
					t.Fatal(err)
				}
				seg = append(init, seg...)
			}
			cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", "-")
			cmd.Stdin = bytes.NewReader(seg)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "h264") || !strings.Contains(string(out), "aac") {
				t.Errorf("ffprobe %s: %v %s", filepath.Join(filepath.Dir(pl), s.URI), err, out)
			}
			n++
		}
	}
	if n == 0 {
		t.Errorf("no segment under %s", dir)
	}
	t.Logf("ffprobe read %d segments of %d playlists", n, len(playlists)+len(more))
}
