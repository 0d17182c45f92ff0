package api_test

import (
	"fmt"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/testutil/testclock"
)

// TestHealthStandardChannel: a STANDARD channel's graphs draw both
// pipelines on one chart, named in its legend, and the series list one item
// per pipeline; the channel's own metrics (viewers) have one line.
func TestHealthStandardChannel(t *testing.T) {
	clk := testclock.New(time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Second))
	var readings []health.Reading
	svc := &health.Service{Now: clk.Now, Read: func() []health.Reading { return readings }}
	e := newEnvWith(t, func(o *api.Options) { o.Health = svc })
	svc.Store = e.store
	var b domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720-standard", nil, &b)
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", map[string]any{"name": "Main and backup", "blueprint": b}, &id); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code := e.do("POST", "/api/channels", api.WorkflowIDs{Workflows: []string{id.ID}}, nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	var info api.ChannelInfo
	e.do("GET", "/api/channels/"+id.ID, nil, &info)
	ref := health.RunRef{OrgID: "default", WorkflowID: id.ID, RunID: info.RunID}
	readings = []health.Reading{{Ref: ref, Pipeline: 0, InBitrate: 2e6, Publisher: true}, {Ref: ref, Pipeline: 1, InBitrate: 1e6, Publisher: true}}
	for range 60 {
		svc.Tick(t.Context())
		clk.Advance(time.Second)
	}

	var charts api.HealthCharts
	if code := e.do("GET", "/api/channels/"+id.ID+"/health?period=5m&metrics=NetworkIn,Viewers", nil, &charts); code != 200 || len(charts.Items) != 2 {
		t.Fatalf("graphs: %d, %d items", code, len(charts.Items))
	}
	in, viewers := charts.Items[0], charts.Items[1]
	if in.Pipeline != nil || len(in.Pipelines) != 2 || len(in.Series) != 2 ||
		in.Series[0].Name != "pipeline 0" || in.Series[0].Stats.Last != 2000 || in.Series[1].Name != "pipeline 1" || in.Series[1].Stats.Last != 1000 {
		t.Errorf("NetworkIn of a STANDARD channel: pipeline %v, pipelines %v, series %+v", in.Pipeline, in.Pipelines, in.Series)
	}
	if viewers.Pipeline == nil || *viewers.Pipeline != 0 || len(viewers.Series) != 1 || viewers.Series[0].Name != "channel" {
		t.Errorf("Viewers: pipeline %v, series %+v", viewers.Pipeline, viewers.Series)
	}
	var list api.HealthSeriesList
	e.do("GET", "/api/channels/"+id.ID+"/health?period=5m&metrics=NetworkIn,DroppedFrames&format=json", nil, &list)
	var got []string
	for _, it := range list.Items {
		got = append(got, fmt.Sprintf("%s/%d:%s", it.Metric, it.Pipeline, it.Aggregation))
		if it.Metric == "NetworkIn" && len(it.Points) < 55 {
			t.Errorf("pipeline %d: %d points of NetworkIn", it.Pipeline, len(it.Points))
		}
	}
	// DroppedFrames has no data (no encoder): one empty item per pipeline.
	if want := "[NetworkIn/0:avg NetworkIn/1:avg DroppedFrames/0:sum DroppedFrames/1:sum]"; fmt.Sprint(got) != want {
		t.Errorf("series %s, want %s", fmt.Sprint(got), want)
	}
}
