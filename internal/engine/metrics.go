package engine

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"onair/internal/pipeline"
)

// refusals counts publish attempts the engine turned away, by reason.
type refusals struct {
	unknownKey, keyInUse atomic.Int64
}

var (
	descUp        = prometheus.NewDesc("onair_pipeline_up", "1 while the pipeline's ffmpeg runs.", []string{"workflow", "pipeline"}, nil)
	descFPS       = prometheus.NewDesc("onair_pipeline_fps", "Frames per second ffmpeg encodes, from -progress.", []string{"workflow", "pipeline"}, nil)
	descSpeed     = prometheus.NewDesc("onair_pipeline_speed", "Encoding speed relative to real time (1 keeps up), from -progress.", []string{"workflow", "pipeline"}, nil)
	descBitrate   = prometheus.NewDesc("onair_pipeline_bitrate_kbps", "Output bitrate ffmpeg reports, kbit/s.", []string{"workflow", "pipeline"}, nil)
	descDropped   = prometheus.NewDesc("onair_pipeline_dropped_frames", "Frames ffmpeg dropped in its current instance.", []string{"workflow", "pipeline"}, nil)
	descRestarts  = prometheus.NewDesc("onair_pipeline_restarts_total", "Times the pipeline's ffmpeg was restarted after it exited.", []string{"workflow", "pipeline"}, nil)
	descAlert     = prometheus.NewDesc("onair_pipeline_alert", "1 while the pipeline keeps failing (its channel info has the alert and cause).", []string{"workflow", "pipeline"}, nil)
	descPublisher = prometheus.NewDesc("onair_ingest_publishers", "Publishers connected to running channels.", nil, nil)
	descRefused   = prometheus.NewDesc("onair_ingest_publish_refused_total", "Publish attempts refused, by reason.", []string{"reason"}, nil)
)

// Describe implements prometheus.Collector.
func (l *Local) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descFPS, descSpeed, descBitrate, descDropped, descRestarts, descAlert, descPublisher, descRefused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it reads each pipeline's latest
// -progress block at scrape time, so that nothing polls in between.
func (l *Local) Collect(ch chan<- prometheus.Metric) {
	type row struct {
		wf        string
		p         *pipe
		sup       *pipeline.Supervisor // nil while the run is held until its start
		publisher bool
	}
	l.mu.Lock()
	var rows []row
	for _, rt := range l.runs {
		for _, p := range rt.pipes {
			r := row{wf: rt.ref.WorkflowID, p: p, publisher: p.publisher != nil}
			if rt.started {
				r.sup = p.sup
			}
			rows = append(rows, r)
		}
	}
	l.mu.Unlock()
	publishers := 0
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, r := range rows {
		if r.publisher {
			publishers++
		}
		if r.sup == nil {
			continue // held until its start: no ffmpeg yet
		}
		labels := []string{r.wf, strconv.Itoa(r.p.index)}
		up := 0.0
		if r.sup.Running() {
			up = 1
			pr := r.sup.Progress()
			gauge(descFPS, pr.FPS, labels...)
			gauge(descSpeed, pr.Speed, labels...)
			gauge(descBitrate, pr.Bitrate, labels...)
			gauge(descDropped, float64(pr.DropFrames), labels...)
		}
		gauge(descUp, up, labels...)
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(r.sup.Restarts()), labels...)
		alert := 0.0
		if r.p.alert.open.Load() {
			alert = 1
		}
		gauge(descAlert, alert, labels...)
	}
	gauge(descPublisher, float64(publishers))
	ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(l.refused.unknownKey.Load()), "unknown_key")
	ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(l.refused.keyInUse.Load()), "key_in_use")
}
