package catalog

import (
	"fmt"
	"testing"

	"onair/internal/domain"
)

func TestBuiltinsAreValid(t *testing.T) {
	for _, b := range New().List() {
		if err := domain.ValidateBlueprint("blueprint", &b); err != nil {
			t.Errorf("%s: %v", b.ID, err)
		}
	}
}

func TestBuiltinLadders(t *testing.T) {
	c := New()
	cases := []struct {
		id     string
		class  domain.ChannelClass
		ladder []string // WxH@bitrate
	}{
		{ABR720, domain.ClassSinglePipeline, []string{"1280x720@4096000", "960x540@3096000", "640x360@1596000", "480x270@496000"}},
		{ABR1080, domain.ClassSinglePipeline, []string{"1920x1080@8000000", "1280x720@4700000", "960x540@2200000", "640x360@800000"}},
		{Passthrough, domain.ClassSinglePipeline, nil},
		{ABR720Standard, domain.ClassStandard, []string{"1280x720@4096000", "960x540@3096000", "640x360@1596000", "480x270@496000"}},
	}
	for _, tc := range cases {
		b, ok := c.Get(tc.id)
		if !ok {
			t.Fatalf("%s missing", tc.id)
		}
		if b.Settings.Channel.Class != tc.class {
			t.Errorf("%s: class %s, want %s", tc.id, b.Settings.Channel.Class, tc.class)
		}
		var got []string
		for _, v := range b.Settings.Channel.Video {
			got = append(got, fmtRung(v))
		}
		if len(got) != len(tc.ladder) {
			t.Fatalf("%s: ladder %v, want %v", tc.id, got, tc.ladder)
		}
		for i := range got {
			if got[i] != tc.ladder[i] {
				t.Errorf("%s: rung %d is %s, want %s", tc.id, i, got[i], tc.ladder[i])
			}
		}
		if b.Settings.Channel.Passthrough != (tc.ladder == nil) {
			t.Errorf("%s: passthrough %v", tc.id, b.Settings.Channel.Passthrough)
		}
	}
	if a := mustGet(t, c, ABR1080).Settings.OutputGroups[1].Archive.Video; a == nil || a.Width != 1920 || a.Bitrate != 7_000_000 {
		t.Errorf("rtmp-abr-1080 archive rendition = %+v, want 1920x1080@7000k", a)
	}
	if g := mustGet(t, c, ABR720).Settings.Channel; g.Video[0].GopSeconds != 3 || g.Audio.SampleRate != 48000 || g.Audio.Bitrate != 96000 {
		t.Errorf("rtmp-abr-720 GOP/audio = %v/%+v", g.Video[0].GopSeconds, g.Audio)
	}
}

func TestListReturnsCopies(t *testing.T) {
	c := New()
	l := c.List()
	l[0].Settings.Channel.Video[0].Width = 2
	l[0].Tags[0] = "changed"
	l[0].Settings.OutputGroups[1].Archive.NameModifier = "changed"
	if b := mustGet(t, c, l[0].ID); b.Settings.Channel.Video[0].Width == 2 || b.Tags[0] == "changed" || b.Settings.OutputGroups[1].Archive.NameModifier == "changed" {
		t.Fatal("changing a listed blueprint changed the catalog")
	}
}

func mustGet(t *testing.T, c *Catalog, id string) domain.Blueprint {
	t.Helper()
	b, ok := c.Get(id)
	if !ok {
		t.Fatalf("%s missing", id)
	}
	return b
}

func fmtRung(v domain.VideoRendition) string {
	return fmt.Sprintf("%dx%d@%d", v.Width, v.Height, v.Bitrate)
}
