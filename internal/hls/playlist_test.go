package hls

import (
	"bytes"
	"testing"
	"time"
)

// TestPlaylistRoundTrip: what a variant reads back of its own playlist is
// what it wrote, but the parts (their segment was not finished) and the hint.
func TestPlaylistRoundTrip(t *testing.T) {
	pdt := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	p := &playlist{target: 3, seq: 41, discSeq: 2, state: stateLine{end: 123456789, hasEnd: true, config: "abc", nextPart: 9},
		segs: []*segment{
			{uri: "seg_000041.ts", dur: 2 * time.Second, pdt: pdt, key: &segKey{uri: "/live/w/keys/1.key", iv: [16]byte{15: 41}}},
			{uri: "seg_000042.ts", dur: 2500 * time.Millisecond, disc: true, pdt: pdt.Add(2 * time.Second), key: &segKey{uri: "/live/w/keys/2.key", iv: [16]byte{15: 42}}},
		}}
	b := p.render(false)
	q, err := parsePlaylist(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.render(false), b) {
		t.Fatalf("wrote\n%s\nread back\n%s", b, q.render(false))
	}
}

// FuzzParsePlaylist: reading whatever is on disk never panics.
func FuzzParsePlaylist(f *testing.F) {
	p := &playlist{target: 2, partTarget: time.Second / 2, segs: []*segment{{uri: "seg_000000.m4s", dur: time.Second, init: "init_x.mp4", parts: []part{{uri: "part_000000.m4s", dur: time.Second / 2, independent: true}}}}, hint: "part_000001.m4s"}
	f.Add(p.render(false))
	f.Add([]byte("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if q, err := parsePlaylist(b); err == nil {
			q.render(false)
		}
	})
}
