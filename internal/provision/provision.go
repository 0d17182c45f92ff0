// Package provision is what a Stream Manager provision does once the API
// has stored it. A publisher to its path (rtmp://host/<scope>/<stream>)
// starts a run by itself, after its credentials are checked (Publish); the
// run stops once its publisher has been gone for the grace period (Reap);
// and its playback paths, /live/<scope>/<stream>/master.m3u8 and
// /live/<scope>/<variant>/index.m3u8, are served behind its georules
// (Playback).
//
// Each publish name of a provision (its stream's, or each variant's when
// the variants are published apart) has a workflow, made at its first
// publish and listed with the others; each publish after the last run ended
// is a new run of it, with its own archive.
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"onair/internal/channels"
	"onair/internal/domain"
	"onair/internal/engine"
	"onair/internal/geo"
	"onair/internal/ingest"
	"onair/internal/store"
)

// DefaultGrace is how long a provision's run waits for its publisher to
// come back before it stops.
const DefaultGrace = 30 * time.Second

// Tag marks the workflows of provisions.
const Tag = "provision"

// Engine is what the service needs of the media plane.
type Engine interface {
	Unpublished() map[engine.RunRef]time.Time
}

// Service runs provisions.
type Service struct {
	Store    store.Store
	Channels *channels.Service
	Engine   Engine
	Region   string
	// RequireAuth refuses the publishers of provisions without
	// authentication, which otherwise take anyone, as in Red5.
	RequireAuth bool
	// Grace is how long a run's publisher may be gone; DefaultGrace when 0.
	Grace time.Duration
	// Locator tells a viewer's country for georules; nil knows none.
	Locator *geo.Locator
	// DataDir is the data directory, whose live/ Playback reads masters from.
	DataDir string
	NewID   func() string
	Now     func() time.Time
	Log     *slog.Logger

	// mu makes one publish at a time start runs here, so that two
	// publishers of a provision never make two workflows or two runs.
	mu sync.Mutex
	// owners remembers which provision each workflow whose live directory
	// was asked for is one of.
	ownersMu sync.Mutex
	owners   map[string]owner
	// runs remembers, by provision, what its runs that are up play.
	runsMu sync.Mutex
	runs   map[string]runsEntry
}

func (s *Service) grace() time.Duration {
	if s.Grace <= 0 {
		return DefaultGrace
	}
	return s.Grace
}

// splitPath cuts a stream path into a provision's scope and name.
func splitPath(path string) (scope, name string, ok bool) {
	scope, name, ok = strings.Cut(path, "/")
	if !ok || scope == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return scope, name, true
}

