package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/testutil/e2e"
)

// webhookSink collects the alert notices a webhook receives.
type webhookSink struct {
	mu      sync.Mutex
	notices []health.Notice
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n health.Notice
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad notice", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.notices = append(s.notices, n)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *webhookSink) has(typ, alert string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.notices {
		if n.Type == typ && n.Alert.Type == alert {
			return true
		}
	}
	return false
}

// TestChannelHealth: a run whose publisher drops for 10 s and comes back,
// pushing to an HLS destination that answers 503. The health history shows
// the gap in NetworkIn and counts 10 ± 1 s of InputLossSeconds; the
// input_loss alert is raised and cleared, destination_retrying raised, each
// as a run event and at the webhook; the graphs decode at the size asked,
// their time axis follows tz; bad parameters are refused by name.
func TestChannelHealth(t *testing.T) {
	sink := &webhookSink{}
	hook := httptest.NewServer(sink)
	t.Cleanup(hook.Close)
	var refused sync.Map
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refused.Store(r.URL.Path, true)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	t.Cleanup(cdn.Close)
	n := startNode(t, func(c *config.Config) { c.AlertWebhook = hook.URL })

	bp := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	bp.Settings.Destinations = []domain.Destination{{ID: "cdn", Settings: []domain.DestinationSetting{{URL: cdn.URL + "/ingest/(event_name)"}}}}
	bp.Settings.OutputGroups = append(bp.Settings.OutputGroups, domain.OutputGroup{Name: "CDN", Type: domain.OutputHLS, DestinationID: "cdn",
		HLS: &domain.HLSSettings{SegmentSeconds: 2, WindowSeconds: 20}})
	id, info := n.CreateAndStart(bp)
	ingest := info.Endpoints.Input[0].Endpoints[0]
	first := e2e.Publish(t, ingest, 60)
	n.WaitStatus(id, domain.StatusRunning)
	time.Sleep(10 * time.Second)
	first.Process.Kill()
	first.Wait()
	time.Sleep(10 * time.Second)
	e2e.Publish(t, ingest, 60)
	e2e.WaitFor(t, "the input_loss alert to clear", 20*time.Second, func() bool {
		return hasAlertEvent(n.Channel(id), domain.EventAlertCleared, domain.AlertInputLoss)
	})
	e2e.WaitFor(t, "the destination_retrying alert", 30*time.Second, func() bool {
		for _, a := range n.Channel(id).Alerts {
			if a.Type == domain.AlertDestinationRetrying && a.Destination == "cdn" {
				return true
			}
		}
		return false
	})

	// Two players watch: each fetches the master playlist, one a segment too.
	master := n.local(n.Channel(id).Endpoints.Output[0].URL)
	for _, agent := range []string{"player-a", "player-b"} {
		watch(t, master, agent, agent == "player-a")
	}
	e2e.WaitFor(t, "the two viewers in the history", 10*time.Second, func() bool {
		var v api.HealthSeriesList
		n.Call("GET", "/api/channels/"+id+"/health?format=json&period=1m&metrics=Viewers", nil, &v)
		return len(v.Items) == 1 && len(v.Items[0].Points) > 0 && v.Items[0].Points[len(v.Items[0].Points)-1].Value == 2
	})

	// The series, a point a second.
	var series api.HealthSeriesList
	if code := n.Call("GET", "/api/channels/"+id+"/health?format=json&period=5m&metrics=NetworkIn,InputLossSeconds,Output5xxErrors,ActiveAlerts,Viewers,SegmentRequests", nil, &series); code != 200 {
		t.Fatalf("format=json: %d", code)
	}
	if series.ResolutionSeconds != 1 {
		t.Errorf("resolution %d s within the last 15 minutes, want 1", series.ResolutionSeconds)
	}
	byMetric := map[string][]api.HealthPoint{}
	for _, it := range series.Items {
		byMetric[it.Metric+"/"+it.Label] = it.Points
	}
	gap, longest, sawInput := 0, 0, false
	for _, p := range byMetric["NetworkIn/"] {
		switch {
		case p.Value > 0 && sawInput:
			longest = max(longest, gap)
			gap = 0
		case p.Value > 0:
			sawInput = true
		case sawInput:
			gap++
		}
	}
	if longest < 8 || longest > 12 {
		t.Errorf("NetworkIn's gap: %d s at 0 between input, want about 10: %v", longest, byMetric["NetworkIn/"])
	}
	lost := 0.0
	for _, p := range byMetric["InputLossSeconds/"] {
		lost += p.Value
	}
	if lost < 9 || lost > 11 {
		t.Errorf("InputLossSeconds counts %v s, want 10 ± 1", lost)
	}
	errors5xx := 0.0
	for _, p := range byMetric["Output5xxErrors/cdn"] {
		errors5xx += p.Value
	}
	if errors5xx == 0 {
		t.Errorf("Output5xxErrors/cdn counts none of the destination's 503s: %+v", series.Items)
	}
	peak, segments := 0.0, 0.0
	for _, p := range byMetric["Viewers/"] {
		peak = max(peak, p.Value)
	}
	for _, p := range byMetric["SegmentRequests/"] {
		segments += p.Value
	}
	if peak != 2 || segments != 1 {
		t.Errorf("Viewers peaked at %v and SegmentRequests sum %v; want the 2 players and their 1 segment", peak, segments)
	}
	info = n.Channel(id)
	if !hasAlertEvent(info, domain.EventAlertRaised, domain.AlertInputLoss) || !hasAlertEvent(info, domain.EventAlertCleared, domain.AlertInputLoss) {
		t.Errorf("no input_loss raised and cleared in the run's events: %+v", info.Events)
	}
	e2e.WaitFor(t, "the webhook's notices", 10*time.Second, func() bool {
		return sink.has(domain.EventAlertRaised, domain.AlertInputLoss) && sink.has(domain.EventAlertCleared, domain.AlertInputLoss) &&
			sink.has(domain.EventAlertRaised, domain.AlertDestinationRetrying)
	})

	// The graphs, at the size asked.
	var charts api.HealthCharts
	if code := n.Call("GET", "/api/channels/"+id+"/health?width=640&height=360&period=3m&tz=Europe/Sofia", nil, &charts); code != 200 {
		t.Fatalf("graphs: %d", code)
	}
	if len(charts.Items) != len(health.DefaultMetrics) || charts.TimeZone != "Europe/Sofia" {
		t.Fatalf("%d graphs in %s, want the %d default ones", len(charts.Items), charts.TimeZone, len(health.DefaultMetrics))
	}
	for _, it := range charts.Items {
		b64, ok := strings.CutPrefix(it.Image, "data:image/png;base64,")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil {
			t.Fatalf("%s: not a base64 PNG data URL (%v)", it.Metric, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(raw))
		if err != nil || cfg.Width != 640 || cfg.Height != 360 {
			t.Errorf("%s: %dx%d (%v), want 640x360", it.Metric, cfg.Width, cfg.Height, err)
		}
		if it.Stats == nil || it.Pipeline == nil || *it.Pipeline != 0 {
			t.Errorf("%s: stats %+v, pipeline %v", it.Metric, it.Stats, it.Pipeline)
		}
		saveSample(t, it.Metric+"-sofia.png", raw)
	}

	// One graph as an image, and its time axis in two zones.
	code, hdr, body := e2e.GetWith(t, n.Base+"/api/channels/"+id+"/health/NetworkIn.png?width=300&height=200", "x-api-key", e2e.AdminKey)
	if cfg, err := png.DecodeConfig(strings.NewReader(body)); code != 200 || hdr.Get("Content-Type") != "image/png" || err != nil || cfg.Width != 300 || cfg.Height != 200 {
		t.Errorf("NetworkIn.png: %d %s, %dx%d (%v)", code, hdr.Get("Content-Type"), cfg.Width, cfg.Height, err)
	}
	saveSample(t, "NetworkIn-300x200.png", []byte(body))
	end := time.Now().UTC().Truncate(time.Minute)
	window := fmt.Sprintf("&start=%s&end=%s", end.Add(-10*time.Minute).Format(time.RFC3339), end.Format(time.RFC3339))
	labels := func(tz string) []string {
		var c api.HealthCharts
		if code := n.Call("GET", "/api/channels/"+id+"/health?metrics=NetworkIn&tz="+tz+window, nil, &c); code != 200 || len(c.Items) != 1 {
			t.Fatalf("tz=%s: %d", tz, code)
		}
		if tz == "%2B0530" {
			b64, _ := strings.CutPrefix(c.Items[0].Image, "data:image/png;base64,")
			raw, _ := base64.StdEncoding.DecodeString(b64)
			saveSample(t, "NetworkIn-0530.png", raw)
		}
		return c.Items[0].AxisLabels
	}
	utc, india := labels("UTC"), labels("%2B0530")
	if len(utc) < 3 || len(utc) != len(india) {
		t.Fatalf("axis labels: UTC %v, +0530 %v", utc, india)
	}
	for i := range utc {
		u, err1 := time.Parse("15:04", utc[i])
		in, err2 := time.Parse("15:04", india[i])
		if err1 != nil || err2 != nil || (in.Sub(u)+24*time.Hour)%(24*time.Hour) != 5*time.Hour+30*time.Minute {
			t.Errorf("label %d: UTC %q, +0530 %q: want 5 h 30 min apart", i, utc[i], india[i])
		}
	}

	// Bad parameters are refused by name, and change nothing.
	for query, field := range map[string]string{
		"width=0":                    "width",
		"height=5000":                "height",
		"tz=Mars/Olympus":            "tz",
		"metrics=NetworkIn,Hz":       "metrics",
		"period=soon":                "period",
		"start=yesterday":            "start",
		"format=gif":                 "format",
		"colour=red":                 "colour",
		"start=2099-01-01T00:00:00Z": "start",
		"tz=%2B1430":                 "tz",
	} {
		var e api.ErrorBody
		if code := n.Call("GET", "/api/channels/"+id+"/health?"+query, nil, &e); code != 400 || !strings.Contains(e.Message, field) {
			t.Errorf("%s: %d %q, want a 400 naming %s", query, code, e.Message, field)
		}
	}
	if code := n.Call("GET", "/api/channels/no-such-workflow/health", nil, nil); code != 404 {
		t.Errorf("an unknown workflow's health: %d, want 404", code)
	}
}

// watch fetches a master playlist as a player with this user agent would,
// and the first segment of its first variant when segment is set.
func watch(t *testing.T, master, agent string, segment bool) {
	t.Helper()
	get := func(u string) string {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("User-Agent", agent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
		return string(b)
	}
	first := func(playlist string) string {
		for _, line := range strings.Split(playlist, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				return line
			}
		}
		t.Fatalf("no URI in %s", playlist)
		return ""
	}
	base, _ := url.Parse(master)
	variant, _ := base.Parse(first(get(master)))
	if segment {
		seg, _ := variant.Parse(first(get(variant.String())))
		get(seg.String())
	}
}

func hasAlertEvent(info api.ChannelInfo, typ, alert string) bool {
	for _, e := range info.Events {
		if e.Type == typ && e.Alert == alert {
			return true
		}
	}
	return false
}

// saveSample writes a graph to $ONAIR_HEALTH_SAMPLES, for a person to look at.
func saveSample(t *testing.T, name string, png []byte) {
	dir := os.Getenv("ONAIR_HEALTH_SAMPLES")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Log(err)
	}
}

