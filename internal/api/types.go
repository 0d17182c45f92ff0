package api

import (
	"time"

	"onair/internal/domain"
)

// IDResponse answers a create: the new object's id.
type IDResponse struct {
	ID string `json:"id" doc:"The new object's id."`
}

// BlueprintSummary is one item of GET /api/blueprints.
type BlueprintSummary struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Featured    bool     `json:"featured"`
	Tags        []string `json:"tags"`
}

// BlueprintList is GET /api/blueprints.
type BlueprintList struct {
	Items []BlueprintSummary `json:"items"`
}

// WorkflowSummary is one item of GET /api/workflows.
type WorkflowSummary struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Status      domain.Status `json:"status"`
	BlueprintID string        `json:"blueprintId"`
	Created     time.Time     `json:"created"`
	Tags        []string      `json:"tags"`
	Region      string        `json:"region"`
}

// WorkflowList is GET /api/workflows: newest first, with a cursor to the next page.
type WorkflowList struct {
	Items []WorkflowSummary `json:"items"`
	Next  string            `json:"next,omitempty" doc:"Pass as ?next= for the following page; absent on the last page."`
}

// WorkflowIDs is the body of POST and DELETE /api/channels.
type WorkflowIDs struct {
	Workflows []string `json:"workflows" doc:"Workflow ids, 1-100."`
}

// ChannelItem names a workflow whose channel request was accepted.
type ChannelItem struct {
	WorkflowID string `json:"workflowId"`
}

// ChannelFailure names a workflow whose channel request was refused, and why.
type ChannelFailure struct {
	WorkflowID string `json:"workflowId"`
	Message    string `json:"message"`
}

// ChannelsResult answers POST and DELETE /api/channels.
type ChannelsResult struct {
	Items  []ChannelItem    `json:"items" doc:"Accepted workflows."`
	Failed []ChannelFailure `json:"failed,omitempty" doc:"Refused workflows, with the reason."`
}

// ChannelInfo is GET /api/channels/{workflowId}: the workflow's current run.
type ChannelInfo struct {
	ID                     string                     `json:"id" doc:"The workflow id."`
	RunID                  string                     `json:"runId,omitempty" doc:"The run this describes; absent before the first start."`
	Name                   string                     `json:"name"`
	Region                 string                     `json:"region"`
	Status                 domain.Status              `json:"status"`
	StartRequestedDateTime *time.Time                 `json:"startRequestedDateTime,omitempty"`
	StartedDateTime        *time.Time                 `json:"startedDateTime,omitempty"`
	StopRequestedDateTime  *time.Time                 `json:"stopRequestedDateTime,omitempty"`
	StoppedDateTime        *time.Time                 `json:"stoppedDateTime,omitempty"`
	Endpoints              Endpoints                  `json:"endpoints"`
	PlayerPreview          *domain.PlayerPreview      `json:"playerPreview,omitempty" doc:"A preview playback URL for front ends, beside endpoints.output (onair's own): the blueprint's playerPreview, or the playback URL template of its HLS push destination, (event_name) replaced."`
	Archives               []ArchiveInfo              `json:"archives"`
	Cause                  string                     `json:"cause,omitempty" doc:"Why the run failed or stopped on its own."`
	Events                 []domain.RunEvent          `json:"events" doc:"What happened to the run's media: publishers connecting and leaving, pipeline restarts. The latest 200."`
	Alerts                 []domain.Alert             `json:"alerts" doc:"What is wrong with the run's media now: a pipeline that keeps failing, input lost for over 5 s, a frame rate under 80 % of the source's, an encoder under 0.95x real time for 10 s, a destination failing for over 30 s; each with since when and its cause. Empty while all is well."`
	Destinations           []domain.DestinationStatus `json:"destinations" doc:"The run's push workers, one per blueprint destination and pipeline, each with its own state; their counters are a few seconds old while they push."`
}

// Endpoints lists where to push and where to play.
type Endpoints struct {
	Input  []InputEndpoints `json:"input"`
	Output []OutputEndpoint `json:"output"`
}

// InputEndpoints lists an input's ingest URLs: main, then backup for STANDARD channels.
type InputEndpoints struct {
	Endpoints []string `json:"endpoints"`
}

// OutputEndpoint is one playback URL.
type OutputEndpoint struct {
	Type       string `json:"type" enum:"HLS"`
	Format     string `json:"format" enum:"TS,CMAF" doc:"TS: MPEG-TS segments, which every player reads; CMAF: fragmented MP4 segments."`
	LowLatency bool   `json:"lowLatency,omitempty" doc:"LL-HLS (CMAF only): parts, preload hints and blocking playlist reload."`
	URL        string `json:"url" doc:"The master playlist."`
}

