package clip

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"onair/internal/domain"
)

func TestPlaylist(t *testing.T) {
	segs := segments(15, 2) // s0 [0,2) … s14 [28,30)
	disc := slices.Clone(segs)
	disc[3].Discontinuity, disc[5].Discontinuity = true, true
	uneven := []Segment{{URI: "a.ts", Duration: 2.002}, {URI: "b.ts", Start: 2.002, Duration: 6.4}, {URI: "c.ts", Start: 8.402, Duration: 0.5}}
	tests := []struct {
		name    string
		segs    []Segment
		section Section
		want    string
		offset  float64
	}{
		{name: "mid-segment bounds", segs: segs, section: Section{5, 15}, offset: 1, want: `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:2.000000,
s2.ts
#EXTINF:2.000000,
s3.ts
#EXTINF:2.000000,
s4.ts
#EXTINF:2.000000,
s5.ts
#EXTINF:2.000000,
s6.ts
#EXTINF:2.000000,
s7.ts
#EXT-X-ENDLIST
`},
		{name: "bounds on segment boundaries take no neighbour", segs: segs, section: Section{20, 26}, offset: 0, want: `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:2.000000,
s10.ts
#EXTINF:2.000000,
s11.ts
#EXTINF:2.000000,
s12.ts
#EXT-X-ENDLIST
`},
		{name: "discontinuities kept, but not on the first segment", segs: disc, section: Section{6.5, 11}, offset: 0.5, want: `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:2.000000,
s3.ts
#EXTINF:2.000000,
s4.ts
#EXT-X-DISCONTINUITY
#EXTINF:2.000000,
s5.ts
#EXT-X-ENDLIST
`},
		{name: "target duration rounds the longest up", segs: uneven, section: Section{1, 9}, offset: 1, want: `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-TARGETDURATION:7
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:2.002000,
a.ts
#EXTINF:6.400000,
b.ts
#EXTINF:0.500000,
c.ts
#EXT-X-ENDLIST
`},
		{name: "end past the recording", segs: segs, section: Section{29, 31}, offset: 1, want: `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:2.000000,
s14.ts
#EXT-X-ENDLIST
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Playlist(tt.segs, tt.section))
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if off := Offset(tt.segs, tt.section); abs(off-tt.offset) > 1e-9 {
				t.Fatalf("Offset = %g, want %g", off, tt.offset)
			}
			// What Playlist writes, Parse reads back.
			back, ended, err := Parse([]byte(got))
			if err != nil || !ended {
				t.Fatalf("Parse(Playlist) = %v, ended %v", err, ended)
			}
			if len(back) == 0 || back[0].URI != strings.Split(got, "\n")[6] {
				t.Fatalf("Parse(Playlist) = %+v", back)
			}
		})
	}
}

// TestPlaylistFloatSums: summed ffmpeg durations are not exact in binary, and a
// section starting on a boundary must still not take the segment before it.
func TestPlaylistFloatSums(t *testing.T) {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	for i := range 100 {
		b.WriteString("#EXTINF:0.100000,\nx" + string(rune('a'+i%26)) + ".ts\n")
	}
	segs, _, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(Playlist(segs, Section{3, 4})), "#EXTINF"); got != 10 {
		t.Fatalf("[3,4] of 0.1 s segments lists %d, want 10", got)
	}
	if off := Offset(segs, Section{3, 4}); off > 1e-6 {
		t.Fatalf("Offset = %g, want 0", off)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestNames(t *testing.T) {
	tests := []struct {
		modifier string
		n        int
		want     []string
		err      string // the field of the validation error
	}{
		{modifier: "talk", n: 3, want: []string{"index_talk_1.m3u8", "index_talk_2.m3u8", "index_talk_3.m3u8"}},
		{modifier: "Day-2_keynote", n: 1, want: []string{"index_Day-2_keynote_1.m3u8"}},
		{modifier: strings.Repeat("a", 64), n: 1, want: []string{"index_" + strings.Repeat("a", 64) + "_1.m3u8"}},
		{modifier: strings.Repeat("a", 65), n: 1, err: "name_modifier"},
		{modifier: "../x", n: 1, err: "name_modifier"},
		{modifier: "a/b", n: 1, err: "name_modifier"},
		{modifier: "a.b", n: 1, err: "name_modifier"},
		{modifier: "a b", n: 1, err: "name_modifier"},
		{modifier: "é", n: 1, err: "name_modifier"},
		{modifier: "talk", n: 0, err: "timestamp_list"},
		{modifier: "talk", n: MaxSections + 1, err: "timestamp_list"},
	}
	for _, tt := range tests {
		got, err := Names(tt.modifier, tt.n)
		if tt.err != "" {
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || ve.Errors[0].Field != tt.err {
				t.Errorf("Names(%q, %d) err = %v, want a validation error on %s", tt.modifier, tt.n, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Names(%q, %d) = %v, %v; want %v", tt.modifier, tt.n, got, err, tt.want)
		}
	}
}

func TestNamesUUID(t *testing.T) {
	re := regexp.MustCompile(`^index_([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})_(\d)\.m3u8$`)
	a, err := Names("", 2)
	if err != nil {
		t.Fatal(err)
	}
	m0, m1 := re.FindStringSubmatch(a[0]), re.FindStringSubmatch(a[1])
	if m0 == nil || m1 == nil || m0[1] != m1[1] || m0[2] != "1" || m1[2] != "2" {
		t.Fatalf("Names(\"\", 2) = %v, want one UUID for both, numbered 1 and 2", a)
	}
	b, _ := Names("", 1)
	if re.FindStringSubmatch(b[0])[1] == m0[1] {
		t.Fatalf("two requests got the same UUID %s", m0[1])
	}
}

func TestMP4Name(t *testing.T) {
	if got := MP4Name("index_talk_2.m3u8"); got != "index_talk_2.mp4" {
		t.Fatalf("MP4Name = %q", got)
	}
}

func TestPlan(t *testing.T) {
	segs := segments(15, 2)
	clips, err := Plan(segs, []Section{{5, 15}, {29, 31}}, "talk")
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) != 2 {
		t.Fatalf("%d clips", len(clips))
	}
	c := clips[1]
	if c.Playlist != "index_talk_2.m3u8" || c.MP4 != "index_talk_2.mp4" || c.Section != (Section{29, 30}) || c.Offset != 1 || c.Length() != 1 {
		t.Fatalf("clip 2 = %+v", c)
	}
	if string(clips[0].Body) != string(Playlist(segs, Section{5, 15})) {
		t.Fatalf("clip 1 body = %s", clips[0].Body)
	}
	if _, err := Plan(segs, []Section{{5, 15}}, "no/slash"); err == nil {
		t.Fatal("Plan took a bad modifier")
	}
	if _, err := Plan(segs, []Section{{5, 15}, {40, 50}}, "talk"); err == nil {
		t.Fatal("Plan took a section outside the recording")
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(dir, "index_a_1.m3u8", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dir, "index_a_1.m3u8", []byte("two")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/index_a_1.m3u8")
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q, %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d files, want 1 (no temporary left)", len(entries))
	}
	if st, _ := os.Stat(dir + "/index_a_1.m3u8"); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", st.Mode().Perm())
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`} {
		if err := WriteFile(dir, bad, nil); err == nil {
			t.Errorf("WriteFile(%q) succeeded", bad)
		}
	}
}

func TestMP4Args(t *testing.T) {
	got := strings.Join(mp4Args("/data/archive/w/r/index_a_1.m3u8", "/data/archive/w/r/.index_a_1.mp4.123.tmp", 1, 600), " ")
	want := "-hide_banner -nostdin -loglevel error -y -dts_delta_threshold 10 -ss 1.000 -i /data/archive/w/r/index_a_1.m3u8 -t 600.000 -map 0 -c copy -movflags +faststart -f mp4 /data/archive/w/r/.index_a_1.mp4.123.tmp"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Far into a long segment, the threshold is above the offset.
	got = strings.Join(mp4Args("index_a_1.m3u8", "out", 249.5, 10), " ")
	want = "-hide_banner -nostdin -loglevel error -y -dts_delta_threshold 251 -ss 249.500 -i index_a_1.m3u8 -t 10.000 -map 0 -c copy -movflags +faststart -f mp4 out"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
