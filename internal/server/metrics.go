package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onair/internal/domain"
)

// workflowCounter is the part of the store the workflows gauge reads.
type workflowCounter interface {
	CountWorkflows(ctx context.Context) (map[domain.Status]int, error)
}

// workflowsCollector exports onair_workflows{status}, read from the store at each
// scrape so that it is right on every node sharing the store.
type workflowsCollector struct {
	store workflowCounter
	desc  *prometheus.Desc
	log   *slog.Logger
}

func newWorkflowsCollector(s workflowCounter, log *slog.Logger) *workflowsCollector {
	return &workflowsCollector{
		store: s,
		desc:  prometheus.NewDesc("onair_workflows", "Workflows by status.", []string{"status"}, nil),
		log:   log,
	}
}

func (c *workflowsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *workflowsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.store.CountWorkflows(ctx)
	if err != nil {
		c.log.Warn("counting workflows for metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, st := range domain.Statuses {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
