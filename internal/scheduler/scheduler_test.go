package scheduler_test

import (
	"context"
	"errors"
	"onair/internal/testutil/testclock"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"onair/internal/catalog"
	"onair/internal/channels"
	"onair/internal/domain"
	"onair/internal/scheduler"
	"onair/internal/store"
)

const org = "default"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// env is a scheduler over a real SQLite store and the real channels service.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	clock *testclock.Clock
	svc   *channels.Service
	sched *scheduler.Scheduler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := testclock.New(at("2026-11-30T00:00:00Z"))
	e := &env{t: t, ctx: ctx, st: st, clock: c}
	e.svc = &channels.Service{Store: st, NewID: uuid.NewString, Now: c.Now}
	e.sched = e.newScheduler()
	return e
}

// newScheduler is a fresh scheduler over the same store: what a restart gets.
func (e *env) newScheduler() *scheduler.Scheduler {
	return scheduler.New(e.st, e.svc, scheduler.Options{Now: e.clock.Now, Resync: 30 * time.Second})
}

// create stores a READY workflow with a schedule and returns its id.
func (e *env) create(s *domain.Schedule) string {
	e.t.Helper()
	b, _ := catalog.New().Get(catalog.ABR720)
	now := e.clock.Now()
	wf := domain.Workflow{
		ID: uuid.NewString(), OrgID: org, Name: "w", Region: "local", Status: domain.StatusReady,
		Blueprint: b, BlueprintID: b.ID, Tags: []string{}, Schedule: s, CreateArchives: true, Created: now, Updated: now,
	}
	if err := e.st.CreateWorkflow(e.ctx, wf); err != nil {
		e.t.Fatal(err)
	}
	return wf.ID
}

// step moves the clock to now and makes one scheduler pass.
func (e *env) step(now string) {
	e.t.Helper()
	e.clock.Set(at(now))
	if err := e.sched.Step(e.ctx, at(now)); err != nil {
		e.t.Fatalf("Step(%s): %v", now, err)
	}
}

