package cmafx

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// protection is what a protected track's sinf says.
type protection struct {
	scheme      string
	crypt, skip byte
	ivSize      int
	constIV     []byte
}

// protectionOf reads the sinf of a protected sample entry; nil for a track
// in the clear.
func protectionOf(trak *node) (*protection, error) {
	stsd := trak.path("mdia", "minf", "stbl", "stsd")
	if stsd == nil || len(stsd.kids) == 0 {
		return nil, malformed("a trak without a sample entry")
	}
	if e := stsd.kids[0]; e.typ != "encv" && e.typ != "enca" {
		return nil, nil
	}
	schm := stsd.kids[0].path("sinf", "schm")
	tenc := stsd.kids[0].path("sinf", "schi", "tenc")
	if schm == nil || tenc == nil || !schm.leaf || !tenc.leaf {
		return nil, malformed("a protected sample entry without schm or tenc")
	}
	s := reader{b: schm.payload()}
	s.next(4)
	p := &protection{scheme: string(s.next(4))}
	r := reader{b: tenc.payload()}
	version := r.u8()
	r.next(4) // flags, reserved
	if pattern := r.u8(); version > 0 {
		p.crypt, p.skip = pattern>>4, pattern&0xf
	}
	protected := r.u8()
	p.ivSize = int(r.u8())
	r.next(16) // the key id
	if protected == 1 && p.ivSize == 0 {
		n := int(r.u8())
		if n > r.left() {
			return nil, malformed("a tenc cut short")
		}
		p.constIV = r.next(n)
	}
	switch {
	case s.bad || r.bad:
		return nil, malformed("schm or tenc cut short")
	case p.scheme != "cenc" && p.scheme != "cbcs":
		return nil, unsupported("protection scheme %q", p.scheme)
	case p.ivSize != 0 && p.ivSize != 8 && p.ivSize != 16, p.ivSize == 0 && len(p.constIV) != 8 && len(p.constIV) != 16:
		return nil, malformed("a tenc with IVs of %d bytes", max(p.ivSize, len(p.constIV)))
	}
	return p, nil
}

// Decrypt decrypts a segment of a track that NewProtector protected, given
// the protected init section and the key, and returns the segment in the
// clear: what SplitSegment gave before it was encrypted. It is for tests
// and for onair's own checks of what it serves.
func Decrypt(protectedInit, seg []byte, key [16]byte) ([]byte, error) {
	t, err := parseInit(protectedInit)
	if err != nil {
		return nil, err
	}
	items, err := parseSegment(seg)
	if err != nil {
		return nil, err
	}
	var w bytes.Buffer
	for _, it := range items {
		if it.frag == nil {
			w.Write(it.raw)
			continue
		}
		f := it.frag
		if len(f.trafs) != 1 {
			return nil, fmt.Errorf("cmafx: the fragment at %d has %d tracks, not one", f.at, len(f.trafs))
		}
		tf := f.trafs[0]
		trak, err := t.trak(tf.tfhd.id)
		if err != nil {
			return nil, err
		}
		x, err := t.trex(tf.tfhd.id)
		if err != nil {
			return nil, err
		}
		prot, err := protectionOf(trak)
		if err != nil {
			return nil, err
		}
		f.locate(func(uint32) *trex { return x })
		if tf.err != nil {
			return nil, tf.err
		}
		o := f.single(seg, tf, "senc", "saiz", "saio")
		if prot != nil {
			for i := range o.data {
				o.data[i] = bytes.Clone(o.data[i])
			}
			if err := decryptFrag(tf, o, x, prot, key); err != nil {
				return nil, fmt.Errorf("cmafx: the fragment at %d: %w", f.at, err)
			}
		}
		if err := o.write(&w); err != nil {
			return nil, err
		}
	}
	return w.Bytes(), nil
}

// decryptFrag decrypts o's samples in place with what tf's senc says.
func decryptFrag(tf *trackFrag, o *fragOut, x *trex, prot *protection, key [16]byte) error {
	var senc *node
	for _, k := range tf.kids {
		if k.typ == "senc" {
			senc = k
		}
	}
	if senc == nil {
		return malformed("a protected fragment without senc")
	}
	r := reader{b: senc.payload()}
	flags := r.u32() & 0xffffff
	if n := r.u32(); int(n) != tf.count() {
		return malformed("a senc of %d samples for %d", n, tf.count())
	}
	tenc := &mp4.TencBox{DefaultCryptByteBlock: prot.crypt, DefaultSkipByteBlock: prot.skip}
	for ti, t := range tf.truns {
		data := o.data[ti]
		for i := range t.samples {
			n, err := t.size(i, &tf.tfhd, x)
			if err != nil {
				return err
			}
			s := data[:n:n]
			data = data[n:]
			iv := make([]byte, 16)
			copy(iv, prot.constIV)
			if prot.ivSize > 0 {
				copy(iv, r.next(prot.ivSize))
				clear(iv[prot.ivSize:])
			}
			var ranges []mp4.SubSamplePattern
			if flags&0x2 != 0 {
				count := int(r.u16())
				if count*6 > r.left() {
					return malformed("a senc cut short")
				}
				total := 0
				for j := 0; j < count; j++ {
					p := mp4.SubSamplePattern{BytesOfClearData: r.u16(), BytesOfProtectedData: r.u32()}
					total += int(p.BytesOfClearData) + int(p.BytesOfProtectedData)
					ranges = append(ranges, p)
				}
				if total > len(s) {
					return malformed("subsamples of %d bytes in a sample of %d", total, len(s))
				}
			}
			if r.bad {
				return malformed("a senc cut short")
			}
			if prot.scheme == "cenc" {
				err = mp4.CryptSampleCenc(s, key[:], iv, ranges)
			} else {
				err = mp4.DecryptSampleCbcs(s, key[:], iv, ranges, tenc)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
