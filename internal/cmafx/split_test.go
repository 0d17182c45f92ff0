package cmafx_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"

	"onair/internal/cmafx"
)

// kinds are the tracks of every source: ffmpeg's stream specifier and the
// track id.
var kinds = []struct {
	kind, spec string
	id         uint32
}{{"video", "v", 1}, {"audio", "a", 2}}

// split returns a source's track id alone: its init section and segments.
func split(t testing.TB, src *source, id uint32) ([]byte, [][]byte) {
	t.Helper()
	init, err := cmafx.SplitInit(src.init, id)
	if err != nil {
		t.Fatalf("SplitInit %d: %v", id, err)
	}
	var segs [][]byte
	for i, seg := range src.segs {
		b, err := cmafx.SplitSegment(seg, id)
		if err != nil {
			t.Fatalf("SplitSegment %d of track %d: %v", i, id, err)
		}
		segs = append(segs, b)
	}
	return init, segs
}

// topTypes lists the top-level box types of b.
func topTypes(t testing.TB, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		if len(b) < 8 {
			t.Fatalf("%d bytes after the last box", len(b))
		}
		n := int(binary.BigEndian.Uint32(b))
		if n < 8 || n > len(b) {
			t.Fatalf("a box of %d bytes with %d left", n, len(b))
		}
		out = append(out, string(b[4:8]))
		b = b[n:]
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestSplit: each track of ffmpeg's and onair's output, split out (init
// section and every segment) and put in one file, is what ffprobe reads as
// exactly one stream of that kind, with as many frames as the muxed file
// has of it, and ffmpeg decodes it to the same frames (md5 and timestamps).
// onair's LL-HLS segments hold several fragments, each split on its own.
func TestSplit(t *testing.T) {
	for _, src := range []*source{ffmpegSource(t), onairSource(t, "libx264"), onairSource(t, "libx265")} {
		t.Run(src.name, func(t *testing.T) {
			muxed := file(t, "muxed.mp4", src.init, src.segs...)
			streams := probe(t, muxed)
			if len(streams) != 2 {
				t.Fatalf("the muxed file has %d streams: %+v", len(streams), streams)
			}
			all, _ := cmafx.Tracks(src.init)
			for i, k := range kinds {
				init, segs := split(t, src, k.id)
				ts, err := cmafx.Tracks(init)
				if err != nil || len(ts) != 1 || ts[0] != all[i] {
					t.Errorf("%s: the split init has tracks %+v (%v), want %+v", k.kind, ts, err, all[i])
				}
				if src.name != "ffmpeg" {
					// A part may hold no audio frame: its fragment is left out.
					got, in := count(topTypes(t, segs[0]), "moof"), count(topTypes(t, src.segs[0]), "moof")
					if got < 2 || got > in || k.kind == "video" && got != in {
						t.Errorf("%s: %d fragments in the first split segment, %d in the muxed one", k.kind, got, in)
					}
				}
				whole := file(t, k.kind+".mp4", init, segs...)
				got := probe(t, whole)
				if len(got) != 1 || got[0].Type != k.kind || got[0] != streams[i] {
					t.Errorf("%s: ffprobe reads %+v, want one stream %+v", k.kind, got, streams[i])
				}
				want := frameMD5(t, muxed, k.spec, md5Options{})
				if md5 := frameMD5(t, whole, k.spec, md5Options{}); !reflect.DeepEqual(md5, want) || len(want) == 0 {
					t.Errorf("%s: %d frames decoded, differing from the %d of the muxed file", k.kind, len(md5), len(want))
				}
			}
		})
	}
}

// TestSplitShapes: a styp is kept; splitting what is split changes
// nothing; a track the segment does not have is ErrNoSamples; bytes that
// are no segment are ErrMalformed.
func TestSplitShapes(t *testing.T) {
	src := onairSource(t, "libx264")
	styp := append(binary.BigEndian.AppendUint32(nil, 24), "stypmsdh\x00\x00\x00\x00msdhmsix"...)
	want, err := cmafx.SplitSegment(src.segs[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cmafx.SplitSegment(append(bytes.Clone(styp), src.segs[1]...), 2)
	if err != nil || !bytes.Equal(got, append(bytes.Clone(styp), want...)) {
		t.Errorf("with a styp: %v, and %d bytes for %d+%d", err, len(got), len(styp), len(want))
	}
	if again, err := cmafx.SplitSegment(want, 2); err != nil || !bytes.Equal(again, want) {
		t.Errorf("splitting a split segment: %v, same bytes %t", err, bytes.Equal(again, want))
	}
	if _, err := cmafx.SplitSegment(src.segs[0], 3); !errors.Is(err, cmafx.ErrNoSamples) {
		t.Errorf("track 3: %v, want ErrNoSamples", err)
	}
	if _, err := cmafx.SplitInit(src.init, 3); err == nil {
		t.Error("SplitInit of track 3 did not fail")
	}
	for name, b := range map[string][]byte{"init": src.init, "cut short": src.segs[0][:len(src.segs[0])-1], "empty": nil} {
		if _, err := cmafx.SplitSegment(b, 1); !errors.Is(err, cmafx.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestTiming: each segment of a track starts where the one before ends, the
// same muxed and split, and the durations add up to the length of the
// encode.
func TestTiming(t *testing.T) {
	for _, c := range []struct {
		src     *source
		seconds float64
	}{{ffmpegSource(t), 4}, {onairSource(t, "libx264"), 6}} {
		t.Run(c.src.name, func(t *testing.T) {
			ts, err := cmafx.Tracks(c.src.init)
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range kinds {
				init, segs := split(t, c.src, k.id)
				var next, total uint64
				for n, seg := range c.src.segs {
					start, dur, err := cmafx.Timing(c.src.init, seg, k.id)
					if err != nil {
						t.Fatalf("%s segment %d: %v", k.kind, n, err)
					}
					if n > 0 && start != next {
						t.Errorf("%s segment %d starts at %d, the one before ends at %d", k.kind, n, start, next)
					}
					s2, d2, err := cmafx.Timing(init, segs[n], k.id)
					if err != nil || s2 != start || d2 != dur {
						t.Errorf("%s segment %d split: %d+%d (%v), muxed %d+%d", k.kind, n, s2, d2, err, start, dur)
					}
					next, total = start+dur, total+dur
				}
				secs := float64(total) / float64(ts[i].Timescale)
				t.Logf("%s: %d segments, %.3f s", k.kind, len(segs), secs)
				if math.Abs(secs-c.seconds) > 0.1 {
					t.Errorf("%s lasts %.3f s, the encode %.0f s", k.kind, secs, c.seconds)
				}
			}
		})
	}
}

// TestSplitDataOffsets: the ways a traf may say where its data is (ISO/IEC
// 14496-12 8.8.7.1) split alike: from the moof (onair's), from an explicit
// base_data_offset, and implicitly, the second traf's data following the
// first's without a data_offset of its own.
func TestSplitDataOffsets(t *testing.T) {
	src := onairSource(t, "libx264")
	frag := fragments(t, src.segs[0])[0]
	f := decode(t, src.init, frag)
	moof, mdat := f.Segments[0].Fragments[0].Moof, f.Segments[0].Fragments[0].Mdat
	if len(moof.Trafs) != 2 || moof.Trafs[0].Tfhd.Flags&0x20000 == 0 {
		t.Fatalf("%d trafs, tfhd flags %#x", len(moof.Trafs), moof.Trafs[0].Tfhd.Flags)
	}
	encode := func() []byte {
		var b bytes.Buffer
		if err := moof.Encode(&b); err != nil {
			t.Fatal(err)
		}
		if err := mdat.Encode(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var want [3][]byte
	for _, k := range kinds {
		want[k.id], _ = cmafx.SplitSegment(frag, k.id)
	}
	check := func(name string, seg []byte) {
		for _, k := range kinds {
			if got, err := cmafx.SplitSegment(seg, k.id); err != nil || !bytes.Equal(got, want[k.id]) {
				t.Errorf("%s, %s: %v, the same as from the moof: %t", name, k.kind, err, bytes.Equal(got, want[k.id]))
			}
		}
	}
	// Explicit: each tfhd gains 8 bytes, which move the data.
	for _, traf := range moof.Trafs {
		traf.Tfhd.Flags = traf.Tfhd.Flags&^0x20000 | 0x1
		traf.Tfhd.BaseDataOffset = 0 // the moof starts the segment
	}
	for _, traf := range moof.Trafs {
		traf.Trun.DataOffset += 16
	}
	check("base_data_offset", encode())
	// Implicit: the first traf counts from the moof, the second from where
	// the first's data ends; its trun loses 4 bytes of data_offset.
	for _, traf := range moof.Trafs {
		traf.Tfhd.Flags &^= 0x1
		traf.Trun.DataOffset -= 16 + 4
	}
	moof.Trafs[1].Trun.Flags &^= 0x1
	check("implicit", encode())
	// And a data offset 4 bytes off is noticed.
	moof.Trafs[0].Trun.DataOffset += 4
	if got, err := cmafx.SplitSegment(encode(), 1); err == nil && bytes.Equal(got, want[1]) {
		t.Error("a wrong data_offset split as the right one")
	}
}
