// Package controller drives each run through the status machine. It is level
// triggered: it compares what the store says a channel should be with what the
// engine has, and takes one step at a time, so that after a crash it resumes from
// the store alone.
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// Engine is what the controller needs from the media plane. Every method must be
// idempotent: after a restart the controller may repeat the step it was in.
type Engine interface {
	// Provision allocates the run's input endpoints and directories.
	Provision(ctx context.Context, ch domain.Channel) ([]domain.Ingest, error)
	// Start brings the run's pipelines up.
	Start(ctx context.Context, ch domain.Channel) error
	// Running reports whether the run's pipelines are up on this node.
	Running(ch domain.Channel) bool
	// Stop closes the ingest, lets the pipelines finish and finalizes the archives.
	Stop(ctx context.Context, ch domain.Channel) ([]domain.Archive, error)
	// Delete removes what the run no longer needs: rolling live files, unmanaged inputs.
	Delete(ctx context.Context, ch domain.Channel) error
	// Rollback removes everything a failed start created, and tells the
	// run's waiting publishers why it failed.
	Rollback(ctx context.Context, ch domain.Channel, cause error) error
}

// Store is the part of the store the controller reads and writes.
type Store interface {
	ActiveChannels(ctx context.Context) ([]store.ChannelRef, error)
	GetChannel(ctx context.Context, org, workflowID string) (domain.Channel, error)
	UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error)
	ReleaseManagedInputs(ctx context.Context, org, workflowID string) error
}

// Controller is the channel controller. Create it with New and run it with Run.
type Controller struct {
	store  Store
	engine Engine
	now    func() time.Time
	log    *slog.Logger
	resync time.Duration
	kick   chan struct{}
}

// Options tune a Controller; zero values take defaults.
type Options struct {
	Now    func() time.Time // time.Now when nil
	Resync time.Duration    // how often every active channel is re-checked; 5 s when 0
	Log    *slog.Logger
}

// New returns a controller over a store and an engine.
func New(s Store, e Engine, o Options) *Controller {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Resync == 0 {
		o.Resync = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Controller{store: s, engine: e, now: o.Now, log: o.Log.With("component", "controller"), resync: o.Resync, kick: make(chan struct{}, 1)}
}

// Notify tells the controller that the store changed, so that it reconciles now
// rather than at the next resync. It never blocks.
func (c *Controller) Notify() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run reconciles until ctx is done, then waits for the steps in flight to finish.
// Each active channel has at most one worker at a time, which owns it until it
// reaches a steady status.
func (c *Controller) Run(ctx context.Context) error {
	ticker := time.NewTicker(c.resync)
	defer ticker.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	busy := map[store.ChannelRef]bool{}
	done := make(chan store.ChannelRef)
	reconcileAll := func() {
		refs, err := c.store.ActiveChannels(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Error("listing active channels", "err", err)
			}
			return
		}
		for _, ref := range refs {
			if busy[ref] {
				continue
			}
			busy[ref] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.work(ctx, ref)
				select {
				case done <- ref:
				case <-ctx.Done():
				}
			}()
		}
	}
	reconcileAll()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ref := <-done:
			delete(busy, ref)
		case <-c.kick:
			reconcileAll()
		case <-ticker.C:
			reconcileAll()
		}
	}
}

// work takes steps on one channel until it is steady, fails, or ctx ends.
func (c *Controller) work(ctx context.Context, ref store.ChannelRef) {
	log := c.log.With("workflow", ref.WorkflowID)
	for ctx.Err() == nil {
		more, err := c.Step(ctx, ref)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("reconcile step failed; retrying at the next resync", "err", err)
			}
			return
		}
		if !more {
			return
		}
	}
}

