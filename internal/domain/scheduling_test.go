package domain_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"onair/internal/domain"
)

func channel(s *domain.Schedule, status domain.Status, last *time.Time, run *domain.Run) domain.Channel {
	ch := domain.Channel{Workflow: domain.Workflow{ID: "w1", Status: status, Schedule: s}, Run: run}
	ch.Workflow.ScheduleState.LastOccurrence = last
	if run != nil {
		run.Status = status
		ch.Workflow.RunID = run.ID
	}
	return ch
}

// created sets when the workflow was created.
func created(ch domain.Channel, when string) domain.Channel {
	ch.Workflow.Created = at(when)
	return ch
}

func occRun(occ string, stopRequested bool) *domain.Run {
	r := &domain.Run{ID: "r1"}
	if occ != "" {
		r.Occurrence = ptr(at(occ))
	}
	if stopRequested {
		r.StopRequested = ptr(at("2026-12-01T18:30:00Z"))
	}
	return r
}

func TestScheduleDecision(t *testing.T) {
	d := daily("2026-12-01T18:00:00Z", 60, "2026-12-05")
	late := daily("2026-12-01T23:58:00Z", 10, "2026-12-02")
	start := func(o string) domain.Decision {
		return domain.Decision{Action: domain.StartOccurrence, Occurrence: at(o)}
	}
	skip := func(os ...string) domain.Decision {
		return domain.Decision{Action: domain.SkipOccurrences, Skipped: times(os...)}
	}
	stop := domain.Decision{Action: domain.StopOccurrence}
	wait := domain.Decision{}
	cases := []struct {
		name string
		ch   domain.Channel
		now  string
		want domain.Decision
		wake string // NextWake; "" for never
	}{
		{"before the first start", channel(d, domain.StatusReady, nil, nil), "2026-12-01T17:59:59Z", wait, "2026-12-01T18:00:00Z"},
		{"at the first start", channel(d, domain.StatusReady, nil, nil), "2026-12-01T18:00:00Z", start("2026-12-01T18:00:00Z"), "2026-12-01T19:00:00Z"},
		{"server back inside the window: start at once", channel(d, domain.StatusReady, nil, nil), "2026-12-01T18:45:00Z",
			start("2026-12-01T18:00:00Z"), "2026-12-01T19:00:00Z"},
		{"started: never twice", channel(d, domain.StatusDone, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", true)),
			"2026-12-01T18:45:00Z", wait, "2026-12-02T18:00:00Z"},
		{"running, before its stop", channel(d, domain.StatusRunning, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", false)),
			"2026-12-01T18:59:59Z", wait, "2026-12-01T19:00:00Z"},
		{"running, at its stop", channel(d, domain.StatusRunning, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", false)),
			"2026-12-01T19:00:00Z", stop, "2026-12-02T18:00:00Z"},
		{"still provisioning at its stop: asked to stop too", channel(d, domain.StatusProvisioning, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", false)),
			"2026-12-01T19:00:01Z", stop, "2026-12-02T18:00:00Z"},
		{"stop already asked", channel(d, domain.StatusRunning, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", true)),
			"2026-12-01T19:30:00Z", wait, "2026-12-02T18:00:00Z"},
		{"run started by hand is never stopped", channel(d, domain.StatusRunning, nil, occRun("", false)),
			"2026-12-01T17:00:00Z", wait, "2026-12-01T18:00:00Z"},
		{"by-hand run over a window: no start while it runs", channel(d, domain.StatusRunning, nil, occRun("", false)),
			"2026-12-01T18:10:00Z", wait, "2026-12-01T19:00:00Z"},
		{"by-hand run over a whole window: skipped", channel(d, domain.StatusRunning, nil, occRun("", false)),
			"2026-12-01T19:00:00Z", skip("2026-12-01T18:00:00Z"), "2026-12-02T18:00:00Z"},
		{"DONE: the next occurrence starts", channel(d, domain.StatusDone, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", true)),
			"2026-12-02T18:00:00.5Z", start("2026-12-02T18:00:00Z"), "2026-12-02T19:00:00Z"},
		{"START_FAILED: the next occurrence starts", channel(d, domain.StatusStartFailed, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", false)),
			"2026-12-02T18:00:00Z", start("2026-12-02T18:00:00Z"), "2026-12-02T19:00:00Z"},
		{"STOP_FAILED: no start", channel(d, domain.StatusStopFailed, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", true)),
			"2026-12-02T18:00:00Z", wait, "2026-12-02T19:00:00Z"},
		{"down over whole windows: skipped, then the open one", channel(d, domain.StatusDone, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", true)),
			"2026-12-04T18:20:00Z", skip("2026-12-02T18:00:00Z", "2026-12-03T18:00:00Z"), "2026-12-04T19:00:00Z"},
		{"down past the end: the rest skipped", channel(d, domain.StatusReady, nil, nil),
			"2027-01-01T00:00:00Z", skip("2026-12-01T18:00:00Z", "2026-12-02T18:00:00Z", "2026-12-03T18:00:00Z", "2026-12-04T18:00:00Z", "2026-12-05T18:00:00Z"), ""},
		{"after the end, all done", channel(d, domain.StatusDone, ptr(at("2026-12-05T18:00:00Z")), occRun("2026-12-05T18:00:00Z", true)),
			"2026-12-05T19:00:00Z", wait, ""},
		{"window end is exclusive", channel(d, domain.StatusReady, nil, nil), "2026-12-01T19:00:00Z", skip("2026-12-01T18:00:00Z"), "2026-12-02T18:00:00Z"},
		{"23:58 + 10 min: stops after midnight", channel(late, domain.StatusRunning, ptr(at("2026-12-01T23:58:00Z")), occRun("2026-12-01T23:58:00Z", false)),
			"2026-12-02T00:07:59Z", wait, "2026-12-02T00:08:00Z"},
		{"23:58 + 10 min: stop at 00:08", channel(late, domain.StatusRunning, ptr(at("2026-12-01T23:58:00Z")), occRun("2026-12-01T23:58:00Z", false)),
			"2026-12-02T00:08:00Z", stop, "2026-12-02T23:58:00Z"},
		{"23:58 + 10 min: back after midnight inside the window", channel(late, domain.StatusReady, nil, nil),
			"2026-12-02T00:05:00Z", start("2026-12-01T23:58:00Z"), "2026-12-02T00:08:00Z"},
		{"cleared schedule never stops the run", channel(nil, domain.StatusRunning, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", false)),
			"2026-12-01T23:00:00Z", wait, ""},
		{"{} schedule is no schedule", channel(&domain.Schedule{}, domain.StatusReady, nil, nil), "2026-12-01T18:00:00Z", wait, ""},
		{"created after whole windows: not missed", created(channel(d, domain.StatusReady, nil, nil), "2026-12-03T12:00:00Z"),
			"2026-12-03T12:00:01Z", wait, "2026-12-03T18:00:00Z"},
		{"created inside a window: starts at once", created(channel(d, domain.StatusReady, nil, nil), "2026-12-03T18:30:00Z"),
			"2026-12-03T18:30:01Z", start("2026-12-03T18:00:00Z"), "2026-12-03T19:00:00Z"},
		{"created before, down after: missed", created(channel(d, domain.StatusReady, nil, nil), "2026-12-01T19:00:00Z"),
			"2026-12-03T12:00:00Z", skip("2026-12-02T18:00:00Z"), "2026-12-03T18:00:00Z"},
		{"one-off: started, then nothing more", channel(once("2026-12-01T18:00:00Z", 60), domain.StatusDone, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", true)),
			"2026-12-02T18:00:00Z", wait, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := at(c.now)
			if got := c.ch.ScheduleDecision(now); !reflect.DeepEqual(got, c.want) {
				t.Errorf("decision %s %v %v, want %s %v %v", got.Action, got.Occurrence, got.Skipped, c.want.Action, c.want.Occurrence, c.want.Skipped)
			}
			wake, ok := c.ch.NextWake(now)
			switch {
			case c.wake == "" && ok:
				t.Errorf("NextWake = %v, want never", wake)
			case c.wake != "" && (!ok || !wake.Equal(at(c.wake))):
				t.Errorf("NextWake = %v %v, want %s", wake, ok, c.wake)
			}
		})
	}
}

func TestLongerDurationMovesTheStop(t *testing.T) {
	ch := channel(daily("2026-12-01T18:00:00Z", 60, "2026-12-05"), domain.StatusRunning, ptr(at("2026-12-01T18:00:00Z")), occRun("2026-12-01T18:00:00Z", false))
	now := at("2026-12-01T18:30:00Z")
	longer := daily("2026-12-01T18:00:00Z", 120, "2026-12-05")
	if err := ch.EditSchedule(longer, now); err != nil {
		t.Fatal(err)
	}
	if d := ch.ScheduleDecision(at("2026-12-01T19:00:00Z")); d.Action != domain.Wait {
		t.Errorf("at the old stop: %s", d.Action)
	}
	if w, _ := ch.NextWake(now); !w.Equal(at("2026-12-01T20:00:00Z")) {
		t.Errorf("NextWake = %v, want the new stop 20:00", w)
	}
	if d := ch.ScheduleDecision(at("2026-12-01T20:00:00Z")); d.Action != domain.StopOccurrence {
		t.Errorf("at the new stop: %s", d.Action)
	}
	// A shorter one: the stop is due at once.
	if err := ch.EditSchedule(daily("2026-12-01T18:00:00Z", 20, "2026-12-05"), now); err != nil {
		t.Fatal(err)
	}
	if d := ch.ScheduleDecision(now); d.Action != domain.StopOccurrence {
		t.Errorf("after shortening past now: %s", d.Action)
	}
}

func TestNewStartMovesTheNextOccurrence(t *testing.T) {
	now := at("2026-12-01T12:00:00Z")
	ch := channel(daily("2026-12-01T18:00:00Z", 60, "2026-12-05"), domain.StatusReady, nil, nil)
	if err := ch.EditSchedule(daily("2026-12-01T20:00:00Z", 60, "2026-12-05"), now); err != nil {
		t.Fatal(err)
	}
	if n := ch.Workflow.UpcomingRun(now); n == nil || !n.Equal(at("2026-12-01T20:00:00Z")) {
		t.Errorf("nextRun = %v, want 20:00", n)
	}
	if d := ch.ScheduleDecision(at("2026-12-01T18:00:00Z")); d.Action != domain.Wait {
		t.Errorf("at the old start: %s", d.Action)
	}
	if d := ch.ScheduleDecision(at("2026-12-01T20:00:00Z")); d.Action != domain.StartOccurrence {
		t.Errorf("at the new start: %s", d.Action)
	}

	// Moved into the past: the windows already over are neither started nor
	// reported as missed; the next one is tomorrow.
	ch = channel(daily("2026-12-10T18:00:00Z", 60, "2026-12-31"), domain.StatusReady, nil, nil)
	now = at("2026-12-05T12:00:00Z")
	if err := ch.EditSchedule(daily("2026-12-01T10:00:00Z", 60, "2026-12-31"), now); err != nil {
		t.Fatal(err)
	}
	if d := ch.ScheduleDecision(now); d.Action != domain.Wait {
		t.Errorf("after moving the start into the past: %s %v", d.Action, d.Skipped)
	}
	if n := ch.Workflow.UpcomingRun(now); n == nil || !n.Equal(at("2026-12-06T10:00:00Z")) {
		t.Errorf("nextRun = %v, want 2026-12-06T10:00", n)
	}

	// Moved so that today's window is open: READY starts it for what is left...
	ch = channel(daily("2026-12-10T18:00:00Z", 60, "2026-12-31"), domain.StatusReady, nil, nil)
	if err := ch.EditSchedule(daily("2026-12-01T11:30:00Z", 60, "2026-12-31"), now); err != nil {
		t.Fatal(err)
	}
	if d := ch.ScheduleDecision(now); d.Action != domain.StartOccurrence || !d.Occurrence.Equal(at("2026-12-05T11:30:00Z")) {
		t.Errorf("open window in READY: %s %v", d.Action, d.Occurrence)
	}
	// ...but a running workflow's run stands for it: no second run after.
	ch = channel(daily("2026-12-01T11:00:00Z", 60, "2026-12-31"), domain.StatusRunning, ptr(at("2026-12-05T11:00:00Z")), occRun("2026-12-05T11:00:00Z", false))
	if err := ch.EditSchedule(daily("2026-12-01T11:30:00Z", 60, "2026-12-31"), now); err != nil {
		t.Fatal(err)
	}
	ch.Workflow.Status = domain.StatusDone
	if d := ch.ScheduleDecision(at("2026-12-05T12:10:00Z")); d.Action != domain.Wait {
		t.Errorf("after the running occurrence, the moved one of the same day: %s %v", d.Action, d.Occurrence)
	}
}

func TestEditSchedule(t *testing.T) {
	now := at("2026-11-20T10:00:00Z")
	valid := func() *domain.Schedule {
		return weekly("2026-12-01T20:00:00+02:00", 90, "2026-12-31", "MON", "WED")
	}
	for _, st := range domain.Statuses {
		t.Run(string(st), func(t *testing.T) {
			ch := channel(nil, st, nil, nil)
			err := ch.EditSchedule(valid(), now)
			var ce *domain.ConflictError
			if !st.ScheduleEditable() {
				if !errors.As(err, &ce) || ch.Workflow.Schedule != nil {
					t.Fatalf("edit in %s: %v, schedule %v", st, err, ch.Workflow.Schedule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := ch.Workflow.Schedule
			if s == nil || s.StartDateTime != "2026-12-01T18:00:00.000Z" || s.Duration != 90 || s.Recurrence.Days[1] != "WED" {
				t.Fatalf("stored %+v, want it normalized to UTC", s)
			}
			if !ch.Workflow.Updated.Equal(now) {
				t.Errorf("updated %v", ch.Workflow.Updated)
			}
			if err := ch.EditSchedule(&domain.Schedule{}, now); err != nil || ch.Workflow.Schedule != nil {
				t.Errorf("{} did not clear: %v %+v", err, ch.Workflow.Schedule)
			}
		})
	}
}

func TestEditScheduleValidation(t *testing.T) {
	cases := []struct {
		name  string
		s     *domain.Schedule
		field string
	}{
		{"duration 4", once("2026-12-01T18:00:00Z", 4), "duration"},
		{"duration 721", once("2026-12-01T18:00:00Z", 721), "duration"},
		{"WEEK without days", weekly("2026-12-01T18:00:00Z", 60, "2026-12-31"), "recurrence.days"},
		{"unknown day", weekly("2026-12-01T18:00:00Z", 60, "2026-12-31", "MON", "FUNDAY"), "recurrence.days[1]"},
		{"endDate before the start", daily("2026-12-01T18:00:00Z", 60, "2026-11-30"), "recurrence.endDate"},
		{"malformed endDate", daily("2026-12-01T18:00:00Z", 60, "31/12/2026"), "recurrence.endDate"},
		{"malformed start", once("2026-12-01 18:00", 60), "startDateTime"},
		{"no start", &domain.Schedule{Duration: 60}, "startDateTime"},
		{"unknown unit", &domain.Schedule{StartDateTime: "2026-12-01T18:00:00Z", Duration: 60, Recurrence: &domain.Recurrence{Unit: "MONTH", EndDate: "2026-12-31"}}, "recurrence.unit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := daily("2026-10-01T08:00:00Z", 30, "2026-10-31")
			ch := channel(before, domain.StatusReady, nil, nil)
			err := ch.EditSchedule(c.s, at("2026-09-01T00:00:00Z"))
			if f := fields(t, err); !slices.Contains(f, c.field) {
				t.Errorf("fields %v, want %s", f, c.field)
			}
			if ch.Workflow.Schedule != before || !ch.Workflow.Updated.IsZero() {
				t.Errorf("a refused edit changed the workflow: %+v", ch.Workflow)
			}
		})
	}
}

func TestRecordSkippedKeepsTheLatest50(t *testing.T) {
	var w domain.Workflow
	base := at("2026-01-01T18:00:00Z")
	var occ []time.Time
	for i := range 60 {
		occ = append(occ, base.AddDate(0, 0, i))
	}
	w.RecordSkipped(occ[:10], base)
	w.RecordSkipped(occ[10:], base)
	if len(w.ScheduleState.Skipped) != 50 || !w.ScheduleState.Skipped[0].Equal(occ[10]) || !w.ScheduleState.LastOccurrence.Equal(occ[59]) {
		t.Errorf("skipped %d from %v, last %v", len(w.ScheduleState.Skipped), w.ScheduleState.Skipped[0], w.ScheduleState.LastOccurrence)
	}
}

// TestDailySequence plays a week of a daily schedule through the decisions,
// applying each as the scheduler and the controller would, at the instants
// NextWake gives, with two days of downtime in the middle.
func TestDailySequence(t *testing.T) {
	ch := channel(daily("2026-12-01T23:58:00Z", 10, "2026-12-07"), domain.StatusReady, nil, nil)
	down := func(t time.Time) bool {
		return !t.Before(at("2026-12-03T12:00:00Z")) && t.Before(at("2026-12-05T23:59:00Z"))
	}
	var started, stopped []time.Time
	now := at("2026-11-30T00:00:00Z")
	for step := 0; step < 100; step++ {
		if down(now) {
			now = at("2026-12-05T23:59:00Z")
		}
		switch d := ch.ScheduleDecision(now); d.Action {
		case domain.StartOccurrence:
			if err := ch.RequestStart("run", false, now); err != nil {
				t.Fatal(err)
			}
			ch.Run.Occurrence = ptr(d.Occurrence)
			ch.Workflow.ScheduleState.LastOccurrence = ptr(d.Occurrence)
			ch.SetStatus(domain.StatusStarting, "", now)
			ch.SetStatus(domain.StatusRunning, "", now)
			started = append(started, now)
			continue
		case domain.StopOccurrence:
			ch.RequestStop(now)
			for _, s := range []domain.Status{domain.StatusStopping, domain.StatusDeleting, domain.StatusDone} {
				if err := ch.SetStatus(s, "", now); err != nil {
					t.Fatal(err)
				}
			}
			stopped = append(stopped, now)
			continue
		case domain.SkipOccurrences:
			ch.Workflow.RecordSkipped(d.Skipped, now)
			continue
		}
		wake, ok := ch.NextWake(now)
		if !ok {
			break
		}
		now = wake
	}
	wantStarts := times("2026-12-01T23:58:00Z", "2026-12-02T23:58:00Z", "2026-12-05T23:59:00Z", "2026-12-06T23:58:00Z", "2026-12-07T23:58:00Z")
	wantStops := times("2026-12-02T00:08:00Z", "2026-12-03T00:08:00Z", "2026-12-06T00:08:00Z", "2026-12-07T00:08:00Z", "2026-12-08T00:08:00Z")
	if !slices.EqualFunc(started, wantStarts, time.Time.Equal) || !slices.EqualFunc(stopped, wantStops, time.Time.Equal) {
		t.Errorf("starts %v\nwant   %v\nstops  %v\nwant   %v", started, wantStarts, stopped, wantStops)
	}
	if got := ch.Workflow.ScheduleState.Skipped; !slices.EqualFunc(got, times("2026-12-03T23:58:00Z", "2026-12-04T23:58:00Z"), time.Time.Equal) {
		t.Errorf("skipped %v", got)
	}
	if n := ch.Workflow.UpcomingRun(now); n != nil {
		t.Errorf("nextRun after the end: %v", n)
	}
}
