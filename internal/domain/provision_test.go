package domain_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/pipeline"
)

// The Stream Manager document's create example (a transcoded ladder, level 1
// the highest, restricted as a string) and update example (variants without
// properties, each published apart): the request bodies the API's tests
// send.
const (
	docCreate = "../api/testdata/red5_create.json"
	docUpdate = "../api/testdata/red5_update.json"
)

// docMeta reads the meta of one of the document's request bodies as the API
// reads it, or fails the test.
func docMeta(t testing.TB, path string) domain.ProvisionMeta {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(api.StripTrailingCommas(doc), &body); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, err := api.ParseProvisionMeta(body["meta"])
	if err != nil {
		t.Fatalf("the document's meta: %v", err)
	}
	return m
}

func variant(name string, level, w, h, br, fps int) domain.ProvisionVariant {
	return domain.ProvisionVariant{Name: name, Level: level, Properties: domain.VariantProperties{VideoWidth: w, VideoHeight: h, VideoBR: br, VideoFPS: fps}}
}

// sortedFields is fields in sorted order, as the cases list them.
func sortedFields(t *testing.T, err error) []string {
	t.Helper()
	f := fields(t, err)
	slices.Sort(f)
	return f
}

func TestProvisionMetaValidate(t *testing.T) {
	cases := []struct {
		name   string
		doc    string // the document whose meta is changed; docCreate when empty
		change func(m *domain.ProvisionMeta)
		fields []string // sorted; nil: valid
	}{
		{"the create example", "", func(m *domain.ProvisionMeta) {}, nil},
		{"the update example", docUpdate, func(m *domain.ProvisionMeta) {}, nil},
		{"nothing", "", func(m *domain.ProvisionMeta) { *m = domain.ProvisionMeta{} }, nil},
		{"no qos", "", func(m *domain.ProvisionMeta) { m.Qos = nil }, nil},
		{"qos 2", "", func(m *domain.ProvisionMeta) { m.Qos = intp(2) }, []string{"meta.qos"}},
		{"qos 0", "", func(m *domain.ProvisionMeta) { m.Qos = intp(0) }, []string{"meta.qos"}},

		{"a name twice", "", func(m *domain.ProvisionMeta) { m.Stream[1].Name = "stream1_3" }, []string{"meta.stream[1].name"}},
		{"a name with a slash", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = "stream1/3" }, []string{"meta.stream[0].name"}},
		{"a name with a dot", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = "stream1.3" }, []string{"meta.stream[0].name"}},
		{"an empty name", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = "" }, []string{"meta.stream[0].name"}},
		{"a name of 33 characters", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = strings.Repeat("a", 33) }, []string{"meta.stream[0].name"}},
		{"a name of 32 characters", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = strings.Repeat("a", 32) }, nil},
		{"named SOURCE", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = "SOURCE" }, []string{"meta.stream[0].name"}},
		{"named source", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = "source" }, []string{"meta.stream[0].name"}},
		{"named keys", "", func(m *domain.ProvisionMeta) { m.Stream[0].Name = "keys" }, []string{"meta.stream[0].name"}},
		{"named CMAF", "", func(m *domain.ProvisionMeta) { m.Stream[1].Name = "CMAF" }, []string{"meta.stream[1].name"}},
		{"named push", "", func(m *domain.ProvisionMeta) { m.Stream[2].Name = "push" }, []string{"meta.stream[2].name"}},
		{"named as the stream", "", func(m *domain.ProvisionMeta) { m.Stream[2].Name = "stream1" }, []string{"meta.stream[2].name"}},

		{"level 0", "", func(m *domain.ProvisionMeta) { m.Stream[0].Level = 0 }, []string{"meta.stream[0].level"}},
		{"a negative level", "", func(m *domain.ProvisionMeta) { m.Stream[0].Level = -1 }, []string{"meta.stream[0].level"}},
		{"a level twice", "", func(m *domain.ProvisionMeta) { m.Stream[1].Level = 3 }, []string{"meta.stream[1].level"}},
		{"levels with gaps", "", func(m *domain.ProvisionMeta) { m.Stream[0].Level = 30 }, nil},

		{"videoWidth 15", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoWidth = 15 }, []string{"meta.stream[0].properties.videoWidth"}},
		{"videoWidth 16", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoWidth = 16 }, nil},
		{"videoWidth 7680", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoWidth = 7680 }, nil},
		{"videoWidth 7681", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoWidth = 7681 }, []string{"meta.stream[0].properties.videoWidth"}},
		{"videoHeight 15", "", func(m *domain.ProvisionMeta) { m.Stream[1].Properties.VideoHeight = 15 }, []string{"meta.stream[1].properties.videoHeight"}},
		{"videoHeight 4320", "", func(m *domain.ProvisionMeta) { m.Stream[1].Properties.VideoHeight = 4320 }, nil},
		{"videoHeight 4321", "", func(m *domain.ProvisionMeta) { m.Stream[1].Properties.VideoHeight = 4321 }, []string{"meta.stream[1].properties.videoHeight"}},
		{"videoBR in kbps", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoBR = 300 }, []string{"meta.stream[0].properties.videoBR"}},
		{"videoBR 49999", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoBR = 49_999 }, []string{"meta.stream[0].properties.videoBR"}},
		{"videoBR 50000", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoBR = 50_000 }, nil},
		{"videoBR 100000000", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoBR = 100_000_000 }, nil},
		{"videoBR 100000001", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoBR = 100_000_001 }, []string{"meta.stream[0].properties.videoBR"}},
		{"videoFPS 1", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoFPS = 1 }, nil},
		{"videoFPS 120", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoFPS = 120 }, nil},
		{"videoFPS 121", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoFPS = 121 }, []string{"meta.stream[0].properties.videoFPS"}},
		{"a negative videoFPS", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoFPS = -1 }, []string{"meta.stream[0].properties.videoFPS"}},
		{"the top's properties out of bounds", "", func(m *domain.ProvisionMeta) { m.Stream[2].Properties.VideoWidth = 8000 }, []string{"meta.stream[2].properties.videoWidth"}},

		{"no videoFPS below the top", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoFPS = 0 }, nil},
		{"no properties on the top", "", func(m *domain.ProvisionMeta) { m.Stream[2].Properties = domain.VariantProperties{} }, nil},
		{"some properties on the top", "", func(m *domain.ProvisionMeta) { m.Stream[2].Properties = domain.VariantProperties{VideoBR: 750_000} }, nil},
		{"no videoWidth below the top", "", func(m *domain.ProvisionMeta) { m.Stream[1].Properties.VideoWidth = 0 }, []string{"meta.stream[1].properties.videoWidth"}},
		{"no videoHeight below the top", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoHeight = 0 }, []string{"meta.stream[0].properties.videoHeight"}},
		{"no videoBR below the top", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties.VideoBR = 0 }, []string{"meta.stream[0].properties.videoBR"}},
		{"no properties below the top", "", func(m *domain.ProvisionMeta) { m.Stream[0].Properties = domain.VariantProperties{} },
			[]string{"meta.stream[0].properties.videoBR", "meta.stream[0].properties.videoHeight", "meta.stream[0].properties.videoWidth"}},
		{"the top found by level, not by place", "", func(m *domain.ProvisionMeta) {
			// stream1_3 becomes the top; stream1_1, without properties now, is below it.
			m.Stream[0].Level, m.Stream[2].Level = 1, 3
			m.Stream[2].Properties = domain.VariantProperties{}
		}, []string{"meta.stream[2].properties.videoBR", "meta.stream[2].properties.videoHeight", "meta.stream[2].properties.videoWidth"}},
		{"one variant with properties makes a ladder", docUpdate, func(m *domain.ProvisionMeta) {
			m.Stream[0].Properties = domain.VariantProperties{VideoWidth: 320, VideoHeight: 240, VideoBR: 300_000}
		}, []string{"meta.stream[1].properties.videoBR", "meta.stream[1].properties.videoHeight", "meta.stream[1].properties.videoWidth"}},
		{"nine variants", docUpdate, func(m *domain.ProvisionMeta) {
			m.Stream = nil
			for i := range 9 {
				m.Stream = append(m.Stream, domain.ProvisionVariant{Name: fmt.Sprintf("v%d", i), Level: i + 1})
			}
		}, []string{"meta.stream"}},
		{"eight variants", docUpdate, func(m *domain.ProvisionMeta) {
			m.Stream = nil
			for i := range 8 {
				m.Stream = append(m.Stream, domain.ProvisionVariant{Name: fmt.Sprintf("v%d", i), Level: i + 1})
			}
		}, nil},

		{"a region of three letters", "", func(m *domain.ProvisionMeta) { m.Georules.Regions = []string{"US", "USA"} }, []string{"meta.georules.regions[1]"}},
		{"a region with a digit", "", func(m *domain.ProvisionMeta) { m.Georules.Regions = []string{"U1"} }, []string{"meta.georules.regions[0]"}},
		{"an empty region", "", func(m *domain.ProvisionMeta) { m.Georules.Regions = []string{""} }, []string{"meta.georules.regions[0]"}},
		{"a region in lower case", "", func(m *domain.ProvisionMeta) { m.Georules.Regions = []string{"us"} }, nil},
		{"restricted to no region", "", func(m *domain.ProvisionMeta) { m.Georules.Restricted, m.Georules.Regions = true, nil }, []string{"meta.georules.regions"}},
		{"restricted to an empty list", "", func(m *domain.ProvisionMeta) { m.Georules.Restricted, m.Georules.Regions = true, []string{} }, []string{"meta.georules.regions"}},
		{"restricted to a region", "", func(m *domain.ProvisionMeta) { m.Georules.Restricted = true }, nil},
		{"unrestricted without regions", "", func(m *domain.ProvisionMeta) { m.Georules.Regions = nil }, nil},

		{"authentication without a username", "", func(m *domain.ProvisionMeta) { m.Authentication.Username = "" }, []string{"meta.authentication.username"}},
		{"authentication without a password", "", func(m *domain.ProvisionMeta) { m.Authentication.Password = "" }, []string{"meta.authentication.password"}},
		{"empty authentication", "", func(m *domain.ProvisionMeta) { m.Authentication = &domain.ProvisionAuth{} },
			[]string{"meta.authentication.password", "meta.authentication.username"}},
		{"no authentication", "", func(m *domain.ProvisionMeta) { m.Authentication = nil }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.doc
			if doc == "" {
				doc = docCreate
			}
			m := docMeta(t, doc)
			tc.change(&m)
			err := m.Validate("stream1")
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if f := sortedFields(t, err); !slices.Equal(f, tc.fields) {
				t.Errorf("refused %v (%v), want %v", f, err, tc.fields)
			}
		})
	}
}

