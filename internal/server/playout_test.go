package server_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/cmafx"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/hls/hlstest"
	"onair/internal/testutil/e2e"
)

// The seed's example profile, as the document gives it: DASH only, CENC
// with onair as the key provider, five video caps.
const seedProfile = `{
  "manifestFile": "/playout/pc01/{0}/cenc.isml",
  "allowedPublishingPoints": ["/live/pc01/{0}/{0}.isml"],
  "mp4splitOptions": "--archive_segment_length=600 --archiving=0 --dvr_window_length=30 --restart_on_encoder_reconnect --iss.disable --hds.disable --hls.disable",
  "drm": {"drm_provider": "VUALTO", "drm_data": [{"name": "CENC"}]},
  "tracks": [
    {"kind": "video", "criteria": {"MaxWidth": 416, "MaxHeight": 234}},
    {"kind": "video", "criteria": {"MaxWidth": 480, "MaxHeight": 270}},
    {"kind": "video", "criteria": {"MaxWidth": 640, "MaxHeight": 360}},
    {"kind": "video", "criteria": {"MaxWidth": 764, "MaxHeight": 432}},
    {"kind": "video", "criteria": {"MaxWidth": 960, "MaxHeight": 540}},
    {"kind": "audio"},
    {"kind": "textstream"}
  ],
  "outputUrls": [{
    "streamProtocol": "DASH",
    "liveCdnPrimaryUrl": "https://{CDN-Address}/playout/pc01/{0}/cenc.isml/.mpd",
    "liveOriginPrimaryUrl": "https://{Origin1}.vualto.com/playout/pc01/{0}/cenc.isml/.mpd"
  }]
}`

// A clear profile that keeps the 90p rendition alone, relative to the event.
const clearProfile = `{"manifestFile": "clear_{0}.isml",
  "tracks": [{"kind": "video", "criteria": {"MaxHeight": 90}}, {"kind": "audio"}]}`

// cmafLadder is the small ladder with its origin HLS in CMAF.
func cmafLadder() domain.Blueprint {
	b := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	b.Settings.OutputGroups[0].HLS.Format = domain.FormatCMAF
	return b
}

