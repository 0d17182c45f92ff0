package cmafx

import (
	"fmt"
	"math/bits"
)

// item is one part of a segment, in order: a box kept as it is (styp,
// emsg) or a fragment. Other top-level boxes (sidx, prft, free) are left
// out: once a segment is split or encrypted they would be wrong or say
// nothing.
type item struct {
	raw  []byte
	frag *fragment
}

// fragment is a moof and the mdat after it.
type fragment struct {
	at    int    // where the moof starts in the segment
	mfhd  []byte // as read
	trafs []*trackFrag
	mdat  [2]int // where the mdat's payload starts and ends
}

// trackFrag is one traf of a fragment.
type trackFrag struct {
	kids    []*node // as read, in order
	tfhd    tfhd
	time    uint64 // tfdt's baseMediaDecodeTime
	hasTime bool
	truns   []*trun
	spans   [][2]int // where each trun's samples are in the segment, once located
	err     error    // why they could not be located
}

type tfhd struct {
	flags, id             uint32
	base                  uint64
	sdi, dur, size, sflag uint32
}

type trun struct {
	version byte
	flags   uint32
	offset  int32
	first   uint32 // first_sample_flags
	samples []sample
}

// sample is a trun's entry as written: fields the trun leaves out are 0.
type sample struct{ dur, size, flags, cto uint32 }

// maxDefaultSamples bounds the samples of a trun whose entries are empty
// (all taken from defaults), for which the box size says nothing.
const maxDefaultSamples = 1 << 20

func parseSegment(seg []byte) ([]item, error) {
	boxes, err := parseBoxes(seg, 0, 0, false)
	if err != nil {
		return nil, err
	}
	var items []item
	frags := 0
	for i := 0; i < len(boxes); i++ {
		switch n := boxes[i]; n.typ {
		case "styp", "emsg":
			items = append(items, item{raw: n.raw})
		case "moof":
			if i+1 == len(boxes) || boxes[i+1].typ != "mdat" {
				return nil, malformed("the moof at %d is not followed by an mdat", n.at)
			}
			f, err := parseFragment(n, boxes[i+1])
			if err != nil {
				return nil, err
			}
			items = append(items, item{frag: f})
			frags++
			i++
		case "mdat":
			return nil, malformed("an mdat at %d without a moof", n.at)
		}
	}
	if frags == 0 {
		return nil, malformed("no fragment (moof and mdat) in the segment")
	}
	return items, nil
}

func parseFragment(moof, mdat *node) (*fragment, error) {
	f := &fragment{at: moof.at, mdat: [2]int{mdat.at + mdat.hdr, mdat.at + len(mdat.raw)}}
	for _, k := range moof.kids {
		switch k.typ {
		case "mfhd":
			if len(k.raw) != 16 {
				return nil, malformed("an mfhd of %d bytes at %d", len(k.raw), k.at)
			}
			f.mfhd = k.raw
		case "traf":
			tf, err := parseTraf(k)
			if err != nil {
				return nil, err
			}
			f.trafs = append(f.trafs, tf)
		}
	}
	if f.mfhd == nil {
		return nil, malformed("the moof at %d has no mfhd", moof.at)
	}
	return f, nil
}

func parseTraf(traf *node) (*trackFrag, error) {
	tf := &trackFrag{kids: traf.kids}
	hasTfhd := false
	for _, k := range traf.kids {
		if !k.leaf {
			continue
		}
		r := reader{b: k.payload()}
		switch k.typ {
		case "tfhd":
			h := &tf.tfhd
			h.flags = r.u32() & 0xffffff
			h.id = r.u32()
			if h.flags&0x1 != 0 {
				h.base = r.u64()
			}
			field := func(flag uint32, v *uint32) {
				if h.flags&flag != 0 {
					*v = r.u32()
				}
			}
			field(0x2, &h.sdi)
			field(0x8, &h.dur)
			field(0x10, &h.size)
			field(0x20, &h.sflag)
			hasTfhd = !r.bad
		case "tfdt":
			if r.u8() == 1 {
				r.next(3)
				tf.time = r.u64()
			} else {
				r.next(3)
				tf.time = uint64(r.u32())
			}
			tf.hasTime = !r.bad
		case "trun":
			t, err := parseTrun(&r)
			if err != nil {
				return nil, fmt.Errorf("the trun at %d: %w", k.at, err)
			}
			tf.truns = append(tf.truns, t)
		}
		if r.bad {
			return nil, malformed("box %q at %d cut short", k.typ, k.at)
		}
	}
	if !hasTfhd {
		return nil, malformed("the traf at %d has no tfhd", traf.at)
	}
	return tf, nil
}

