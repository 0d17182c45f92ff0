package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParsePlayoutConfig(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		field      string // the field the error names; "" for none
	}{
		{"the seed's example", `{"manifestFile":"/playout/pc01/{0}/cenc.isml","allowedPublishingPoints":["/live/pc01/{0}/{0}.isml"],
			"mp4splitOptions":"--archive_segment_length=600 --archiving=0 --dvr_window_length=30 --restart_on_encoder_reconnect --iss.disable --hds.disable --hls.disable",
			"drm":{"drm_provider":"VUALTO","drm_data":[{"name":"CENC"}]},"tracks":[{"kind":"video","criteria":{"MaxWidth":416,"MaxHeight":234}},{"kind":"audio"},{"kind":"textstream"}],
			"outputUrls":[{"streamProtocol":"DASH","liveCdnPrimaryUrl":"https://{CDN-Address}/playout/pc01/{0}/cenc.isml/.mpd"}]}`, ""},
		{"relative", `{"manifestFile":"clear_{0}.isml"}`, ""},
		{"third party", `{"manifestFile":"drm.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[
			{"name":"CENC","key_id":"00112233445566778899aabbccddeeff","key_iv":"0011223344556677","key":"ABEiM0RVZneImaq7zN3u/w=="},
			{"name":"FAIRPLAY","key_id":"00112233-4455-6677-8899-aabbccddeeff","key_iv":"00112233445566778899aabbccddeeff","key":"00112233445566778899aabbccddeeff","laurl":"https://fps.example.com/license"}]}}`, ""},
		{"empty", ``, "configurationJson"},
		{"not JSON", `{"manifestFile":`, "configurationJson"},
		{"an unknown property", `{"manifestFile":"a.isml","manifest":"x"}`, "configurationJson"},
		{"no manifest", `{}`, "configurationJson.manifestFile"},
		{"not .isml", `{"manifestFile":"a.m3u8"}`, "configurationJson.manifestFile"},
		{"outside /playout", `{"manifestFile":"/live/a.isml"}`, "configurationJson.manifestFile"},
		{"dot dot", `{"manifestFile":"../a.isml"}`, "configurationJson.manifestFile"},
		{"two .isml", `{"manifestFile":"a.isml/b.isml"}`, "configurationJson.manifestFile"},
		{"absolute without the event", `{"manifestFile":"/playout/pc01/cenc.isml"}`, "configurationJson.manifestFile"},
		{"VUALTO FairPlay", `{"manifestFile":"a.isml","drm":{"drm_provider":"VUALTO","drm_data":[{"name":"FAIRPLAY","laurl":"skd://k"}]}}`, "configurationJson.drm.drm_data[0].name"},
		{"an unknown option", `{"manifestFile":"a.isml","mp4splitOptions":"--hls.disable --bogus=1"}`, "configurationJson.mp4splitOptions"},
		{"a bad window", `{"manifestFile":"a.isml","mp4splitOptions":"--dvr_window_length=x"}`, "configurationJson.mp4splitOptions"},
		{"a bad kind", `{"manifestFile":"a.isml","tracks":[{"kind":"subtitles"}]}`, "configurationJson.tracks[0].kind"},
		{"a bad FourCC", `{"manifestFile":"a.isml","tracks":[{"kind":"video","criteria":{"FourCC":"VP09"}}]}`, "configurationJson.tracks[0].criteria.FourCC"},
		{"a criterion as text", `{"manifestFile":"a.isml","tracks":[{"kind":"video","criteria":{"MaxWidth":"640"}}]}`, "configurationJson.tracks.criteria.MaxWidth"},
		{"a bad provider", `{"manifestFile":"a.isml","drm":{"drm_provider":"ACME"}}`, "configurationJson.drm.drm_provider"},
		{"third party without a key id", `{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"CENC","key_iv":"0011223344556677","key":"00112233445566778899aabbccddeeff"}]}}`, "configurationJson.drm.drm_data[0].key_id"},
		{"third party without a key", `{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"CENC","key_id":"00112233445566778899aabbccddeeff","key_iv":"0011223344556677"}]}}`, "configurationJson.drm.drm_data[0].key"},
		{"fairplay without laurl", `{"manifestFile":"a.isml","drm":{"drm_provider":"VUALTO","drm_data":[{"name":"FAIRPLAY"}]}}`, "configurationJson.drm.drm_data[0].laurl"},
		{"a bad scheme", `{"manifestFile":"a.isml","drm":{"drm_provider":"VUALTO","drm_data":[{"name":"CENC","scheme":"cbc1"}]}}`, "configurationJson.drm.drm_data[0].scheme"},
		{"a bad protocol", `{"manifestFile":"a.isml","outputUrls":[{"streamProtocol":"RTMP"}]}`, "configurationJson.outputUrls[0].streamProtocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlayoutConfig(tc.json)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && err == nil:
				t.Fatalf("accepted; want an error on %s", tc.field)
			case tc.field != "":
				ve, ok := err.(*ValidationError)
				if !ok || ve.Errors[0].Field != tc.field {
					t.Errorf("error %v; want it on %s", err, tc.field)
				}
			}
		})
	}
}

