// Package scheduler turns workflow schedules into start and stop requests. It is
// level triggered like the controller: on each wake it reads every scheduled
// workflow from the store and applies domain.Channel.ScheduleDecision at the
// current time, so that after a restart it resumes from the store alone. What
// it has done is in the store too (ScheduleState.LastOccurrence), which is what
// keeps an occurrence from starting twice across restarts.
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// Store is the part of the store the scheduler reads and writes.
type Store interface {
	ScheduledChannels(ctx context.Context) ([]store.ChannelRef, error)
	GetChannel(ctx context.Context, org, workflowID string) (domain.Channel, error)
	UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error)
}

// Starter starts and stops runs; *channels.Service is one.
type Starter interface {
	// Start begins a run of the workflow for a scheduled occurrence.
	Start(ctx context.Context, org, workflowID string, occurrence *time.Time) error
	// Stop asks the workflow's run to stop.
	Stop(ctx context.Context, org, workflowID string) error
}

// Options tune a Scheduler; zero values take defaults.
type Options struct {
	Now    func() time.Time // time.Now when nil
	Log    *slog.Logger     // slog.Default() when nil
	Resync time.Duration    // the longest sleep between passes, and the retry delay of a failed start or stop; 30 s when 0
}

// Scheduler starts each occurrence of each schedule and stops it after its
// duration. Create it with New and run it with Run.
type Scheduler struct {
	store   Store
	starter Starter
	now     func() time.Time
	log     *slog.Logger
	resync  time.Duration
	kick    chan struct{}

	mu sync.Mutex
	// failed holds the time of the last failed attempt of each start or stop,
	// so that one that keeps failing (a managed input held by another run, say)
	// is retried once per resync and not at every wake.
	failed map[attempt]time.Time
}

// attempt names one start (of an occurrence) or stop of one workflow.
type attempt struct {
	ref        store.ChannelRef
	action     domain.Action
	occurrence time.Time
}

// New returns a scheduler over a store and a starter.
func New(st Store, svc Starter, o Options) *Scheduler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Resync <= 0 {
		o.Resync = 30 * time.Second
	}
	return &Scheduler{
		store: st, starter: svc, now: o.Now, log: o.Log.With("component", "scheduler"), resync: o.Resync,
		kick: make(chan struct{}, 1), failed: map[attempt]time.Time{},
	}
}

// Notify tells the scheduler that a schedule changed, so that it looks again
// now rather than at the time it planned to wake. It never blocks.
func (s *Scheduler) Notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// minSleep keeps the loop from spinning should a decision not change after it
// was applied (a store that lies, a clock that goes backwards).
const minSleep = 10 * time.Millisecond

// Run applies the schedules until ctx is done. It passes over every scheduled
// workflow, sleeps until the earliest instant a decision may change (at most
// Resync, so that schedules written by another node are seen), and again; a
// Notify cuts the sleep short.
func (s *Scheduler) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-s.kick:
			// Since Go 1.23 Stop and Reset leave no stale tick in the channel:
			// the timer needs no draining here.
			timer.Stop()
		}
		wake, err := s.pass(ctx, s.now())
		if err != nil && ctx.Err() == nil {
			s.log.Error("scheduling pass failed; retrying", "err", err, "in", s.resync)
		}
		sleep := s.resync
		if !wake.IsZero() {
			sleep = min(sleep, wake.Sub(s.now()))
		}
		timer.Reset(max(sleep, minSleep))
	}
}

// Step makes one pass over the scheduled workflows at now, applying each
// decision; tests drive the scheduler with it, moving a fake clock.
func (s *Scheduler) Step(ctx context.Context, now time.Time) error {
	_, err := s.pass(ctx, now)
	return err
}

// pass applies every scheduled workflow's decisions at now and returns the
// earliest instant at which one may change (zero for none). One workflow's
// failure does not stop the others; the errors are returned together.
func (s *Scheduler) pass(ctx context.Context, now time.Time) (time.Time, error) {
	s.forgetFailures(now)
	refs, err := s.store.ScheduledChannels(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var (
		wake time.Time
		errs []error
	)
	for _, ref := range refs {
		if ctx.Err() != nil {
			return wake, ctx.Err()
		}
		w, err := s.apply(ctx, ref, now)
		if err != nil {
			errs = append(errs, err)
		}
		if !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
			wake = w
		}
	}
	return wake, errors.Join(errs...)
}

