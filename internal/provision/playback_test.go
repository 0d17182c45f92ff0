package provision

import (
	"testing"

	"onair/internal/domain"
)

// TestResolve: each playback path of a provision names the file of the run
// that is up, as the run started, whatever the provision says now.
func TestResolve(t *testing.T) {
	prov := domain.Provision{Scope: "live", Name: "stream1"}
	ladder := []liveRun{{name: "stream1", workflowID: "wf", rungs: []string{"stream1_1", "stream1_2"}}}
	apart := []liveRun{{name: "stream1_1", workflowID: "wf1", passthrough: true}, {name: "stream1_2", workflowID: "wf2", passthrough: true}}
	alone := []liveRun{{name: "stream1", workflowID: "wf", passthrough: true}}
	cases := []struct {
		what       string
		runs       []liveRun
		name, rest string
		want       string // "" for none
	}{
		{"the ladder's master", ladder, "stream1", "master.m3u8", "live/wf/master.m3u8"},
		{"a rung as the master lists it", ladder, "stream1", "stream1_2/index.m3u8", "live/wf/stream1_2/index.m3u8"},
		{"a rung alone", ladder, "stream1_2", "index.m3u8", "live/wf/stream1_2/index.m3u8"},
		{"a rung's segment", ladder, "stream1_1", "seg_000003.ts", "live/wf/stream1_1/seg_000003.ts"},
		{"no such rung", ladder, "stream1_3", "index.m3u8", ""},
		{"a variant published apart, alone", apart, "stream1_2", "index.m3u8", "live/wf2/SOURCE/index.m3u8"},
		{"its segment", apart, "stream1_2", "seg_000001.ts", "live/wf2/SOURCE/seg_000001.ts"},
		{"its own master", apart, "stream1_1", "master.m3u8", "live/wf1/master.m3u8"},
		{"as the made master lists it", apart, "stream1", "stream1_1/index.m3u8", "live/wf1/SOURCE/index.m3u8"},
		{"a variant not up", apart, "stream1_3", "index.m3u8", ""},
		{"the stream passed through", alone, "stream1", "index.m3u8", "live/wf/SOURCE/index.m3u8"},
		{"its master", alone, "stream1", "master.m3u8", "live/wf/master.m3u8"},
		{"its variant as its master lists it", alone, "stream1", "SOURCE/index.m3u8", "live/wf/SOURCE/index.m3u8"},
		{"nothing up", nil, "stream1", "master.m3u8", ""},
	}
	for _, c := range cases {
		got, ok := resolve(prov, c.runs, c.name, c.rest)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("%s: %s/%s resolves to %q %v, want %q", c.what, c.name, c.rest, got, ok, c.want)
		}
	}
	if !publishedApart(prov, apart) || publishedApart(prov, ladder) || publishedApart(prov, alone) || publishedApart(prov, nil) {
		t.Error("publishedApart: the master is made only of variants published apart that are up")
	}
	if publishedApart(prov, append(ladder, apart...)) {
		t.Error("a ladder still up wins over variants published apart since the provision changed")
	}
}

func TestSplitPath(t *testing.T) {
	for _, c := range []struct {
		path, scope, name string
		ok                bool
	}{
		{"live/stream1", "live", "stream1", true},
		{"live/a/b", "", "", false},
		{"stream1", "", "", false},
		{"/stream1", "", "", false},
		{"live/", "", "", false},
	} {
		scope, name, ok := splitPath(c.path)
		if scope != c.scope || name != c.name || ok != c.ok {
			t.Errorf("splitPath(%q) = %q %q %v", c.path, scope, name, ok)
		}
	}
}
