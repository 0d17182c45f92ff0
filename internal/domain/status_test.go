package domain

import (
	"errors"
	"testing"
	"time"
)

// TestTransitions checks every ordered pair of statuses against the design's machine.
func TestTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusReady, StatusProvisioning}:       true,
		{StatusProvisioning, StatusStarting}:    true,
		{StatusProvisioning, StatusStartFailed}: true,
		{StatusStarting, StatusRunning}:         true,
		{StatusStarting, StatusStartFailed}:     true,
		{StatusRunning, StatusStopping}:         true,
		{StatusStopping, StatusDeleting}:        true,
		{StatusStopping, StatusStopFailed}:      true,
		{StatusDeleting, StatusDone}:            true,
		{StatusDeleting, StatusStopFailed}:      true,
		{StatusDone, StatusProvisioning}:        true, // next occurrence of a recurring schedule
		{StatusStartFailed, StatusProvisioning}: true, // next occurrence of a recurring schedule
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := allowed[[2]Status{from, to}]
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			err := Transition(from, to)
			var ce *ConflictError
			if want && err != nil || !want && !errors.As(err, &ce) {
				t.Errorf("Transition(%s, %s) = %v", from, to, err)
			}
		}
	}
}

func TestStatusPredicates(t *testing.T) {
	cases := []struct {
		s                                    Status
		locked, modifiable, scheduleEditable bool
	}{
		{StatusReady, false, true, true},
		{StatusProvisioning, true, false, false},
		{StatusStarting, true, false, false},
		{StatusRunning, false, false, true},
		{StatusStopping, true, false, false},
		{StatusDeleting, true, false, false},
		{StatusDone, false, true, true},
		{StatusStartFailed, false, true, false},
		{StatusStopFailed, false, true, false},
	}
	if len(cases) != len(Statuses) {
		t.Fatalf("table covers %d statuses of %d", len(cases), len(Statuses))
	}
	for _, c := range cases {
		if c.s.Locked() != c.locked || c.s.Modifiable() != c.modifiable || c.s.ScheduleEditable() != c.scheduleEditable {
			t.Errorf("%s: locked=%v modifiable=%v scheduleEditable=%v", c.s, c.s.Locked(), c.s.Modifiable(), c.s.ScheduleEditable())
		}
		if !c.s.Valid() {
			t.Errorf("%s not valid", c.s)
		}
	}
	if Status("PAUSED").Valid() {
		t.Error("PAUSED is valid")
	}
}

func TestCheckModifiable(t *testing.T) {
	for _, s := range Statuses {
		w := Workflow{ID: "w1", Status: s}
		err := w.CheckModifiable("delete")
		var ce *ConflictError
		if s.Modifiable() != (err == nil) || (err != nil && !errors.As(err, &ce)) {
			t.Errorf("%s: CheckModifiable = %v", s, err)
		}
	}
}

func TestChannelLifecycle(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Channel{Workflow: Workflow{ID: "w", Status: StatusReady, Region: "local"}}
	if err := c.RequestStop(now); err == nil {
		t.Fatal("stop of a READY workflow accepted")
	}
	if err := c.RequestStart("r1", true, now); err != nil {
		t.Fatal(err)
	}
	if c.Workflow.Status != StatusProvisioning || c.Run.Status != StatusProvisioning || c.Workflow.RunID != "r1" || !c.Run.StartRequested.Equal(now) {
		t.Fatalf("after start: %+v %+v", c.Workflow, c.Run)
	}
	if err := c.RequestStart("r2", true, now); err == nil {
		t.Fatal("second start accepted")
	}
	if err := c.RequestStop(now.Add(time.Second)); err != nil || c.Run.StopRequested == nil {
		t.Fatalf("stop while provisioning: %v", err)
	}
	first := *c.Run.StopRequested
	_ = c.RequestStop(now.Add(time.Hour))
	if !c.Run.StopRequested.Equal(first) {
		t.Error("a second stop moved stopRequestedDateTime")
	}
	for _, s := range []Status{StatusStarting, StatusRunning, StatusStopping, StatusDeleting, StatusDone} {
		if err := c.SetStatus(s, "", now); err != nil {
			t.Fatalf("to %s: %v", s, err)
		}
	}
	if c.Run.Started == nil || c.Run.Stopped == nil || c.Run.Status != StatusDone {
		t.Fatalf("run times not recorded: %+v", c.Run)
	}
	if err := c.RequestStart("r3", true, now); err == nil {
		t.Fatal("a DONE workflow was started by hand; it must be duplicated")
	}
	if err := c.RequestStart("r3", false, now); err != nil || c.Run.ID != "r3" || c.Run.StopRequested != nil {
		t.Fatalf("scheduler restart from DONE: %v %+v", err, c.Run)
	}
}

func TestSetStatusRecordsCause(t *testing.T) {
	now := time.Now().UTC()
	c := Channel{Workflow: Workflow{ID: "w", Status: StatusReady}}
	_ = c.RequestStart("r", true, now)
	if err := c.SetStatus(StatusStartFailed, "no media engine", now); err != nil {
		t.Fatal(err)
	}
	if c.Workflow.Cause != "no media engine" || c.Run.Cause != "no media engine" || c.Run.Stopped == nil {
		t.Fatalf("cause not recorded: %+v %+v", c.Workflow, c.Run)
	}
	if err := c.SetStatus(StatusRunning, "", now); err == nil {
		t.Fatal("START_FAILED → RUNNING accepted")
	}
}
