package hls

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadMasterRoundTrip(t *testing.T) {
	file := filepath.Join(t.TempDir(), "master.m3u8")
	want := []MasterEntry{
		{URI: "720p/index.m3u8", Info: VariantInfo{Codecs: "avc1.64001f,mp4a.40.2", Width: 1280, Height: 720, FrameRate: 29.97, Bandwidth: 3000000, AverageBandwidth: 2500000}},
		{URI: "audio/index.m3u8", Info: VariantInfo{Codecs: "mp4a.40.2", Bandwidth: 96000}},
	}
	if err := WriteMaster(file, want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadMaster(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d entries, want %d:\n%s", len(got), len(want), b)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := ReadMaster([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\na.m3u8\n")); err == nil {
		t.Error("a BANDWIDTH of x was read")
	}
}

func FuzzReadMaster(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a,b\",RESOLUTION=1x2\nx.m3u8\n"))
	f.Add([]byte("#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"a\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ReadMaster(b) })
}
