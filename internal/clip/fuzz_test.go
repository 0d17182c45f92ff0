package clip

import (
	"math"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It never panics, and what it
// accepts is bounded and consistent: each segment starts where the one before
// ends, with a duration in [0, MaxSegmentDuration] and a URI inside the
// archive directory, and the clip playlist of the whole recording reads back
// as the same segments.
func FuzzParse(f *testing.F) {
	f.Add([]byte(ffmpegEvent), 1.0, 5.0)
	f.Add([]byte("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:2.000000,\nindex0.ts\n#EXTINF:2.000000,\nindex1.ts\n#EXT-X-ENDLIST\n"), 2.0, 4.5)
	f.Add([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv0/index.m3u8\n"), 0.0, 1.0)
	f.Add([]byte("#EXTM3U\r\n#EXTINF:0.1,title\r\na/b.ts\r\n#EXT-X-DISCONTINUITY\r\n#EXTINF:3600,\r\nc.ts\r\n#EXT-X-ENDLIST"), 0.1, 0.10001)
	f.Fuzz(func(t *testing.T, data []byte, a, b float64) {
		segs, ended, err := Parse(data)
		if err != nil {
			if segs != nil || ended {
				t.Fatalf("error %v with segments %v, ended %v", err, segs, ended)
			}
			return
		}
		if len(segs) > MaxSegments {
			t.Fatalf("%d segments", len(segs))
		}
		pos := 0.0
		for i, s := range segs {
			if s.Start != pos || !(s.Duration >= 0 && s.Duration <= MaxSegmentDuration) {
				t.Fatalf("segment %d = %+v, want it to start at %g with a sane duration", i, s, pos)
			}
			if err := checkURI(s.URI); err != nil {
				t.Fatalf("segment %d: accepted %v", i, err)
			}
			pos += s.Duration
		}
		all := Section{-1, Total(segs) + 1}
		back, ended, err := Parse(Playlist(segs, all))
		if err != nil || !ended || len(back) != len(segs) {
			t.Fatalf("clip playlist of everything reads back as %d segments, ended %v, %v; want %d", len(back), ended, err, len(segs))
		}
		for i := range segs {
			a, b := segs[i], back[i]
			if a.URI != b.URI || math.Abs(a.Duration-b.Duration) > 5e-7 || (i > 0 && a.Discontinuity != b.Discontinuity) {
				t.Fatalf("segment %d = %+v, reads back as %+v", i, a, b)
			}
		}
		// A section Validate accepts gets a clip playlist that holds it: its
		// first segment holds the start, at Offset, and its last one starts
		// before the end.
		sec := Section{a, b}
		if Validate([]Section{sec}, segs) != nil {
			return
		}
		sec = Clamp(segs, sec)
		clip, _, err := Parse(Playlist(segs, sec))
		if err != nil || len(clip) == 0 {
			t.Fatalf("clip playlist of %v: %d segments, %v", sec, len(clip), err)
		}
		i, j := overlap(segs, sec)
		first, last := segs[i], segs[j-1]
		if len(clip) != j-i || clip[0].URI != first.URI {
			t.Fatalf("clip playlist of %v = %+v, want segments %d to %d", sec, clip, i, j-1)
		}
		if off := Offset(segs, sec); !(off >= 0 && off <= first.Duration+eps) || first.Start > sec.Start+eps {
			t.Fatalf("Offset of %v = %g, outside the first segment %+v", sec, off, first)
		}
		if j-i > 1 && last.Start >= sec.End {
			t.Fatalf("clip of %v takes %+v, which starts after its end", sec, last)
		}
	})
}
