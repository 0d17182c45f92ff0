package cmafx_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"onair/internal/cmafx"
)

var testKey = cmafx.Key{
	KID: [16]byte{0x6f, 0x6e, 0x61, 0x69, 0x72, 0x2d, 0x6b, 0x69, 0x64, 0x2d, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31},
	Key: [16]byte{0x3c, 0x1f, 0x5a, 0x77, 0x90, 0x02, 0xe4, 0x6b, 0xd8, 0x11, 0x4f, 0xa3, 0x26, 0x9c, 0x0b, 0x5e},
	IV:  [16]byte{0xa5, 0x01, 0x7e, 0x42, 0x19, 0xc8, 0x33, 0x60, 0x0d, 0xf4, 0x8b, 0x2a, 0x95, 0x57, 0xe1, 0x0c},
}

// protected is one track of a source, in the clear and encrypted.
type protected struct {
	init, encInit []byte
	segs, encSegs [][]byte
}

func protect(t testing.TB, src *source, id uint32, scheme string, k cmafx.Key) *protected {
	t.Helper()
	p := &protected{}
	p.init, p.segs = split(t, src, id)
	pr, encInit, err := cmafx.NewProtector(p.init, k, scheme, []cmafx.PSSH{{SystemID: cmafx.ClearKeySystemID, KIDs: [][16]byte{k.KID}}})
	if err != nil {
		t.Fatalf("NewProtector of track %d: %v", id, err)
	}
	p.encInit = encInit
	for i, seg := range p.segs {
		enc, err := pr.Segment(seg)
		if err != nil {
			t.Fatalf("Segment %d of track %d: %v", i, id, err)
		}
		p.encSegs = append(p.encSegs, enc)
	}
	return p
}

// decode reads a file with mp4ff, which checks on its own how senc, saiz and
// saio fit together.
func decode(t testing.TB, init []byte, segs ...[]byte) *mp4.File {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(bytes.Join(append([][]byte{init}, segs...), nil)))
	if err != nil {
		t.Fatalf("mp4ff: %v", err)
	}
	return f
}

// samples are the sample data of every fragment of a file, as mp4ff reads it.
func samples(t testing.TB, f *mp4.File) [][]byte {
	t.Helper()
	var out [][]byte
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			fs, err := fr.GetFullSamples(f.Init.Moov.Mvex.Trex)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range fs {
				out = append(out, x.Data)
			}
		}
	}
	return out
}

// TestProtect encrypts the video and the audio of ffmpeg's and onair's
// output with each scheme: the protected init section names the same codec
// (encv/enca with frma), with a tenc as the scheme wants and a ClearKey
// pssh with the key id; Decrypt gives back the clear segments byte for
// byte, a wrong key does not; mp4ff decrypts them to the clear samples too;
// ffmpeg, given the key, decodes the same frames as from the clear track,
// and other frames or none with a wrong key.
func TestProtect(t *testing.T) {
	wrong := testKey.Key
	wrong[0] ^= 1
	for _, src := range []*source{ffmpegSource(t), onairSource(t, "libx264")} {
		for _, scheme := range []string{"cenc", "cbcs"} {
			for _, k := range kinds {
				t.Run(src.name+"/"+scheme+"/"+k.kind, func(t *testing.T) {
					p := protect(t, src, k.id, scheme, testKey)
					clear, _ := cmafx.Tracks(p.init)
					enc, err := cmafx.Tracks(p.encInit)
					if err != nil || !reflect.DeepEqual(enc, clear) {
						t.Errorf("the protected init's tracks: %+v (%v), want %+v", enc, err, clear)
					}
					checkInit(t, decode(t, p.encInit), scheme, k.kind)
					for i, seg := range p.encSegs {
						if bytes.Equal(seg, p.segs[i]) {
							t.Fatalf("segment %d is the same encrypted", i)
						}
						if got, err := cmafx.Decrypt(p.encInit, seg, testKey.Key); err != nil || !bytes.Equal(got, p.segs[i]) {
							t.Errorf("Decrypt of segment %d: %v; the clear segment back: %t", i, err, bytes.Equal(got, p.segs[i]))
						}
						if got, err := cmafx.Decrypt(p.encInit, seg, wrong); err != nil || bytes.Equal(got, p.segs[i]) {
							t.Errorf("Decrypt of segment %d with a wrong key: %v; the clear segment back: %t", i, err, bytes.Equal(got, p.segs[i]))
						}
					}
					f := decode(t, p.encInit, p.encSegs...)
					di, err := mp4.DecryptInit(f.Init)
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range f.Segments {
						if err := mp4.DecryptSegment(s, di, testKey.Key[:]); err != nil {
							t.Fatalf("mp4ff decrypting: %v", err)
						}
					}
					if !reflect.DeepEqual(samples(t, f), samples(t, decode(t, p.init, p.segs...))) {
						t.Error("mp4ff decrypts other samples")
					}
					ffmpegDecrypts(t, p, k.spec, wrong)
				})
			}
		}
	}
}

