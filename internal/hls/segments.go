package hls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"onair/internal/clip"
	"onair/internal/media"
)

// frame is the lead track's frame interval: the longest of the latest few,
// so that jitter never makes a part longer than its target, but leaving out
// those of more than one and a half times the median, which are holes (a
// frame the encoder dropped), not the frame rate.
func (v *Variant) frame() time.Duration {
	n := min(v.nInterval, len(v.intervals))
	if n == 0 {
		return 40 * time.Millisecond
	}
	sorted := v.intervals
	slices.Sort(sorted[:n])
	median := sorted[n/2]
	d := median
	for _, x := range sorted[:n] {
		if x <= median*3/2 {
			d = max(d, x)
		}
	}
	return d
}

// estimatedEnd is where the media written so far ends: the last lead frame
// plus one frame.
func (v *Variant) estimatedEnd() time.Duration { return v.last + v.frame() }

// unit places one unit; v.mu is held.
func (v *Variant) unit(u *media.Unit) error {
	if v.mux == nil || u.Track < 0 || u.Track >= len(v.tracks) || u.DTS < 0 || len(u.AU) == 0 {
		return nil
	}
	lead := u.Track == v.lead
	if lead && v.hasLast && u.DTS <= v.last {
		return nil // the lead track goes back: nothing can hold that
	}
	fr := v.frame()
	switch {
	case v.seg == nil:
		if !lead || !u.Random {
			return nil // a segment starts with a keyframe
		}
		if err := v.startSegment(u); err != nil {
			return err
		}
	case !lead:
	case u.Random && u.DTS-v.last > 2*fr+100*time.Millisecond:
		// A hole in the timeline (the reader lost units): the segment
		// ends where its media does, the next one after a discontinuity.
		if err := v.endSegment(v.estimatedEnd()); err != nil {
			return err
		}
		v.broken = true
		if err := v.startSegment(u); err != nil {
			return err
		}
	case u.Random && u.DTS-v.segStart >= v.cfg.Segment-fr/2:
		if err := v.endSegment(u.DTS); err != nil {
			return err
		}
		if err := v.startSegment(u); err != nil {
			return err
		}
	case v.cfg.Part > 0 && u.DTS+fr-v.partStart > v.cfg.Part:
		if err := v.cutPart(u.DTS, true); err != nil {
			return err
		}
		v.partStart, v.partIndep = u.DTS, u.Random
	}
	ok, err := v.mux.write(u)
	if err != nil {
		return fmt.Errorf("hls: %w", err)
	}
	if ok {
		v.latest = max(v.latest, u.DTS)
	}
	if ok && lead {
		if v.hasLast {
			v.intervals[v.nInterval%len(v.intervals)] = u.DTS - v.last
			v.nInterval++
		}
		v.last, v.hasLast = u.DTS, true
		if v.video {
			v.seg.frames++
		}
	}
	return nil
}

// startSegment opens a segment at u, a lead keyframe; v.mu is held.
func (v *Variant) startSegment(u *media.Unit) error {
	seq := v.pl.nextSeq()
	s := &segment{uri: segName(seq, v.segExt()), init: v.initURI}
	if v.broken {
		st := v.pl.state
		// A new source follows the last one without a discontinuity only
		// if its tracks are configured alike and its timeline goes on:
		// after the last one's latest timestamp (ingest rebases a publisher
		// that reconnects to a frame after it), within a couple of frames.
		s.disc = st.hasEnd && (st.config != v.config || u.DTS <= st.end || u.DTS > st.end+2*v.frame()+100*time.Millisecond)
		v.broken = false
		v.anchorAt, v.anchorDTS = v.cfg.Now(), u.DTS
	}
	s.pdt = v.anchorAt.Add(u.DTS - v.anchorDTS)
	v.skip = false
	if v.cfg.Keys != nil {
		k, err := v.cfg.Keys.Current()
		if err != nil {
			// Never in the clear: this segment is written but not listed.
			v.cfg.Log.Error("hls: no key to encrypt a segment with; it is left out", "segment", s.uri, "err", err)
			v.skip = true
		} else {
			s.key = &segKey{uri: k.URI, bytes: k.Bytes}
			binary.BigEndian.PutUint64(s.key.iv[8:], uint64(seq))
		}
	}
	var w io.Writer = io.Discard
	if !v.skip {
		f, err := createSegFile(v.cfg.Dir, s.uri, s.key)
		if err != nil {
			return err
		}
		v.file, w = f, f
	}
	v.seg, v.segStart, v.partStart = s, u.DTS, u.DTS
	v.partIndep = true
	if v.cfg.Part > 0 {
		v.pl.open = s
		v.pl.hint = partName(v.pl.state.nextPart)
	}
	return v.mux.begin(w)
}

