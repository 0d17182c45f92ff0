package server_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/testutil/davserver"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/player"
)

// TestHLSPushDigest: the guide's Akamai MSL4 destination, against Apache
// httpd as a WebDAV target behind Digest authentication. With the right
// password the master, the playlist and the segments arrive under the
// URL, (event_name) replaced, and decode; with a wrong one the destination
// is FAILED with the 401 while the channel and the other destination go
// on. httpd stopped for 15 s: the playlist is caught up afterwards, the
// segments it missed are dropped and counted, and the media sequence never
// goes back.
func TestHLSPushDigest(t *testing.T) {
	if err := davserver.Available(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dav, err := davserver.Start(dir, "", map[string]string{"akamailogintest": "s3cr3t-pass"})
	if err != nil {
		t.Fatal(err)
	}
	dav.StopAtCleanup(t)
	n := startNode(t, nil)
	bp := e2e.Passthrough(domain.ClassSinglePipeline)
	bp.Settings.Destinations = []domain.Destination{
		{ID: "akamai", Settings: []domain.DestinationSetting{{URL: dav.URL() + "/2016865/(event_name)", Username: "akamailogintest", PasswordParam: "s3cr3t-pass"}}},
		{ID: "wrong", Settings: []domain.DestinationSetting{{URL: dav.URL() + "/other/(event_name)", Username: "akamailogintest", PasswordParam: "not-the-password"}}},
	}
	for _, id := range []string{"akamai", "wrong"} {
		bp.Settings.OutputGroups = append(bp.Settings.OutputGroups, domain.OutputGroup{Name: id, Type: domain.OutputHLS, DestinationID: id,
			HLS: &domain.HLSSettings{SegmentSeconds: 1, WindowSeconds: 10}})
	}
	id, info := n.CreateAndStart(bp)
	e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 80)

	// The workflow is named E2E: (event_name) is e2e.
	pushed := filepath.Join(dav.Root, "2016865", "e2e")
	playlist := filepath.Join(pushed, domain.RenditionSource, "index.m3u8")
	e2e.WaitFor(t, "the pushed playlist and segments", 30*time.Second, func() bool { return e2e.Segments(playlist) >= 3 })
	e2e.WaitFor(t, "the pushed master playlist", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(pushed, "master.m3u8"))
		return strings.Contains(string(b), domain.RenditionSource+"/index.m3u8")
	})
	e2e.DecodesLive(t, playlist, 2)
	e2e.WaitFor(t, "the wrong password FAILED", 20*time.Second, func() bool {
		d, _ := destinationOf(n.Channel(id), "wrong")
		return d.State == domain.DestinationFailed
	})
	info = n.Channel(id)
	if d, _ := destinationOf(info, "wrong"); !strings.Contains(d.LastError, "401") || strings.Contains(d.LastError, "not-the-password") {
		t.Errorf("the wrong password's destination: %+v", d)
	}
	if d, _ := destinationOf(info, "akamai"); d.State != domain.DestinationActive || info.Status != domain.StatusRunning {
		t.Fatalf("with one destination FAILED, the channel is %s and the other %+v", info.Status, d)
	}
	if _, err := os.Stat(filepath.Join(dav.Root, "other")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(dav.Root, "other"))
		if len(entries) > 0 {
			t.Errorf("the wrong password wrote %v", entries)
		}
	}

	// httpd goes away for 15 s.
	before := e2e.MediaSequence(t, playlist)
	dav.Stop()
	e2e.WaitFor(t, "the destination RETRYING", 10*time.Second, func() bool {
		d, _ := destinationOf(n.Channel(id), "akamai")
		return d.State == domain.DestinationRetrying
	})
	time.Sleep(15 * time.Second)
	dav, err = davserver.Start(dir, dav.Addr, map[string]string{"akamailogintest": "s3cr3t-pass"})
	if err != nil {
		t.Fatal(err)
	}
	dav.StopAtCleanup(t)
	e2e.WaitFor(t, "the destination ACTIVE again", 20*time.Second, func() bool {
		d, _ := destinationOf(n.Channel(id), "akamai")
		return d.State == domain.DestinationActive
	})
	e2e.WaitFor(t, "the playlist caught up", 10*time.Second, func() bool { return e2e.MediaSequence(t, playlist) >= before+15 })
	d, _ := destinationOf(n.Channel(id), "akamai")
	if d.Dropped == 0 || d.Reconnects < 1 || d.BytesSent == 0 {
		t.Errorf("after the outage: %+v", d)
	}
	e2e.DecodesLive(t, playlist, 2)
}

// TestHLSPushStandard: the guide's Akamai blueprint on a STANDARD channel
// pushes pipeline 0 under the primary URL and pipeline 1 under the backup
// one (-b), and what arrived plays in hls.js, served from the directory
// httpd wrote.
func TestHLSPushStandard(t *testing.T) {
	if err := davserver.Available(); err != nil {
		t.Fatal(err)
	}
	dav, err := davserver.Start(t.TempDir(), "", map[string]string{"akamailogintest": "password"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dav.Stop)
	n := startNode(t, nil)
	bp := e2e.Passthrough(domain.ClassStandard)
	bp.Settings.Destinations = []domain.Destination{{ID: "akamai", Settings: []domain.DestinationSetting{
		{PasswordParam: "password", URL: dav.URL() + "/2016865/(event_name)", Username: "akamailogintest"},
		{PasswordParam: "password", URL: dav.URL() + "/2016865-b/(event_name)", Username: "akamailogintest"},
	}}}
	bp.Settings.OutputGroups = append(bp.Settings.OutputGroups, domain.OutputGroup{Name: "Akamai", Type: domain.OutputHLS, DestinationID: "akamai",
		HLS: &domain.HLSSettings{SegmentSeconds: 1, WindowSeconds: 30}})
	id, info := n.CreateAndStart(bp)
	for _, url := range info.Endpoints.Input[0].Endpoints {
		e2e.Publish(t, url, 40)
	}
	// As a CDN would serve it: to players on any origin.
	fs := http.FileServer(http.Dir(dav.Root))
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(files.Close)
	for _, dir := range []string{"2016865", "2016865-b"} {
		master := filepath.Join(dav.Root, dir, "e2e", "master.m3u8")
		e2e.WaitFor(t, dir+"'s master playlist and segments", 30*time.Second, func() bool {
			_, err := os.Stat(master)
			return err == nil && e2e.Segments(filepath.Join(dav.Root, dir, "e2e", domain.RenditionSource, "index.m3u8")) >= 4
		})
		if r := player.Play(t, files.URL+"/"+dir+"/e2e/master.m3u8", player.Options{Seconds: 3}); r.Played < 3 || len(r.Errors) > 0 || r.Levels != 1 {
			t.Errorf("hls.js on what %s received: %s", dir, r)
		}
	}
	// The run's end reaches the destination: its playlists end too.
	n.Stop(id)
	n.WaitStatus(id, domain.StatusDone)
	for _, dir := range []string{"2016865", "2016865-b"} {
		playlist := filepath.Join(dav.Root, dir, "e2e", domain.RenditionSource, "index.m3u8")
		if b, _ := os.ReadFile(playlist); !strings.Contains(string(b), "#EXT-X-ENDLIST") {
			t.Errorf("%s's playlist after the stop does not end:\n%s", dir, b)
		}
	}
	for _, d := range n.Channel(id).Destinations {
		if d.State != domain.DestinationStopped || d.BytesSent == 0 {
			t.Errorf("after the stop: %+v", d)
		}
	}
}
