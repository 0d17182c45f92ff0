package api_test

import (
	"context"
	"reflect"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
)

// TestChannelList checks that GET /api/channels renders each run with its own
// workflow's name and playback URLs, TS then CMAF LL-HLS as the built-ins
// have them (a STANDARD channel's at pipeline 0), newest first, by pages and
// by workflow.
func TestChannelList(t *testing.T) {
	e := newEnv(t)
	var single, standard domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &single)
	e.do("GET", "/api/blueprints/rtmp-abr-720-standard", nil, &standard)
	create := func(name string, bp domain.Blueprint) string {
		var id api.IDResponse
		if code := e.do("POST", "/api/workflows", map[string]any{"name": name, "blueprint": bp}, &id); code != 201 {
			t.Fatalf("create %s: %d", name, code)
		}
		return id.ID
	}
	one, two := create("One", single), create("Two", standard)
	for _, id := range []string{one, two} {
		var res api.ChannelsResult
		if code := e.do("POST", "/api/channels", map[string]any{"workflows": []string{id}}, &res); code != 200 || len(res.Items) != 1 {
			t.Fatalf("start %s: %d %+v", id, code, res)
		}
		_, err := e.store.UpdateChannel(context.Background(), "default", id, func(ch *domain.Channel) error {
			ch.Run.Inputs = []domain.Ingest{{Pipeline: 0, App: "live", StreamKey: "k-" + id}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	var cl api.ChannelList
	if code := e.do("GET", "/api/channels", nil, &cl); code != 200 || len(cl.Items) != 2 || cl.Next != "" {
		t.Fatalf("channel list: %d %+v", code, cl)
	}
	for i, want := range []struct{ id, name, url string }{
		{two, "Two", "http://onair.test/live/" + two + "/0/"},
		{one, "One", "http://onair.test/live/" + one + "/"},
	} {
		got := cl.Items[i]
		outputs := []api.OutputEndpoint{
			{Type: "HLS", Format: domain.FormatTS, URL: want.url + "master.m3u8"},
			{Type: "HLS", Format: domain.FormatCMAF, LowLatency: true, URL: want.url + "cmaf/master.m3u8"},
		}
		if got.ID != want.id || got.Name != want.name || got.RunID == "" || got.Status != domain.StatusProvisioning ||
			!reflect.DeepEqual(got.Endpoints.Output, outputs) ||
			len(got.Endpoints.Input) != 1 || got.Endpoints.Input[0].Endpoints[0] != "rtmp://onair.test:1935/live/k-"+want.id {
			t.Errorf("item %d: %+v, want %s %s at %s", i, got, want.id, want.name, want.url)
		}
		var single api.ChannelInfo
		e.do("GET", "/api/channels/"+want.id, nil, &single)
		if single.RunID != got.RunID || !reflect.DeepEqual(single.Endpoints.Output, got.Endpoints.Output) {
			t.Errorf("list item %d differs from GET /api/channels/%s: %+v and %+v", i, want.id, got, single)
		}
	}

	var p1, p2 api.ChannelList
	e.do("GET", "/api/channels?limit=1", nil, &p1)
	e.do("GET", "/api/channels?limit=1&next="+p1.Next, nil, &p2)
	if len(p1.Items) != 1 || p1.Items[0].ID != two || p1.Next == "" || len(p2.Items) != 1 || p2.Items[0].ID != one || p2.Next != "" {
		t.Errorf("pages: %+v then %+v", p1, p2)
	}
	var byWorkflow api.ChannelList
	e.do("GET", "/api/channels?workflowId="+one, nil, &byWorkflow)
	if len(byWorkflow.Items) != 1 || byWorkflow.Items[0].ID != one {
		t.Errorf("?workflowId=%s: %+v", one, byWorkflow)
	}
}