func (e *env) get(id string) domain.Channel {
	e.t.Helper()
	ch, err := e.st.GetChannel(e.ctx, org, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ch
}

// drive moves the workflow through statuses as the controller would.
func (e *env) drive(id string, to ...domain.Status) {
	e.t.Helper()
	for _, s := range to {
		_, err := e.st.UpdateChannel(e.ctx, org, id, func(ch *domain.Channel) error {
			return ch.SetStatus(s, "", e.clock.Now())
		})
		if err != nil {
			e.t.Fatalf("to %s: %v", s, err)
		}
	}
}

// finish plays the end of a run that was asked to stop.
func (e *env) finish(id string) {
	e.t.Helper()
	e.drive(id, domain.StatusStopping, domain.StatusDeleting, domain.StatusDone)
}

// edit changes the schedule as PUT /api/workflows/{id}/schedule does.
func (e *env) edit(id string, s *domain.Schedule) error {
	_, err := e.st.UpdateChannel(e.ctx, org, id, func(ch *domain.Channel) error {
		return ch.EditSchedule(s, e.clock.Now())
	})
	return err
}

func daily(start string, minutes int, end string) *domain.Schedule {
	return &domain.Schedule{StartDateTime: start, Duration: minutes, Recurrence: &domain.Recurrence{Unit: "DAY", EndDate: end}}
}

func equal(a *time.Time, b string) bool { return a != nil && a.Equal(at(b)) }

func TestStartsEachOccurrenceAndStopsIt(t *testing.T) {
	e := newEnv(t)
	id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-02"))

	e.step("2026-12-01T17:59:59Z")
	if ch := e.get(id); ch.Workflow.Status != domain.StatusReady || ch.Run != nil {
		t.Fatalf("before the start: %s, run %v", ch.Workflow.Status, ch.Run)
	}
	e.step("2026-12-01T18:00:00.300Z")
	ch := e.get(id)
	if ch.Workflow.Status != domain.StatusProvisioning || ch.Run == nil || !equal(ch.Run.Occurrence, "2026-12-01T18:00:00Z") {
		t.Fatalf("at the start: %s, run %+v", ch.Workflow.Status, ch.Run)
	}
	if !ch.Run.StartRequested.Equal(at("2026-12-01T18:00:00.300Z")) {
		t.Errorf("start requested at %v", ch.Run.StartRequested)
	}
	if n := ch.Workflow.UpcomingRun(e.clock.Now()); !equal(n, "2026-12-02T18:00:00Z") {
		t.Errorf("nextRun %v, want the next day", n)
	}
	first := ch.Run.ID

	e.step("2026-12-01T18:00:01Z")
	if ch := e.get(id); ch.Run.ID != first {
		t.Fatalf("a second pass started another run")
	}
	e.drive(id, domain.StatusStarting, domain.StatusRunning)
	e.step("2026-12-01T18:59:59Z")
	if ch := e.get(id); ch.Run.StopRequested != nil {
		t.Fatalf("stop requested before the end of the occurrence")
	}
	e.step("2026-12-01T19:00:00Z")
	if ch := e.get(id); !equal(ch.Run.StopRequested, "2026-12-01T19:00:00Z") {
		t.Fatalf("at the end: stop requested %v", ch.Run.StopRequested)
	}
	e.finish(id)

	e.step("2026-12-02T18:00:00Z")
	ch = e.get(id)
	if ch.Workflow.Status != domain.StatusProvisioning || ch.Run.ID == first || !equal(ch.Run.Occurrence, "2026-12-02T18:00:00Z") {
		t.Fatalf("the next occurrence from DONE: %s, run %+v", ch.Workflow.Status, ch.Run)
	}
	e.drive(id, domain.StatusStarting, domain.StatusRunning)
	e.step("2026-12-02T19:00:00Z")
	e.finish(id)
	e.step("2026-12-03T18:00:00Z") // past endDate
	ch = e.get(id)
	if ch.Workflow.Status != domain.StatusDone || ch.Workflow.UpcomingRun(e.clock.Now()) != nil {
		t.Errorf("after endDate: %s, nextRun %v", ch.Workflow.Status, ch.Workflow.UpcomingRun(e.clock.Now()))
	}
	runs, err := e.st.ListRuns(e.ctx, org, store.RunFilter{WorkflowID: id})
	if err != nil || len(runs.Items) != 2 {
		t.Errorf("runs: %d %v, want one per occurrence", len(runs.Items), err)
	}
}

func TestRestartNeverStartsAnOccurrenceTwice(t *testing.T) {
	e := newEnv(t)
	id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))
	e.step("2026-12-01T18:00:00Z")
	run := e.get(id).Run.ID
	// The start fails: START_FAILED allows a scheduled start, but not of the
	// same occurrence.
	e.drive(id, domain.StatusStartFailed)

	e.sched = e.newScheduler() // a restart
	e.step("2026-12-01T18:30:00Z")
	if ch := e.get(id); ch.Run.ID != run || ch.Workflow.Status != domain.StatusStartFailed {
		t.Fatalf("after a restart inside the window: %s, run %s (was %s)", ch.Workflow.Status, ch.Run.ID, run)
	}
	e.step("2026-12-02T18:00:00Z")
	if ch := e.get(id); ch.Run.ID == run || !equal(ch.Run.Occurrence, "2026-12-02T18:00:00Z") {
		t.Fatalf("the next occurrence after START_FAILED: run %+v", ch.Run)
	}
}