func TestPlayoutOptionsAndPaths(t *testing.T) {
	c, err := ParsePlayoutConfig(`{"manifestFile":"/playout/pc01/{0}/cenc.isml","allowedPublishingPoints":["/live/pc01/{0}/{0}.isml"],
		"mp4splitOptions":"--archiving=1 --archive_segment_length=600 --dvr_window_length=120 --mpd.disable",
		"outputUrls":[{"streamProtocol":"HLS","liveCdnPrimaryUrl":"https://{CDN-Address}/playout/pc01/{0}/cenc.isml/.m3u8","n":1}]}`)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options
	if o.DVRWindowSeconds != 120 || !o.DASHDisabled || o.HLSDisabled || o.Archiving == nil || !*o.Archiving || o.ArchiveSegmentSeconds != 600 {
		t.Errorf("options %+v", o)
	}
	if got := c.ManifestPath("ev1"); got != "/playout/pc01/ev1/cenc.isml" {
		t.Errorf("ManifestPath = %s", got)
	}
	rel, _ := ParsePlayoutConfig(`{"manifestFile":"clear_{0}.isml"}`)
	if got := rel.ManifestPath("ev1"); got != "/playout/ev1/clear_ev1.isml" {
		t.Errorf("relative ManifestPath = %s", got)
	}
	if !c.AppliesTo(Workflow{ID: "ev1", Tags: []string{"pc01"}}) || c.AppliesTo(Workflow{ID: "ev1"}) || c.AppliesTo(Workflow{ID: "ev2", Tags: []string{"pc02"}}) {
		t.Error("allowedPublishingPoints: wrong events")
	}
	if !rel.AppliesTo(Workflow{ID: "x"}) {
		t.Error("no allowedPublishingPoints: every event")
	}
	if PublishingPoint(Workflow{ID: "e"}) != "/live/default/e/e.isml" {
		t.Errorf("PublishingPoint = %s", PublishingPoint(Workflow{ID: "e"}))
	}
	urls := c.OutputURLsFor("ev1")
	if urls[0]["liveCdnPrimaryUrl"] != "https://{CDN-Address}/playout/pc01/ev1/cenc.isml/.m3u8" || urls[0]["n"] != float64(1) {
		t.Errorf("output URLs %v", urls)
	}
}

func TestPlayoutTracks(t *testing.T) {
	c, _ := ParsePlayoutConfig(`{"manifestFile":"a.isml","tracks":[{"kind":"video","criteria":{"MaxWidth":640,"MaxHeight":360}},
		{"kind":"video","criteria":{"systemBitrate":500000,"FourCC":"HVC1"}},{"kind":"audio","criteria":{"FourCC":"AACL"}}]}`)
	for _, tc := range []struct {
		t    PlayoutTrack
		keep bool
	}{
		{PlayoutTrack{Kind: TrackVideo, Width: 640, Height: 360, Codec: "avc1.64001e"}, true},
		{PlayoutTrack{Kind: TrackVideo, Width: 480, Height: 270, Codec: "avc1.64001e"}, true},
		{PlayoutTrack{Kind: TrackVideo, Width: 1280, Height: 720, Codec: "avc1.64001f"}, false},
		{PlayoutTrack{Kind: TrackVideo, Width: 1280, Height: 720, Bitrate: 400000, Codec: "hvc1.1.6.L93.B0"}, true},
		{PlayoutTrack{Kind: TrackVideo, Width: 1280, Height: 720, Bitrate: 900000, Codec: "hev1.1.6.L93.B0"}, false},
		{PlayoutTrack{Kind: TrackAudio, Codec: "mp4a.40.2"}, true},
		{PlayoutTrack{Kind: TrackAudio, Codec: "mp4a.40.5"}, false},
		{PlayoutTrack{Kind: TrackText}, false},
	} {
		if got := c.Keeps(tc.t); got != tc.keep {
			t.Errorf("Keeps(%+v) = %t", tc.t, got)
		}
	}
	all, _ := ParsePlayoutConfig(`{"manifestFile":"a.isml"}`)
	if !all.Keeps(PlayoutTrack{Kind: TrackText}) {
		t.Error("no tracks keep all")
	}
}

