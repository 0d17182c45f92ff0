package cmafx_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"onair/internal/cmafx"
	"onair/internal/hls/hlstest"
	"onair/internal/testutil/fftest"
)

// The seeds of the fuzz targets are onair's own output, small: see
// TestFuzzCorpus.
const (
	corpusInit = "testdata/init.mp4" // a two-track init section, for the segments' seeds
	corpusDir  = "testdata/fuzz"
)

// FuzzTracks: no input makes Tracks, SplitInit or NewProtector panic, and
// what they accept keeps its tracks: a split init section has the one
// track, and so has its protected init section, under both schemes.
func FuzzTracks(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := cmafx.Tracks(b)
		for _, id := range []uint32{1, 2} {
			cmafx.SplitInit(b, id)
		}
		if err != nil {
			return
		}
		for _, tr := range ts {
			init, err := cmafx.SplitInit(b, tr.ID)
			if err != nil {
				continue
			}
			if got, err := cmafx.Tracks(init); err != nil || !reflect.DeepEqual(got, []cmafx.Track{tr}) {
				t.Fatalf("track %+v split: %+v, %v", tr, got, err)
			}
			for _, scheme := range []string{"cenc", "cbcs"} {
				_, enc, err := cmafx.NewProtector(init, testKey, scheme, []cmafx.PSSH{{SystemID: cmafx.ClearKeySystemID, Data: []byte("x")}})
				if err != nil {
					continue
				}
				if got, err := cmafx.Tracks(enc); err != nil || !reflect.DeepEqual(got, []cmafx.Track{tr}) {
					t.Fatalf("track %+v protected with %s: %+v, %v", tr, scheme, got, err)
				}
			}
		}
	})
}

// FuzzSplitSegment: no input makes SplitSegment, Timing, Protector.Segment
// or Decrypt panic, and what they accept behaves: a split segment splits to
// itself, times as the segment it came from, and encrypts to what Decrypt
// turns back into it.
func FuzzSplitSegment(f *testing.F) {
	init, err := os.ReadFile(corpusInit)
	if err != nil {
		f.Fatal(err)
	}
	// A protector of each track with each scheme.
	type protector struct {
		id            uint32
		init, encInit []byte
		p             *cmafx.Protector
	}
	var ps []protector
	for _, id := range []uint32{1, 2} {
		split, err := cmafx.SplitInit(init, id)
		if err != nil {
			f.Fatal(err)
		}
		for _, scheme := range []string{"cenc", "cbcs"} {
			p, enc, err := cmafx.NewProtector(split, testKey, scheme, nil)
			if err != nil {
				f.Fatal(err)
			}
			ps = append(ps, protector{id, split, enc, p})
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, pr := range ps {
			cmafx.Decrypt(pr.encInit, b, testKey.Key)
			pr.p.Segment(b)
			start, dur, terr := cmafx.Timing(init, b, pr.id)
			out, err := cmafx.SplitSegment(b, pr.id)
			if err != nil {
				continue
			}
			if again, err := cmafx.SplitSegment(out, pr.id); err != nil || !bytes.Equal(again, out) {
				t.Fatalf("track %d: splitting a split segment: %v, same %t", pr.id, err, bytes.Equal(again, out))
			}
			if terr == nil {
				if s, d, err := cmafx.Timing(pr.init, out, pr.id); err != nil || s != start || d != dur {
					t.Fatalf("track %d: split, %d+%d (%v), not %d+%d", pr.id, s, d, err, start, dur)
				}
			}
			enc, err := pr.p.Segment(out)
			if err != nil {
				continue
			}
			if clear, err := cmafx.Decrypt(pr.encInit, enc, testKey.Key); err != nil || !bytes.Equal(clear, out) {
				t.Fatalf("track %d: encrypted and decrypted: %v, same %t", pr.id, err, bytes.Equal(clear, out))
			}
		}
	})
}

// TestFuzzCorpus checks the fuzz targets' seeds: the init section reads as
// onair's two tracks, and each target has seeds. With CMAFX_WRITE_CORPUS=1
// it first makes them again from onair's packager: 64x36 at 15 fps with
// 48 kHz AAC, its init section split and protected, and single fragments of
// its segments, muxed, split and encrypted.
func TestFuzzCorpus(t *testing.T) {
	if os.Getenv("CMAFX_WRITE_CORPUS") == "1" {
		writeCorpus(t)
	}
	ts, err := cmafx.Tracks(read(t, corpusInit))
	if err != nil || len(ts) != 2 || ts[0].Kind != "video" || ts[1].Kind != "audio" {
		t.Fatalf("%s: tracks %+v, %v", corpusInit, ts, err)
	}
	for _, target := range []string{"FuzzTracks", "FuzzSplitSegment"} {
		seeds, err := filepath.Glob(filepath.Join(corpusDir, target, "*"))
		if err != nil || len(seeds) < 3 {
			t.Errorf("%s: %d seeds (%v)", target, len(seeds), err)
		}
		for _, s := range seeds {
			if b := read(t, s); !bytes.HasPrefix(b, []byte("go test fuzz v1\n[]byte(")) {
				t.Errorf("%s is not a corpus file", s)
			}
		}
	}
}

func writeCorpus(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	ts := filepath.Join(dir, "tiny.ts")
	run(t, ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=64x36:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-bf", "2", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "32k", "-f", "mpegts", ts)
	tracks, units := hlstest.ReadTS(t, ts)
	src := packageCMAF(t, filepath.Join(dir, "hls"), tracks, units)
	if err := os.MkdirAll(filepath.Dir(corpusInit), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corpusInit, src.init, 0o644); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{"init": src.init}
	frag := fragments(t, src.segs[1])[1]
	segSeeds := map[string][]byte{"muxed": frag}
	for _, k := range kinds {
		p := protect(t, src, k.id, []string{"", "cbcs", "cenc"}[k.id], testKey)
		seeds[k.kind] = p.init
		seeds[k.kind+"-protected"] = p.encInit
		segSeeds[k.kind] = fragments(t, p.segs[1])[0]
		segSeeds[k.kind+"-protected"] = fragments(t, p.encSegs[1])[0]
	}
	for target, set := range map[string]map[string][]byte{"FuzzTracks": seeds, "FuzzSplitSegment": segSeeds} {
		d := filepath.Join(corpusDir, target)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range set {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
			if err := os.WriteFile(filepath.Join(d, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s/%s: %d bytes", target, name, len(b))
		}
	}
}