// Publish is the engine's Config.Provisioned: for a publisher to a
// provision's path, with the right credentials, the channel of the run it
// feeds, started now unless one is live and waiting for it. nil when the
// path names no provision.
func (s *Service) Publish(ctx context.Context, req ingest.PublishRequest) (*domain.Channel, error) {
	scope, name, ok := splitPath(req.Path)
	if !ok {
		return nil, nil
	}
	prov, found, err := s.Store.ProvisionByName(ctx, scope, name)
	if err != nil || !found {
		return nil, err
	}
	switch {
	case !prov.PublisherAllowed(req.Query, req.ConnectArgs):
		return nil, &engine.Refusal{Guess: true, Reason: "wrong or missing username and password for " + prov.Path() +
			": add ?username=...&password=... to the stream name, or send them as the connect command's arguments"}
	case prov.Meta.Authentication == nil && s.RequireAuth:
		return nil, &engine.Refusal{Reason: "provision " + prov.Path() + " has no publisher credentials, and this server takes only provisions that have"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read again under the lock: a publish just before this one may have
	// made the workflow.
	if prov, found, err = s.Store.ProvisionByName(ctx, scope, name); err != nil || !found {
		return nil, err
	}
	// A publisher back within the grace goes on with its run, as the run
	// started, whatever the provision says now.
	if ch, err := s.liveRun(ctx, prov, name); ch != nil || err != nil {
		return ch, err
	}
	runName, ok := prov.RunName(name)
	if !ok {
		names := prov.PublishNames()
		for i, n := range names {
			names[i] = scope + "/" + n
		}
		return nil, &engine.Refusal{Reason: fmt.Sprintf("%s/%s is played, not published: publish to %s", scope, name, strings.Join(names, " or "))}
	}
	bp := prov.Blueprint(runName)
	spec := domain.WorkflowSpec{Name: scope + "/" + runName, Description: bp.Description, Blueprint: &bp, Tags: []string{Tag}}
	if err := spec.Validate([]string{s.Region}); err != nil {
		return nil, fmt.Errorf("provision %s makes no valid workflow: %w", prov.Path(), err)
	}
	wfID, err := s.workflow(ctx, prov, runName, spec)
	if err != nil {
		return nil, err
	}
	ch, err := s.Store.UpdateChannel(ctx, prov.OrgID, wfID, func(ch *domain.Channel) error {
		if ch.Workflow.Status.Active() {
			return &engine.Refusal{Reason: "the last run of " + spec.Name + " is finishing its archive; publish again in a few seconds"}
		}
		// The next run is made of the provision as it is now.
		ch.Workflow.Blueprint, ch.Workflow.Updated = bp, s.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	ingests := domain.NewIngests(domain.ClassSinglePipeline)
	ingests[0].App, ingests[0].Path = scope, spec.Name
	err = s.Channels.StartRun(ctx, prov.OrgID, wfID, channels.StartOptions{Again: true, Inputs: ingests, Run: domain.RunOptions{
		Provision: spec.Name, UnpublishedStopSeconds: int(s.grace().Round(time.Second) / time.Second),
	}})
	if err != nil {
		return nil, err
	}
	s.Log.Info("provision publisher started a run", "provision", prov.Path(), "publish", scope+"/"+name, "workflow", wfID)
	ch, err = s.Store.GetChannel(ctx, prov.OrgID, wfID)
	return &ch, err
}

// liveRun is the provision's run that a publisher of name feeds while it
// is up: the run of that publish name, or the ladder whose top it is. nil
// when none is up.
func (s *Service) liveRun(ctx context.Context, prov domain.Provision, name string) (*domain.Channel, error) {
	for runName, id := range prov.Workflows {
		ch, err := s.Store.GetChannel(ctx, prov.OrgID, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if name != runName && name != ch.Workflow.Blueprint.Settings.Channel.Source || ch.Run == nil || !ch.Workflow.Status.Active() {
			continue
		}
		if ch.Run.StopRequested != nil || ch.Workflow.Status == domain.StatusStopping || ch.Workflow.Status == domain.StatusDeleting {
			return nil, &engine.Refusal{Reason: "the last run of " + ch.Workflow.Name + " is finishing its archive; publish again in a few seconds"}
		}
		return &ch, nil
	}
	return nil, nil
}

// workflow returns the workflow of a provision's publish name, made from
// spec now, with the provision's link to it, when it has none (or it was
// deleted through /api/workflows).
func (s *Service) workflow(ctx context.Context, prov domain.Provision, runName string, spec domain.WorkflowSpec) (string, error) {
	now := s.Now().UTC()
	wf := domain.Workflow{ID: s.NewID(), OrgID: prov.OrgID, Status: domain.StatusReady, Created: now, Updated: now}
	spec.Apply(&wf, s.Region)
	id, err := s.Store.ProvisionWorkflow(ctx, prov.OrgID, prov.Scope, prov.Name, runName, wf)
	if errors.Is(err, domain.ErrNotFound) {
		return "", &engine.Refusal{Reason: "provision " + prov.Path() + " was deleted"}
	}
	return id, err
}

// Reap stops, every tick until ctx ends, the provision runs here whose
// publisher has been gone for their grace period, or at once when their
// provision was deleted meanwhile.
func (s *Service) Reap(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ref, since := range s.Engine.Unpublished() {
			if err := s.reap(ctx, ref, since); err != nil && ctx.Err() == nil {
				s.Log.Warn("stopping an unpublished provision run failed", "workflow", ref.WorkflowID, "run", ref.RunID, "err", err)
			}
		}
	}
}

func (s *Service) reap(ctx context.Context, ref engine.RunRef, since time.Time) error {
	ch, err := s.Store.GetChannel(ctx, ref.OrgID, ref.WorkflowID)
	if err != nil || ch.Run == nil || ch.Run.ID != ref.RunID {
		return err
	}
	opts := ch.Run.Options
	if opts.UnpublishedStopSeconds <= 0 || ch.Run.StopRequested != nil ||
		(ch.Workflow.Status != domain.StatusRunning && ch.Workflow.Status != domain.StatusStarting) {
		return nil
	}
	gone := s.Now().Sub(since)
	if gone < time.Duration(opts.UnpublishedStopSeconds)*time.Second {
		// Within the grace, unless the provision is gone: then at once.
		if _, found, err := s.Store.ProvisionOfWorkflow(ctx, ref.WorkflowID); err != nil || found {
			return err
		}
	}
	if again, still := s.Engine.Unpublished()[ref]; !still || !again.Equal(since) {
		return nil // its publisher came back meanwhile
	}
	s.Log.Info("stopping a provision run: its publisher is gone", "provision", opts.Provision, "workflow", ref.WorkflowID,
		"run", ref.RunID, "gone", gone.Round(time.Millisecond))
	return s.Channels.StopRun(ctx, ref.OrgID, ref.WorkflowID, ref.RunID)
}
