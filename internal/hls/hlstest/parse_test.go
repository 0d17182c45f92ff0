package hlstest

import (
	"strings"
	"testing"
)

const good = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-DISCONTINUITY-SEQUENCE:1
## a comment
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PART:DURATION=0.5,URI="p0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="p1.m4s"
#EXT-X-PART:DURATION=0.5,URI="p2.m4s"
#EXT-X-PART:DURATION=0.5,URI="p3.m4s"
#EXTINF:2.00000,
seg7.m4s
#EXT-X-DISCONTINUITY
#EXT-X-PART:DURATION=0.5,URI="p4.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p5.m4s"
`

// TestParseMedia: a good LL-HLS playlist parses, and each thing a strict
// reader must refuse is refused, with the reason.
func TestParseMedia(t *testing.T) {
	m, err := ParseMedia([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 7 || m.DiscSeq != 1 || len(m.Segments) != 1 || len(m.Segments[0].Parts) != 4 || len(m.Open) != 1 || m.Hint != "p5.m4s" || m.Segments[0].Map != "init.mp4" {
		t.Fatalf("%+v", m)
	}
	for _, tc := range []struct{ name, from, to, why string }{
		{"no header", "#EXTM3U\n", "", "#EXTM3U"},
		{"no target", "#EXT-X-TARGETDURATION:2\n", "", "no EXT-X-TARGETDURATION"},
		{"segment over target", "#EXTINF:2.00000,", "#EXTINF:2.6,", "rounds above"},
		{"parts not adding up", `DURATION=0.5,URI="p3.m4s"`, `DURATION=0.4,URI="p3.m4s"`, "add up"},
		{"part over target", "DURATION=0.5,URI=\"p2.m4s\"\n#EXT-X-PART:DURATION=0.5,", "DURATION=0.6,URI=\"p2.m4s\"\n#EXT-X-PART:DURATION=0.4,", "longer than PART-TARGET"},
		{"short part inside", `DURATION=0.5,URI="p4.m4s"`, `DURATION=0.3,URI="p4.m4s"`, "85%"},
		{"hold back", "PART-HOLD-BACK=1.5", "PART-HOLD-BACK=0.9", "PART-HOLD-BACK"},
		{"no blocking", "CAN-BLOCK-RELOAD=YES,", "", "CAN-BLOCK-RELOAD"},
		{"unknown tag", "## a comment", "#EXT-X-NONSENSE:1", "unknown tag"},
		{"version", "#EXT-X-VERSION:6", "#EXT-X-VERSION:3", "VERSION"},
		{"sequence late", "seg7.m4s\n", "seg7.m4s\n#EXT-X-MEDIA-SEQUENCE:8\n", "twice"},
		{"uri without extinf", "#EXTINF:2.00000,\n", "", "without #EXTINF"},
		{"bad attribute", `URI="init.mp4"`, `URI="init.mp4`, "unterminated"},
		{"two hints", `URI="p5.m4s"`, "URI=\"p5.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"p6.m4s\"", "second part hint"},
		{"bad IV", "## a comment", "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x12", "IV"},
		{"no final newline", "p5.m4s\"\n", "p5.m4s\"", "line break"},
	} {
		b := strings.Replace(good, tc.from, tc.to, 1)
		if b == good && tc.from != tc.to {
			t.Fatalf("%s: nothing replaced", tc.name)
		}
		if _, err := ParseMedia([]byte(b)); err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.why)
		}
	}
}

// TestChecker: what may not change between two versions of a playlist.
func TestChecker(t *testing.T) {
	v1 := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXTINF:2.0,\na.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.0,\nb.ts\n#EXTINF:2.0,\nc.ts\n"
	for _, tc := range []struct{ name, next, why string }{
		{"good", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXTINF:2.0,\nc.ts\n#EXTINF:2.0,\nd.ts\n", ""},
		{"back", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:2\n#EXTINF:2.0,\nz.ts\n", "went back"},
		{"disc seq", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:2.0,\nc.ts\n", "discontinuity sequence"},
		{"changed segment", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:4\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-DISCONTINUITY\n#EXTINF:2.0,\nb2.ts\n", "changed"},
		{"target shrinks", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXTINF:1.0,\nc.ts\n", "target duration"},
	} {
		c := &Checker{Exists: func(string) error { return nil }}
		if _, err := c.Check([]byte(v1)); err != nil {
			t.Fatal(err)
		}
		_, err := c.Check([]byte(tc.next))
		if tc.why == "" && err != nil || tc.why != "" && (err == nil || !strings.Contains(err.Error(), tc.why)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.why)
		}
	}
}

// FuzzParseMedia: the parser never panics, and what it accepts keeps its
// own rules.
func FuzzParseMedia(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMedia(b)
		if err != nil {
			return
		}
		for _, s := range m.Segments {
			if s.URI == "" {
				t.Fatalf("a segment without a URI: %q", b)
			}
		}
	})
}
