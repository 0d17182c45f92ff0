package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/nginxrtmp"
)

// destinationOf is a channel's status of one destination on pipeline 0.
func destinationOf(info api.ChannelInfo, id string) (domain.DestinationStatus, bool) {
	for _, d := range info.Destinations {
		if d.ID == id && d.Pipeline == 0 {
			return d, true
		}
	}
	return domain.DestinationStatus{}, false
}

// splitIngest cuts an ingest URL into its base and its stream key, as a
// blueprint's destination takes them.
func splitIngest(url string) (base, key string) {
	i := strings.LastIndex(url, "/")
	return url[:i], url[i+1:]
}

// TestDestinationsSurviveFailures: a passthrough channel pushes to two onair
// channels on this node and to nginx-rtmp. nginx goes away for 20 s and
// comes back: the other two never miss a segment nor reconnect, the nginx
// one is RETRYING with its error while nginx is gone and ACTIVE again within
// its backoff, and everything pushed plays. The states show in the channel's
// info, its events and /metrics, and end STOPPED with the run.
func TestDestinationsSurviveFailures(t *testing.T) {
	if err := nginxrtmp.Available(nginxrtmp.Options{}); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, nil)
	sinkA, a := n.CreateAndStart(e2e.Passthrough(domain.ClassSinglePipeline))
	sinkB, b := n.CreateAndStart(e2e.Passthrough(domain.ClassSinglePipeline))
	ng, err := nginxrtmp.Start(t.TempDir(), nginxrtmp.Options{Fragment: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ng.StopAtCleanup(t)

	bp := e2e.Passthrough(domain.ClassSinglePipeline)
	baseA, keyA := splitIngest(a.Endpoints.Input[0].Endpoints[0])
	baseB, keyB := splitIngest(b.Endpoints.Input[0].Endpoints[0])
	bp.Settings.Destinations = []domain.Destination{
		{ID: "a", Settings: []domain.DestinationSetting{{URL: baseA, StreamName: keyA}}},
		{ID: "b", Settings: []domain.DestinationSetting{{URL: baseB, StreamName: keyB}}},
		{ID: "cdn", Settings: []domain.DestinationSetting{{URL: "rtmp://" + ng.Addr + "/live", StreamName: "onair"}}},
	}
	for _, id := range []string{"a", "b", "cdn"} {
		bp.Settings.OutputGroups = append(bp.Settings.OutputGroups, domain.OutputGroup{Name: id, Type: domain.OutputRTMP, DestinationID: id})
	}
	src, info := n.CreateAndStart(bp)
	e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 90)

	active := func(id string) bool {
		d, ok := destinationOf(n.Channel(src), id)
		return ok && d.State == domain.DestinationActive
	}
	e2e.WaitFor(t, "every destination ACTIVE", 30*time.Second, func() bool { return active("a") && active("b") && active("cdn") })
	e2e.WaitFor(t, "nginx's segments", 20*time.Second, func() bool { return e2e.Segments(ng.Playlist("onair")) >= 2 })
	e2e.DecodesLive(t, ng.Playlist("onair"), 2)

	// nginx goes away for 20 s.
	ng.Stop()
	gone := time.Now()
	e2e.WaitFor(t, "the nginx destination RETRYING", 20*time.Second, func() bool {
		d, _ := destinationOf(n.Channel(src), "cdn")
		return d.State == domain.DestinationRetrying && d.LastError != "" && d.NextAttempt != nil
	})
	if d, _ := destinationOf(n.Channel(src), "cdn"); strings.Contains(d.LastError, "onair") {
		t.Errorf("the last error shows the stream key: %q", d.LastError)
	}
	time.Sleep(time.Until(gone.Add(20 * time.Second)))
	ng, err = nginxrtmp.Start(t.TempDir(), nginxrtmp.Options{Addr: ng.Addr, Fragment: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ng.StopAtCleanup(t)
	back := time.Now()
	// The backoff doubles from 0.5 s: 20 s down, the next try is at most
	// 16 s away, then the connection and the first keyframe.
	e2e.WaitFor(t, "the nginx destination ACTIVE again", 25*time.Second, func() bool { return active("cdn") })
	t.Logf("ACTIVE again %s after nginx came back", time.Since(back).Round(100*time.Millisecond))
	e2e.WaitFor(t, "nginx's segments again", 20*time.Second, func() bool { return e2e.Segments(ng.Playlist("onair")) >= 2 })
	e2e.DecodesLive(t, ng.Playlist("onair"), 2)

	info = n.Channel(src)
	cdn, _ := destinationOf(info, "cdn")
	if cdn.Reconnects < 1 || cdn.BytesSent == 0 || !strings.HasPrefix(cdn.URL, "rtmp://"+ng.Addr) || strings.Contains(cdn.URL, "onair") {
		t.Errorf("the nginx destination: %+v", cdn)
	}
	for _, typ := range []string{"destination_active", "destination_retrying"} {
		if !hasDestinationEvent(info, typ, "cdn") {
			t.Errorf("no %s event for the nginx destination: %+v", typ, info.Events)
		}
	}
	if got := countDestinationEvents(info, "destination_retrying", "cdn"); got != 1 {
		t.Errorf("%d destination_retrying events for one outage, want 1", got)
	}
	// The other two went on as if nothing happened.
	for _, s := range []struct{ id, sink string }{{"a", sinkA}, {"b", sinkB}} {
		d, _ := destinationOf(info, s.id)
		if d.State != domain.DestinationActive || d.Reconnects != 0 || d.LastError != "" {
			t.Errorf("destination %s: %+v", s.id, d)
		}
		sink := n.Channel(s.sink)
		if e2e.CountEvents(sink, "publisher_connected") != 1 || e2e.HasEvent(sink, "publisher_disconnected") {
			t.Errorf("destination %s's channel saw its publisher come and go: %+v", s.id, sink.Events)
		}
		playlist := filepath.Join(n.data, "live", s.sink, domain.RenditionSource, "index.m3u8")
		if body, _ := os.ReadFile(playlist); e2e.Discontinuities(playlist) > 0 {
			t.Errorf("destination %s's channel has a discontinuity:\n%s", s.id, body)
		}
		e2e.DecodesLive(t, playlist, 2)
	}
	metrics := n.metrics(t)
	for _, want := range []string{
		`onair_destination_up{destination="cdn",pipeline="0",workflow="` + src + `"} 1`,
		`onair_destination_reconnects_total{destination="cdn",pipeline="0",workflow="` + src + `"} `,
		`onair_destination_up{destination="a",pipeline="0",workflow="` + src + `"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	n.Stop(src)
	n.WaitStatus(src, domain.StatusDone)
	e2e.WaitFor(t, "the destinations STOPPED", 10*time.Second, func() bool {
		info := n.Channel(src)
		for _, d := range info.Destinations {
			if d.State != domain.DestinationStopped || d.BytesSent == 0 {
				return false
			}
		}
		return len(info.Destinations) == 3
	})
}

func hasDestinationEvent(info api.ChannelInfo, typ, id string) bool {
	return countDestinationEvents(info, typ, id) > 0
}

func countDestinationEvents(info api.ChannelInfo, typ, id string) int {
	n := 0
	for _, e := range info.Events {
		if e.Type == typ && e.Destination == id {
			n++
		}
	}
	return n
}
