package engine

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/media"
)

// refusals counts publish attempts the engine turned away, by reason.
type refusals struct {
	unknownKey, keyInUse atomic.Int64
	// badCredentials are a provision's publishers refused for their
	// credentials; provision, for anything else a provision refused.
	badCredentials, provision atomic.Int64
}

var (
	pipeLabels   = []string{"workflow", "pipeline"}
	streamLabels = []string{"workflow", "pipeline", "rendition"}

	descUp       = prometheus.NewDesc("onair_pipeline_up", "1 while the pipeline is up: its encoder's ffmpeg runs, or it packages its source as it arrives.", pipeLabels, nil)
	descSpeed    = prometheus.NewDesc("onair_pipeline_speed", "Encoding speed relative to real time (1 keeps up), from ffmpeg's -progress.", pipeLabels, nil)
	descDropped  = prometheus.NewDesc("onair_pipeline_dropped_frames", "Frames ffmpeg dropped in its current instance.", pipeLabels, nil)
	descDelay    = prometheus.NewDesc("onair_pipeline_encoder_delay_seconds", "How long the encoder held the latest frame of the top rendition, from its write into ffmpeg to its coming out encoded.", pipeLabels, nil)
	descRestarts = prometheus.NewDesc("onair_pipeline_restarts_total", "Times the pipeline's ffmpeg was restarted after it exited.", pipeLabels, nil)
	descAlert    = prometheus.NewDesc("onair_pipeline_alert", "1 while the pipeline keeps failing (its channel info has the alert and cause).", pipeLabels, nil)

	descBitrate   = prometheus.NewDesc("onair_stream_bitrate_bps", "Bits per second of a stream's media over the last second: the source (rendition=\"source\") or a rendition.", streamLabels, nil)
	descFrameRate = prometheus.NewDesc("onair_stream_frame_rate", "Video frames per second over the last second.", streamLabels, nil)
	descGOP       = prometheus.NewDesc("onair_stream_gop_seconds", "Seconds between the last two video keyframes.", streamLabels, nil)
	descDrift     = prometheus.NewDesc("onair_stream_av_drift_seconds", "The newest video presentation time minus the newest audio's.", streamLabels, nil)
	descLoss      = prometheus.NewDesc("onair_stream_input_loss_seconds_total", "Seconds in which nothing arrived, from the first source on: a publisher gone and not yet back counts.", streamLabels, nil)
	descQueueDrop = prometheus.NewDesc("onair_stream_queue_dropped_total", "Units a reader of the stream dropped because it fell behind (the reader: hls, archive, encoder, destination).", append(streamLabels, "reader"), nil)

	destLabels      = []string{"workflow", "pipeline", "destination"}
	descDestUp      = prometheus.NewDesc("onair_destination_up", "1 while the destination is ACTIVE (pushing), 0 while it connects, retries or gave up (FAILED).", destLabels, nil)
	descDestFailed  = prometheus.NewDesc("onair_destination_failed", "1 once the destination FAILED: it stopped trying, on an error that cannot heal by itself.", destLabels, nil)
	descDestBytes   = prometheus.NewDesc("onair_destination_bytes_sent_total", "Media bytes sent to the destination since its run started.", destLabels, nil)
	descDestRetries = prometheus.NewDesc("onair_destination_reconnects_total", "Connections to the destination made again after a failure.", destLabels, nil)
	descDestDropped = prometheus.NewDesc("onair_destination_dropped_total", "What the destination's worker dropped because it fell behind or was down: access units for RTMP, segments for HLS push.", destLabels, nil)
	descDestErrors  = prometheus.NewDesc("onair_destination_http_errors_total", "HTTP error answers from an HLS push destination, by class (4xx, 5xx).", append(destLabels, "class"), nil)

	descPublisher = prometheus.NewDesc("onair_ingest_publishers", "Publishers connected to running channels.", nil, nil)
	descRefused   = prometheus.NewDesc("onair_ingest_publish_refused_total", "Publish attempts refused, by reason.", []string{"reason"}, nil)
)

