package controller_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"onair/internal/catalog"
	"onair/internal/controller"
	"onair/internal/domain"
	"onair/internal/store"
)

// testEngine records the calls it gets and fails the steps it is told to.
type testEngine struct {
	mu      sync.Mutex
	calls   []string
	fail    map[string]error
	running map[string]bool
}

func newEngine() *testEngine {
	return &testEngine{fail: map[string]error{}, running: map[string]bool{}}
}

func (e *testEngine) step(name string, ch domain.Channel) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, name)
	return e.fail[name]
}

func (e *testEngine) Provision(_ context.Context, ch domain.Channel) ([]domain.Ingest, error) {
	if err := e.step("provision", ch); err != nil {
		return nil, err
	}
	return []domain.Ingest{{App: "live", StreamKey: "key-" + ch.Run.ID}}, nil
}

func (e *testEngine) Start(_ context.Context, ch domain.Channel) error {
	if err := e.step("start", ch); err != nil {
		return err
	}
	e.mu.Lock()
	e.running[ch.Run.ID] = true
	e.mu.Unlock()
	return nil
}

func (e *testEngine) Running(ch domain.Channel) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running[ch.Run.ID]
}

func (e *testEngine) Stop(_ context.Context, ch domain.Channel) ([]domain.Archive, error) {
	if err := e.step("stop", ch); err != nil {
		return nil, err
	}
	e.mu.Lock()
	delete(e.running, ch.Run.ID)
	e.mu.Unlock()
	return []domain.Archive{{ID: "a", Playlist: "p/index.m3u8", MP4: "p.mp4", FileSize: 10, Duration: 1}}, nil
}

func (e *testEngine) Delete(_ context.Context, ch domain.Channel) error { return e.step("delete", ch) }

func (e *testEngine) Rollback(_ context.Context, ch domain.Channel, _ error) error {
	return e.step("rollback", ch)
}

func (e *testEngine) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...)
}

const org = "default"

func setup(t *testing.T) (store.Store, store.ChannelRef) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := catalog.New().Get(catalog.ABR720)
	now := time.Now().UTC()
	wf := domain.Workflow{ID: "wf1", OrgID: org, Name: "w", Region: "local", Status: domain.StatusReady, Blueprint: b, BlueprintID: b.ID, Tags: []string{}, Created: now, Updated: now}
	if err := st.CreateWorkflow(context.Background(), wf); err != nil {
		t.Fatal(err)
	}
	return st, store.ChannelRef{OrgID: org, WorkflowID: "wf1"}
}

