package server_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/geodb"
	"onair/internal/testutil/player"
)

const smMeta = "/streammanager/api/4.0/admin/event/meta/"

// provision sends a Stream Manager request as its clients do, the API key
// as ?accessToken=, and wants the status.
func (n *node) provision(method, path, body string, want int) {
	n.T.Helper()
	req, _ := http.NewRequest(method, n.Base+smMeta+path+"?accessToken="+e2e.AdminKey, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.T.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		n.T.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
}

// seedBody is one of the Stream Manager document's request bodies, as it prints them.
func seedBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "api", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// refusedPublish publishes to url for a few seconds and wants the server to
// refuse it saying why, as ffmpeg prints it (Server error: <why>).
func refusedPublish(t *testing.T, url, why string, rtmpOptions ...string) {
	t.Helper()
	cmd := e2e.PublishCommand(url, 3, rtmpOptions)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Server error: "+why) {
		t.Errorf("publish to %s: %v, want it refused saying %q; ffmpeg: %s", url, err, why, out)
	}
}

const badCredentials = "wrong or missing username and password"

// provisionChannel is the channel of a provision's publish name, found by its name.
func (n *node) provisionChannel(name string) (api.ChannelInfo, bool) {
	var list api.ChannelList
	n.Call("GET", "/api/channels", nil, &list)
	for _, c := range list.Items {
		if c.Name == name {
			return n.Channel(c.ID), true
		}
	}
	return api.ChannelInfo{}, false
}

func (n *node) waitProvision(name string, want domain.Status) api.ChannelInfo {
	n.T.Helper()
	var info api.ChannelInfo
	e2e.WaitFor(n.T, name+" "+string(want), 60*time.Second, func() bool {
		var ok bool
		info, ok = n.provisionChannel(name)
		return ok && info.Status == want
	})
	return info
}

// TestProvisionLadder: the document's create body, verbatim, makes a
// transcoded 3-level ladder that the publisher starts with its credentials
// in the URL; hls.js plays the master and switches between its levels;
// each level plays alone; georules changed while it runs apply at once.
func TestProvisionLadder(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.GeoHeader = "CF-IPCountry"; c.ProvisionGrace = 10 * time.Second })
	create := seedBody(t, "red5_create.json")
	n.provision("POST", "live/stream1", create, 201)
	base := "rtmp://" + n.rtmp

	refusedPublish(t, base+"/live/stream1", badCredentials)
	refusedPublish(t, base+"/live?username=acme&password=wrong/stream1", badCredentials)
	if _, ok := n.provisionChannel("live/stream1"); ok {
		t.Fatal("a refused publisher started a channel")
	}

	// The document's encoders publish its top variant; 320x180 is smaller
	// than every rung, which then keep its size: none is scaled up.
	pub := e2e.Publish(t, base+"/live?username=acme&password=acme!newpass/stream1_1", 60)
	info := n.waitProvision("live/stream1", domain.StatusRunning)
	if got := info.Endpoints.Input[0].Endpoints[0]; got != "rtmp://127.0.0.1:"+strings.Split(n.rtmp, ":")[1]+"/live/stream1" {
		t.Errorf("the run's ingest endpoint is %s, want the provision's path", got)
	}
	master := n.Base + "/live/live/stream1/master.m3u8"
	var body string
	e2e.WaitFor(t, "the master playlist", 30*time.Second, func() bool {
		code, _, b := e2e.Get(t, master)
		body = b
		return code == 200 && strings.Count(b, "#EXT-X-STREAM-INF") == 3
	})
	for _, v := range []string{"stream1_1/index.m3u8", "stream1_2/index.m3u8", "stream1_3/index.m3u8"} {
		if !strings.Contains(body, "\n"+v+"\n") {
			t.Errorf("master lacks %s:\n%s", v, body)
		}
	}
	if strings.Count(body, "RESOLUTION=320x180") != 3 || strings.Count(body, "FRAME-RATE=15.000") != 3 {
		t.Errorf("the ladder scaled a 320x180@15 source up, or changed its rate (the rungs ask 30 and 15 fps):\n%s", body)
	}
	r := player.Play(t, master, player.Options{Seconds: 8, Switch: true})
	if r.Played < 8 || len(r.Errors) > 0 || r.Levels != 3 || len(slices.Compact(slices.Sorted(slices.Values(r.Switched)))) < 2 {
		t.Errorf("hls.js on the ladder: %s", r)
	}
	for _, v := range []string{"stream1_1", "stream1_2", "stream1_3"} {
		e2e.DecodesLive(t, n.Base+"/live/live/"+v+"/index.m3u8", 3)
	}

	// Georules, changed while it runs, apply at once.
	n.provision("PUT", "live/stream1", strings.Replace(create, `"restricted": "false"`, `"restricted": "true"`, 1), 200)
	get := func(country, header string) (int, string) {
		code, _, body := e2e.GetWith(t, n.Base+"/live/live/stream1_2/index.m3u8", header, country)
		return code, body
	}
	if code, _ := get("US", "CF-IPCountry"); code != 200 {
		t.Errorf("a viewer in US: %d, want 200", code)
	}
	if code, why := get("FR", "CF-IPCountry"); code != 403 || !strings.Contains(why, "US") || !strings.Contains(why, "FR") {
		t.Errorf("a viewer in FR: %d %q, want 403 naming both", code, why)
	}
	if code, _ := get("", ""); code != 403 {
		t.Errorf("a viewer of unknown country: %d, want 403", code)
	}
	if code, _ := get("US", "X-Country"); code != 403 {
		t.Errorf("a header the server was not told to trust let a viewer in: %d", code)
	}
	if code, _, _ := e2e.Get(t, master); code != 403 {
		t.Errorf("the master for an unknown country: %d, want 403", code)
	}
	if n.Channel(info.ID).RunID != info.RunID {
		t.Error("an update restarted the run")
	}

	// The document's update, verbatim, while the ladder is live: a new
	// password, and variants published apart from the next publish on. The
	// live ladder goes on playing as it started; the new password applies at
	// once to its publisher's return within the grace, which continues the run.
	n.provision("PUT", "live/stream1", seedBody(t, "red5_update.json"), 200)
	if code, _, b := e2e.Get(t, master); code != 200 || strings.Count(b, "#EXT-X-STREAM-INF") != 3 {
		t.Errorf("the live ladder's master after an update: %d\n%s", code, b)
	}
	if code, _ := get("FR", "CF-IPCountry"); code != 200 {
		t.Errorf("a viewer in FR once the update lifted the georules: %d, want 200", code)
	}
	pub.Process.Kill()
	pub.Wait()
	refusedPublish(t, base+"/live?username=acme&password=acme!newpass/stream1_1", badCredentials)
	e2e.Publish(t, base+"/live?username=acme&password=acme!diffpass/stream1_1", 60)
	e2e.WaitFor(t, "the publisher back", 20*time.Second, func() bool {
		return e2e.CountEvents(n.Channel(info.ID), "publisher_connected") == 2
	})
	if again := n.Channel(info.ID); again.RunID != info.RunID || again.Status != domain.StatusRunning {
		t.Errorf("a publisher back within the grace got run %s %s, want %s RUNNING", again.RunID, again.Status, info.RunID)
	}
}

