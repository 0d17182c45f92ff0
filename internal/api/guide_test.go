package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
)

// The IOIO guide's blueprint snippets, as the guide prints them.
const (
	guideAkamaiSettings = `[
{
"passwordParam": "password",
"url": "https://p-ep2016865.i.akamaientrypoint.net/2016865/(event_name)",
"username": "akamailogintest"
},
{
"passwordParam": "password",
"url": "https://p-ep2016865.i.akamaientrypoint.net/2016865-b/(event_name)",
"username": "akamailogintest"
}
]`
	guidePlayerPreview = `{
"url": "https://stg-ioiotv.akamaized.net/hls/live/2016865/dvrtest/masterA.m3u8"
}`
	guideCloudfront = `[
{
"id": "Cloudfront",
"mediaPackageSettings": [],
"settings": [
{
"url": "mediastoressl://"
},
{
"url": "mediastoressl://"
}
]
}
]`
)

// guideWorkflow is the guide's "Available Immediately" workflow body around the
// 720p ladder blueprint, as a STANDARD channel with the guide's preview and
// its 0/ archive directory; more changes the blueprint's settings.
func guideWorkflow(t *testing.T, more func(settings map[string]any)) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "blueprint-720.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bp map[string]any
	if err := json.Unmarshal(raw, &bp); err != nil {
		t.Fatal(err)
	}
	settings := bp["settings"].(map[string]any)
	settings["inputs"].([]any)[0].(map[string]any)["createInput"].(map[string]any)["availableImmediately"] = true
	settings["channel"].(map[string]any)["class"] = "STANDARD"
	settings["outputGroups"].([]any)[1].(map[string]any)["archive"].(map[string]any)["nameModifier"] = "0/$w$x$h$$rc$"
	var preview any
	json.Unmarshal([]byte(guidePlayerPreview), &preview)
	settings["playerPreview"] = preview
	if more != nil {
		more(settings)
	}
	return map[string]any{
		"region": "local", "name": "Available Immediately", "description": "Available Immediately Descr", "blueprint": bp,
		"schedule": map[string]any{"startDateTime": "2031-03-23T11:03:24.989Z", "duration": 100,
			"recurrence": map[string]any{"unit": "DAY", "days": []string{"MON"}, "endDate": "2031-04-23"}},
	}
}

// TestGuideBlueprints: the guide's bodies that onair can run are accepted as
// the guide prints them, the Akamai MSL4 one included (its password masked
// in answers); the CloudFront one, which onair cannot run yet, is refused
// with why, and creates nothing.
func TestGuideBlueprints(t *testing.T) {
	e := newEnv(t)
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", guideWorkflow(t, nil), &id); code != 201 {
		t.Fatalf("the guide's STANDARD workflow: %d", code)
	}
	var wf domain.Workflow
	e.do("GET", "/api/workflows/"+id.ID, nil, &wf)
	if p := wf.Blueprint.Settings.PlayerPreview; p == nil || !strings.Contains(guidePlayerPreview, p.URL) {
		t.Errorf("workflow's preview: %+v", p)
	}
	// availableImmediately: main and backup endpoints before any start.
	var ch api.ChannelInfo
	if e.do("GET", "/api/channels/"+id.ID, nil, &ch); len(ch.Endpoints.Input) != 1 || len(ch.Endpoints.Input[0].Endpoints) != 2 {
		t.Errorf("the READY channel's endpoints: %+v", ch.Endpoints)
	}
	if ch.PlayerPreview == nil || !strings.Contains(guidePlayerPreview, ch.PlayerPreview.URL) {
		t.Errorf("the channel's playerPreview: %+v", ch.PlayerPreview)
	}

	var eb api.ErrorBody
	akamai := guideWorkflow(t, func(s map[string]any) {
		var settings any
		json.Unmarshal([]byte(guideAkamaiSettings), &settings)
		s["destinations"] = []any{map[string]any{"id": "akamai", "settings": settings}}
		s["outputGroups"] = append(s["outputGroups"].([]any), map[string]any{
			"name": "Akamai", "type": "HLS", "destinationId": "akamai", "hls": map[string]any{"segmentSeconds": 6, "windowSeconds": 3600}})
	})
	var akamaiID api.IDResponse
	if code := e.do("POST", "/api/workflows", akamai, &akamaiID); code != 201 {
		t.Fatalf("the Akamai blueprint: %d", code)
	}
	var stored domain.Workflow
	e.do("GET", "/api/workflows/"+akamaiID.ID, nil, &stored)
	if d := stored.Blueprint.Settings.Destinations; len(d) != 1 || len(d[0].Settings) != 2 ||
		d[0].Settings[1].URL != "https://p-ep2016865.i.akamaientrypoint.net/2016865-b/(event_name)" ||
		d[0].Settings[0].Username != "akamailogintest" || d[0].Settings[0].PasswordParam != domain.Mask {
		t.Errorf("the Akamai destination as the API shows it: %+v", d)
	}

	// The guide's CloudFront/MediaStore destinations, verbatim, pushed to by
	// an HLS group: the server assembles their URL from its storage.
	cloudfront := guideWorkflow(t, func(s map[string]any) {
		var dests any
		json.Unmarshal([]byte(guideCloudfront), &dests)
		s["destinations"] = dests
		s["outputGroups"] = append(s["outputGroups"].([]any), map[string]any{"name": "Cloudfront", "type": "HLS", "destinationId": "Cloudfront",
			"hls": map[string]any{"segmentSeconds": 6, "windowSeconds": 60}})
	})
	var cloudfrontID struct{ ID string }
	if code := e.do("POST", "/api/workflows", cloudfront, &cloudfrontID); code != 201 {
		t.Errorf("the CloudFront blueprint: %d", code)
	}
	packaged := guideWorkflow(t, func(s map[string]any) {
		var dests []any
		json.Unmarshal([]byte(guideCloudfront), &dests)
		dests[0].(map[string]any)["mediaPackageSettings"] = []any{map[string]any{"id": "endpoint"}}
		s["destinations"] = dests
		s["outputGroups"] = append(s["outputGroups"].([]any), map[string]any{"name": "Cloudfront", "type": "HLS", "destinationId": "Cloudfront",
			"hls": map[string]any{"segmentSeconds": 6, "windowSeconds": 60}})
	})
	if code := e.do("POST", "/api/workflows", packaged, &eb); code != 400 || !strings.Contains(eb.Field, "mediaPackageSettings") {
		t.Errorf("a CloudFront blueprint with MediaPackage settings: %d %+v", code, eb)
	}
	var list api.WorkflowList
	if e.do("GET", "/api/workflows", nil, &list); len(list.Items) != 3 {
		t.Errorf("refused bodies created workflows: %+v", list.Items)
	}
}