// Describe implements prometheus.Collector.
func (l *Local) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descSpeed, descDropped, descDelay, descRestarts, descAlert,
		descBitrate, descFrameRate, descGOP, descDrift, descLoss, descQueueDrop, descPublisher, descRefused,
		descDestUp, descDestFailed, descDestBytes, descDestRetries, descDestDropped, descDestErrors} {
		ch <- d
	}
}

// meteredStream is one stream of a pipeline, as its metrics name it.
type meteredStream struct {
	name  string
	hub   *media.Hub
	meter *media.Meter
}

// pipeRow is one pipeline of a run here, as a scrape or a health reading
// sees it.
type pipeRow struct {
	ref       RunRef
	p         *pipe
	started   bool // the run's media graph is up: its pipe's meters, encoder and destinations are set
	publisher bool
}

// pipeRows lists every pipeline of the runs here.
func (l *Local) pipeRows() []pipeRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rows []pipeRow
	for _, rt := range l.runs {
		for _, p := range rt.pipes {
			rows = append(rows, pipeRow{ref: rt.ref, p: p, started: rt.started, publisher: p.publisher != nil})
		}
	}
	return rows
}

// Collect implements prometheus.Collector: it reads each pipeline's meters and
// ffmpeg's latest -progress block at scrape time, so that nothing polls in
// between. Series exist only for the runs up on this node.
func (l *Local) Collect(ch chan<- prometheus.Metric) {
	rows := l.pipeRows()
	publishers := 0
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for _, r := range rows {
		if r.publisher {
			publishers++
		}
		if !r.started {
			continue // held until its start
		}
		labels := []string{r.ref.WorkflowID, strconv.Itoa(r.p.index)}
		up := 1.0
		if e := r.p.encoder; e != nil {
			sup := e.Supervisor()
			up = 0
			if sup.Running() {
				up = 1
				pr := sup.Progress()
				gauge(descSpeed, pr.Speed, labels...)
				gauge(descDropped, float64(pr.DropFrames), labels...)
			}
			if d, ok := e.Delay(); ok {
				gauge(descDelay, d.Seconds(), labels...)
			}
			counter(descRestarts, float64(sup.Restarts()), labels...)
		}
		gauge(descUp, up, labels...)
		gauge(descAlert, b2f(r.p.alert.open.Load()), labels...)
		for _, w := range r.p.destinations {
			s := w.Status()
			dl := append(append([]string(nil), labels...), s.ID)
			gauge(descDestUp, b2f(s.State == domain.DestinationActive), dl...)
			gauge(descDestFailed, b2f(s.State == domain.DestinationFailed), dl...)
			counter(descDestBytes, float64(s.BytesSent), dl...)
			counter(descDestRetries, float64(s.Reconnects), dl...)
			counter(descDestDropped, float64(s.Dropped), dl...)
			counter(descDestErrors, float64(s.Output4xxErrors), append(dl, "4xx")...)
			counter(descDestErrors, float64(s.Output5xxErrors), append(dl, "5xx")...)
		}
		for _, m := range r.p.meters {
			sl := append(append([]string(nil), labels...), m.name)
			s := m.meter.Stats()
			gauge(descBitrate, s.Bitrate, sl...)
			gauge(descFrameRate, s.FrameRate, sl...)
			gauge(descGOP, s.GOP.Seconds(), sl...)
			gauge(descDrift, s.Drift.Seconds(), sl...)
			counter(descLoss, s.InputLoss.Seconds(), sl...)
			dropped := map[string]uint64{}
			for _, rs := range m.hub.Stats() {
				dropped[health.ReaderKind(rs.Name)] += rs.Dropped
			}
			for kind, n := range dropped {
				counter(descQueueDrop, float64(n), append(sl, kind)...)
			}
		}
	}
	gauge(descPublisher, float64(publishers))
	counter(descRefused, float64(l.refused.unknownKey.Load()), "unknown_key")
	counter(descRefused, float64(l.refused.keyInUse.Load()), "key_in_use")
	counter(descRefused, float64(l.refused.badCredentials.Load()), "bad_credentials")
	counter(descRefused, float64(l.refused.provision.Load()), "provision")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