// TestProvisionPublishedApart: the document's update body, verbatim (three
// variants with empty properties), takes three publishers, one per
// variant, one of them authenticated through the connect command as Red5's
// round-trip authentication does; the master lists all three, hls.js plays
// it, and each variant plays alone. A provision without authentication is
// refused when the server requires it. A deleted provision takes no new
// publisher, and its runs end as their publishers leave.
func TestProvisionPublishedApart(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.ProvisionsRequireAuth = true })
	n.provision("POST", "live/stream1", seedBody(t, "red5_update.json"), 201)
	n.provision("POST", "live/open", `{"meta": {"qos": 3}}`, 201)
	base := "rtmp://" + n.rtmp

	refusedPublish(t, base+"/live/open", "provision live/open has no publisher credentials")
	refusedPublish(t, base+"/live/stream1?username=acme&password=acme!diffpass", "live/stream1 is played, not published")
	refusedPublish(t, base+"/live/stream1_3", badCredentials, "-rtmp_conn", "S:acme S:acme!newpass")

	// Three sizes, as three encoders of one ladder would send.
	e2e.PublishSized(t, base+"/live/stream1_1?username=acme&password=acme!diffpass", 60, "320x180", nil)
	two := e2e.PublishSized(t, base+"/live?username=acme&password=acme!diffpass/stream1_2", 60, "256x144", nil)
	e2e.PublishSized(t, base+"/live/stream1_3", 60, "192x108", []string{"-rtmp_conn", "S:acme S:acme!diffpass"})
	for _, v := range []string{"stream1_1", "stream1_2", "stream1_3"} {
		n.waitProvision("live/"+v, domain.StatusRunning)
	}
	master := n.Base + "/live/live/stream1/master.m3u8"
	e2e.WaitFor(t, "a master over the three publishers", 30*time.Second, func() bool {
		code, _, b := e2e.Get(t, master)
		return code == 200 && strings.Count(b, "#EXT-X-STREAM-INF") == 3
	})
	if r := player.Play(t, master, player.Options{Seconds: 4}); r.Played < 4 || len(r.Errors) > 0 || r.Levels != 3 {
		t.Errorf("hls.js on the master: %s", r)
	}
	for _, v := range []string{"stream1_1", "stream1_2", "stream1_3"} {
		e2e.DecodesLive(t, n.Base+"/live/live/"+v+"/index.m3u8", 3)
	}

	// Deleted, the provision takes no new publisher, and a live run ends
	// when its publisher leaves, without waiting for the grace (30 s here).
	n.provision("DELETE", "live/stream1", "", 200)
	refusedPublish(t, base+"/live/stream1_3?username=acme&password=acme!diffpass", "unknown stream key")
	info, _ := n.provisionChannel("live/stream1_2")
	left := time.Now()
	two.Process.Kill()
	n.WaitStatus(info.ID, domain.StatusDone)
	if d := time.Since(left); d > 15*time.Second {
		t.Errorf("the run of a deleted provision ended %v after its publisher left", d)
	}
	if info, _ := n.provisionChannel("live/stream1_1"); info.Status != domain.StatusRunning {
		t.Errorf("a variant whose publisher stays is %s", info.Status)
	}
}

