package benchkit

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTimelinePlacesSegmentsAndParts(t *testing.T) {
	// An LL-HLS playlist in the shape of RFC 8216bis's example: parts under
	// the newest segments, and the segment in progress after the last URI.
	const body = `#EXTM3U
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:2.000,
seg0.mp4
#EXT-X-PART:DURATION=0.5,URI="seg1.0.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="seg1.1.mp4"
#EXT-X-PART:DURATION=0.5,URI="seg1.2.mp4"
#EXT-X-PART:DURATION=0.5,URI="seg1.3.mp4"
#EXTINF:2.000,
seg1.mp4
#EXT-X-PART:DURATION=0.5,URI="seg2.0.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.48,URI="seg2.1.mp4"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg2.2.mp4"
`
	file := filepath.Join(t.TempDir(), "index.m3u8")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	want := []Entry{
		{"seg0.mp4", 0, ms(2000), false},
		{"seg1.0.mp4", ms(2000), ms(500), true},
		{"seg1.1.mp4", ms(2500), ms(500), true},
		{"seg1.2.mp4", ms(3000), ms(500), true},
		{"seg1.3.mp4", ms(3500), ms(500), true},
		{"seg1.mp4", ms(2000), ms(2000), false},
		{"seg2.0.mp4", ms(4000), ms(500), true},
		{"seg2.1.mp4", ms(4500), ms(480), true},
	}
	got := Timeline(file)
	if len(got) != len(want) {
		t.Fatalf("Timeline = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if segs := Segments(file); len(segs) != 2 || segs[1] != (Segment{"seg1.mp4", ms(2000)}) {
		t.Errorf("Segments = %+v, want seg0.mp4 and seg1.mp4", segs)
	}
	t0 := time.Now()
	listed := map[string]time.Time{"seg2.0.mp4": t0.Add(ms(4700))}
	first, dur := PartDelays(file, listed, t0)
	if len(first) != 1 || first[0] != ms(700) || dur[0] != ms(500) {
		t.Errorf("PartDelays = %v %v, want [700ms] [500ms]", first, dur)
	}
}

func TestVariantsFollowsTheMasterPlaylist(t *testing.T) {
	dir := t.TempDir()
	master := filepath.Join(dir, "master.m3u8")
	os.WriteFile(master, []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=4000000,CODECS=\"avc1.64001f,mp4a.40.2\"\n720p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n270p/index.m3u8\n"), 0o644)
	media, ok := MediaPlaylist(master)
	if want := filepath.Join(dir, "720p", "index.m3u8"); !ok || media != want {
		t.Errorf("MediaPlaylist = %q %v, want %q", media, ok, want)
	}
	if _, ok := MediaPlaylist(filepath.Join(dir, "missing.m3u8")); ok {
		t.Error("MediaPlaylist of a missing file is ok")
	}
}
