package cmafx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"

	"onair/internal/cmafx"
)

// TestDeterministic: the same input and key give the same bytes, from one
// protector or another, one goroutine or several, for both schemes; the
// input is left as it was.
func TestDeterministic(t *testing.T) {
	src := onairSource(t, "libx264")
	for _, scheme := range []string{"cenc", "cbcs"} {
		for _, k := range kinds {
			init, segs := split(t, src, k.id)
			p1, init1, err := cmafx.NewProtector(init, testKey, scheme, nil)
			if err != nil {
				t.Fatal(err)
			}
			p2, init2, err := cmafx.NewProtector(init, testKey, scheme, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(init1, init2) {
				t.Errorf("%s %s: two protected init sections differ", scheme, k.kind)
			}
			want := make([][]byte, len(segs))
			for i, seg := range segs {
				before := bytes.Clone(seg)
				if want[i], err = p1.Segment(seg); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(seg, before) {
					t.Fatalf("%s %s segment %d: Segment changed its input", scheme, k.kind, i)
				}
				if again, err := p2.Segment(seg); err != nil || !bytes.Equal(again, want[i]) {
					t.Errorf("%s %s segment %d: encrypted twice, the bytes differ (%v)", scheme, k.kind, i, err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan string, 4*len(segs))
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := len(segs) - 1; i >= 0; i-- {
						if got, err := p1.Segment(segs[i]); err != nil || !bytes.Equal(got, want[i]) {
							errs <- hex.EncodeToString(got[:min(16, len(got))])
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Errorf("%s %s: a concurrent Segment gave other bytes (%s…)", scheme, k.kind, e)
			}
		}
	}
}

// counter is the CTR counter range of one sample: its 16-byte IV and how
// many AES blocks it takes.
type counter struct {
	iv     []byte
	blocks uint64
}

// counters reads the counter ranges of each fragment of an encrypted track.
func counters(t *testing.T, p *protected) [][]counter {
	t.Helper()
	f := decode(t, p.encInit, p.encSegs...)
	var out [][]counter
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			senc := fr.Moof.Traf.Senc
			fs, err := fr.GetFullSamples(f.Init.Moov.Mvex.Trex)
			if err != nil || senc == nil || len(senc.IVs) != len(fs) {
				t.Fatalf("a fragment with %d samples, senc %v: %v", len(fs), senc != nil, err)
			}
			var cs []counter
			for i, iv := range senc.IVs {
				protected := uint64(len(fs[i].Data))
				if len(senc.SubSamples) > 0 {
					protected = 0
					for _, r := range senc.SubSamples[i] {
						protected += uint64(r.BytesOfProtectedData)
					}
				}
				cs = append(cs, counter{iv: iv, blocks: (protected + 15) / 16})
			}
			out = append(out, cs)
		}
	}
	return out
}

// TestIVs: with cenc, no AES-CTR counter block is used twice under one key.
// Within a fragment, samples share an 8-byte IV whose block counter starts
// at 0 and runs on past each sample's blocks; fragments, of the video and
// the audio under the same key, all have different 8-byte IVs. A fragment
// at the same decode time as another but with other samples (a channel's
// timeline starting over) gets another IV too; a different Key.IV gives
// other IVs.
func TestIVs(t *testing.T) {
	src := onairSource(t, "libx264")
	seen := map[string]string{}
	for _, k := range kinds {
		for fi, cs := range counters(t, protect(t, src, k.id, "cenc", testKey)) {
			where := fmt.Sprintf("%s fragment %d", k.kind, fi)
			if len(cs[0].iv) != 16 || binary.BigEndian.Uint64(cs[0].iv[8:]) != 0 {
				t.Fatalf("%s: first IV %x", where, cs[0].iv)
			}
			prefix := string(cs[0].iv[:8])
			if other, ok := seen[prefix]; ok {
				t.Errorf("%s has the IV of %s: %x", where, other, cs[0].iv)
			}
			seen[prefix] = where
			for i := 1; i < len(cs); i++ {
				prev, cur := binary.BigEndian.Uint64(cs[i-1].iv[8:]), binary.BigEndian.Uint64(cs[i].iv[8:])
				if string(cs[i].iv[:8]) != prefix || cur < prev+cs[i-1].blocks {
					t.Errorf("%s sample %d: IV %x overlaps the %d blocks of %x", where, i, cs[i].iv, cs[i-1].blocks, cs[i-1].iv)
				}
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d fragments", len(seen))
	}

	// Segment 1 moved back to the decode time of segment 0.
	init, segs := split(t, src, 1)
	start0, _, _ := cmafx.Timing(init, segs[0], 1)
	start1, _, _ := cmafx.Timing(init, segs[1], 1)
	i := bytes.Index(segs[1], []byte("tfdt"))
	if i < 0 || segs[1][i+4] != 1 || binary.BigEndian.Uint64(segs[1][i+8:]) != start1 {
		t.Fatal("no tfdt version 1 with the segment's start")
	}
	moved := bytes.Clone(segs[1])
	binary.BigEndian.PutUint64(moved[i+8:], start0)
	p, _, err := cmafx.NewProtector(init, testKey, "cenc", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := firstIV(t, p, segs[0]), firstIV(t, p, moved)
	if bytes.Equal(a[:8], b[:8]) {
		t.Errorf("two fragments at decode time %d with other samples have the same IV %x", start0, a)
	}
	other := testKey
	other.IV[15] ^= 1
	q, _, err := cmafx.NewProtector(init, other, "cenc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := firstIV(t, q, segs[0]); bytes.Equal(a, c) {
		t.Errorf("another Key.IV gives the same IV %x", a)
	}
}

// firstIV is the IV of the first sample of a segment p encrypts.
func firstIV(t *testing.T, p *cmafx.Protector, seg []byte) []byte {
	t.Helper()
	enc, err := p.Segment(seg)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(enc, []byte("senc"))
	if i < 0 {
		t.Fatal("no senc")
	}
	// After the type: version and flags, the sample count, then the IV.
	return enc[i+12 : i+28]
}
