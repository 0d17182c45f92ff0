package hls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"onair/internal/clip"
	"onair/internal/media"
)

// Variant writes one rendition's live HLS. Run feeds it from a hub's
// reader, one source after another; Finish ends it. Wait, WaitFile and Info
// may be called from any goroutine.
type Variant struct {
	cfg VariantConfig

	mu       sync.Mutex
	pl       playlist
	changed  chan struct{} // closed and replaced when the playlist is rewritten
	clock    time.Duration // media listed so far: when files that left the playlist go
	gone     []goneFile    // files out of the playlist, kept a little longer
	inits    map[string]bool
	finished bool

	// The source being packaged.
	tracks  media.Tracks
	lead    int // the track that cuts segments: video, else audio; -1: none
	video   bool
	mux     muxer
	config  string // configDigest of tracks
	initURI string
	broken  bool // the next segment follows a break: check the timeline
	skip    bool // the segment being written cannot be listed (no key)

	seg       *segment // being written
	file      *segFile // where seg goes; nil when it is not to be listed
	segStart  time.Duration
	partStart time.Duration
	partIndep bool
	last      time.Duration // the lead track's latest DTS
	hasLast   bool
	latest    time.Duration    // the source's latest timestamp, on any track
	intervals [8]time.Duration // the lead track's latest frame intervals
	nInterval int
	anchorAt  time.Time // wall clock at anchorDTS, for EXT-X-PROGRAM-DATE-TIME
	anchorDTS time.Duration

	meter    meter
	info     VariantInfo
	notified VariantInfo
}

// goneFile is a file that left the playlist when clock was at.
type goneFile struct {
	name string
	at   time.Duration
}

// OpenVariant opens the variant in cfg.Dir. A playlist already there (an
// earlier onair wrote it) is continued: the media sequence goes on after
// its last segment, the discontinuity sequence too, and the next source
// starts with a discontinuity only if its timeline does not follow.
func OpenVariant(cfg VariantConfig) (*Variant, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	v := &Variant{cfg: cfg, changed: make(chan struct{}), inits: map[string]bool{}, lead: -1, broken: true}
	b, err := os.ReadFile(filepath.Join(cfg.Dir, Playlist))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		pl, err := parsePlaylist(b)
		if err != nil {
			return nil, fmt.Errorf("hls: continuing %s: %w", filepath.Join(cfg.Dir, Playlist), err)
		}
		v.pl = *pl
	}
	v.pl.ended, v.pl.hint, v.pl.open = false, "", nil
	v.pl.target = max(v.pl.target, targetOf(cfg.Segment))
	v.pl.partTarget = cfg.Part
	// Delta updates once the window is long enough for them to skip much.
	v.pl.skips = cfg.Part > 0 && cfg.Window >= 12*time.Duration(v.pl.target)*time.Second
	if len(v.pl.segs) > 0 && !strings.HasSuffix(v.pl.segs[0].uri, v.segExt()) {
		// Another format wrote it: start a new list, after its segments.
		for _, s := range v.pl.segs {
			if s.disc {
				v.pl.discSeq++
			}
			v.gone = append(v.gone, goneFile{name: s.uri})
		}
		v.pl.seq, v.pl.segs, v.pl.state = v.pl.nextSeq(), nil, stateLine{nextPart: v.pl.state.nextPart}
	}
	if !v.pl.skips {
		// A delta an earlier configuration wrote would outlive its playlist.
		os.Remove(filepath.Join(cfg.Dir, DeltaPlaylist(Playlist)))
	}
	if err := v.salvage(); err != nil {
		return nil, err
	}
	for _, s := range v.pl.segs {
		if st, err := os.Stat(filepath.Join(cfg.Dir, s.uri)); err == nil {
			s.size = st.Size()
			v.meter.add(s)
		}
	}
	return v, nil
}

func (v *Variant) segExt() string {
	if v.cfg.Format == CMAF {
		return ".m4s"
	}
	return ".ts"
}

func segName(seq int, ext string) string { return fmt.Sprintf("seg_%06d%s", seq, ext) }
func partName(n int) string              { return fmt.Sprintf("part_%06d.m4s", n) }

