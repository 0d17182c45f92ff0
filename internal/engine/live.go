package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"sync"
	"time"

	"onair/internal/domain"
	"onair/internal/hls"
	"onair/internal/pipeline"
)

// liveOutput is one live HLS output of a pipe (an origin HLS output group):
// a variant per live rendition, packaged in Go from the rendition's hub into
// <dir>/<rendition>/, and the master playlist <dir>/master.m3u8, written
// once every variant has a segment to measure and again when what it says
// of one changes.
type liveOutput struct {
	dir      string // relative to the data directory, slash-separated
	master   string // absolute
	names    []string
	variants []*hls.Variant
	log      *slog.Logger

	mu    sync.Mutex
	infos []hls.VariantInfo // by variant; zero until it has a segment
}

// variantDir is where the output's variant i writes, relative to the data
// directory: the name the origin's waits look it up by.
func (o *liveOutput) variantDir(i int) string { return pipeline.VariantDir(o.dir, o.names[i]) }

// openLive opens the live outputs of a spec, each variant on what an
// earlier server may have written in its directory (a resumed run goes on).
// renditions names the live renditions in ladder order; keys encrypts TS
// segments (nil: in the clear).
func (l *Local) openLive(spec pipeline.Spec, renditions []string, keys hls.KeySource, log *slog.Logger) ([]*liveOutput, error) {
	var outs []*liveOutput
	for _, o := range spec.Live {
		out := &liveOutput{
			dir:    o.Dir,
			master: filepath.Join(l.cfg.DataDir, filepath.FromSlash(o.Dir), pipeline.LivePlaylist),
			names:  renditions,
			infos:  make([]hls.VariantInfo, len(renditions)),
			log:    log,
		}
		format, k := hls.TS, keys
		if o.Format == domain.FormatCMAF || o.Push {
			k = nil // CMAF is never encrypted, nor what a destination gets: its keys are the origin's
		}
		if o.Format == domain.FormatCMAF {
			format = hls.CMAF
		}
		for i, name := range renditions {
			v, err := hls.OpenVariant(hls.VariantConfig{
				Dir:     filepath.Join(l.cfg.DataDir, filepath.FromSlash(pipeline.VariantDir(o.Dir, name))),
				Format:  format,
				Segment: o.Segment,
				Window:  o.Window,
				Part:    o.Part,
				Keys:    k,
				Now:     l.cfg.Now,
				OnInfo:  func(in hls.VariantInfo) { out.update(i, in) },
				Log:     log,
			})
			if err != nil {
				return nil, fmt.Errorf("live HLS %s: %w", path.Join(o.Dir, name), err)
			}
			out.variants = append(out.variants, v)
			out.infos[i] = v.Info()
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// update takes what variant i's packager measured and rewrites the master
// playlist when every variant has been measured.
func (o *liveOutput) update(i int, in hls.VariantInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.infos[i] = in
	entries := make([]hls.MasterEntry, len(o.names))
	for j, name := range o.names {
		if o.infos[j].Bandwidth == 0 {
			return // a player reads the master once: it lists every variant
		}
		entries[j] = hls.MasterEntry{URI: name + "/" + hls.Playlist, Info: o.infos[j]}
	}
	if err := hls.WriteMaster(o.master, entries); err != nil {
		o.log.Error("writing the live master playlist failed", "playlist", path.Join(o.dir, pipeline.LivePlaylist), "err", err)
	}
}

// stop lists what each variant has written and, to finish, ends its
// playlist (the run stopped); otherwise the playlists stay live, for the
// next server to continue (this one shuts down, the run goes on).
func (o *liveOutput) stop(finish bool) error {
	var errs []error
	for _, v := range o.variants {
		if finish {
			errs = append(errs, v.Finish())
		} else {
			errs = append(errs, v.Close())
		}
	}
	return errors.Join(errs...)
}

// end is where the media the output's variants listed ends, on the
// pipeline's timeline.
func (o *liveOutput) end() (time.Duration, bool) {
	var end time.Duration
	found := false
	for _, v := range o.variants {
		if e, ok := v.End(); ok {
			end, found = max(end, e), true
		}
	}
	return end, found
}

// liveRenditions names a plan's live renditions, in ladder order.
func liveRenditions(plan pipeline.Plan) []string {
	var names []string
	for _, r := range plan.Renditions {
		if r.Live {
			names = append(names, r.Name)
		}
	}
	return names
}

// Wait holds an LL-HLS blocking playlist reload (origin.Waiter) until the
// live variant that writes file, a media playlist, lists segment msn or its
// part; hls.ErrNotLive when no variant here writes it.
func (l *Local) Wait(ctx context.Context, file string, msn, part int) error {
	v := l.variant(file)
	if v == nil || path.Base(file) != hls.Playlist {
		return hls.ErrNotLive
	}
	return v.Wait(ctx, msn, part)
}

// WaitFile holds a request for a part that a live variant here is about to
// write (its playlist's preload hint) until it is there (origin.Waiter).
func (l *Local) WaitFile(ctx context.Context, file string) error {
	v := l.variant(file)
	if v == nil {
		return hls.ErrNotLive
	}
	return v.WaitFile(ctx, path.Base(file))
}

// variant is the live variant whose directory holds file; nil for none.
func (l *Local) variant(file string) *hls.Variant {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.variants[path.Dir(file)]
}
