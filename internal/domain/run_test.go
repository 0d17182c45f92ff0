package domain_test

import (
	"reflect"
	"testing"
	"time"

	"onair/internal/domain"
)

func TestRunAlerts(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := func(sec int, typ string, pipeline int, msg string) domain.RunEvent {
		return domain.RunEvent{Time: t0.Add(time.Duration(sec) * time.Second), Type: typ, Pipeline: pipeline, Message: msg}
	}
	failing, recovered := domain.EventPipelineFailing, domain.EventPipelineRecovered
	alert := func(typ string) func(sec int, alert string, pipeline int, dest, msg string) domain.RunEvent {
		return func(sec int, alert string, pipeline int, dest, msg string) domain.RunEvent {
			e := ev(sec, typ, pipeline, msg)
			e.Alert, e.Destination = alert, dest
			return e
		}
	}
	raised, clear := alert(domain.EventAlertRaised), alert(domain.EventAlertCleared)
	cleared := func(sec int, a string, pipeline int, dest string) domain.RunEvent {
		return clear(sec, a, pipeline, dest, "")
	}
	cases := []struct {
		name   string
		events []domain.RunEvent
		want   []domain.Alert
	}{
		{"a restart alone opens nothing", []domain.RunEvent{ev(0, "pipeline_restarted", 0, "killed")}, nil},
		{"failing opens an alert since then", []domain.RunEvent{ev(1, failing, 0, "killed")},
			[]domain.Alert{{Type: domain.AlertPipelineFailing, Pipeline: 0, Since: t0.Add(time.Second), Cause: "killed"}}},
		{"failing again keeps since and takes the new cause",
			[]domain.RunEvent{ev(1, failing, 0, "killed"), ev(6, failing, 0, "no libx264")},
			[]domain.Alert{{Type: domain.AlertPipelineFailing, Pipeline: 0, Since: t0.Add(time.Second), Cause: "no libx264"}}},
		{"recovered closes it", []domain.RunEvent{ev(1, failing, 0, "killed"), ev(9, recovered, 0, "")}, []domain.Alert{}},
		{"recovered without an alert is a no-op", []domain.RunEvent{ev(9, recovered, 1, "")}, nil},
		{"one alert per pipeline, in pipeline order",
			[]domain.RunEvent{ev(1, failing, 1, "backup down"), ev(2, failing, 0, "main down"), ev(3, recovered, 1, "")},
			[]domain.Alert{{Type: domain.AlertPipelineFailing, Pipeline: 0, Since: t0.Add(2 * time.Second), Cause: "main down"}}},
		{"a raised alert opens beside a failing pipeline's, in type order",
			[]domain.RunEvent{ev(1, failing, 0, "killed"), raised(2, domain.AlertInputLoss, 0, "", "no input for 6 s")},
			[]domain.Alert{
				{Type: domain.AlertInputLoss, Pipeline: 0, Since: t0.Add(2 * time.Second), Cause: "no input for 6 s"},
				{Type: domain.AlertPipelineFailing, Pipeline: 0, Since: t0.Add(time.Second), Cause: "killed"},
			}},
		{"one destination alert per destination; clearing one keeps the other",
			[]domain.RunEvent{raised(1, domain.AlertDestinationRetrying, 0, "a", "down"), raised(2, domain.AlertDestinationRetrying, 0, "b", "down"),
				cleared(3, domain.AlertDestinationRetrying, 0, "a")},
			[]domain.Alert{{Type: domain.AlertDestinationRetrying, Pipeline: 0, Destination: "b", Since: t0.Add(2 * time.Second), Cause: "down"}}},
		{"pipeline_recovered does not clear another type",
			[]domain.RunEvent{raised(1, domain.AlertSlowEncoder, 1, "", "0.8x"), ev(2, recovered, 1, "")},
			[]domain.Alert{{Type: domain.AlertSlowEncoder, Pipeline: 1, Since: t0.Add(time.Second), Cause: "0.8x"}}},
		{"a cleared alert of another pipeline is a no-op",
			[]domain.RunEvent{raised(1, domain.AlertInputLoss, 0, "", "x"), cleared(2, domain.AlertInputLoss, 1, "")},
			[]domain.Alert{{Type: domain.AlertInputLoss, Pipeline: 0, Since: t0.Add(time.Second), Cause: "x"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r domain.Run
			for _, e := range c.events {
				r.AddEvent(e)
			}
			if !reflect.DeepEqual(r.Alerts, c.want) {
				t.Errorf("alerts = %+v, want %+v", r.Alerts, c.want)
			}
			if len(r.Events) != len(c.events) {
				t.Errorf("%d events logged, want %d", len(r.Events), len(c.events))
			}
		})
	}
}

func TestRunAlertsCloseWhenTheRunEnds(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ch := domain.Channel{Workflow: domain.Workflow{Status: domain.StatusRunning}, Run: &domain.Run{Status: domain.StatusRunning}}
	ch.Run.AddEvent(domain.RunEvent{Time: now, Type: domain.EventPipelineFailing, Message: "killed"})
	if err := ch.SetStatus(domain.StatusStopping, "", now); err != nil || len(ch.Run.Alerts) != 1 {
		t.Fatalf("STOPPING: %v, alerts %+v; want the alert kept while the run is active", err, ch.Run.Alerts)
	}
	for _, to := range []domain.Status{domain.StatusDeleting, domain.StatusDone} {
		if err := ch.SetStatus(to, "", now); err != nil {
			t.Fatal(err)
		}
	}
	if ch.Run.Alerts != nil {
		t.Errorf("alerts after DONE: %+v", ch.Run.Alerts)
	}
}

func TestAlertChanges(t *testing.T) {
	loss := domain.Alert{Type: domain.AlertInputLoss, Pipeline: 0}
	failing := domain.Alert{Pipeline: 1} // stored before alerts had types: pipeline_failing
	failingTyped := domain.Alert{Type: domain.AlertPipelineFailing, Pipeline: 1, Cause: "new cause"}
	cdn := domain.Alert{Type: domain.AlertDestinationRetrying, Pipeline: 0, Destination: "cdn"}
	raised, cleared := domain.AlertChanges([]domain.Alert{loss, failing}, []domain.Alert{failingTyped, cdn})
	if !reflect.DeepEqual(raised, []domain.Alert{cdn}) || !reflect.DeepEqual(cleared, []domain.Alert{loss}) {
		t.Errorf("raised %+v, cleared %+v", raised, cleared)
	}
}