func TestMissedStarts(t *testing.T) {
	e := newEnv(t)
	id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))

	// Down from before the first start until the third day, outside a window.
	e.step("2026-12-03T12:00:00Z")
	ch := e.get(id)
	if ch.Run != nil || ch.Workflow.Status != domain.StatusReady {
		t.Fatalf("a wholly missed occurrence started: %+v", ch.Run)
	}
	skipped := ch.Workflow.ScheduleState.Skipped
	if len(skipped) != 2 || !skipped[0].Equal(at("2026-12-01T18:00:00Z")) || !skipped[1].Equal(at("2026-12-02T18:00:00Z")) {
		t.Errorf("skipped %v, want the first two days", skipped)
	}
	if n := ch.Workflow.UpcomingRun(e.clock.Now()); !equal(n, "2026-12-03T18:00:00Z") {
		t.Errorf("nextRun %v", n)
	}

	// Down over the third start, back inside its window: starts at once, for
	// the time that remains.
	e.step("2026-12-03T18:40:00Z")
	ch = e.get(id)
	if ch.Workflow.Status != domain.StatusProvisioning || !equal(ch.Run.Occurrence, "2026-12-03T18:00:00Z") {
		t.Fatalf("back inside the window: %s, run %+v", ch.Workflow.Status, ch.Run)
	}
	e.drive(id, domain.StatusStarting, domain.StatusRunning)
	e.step("2026-12-03T19:00:00Z")
	if ch := e.get(id); !equal(ch.Run.StopRequested, "2026-12-03T19:00:00Z") {
		t.Errorf("the late start did not stop at the occurrence's end: %v", ch.Run.StopRequested)
	}
	if got := e.get(id).Workflow.ScheduleState.Skipped; len(got) != 2 {
		t.Errorf("skipped changed: %v", got)
	}
}

func TestScheduleEditsInEachStatus(t *testing.T) {
	t.Run("READY: a new start moves the next occurrence", func(t *testing.T) {
		e := newEnv(t)
		id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))
		e.clock.Set(at("2026-12-01T12:00:00Z"))
		if err := e.edit(id, daily("2026-12-01T20:00:00Z", 60, "2026-12-05")); err != nil {
			t.Fatal(err)
		}
		e.step("2026-12-01T18:00:00Z")
		if ch := e.get(id); ch.Run != nil {
			t.Fatalf("started at the old time")
		}
		e.step("2026-12-01T20:00:00Z")
		if ch := e.get(id); ch.Run == nil || !equal(ch.Run.Occurrence, "2026-12-01T20:00:00Z") {
			t.Fatalf("not started at the new time: %+v", ch.Run)
		}
	})
	t.Run("RUNNING: a longer duration moves the stop", func(t *testing.T) {
		e := newEnv(t)
		id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))
		e.step("2026-12-01T18:00:00Z")
		e.drive(id, domain.StatusStarting, domain.StatusRunning)
		e.clock.Set(at("2026-12-01T18:30:00Z"))
		if err := e.edit(id, daily("2026-12-01T18:00:00Z", 90, "2026-12-05")); err != nil {
			t.Fatal(err)
		}
		e.step("2026-12-01T19:00:00Z")
		if ch := e.get(id); ch.Run.StopRequested != nil {
			t.Fatalf("stopped at the old end")
		}
		e.step("2026-12-01T19:30:00Z")
		if ch := e.get(id); !equal(ch.Run.StopRequested, "2026-12-01T19:30:00Z") {
			t.Fatalf("not stopped at the new end: %v", ch.Run.StopRequested)
		}
	})
	t.Run("RUNNING: a cleared schedule leaves the run to be stopped by hand", func(t *testing.T) {
		e := newEnv(t)
		id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))
		e.step("2026-12-01T18:00:00Z")
		e.drive(id, domain.StatusStarting, domain.StatusRunning)
		if err := e.edit(id, &domain.Schedule{}); err != nil {
			t.Fatal(err)
		}
		e.step("2026-12-02T18:00:00Z")
		ch := e.get(id)
		if ch.Workflow.Schedule != nil || ch.Run.StopRequested != nil || ch.Workflow.Status != domain.StatusRunning {
			t.Fatalf("after clearing: schedule %v, stop %v, %s", ch.Workflow.Schedule, ch.Run.StopRequested, ch.Workflow.Status)
		}
	})
	t.Run("DONE: a new start time for the next occurrence", func(t *testing.T) {
		e := newEnv(t)
		id := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))
		e.step("2026-12-01T18:00:00Z")
		e.drive(id, domain.StatusStarting, domain.StatusRunning)
		e.step("2026-12-01T19:00:00Z")
		e.finish(id)
		if err := e.edit(id, daily("2026-12-01T08:00:00Z", 30, "2026-12-05")); err != nil {
			t.Fatal(err)
		}
		if ch := e.get(id); !equal(ch.Workflow.UpcomingRun(e.clock.Now()), "2026-12-02T08:00:00Z") {
			t.Errorf("nextRun %v", ch.Workflow.UpcomingRun(e.clock.Now()))
		}
		e.step("2026-12-02T08:00:00Z")
		if ch := e.get(id); ch.Workflow.Status != domain.StatusProvisioning || !equal(ch.Run.Occurrence, "2026-12-02T08:00:00Z") {
			t.Fatalf("not started at the new time: %s %+v", ch.Workflow.Status, ch.Run)
		}
		if got := e.get(id).Workflow.ScheduleState.Skipped; len(got) != 0 {
			t.Errorf("the edit's past occurrences reported as missed: %v", got)
		}
	})
	for _, st := range []domain.Status{domain.StatusProvisioning, domain.StatusStarting, domain.StatusStopping, domain.StatusDeleting, domain.StatusStartFailed, domain.StatusStopFailed} {
		t.Run(string(st)+": refused", func(t *testing.T) {
			e := newEnv(t)
			s := daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05")
			id := e.create(s)
			_, err := e.st.UpdateChannel(e.ctx, org, id, func(ch *domain.Channel) error { ch.Workflow.Status = st; return nil })
			if err != nil {
				t.Fatal(err)
			}
			var ce *domain.ConflictError
			if err := e.edit(id, &domain.Schedule{}); !errors.As(err, &ce) {
				t.Fatalf("edit in %s: %v, want a conflict", st, err)
			}
			if got := e.get(id).Workflow.Schedule; got == nil || got.Duration != 60 {
				t.Errorf("schedule changed: %+v", got)
			}
		})
	}
}