// TestPlayoutProfiles walks a profile's whole life: posted as the seed
// writes it, attached to a workflow, the channel started and published at
// once; the manifests appear, filtered as their tracks say; an update comes
// back as sync results and changes the manifest; a sync that cannot work
// is a 200 with success false; the stop leaves INSTANT_VOD serving the
// archive; a delete removes the manifests.
func TestPlayoutProfiles(t *testing.T) {
	// A key provider, for a profile that names its key by content_id.
	var asked atomic.Int32
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("content_id") != "movie-1" || r.URL.Query().Get("key_id") != testKID {
			http.NotFound(w, r)
			return
		}
		asked.Add(1)
		fmt.Fprintf(w, `{"key": %q}`, testKey)
	}))
	t.Cleanup(provider.Close)
	n := startNode(t, func(c *config.Config) { c.PlayoutKeyProvider = provider.URL })
	var seed, clear api.PlayoutProfile
	if code := n.Call("POST", "/api/playoutprofile", map[string]any{"id": "ignored", "name": "Seed", "configurationJson": seedProfile}, &seed); code != 201 || seed.ID == "ignored" || seed.ConfigurationJSON != seedProfile {
		t.Fatalf("POST seed profile: %d %+v", code, seed)
	}
	if code := n.Call("POST", "/api/playoutprofile", map[string]any{"name": "Clear", "configurationJson": clearProfile}, &clear); code != 201 {
		t.Fatalf("POST clear profile: %d", code)
	}
	var fairplay api.PlayoutProfile
	if code := n.Call("POST", "/api/playoutprofile", map[string]any{"name": "FairPlay", "configurationJson": fairplayProfile}, &fairplay); code != 201 {
		t.Fatalf("POST fairplay profile: %d", code)
	}
	if strings.Contains(fairplay.ConfigurationJSON, testKey) || !strings.Contains(fairplay.ConfigurationJSON, domain.Mask) {
		t.Errorf("the FairPlay profile's key is shown: %s", fairplay.ConfigurationJSON)
	}
	var provided api.PlayoutProfile
	if code := n.Call("POST", "/api/playoutprofile", map[string]any{"name": "Provided", "configurationJson": providedProfile}, &provided); code != 201 {
		t.Fatalf("POST provided profile: %d", code)
	}
	var bad api.ErrorBody
	if code := n.Call("POST", "/api/playoutprofile", map[string]any{"name": "Bad", "configurationJson": `{"manifestFile":"a.isml","mp4splitOptions":"--bogus"}`}, &bad); code != 400 ||
		!strings.Contains(bad.Message, "configurationJson.mp4splitOptions") || !strings.Contains(bad.Message, "--bogus") {
		t.Errorf("an unknown option: %d %+v", code, bad)
	}
	var ids []string
	if n.Call("GET", "/api/playoutprofile?idsOnly=true", nil, &ids); len(ids) != 4 {
		t.Errorf("idsOnly: %v", ids)
	}

	b := cmafLadder()
	var created api.IDResponse
	if code := n.Call("POST", "/api/workflows", map[string]any{"name": "playout", "blueprint": b, "tags": []string{"pc01"},
		"playoutProfileIds": []string{seed.ID, clear.ID, fairplay.ID, provided.ID}}, &created); code != 201 {
		t.Fatalf("create workflow: %d", code)
	}
	id := created.ID
	n.Start(id)
	info := n.WaitStatus(id, domain.StatusRunning)
	e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 40)

	var wf domain.Workflow
	e2e.WaitFor(t, "the four manifests", 40*time.Second, func() bool {
		n.Call("GET", "/api/workflows/"+id, nil, &wf)
		return len(wf.PlayoutManifests) == 4
	})
	clearPath := "/playout/" + id + "/clear_" + id + ".isml"
	seedPath := "/playout/pc01/" + id + "/cenc.isml"
	// A DRM profile's event plays only through its manifests.
	if code, _, _ := e2e.Get(t, n.local(info.Endpoints.Output[0].URL)); code != 403 {
		t.Errorf("the live output of an event with a DRM profile: %d, want 403", code)
	}
	paths := map[string]bool{}
	for _, m := range wf.PlayoutManifests {
		paths[m.Path] = true
	}
	if !paths[clearPath] || !paths[seedPath] {
		t.Fatalf("manifests %+v", wf.PlayoutManifests)
	}

	// The clear HLS lists the 90p rendition only, with the audio apart.
	master := n.Base + clearPath + "/.m3u8"
	var body string
	e2e.WaitFor(t, "the clear master", 30*time.Second, func() bool {
		code, _, b := e2e.Get(t, master)
		body = b
		return code == 200
	})
	m, err := hlstest.ParseMaster([]byte(body))
	if err != nil || len(m.Variants) != 1 || m.Variants[0].Height != 90 || !strings.Contains(body, "TYPE=AUDIO") {
		t.Fatalf("clear master (%v):\n%s", err, body)
	}
	variant := n.Base + clearPath + "/" + m.Variants[0].URI
	e2e.WaitFor(t, "two segments", 30*time.Second, func() bool { return strings.Count(getBody(t, variant), "#EXTINF") >= 2 })
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", variant).CombinedOutput()
	if err != nil || strings.Join(strings.Fields(string(probe)), " ") != "h264,160,90 h264,160,90" {
		t.Errorf("ffprobe of the clear video track: %v\n%s", err, probe)
	}
	// Any name before the extension works; the seed's profile has no HLS.
	if code, _, _ := e2e.Get(t, n.Base+clearPath+"/master.m3u8"); code != 200 {
		t.Errorf("master.m3u8: %d", code)
	}
	if code, _, _ := e2e.Get(t, n.Base+seedPath+"/.m3u8"); code != 404 {
		t.Errorf("the HLS of a --hls.disable profile: %d", code)
	}

	// The seed's DASH is encrypted, with both renditions under its caps.
	mpd := getBody(t, n.Base+seedPath+"/.mpd")
	if !strings.Contains(mpd, `type="dynamic"`) || strings.Count(mpd, "<Representation") != 3 ||
		!strings.Contains(mpd, `value="cenc" cenc:default_KID=`) {
		t.Errorf("seed MPD:\n%s", mpd)
	}

	checkEncrypted(t, n.Base+"/playout/"+id+"/fp.isml", n.Base+clearPath,
		`#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://fps.example.com/license/abc",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"`)
	checkEncrypted(t, n.Base+"/playout/"+id+"/kp.isml", n.Base+clearPath, `#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;charset=UTF-8,00112233-4455-6677-8899-aabbccddeeff",KEYFORMAT="org.w3.clearkey"`)
	if asked.Load() != 1 {
		t.Errorf("the key provider was asked %d times, want once", asked.Load())
	}

	// Hidden by hand, as Vualto's PUT event/state: 404 until shown again.
	var results []domain.SyncResult
	if code := n.Call("PUT", "/api/workflows/"+id+"/event-state", map[string]any{"state": "LIVE_UNPUBLISHED"}, &results); code != 200 || len(results) != 4 {
		t.Fatalf("PUT event-state: %d %+v", code, results)
	}
	e2e.WaitFor(t, "the hidden event's 404", 5*time.Second, func() bool { code, _, _ := e2e.Get(t, master); return code == 404 })
	if code := n.Call("PUT", "/api/workflows/"+id+"/event-state", map[string]any{"state": "INSTANT_VOD"}, nil); code != 409 {
		t.Errorf("a live event set to INSTANT_VOD: %d", code)
	}
	if code := n.Call("PUT", "/api/workflows/"+id+"/event-state", map[string]any{"state": "LIVE"}, &bad); code != 400 || bad.Field != "state" {
		t.Errorf("an unknown state: %d %+v", code, bad)
	}
	n.Call("PUT", "/api/workflows/"+id+"/event-state", map[string]any{"state": "LIVE_PUBLISHED"}, nil)
	e2e.WaitFor(t, "the event shown again", 5*time.Second, func() bool { code, _, _ := e2e.Get(t, master); return code == 200 })

	// The events, with their output URLs substituted.
	var events []api.PlayoutEvent
	n.Call("GET", "/api/playoutprofile/"+seed.ID+"/events", nil, &events)
	if len(events) != 1 || events[0].State != domain.EventLivePublished || events[0].LicenseURL == "" ||
		events[0].OutputURLs[0]["liveCdnPrimaryUrl"] != "https://{CDN-Address}/playout/pc01/"+id+"/cenc.isml/.mpd" {
		t.Errorf("events %+v", events)
	}

	// An update: the clear profile now keeps 180p too.
	wider := strings.Replace(clearProfile, `"MaxHeight": 90`, `"MaxHeight": 180`, 1)
	if code := n.Call("PUT", "/api/playoutprofile/"+clear.ID, map[string]any{"configurationJson": wider}, &results); code != 200 ||
		len(results) != 1 || !results[0].Success || results[0].EventID != id || results[0].ProfileID != clear.ID {
		t.Fatalf("PUT: %d %+v", code, results)
	}
	e2e.WaitFor(t, "the wider master", 10*time.Second, func() bool {
		m, err := hlstest.ParseMaster([]byte(getBody(t, master)))
		return err == nil && len(m.Variants) == 2
	})

	// The seed's own profile updated: caps down to 90p, and back.
	var cfg map[string]any
	json.Unmarshal([]byte(seedProfile), &cfg)
	cfg["tracks"] = []any{map[string]any{"kind": "video", "criteria": map[string]any{"MaxHeight": 90}}, map[string]any{"kind": "audio"}}
	narrow, _ := json.Marshal(cfg)
	for _, c := range []struct {
		config string
		reprs  int
	}{{string(narrow), 2}, {seedProfile, 3}} {
		if code := n.Call("PUT", "/api/playoutprofile/"+seed.ID, map[string]any{"configurationJson": c.config}, &results); code != 200 ||
			len(results) != 1 || !results[0].Success {
			t.Fatalf("PUT the seed's profile: %d %+v", code, results)
		}
		if got := strings.Count(getBody(t, n.Base+seedPath+"/.mpd"), "<Representation"); got != c.reprs {
			t.Errorf("after the update the MPD has %d representations, want %d", got, c.reprs)
		}
	}

	// A sync that cannot work: success false, a readable error, 200.
	failing := `{"manifestFile": "clear_{0}.isml", "mp4splitOptions": "--archiving=1 --archive_segment_length=1"}`
	if code := n.Call("PUT", "/api/playoutprofile/"+clear.ID, map[string]any{"configurationJson": failing}, &results); code != 200 ||
		len(results) != 1 || results[0].Success || len(results[0].Errors) == 0 || !strings.Contains(results[0].Errors[0], "archive_segment_length") {
		t.Fatalf("a failing sync: %d %+v", code, results)
	}
	if code, _, _ := e2e.Get(t, master); code != 200 {
		t.Errorf("the manifest that was synced before the failure: %d", code)
	}

	// Stopped: INSTANT_VOD, the same URLs serving the archive.
	n.Stop(id)
	n.WaitStatus(id, domain.StatusDone)
	e2e.WaitFor(t, "INSTANT_VOD", 10*time.Second, func() bool {
		n.Call("GET", "/api/playoutprofile/"+seed.ID+"/events", nil, &events)
		return len(events) == 1 && events[0].State == domain.EventInstantVOD
	})
	var vod string
	e2e.WaitFor(t, "the VOD MPD", 5*time.Second, func() bool {
		vod = getBody(t, n.Base+seedPath+"/.mpd")
		return strings.Contains(vod, `type="static"`)
	})
	if !strings.Contains(vod, "mediaPresentationDuration") || strings.Count(vod, "<Representation") != 2 {
		t.Errorf("the VOD MPD:\n%s", vod)
	}
	// The clear HLS (as synced before the failure) is the archive's, as VOD,
	// as long as the archive within a segment.
	archived := n.Channel(id).Archives[0].Duration
	e2e.WaitFor(t, "the VOD master", 5*time.Second, func() bool {
		m, err = hlstest.ParseMaster([]byte(getBody(t, master)))
		return err == nil
	})
	if len(m.Variants) != 1 || m.Variants[0].Height != 180 {
		t.Fatalf("the VOD master: %+v", m.Variants)
	}
	vodVideo := n.Base + clearPath + "/" + m.Variants[0].URI
	if pl := getBody(t, vodVideo); !strings.Contains(pl, "#EXT-X-PLAYLIST-TYPE:VOD") || !strings.Contains(pl, "#EXT-X-ENDLIST") {
		t.Errorf("the VOD playlist:\n%s", pl)
	}
	probe, err = exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", vodVideo).CombinedOutput()
	if d, perr := strconv.ParseFloat(strings.TrimSpace(string(probe)), 64); err != nil || perr != nil || math.Abs(d-archived) > 2 {
		t.Errorf("the VOD lasts %s s, the archive %.1f s (%v)", probe, archived, err)
	}

	// Detached: the clear profile's manifest is gone, the others stay.
	if code := n.Call("PUT", "/api/workflows/"+id+"/playout-profiles", map[string]any{"playoutProfileIds": []string{seed.ID, fairplay.ID, provided.ID}}, &results); code != 200 ||
		!slices.ContainsFunc(results, func(r domain.SyncResult) bool { return r.ProfileID == clear.ID && r.Success }) {
		t.Errorf("detaching: %d %+v", code, results)
	}
	if code, _, _ := e2e.Get(t, master); code != 404 {
		t.Errorf("a detached profile's master: %d", code)
	}

	// Deleted: the manifest is gone.
	if code := n.Call("DELETE", "/api/playoutprofile/"+seed.ID, nil, &results); code != 200 || len(results) != 1 || !results[0].Success {
		t.Errorf("DELETE: %d %+v", code, results)
	}
	if code, _, _ := e2e.Get(t, n.Base+seedPath+"/.mpd"); code != 404 {
		t.Errorf("a deleted profile's MPD: %d", code)
	}
	if code := n.Call("GET", "/api/playoutprofile/"+seed.ID, nil, nil); code != 404 {
		t.Errorf("GET a deleted profile: %d", code)
	}
	info = n.Channel(id)
	if !e2e.HasEvent(info, domain.EventPlayoutSync) {
		t.Errorf("no playout_sync run event: %+v", info.Events)
	}
}