// maxSteps bounds the decisions applied to one workflow in one pass: at most a
// stop, a skip and a start follow each other.
const maxSteps = 4

// apply takes a workflow's decisions at now one after the other until it has to
// wait, and returns when it should be looked at again.
func (s *Scheduler) apply(ctx context.Context, ref store.ChannelRef, now time.Time) (time.Time, error) {
	log := s.log.With("workflow", ref.WorkflowID)
	for range maxSteps {
		ch, err := s.store.GetChannel(ctx, ref.OrgID, ref.WorkflowID)
		if errors.Is(err, domain.ErrNotFound) {
			return time.Time{}, nil // deleted meanwhile
		}
		if err != nil {
			return time.Time{}, err
		}
		d := ch.ScheduleDecision(now)
		switch d.Action {
		case domain.Wait:
			wake, _ := ch.NextWake(now)
			return wake, nil
		case domain.SkipOccurrences:
			if err := s.skip(ctx, ref, now); err != nil {
				return time.Time{}, err
			}
			log.Warn("occurrences missed: their whole window passed without a start",
				"count", len(d.Skipped), "first", d.Skipped[0], "last", d.Skipped[len(d.Skipped)-1])
		case domain.StartOccurrence, domain.StopOccurrence:
			key := attempt{ref: ref, action: d.Action, occurrence: d.Occurrence}
			if retry, ok := s.retryAt(key); ok && now.Before(retry) {
				return retry, nil
			}
			occ := d.Occurrence
			if d.Action == domain.StartOccurrence {
				err = s.starter.Start(ctx, ref.OrgID, ref.WorkflowID, &occ)
			} else {
				err = s.starter.Stop(ctx, ref.OrgID, ref.WorkflowID)
			}
			if err != nil {
				if ctx.Err() != nil {
					return time.Time{}, ctx.Err()
				}
				// A refusal (a managed input held by another run, a status
				// changed meanwhile) is retried at the next resync while the
				// window lasts; it is the user's to fix, not an error of the
				// scheduler's.
				s.noteFailure(key, now)
				log.Warn("scheduled "+d.Action.String()+" failed; retrying", "occurrence", occ, "err", err, "in", s.resync)
				return now.Add(s.resync), nil
			}
			if d.Action == domain.StartOccurrence {
				log.Info("scheduled start", "occurrence", occ, "late", now.Sub(occ).Round(time.Millisecond))
			} else {
				log.Info("scheduled stop", "occurrence", ch.Run.Occurrence)
			}
		}
	}
	return now.Add(minSleep), nil
}

// errChanged rolls back a skip whose decision changed under the lock.
var errChanged = errors.New("schedule decision changed meanwhile")

// skip records the missed occurrences, deciding again inside the transaction so
// that what it records is what the store holds now.
func (s *Scheduler) skip(ctx context.Context, ref store.ChannelRef, now time.Time) error {
	_, err := s.store.UpdateChannel(ctx, ref.OrgID, ref.WorkflowID, func(ch *domain.Channel) error {
		d := ch.ScheduleDecision(now)
		if d.Action != domain.SkipOccurrences {
			return errChanged
		}
		ch.Workflow.RecordSkipped(d.Skipped, now)
		return nil
	})
	if errors.Is(err, errChanged) || errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Scheduler) retryAt(key attempt) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.failed[key]
	return t.Add(s.resync), ok
}

func (s *Scheduler) noteFailure(key attempt, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed[key] = now
}

// forgetFailures drops the failures that may be retried by now, so that the
// map holds only the attempts that are waiting.
func (s *Scheduler) forgetFailures(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.failed {
		if !now.Before(t.Add(s.resync)) {
			delete(s.failed, k)
		}
	}
}
