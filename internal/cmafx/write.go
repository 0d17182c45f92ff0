package cmafx

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
)

// fragOut is a single-track fragment being written: the moof's mfhd, the
// traf's children and the truns' sample data. Offsets that depend on where
// things land are set by write.
type fragOut struct {
	mfhd       []byte
	kids       [][]byte
	truns      []int // indexes in kids of the truns
	data       [][]byte
	saio, senc int // indexes in kids; -1 without
}

// single starts the fragment of tf alone, with the traf's boxes as they
// were but for tfhd and trun, written so that the data offsets count from
// the moof; children whose type drop names are left out.
func (f *fragment) single(seg []byte, tf *trackFrag, drop ...string) *fragOut {
	o := &fragOut{mfhd: f.mfhd, saio: -1, senc: -1}
	ti := 0
	for _, k := range tf.kids {
		switch {
		case k.typ == "tfhd":
			o.kids = append(o.kids, tf.tfhd.encode())
		case k.typ == "trun":
			o.truns = append(o.truns, len(o.kids))
			o.kids = append(o.kids, tf.truns[ti].encode())
			o.data = append(o.data, seg[tf.spans[ti][0]:tf.spans[ti][1]])
			ti++
		case !slices.Contains(drop, k.typ):
			o.kids = append(o.kids, k.raw)
		}
	}
	return o
}

// write appends the fragment (moof, mdat) to w.
func (o *fragOut) write(w *bytes.Buffer) error {
	traf := 8
	for _, k := range o.kids {
		traf += len(k)
	}
	moof := 8 + len(o.mfhd) + traf
	total := moof + 8
	for _, d := range o.data {
		total += len(d)
	}
	if total > math.MaxInt32 {
		return unsupported("a fragment of %d bytes", total)
	}
	off := moof + 8
	for i, k := range o.truns {
		binary.BigEndian.PutUint32(o.kids[k][16:], uint32(off)) // data_offset
		off += len(o.data[i])
	}
	if o.saio >= 0 && o.senc >= 0 {
		at := 8 + len(o.mfhd) + 8
		for _, k := range o.kids[:o.senc] {
			at += len(k)
		}
		// Relative to the moof (default-base-is-moof): the senc's first
		// entry, after its header, version, flags and sample count.
		binary.BigEndian.PutUint32(o.kids[o.saio][16:], uint32(at+16))
	}
	w.Write(header("moof", moof))
	w.Write(o.mfhd)
	w.Write(header("traf", traf))
	for _, k := range o.kids {
		w.Write(k)
	}
	w.Write(header("mdat", total-moof))
	for _, d := range o.data {
		w.Write(d)
	}
	return nil
}

// encode writes the tfhd with its data counted from the moof.
func (h *tfhd) encode() []byte {
	flags := h.flags&^0x1 | 0x20000
	body := binary.BigEndian.AppendUint32(nil, h.id)
	for _, f := range []struct {
		flag, v uint32
	}{{0x2, h.sdi}, {0x8, h.dur}, {0x10, h.size}, {0x20, h.sflag}} {
		if flags&f.flag != 0 {
			body = binary.BigEndian.AppendUint32(body, f.v)
		}
	}
	return fullBox("tfhd", 0, flags, body)
}

// encode writes the trun with a data_offset, which fragOut.write sets.
func (t *trun) encode() []byte {
	flags := t.flags | 0x1
	body := binary.BigEndian.AppendUint32(nil, uint32(len(t.samples)))
	body = binary.BigEndian.AppendUint32(body, 0)
	if flags&0x4 != 0 {
		body = binary.BigEndian.AppendUint32(body, t.first)
	}
	for _, s := range t.samples {
		for _, f := range []struct {
			flag, v uint32
		}{{0x100, s.dur}, {0x200, s.size}, {0x400, s.flags}, {0x800, s.cto}} {
			if flags&f.flag != 0 {
				body = binary.BigEndian.AppendUint32(body, f.v)
			}
		}
	}
	return fullBox("trun", t.version, flags, body)
}