// TestProvisionLifecycle: a publisher that leaves and comes back within
// the grace keeps its run and its one archive; after the grace the run is
// DONE with its archive, which lasts what was published. Georules come
// from a MaxMind database here.
func TestProvisionLifecycle(t *testing.T) {
	db := filepath.Join(t.TempDir(), "country.mmdb")
	geodb.Write(t, db, map[string]geodb.Place{"127.0.0.0/8": {Country: "US", Continent: "NA"}})
	n := startNode(t, func(c *config.Config) { c.GeoIPDB = db; c.ProvisionGrace = 4 * time.Second })
	n.provision("POST", "live/show", `{"meta": {"georules": {"regions": ["FR"], "restricted": true}, "qos": 3}}`, 201)
	url := "rtmp://" + n.rtmp + "/live/show"

	first := e2e.Publish(t, url, 6)
	info := n.waitProvision("live/show", domain.StatusRunning)
	playlist := n.Base + "/live/live/show/index.m3u8"
	e2e.WaitFor(t, "a segment", 30*time.Second, func() bool {
		return e2e.Segments(filepath.Join(n.data, "live", info.ID, "SOURCE", "index.m3u8")) > 0
	})
	if code, _, _ := e2e.Get(t, playlist); code != 403 {
		t.Errorf("a viewer in US (by the database) of a stream for FR: %d, want 403", code)
	}
	// The run's own directory keeps the provision's georules.
	if code, _, _ := e2e.Get(t, n.Base+"/live/"+info.ID+"/SOURCE/index.m3u8"); code != 403 {
		t.Errorf("the run's own playlist for a viewer in US: %d, want 403", code)
	}
	n.provision("PUT", "live/show", `{"meta": {"georules": {"regions": ["US"], "restricted": true}, "qos": 3}}`, 200)
	if code, _, _ := e2e.Get(t, playlist); code != 200 {
		t.Errorf("a viewer in US once US may play: %d, want 200", code)
	}

	first.Wait()
	time.Sleep(time.Second) // gone, for less than the grace
	second := e2e.Publish(t, url, 6)
	second.Wait()
	done := n.WaitStatus(info.ID, domain.StatusDone)
	if done.RunID != info.RunID || len(done.Archives) != 1 {
		t.Fatalf("a publisher back within the grace got run %s (first %s) with %d archives, want the one run and archive", done.RunID, info.RunID, len(done.Archives))
	}
	if d := done.Archives[0].Duration; d < 10 || d > 14 {
		t.Errorf("the archive lasts %.2f s, want the 12 s published within a segment", d)
	}
	if stopped, gone := done.StopRequestedDateTime, done.Events; stopped == nil || !e2e.HasEvent(done, "publisher_disconnected") {
		t.Errorf("stop requested %v, events %v", stopped, gone)
	}
	e2e.Decodes(t, n.local(done.Archives[0].DownloadURL))
	// The archive keeps the provision's georules.
	n.provision("PUT", "live/show", `{"meta": {"georules": {"regions": ["FR"], "restricted": true}}}`, 200)
	if code, _, _ := e2e.Get(t, n.local(done.Archives[0].DownloadURL)); code != 403 {
		t.Errorf("the archive for a viewer in US once only FR may play: %d, want 403", code)
	}
}
