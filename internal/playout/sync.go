// Package playout makes playout profiles real: the sync controller keeps
// each event's manifests on the origin in step with its state and its
// profiles, and the origin side serves them, HLS and DASH, filtered to the
// profile's tracks and encrypted as it says, from the live CMAF (or TS)
// output and, once the run is over, from its archive.
//
// An event is a workflow and its runs. Its manifests exist (a row of
// playout_manifests each, keyed by path) while it is in a playout state:
// created when it enters one, updated when a profile changes, removed when
// it leaves them or a profile is detached or deleted. The controller is
// level-triggered, like the channel controller: every pass compares what
// exists with what should, so that it resumes after a restart by itself.
package playout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/storage"
	"onair/internal/store"
)

// Store is what the playout package needs of the store.
type Store interface {
	GetChannel(ctx context.Context, org, workflowID string) (domain.Channel, error)
	UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error)
	GetPlayoutProfile(ctx context.Context, org, id string) (domain.PlayoutProfile, error)
	PlayoutChannels(ctx context.Context) ([]store.ChannelRef, error)
	PlayoutManifests(ctx context.Context, org, workflowID string) ([]domain.PlayoutManifest, error)
	PlayoutManifest(ctx context.Context, path string) (domain.PlayoutManifest, bool, error)
	PutPlayoutManifest(ctx context.Context, m domain.PlayoutManifest) error
	DeletePlayoutManifest(ctx context.Context, workflowID, profileID string) error
}

// Config is what a Service is built from.
type Config struct {
	Store Store
	// DataDir is the data directory the live outputs and archives are in.
	DataDir string
	// Archives is where the archives are read from: the data directory
	// over a bucket when the server keeps them in one; the data directory
	// when nil.
	Archives storage.Storage
	// Secrets keeps the VUALTO content keys (sealed) and the playback
	// tokens' signing key.
	Secrets Secrets
	// KeyProvider is the URL that resolves a THIRDPARTY entry's content_id
	// to its key; HTTPClient asks it (default http.DefaultClient).
	KeyProvider string
	HTTPClient  *http.Client
	// PublicURL is the base of the license URLs handed out.
	PublicURL string
	// TokenTTL is how long a playback token lasts (default DefaultTokenTTL).
	TokenTTL time.Duration
	// Interval is how often the controller passes over every event with
	// profiles (default 1 s).
	Interval time.Duration
	Now      func() time.Time
	Log      *slog.Logger
}

// Service is the sync controller, and what the origin side reads.
type Service struct {
	cfg Config
	// locks make the syncs of one event one at a time (*sync.Mutex by
	// workflow id), so that a request's sync and the controller's never
	// interleave their writes.
	locks sync.Map
	// last is the last result recorded in each event's run events, by
	// workflow and profile, so that a lasting failure is told once; lastMu
	// guards it.
	lastMu sync.Mutex
	last   map[[2]string]string

	views     sync.Mutex
	viewCache map[string]cached
	archives  archives
	times     timings
	made      made
	keys      eventKeys
	// drm are the workflows with a DRM profile attached, whose own live
	// outputs and archives the origin must not hand out in the clear.
	drm sync.Map // workflow id -> struct{}
}

// New returns the sync controller; Run drives it.
func New(cfg Config) *Service {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Archives == nil {
		if disk, err := storage.NewDisk(cfg.DataDir); err == nil {
			cfg.Archives = disk
		}
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	return &Service{cfg: cfg, last: map[[2]string]string{}, viewCache: map[string]cached{}, made: made{limit: 256 << 20}}
}

// Run passes over every event with profiles or manifests until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		s.SyncAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SyncAll syncs every event that has profiles attached or manifests on the
// origin.
func (s *Service) SyncAll(ctx context.Context) {
	refs, err := s.cfg.Store.PlayoutChannels(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Warn("playout sync: listing events", "err", err)
		}
		return
	}
	for _, r := range refs {
		if _, err := s.Sync(ctx, r.OrgID, r.WorkflowID); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("playout sync", "workflow", r.WorkflowID, "err", err)
		}
	}
}