// A FairPlay profile with the test's own key, HLS only.
const fairplayProfile = `{"manifestFile": "fp.isml", "mp4splitOptions": "--mpd.disable",
  "drm": {"drm_provider": "THIRDPARTY", "drm_data": [{"name": "FAIRPLAY", "key_id": "` + testKID + `", "key_iv": "000102030405060708090a0b0c0d0e0f",
    "key": "` + testKey + `", "laurl": "https://fps.example.com/license/abc", "ask": "secret"}]}}`

// A profile whose key the key provider resolves, HLS only: CENC's cbcs.
const providedProfile = `{"manifestFile": "kp.isml", "mp4splitOptions": "--mpd.disable",
  "drm": {"drm_provider": "THIRDPARTY", "drm_data": [{"name": "CENC", "key_id": "` + testKID + `", "key_iv": "000102030405060708090a0b0c0d0e0f", "content_id": "movie-1"}]}}`

// checkEncrypted: an encrypted profile's HLS has its EXT-X-KEY, its init
// section says cbcs, and its segments decrypt with the test's key to
// exactly the samples of the clear profile's same segment.
func checkEncrypted(t *testing.T, fp, clear, keyLine string) {
	t.Helper()
	master, err := hlstest.ParseMaster([]byte(getBody(t, fp+"/.m3u8")))
	if err != nil || len(master.Variants) == 0 {
		t.Fatalf("%s master: %v", fp, err)
	}
	// The 90p rendition, which the clear profile keeps too.
	v := master.Variants[len(master.Variants)-1]
	if v.Height != 90 {
		t.Fatalf("%s: the last variant is %+v", fp, v)
	}
	playlist := getBody(t, fp+"/"+v.URI)
	if !strings.Contains(playlist, keyLine) {
		t.Fatalf("%s: no %s in\n%s", fp, keyLine, playlist)
	}
	var initURI, segURI string
	for _, l := range strings.Split(playlist, "\n") {
		if u, ok := strings.CutPrefix(l, `#EXT-X-MAP:URI="`); ok {
			initURI = strings.TrimSuffix(u, `"`)
		}
		if strings.HasSuffix(l, ".m4s") {
			segURI = l
		}
	}
	base := fp + "/" + v.URI[:strings.LastIndex(v.URI, "/")+1]
	init, seg := []byte(getBody(t, base+initURI)), []byte(getBody(t, base+segURI))
	if !bytes.Contains(init, []byte("encv")) || !bytes.Contains(init, []byte("cbcs")) {
		t.Fatalf("%s: the init section is not cbcs-protected (%d bytes)", fp, len(init))
	}
	var key [16]byte
	hex.Decode(key[:], []byte(testKey))
	plain, err := cmafx.Decrypt(init, seg, key)
	if err != nil {
		t.Fatalf("decrypting %s: %v", segURI, err)
	}
	// The clear profile's video track of the same rendition and segment.
	clearSeg := []byte(getBody(t, clear+"/clear/video/"+segURI))
	if !bytes.Equal(mdat(plain), mdat(clearSeg)) || bytes.Equal(mdat(seg), mdat(clearSeg)) || len(mdat(seg)) == 0 {
		t.Errorf("the encrypted segment does not decrypt to the clear one (mdat %d, %d, %d bytes)", len(mdat(seg)), len(mdat(plain)), len(mdat(clearSeg)))
	}
}

// mdat is every mdat payload of a segment, one after another.
func mdat(b []byte) []byte {
	var out []byte
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b))
		if size < 8 || size > len(b) {
			break
		}
		if string(b[4:8]) == "mdat" {
			out = append(out, b[8:size]...)
		}
		b = b[size:]
	}
	return out
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	code, _, b := e2e.Get(t, url)
	if code != http.StatusOK {
		return fmt.Sprintf("(%d) %s", code, b)
	}
	return b
}

var _ = json.Marshal
