// Package channels starts and stops channels: the one place where a start
// claims a managed input and hands the run its prepared endpoints, for the API
// and the scheduler alike. It records intent in the store and tells the
// controller; the controller does the rest.
package channels

import (
	"context"
	"fmt"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// Store is what starting and stopping need from the store.
type Store interface {
	UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error)
	GetWorkflow(ctx context.Context, org, id string) (domain.Workflow, error)
	ClaimManagedInput(ctx context.Context, org, id, workflowID string) (domain.ManagedInput, error)
	ReleaseManagedInputs(ctx context.Context, org, workflowID string) error
}

var _ Store = store.Store(nil)

// Service starts and stops channels.
type Service struct {
	Store  Store
	Notify func() // tells the controller; may be nil
	NewID  func() string
	Now    func() time.Time
}

// Start begins a run of a workflow. occurrence is the scheduled occurrence it is
// (nil for a start by hand, which only a READY workflow allows). A managed input
// is claimed first, so that two runs never use it at once.
func (s *Service) Start(ctx context.Context, org, workflowID string, occurrence *time.Time) error {
	return s.StartRun(ctx, org, workflowID, StartOptions{Occurrence: occurrence})
}

// StartOptions say what kind of start a run is.
type StartOptions struct {
	// Occurrence is the scheduled occurrence the run is, nil otherwise.
	Occurrence *time.Time
	// Again lets a workflow that has run (DONE or START_FAILED) start once
	// more, as a stream's next session does; otherwise only READY starts by hand.
	Again bool
	// Run are the run's packaging options.
	Run domain.RunOptions
	// Inputs are the run's endpoints when the caller prepared them (a
	// provision's, on its publish path); fresh ones are made otherwise.
	Inputs []domain.Ingest
}

// StartRun begins a run with options.
func (s *Service) StartRun(ctx context.Context, org, workflowID string, o StartOptions) error {
	occurrence := o.Occurrence
	wf, err := s.Store.GetWorkflow(ctx, org, workflowID)
	if err != nil {
		return err
	}
	var managed []domain.Ingest
	if id := wf.ManagedInputID(); id != "" {
		in, err := s.Store.ClaimManagedInput(ctx, org, id, workflowID)
		if err != nil {
			return err
		}
		if want := wf.Blueprint.Settings.Channel.Class.Pipelines(); len(in.Ingests) != want {
			s.Store.ReleaseManagedInputs(ctx, org, workflowID)
			return &domain.ConflictError{Message: fmt.Sprintf("managed input %s has %d endpoints; this %s channel needs %d",
				id, len(in.Ingests), wf.Blueprint.Settings.Channel.Class, want)}
		}
		managed = in.Ingests
	}
	_, err = s.Store.UpdateChannel(ctx, org, workflowID, func(ch *domain.Channel) error {
		// Checked in the transaction, so that two schedulers (two nodes) never
		// start one occurrence twice.
		if last := ch.Workflow.ScheduleState.LastOccurrence; occurrence != nil && last != nil && !occurrence.After(*last) {
			return &domain.ConflictError{Message: "occurrence " + occurrence.UTC().Format(time.RFC3339) + " of workflow " + workflowID + " was already started"}
		}
		if err := ch.RequestStart(s.NewID(), occurrence == nil && !o.Again, s.Now().UTC()); err != nil {
			return err
		}
		ch.Run.Options = o.Run
		ch.Run.Options.PlayoutCMAF = len(ch.Workflow.PlayoutProfileIDs) > 0
		if managed != nil {
			ch.Run.Inputs = managed
		}
		if o.Inputs != nil {
			ch.Run.Inputs = o.Inputs
		}
		if occurrence != nil {
			occ := occurrence.UTC()
			ch.Run.Occurrence = &occ
			ch.Workflow.ScheduleState.LastOccurrence = &occ
		}
		return nil
	})
	if err != nil {
		if managed != nil {
			// The workflow did not start, so it holds nothing: undo the claim
			// unless an earlier run of it still holds the input.
			if ch, gerr := s.Store.GetWorkflow(ctx, org, workflowID); gerr == nil && !ch.Status.Active() {
				s.Store.ReleaseManagedInputs(ctx, org, workflowID)
			}
		}
		return err
	}
	s.notify()
	return nil
}

// Stop asks a starting or running channel to stop.
func (s *Service) Stop(ctx context.Context, org, workflowID string) error {
	_, err := s.Store.UpdateChannel(ctx, org, workflowID, func(ch *domain.Channel) error {
		if ch.Run == nil {
			return &domain.ConflictError{Message: "workflow " + ch.Workflow.ID + " has never been started"}
		}
		return ch.RequestStop(s.Now().UTC())
	})
	if err == nil {
		s.notify()
	}
	return err
}

// StopRun asks the channel to stop if runID is still its run: a stop
// decided on what a run did (its publisher gone) is no stop of the next one.
func (s *Service) StopRun(ctx context.Context, org, workflowID, runID string) error {
	stopped := false
	_, err := s.Store.UpdateChannel(ctx, org, workflowID, func(ch *domain.Channel) error {
		if ch.Run == nil || ch.Run.ID != runID {
			return nil
		}
		stopped = true
		return ch.RequestStop(s.Now().UTC())
	})
	if err == nil && stopped {
		s.notify()
	}
	return err
}

func (s *Service) notify() {
	if s.Notify != nil {
		s.Notify()
	}
}
