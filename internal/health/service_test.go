package health_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/store"
	"onair/internal/testutil/testclock"
)

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// withWorkflow stores the workflow and run the history's points belong to.
func withWorkflow(t *testing.T, st store.Store) health.RunRef {
	t.Helper()
	w := domain.Workflow{ID: "wf", OrgID: "org", Name: "News", Status: domain.StatusReady, Created: time.Now().UTC(), Updated: time.Now().UTC()}
	if err := st.CreateWorkflow(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateChannel(t.Context(), "org", "wf", func(c *domain.Channel) error { return c.RequestStart("run", true, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	return health.RunRef{OrgID: "org", WorkflowID: "wf", RunID: "run"}
}

// TestHistorySurvivesARestart: what one service wrote, the next one on the
// same database reads; a range past memory's 15 minutes reads the store at
// 10 s and completes it with the newest frames.
func TestHistorySurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onair.db")
	st := openStore(t, path)
	ref := withWorkflow(t, st)
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clk := testclock.New(start)
	reading := health.Reading{Ref: ref, InBitrate: 2e6, InFrameRate: 30, Publisher: true}
	a := &health.Service{Store: st, Read: func() []health.Reading { return []health.Reading{reading} }, Now: clk.Now}
	for range 20 * 60 { // 20 minutes, a tick a second
		a.Tick(t.Context())
		clk.Advance(time.Second)
	}
	end := clk.Now()
	series, res, err := a.Series(t.Context(), health.Query{OrgID: "org", WorkflowID: "wf", From: start, To: end, Metrics: []string{"NetworkIn"}})
	if err != nil || res != health.Fine || len(series) != 1 {
		t.Fatalf("20 min: %d series at %s (%v), want one at 10 s", len(series), res, err)
	}
	if n := len(series[0].Points); n != 120 {
		t.Errorf("20 min at 10 s: %d points, want 120 (the store's and the newest, folded from memory)", n)
	}
	st.Close()

	// Another onair on the same database: the history is there.
	st = openStore(t, path)
	t.Cleanup(func() { st.Close() })
	b := &health.Service{Store: st, Read: func() []health.Reading { return nil }, Now: clk.Now}
	series, res, err = b.Series(t.Context(), health.Query{OrgID: "org", WorkflowID: "wf", From: start, To: end, Metrics: []string{"NetworkIn", "InputLossSeconds"}})
	if err != nil || res != health.Fine || len(series) != 2 {
		t.Fatalf("after the restart: %d series at %s (%v)", len(series), res, err)
	}
	pts := series[0].Points
	if len(pts) < 118 || pts[0].V != 2000 || !pts[0].T.Equal(start) {
		t.Errorf("after the restart: %d points from %+v, want the 20 min at 10 s of 2000 kbps", len(pts), pts[0])
	}
	// A day's range reads the 1 min points.
	series, res, err = b.Series(t.Context(), health.Query{OrgID: "org", WorkflowID: "wf", From: end.Add(-24 * time.Hour), To: end, Metrics: []string{"NetworkIn"}})
	if err != nil || res != health.Coarse || len(series) != 1 || len(series[0].Points) != 19 {
		t.Errorf("a day: %d series at %s (%v), want the 19 whole minutes at 1 min", len(series), res, err)
	}
}

// TestSeriesFoldsToMaxPoints: a range with more periods than asked for is
// folded: counts add up, rates average.
func TestSeriesFoldsToMaxPoints(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "onair.db"))
	t.Cleanup(func() { st.Close() })
	ref := withWorkflow(t, st)
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clk := testclock.New(start)
	loss := time.Duration(0)
	s := &health.Service{Store: st, Now: clk.Now, Read: func() []health.Reading {
		loss += time.Second // nothing arrives, ever
		return []health.Reading{{Ref: ref, InputLoss: loss}}
	}}
	for range 600 {
		s.Tick(t.Context())
		clk.Advance(time.Second)
	}
	series, res, err := s.Series(t.Context(), health.Query{OrgID: "org", WorkflowID: "wf", From: start, To: clk.Now(), Metrics: []string{"InputLossSeconds"}, MaxPoints: 100})
	if err != nil || len(series) != 1 {
		t.Fatal(err, series)
	}
	total := 0.0
	for _, p := range series[0].Points {
		total += p.V
	}
	if res != 10*time.Second || len(series[0].Points) > 100 || total != 600 {
		t.Errorf("600 s into at most 100 points: %d points of %s, summing %v s; want 10 s periods summing 600", len(series[0].Points), res, total)
	}
}

// TestRecentRangeOfARunThatBeganInIt: a 5 minute range of a run that began
// two minutes ago, past a minute's end, reads memory a point a second: the
// stored periods are the run's own.
func TestRecentRangeOfARunThatBeganInIt(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "onair.db"))
	t.Cleanup(func() { st.Close() })
	ref := withWorkflow(t, st)
	start := time.Date(2026, 12, 2, 10, 0, 25, 0, time.UTC)
	clk := testclock.New(start)
	s := &health.Service{Store: st, Now: clk.Now, Read: func() []health.Reading { return []health.Reading{{Ref: ref, InBitrate: 1e6}} }}
	for range 120 {
		s.Tick(t.Context())
		clk.Advance(time.Second)
	}
	series, res, err := s.Series(t.Context(), health.Query{OrgID: "org", WorkflowID: "wf", From: clk.Now().Add(-5 * time.Minute), To: clk.Now(), Metrics: []string{"NetworkIn"}})
	if err != nil || res != time.Second || len(series) != 1 || len(series[0].Points) != 120 {
		t.Fatalf("%v at %s (%v), want the 120 seconds from memory", series, res, err)
	}
}