// lock takes the sync lock of one event, and returns its unlock.
func (s *Service) lock(workflowID string) func() {
	m, _ := s.locks.LoadOrStore(workflowID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// State is an event's state now: what its status and run give, or what was
// set by hand while that holds.
func (s *Service) State(ch domain.Channel) domain.EventState {
	return domain.EffectiveEventState(s.Derived(ch), ch.Workflow.EventState, ch.Run)
}

// Derived is the state an event's status and run give, leaving out what
// was set by hand.
func (s *Service) Derived(ch domain.Channel) domain.EventState {
	served := false
	if ch.Run != nil && ch.Workflow.Status == domain.StatusDone {
		_, served = s.archive(ch)
	}
	return domain.DerivedEventState(ch.Workflow.Status, ch.Run, served)
}

// Sync brings one event's manifests in step, and returns a result for each
// of its profiles that it synced: those whose manifest should exist (created,
// updated, or found as it should be) and those whose manifest it removed.
// A failed sync is a result with its errors, never an error: err is for
// the store failing.
func (s *Service) Sync(ctx context.Context, org, workflowID string) ([]domain.SyncResult, error) {
	defer s.lock(workflowID)()
	ch, err := s.cfg.Store.GetChannel(ctx, org, workflowID)
	if errors.Is(err, domain.ErrNotFound) {
		s.protect(workflowID, false)
		return nil, nil // deleted: its manifests went with it
	}
	if err != nil {
		return nil, err
	}
	have, err := s.cfg.Store.PlayoutManifests(ctx, org, workflowID)
	if err != nil {
		return nil, err
	}
	byProfile := map[string]domain.PlayoutManifest{}
	for _, m := range have {
		byProfile[m.ProfileID] = m
	}
	state := s.State(ch)
	var results []domain.SyncResult
	var events []domain.RunEvent
	want := map[string]bool{}
	drm := false
	for _, pid := range ch.Workflow.PlayoutProfileIDs {
		p, err := s.cfg.Store.GetPlayoutProfile(ctx, org, pid)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !p.Config.AppliesTo(ch.Workflow) {
			continue
		}
		drm = drm || p.Config.DRM != nil
		if !state.Playout() {
			continue
		}
		want[pid] = true
		r, action := s.syncOne(ctx, ch, state, p, byProfile)
		results = append(results, r)
		if e, tell := s.outcome(workflowID, pid, action, r); tell {
			events = append(events, e)
		}
	}
	for _, m := range have {
		if want[m.ProfileID] {
			continue
		}
		r := domain.SyncResult{ProfileID: m.ProfileID, EventID: workflowID, Success: true}
		if err := s.cfg.Store.DeletePlayoutManifest(ctx, workflowID, m.ProfileID); err != nil {
			r.Success, r.Errors = false, []string{"removing the manifest: " + err.Error()}
		}
		s.forget(m.Path)
		results = append(results, r)
		if e, tell := s.outcome(workflowID, m.ProfileID, "removed "+m.Path, r); tell {
			events = append(events, e)
		}
	}
	s.protect(workflowID, drm)
	if len(events) > 0 && ch.Run != nil {
		_, err := s.cfg.Store.UpdateChannel(ctx, org, workflowID, func(c *domain.Channel) error {
			if c.Run == nil || c.Run.ID != ch.Run.ID {
				return nil
			}
			for _, e := range events {
				c.Run.AddEvent(e)
			}
			return nil
		})
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return results, err
		}
	}
	return results, nil
}

// syncOne makes the profile's manifest of the event exist as the profile
// says, and says what it did ("" for nothing).
func (s *Service) syncOne(ctx context.Context, ch domain.Channel, state domain.EventState, p domain.PlayoutProfile, have map[string]domain.PlayoutManifest) (domain.SyncResult, string) {
	wf := ch.Workflow
	r := domain.SyncResult{ProfileID: p.ID, EventID: wf.ID, Success: true}
	path := p.Config.ManifestPath(wf.ID)
	problems := Problems(p.Config, pipeline.SpecFor(&wf, runOf(ch), 0), s.cfg.KeyProvider != "")
	if state == domain.EventInstantVOD {
		problems = append(problems, s.vodProblems(ch, p.Config)...)
	}
	if live, _ := state.Serves(); live && p.Config.DRM != nil {
		problems = append(problems, s.drmProblems(ch, p.Config)...)
	}
	if len(problems) > 0 {
		r.Success, r.Errors = false, problems
		return r, ""
	}
	old, exists := have[p.ID]
	if exists && old.Path == path && old.ConfigurationJSON == p.ConfigurationJSON {
		return r, ""
	}
	now := s.cfg.Now().UTC()
	m := domain.PlayoutManifest{Path: path, OrgID: wf.OrgID, WorkflowID: wf.ID, ProfileID: p.ID,
		ConfigurationJSON: p.ConfigurationJSON, Created: now, Updated: now}
	action := "created " + path
	if exists {
		m.Created, action = old.Created, "updated "+path
	}
	if err := s.cfg.Store.PutPlayoutManifest(ctx, m); err != nil {
		r.Success, r.Errors = false, []string{err.Error()}
		return r, ""
	}
	s.forget(m.Path)
	if exists {
		s.forget(old.Path)
	}
	return r, action
}

// outcome is the run event that tells of a sync, and whether it is news:
// every change, and a failure once until its errors change.
func (s *Service) outcome(workflowID, profileID, action string, r domain.SyncResult) (domain.RunEvent, bool) {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	key := [2]string{workflowID, profileID}
	msg := "profile " + profileID + ": " + action
	if r.Success {
		delete(s.last, key)
		if action == "" {
			return domain.RunEvent{}, false
		}
	} else {
		msg = "profile " + profileID + ": sync failed: " + strings.Join(r.Errors, "; ")
		if s.last[key] == msg {
			return domain.RunEvent{}, false
		}
		s.last[key] = msg
	}
	return domain.RunEvent{Time: s.cfg.Now().UTC(), Type: domain.EventPlayoutSync, Message: msg}, true
}

// vodProblems says why INSTANT_VOD would serve nothing under a profile:
// the archive records one rendition, which its tracks may not keep.
func (s *Service) vodProblems(ch domain.Channel, c domain.PlayoutConfig) []string {
	r, err := s.archiveRendition(ch)
	if err != nil {
		return []string{"the archive cannot be served: " + err.Error()}
	}
	if !c.Keeps(videoTrack(r)) {
		return []string{fmt.Sprintf("the archive records %dx%d (%s), which the profile's tracks do not keep: INSTANT_VOD has nothing to play",
			r.info.Width, r.info.Height, codecOf(r.info.Codecs, domain.TrackVideo))}
	}
	return nil
}

// drmProblems says why a live event's renditions cannot be encrypted: onair
// encrypts H.264 and AAC; an H.265 rendition (a passthrough of an HEVC
// publisher) that the profile keeps cannot be.
func (s *Service) drmProblems(ch domain.Channel, c domain.PlayoutConfig) []string {
	wf := ch.Workflow
	for _, out := range pipeline.SpecFor(&wf, runOf(ch), 0).Live {
		if out.Push || out.Format != domain.FormatCMAF {
			continue
		}
		rends, err := liveRenditions(s.cfg.DataDir, out)
		if err != nil {
			return nil // nothing published yet: nothing to refuse
		}
		for _, r := range rends {
			if codec := codecOf(r.info.Codecs, domain.TrackVideo); c.Keeps(videoTrack(r)) && !domain.FourCCMatches("AVC1", codec) {
				return []string{fmt.Sprintf("rendition %s is %s, and onair encrypts H.264 only: the profile's DRM cannot serve it; "+
					"publish H.264, or keep it out with a FourCC AVC1 criterion", r.name, codec)}
			}
		}
	}
	return nil
}

// runOf is the run the event's manifests serve: its current one.
func runOf(ch domain.Channel) *domain.Run {
	if ch.Run != nil {
		return ch.Run
	}
	return &domain.Run{}
}

// Problems lists why a profile cannot serve an event whose pipeline is
// laid out as spec says; empty when it can. keyProvider says whether a key
// provider resolves content ids.
func Problems(c domain.PlayoutConfig, spec pipeline.Spec, keyProvider bool) []string {
	var out []string
	hasCMAF := slices.ContainsFunc(spec.Live, func(o pipeline.LiveOutput) bool { return !o.Push && o.Format == domain.FormatCMAF })
	hasTS := slices.ContainsFunc(spec.Live, func(o pipeline.LiveOutput) bool { return !o.Push && o.Format != domain.FormatCMAF })
	o := c.Options
	switch {
	case o.HLSDisabled && o.DASHDisabled:
		out = append(out, "the profile turns off both HLS (--hls.disable) and DASH (--mpd.disable): it would serve nothing")
	case !o.DASHDisabled && !hasCMAF:
		out = append(out, "DASH needs a CMAF output, which a channel has when it starts with a playout profile attached; "+
			"this run started without one: restart it, or turn DASH off with --mpd.disable")
	case c.DRM != nil && !hasCMAF:
		out = append(out, "DRM needs a CMAF output, which a channel has when it starts with a playout profile attached; this run started without one")
	case !hasCMAF && !hasTS:
		out = append(out, "the channel has no HLS output to the origin")
	}
	if o.Archiving != nil && *o.Archiving {
		switch {
		case len(spec.Archives) == 0:
			out = append(out, "the profile asks for --archiving=1, but the channel records no archive (add an ARCHIVE output group)")
		case o.ArchiveSegmentSeconds > 0 && time.Duration(o.ArchiveSegmentSeconds)*time.Second < spec.Archives[0].Segment:
			out = append(out, fmt.Sprintf("--archive_segment_length=%d is shorter than the channel's archive segments (%s)",
				o.ArchiveSegmentSeconds, spec.Archives[0].Segment))
		}
	}
	if c.DRM != nil {
		for _, e := range c.DRM.Data {
			if c.DRM.Provider == domain.DRMThirdParty && e.Key == "" && !keyProvider {
				out = append(out, fmt.Sprintf("drm_data %s: content_id %q names a key, but no key provider is configured to resolve it; give the key in a key field",
					e.Name, e.ContentID))
			}
		}
	}
	return out
}
