package server

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"onair/internal/domain"
	"onair/internal/engine"
	"onair/internal/health"
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
// waiting; one goroutine writes them in order. Each alert an event raises or
// clears goes to the alert webhook: the blueprint's, or the server's.
type eventLog struct {
	store    channelUpdater
	log      *slog.Logger
	queue    chan runEvent
	webhooks *health.Webhooks
	webhook  string // the server's alert webhook; "" for none
}

func newEventLog(s channelUpdater, log *slog.Logger, webhooks *health.Webhooks, webhook string) *eventLog {
	return &eventLog{store: s, log: log, queue: make(chan runEvent, 1024), webhooks: webhooks, webhook: webhook}
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

// errNothingToClear drops an alert_cleared event for an alert the run does
// not have open: the health monitor clears what a resumed run may have
// left open, whether it was or not.
var errNothingToClear = errors.New("the alert is not open")

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
	var before []domain.Alert
	ch, err := e.store.UpdateChannel(context.Background(), it.ref.OrgID, it.ref.WorkflowID, func(ch *domain.Channel) error {
		if ch.Run == nil || ch.Run.ID != it.ref.RunID {
			return errOtherRun
		}
		before = slices.Clone(ch.Run.Alerts)
		if it.ev.Type == domain.EventAlertCleared && !ch.Run.AlertOpen(it.ev.Alert, it.ev.Pipeline, it.ev.Destination) {
			return errNothingToClear
		}
		if it.dest != nil {
			ch.Run.SetDestination(*it.dest)
		} else {
			ch.Run.AddEvent(it.ev)
		}
		return nil
	})
	switch {
	case err == nil:
		e.notify(ch, before, it.ev.Time)
	case !errors.Is(err, errOtherRun) && !errors.Is(err, errNothingToClear) && !errors.Is(err, domain.ErrNotFound):
		e.log.Warn("recording a run event", "workflow", it.ref.WorkflowID, "err", err)
	}
}

// notify sends the alerts that the run's last event raised or cleared to
// its webhook.
func (e *eventLog) notify(ch domain.Channel, before []domain.Alert, at time.Time) {
	url := ch.Workflow.Blueprint.Settings.AlertWebhook
	if url == "" {
		url = e.webhook
	}
	if url == "" || e.webhooks == nil {
		return
	}
	raised, cleared := domain.AlertChanges(before, ch.Run.Alerts)
	send := func(typ string, alerts []domain.Alert) {
		for _, a := range alerts {
			a.Type = a.Kind()
			e.webhooks.Send(url, health.Notice{Type: typ, Time: at.UTC(), WorkflowID: ch.Workflow.ID, WorkflowName: ch.Workflow.Name,
				RunID: ch.Run.ID, Alert: a, ActiveAlerts: len(ch.Run.Alerts)})
		}
	}
	send(domain.EventAlertRaised, raised)
	send(domain.EventAlertCleared, cleared)
}