func TestProvisionLadder(t *testing.T) {
	m := docMeta(t, docCreate)
	if !m.Transcoded() || m.Top() != 2 {
		t.Errorf("the create example: transcoded %v, top %d; want true, 2", m.Transcoded(), m.Top())
	}
	var names []string
	for _, v := range m.Ladder() {
		names = append(names, v.Name)
	}
	if want := []string{"stream1_1", "stream1_2", "stream1_3"}; !slices.Equal(names, want) {
		t.Errorf("ladder %v, want %v", names, want)
	}
	if m.Stream[0].Name != "stream1_3" {
		t.Error("Ladder reordered the meta's own variants")
	}
	u := docMeta(t, docUpdate)
	if u.Transcoded() || u.Top() != 2 {
		t.Errorf("the update example: transcoded %v, top %d; want false, 2", u.Transcoded(), u.Top())
	}
	var none domain.ProvisionMeta
	if none.Transcoded() || none.Top() != -1 || len(none.Ladder()) != 0 {
		t.Errorf("no variants: transcoded %v, top %d, ladder %v", none.Transcoded(), none.Top(), none.Ladder())
	}
}

func TestProvisionPublishNames(t *testing.T) {
	type run struct {
		name, runs string // runs: the run name, "" when name may not publish
	}
	cases := []struct {
		name    string
		meta    domain.ProvisionMeta
		publish []string
		paths   []string
		runs    []run
	}{
		{"no variants", domain.ProvisionMeta{}, []string{"stream1"}, []string{"stream1"},
			[]run{{"stream1", "stream1"}, {"stream2", ""}, {"", ""}}},
		{"transcoded", docMeta(t, docCreate), []string{"stream1", "stream1_1"},
			[]string{"stream1", "stream1_3", "stream1_2", "stream1_1"},
			[]run{{"stream1", "stream1"}, {"stream1_1", "stream1"}, {"stream1_2", ""}, {"stream1_3", ""}}},
		{"published apart", docMeta(t, docUpdate), []string{"stream1_3", "stream1_2", "stream1_1"},
			[]string{"stream1", "stream1_1", "stream1_2", "stream1_3"},
			[]run{{"stream1_1", "stream1_1"}, {"stream1_2", "stream1_2"}, {"stream1_3", "stream1_3"}, {"stream1", ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &domain.Provision{Scope: "live", Name: "stream1", Meta: tc.meta}
			if p.Path() != "live/stream1" {
				t.Errorf("path %q", p.Path())
			}
			if got := p.PublishNames(); !slices.Equal(got, tc.publish) {
				t.Errorf("publish names %v, want %v", got, tc.publish)
			}
			if got := p.PathNames(); !slices.Equal(got, tc.paths) {
				t.Errorf("path names %v, want %v", got, tc.paths)
			}
			for _, r := range tc.runs {
				got, ok := p.RunName(r.name)
				if ok != (r.runs != "") || got != r.runs {
					t.Errorf("RunName(%q) = %q, %v; want %q, %v", r.name, got, ok, r.runs, r.runs != "")
				}
			}
		})
	}
}

func TestProvisionPublisherAllowed(t *testing.T) {
	acme := docMeta(t, docCreate) // acme, acme!newpass
	cases := []struct {
		name  string
		meta  domain.ProvisionMeta
		query string
		args  []string
		want  bool
	}{
		{"no authentication, no credentials", domain.ProvisionMeta{}, "", nil, true},
		{"no authentication, any credentials", domain.ProvisionMeta{}, "username=x&password=y", []string{"x", "y"}, true},
		{"in the query", acme, "username=acme&password=acme%21newpass", nil, true},
		{"in the query unescaped", acme, "username=acme&password=acme!newpass", nil, true},
		{"in the query among others", acme, "token=1&password=acme%21newpass&username=acme", nil, true},
		{"in the connect args", acme, "", []string{"acme", "acme!newpass"}, true},
		{"in the connect args with more", acme, "", []string{"acme", "acme!newpass", "extra"}, true},
		{"a wrong password in the query", acme, "username=acme&password=acme%21oldpass", nil, false},
		{"a wrong username in the query", acme, "username=ACME&password=acme%21newpass", nil, false},
		{"a wrong password in the connect args", acme, "", []string{"acme", "acme!diffpass"}, false},
		{"no password in the query", acme, "username=acme", nil, false},
		{"an empty password in the query", acme, "username=acme&password=", nil, false},
		{"no credentials", acme, "", nil, false},
		{"only a username in the connect args", acme, "", []string{"acme"}, false},
		{"a query without username leaves the connect args", acme, "password=nope", []string{"acme", "acme!newpass"}, true},
		{"the query wins over the connect args", acme, "username=acme&password=wrong", []string{"acme", "acme!newpass"}, false},
		{"the query wins, right in it", acme, "username=acme&password=acme%21newpass", []string{"acme", "wrong"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &domain.Provision{Scope: "live", Name: "stream1", Meta: tc.meta}
			if got := p.PublisherAllowed(tc.query, tc.args); got != tc.want {
				t.Errorf("PublisherAllowed(%q, %q) = %v, want %v", tc.query, tc.args, got, tc.want)
			}
		})
	}
}

func TestGeorulesViewerAllowed(t *testing.T) {
	na := &domain.Georules{Regions: []string{"US", "CA"}, Restricted: true}
	cases := []struct {
		name    string
		rules   *domain.Georules
		country string
		want    bool
		reason  []string // words the reason holds
	}{
		{"no georules", nil, "FR", true, nil},
		{"no georules, unknown country", nil, "", true, nil},
		{"unrestricted", &domain.Georules{Regions: []string{"US"}}, "FR", true, nil},
		{"unrestricted, unknown country", &domain.Georules{Regions: []string{"US"}}, "", true, nil},
		{"an allowed country", na, "US", true, nil},
		{"the second allowed country", na, "CA", true, nil},
		{"an allowed country in lower case", na, "ca", true, nil},
		{"regions in lower case", &domain.Georules{Regions: []string{"us"}, Restricted: true}, "US", true, nil},
		{"another country", na, "FR", false, []string{"US, CA", "FR"}},
		{"NA is Namibia", na, "NA", false, []string{"US, CA", "NA"}},
		{"an unknown country", na, "", false, []string{"US, CA", "could not be determined"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason := tc.rules.ViewerAllowed(tc.country)
			if ok != tc.want {
				t.Fatalf("ViewerAllowed(%q) = %v (%q), want %v", tc.country, ok, reason, tc.want)
			}
			if ok && reason != "" {
				t.Errorf("allowed with a reason: %q", reason)
			}
			if !ok && reason == "" {
				t.Error("refused without a reason")
			}
			for _, w := range tc.reason {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q lacks %q", reason, w)
				}
			}
		})
	}
}

