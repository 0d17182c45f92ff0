package hls_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
	"onair/internal/testutil/fftest"
)

// TestMaster packages an H.264 rendition as TS and an H.265 one as CMAF,
// with no encoder telling what they are, and writes the master from what
// the variants measured: CODECS from the codec configuration (avc1 from the
// SPS, hvc1 from the H.265 SPS, mp4a.40.2), RESOLUTION from the SPS,
// FRAME-RATE and BANDWIDTH measured. OnInfo told of both. ffprobe reads the
// H.265 segments and ffmpeg plays the master.
func TestMaster(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	hevc, hunits := source(t, "libx265", 15)
	live := t.TempDir()
	var mu sync.Mutex
	told := map[string]hls.VariantInfo{}
	onInfo := func(name string) func(hls.VariantInfo) {
		return func(in hls.VariantInfo) {
			mu.Lock()
			defer mu.Unlock()
			told[name] = in
		}
	}
	a := newFeeder(t, hls.VariantConfig{Dir: filepath.Join(live, "avc"), Format: hls.TS, Segment: 2 * time.Second, Window: 60 * time.Second, OnInfo: onInfo("avc")})
	b := newFeeder(t, hls.VariantConfig{Dir: filepath.Join(live, "hevc"), Format: hls.CMAF, Segment: 2 * time.Second, Window: 60 * time.Second, Part: 500 * time.Millisecond, OnInfo: onInfo("hevc")})
	a.play(tracks, units, 0)
	b.play(hevc, hunits, 0)
	a.finish()
	hm := b.finish()

	ia, ib := a.v.Info(), b.v.Info()
	t.Logf("avc %+v, hevc %+v", ia, ib)
	// ffprobe's reading of the same streams: H.264 Main (77 = 0x4d) at
	// its level, in hex in avc1; H.265 Main (1) at its level in hvc1.
	_, probe := fftest.Tools(t)
	level := func(file string) (string, int) {
		out, err := exec.Command(probe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile,level", "-of", "csv=p=0", file).Output()
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n") // the stream, and again under its program
		p, l, _ := strings.Cut(first, ",")
		n, _ := strconv.Atoi(l)
		return p, n
	}
	if p, l := level(filepath.Join(live, "avc", "seg_000000.ts")); p != "Main" || ia.Codecs != fmt.Sprintf("avc1.4d40%02x,mp4a.40.2", l) {
		t.Errorf("H.264 CODECS %q, ffprobe says %s at level %d", ia.Codecs, p, l)
	}
	if p, l := level(concat(t, filepath.Join(live, "hevc"), hm.Segments[0].Map, hm.Segments[0].URI)); p != "Main" ||
		!regexp.MustCompile(fmt.Sprintf(`^hvc1\.1\.6\.L%d(\.[0-9A-F]{1,2})+,mp4a\.40\.2$`, l)).MatchString(ib.Codecs) {
		t.Errorf("H.265 CODECS %q, ffprobe says %s at level %d", ib.Codecs, p, l)
	}
	for _, in := range []hls.VariantInfo{ia, ib} {
		if in.Width != 320 || in.Height != 180 || in.FrameRate != 15 {
			t.Errorf("%s: %dx%d at %.3f fps", in.Codecs, in.Width, in.Height, in.FrameRate)
		}
		if in.AverageBandwidth <= 0 || in.Bandwidth < in.AverageBandwidth || in.Bandwidth > 5_000_000 {
			t.Errorf("%s: bandwidth %d, average %d", in.Codecs, in.Bandwidth, in.AverageBandwidth)
		}
	}
	mu.Lock()
	if told["avc"].Codecs != ia.Codecs || told["hevc"].Codecs != ib.Codecs {
		t.Errorf("OnInfo told %+v", told)
	}
	mu.Unlock()

	for _, s := range hm.Segments {
		if got := ffprobe(t, concat(t, filepath.Join(live, "hevc"), s.Map, s.URI)); !strings.HasPrefix(got, "hevc\naac") {
			t.Errorf("ffprobe init+%s: %q", s.URI, got)
		}
	}

	master := filepath.Join(live, "master.m3u8")
	if err := hls.WriteMaster(master, []hls.MasterEntry{{URI: "avc/index.m3u8", Info: ia}, {URI: "hevc/index.m3u8", Info: ib}}); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(master)
	m, err := hlstest.ParseMaster(body)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if len(m.Variants) != 2 || m.Variants[0].URI != "avc/index.m3u8" || m.Variants[1].Codecs != ib.Codecs ||
		m.Variants[0].Width != 320 || m.Variants[1].FrameRate != 15 || m.Variants[0].Bandwidth != ia.Bandwidth {
		t.Errorf("master:\n%s", body)
	}
	if n := decode(t, master); n < 15*7 {
		t.Errorf("ffmpeg decoded %d frames from the master", n)
	}
	if err := hls.WriteMaster(master, []hls.MasterEntry{{URI: "x/index.m3u8"}}); err == nil {
		t.Error("a master entry without a measured bandwidth was written")
	}
}