func TestEventStates(t *testing.T) {
	connected := []RunEvent{{Type: EventPublisherConnected}}
	lost := []RunEvent{{Type: EventPublisherConnected}, {Type: EventPublisherDisconnected}}
	archived := []Archive{{Playlist: "a/index.m3u8", MP4: "a.mp4"}}
	for _, tc := range []struct {
		status Status
		run    *Run
		served bool
		want   EventState
	}{
		{StatusReady, nil, false, EventPreLive},
		{StatusStarting, &Run{}, false, EventPreLive},
		{StatusRunning, &Run{}, false, EventLiveUnpublished},
		{StatusRunning, &Run{Events: connected}, false, EventLivePublished},
		{StatusRunning, &Run{Events: lost}, false, EventSuspended},
		{StatusRunning, &Run{Events: append(lost, RunEvent{Type: EventPublisherConnected, Pipeline: 1})}, false, EventLivePublished},
		{StatusStopping, &Run{}, false, EventStopped},
		{StatusDone, &Run{Archives: archived}, true, EventInstantVOD},
		{StatusDone, &Run{Archives: archived}, false, EventInstantVODBackup},
		{StatusDone, &Run{}, false, EventEnded},
		{StatusStartFailed, &Run{}, false, EventEnded},
	} {
		if got := DerivedEventState(tc.status, tc.run, tc.served); got != tc.want {
			t.Errorf("%s %+v: %s, want %s", tc.status, tc.run, got, tc.want)
		}
	}
	now := time.Now()
	run := &Run{ID: "r1", Events: []RunEvent{{Type: EventPublisherConnected, Time: now.Add(-time.Minute)}}}
	set, err := SetEventState(EventLivePublished, EventLiveUnpublished, run, now)
	if err != nil || EffectiveEventState(EventLivePublished, set, run) != EventLiveUnpublished {
		t.Fatalf("hiding a live event: %v %+v", err, set)
	}
	if EffectiveEventState(EventSuspended, set, run) != EventSuspended {
		t.Error("a state set by hand outlived the run's change")
	}
	// The publisher leaves and comes back: published again, no longer hidden.
	back := &Run{ID: "r1", Events: append(run.Events, RunEvent{Type: EventPublisherDisconnected, Time: now.Add(time.Second)},
		RunEvent{Type: EventPublisherConnected, Time: now.Add(2 * time.Second)})}
	if EffectiveEventState(EventLivePublished, set, back) != EventLivePublished {
		t.Error("a hidden event stayed hidden after its publisher came back")
	}
	if EffectiveEventState(EventLivePublished, set, &Run{ID: "r2"}) != EventLivePublished {
		t.Error("a state set by hand held over the next run")
	}
	if _, err := SetEventState(EventStopped, EventInstantVOD, run, now); err == nil {
		t.Error("a stopping event was set to INSTANT_VOD")
	}
	if _, err := SetEventState(EventLivePublished, "LIVE", run, now); err == nil || !strings.Contains(err.Error(), "state") {
		t.Errorf("an unknown state: %v", err)
	}
}

func FuzzParsePlayoutConfig(f *testing.F) {
	f.Add(`{"manifestFile":"/playout/{0}/a.isml","mp4splitOptions":"--dvr_window_length=30","tracks":[{"kind":"video"}]}`)
	f.Add(`{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"CENC","key_id":"00"}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParsePlayoutConfig(s)
		if err == nil && !strings.HasPrefix(c.ManifestPath("e"), PlayoutRoot+"/") {
			t.Errorf("accepted %q with a manifest path %s", s, c.ManifestPath("e"))
		}
	})
}

func TestPlayoutSecrets(t *testing.T) {
	const given = `{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"CENC","key_id":"00112233445566778899aabbccddeeff","key_iv":"0011223344556677","key":"secret-cenc-key"},{"name":"FAIRPLAY","key_id":"k","laurl":"skd://x","key":"secret-fp-key","ask":"secret-ask"}]}}`
	shown := MaskPlayoutSecrets(given)
	if strings.Contains(shown, "secret") || strings.Count(shown, Mask) != 3 || !strings.Contains(shown, "00112233445566778899aabbccddeeff") {
		t.Errorf("masked: %s", shown)
	}
	if clear := `{"manifestFile": "b.isml"}`; MaskPlayoutSecrets(clear) != clear {
		t.Error("a configuration without keys was changed")
	}
	back := KeepPlayoutSecrets(strings.Replace(shown, "a.isml", "c.isml", 1), given)
	if !strings.Contains(back, "secret-cenc-key") || !strings.Contains(back, "secret-fp-key") || !strings.Contains(back, "secret-ask") || !strings.Contains(back, "c.isml") {
		t.Errorf("kept: %s", back)
	}
	if fresh := strings.Replace(shown, Mask, "new-key", 1); !strings.Contains(KeepPlayoutSecrets(fresh, given), "new-key") {
		t.Error("a new key was not taken")
	}
}
