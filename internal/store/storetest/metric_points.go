package storetest

import (
	"math"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// testMetricPoints: a 24 h run's health history, two pipelines at 10 s and
// 1 min, is 20 160 rows that read back in order, only in their
// organization; a point written again replaces the old one; the 10 s points
// stay while the run is active and go once it ended, the 1 min points go
// with age; a deleted workflow takes its history with it.
func testMetricPoints(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newWorkflow("org-a", "wf", 0))
	_, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error { return c.RequestStart("run-1", true, at(1)) })
	must(t, err)

	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	point := func(res time.Duration, i, pipeline int) domain.MetricPoint {
		return domain.MetricPoint{OrgID: "org-a", WorkflowID: "wf", RunID: "run-1", Pipeline: pipeline, Resolution: res,
			Time:   start.Add(time.Duration(i) * res),
			Values: map[string]float64{"NetworkIn": float64(i), "InputLossSeconds": float64(i % 2), "OutputBitrate/720p": 3000.5}}
	}
	var batch []domain.MetricPoint
	flush := func() {
		must(t, s.SaveMetricPoints(ctx, batch))
		batch = batch[:0]
	}
	for _, res := range []time.Duration{10 * time.Second, time.Minute} {
		for i := range int(24 * time.Hour / res) {
			batch = append(batch, point(res, i, 0), point(res, i, 1))
			if len(batch) >= 2000 {
				flush()
			}
		}
	}
	flush()

	began := time.Now()
	fine, err := s.MetricPoints(ctx, "org-a", "wf", 10*time.Second, start, end)
	must(t, err)
	took := time.Since(began)
	coarse, err := s.MetricPoints(ctx, "org-a", "wf", time.Minute, start, end)
	must(t, err)
	t.Logf("24 h of two pipelines: %d points at 10 s read in %s, %d at 1 min", len(fine), took, len(coarse))
	// How long a read takes is the benchmark's (bench/healthbench); here,
	// that it reads one range of the primary key, however long the history.
	plan, err := store.ExplainMetricPoints(ctx, s, "org-a", "wf", 10*time.Second, start.Add(time.Hour), start.Add(2*time.Hour))
	must(t, err)
	if !strings.Contains(plan, "PRIMARY KEY") && !strings.Contains(plan, "metric_points_pkey") {
		t.Errorf("an hour of the history is read with:\n%s", plan)
	}
	if strings.Contains(plan, "SCAN metric_points") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("an hour of the history scans the table or sorts:\n%s", plan)
	}
	t.Logf("its plan:\n%s", plan)
	if len(fine) != 2*8640 || len(coarse) != 2*1440 {
		t.Fatalf("%d points at 10 s and %d at 1 min, want %d and %d", len(fine), len(coarse), 2*8640, 2*1440)
	}
	equal(t, "the first point", fine[0], point(10*time.Second, 0, 0))
	equal(t, "the second point (pipeline 1 of the same period)", fine[1], point(10*time.Second, 0, 1))
	equal(t, "the last point", fine[len(fine)-1], point(10*time.Second, 8639, 1))

	hour, err := s.MetricPoints(ctx, "org-a", "wf", time.Minute, start.Add(time.Hour), start.Add(2*time.Hour))
	must(t, err)
	if len(hour) != 120 || !hour[0].Time.Equal(start.Add(time.Hour)) || !hour[119].Time.Equal(start.Add(2*time.Hour-time.Minute)) {
		t.Errorf("an hour at 1 min: %d points from %s", len(hour), hour[0].Time)
	}
	other, err := s.MetricPoints(ctx, "org-b", "wf", time.Minute, start, end)
	must(t, err)
	if len(other) != 0 {
		t.Errorf("another organization reads %d points", len(other))
	}

	again := point(time.Minute, 0, 0)
	again.Values = map[string]float64{"NetworkIn": -1, "EncoderSpeed": math.NaN(), "AvDriftMs": math.Inf(1)}
	must(t, s.SaveMetricPoints(ctx, []domain.MetricPoint{again}))
	first, err := s.MetricPoints(ctx, "org-a", "wf", time.Minute, start, start.Add(time.Minute))
	must(t, err)
	again.Values = map[string]float64{"NetworkIn": -1}
	equal(t, "a point written again, without its NaN and infinity", first, []domain.MetricPoint{again, point(time.Minute, 0, 1)})

	// While the run is active, its 10 s points stay; the 1 min points of the
	// first 12 h are past their age.
	n, err := s.PruneMetricPoints(ctx, 10*time.Second, end.Add(time.Hour), start.Add(12*time.Hour))
	must(t, err)
	if n != 1440 {
		t.Errorf("pruning an active run's history deleted %d points, want the 1440 old 1 min points", n)
	}
	_, err = s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error { return c.SetStatus(domain.StatusStartFailed, "test", at(2)) })
	must(t, err)
	// Ended, but not long enough ago: its 10 s points stay.
	n, err = s.PruneMetricPoints(ctx, 10*time.Second, at(1), start.Add(12*time.Hour))
	must(t, err)
	if n != 0 {
		t.Errorf("pruning a run that ended after fineBefore deleted %d points", n)
	}
	n, err = s.PruneMetricPoints(ctx, 10*time.Second, at(3), start.Add(12*time.Hour))
	must(t, err)
	left, err := s.MetricPoints(ctx, "org-a", "wf", 10*time.Second, start, end)
	must(t, err)
	if n != 2*8640 || len(left) != 0 {
		t.Errorf("once the run ended: %d points deleted, %d at 10 s left; want every 10 s point gone", n, len(left))
	}
	coarse, err = s.MetricPoints(ctx, "org-a", "wf", time.Minute, start, end)
	must(t, err)
	if len(coarse) != 1440 {
		t.Errorf("%d points at 1 min left, want the last 12 h's 1440", len(coarse))
	}

	must(t, s.DeleteWorkflow(ctx, "org-a", "wf", func(domain.Workflow) error { return nil }))
	must(t, s.SaveMetricPoints(ctx, []domain.MetricPoint{point(time.Minute, 5000, 0)}))
	create(t, s, newWorkflow("org-a", "wf", 0))
	gone, err := s.MetricPoints(ctx, "org-a", "wf", time.Minute, start, end.Add(30*24*time.Hour))
	must(t, err)
	if len(gone) != 0 {
		t.Errorf("a deleted workflow's history: %d points left or written after", len(gone))
	}
}