// Step takes one step towards the channel's desired state and reports whether
// another step is due at once. Errors are the store's: engine failures are
// recorded on the channel as its cause.
func (c *Controller) Step(ctx context.Context, ref store.ChannelRef) (more bool, err error) {
	ch, err := c.store.GetChannel(ctx, ref.OrgID, ref.WorkflowID)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	if ch.Run == nil {
		return false, nil
	}
	log := c.log.With("workflow", ref.WorkflowID, "run", ch.Run.ID)
	status := ch.Workflow.Status
	switch status {
	case domain.StatusProvisioning:
		ingests, err := c.engine.Provision(ctx, ch)
		if err != nil {
			return c.failStart(ctx, ref, ch, err)
		}
		return c.advance(ctx, ref, status, domain.StatusStarting, func(ch *domain.Channel) { ch.Run.Inputs = ingests })
	case domain.StatusStarting:
		if err := c.engine.Start(ctx, ch); err != nil {
			return c.failStart(ctx, ref, ch, err)
		}
		log.Info("channel running")
		return c.advance(ctx, ref, status, domain.StatusRunning, nil)
	case domain.StatusRunning:
		if ch.Run.StopRequested != nil {
			return c.advance(ctx, ref, status, domain.StatusStopping, nil)
		}
		if !c.engine.Running(ch) {
			// After a restart the store says RUNNING but nothing runs here: resume.
			log.Warn("running channel has no pipeline on this node; resuming")
			if err := c.engine.Start(ctx, ch); err != nil {
				log.Error("resume failed; stopping the run to finalize its archive", "err", err)
				return c.stopWithCause(ctx, ref, "resume after restart failed: "+err.Error())
			}
		}
		return false, nil
	case domain.StatusStopping:
		archives, err := c.engine.Stop(ctx, ch)
		if err != nil {
			return c.fail(ctx, ref, status, domain.StatusStopFailed, err)
		}
		return c.advance(ctx, ref, status, domain.StatusDeleting, func(ch *domain.Channel) { ch.Run.Archives = archives })
	case domain.StatusDeleting:
		if err := c.engine.Delete(ctx, ch); err != nil {
			return c.fail(ctx, ref, status, domain.StatusStopFailed, err)
		}
		log.Info("channel done")
		return c.advance(ctx, ref, status, domain.StatusDone, nil)
	}
	return false, nil
}

// advance moves the channel from → to if nobody moved it meanwhile, applying edit
// to the run in the same transaction.
func (c *Controller) advance(ctx context.Context, ref store.ChannelRef, from, to domain.Status, edit func(*domain.Channel)) (bool, error) {
	return c.move(ctx, ref, from, to, "", edit)
}

func (c *Controller) move(ctx context.Context, ref store.ChannelRef, from, to domain.Status, cause string, edit func(*domain.Channel)) (bool, error) {
	_, err := c.store.UpdateChannel(ctx, ref.OrgID, ref.WorkflowID, func(ch *domain.Channel) error {
		if ch.Workflow.Status != from || ch.Run == nil {
			return errMoved
		}
		if edit != nil {
			edit(ch)
		}
		return ch.SetStatus(to, cause, c.now().UTC())
	})
	if errors.Is(err, errMoved) {
		return true, nil // someone else moved it: look again
	}
	if err != nil {
		return false, err
	}
	if !to.Active() {
		// The run is over: its managed input is free for the next one.
		if err := c.store.ReleaseManagedInputs(ctx, ref.OrgID, ref.WorkflowID); err != nil {
			return false, err
		}
	}
	return to.Active(), nil
}

var errMoved = errors.New("channel moved meanwhile")

// failStart rolls back what the start created and records the cause.
func (c *Controller) failStart(ctx context.Context, ref store.ChannelRef, ch domain.Channel, cause error) (bool, error) {
	msg := cause.Error()
	if err := c.engine.Rollback(ctx, ch, cause); err != nil {
		msg = fmt.Sprintf("%s (and the rollback failed: %v)", msg, err)
	}
	c.log.Warn("start failed", "workflow", ref.WorkflowID, "cause", msg)
	return c.move(ctx, ref, ch.Workflow.Status, domain.StatusStartFailed, msg, nil)
}

func (c *Controller) fail(ctx context.Context, ref store.ChannelRef, from, to domain.Status, cause error) (bool, error) {
	c.log.Warn("step failed", "workflow", ref.WorkflowID, "status", from, "cause", cause)
	return c.move(ctx, ref, from, to, cause.Error(), nil)
}

// stopWithCause stops a running channel on the controller's own initiative.
func (c *Controller) stopWithCause(ctx context.Context, ref store.ChannelRef, cause string) (bool, error) {
	return c.move(ctx, ref, domain.StatusRunning, domain.StatusStopping, cause, func(ch *domain.Channel) {
		now := c.now().UTC()
		if ch.Run.StopRequested == nil {
			ch.Run.StopRequested = &now
		}
	})
}