// salvage sorts out the files an earlier process left: parts are never named
// twice (players asked for the hinted one), files the playlist does not list
// go (segments cut short at once), segments not listed at once, the others a little later.
func (v *Variant) salvage() error {
	entries, err := os.ReadDir(v.cfg.Dir)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, s := range v.pl.segs {
		listed[s.uri] = true
		if s.init != "" {
			listed[s.init] = true
			v.inits[s.init] = true
		}
	}
	for _, e := range entries {
		name := e.Name()
		var n int
		switch {
		case listed[name]:
		case strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp"):
			os.Remove(filepath.Join(v.cfg.Dir, name)) // a segment cut short
		case strings.HasPrefix(name, "part_"):
			if _, err := fmt.Sscanf(name, "part_%d.m4s", &n); err == nil {
				v.pl.state.nextPart = max(v.pl.state.nextPart, n+1)
			}
			v.gone = append(v.gone, goneFile{name: name})
		case strings.HasPrefix(name, "init_"):
			v.inits[name] = true // dropInits deletes it once no segment needs it
		case strings.HasPrefix(name, "seg_"):
			if _, err := fmt.Sscanf(name, "seg_%d", &n); err == nil && n >= v.pl.nextSeq() {
				os.Remove(filepath.Join(v.cfg.Dir, name)) // written, never listed: nobody has seen it
				continue
			}
			v.gone = append(v.gone, goneFile{name: name})
		}
	}
	return nil
}

// Run packages what r reads until it ends or the variant is finished (nil),
// ctx ends (its error) or a file cannot be written.
func (v *Variant) Run(ctx context.Context, r *media.Reader) error {
	for {
		it, err := r.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		v.mu.Lock()
		if v.finished {
			v.mu.Unlock()
			return nil
		}
		switch {
		case it.Tracks != nil:
			err = v.endSegment(v.estimatedEnd())
			if err == nil {
				err = v.setTracks(it.Tracks)
			}
		case it.Break:
			err = v.endSegment(v.estimatedEnd())
			v.mux, v.tracks, v.lead, v.broken = nil, nil, -1, true
		case it.Unit != nil:
			err = v.unit(it.Unit)
		}
		notify := v.pendingInfo()
		v.mu.Unlock()
		if notify != nil {
			v.cfg.OnInfo(*notify)
		}
		if err != nil {
			return err
		}
	}
}

// Finish ends the variant: the segment being written is listed, and the
// playlist ends (EXT-X-ENDLIST). It may be called more than once.
func (v *Variant) Finish() error { return v.stop(true) }

// Close stops the variant and leaves its playlist live: the segment being
// written is listed, and a variant opened on the directory later (onair
// restarted while the run goes on) continues right after it, without a
// discontinuity when its source follows on. Players meanwhile keep
// reloading a playlist that does not end.
func (v *Variant) Close() error { return v.stop(false) }

func (v *Variant) stop(end bool) error {
	v.mu.Lock()
	if v.finished {
		v.mu.Unlock()
		return nil
	}
	err := v.endSegment(v.estimatedEnd())
	v.finished, v.pl.ended = true, end
	if perr := v.publish(); err == nil {
		err = perr
	}
	notify := v.pendingInfo()
	v.mu.Unlock()
	if notify != nil {
		v.cfg.OnInfo(*notify)
	}
	return err
}

// setTracks begins a source; v.mu is held.
func (v *Variant) setTracks(ts media.Tracks) error {
	// The frame intervals stay: they are the tolerance of the timeline check
	// between this source and the last.
	v.mux, v.tracks, v.lead, v.broken, v.hasLast, v.latest = nil, nil, -1, true, false, 0
	lead := ts.Video()
	v.video = lead >= 0
	if lead < 0 {
		lead = ts.Audio()
	}
	if lead < 0 {
		v.cfg.Log.Warn("hls: a source with neither H.264/H.265 video nor AAC audio; nothing to package")
		return nil
	}
	v.config = configDigest(ts)
	if v.cfg.Format == CMAF {
		m, init, err := newCMAFMuxer(ts, uint32(v.pl.state.nextPart))
		if err != nil {
			return fmt.Errorf("hls: %w", err)
		}
		v.initURI = "init_" + v.config + ".mp4"
		if err := clip.WriteFile(v.cfg.Dir, v.initURI, init); err != nil {
			return err
		}
		v.inits[v.initURI] = true
		v.mux = m
	} else {
		m, err := newTSMuxer(ts)
		if err != nil {
			return fmt.Errorf("hls: %w", err)
		}
		v.mux = m
	}
	v.tracks, v.lead = ts, lead
	v.meter.source(ts)
	return nil
}