// TestMetricsOfEndedRuns: of two runs, one ended, /metrics holds series for
// the live one only.
func TestMetricsOfEndedRuns(t *testing.T) {
	n := startNode(t, nil)
	ids := make([]string, 2)
	for i := range ids {
		bp := e2e.Passthrough(domain.ClassSinglePipeline)
		bp.ID = fmt.Sprintf("pass-%d", i)
		var info api.ChannelInfo
		ids[i], info = n.CreateAndStart(bp)
		e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 60)
		n.WaitStatus(ids[i], domain.StatusRunning)
	}
	scrape := func() string {
		code, _, body := e2e.GetWith(t, n.Base+"/metrics", "x-api-key", e2e.AdminKey)
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		return body
	}
	series := func(body, wf string) []string {
		var out []string
		for _, line := range strings.Split(body, "\n") {
			if strings.Contains(line, `workflow="`+wf+`"`) {
				name, _, _ := strings.Cut(line, "{")
				out = append(out, name)
			}
		}
		return out
	}
	e2e.WaitFor(t, "both runs' health in /metrics", 15*time.Second, func() bool {
		body := scrape()
		return strings.Contains(strings.Join(series(body, ids[0]), " "), "onair_pipeline_active_alerts") &&
			strings.Contains(strings.Join(series(body, ids[1]), " "), "onair_pipeline_active_alerts")
	})
	n.Stop(ids[0])
	n.WaitStatus(ids[0], domain.StatusDone)
	e2e.WaitFor(t, "the ended run's series to go", 5*time.Second, func() bool { return len(series(scrape(), ids[0])) == 0 })
	live := strings.Join(series(scrape(), ids[1]), " ")
	for _, name := range []string{"onair_pipeline_up", "onair_pipeline_active_alerts", "onair_stream_bitrate_bps", "onair_origin_viewers", "onair_stream_input_loss_seconds_total"} {
		if !strings.Contains(live, name) {
			t.Errorf("the live run has no %s: %s", name, live)
		}
	}
}
