package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onair/internal/domain"
	"onair/internal/health"
)

// metricsAccess keeps /metrics from the public: the metrics name every
// organization's workflows, and a workflow id is all it takes to play its
// streams. A request passes with the metrics token as Authorization: Bearer
// (what Prometheus sends with its authorization setting), or with a server
// admin's API key or idToken, which guard checks: 401 without credentials, 403
// for anyone else's.
func metricsAccess(token string, guard func(domain.Permission, http.Handler) http.Handler, h http.Handler) http.Handler {
	guarded := guard(domain.PermMetricsRead, h)
	if token == "" {
		return guarded
	}
	// Comparing hashes takes the same time whatever the length of what was sent.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sent, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			got := sha256.Sum256([]byte(strings.TrimSpace(sent)))
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				h.ServeHTTP(w, r)
				return
			}
		}
		guarded.ServeHTTP(w, r)
	})
}

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

var (
	descActiveAlerts = prometheus.NewDesc("onair_pipeline_active_alerts", "Alerts open on the pipeline: input loss, a low frame rate, a slow encoder, a destination retrying, the pipeline failing.", []string{"workflow", "pipeline"}, nil)
	descViewers      = prometheus.NewDesc("onair_origin_viewers", "Distinct players (address and user agent) that fetched the channel's live HLS in the last 30 s.", []string{"workflow"}, nil)
	descSegments     = prometheus.NewDesc("onair_origin_segment_requests_total", "Live HLS media segments the origin served for the channel since its run started here.", []string{"workflow"}, nil)
)

// healthCollector exports what the health monitor knows of the runs up
// on this node: their open alerts and their audiences. Like the engine's,
// its series go with the run.
type healthCollector struct{ h *health.Service }

func (c healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descActiveAlerts
	ch <- descViewers
	ch <- descSegments
}

func (c healthCollector) Collect(ch chan<- prometheus.Metric) {
	c.h.ActiveAlerts(func(ref health.RunRef, pipeline int, n float64) {
		ch <- prometheus.MustNewConstMetric(descActiveAlerts, prometheus.GaugeValue, n, ref.WorkflowID, strconv.Itoa(pipeline))
		if pipeline == 0 {
			a := c.h.Audience.Of(ref.WorkflowID)
			ch <- prometheus.MustNewConstMetric(descViewers, prometheus.GaugeValue, float64(a.Viewers), ref.WorkflowID)
			ch <- prometheus.MustNewConstMetric(descSegments, prometheus.CounterValue, float64(a.Segments), ref.WorkflowID)
		}
	})
}