func TestValidProvisionPath(t *testing.T) {
	cases := []struct {
		scope, name string
		fields      []string
	}{
		{"live", "stream1", nil},
		{"live.east", "stream-1_a", nil},
		{"live", strings.Repeat("s", 63), nil},
		{"live", strings.Repeat("s", 64), []string{"streamName"}},
		{"", "stream1", []string{"scopeName"}},
		{"live", "", []string{"streamName"}},
		{"live/east", "stream1", []string{"scopeName"}},
		{"live", "a/b", []string{"streamName"}},
		{"live", ".hidden", []string{"streamName"}},
		{"live", "..", []string{"streamName"}},
		{"-x", "stream 1", []string{"scopeName", "streamName"}},
	}
	for _, tc := range cases {
		err := domain.ValidProvisionPath(tc.scope, tc.name)
		if tc.fields == nil {
			if err != nil {
				t.Errorf("%q/%q refused: %v", tc.scope, tc.name, err)
			}
			continue
		}
		if f := fields(t, err); !slices.Equal(f, tc.fields) {
			t.Errorf("%q/%q refused %v, want %v", tc.scope, tc.name, f, tc.fields)
		}
	}
}

func TestProvisionBlueprint(t *testing.T) {
	p := &domain.Provision{Scope: "live", Name: "stream1", Meta: docMeta(t, docCreate)}
	bp := p.Blueprint("stream1")
	if err := domain.ValidateBlueprint("blueprint", &bp); err != nil {
		t.Errorf("the create example's blueprint is refused: %v", err)
	}
	ch := bp.Settings.Channel
	if ch.Passthrough || ch.Source != "stream1_1" || ch.Audio == nil {
		t.Errorf("channel: passthrough %v, source %q, audio %v; want an encoded ladder under stream1_1", ch.Passthrough, ch.Source, ch.Audio)
	}
	want := []domain.VideoRendition{
		{Name: "stream1_2", Width: 640, Height: 480, Bitrate: 500_000, Framerate: 30},
		{Name: "stream1_3", Width: 320, Height: 240, Bitrate: 300_000, Framerate: 15},
	}
	if len(ch.Video) != len(want) {
		t.Fatalf("video %+v, want %d rungs", ch.Video, len(want))
	}
	for i, w := range want {
		v := ch.Video[i]
		if v.Name != w.Name || v.Width != w.Width || v.Height != w.Height || v.Bitrate != w.Bitrate || v.Framerate != w.Framerate || !v.NoUpscale {
			t.Errorf("video[%d] %+v, want %s %dx%d at %d bps, %g fps, never upscaled", i, v, w.Name, w.Width, w.Height, w.Bitrate, w.Framerate)
		}
	}
	if a := archiveOf(bp); a == nil || a.Rendition != "stream1_1" || a.Video != nil {
		t.Errorf("archive %+v, want the source rung stream1_1", a)
	}
	// The source rung heads the ladder the pipeline makes, and is recorded
	// as it is, not encoded again for the archive.
	spec := pipeline.SpecFor(&domain.Workflow{ID: "wf", Blueprint: bp, CreateArchives: true}, &domain.Run{ID: "run"}, 0)
	plan := pipeline.PlanOf(spec)
	var rungs []string
	for _, r := range plan.Renditions {
		rungs = append(rungs, r.Name)
	}
	if !slices.Equal(rungs, []string{"stream1_1", "stream1_2", "stream1_3"}) || plan.Renditions[0].Video != nil || !slices.Equal(plan.Archives, []int{0}) {
		t.Errorf("plan: renditions %v, archives %v; want stream1_1 (the source) recorded, then stream1_2 and stream1_3", rungs, plan.Archives)
	}

	// Odd sizes are made even, rounding down.
	odd := &domain.Provision{Scope: "live", Name: "stream1", Meta: docMeta(t, docCreate)}
	odd.Meta.Stream[1].Properties.VideoWidth, odd.Meta.Stream[1].Properties.VideoHeight = 641, 481
	obp := odd.Blueprint("stream1")
	if v := obp.Settings.Channel.Video[0]; v.Width != 640 || v.Height != 480 {
		t.Errorf("641x481 gives %dx%d, want 640x480", v.Width, v.Height)
	}
	if err := domain.ValidateBlueprint("blueprint", &obp); err != nil {
		t.Errorf("the odd-sized blueprint is refused: %v", err)
	}

	// A variant without videoFPS keeps the source's rate.
	nofps := &domain.Provision{Scope: "live", Name: "stream1", Meta: docMeta(t, docCreate)}
	nofps.Meta.Stream[0].Properties.VideoFPS = 0
	if v := nofps.Blueprint("stream1").Settings.Channel.Video[1]; v.Framerate != 0 {
		t.Errorf("no videoFPS gives framerate %g, want 0 (the source's)", v.Framerate)
	}
}

