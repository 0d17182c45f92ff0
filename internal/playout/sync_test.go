package playout

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func profile(t *testing.T, st store.Store, id, config string) domain.PlayoutProfile {
	t.Helper()
	c, err := domain.ParsePlayoutConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	p := domain.PlayoutProfile{ID: id, OrgID: "org", Name: id, ConfigurationJSON: config, Config: c, Created: time.Now(), Updated: time.Now()}
	if err := st.CreatePlayoutProfile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// setStatus moves a workflow to a status with a run, as the controller
// would, with the run events given.
func setStatus(t *testing.T, st store.Store, id string, status domain.Status, events ...string) {
	t.Helper()
	_, err := st.UpdateChannel(t.Context(), "org", id, func(ch *domain.Channel) error {
		if ch.Run == nil {
			ch.Run = &domain.Run{ID: "run-" + id, WorkflowID: id, OrgID: "org", Created: time.Now()}
		}
		ch.Workflow.Status, ch.Run.Status = status, status
		for _, e := range events {
			ch.Run.AddEvent(domain.RunEvent{Type: e, Time: time.Now()})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func manifests(t *testing.T, st store.Store, id string) []string {
	t.Helper()
	list, err := st.PlayoutManifests(t.Context(), "org", id)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range list {
		paths = append(paths, m.Path)
	}
	slices.Sort(paths)
	return paths
}

// TestSyncFollowsTheEvent: the manifests exist exactly while the event is
// in a playout state and its profiles apply; a controller that starts over
// (a restart) finds what changed while none ran and brings it in step.
func TestSyncFollowsTheEvent(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	profile(t, st, "all", `{"manifestFile":"all.isml","mp4splitOptions":"--mpd.disable"}`)
	profile(t, st, "pc01", `{"manifestFile":"/playout/pc01/{0}/x.isml","allowedPublishingPoints":["/live/pc01/{0}/{0}.isml"],"mp4splitOptions":"--mpd.disable"}`)
	wf := domain.Workflow{ID: "ev", OrgID: "org", Name: "ev", Status: domain.StatusReady, Blueprint: e2e.SmallBlueprint(domain.ClassSinglePipeline),
		Tags: []string{"other"}, PlayoutProfileIDs: []string{"all", "pc01"}, Created: time.Now(), Updated: time.Now()}
	if err := st.CreateWorkflow(ctx, wf); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: st, Secrets: st, DataDir: t.TempDir()})
	if res, _ := s.Sync(ctx, "org", "ev"); len(res) != 0 || len(manifests(t, st, "ev")) != 0 {
		t.Fatalf("READY: results %+v, manifests %v", res, manifests(t, st, "ev"))
	}
	setStatus(t, st, "ev", domain.StatusRunning)
	res, err := s.Sync(ctx, "org", "ev")
	if err != nil {
		t.Fatal(err)
	}
	// pc01's publishing points are not this event's (its group is "other").
	if len(res) != 1 || res[0].ProfileID != "all" || !res[0].Success {
		t.Fatalf("RUNNING: %+v", res)
	}
	if got := manifests(t, st, "ev"); !slices.Equal(got, []string{"/playout/ev/all.isml"}) {
		t.Fatalf("manifests %v", got)
	}
	ch, _ := st.GetChannel(ctx, "org", "ev")
	if !slices.ContainsFunc(ch.Run.Events, func(e domain.RunEvent) bool {
		return e.Type == domain.EventPlayoutSync && strings.Contains(e.Message, "created /playout/ev/all.isml")
	}) {
		t.Errorf("no run event for the creation: %+v", ch.Run.Events)
	}

	// While no controller runs, the profile is detached and the event
	// stops: a new one removes the manifest.
	_, err = st.UpdateChannel(ctx, "org", "ev", func(ch *domain.Channel) error {
		ch.Workflow.PlayoutProfileIDs = []string{"pc01"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	again := New(Config{Store: st, Secrets: st, DataDir: t.TempDir()})
	again.SyncAll(ctx)
	if got := manifests(t, st, "ev"); len(got) != 0 {
		t.Errorf("after a restart and a detach: %v", got)
	}

	// A second event in pc01 gets pc01's manifest, and loses it when done
	// without an archive.
	wf2 := wf
	wf2.ID, wf2.Tags = "ev2", []string{"pc01"}
	if err := st.CreateWorkflow(ctx, wf2); err != nil {
		t.Fatal(err)
	}
	setStatus(t, st, "ev2", domain.StatusRunning, domain.EventPublisherConnected)
	again.SyncAll(ctx)
	if got := manifests(t, st, "ev2"); !slices.Equal(got, []string{"/playout/ev2/all.isml", "/playout/pc01/ev2/x.isml"}) {
		t.Errorf("ev2's manifests: %v", got)
	}
	setStatus(t, st, "ev2", domain.StatusStopping)
	setStatus(t, st, "ev2", domain.StatusDone)
	again.SyncAll(ctx)
	if got := manifests(t, st, "ev2"); len(got) != 0 {
		t.Errorf("DONE without an archive: %v", got)
	}
}

func TestProblems(t *testing.T) {
	cmaf := pipeline.Spec{Live: []pipeline.LiveOutput{{Format: domain.FormatCMAF}}, Archives: []pipeline.ArchiveOutput{{Segment: 6 * time.Second}}}
	ts := pipeline.Spec{Live: []pipeline.LiveOutput{{Format: domain.FormatTS}}}
	for _, tc := range []struct {
		name, config string
		spec         pipeline.Spec
		want         string // in the one problem; "" for none
	}{
		{"DASH on CMAF", `{"manifestFile":"a.isml"}`, cmaf, ""},
		{"DASH on TS", `{"manifestFile":"a.isml"}`, ts, "DASH needs"},
		{"HLS on TS", `{"manifestFile":"a.isml","mp4splitOptions":"--mpd.disable"}`, ts, ""},
		{"DRM on TS", `{"manifestFile":"a.isml","mp4splitOptions":"--mpd.disable","drm":{"drm_provider":"VUALTO"}}`, ts, "DRM needs"},
		{"nothing served", `{"manifestFile":"a.isml","mp4splitOptions":"--mpd.disable --hls.disable"}`, cmaf, "serve nothing"},
		{"archiving without an archive", `{"manifestFile":"a.isml","mp4splitOptions":"--archiving=1 --mpd.disable"}`, ts, "records no archive"},
		{"archive segments too short", `{"manifestFile":"a.isml","mp4splitOptions":"--archiving=1 --archive_segment_length=2"}`, cmaf, "shorter"},
		{"archive segments long enough", `{"manifestFile":"a.isml","mp4splitOptions":"--archiving=1 --archive_segment_length=600"}`, cmaf, ""},
		{"archiving off", `{"manifestFile":"a.isml","mp4splitOptions":"--archiving=0 --archive_segment_length=2 --mpd.disable"}`, ts, ""},
		{"a content id without a provider", `{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"CENC","key_id":"00112233445566778899aabbccddeeff","key_iv":"0011223344556677","content_id":"c1"}]}}`, cmaf, "key provider"},
	} {
		c, err := domain.ParsePlayoutConfig(tc.config)
		if tc.name == "a content id without a provider" && len(Problems(c, tc.spec, true)) > 0 {
			t.Errorf("a content id with a key provider: %q", Problems(c, tc.spec, true))
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := Problems(c, tc.spec, false)
		switch {
		case tc.want == "" && len(got) > 0, tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestDRMOnHEVC: a live H.265 rendition under a DRM profile is a sync
// error that says why; the same profile with FourCC AVC1 keeps it out.
func TestDRMOnHEVC(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	data := t.TempDir()
	wf := domain.Workflow{ID: "hevc", OrgID: "org", Name: "hevc", Status: domain.StatusReady, Blueprint: e2e.Passthrough(domain.ClassSinglePipeline),
		PlayoutProfileIDs: []string{"drm", "avc"}, Created: time.Now(), Updated: time.Now()}
	profile(t, st, "drm", `{"manifestFile":"drm.isml","drm":{"drm_provider":"VUALTO"}}`)
	profile(t, st, "avc", `{"manifestFile":"avc.isml","drm":{"drm_provider":"VUALTO"},"tracks":[{"kind":"video","criteria":{"FourCC":"AVC1"}},{"kind":"audio"}]}`)
	if err := st.CreateWorkflow(ctx, wf); err != nil {
		t.Fatal(err)
	}
	_, err := st.UpdateChannel(ctx, "org", "hevc", func(ch *domain.Channel) error {
		ch.Run = &domain.Run{ID: "r", WorkflowID: "hevc", OrgID: "org", Options: domain.RunOptions{PlayoutCMAF: true}, Created: time.Now()}
		ch.Workflow.Status, ch.Run.Status = domain.StatusRunning, domain.StatusRunning
		ch.Run.AddEvent(domain.RunEvent{Type: domain.EventPublisherConnected, Time: time.Now()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What the packager writes for an HEVC passthrough.
	dir := filepath.Join(data, "live", "hevc", "cmaf")
	os.MkdirAll(filepath.Join(dir, "SOURCE"), 0o755)
	os.WriteFile(filepath.Join(dir, "master.m3u8"), []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"hvc1.1.6.L93.B0,mp4a.40.2\",RESOLUTION=320x180\nSOURCE/index.m3u8\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "SOURCE", "index.m3u8"), []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1.0,\nseg_000000.m4s\n"), 0o644)
	s := New(Config{Store: st, Secrets: st, DataDir: data})
	res, err := s.Sync(ctx, "org", "hevc")
	if err != nil {
		t.Fatal(err)
	}
	byProfile := map[string]domain.SyncResult{}
	for _, r := range res {
		byProfile[r.ProfileID] = r
	}
	if r := byProfile["drm"]; r.Success || len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "hvc1") {
		t.Errorf("DRM over H.265: %+v", r)
	}
	if r := byProfile["avc"]; !r.Success {
		t.Errorf("DRM with FourCC AVC1 over H.265: %+v", r)
	}
}
