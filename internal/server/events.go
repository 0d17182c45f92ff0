package server

import (
	"context"
	"errors"
	"log/slog"

	"onair/internal/domain"
	"onair/internal/engine"
)

// channelUpdater is the part of the store the event log writes through.
type channelUpdater interface {
	UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error)
}

// runEvent is an event of a run, or a destination worker's status (dest set).
type runEvent struct {
	ref  engine.RunRef
	ev   domain.RunEvent
	dest *domain.DestinationStatus
}

// eventLog appends the engine's run events to the runs in the store, and
// keeps their destinations' statuses. The engine hands both over without
// waiting; one goroutine writes them in order.
type eventLog struct {
	store channelUpdater
	log   *slog.Logger
	queue chan runEvent
}

func newEventLog(s channelUpdater, log *slog.Logger) *eventLog {
	return &eventLog{store: s, log: log, queue: make(chan runEvent, 1024)}
}

// add queues an event; a full queue drops it rather than stall the media plane.
func (e *eventLog) add(ref engine.RunRef, ev domain.RunEvent) {
	select {
	case e.queue <- runEvent{ref: ref, ev: ev}:
	default:
		e.log.Warn("run event log is full; dropping an event", "workflow", ref.WorkflowID, "type", ev.Type)
	}
}

// destination queues a destination worker's status, as add does an event.
func (e *eventLog) destination(ref engine.RunRef, s domain.DestinationStatus) {
	select {
	case e.queue <- runEvent{ref: ref, dest: &s}:
	default:
		e.log.Warn("run event log is full; dropping a destination's status", "workflow", ref.WorkflowID, "destination", s.ID)
	}
}

var errOtherRun = errors.New("the event's run is no longer the workflow's current run")

// run writes queued events until ctx is done, then writes what is queued.
func (e *eventLog) run(ctx context.Context) {
	for {
		select {
		case it := <-e.queue:
			e.write(it)
		case <-ctx.Done():
			for {
				select {
				case it := <-e.queue:
					e.write(it)
				default:
					return
				}
			}
		}
	}
}

func (e *eventLog) write(it runEvent) {
	_, err := e.store.UpdateChannel(context.Background(), it.ref.OrgID, it.ref.WorkflowID, func(ch *domain.Channel) error {
		if ch.Run == nil || ch.Run.ID != it.ref.RunID {
			return errOtherRun
		}
		if it.dest != nil {
			ch.Run.SetDestination(*it.dest)
		} else {
			ch.Run.AddEvent(it.ev)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errOtherRun) && !errors.Is(err, domain.ErrNotFound) {
		e.log.Warn("recording a run event", "workflow", it.ref.WorkflowID, "err", err)
	}
}