// cutPart closes the part being written at next; v.mu is held.
func (v *Variant) cutPart(next time.Duration, publish bool) error {
	b, err := v.mux.fragment(next)
	if err != nil {
		return fmt.Errorf("hls: %w", err)
	}
	if len(b) == 0 || v.skip {
		return nil
	}
	name := partName(v.pl.state.nextPart)
	if err := clip.WriteFile(v.cfg.Dir, name, b); err != nil {
		return err
	}
	v.pl.state.nextPart++
	v.seg.parts = append(v.seg.parts, part{uri: name, dur: next - v.partStart, independent: v.partIndep})
	v.pl.partTarget = max(v.pl.partTarget, next-v.partStart)
	v.pl.hint = partName(v.pl.state.nextPart)
	if !publish {
		return nil
	}
	return v.publish()
}

// endSegment closes the segment being written at next and lists it; v.mu is
// held.
func (v *Variant) endSegment(next time.Duration) error {
	s := v.seg
	if s == nil {
		return nil
	}
	if v.cfg.Part > 0 {
		if err := v.cutPart(next, false); err != nil {
			return err
		}
	}
	v.seg, v.pl.open = nil, nil
	f := v.file
	v.file = nil
	if err := v.mux.end(next); err != nil {
		if f != nil {
			f.discard()
		}
		return fmt.Errorf("hls: %w", err)
	}
	if f == nil || next <= v.segStart {
		if f != nil {
			f.discard()
		}
		v.broken = true
		return v.publish()
	}
	size, err := f.commit(v.cfg.Dir, s.uri)
	if err != nil {
		return err
	}
	s.dur, s.size = next-v.segStart, size
	v.pl.segs = append(v.pl.segs, s)
	v.pl.target = max(v.pl.target, targetOf(s.dur))
	// What the next source must follow: the latest timestamp on any track
	// (a source's audio often outlasts its video).
	v.pl.state.end, v.pl.state.hasEnd, v.pl.state.config = v.latest, true, v.config
	v.clock += s.dur
	v.meter.add(s)
	v.trim()
	return v.publish()
}

// trim keeps the playlist to its window, and parts to its last three target
// durations (RFC 8216bis 6.2.2); v.mu is held.
func (v *Variant) trim() {
	target := time.Duration(v.pl.target) * time.Second
	var total time.Duration
	for _, s := range v.pl.segs {
		total += s.dur
	}
	for len(v.pl.segs) > 1 && total-v.pl.segs[0].dur >= max(v.cfg.Window, 3*target) {
		s := v.pl.segs[0]
		total -= s.dur
		if s.disc {
			v.pl.discSeq++
		}
		v.pl.seq++
		v.pl.segs = v.pl.segs[1:]
		v.gone = append(v.gone, goneFile{name: s.uri, at: v.clock})
		for _, p := range s.parts {
			v.gone = append(v.gone, goneFile{name: p.uri, at: v.clock})
		}
	}
	var recent time.Duration
	for i := len(v.pl.segs) - 1; i >= 0; i-- {
		s := v.pl.segs[i]
		if recent > 3*target && s.parts != nil {
			for _, p := range s.parts {
				v.gone = append(v.gone, goneFile{name: p.uri, at: v.clock})
			}
			s.parts = nil
		}
		recent += s.dur
	}
}

// publish writes the playlist, wakes the waiters, and deletes the files that
// have been out of it for three target durations; v.mu is held.
func (v *Variant) publish() error {
	if v.pl.skips {
		if err := clip.WriteFile(v.cfg.Dir, DeltaPlaylist(Playlist), v.pl.render(true)); err != nil {
			return err
		}
	}
	if err := clip.WriteFile(v.cfg.Dir, Playlist, v.pl.render(false)); err != nil {
		return err
	}
	close(v.changed)
	v.changed = make(chan struct{})
	linger := 3 * time.Duration(v.pl.target) * time.Second
	kept := v.gone[:0]
	for _, g := range v.gone {
		if v.clock-g.at < linger {
			kept = append(kept, g)
			continue
		}
		if err := os.Remove(filepath.Join(v.cfg.Dir, g.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			v.cfg.Log.Warn("hls: could not delete a file that left the playlist", "file", g.name, "err", err)
		}
	}
	v.gone = kept
	v.dropInits()
	return nil
}

// dropInits deletes the init sections no segment listed or kept names.
func (v *Variant) dropInits() {
	used := map[string]bool{v.initURI: true}
	for _, s := range v.pl.segs {
		used[s.init] = true
	}
	for _, g := range v.gone {
		if strings.HasPrefix(g.name, "seg_") {
			// A segment kept a little longer may need its init: keep
			// every init until the segments in the playlist are all that use one.
			return
		}
	}
	for name := range v.inits {
		if !used[name] {
			os.Remove(filepath.Join(v.cfg.Dir, name))
			delete(v.inits, name)
		}
	}
}