func parseTrun(r *reader) (*trun, error) {
	vf, count := r.u32(), r.u32()
	t := &trun{version: byte(vf >> 24), flags: vf & 0xffffff}
	if t.flags&0x1 != 0 {
		t.offset = int32(r.u32())
	}
	if t.flags&0x4 != 0 {
		t.first = r.u32()
	}
	per := 4 * bits.OnesCount32(t.flags&0xf00)
	if r.bad || per == 0 && count > maxDefaultSamples || per > 0 && uint64(count)*uint64(per) > uint64(r.left()) {
		return nil, malformed("%d samples do not fit", count)
	}
	t.samples = make([]sample, count)
	for i := range t.samples {
		s := &t.samples[i]
		for _, f := range []struct {
			flag uint32
			v    *uint32
		}{{0x100, &s.dur}, {0x200, &s.size}, {0x400, &s.flags}, {0x800, &s.cto}} {
			if t.flags&f.flag != 0 {
				*f.v = r.u32()
			}
		}
	}
	return t, nil
}

// duration is sample i's duration: its own, the traf's default, the trex's.
func (t *trun) duration(i int, h *tfhd, x *trex) (uint32, error) {
	switch {
	case t.flags&0x100 != 0:
		return t.samples[i].dur, nil
	case h.flags&0x8 != 0:
		return h.dur, nil
	case x != nil:
		return x.dur, nil
	}
	return 0, malformed("track %d: no sample duration and no trex", h.id)
}

// size is sample i's size, found as its duration is.
func (t *trun) size(i int, h *tfhd, x *trex) (uint32, error) {
	switch {
	case t.flags&0x200 != 0:
		return t.samples[i].size, nil
	case h.flags&0x10 != 0:
		return h.size, nil
	case x != nil:
		return x.size, nil
	}
	return 0, unsupported("track %d: its sample sizes are only in the init section's trex", h.id)
}

// locate finds where each trun's samples are in the segment (ISO/IEC
// 14496-12 8.8.7.1: a traf's data starts at its base data offset, the moof,
// or where the previous traf's data ends), with defaults from trex (nil when
// there is no init section), and checks that they lie in the mdat. A traf
// whose data cannot be placed keeps the reason in err.
func (f *fragment) locate(trexOf func(id uint32) *trex) {
	end, endKnown := f.at, true
	for i, tf := range f.trafs {
		base, h := end, &tf.tfhd
		switch {
		case h.flags&0x1 != 0 && h.base > uint64(f.mdat[1]):
			tf.err = malformed("track %d: a base data offset past the fragment at %d", h.id, f.at)
			endKnown = false
			continue
		case h.flags&0x1 != 0:
			// Counted from the start of the segment: onair's segments are
			// files of their own.
			base = int(h.base)
		case h.flags&0x20000 != 0 || i == 0:
			base = f.at
		case !endKnown:
			tf.err = unsupported("track %d: its data follows a traf whose data cannot be placed", h.id)
			continue
		}
		x, next := trexOf(h.id), base
		tf.spans, tf.err = nil, nil
		for _, t := range tf.truns {
			start := next
			if t.flags&0x1 != 0 {
				start = base + int(t.offset)
			}
			var size int64
			for j := range t.samples {
				s, err := t.size(j, h, x)
				if err != nil {
					tf.err = err
					break
				}
				size += int64(s)
			}
			if tf.err == nil && (start < f.mdat[0] || start > f.mdat[1] || size > int64(f.mdat[1]-start)) {
				tf.err = malformed("track %d: samples outside the mdat of the fragment at %d", h.id, f.at)
			}
			if tf.err != nil {
				break
			}
			next = start + int(size)
			tf.spans = append(tf.spans, [2]int{start, next})
		}
		end, endKnown = next, tf.err == nil
	}
}

// track is the traf of track id in f, or nil.
func (f *fragment) track(id uint32) (*trackFrag, error) {
	var found *trackFrag
	for _, tf := range f.trafs {
		if tf.tfhd.id != id {
			continue
		}
		if found != nil {
			return nil, unsupported("two trafs of track %d in the fragment at %d", id, f.at)
		}
		found = tf
	}
	return found, nil
}

func (tf *trackFrag) count() int {
	n := 0
	for _, t := range tf.truns {
		n += len(t.samples)
	}
	return n
}

// encrypted reports whether tf carries sample auxiliary information.
func (tf *trackFrag) encrypted() bool {
	for _, k := range tf.kids {
		if k.typ == "senc" || k.typ == "saiz" || k.typ == "saio" {
			return true
		}
	}
	return false
}