// ffmpegDecrypts has ffmpeg decrypt each fragment of a protected track,
// with the key and with a wrong one. ffmpeg 5.1 decrypts only the first
// fragment of a fragmented file (not even its own fragmented CENC output,
// checked by hand), so it is given one fragment at a time, after the init
// section: with the key, the packets it reads are the clear ones, with
// their timestamps; with a wrong key they are not. The first fragment of a
// segment starts with a keyframe: ffmpeg also decodes it to the frames of
// the clear one.
func ffmpegDecrypts(t *testing.T, p *protected, spec string, wrong [16]byte) {
	t.Helper()
	key, bad := hex.EncodeToString(testKey.Key[:]), hex.EncodeToString(wrong[:])
	n := 0
	for i := range p.segs {
		clear, enc := fragments(t, p.segs[i]), fragments(t, p.encSegs[i])
		if len(clear) != len(enc) {
			t.Fatalf("segment %d: %d fragments encrypted, %d clear", i, len(enc), len(clear))
		}
		for j := range clear {
			c, e := file(t, "clear.mp4", p.init, clear[j]), file(t, "enc.mp4", p.encInit, enc[j])
			want := frameMD5(t, c, spec, md5Options{packets: true})
			if got := frameMD5(t, e, spec, md5Options{packets: true, key: key}); !reflect.DeepEqual(got, want) || len(want) == 0 {
				t.Errorf("segment %d fragment %d: ffmpeg decrypts %d packets, not the %d clear ones", i, j, len(got), len(want))
			}
			if got := frameMD5(t, e, spec, md5Options{packets: true, key: bad, mayFail: true}); reflect.DeepEqual(got, want) {
				t.Errorf("segment %d fragment %d: ffmpeg decrypts the clear packets with a wrong key", i, j)
			}
			if j == 0 {
				want := frameMD5(t, c, spec, md5Options{})
				if got := frameMD5(t, e, spec, md5Options{key: key}); !reflect.DeepEqual(got, want) {
					t.Errorf("segment %d: ffmpeg decodes %d frames, not the %d clear ones", i, len(got), len(want))
				}
			}
			n++
		}
	}
	t.Logf("ffmpeg decrypted %d fragments", n)
}

// checkInit checks the protection boxes of a protected init section.
func checkInit(t *testing.T, f *mp4.File, scheme, kind string) {
	t.Helper()
	stsd := f.Init.Moov.Trak.Mdia.Minf.Stbl.Stsd
	var sinf *mp4.SinfBox
	switch {
	case kind == "video" && stsd.Encv != nil:
		sinf = stsd.Encv.Sinf
	case kind == "audio" && stsd.Enca != nil:
		sinf = stsd.Enca.Sinf
	default:
		t.Fatalf("no encv/enca for %s", kind)
	}
	tenc := sinf.Schi.Tenc
	if sinf.Schm.SchemeType != scheme || !bytes.Equal(tenc.DefaultKID, testKey.KID[:]) || tenc.DefaultIsProtected != 1 {
		t.Errorf("schm %q, tenc %+v", sinf.Schm.SchemeType, tenc)
	}
	switch {
	case scheme == "cenc":
		if tenc.Version != 0 || tenc.DefaultPerSampleIVSize != 16 || tenc.DefaultConstantIV != nil {
			t.Errorf("a cenc tenc %+v", tenc)
		}
	case tenc.Version != 1 || tenc.DefaultPerSampleIVSize != 0 || !bytes.Equal(tenc.DefaultConstantIV, testKey.IV[:]):
		t.Errorf("a cbcs tenc without the constant IV: %+v", tenc)
	case kind == "video" && (tenc.DefaultCryptByteBlock != 1 || tenc.DefaultSkipByteBlock != 9):
		t.Errorf("a cbcs video pattern of %d:%d, want 1:9", tenc.DefaultCryptByteBlock, tenc.DefaultSkipByteBlock)
	case kind == "audio" && (tenc.DefaultCryptByteBlock != 0 || tenc.DefaultSkipByteBlock != 0):
		t.Errorf("a cbcs audio pattern of %d:%d, want 0:0 (every whole block)", tenc.DefaultCryptByteBlock, tenc.DefaultSkipByteBlock)
	}
	pssh := f.Init.Moov.Pssh
	if pssh == nil || !bytes.Equal(pssh.SystemID, cmafx.ClearKeySystemID[:]) || pssh.Version != 1 || len(pssh.KIDs) != 1 ||
		!bytes.Equal(pssh.KIDs[0], testKey.KID[:]) {
		t.Errorf("pssh %+v", pssh)
	}
}

// TestProtectRefuses: H.265 is not encrypted (ErrUnsupported), nor a muxed
// init section or segment, nor an unknown scheme, nor a segment twice.
func TestProtectRefuses(t *testing.T) {
	hevc := onairSource(t, "libx265")
	init, _ := cmafx.SplitInit(hevc.init, 1)
	_, _, err := cmafx.NewProtector(init, testKey, "cenc", nil)
	if !errors.Is(err, cmafx.ErrUnsupported) || !strings.Contains(err.Error(), "encryption of hvc1 is not supported") {
		t.Errorf("H.265: %v", err)
	}
	protect(t, hevc, 2, "cenc", testKey) // its audio can be
	src := onairSource(t, "libx264")
	if _, _, err := cmafx.NewProtector(src.init, testKey, "cenc", nil); err == nil {
		t.Error("a muxed init section was taken")
	}
	init, segs := split(t, src, 1)
	if _, _, err := cmafx.NewProtector(init, testKey, "cens", nil); err == nil {
		t.Error("scheme cens was taken")
	}
	p, _, err := cmafx.NewProtector(init, testKey, "cenc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Segment(src.segs[0]); err == nil {
		t.Error("a muxed segment was taken")
	}
	audio, _ := cmafx.SplitSegment(src.segs[0], 2)
	if _, err := p.Segment(audio); err == nil {
		t.Error("another track's segment was taken")
	}
	enc, err := p.Segment(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Segment(enc); err == nil {
		t.Error("an encrypted segment was encrypted again")
	}
}