// ArchiveInfo is one recording of a run.
type ArchiveInfo struct {
	ID          string  `json:"id"`
	FileSize    int64   `json:"fileSize" doc:"Bytes; 0 when no input arrived."`
	Duration    float64 `json:"duration" doc:"Seconds."`
	DownloadURL string  `json:"downloadUrl,omitempty" doc:"The MP4; absent when fileSize is 0."`
	PlaylistURL string  `json:"playlistUrl,omitempty" doc:"The HLS VOD playlist: served under /archive/, or, for an archive in a bucket of its own, that bucket's object."`
	Location    string  `json:"location,omitempty" doc:"Where the playlist is kept when that is a bucket: s3://bucket/key. Its segments are beside it, and the MP4 (when merged) is the directory's name with .mp4."`
}

// ChannelList is GET /api/channels: runs, newest first.
type ChannelList struct {
	Items []ChannelInfo `json:"items"`
	Next  string        `json:"next,omitempty"`
}

// Region is one item of GET /api/regions.
type Region struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Default bool   `json:"default"`
}

// RegionList is GET /api/regions.
type RegionList struct {
	Items []Region `json:"items"`
}

// HealthCharts is a channel's health graphs.
type HealthCharts struct {
	From              string        `json:"from" doc:"The start of the graphs' range, in the requested time zone."`
	To                string        `json:"to"`
	TimeZone          string        `json:"timeZone" doc:"The time zone of the graphs' time axis and of from and to: the tz parameter as given, or UTC."`
	ResolutionSeconds int           `json:"resolutionSeconds" doc:"The length of each point's period: 1 within the last 15 minutes, 10 or 60 from the stored history, more when the range holds more points than the width draws."`
	Items             []HealthChart `json:"items"`
}

// HealthChart is one metric's graph.
type HealthChart struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// Pipeline is set when the graph shows one pipeline; a STANDARD
	// channel's graph draws both, listed in Pipelines.
	Pipeline   *int                `json:"pipeline" doc:"The pipeline the graph shows; null when it shows both of a STANDARD channel's (see pipelines) or none has data."`
	Pipelines  []int               `json:"pipelines" doc:"The pipelines the graph draws, one line each (and one per rendition or destination for the metrics that have them)."`
	AxisLabels []string            `json:"axisLabels" doc:"The time axis' labels as the image draws them, in the requested time zone."`
	Image      string              `json:"image" doc:"The graph as a PNG of the requested width and height, as a data URL: data:image/png;base64,... (usable as an img src; strip the prefix for the bare base64)."`
	Stats      *HealthStats        `json:"stats" doc:"Over every line of the graph; null without data."`
	Series     []HealthSeriesStats `json:"series" doc:"Each line of the graph, as its legend names it, with its own statistics."`
}

// HealthSeriesStats is one line of a graph.
type HealthSeriesStats struct {
	Name     string       `json:"name" doc:"As the legend names it: pipeline 0, pipeline 1 · 720p, channel."`
	Pipeline int          `json:"pipeline"`
	Label    string       `json:"label,omitempty" doc:"The rendition, destination or reader, for the metrics that have one line each."`
	Stats    *HealthStats `json:"stats"`
}

// HealthStats are a series' statistics over the range.
type HealthStats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Avg  float64 `json:"avg"`
	Last float64 `json:"last"`
}

// HealthSeriesList is a channel's health series (format=json).
type HealthSeriesList struct {
	From              string         `json:"from"`
	To                string         `json:"to"`
	TimeZone          string         `json:"timeZone"`
	ResolutionSeconds int            `json:"resolutionSeconds"`
	Items             []HealthSeries `json:"items"`
}

// HealthSeries is one metric of one pipeline (and rendition, destination or reader).
type HealthSeries struct {
	Metric      string        `json:"metric"`
	Unit        string        `json:"unit"`
	Aggregation string        `json:"aggregation" enum:"avg,sum,max" doc:"How each point's value is its period's own: the mean for rates, the sum for counts (InputLossSeconds, DroppedFrames, errors), the highest for ActiveAlerts and Viewers."`
	Pipeline    int           `json:"pipeline"`
	Label       string        `json:"label,omitempty"`
	Points      []HealthPoint `json:"points" doc:"Only the periods that have data: a run that was down leaves a gap."`
}

// HealthPoint is one period of a series.
type HealthPoint struct {
	T     string  `json:"t" doc:"The period's start, RFC 3339 in the requested time zone."`
	Value float64 `json:"value"`
}
