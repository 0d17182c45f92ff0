package server_test

import (
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/player"
)

// The test's own key, for a THIRDPARTY profile.
const (
	testKID = "00112233445566778899aabbccddeeff"
	testKey = "ffeeddccbbaa99887766554433221100"
)

// TestPlayoutPlayers plays a live event's profiles in real players, on a
// channel whose blueprint has a TS output only (the profiles give it its
// CMAF): Shaka
// Player plays the DASH cenc output with the keys the test gives and
// through onair's ClearKey license endpoint with the event's token, and
// not with a wrong key or none; the clear DASH plays; hls.js plays the
// filtered HLS, whose master lists exactly the renditions the criteria keep.
func TestPlayoutPlayers(t *testing.T) {
	n := startNode(t, nil)
	profile := func(name, config string) string {
		var p api.PlayoutProfile
		if code := n.Call("POST", "/api/playoutprofile", map[string]any{"name": name, "configurationJson": config}, &p); code != 201 {
			t.Fatalf("POST %s: %d", name, code)
		}
		return p.ID
	}
	thirdParty := profile("thirdparty", `{"manifestFile": "tp.isml", "mp4splitOptions": "--hls.disable",
		"drm": {"drm_provider": "THIRDPARTY", "drm_data": [{"name": "CENC", "key_id": "`+testKID+`", "key_iv": "0102030405060708", "key": "`+testKey+`"}]}}`)
	vualto := profile("seed", seedProfile)
	clear := profile("clear", `{"manifestFile": "clear.isml", "tracks": [{"kind": "video", "criteria": {"MaxHeight": 90}}, {"kind": "audio"}]}`)

	var created api.IDResponse
	if code := n.Call("POST", "/api/workflows", map[string]any{"name": "players", "blueprint": e2e.SmallBlueprint(domain.ClassSinglePipeline), "tags": []string{"pc01"},
		"playoutProfileIds": []string{thirdParty, vualto, clear}}, &created); code != 201 {
		t.Fatalf("create workflow: %d", code)
	}
	id := created.ID
	n.Start(id)
	info := n.WaitStatus(id, domain.StatusRunning)
	e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 90)

	tp := n.Base + "/playout/" + id + "/tp.isml/.mpd"
	e2e.WaitFor(t, "three segments in the DASH", 40*time.Second, func() bool {
		return strings.Count(getBody(t, tp), "<S ") >= 3
	})
	var events []api.PlayoutEvent
	n.Call("GET", "/api/playoutprofile/"+vualto+"/events", nil, &events)
	if len(events) != 1 || events[0].LicenseURL == "" {
		t.Fatalf("the seed profile's events: %+v", events)
	}
	license := n.Local(events[0].LicenseURL, public)
	wrong := strings.Repeat("0", 32)

	s := player.StartDASH(t,
		player.DASH{URL: tp, ClearKeys: map[string]string{testKID: testKey}},
		player.DASH{URL: n.Base + "/playout/pc01/" + id + "/cenc.isml/.mpd", LicenseURL: license},
		player.DASH{URL: n.Base + "/playout/" + id + "/clear.isml/.mpd"},
		player.DASH{URL: tp, ClearKeys: map[string]string{testKID: wrong}},
		player.DASH{URL: tp},
	)
	res := s.PlayFor(player.Options{Seconds: 3, Timeout: 60 * time.Second})
	for i, r := range res {
		t.Logf("player %d: %s", i, r)
	}
	for i, what := range []string{"cenc with the test's keys", "cenc through the license endpoint", "the clear DASH"} {
		if r := res[i]; r.Played < 3 || r.Frames == 0 || len(r.Errors) > 0 {
			t.Errorf("%s: %s", what, r)
		}
	}
	if r := res[2]; r.Levels != 1 || len(r.Heights) != 1 || r.Heights[0] != 90 {
		t.Errorf("the clear DASH lists %d video tracks %v, want the 90p one", r.Levels, r.Heights)
	}
	if r := res[1]; r.Levels != 2 {
		t.Errorf("the seed's DASH lists %d video tracks, want both renditions under its caps", r.Levels)
	}
	if r := res[3]; r.Played > 0.5 && len(r.Errors) == 0 {
		t.Errorf("a wrong key played: %s", r)
	}
	if r := res[4]; r.Played > 0.5 || r.Frames > 0 {
		t.Errorf("no key played: %s", r)
	}

	h := player.Play(t, n.Base+"/playout/"+id+"/clear.isml/.m3u8", player.Options{Seconds: 3, Timeout: 60 * time.Second})
	t.Logf("hls.js: %s", h)
	if h.Played < 3 || h.Frames == 0 || len(h.Errors) > 0 || h.Levels != 1 {
		t.Errorf("hls.js on the clear HLS: %s", h)
	}
}
