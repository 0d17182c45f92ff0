package domain

import "time"

// MetricPoint is one period of a pipeline's health as the store keeps it:
// each series' value over the period, by series key ("NetworkIn",
// "OutputBitrate/720p"), as its metric aggregates (health.Metrics).
type MetricPoint struct {
	OrgID, WorkflowID, RunID string
	Pipeline                 int
	// Resolution is the period's length: 10 s, kept for the run's life, or
	// 1 min, kept for 30 days.
	Resolution time.Duration
	Time       time.Time // the period's start, a multiple of Resolution
	Values     map[string]float64
}