func start(t *testing.T, st store.Store, ref store.ChannelRef) {
	t.Helper()
	_, err := st.UpdateChannel(context.Background(), org, ref.WorkflowID, func(ch *domain.Channel) error {
		return ch.RequestStart("run1", true, time.Now().UTC())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func requestStop(t *testing.T, st store.Store, ref store.ChannelRef) {
	t.Helper()
	_, err := st.UpdateChannel(context.Background(), org, ref.WorkflowID, func(ch *domain.Channel) error {
		return ch.RequestStop(time.Now().UTC())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// drive takes steps until the channel is steady and returns its state.
func drive(t *testing.T, c *controller.Controller, st store.Store, ref store.ChannelRef) domain.Channel {
	t.Helper()
	for i := 0; i < 20; i++ {
		more, err := c.Step(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			ch, err := st.GetChannel(context.Background(), org, ref.WorkflowID)
			if err != nil {
				t.Fatal(err)
			}
			return ch
		}
	}
	t.Fatal("channel never became steady")
	return domain.Channel{}
}

func TestLifecycle(t *testing.T) {
	st, ref := setup(t)
	eng := newEngine()
	c := controller.New(st, eng, controller.Options{})
	start(t, st, ref)
	ch := drive(t, c, st, ref)
	if ch.Workflow.Status != domain.StatusRunning || ch.Run.Started == nil || ch.Run.Inputs[0].StreamKey != "key-run1" {
		t.Fatalf("after start: %+v %+v", ch.Workflow, ch.Run)
	}
	requestStop(t, st, ref)
	ch = drive(t, c, st, ref)
	if ch.Workflow.Status != domain.StatusDone || ch.Run.Stopped == nil || len(ch.Run.Archives) != 1 || ch.Run.Status != domain.StatusDone {
		t.Fatalf("after stop: %+v %+v", ch.Workflow, ch.Run)
	}
	want := []string{"provision", "start", "stop", "delete"}
	if got := eng.Calls(); len(got) != len(want) || got[0] != want[0] || got[3] != want[3] {
		t.Fatalf("engine calls %v, want %v", got, want)
	}
}

func TestStartFailures(t *testing.T) {
	for _, step := range []string{"provision", "start"} {
		t.Run(step, func(t *testing.T) {
			st, ref := setup(t)
			eng := newEngine()
			eng.fail[step] = errors.New("this ffmpeg has no libx264")
			c := controller.New(st, eng, controller.Options{})
			start(t, st, ref)
			ch := drive(t, c, st, ref)
			if ch.Workflow.Status != domain.StatusStartFailed || ch.Workflow.Cause != "this ffmpeg has no libx264" || ch.Run.Cause != ch.Workflow.Cause {
				t.Fatalf("%+v", ch.Workflow)
			}
			calls := eng.Calls()
			if calls[len(calls)-1] != "rollback" {
				t.Fatalf("no rollback: %v", calls)
			}
		})
	}
}

func TestStopFailures(t *testing.T) {
	for _, step := range []string{"stop", "delete"} {
		t.Run(step, func(t *testing.T) {
			st, ref := setup(t)
			eng := newEngine()
			eng.fail[step] = errors.New("disk full")
			c := controller.New(st, eng, controller.Options{})
			start(t, st, ref)
			drive(t, c, st, ref)
			requestStop(t, st, ref)
			ch := drive(t, c, st, ref)
			if ch.Workflow.Status != domain.StatusStopFailed || ch.Workflow.Cause != "disk full" {
				t.Fatalf("%+v", ch.Workflow)
			}
		})
	}
}

// TestStopWhileStarting: a stop requested during PROVISIONING takes effect once running.
func TestStopWhileStarting(t *testing.T) {
	st, ref := setup(t)
	eng := newEngine()
	c := controller.New(st, eng, controller.Options{})
	start(t, st, ref)
	requestStop(t, st, ref)
	ch := drive(t, c, st, ref)
	if ch.Workflow.Status != domain.StatusDone {
		t.Fatalf("%+v", ch.Workflow)
	}
}

// TestResumeAfterRestart: a new controller (a restarted server) over the same store
// finds a RUNNING channel with nothing behind it and starts it again.
func TestResumeAfterRestart(t *testing.T) {
	st, ref := setup(t)
	start(t, st, ref)
	drive(t, controller.New(st, newEngine(), controller.Options{}), st, ref)

	eng := newEngine() // the new process: nothing runs
	c := controller.New(st, eng, controller.Options{})
	ch := drive(t, c, st, ref)
	if ch.Workflow.Status != domain.StatusRunning || !eng.Running(ch) {
		t.Fatalf("not resumed: %+v, calls %v", ch.Workflow, eng.Calls())
	}

	// Resume that fails stops the run so that its archive is finalized.
	eng2 := newEngine()
	eng2.fail["start"] = errors.New("ffmpeg exited 1")
	ch = drive(t, controller.New(st, eng2, controller.Options{}), st, ref)
	if ch.Workflow.Status != domain.StatusDone || ch.Run.StopRequested == nil || ch.Workflow.Cause == "" {
		t.Fatalf("failed resume: %+v %+v", ch.Workflow, ch.Run)
	}
}

// TestRunLoop drives the whole loop: Notify wakes it, and it resumes work that was
// in flight in the store when it started.
func TestRunLoop(t *testing.T) {
	st, ref := setup(t)
	start(t, st, ref) // left in PROVISIONING, as after a crash
	eng := newEngine()
	c := controller.New(st, eng, controller.Options{Resync: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, st, ref, domain.StatusRunning)
	requestStop(t, st, ref)
	c.Notify()
	waitFor(t, st, ref, domain.StatusDone)
}

func waitFor(t *testing.T, st store.Store, ref store.ChannelRef, want domain.Status) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ch, err := st.GetChannel(context.Background(), org, ref.WorkflowID)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Workflow.Status == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never became %s", want)
}
