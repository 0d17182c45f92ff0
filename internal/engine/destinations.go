package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"onair/internal/destination"
	"onair/internal/domain"
	"onair/internal/hls"
	"onair/internal/pipeline"
)

// sourceHub stands for the pipe's source hub where a rendition index is
// expected.
const sourceHub = -1

// pushedFrom is the hub a destination reads: a rendition's index, or
// sourceHub. An unnamed rendition is the top one; SOURCE is the input as it
// arrives, which a passthrough channel's one rendition also is.
func (p *pipe) pushedFrom(d pipeline.DestinationOutput) int {
	i := p.liveRendition(0)
	if d.Rendition == domain.RenditionSource {
		return sourceHub
	}
	for j, r := range p.plan.Renditions {
		if d.Rendition != "" && r.Name == d.Rendition && r.Live {
			i = j
		}
	}
	if i >= 0 && p.plan.Renditions[i].Video == nil {
		return sourceHub
	}
	return i
}

// pushes tells whether a destination reads hub i (a rendition's index, or
// sourceHub). Such a hub keeps the current GOP, so that a destination that
// reconnects mid-GOP sends a keyframe at once; the other hubs keep no media.
func (p *pipe) pushes(i int) bool {
	for _, d := range p.spec.Destinations {
		if d.HLS == nil && p.pushedFrom(d) == i {
			return true
		}
	}
	return false
}

// startDestinations starts a worker per destination of the pipe, each
// reporting its status and its changes of state to the run; their first
// statuses (CONNECTING) are reported in the blueprint's order.
func (l *Local) startDestinations(p *pipe) error {
	push, stopPush := context.WithCancel(context.Background())
	upload, stopUpload := context.WithCancel(context.Background())
	p.stopPush, p.stopUpload = stopPush, stopUpload
	for _, d := range p.spec.Destinations {
		last := ""
		cfg := destination.Config{
			ID: d.ID, Pipeline: p.index, URL: d.URL, Log: p.log, Now: l.cfg.Now,
			OnChange: func(s domain.DestinationStatus) { l.destinationChanged(p, s, &last) },
		}
		switch o, i := d.HLS, p.pushedFrom(d); {
		case o == nil && i == sourceHub:
			cfg.Hub = p.source
		case o == nil:
			cfg.Hub = p.hubs[i]
		default:
			cfg.HLS = &destination.HLSPush{
				Dir:    filepath.Join(l.cfg.DataDir, filepath.FromSlash(o.Dir)),
				Master: pipeline.LivePlaylist, Renditions: liveRenditions(p.plan), Playlist: hls.Playlist,
				Segment: o.Segment, Username: d.Username, Password: d.Password, Method: d.Method,
			}
			if d.Bucket != nil {
				bucket, key, err := l.bucketOf(d)
				if err != nil {
					return err
				}
				cfg.HLS.Bucket, cfg.HLS.Key = bucket, key
				cfg.URL = bucket.Location(key) // the URL assembled, as its status shows it
			}
		}
		w, err := destination.New(cfg)
		if err != nil {
			return err
		}
		p.destinations = append(p.destinations, w)
		l.cfg.OnDestination(p.ref, w.Status())
	}
	for i, w := range p.destinations {
		ctx, wg := push, &p.pushers
		if p.spec.Destinations[i].HLS != nil {
			ctx, wg = upload, &p.uploaders
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Run(ctx)
		}()
	}
	return nil
}

// destinationChanged records a worker's status in its run, and its changes
// of state to ACTIVE, RETRYING and FAILED as the run's events: a run of
// failed attempts, with CONNECTING between them, is one event, so that a
// destination down for hours does not fill the run's log. last is the
// latest of those states, which only the worker's goroutine touches.
func (l *Local) destinationChanged(p *pipe, s domain.DestinationStatus, last *string) {
	if s.State != *last && s.State != domain.DestinationConnecting {
		*last = s.State
		ev := domain.RunEvent{Time: s.Since, Pipeline: p.index, Destination: s.ID}
		switch s.State {
		case domain.DestinationActive:
			ev.Type, ev.Message = "destination_active", "pushing to "+s.URL
		case domain.DestinationRetrying:
			ev.Type, ev.Message = "destination_retrying", s.LastError
			if s.NextAttempt != nil {
				ev.Message = fmt.Sprintf("%s (next try in %s)", s.LastError, s.NextAttempt.Sub(s.Since).Round(100*time.Millisecond))
			}
		case domain.DestinationFailed:
			ev.Type, ev.Message = "destination_failed", s.LastError
		}
		if ev.Type != "" {
			l.cfg.OnEvent(p.ref, ev)
		}
	}
	l.cfg.OnDestination(p.ref, s)
}
