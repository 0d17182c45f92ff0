// Package health keeps the history of every run's health and decides its
// alerts. Once a second the engine reads each pipeline (a Reading); a
// Monitor turns the readings into that second's values (a Frame) and raises
// and clears alerts; the History keeps the last 15 minutes of frames in
// memory and folds them into 10 s and 1 min points for the store. The API
// draws the channel's health graphs from both.
//
// The metrics are named after AWS MediaLive's CloudWatch metrics where one
// exists (NetworkIn, InputVideoFrameRate, InputLossSeconds, DroppedFrames,
// ActiveAlerts, Output4xxErrors, Output5xxErrors), so that users coming
// from it recognise them.
package health

import (
	"slices"
	"strings"
)

// Agg is how a metric's values over a period make the period's own value.
type Agg int

const (
	// Avg is the mean: rates and levels (a bitrate, a frame rate).
	Avg Agg = iota
	// Sum is the total: counts of what happened (seconds of input lost,
	// frames dropped, errors).
	Sum
	// Max is the highest: levels where the worst moment matters (open
	// alerts, viewers).
	Max
)

func (a Agg) String() string {
	switch a {
	case Sum:
		return "sum"
	case Max:
		return "max"
	}
	return "avg"
}

// Metric is one health metric of a pipeline.
type Metric struct {
	Name string
	Unit string
	Agg  Agg
	// Per names what the metric has one series of per pipeline
	// ("rendition", "destination", "reader"); "" for one series.
	Per string
	// Channel: the metric is the channel's, not a pipeline's (the origin's
	// viewers); it is kept with pipeline 0.
	Channel bool
	Help    string
}

// Metrics are every metric the history keeps, in the order the health
// graphs list them.
var Metrics = []Metric{
	{Name: "NetworkIn", Unit: "kbps", Help: "Bitrate of what the publisher sends, all tracks."},
	{Name: "InputVideoFrameRate", Unit: "fps", Help: "Video frames per second arriving from the publisher."},
	{Name: "InputLossSeconds", Unit: "s", Agg: Sum, Help: "Seconds in which nothing arrived from the publisher, once it first came."},
	{Name: "DroppedFrames", Unit: "frames", Agg: Sum, Help: "Frames the encoder dropped."},
	{Name: "EncoderSpeed", Unit: "x", Help: "Encoding speed against real time, over the last 5 s (1 keeps up)."},
	{Name: "ActiveAlerts", Unit: "alerts", Agg: Max, Help: "Alerts open on the pipeline."},
	{Name: "GopSeconds", Unit: "s", Help: "Seconds between the source's last two keyframes."},
	{Name: "AvDriftMs", Unit: "ms", Help: "The source's newest video time minus its newest audio time."},
	{Name: "OutputBitrate", Unit: "kbps", Per: "rendition", Help: "Bitrate of each encoded rendition."},
	{Name: "QueueDrops", Unit: "units", Agg: Sum, Per: "reader", Help: "What the readers of the pipeline's streams dropped because they fell behind, by reader (hls, archive, encoder, destination)."},
	{Name: "PipelineRestarts", Unit: "restarts", Agg: Sum, Help: "Restarts of the pipeline's encoder."},
	{Name: "Output4xxErrors", Unit: "errors", Agg: Sum, Per: "destination", Help: "HTTP 4xx answers from each HLS push destination."},
	{Name: "Output5xxErrors", Unit: "errors", Agg: Sum, Per: "destination", Help: "HTTP 5xx answers from each HLS push destination."},
	{Name: "DestinationActive", Unit: "ratio", Per: "destination", Help: "1 while the destination is ACTIVE (pushing), 0 in any other state; a period's value is the share of it spent ACTIVE."},
	{Name: "Viewers", Unit: "viewers", Agg: Max, Channel: true, Help: "Distinct players (address and user agent) that fetched the channel's live HLS in the last 30 s."},
	{Name: "SegmentRequests", Unit: "requests/s", Channel: true, Help: "Live HLS media segments served per second."},
}

// DefaultMetrics are the graphs the health endpoint draws when none are named.
var DefaultMetrics = []string{"NetworkIn", "InputVideoFrameRate", "InputLossSeconds", "DroppedFrames", "EncoderSpeed", "ActiveAlerts"}

// Lookup finds a metric by its name, which is case-sensitive, as in
// CloudWatch.
func Lookup(name string) (Metric, bool) {
	i := slices.IndexFunc(Metrics, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return Metrics[i], true
}

// Names are the names of every metric.
func Names() []string {
	out := make([]string, len(Metrics))
	for i, m := range Metrics {
		out[i] = m.Name
	}
	return out
}

// Key is a series' key in a frame: the metric's name, and for a metric
// with one series per rendition, destination or reader, a slash and which.
func Key(metric, label string) string {
	if label == "" {
		return metric
	}
	return metric + "/" + label
}

// SplitKey is Key's inverse.
func SplitKey(key string) (metric, label string) {
	metric, label, _ = strings.Cut(key, "/")
	return metric, label
}

// aggOf is how the series under key aggregates; Avg for an unknown one.
func aggOf(key string) Agg {
	name, _ := SplitKey(key)
	m, _ := Lookup(name)
	return m.Agg
}