// TestProvisionPassthroughBlueprint: variants published apart, and a stream
// without variants, are passed through and archived as they arrive.
func TestProvisionPassthroughBlueprint(t *testing.T) {
	cases := []struct {
		name    string
		meta    domain.ProvisionMeta
		runName string
	}{
		{"published apart", docMeta(t, docUpdate), "stream1_2"},
		{"no variants", domain.ProvisionMeta{}, "stream1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &domain.Provision{Scope: "live", Name: "stream1", Meta: tc.meta}
			bp := p.Blueprint(tc.runName)
			if err := domain.ValidateBlueprint("blueprint", &bp); err != nil {
				t.Errorf("refused: %v", err)
			}
			ch := bp.Settings.Channel
			if !ch.Passthrough || len(ch.Video) != 0 || ch.Source != "" || ch.Audio != nil {
				t.Errorf("channel %+v, want passthrough", ch)
			}
			if a := archiveOf(bp); a == nil || a.Rendition != domain.RenditionSource {
				t.Errorf("archive %+v, want SOURCE", a)
			}
			if !strings.Contains(bp.Name, "live/"+tc.runName) {
				t.Errorf("name %q does not name live/%s", bp.Name, tc.runName)
			}
		})
	}
}

// TestProvisionBlueprintValid: whatever meta Validate accepts makes a
// blueprint that ValidateBlueprint accepts, for every stream name a
// publisher may push to: the publish starts a run of it with no one to
// tell.
func TestProvisionBlueprintValid(t *testing.T) {
	cases := []struct {
		name        string
		scope, strm string
		meta        domain.ProvisionMeta
	}{
		{"the create example", "live", "stream1", docMeta(t, docCreate)},
		{"the update example", "live", "stream1", docMeta(t, docUpdate)},
		{"no variants", "live", "stream1", domain.ProvisionMeta{}},
		{"the smallest rung", "live", "stream1", domain.ProvisionMeta{Stream: []domain.ProvisionVariant{
			{Name: "top", Level: 1}, variant("tiny", 2, 16, 16, 50_000, 1),
		}}},
		{"the largest rung", "live", "stream1", domain.ProvisionMeta{Stream: []domain.ProvisionVariant{
			{Name: "top", Level: 1}, variant("huge", 2, 7680, 4320, 100_000_000, 120),
		}}},
		{"the longest scope and stream names", strings.Repeat("s", 63), strings.Repeat("n", 63), domain.ProvisionMeta{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &domain.Provision{Scope: tc.scope, Name: tc.strm, Meta: tc.meta}
			if err := domain.ValidProvisionPath(p.Scope, p.Name); err != nil {
				t.Fatal(err)
			}
			if err := p.Meta.Validate(p.Name); err != nil {
				t.Fatalf("meta refused: %v", err)
			}
			for _, name := range p.PublishNames() {
				run, ok := p.RunName(name)
				if !ok {
					t.Fatalf("publish name %q has no run", name)
				}
				bp := p.Blueprint(run)
				if err := domain.ValidateBlueprint("blueprint", &bp); err != nil {
					t.Errorf("the blueprint of %s (published as %s) is refused: %v", run, name, err)
				}
			}
		})
	}
}

func archiveOf(bp domain.Blueprint) *domain.ArchiveSettings {
	for _, g := range bp.Settings.OutputGroups {
		if g.Type == domain.OutputArchive {
			return g.Archive
		}
	}
	return nil
}
