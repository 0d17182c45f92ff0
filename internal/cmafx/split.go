package cmafx

import (
	"bytes"
	"fmt"
)

// SplitInit returns an init section (ftyp, moov) that holds only track id:
// its trak and its trex, with the moov's other boxes (mvhd, pssh) as they
// were.
func SplitInit(init []byte, id uint32) ([]byte, error) {
	t, err := parseInit(init)
	if err != nil {
		return nil, err
	}
	trak, err := t.trak(id)
	if err != nil {
		return nil, err
	}
	if _, err := t.trex(id); err != nil {
		return nil, err
	}
	var kids []*node
	for _, k := range t.moov.kids {
		switch k.typ {
		case "trak":
			if k != trak {
				continue
			}
		case "mvex":
			var keep []*node
			for _, m := range k.kids {
				if m.typ == "trex" && trexID(m) != id {
					continue
				}
				keep = append(keep, m)
			}
			k = k.with(keep)
		}
		kids = append(kids, k)
	}
	var w bytes.Buffer
	if t.ftyp != nil {
		t.ftyp.write(&w)
	}
	t.moov.with(kids).write(&w)
	return w.Bytes(), nil
}

// trexID is the track a trex is of; 0 (no track has it) if cut short.
func trexID(n *node) uint32 {
	r := reader{b: n.payload()}
	r.next(4)
	return r.u32()
}

// SplitSegment returns the part of a media segment that is track id's: for
// every fragment of seg with samples of the track, one moof (its mfhd as it
// was, only that track's traf, data offsets counted from the moof) and one
// mdat holding only that track's samples. Fragments without a sample of the
// track are left out; a styp or emsg is kept, other top-level boxes (sidx)
// are not. A segment with no sample of the track at all is ErrNoSamples.
//
// seg is read as a file of its own: a base_data_offset counts from its
// start. It must be in the clear; encrypt after splitting.
func SplitSegment(seg []byte, id uint32) ([]byte, error) {
	return rewriteFragments(seg, id, func(f *fragment, w *bytes.Buffer) (bool, error) {
		tf, err := f.track(id)
		if err != nil {
			return false, err
		}
		if tf == nil || tf.count() == 0 {
			return false, nil
		}
		if tf.encrypted() {
			return false, unsupported("track %d is encrypted: split before encrypting", id)
		}
		f.locate(func(uint32) *trex { return nil })
		if tf.err != nil {
			return false, tf.err
		}
		return true, f.single(seg, tf).write(w)
	})
}

// rewriteFragments writes seg again for track id: what stands between
// fragments as it is, and each fragment as one calls it, which writes it
// to w and says whether it did (false: the fragment is left out). A
// segment of which no fragment was written is ErrNoSamples.
func rewriteFragments(seg []byte, id uint32, one func(f *fragment, w *bytes.Buffer) (bool, error)) ([]byte, error) {
	items, err := parseSegment(seg)
	if err != nil {
		return nil, err
	}
	var w bytes.Buffer
	found := false
	for _, it := range items {
		if it.frag == nil {
			w.Write(it.raw)
			continue
		}
		wrote, err := one(it.frag, &w)
		if err != nil {
			return nil, err
		}
		found = found || wrote
	}
	if !found {
		return nil, fmt.Errorf("%w: track %d", ErrNoSamples, id)
	}
	return w.Bytes(), nil
}

// Timing returns when track id's part of seg starts (the baseMediaDecodeTime
// of its first traf with samples) and how long it lasts (the sum of its
// samples' durations across the fragments of seg), in the track's
// timescale: what a DASH SegmentTimeline says of the segment, the same
// before and after SplitSegment. init gives the default durations of the
// track's trex.
func Timing(init, seg []byte, id uint32) (start, duration uint64, err error) {
	t, err := parseInit(init)
	if err != nil {
		return 0, 0, err
	}
	x, err := t.trex(id)
	if err != nil {
		return 0, 0, err
	}
	items, err := parseSegment(seg)
	if err != nil {
		return 0, 0, err
	}
	found := false
	for _, it := range items {
		if it.frag == nil {
			continue
		}
		tf, err := it.frag.track(id)
		if err != nil {
			return 0, 0, err
		}
		if tf == nil || tf.count() == 0 {
			continue
		}
		if !found {
			if !tf.hasTime {
				return 0, 0, malformed("track %d: its first traf has no tfdt", id)
			}
			start, found = tf.time, true
		}
		for _, tr := range tf.truns {
			for i := range tr.samples {
				d, err := tr.duration(i, &tf.tfhd, x)
				if err != nil {
					return 0, 0, err
				}
				duration += uint64(d)
			}
		}
	}
	if !found {
		return 0, 0, fmt.Errorf("%w: track %d", ErrNoSamples, id)
	}
	return start, duration, nil
}
