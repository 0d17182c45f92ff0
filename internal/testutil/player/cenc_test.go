package player

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/cmafx"
)

// encryptDASH encrypts, in place, every track of the DASH that ffmpeg's
// dash muxer wrote into dir (init-streamN.m4s, chunk-streamN-*.m4s) with
// one key, through onair's own CENC packager (ffmpeg 5.1's fragmented CENC
// is unreadable).
func encryptDASH(t *testing.T, dir string, kid, key []byte) {
	t.Helper()
	var k cmafx.Key
	copy(k.KID[:], kid)
	copy(k.Key[:], key)
	copy(k.IV[:], "player-test-iv..")
	inits, _ := filepath.Glob(filepath.Join(dir, "init-stream*.m4s"))
	if len(inits) == 0 {
		t.Fatalf("no init segments in %s", dir)
	}
	for _, init := range inits {
		clear, err := os.ReadFile(init)
		if err != nil {
			t.Fatal(err)
		}
		p, protected, err := cmafx.NewProtector(clear, k, "cenc", nil)
		if err != nil {
			t.Fatalf("%s: %v", init, err)
		}
		write(t, init, protected)
		stream := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(init), "init-"), ".m4s")
		chunks, _ := filepath.Glob(filepath.Join(dir, "chunk-"+stream+"-*.m4s"))
		for _, c := range chunks {
			b, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := p.Segment(b)
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			write(t, c, enc)
		}
	}
}

func write(t *testing.T, file string, b []byte) {
	t.Helper()
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