// failingStarter refuses every start, counting them.
type failingStarter struct {
	mu     sync.Mutex
	starts int
}

func (f *failingStarter) Start(context.Context, string, string, *time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	return &domain.ConflictError{Message: "managed input in use"}
}

func (f *failingStarter) Stop(context.Context, string, string) error { return nil }

func (f *failingStarter) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

func TestFailedStartIsRetriedOncePerResync(t *testing.T) {
	e := newEnv(t)
	id := e.create(daily("2026-12-01T18:00:00.000Z", 10, "2026-12-05"))
	f := &failingStarter{}
	e.sched = scheduler.New(e.st, f, scheduler.Options{Now: e.clock.Now, Resync: 30 * time.Second})
	for _, c := range []struct {
		now    string
		starts int
	}{
		{"2026-12-01T18:00:00Z", 1},
		{"2026-12-01T18:00:01Z", 1},
		{"2026-12-01T18:00:29Z", 1},
		{"2026-12-01T18:00:30Z", 2},
		{"2026-12-01T18:00:31Z", 2},
		{"2026-12-01T18:09:59Z", 3},
		{"2026-12-01T18:10:00Z", 3}, // the window is over: skipped, no more tries
		{"2026-12-01T18:11:00Z", 3},
	} {
		e.step(c.now)
		if got := f.count(); got != c.starts {
			t.Errorf("at %s: %d starts, want %d", c.now, got, c.starts)
		}
	}
	if got := e.get(id).Workflow.ScheduleState.Skipped; len(got) != 1 || !got[0].Equal(at("2026-12-01T18:00:00Z")) {
		t.Errorf("skipped %v, want the occurrence that never started", got)
	}
}

// TestRun checks the loop: it passes at once, again on Notify, and returns when
// its context ends.
func TestRun(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(at("2026-12-01T18:00:00Z"))
	first := e.create(daily("2026-12-01T18:00:00.000Z", 60, "2026-12-05"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.sched.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	}()

	waitStatus := func(id string, want domain.Status) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for e.get(id).Workflow.Status != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s is %s, want %s", id, e.get(id).Workflow.Status, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitStatus(first, domain.StatusProvisioning)

	second := e.create(daily("2026-12-01T17:30:00.000Z", 60, "2026-12-05"))
	e.sched.Notify()
	e.sched.Notify() // never blocks
	waitStatus(second, domain.StatusProvisioning)
}
