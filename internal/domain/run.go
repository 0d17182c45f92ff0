package domain

import (
	"slices"
	"strings"
	"time"
)

// Run is one execution of a workflow: a channel while it is up. Its status follows
// the workflow's while it is the workflow's current run, and keeps the last one after.
type Run struct {
	ID             string     `json:"id"`
	WorkflowID     string     `json:"workflowId"`
	OrgID          string     `json:"-"`
	Region         string     `json:"region"`
	Status         Status     `json:"status"`
	Cause          string     `json:"cause,omitempty"`
	StartRequested *time.Time `json:"startRequestedDateTime,omitempty"`
	Started        *time.Time `json:"startedDateTime,omitempty"`
	StopRequested  *time.Time `json:"stopRequestedDateTime,omitempty"`
	Stopped        *time.Time `json:"stoppedDateTime,omitempty"`
	Inputs         []Ingest   `json:"inputs,omitempty"`
	// Occurrence is the start of the scheduled occurrence this run is, nil for a
	// run started by hand; the scheduler stops it at Occurrence + duration.
	Occurrence *time.Time `json:"occurrence,omitempty"`
	// Options change how this one run is packaged (the Streams API sets them at
	// each start); zero values keep the blueprint's settings.
	Options  RunOptions `json:"options"`
	Archives []Archive  `json:"archives,omitempty"`
	Events   []RunEvent `json:"events,omitempty"`
	// Alerts are the run's open alerts, at most one of each type per
	// pipeline (and destination): what is wrong with its media now. Events
	// open and close them (AddEvent).
	Alerts []Alert `json:"alerts,omitempty"`
	// Destinations are the run's push workers, one per blueprint
	// destination and pipeline, as they last reported (SetDestination).
	Destinations []DestinationStatus `json:"destinations,omitempty"`
	Created      time.Time           `json:"created"`
}

// RunEvent is something that happened to a run's media, for the people watching
// it: a publisher came or went, a pipeline restarted, kept failing, recovered.
type RunEvent struct {
	Time     time.Time `json:"time"`
	Type     string    `json:"type" enum:"pipeline_started,pipeline_restarted,pipeline_failing,pipeline_recovered,publisher_connected,publisher_disconnected,playout_sync,archive_upload_failing,archive_upload_recovered,destination_active,destination_retrying,destination_failed,alert_raised,alert_cleared"`
	Pipeline int       `json:"pipeline"`
	// Alert is the alert's type, for alert_raised and alert_cleared events.
	Alert string `json:"alert,omitempty" enum:"input_loss,low_frame_rate,slow_encoder,destination_retrying" doc:"For alert_raised and alert_cleared events: which alert."`
	// Destination is the blueprint destination's id, for destination_* events.
	Destination string `json:"destination,omitempty" doc:"For destination_* events: the blueprint destination's id."`
	Message     string `json:"message,omitempty"`
}

// The run event types that open and close a pipeline's alert.
const (
	// EventPipelineFailing: the pipeline's encoder failed again after a
	// restart; Message is the cause. It opens the pipeline's alert, or
	// updates its cause.
	EventPipelineFailing = "pipeline_failing"
	// EventPipelineRecovered: the pipeline works again; its alert closes.
	EventPipelineRecovered = "pipeline_recovered"
	// EventPublisherConnected and EventPublisherDisconnected: a publisher
	// came or went on the pipeline; Message is its address, or why it left.
	EventPublisherConnected    = "publisher_connected"
	EventPublisherDisconnected = "publisher_disconnected"
	// EventPlayoutSync: the playout profiles' manifests of the event were
	// created, updated or removed; Message says which, and any error.
	EventPlayoutSync = "playout_sync"
	// EventArchiveUploadFailing and EventArchiveUploadRecovered: an archive's
	// uploads to its bucket started failing (Message: why; they are retried,
	// the archive is kept on the disk meanwhile) or go through again.
	EventArchiveUploadFailing   = "archive_upload_failing"
	EventArchiveUploadRecovered = "archive_upload_recovered"
	// EventAlertRaised and EventAlertCleared open and close one of the
	// health monitor's alerts (the event's Alert, on its pipeline and
	// destination); a raised alert's Message is its cause.
	EventAlertRaised  = "alert_raised"
	EventAlertCleared = "alert_cleared"
)

// The types of alert. The engine raises AlertPipelineFailing with the
// pipeline events; the health monitor raises the others from the metrics.
const (
	AlertPipelineFailing     = "pipeline_failing"     // the encoder keeps failing (restarts in a row)
	AlertInputLoss           = "input_loss"           // nothing arrived from the publisher for over 5 s
	AlertLowFrameRate        = "low_frame_rate"       // the input's frame rate is under 80 % of the source's
	AlertSlowEncoder         = "slow_encoder"         // the encoder ran under 0.95 of real time for 10 s
	AlertDestinationRetrying = "destination_retrying" // a destination has been RETRYING for over 30 s
)

// Alert says what is wrong with one pipeline of a run, since when.
type Alert struct {
	Type        string    `json:"type" enum:"pipeline_failing,input_loss,low_frame_rate,slow_encoder,destination_retrying"`
	Pipeline    int       `json:"pipeline"`
	Destination string    `json:"destination,omitempty" doc:"For destination_retrying: the blueprint destination's id."`
	Since       time.Time `json:"since" doc:"When the alert was raised."`
	Cause       string    `json:"cause" doc:"What is wrong, in words a person can act on; for pipeline_failing, the latest failure."`
}

// Kind is the alert's type; alerts stored before there were types were
// all pipeline_failing.
func (a Alert) Kind() string {
	if a.Type == "" {
		return AlertPipelineFailing
	}
	return a.Type
}

// is reports whether a is the alert of this type, pipeline and destination.
func (a Alert) is(typ string, pipeline int, destination string) bool {
	return a.Kind() == typ && a.Pipeline == pipeline && a.Destination == destination
}

// MaxRunEvents bounds a run's event log; the oldest events go first.
const MaxRunEvents = 200

// AddEvent appends e to the run's event log, dropping the oldest beyond
// MaxRunEvents, and opens or closes the alert e names: pipeline_failing
// opens its pipeline's (or updates its cause), pipeline_recovered closes it,
// and alert_raised and alert_cleared do the same for the health monitor's.
func (r *Run) AddEvent(e RunEvent) {
	r.Events = append(r.Events, e)
	if n := len(r.Events) - MaxRunEvents; n > 0 {
		r.Events = append([]RunEvent(nil), r.Events[n:]...)
	}
	var typ string
	var open bool
	switch e.Type {
	case EventPipelineFailing, EventPipelineRecovered:
		typ, open = AlertPipelineFailing, e.Type == EventPipelineFailing
	case EventAlertRaised, EventAlertCleared:
		typ, open = e.Alert, e.Type == EventAlertRaised
	default:
		return
	}
	i := slices.IndexFunc(r.Alerts, func(a Alert) bool { return a.is(typ, e.Pipeline, e.Destination) })
	switch {
	case open && i >= 0:
		r.Alerts[i].Cause = e.Message
	case open:
		r.Alerts = append(r.Alerts, Alert{Type: typ, Pipeline: e.Pipeline, Destination: e.Destination, Since: e.Time, Cause: e.Message})
		slices.SortStableFunc(r.Alerts, func(a, b Alert) int {
			if a.Pipeline != b.Pipeline {
				return a.Pipeline - b.Pipeline
			}
			return strings.Compare(a.Kind()+" "+a.Destination, b.Kind()+" "+b.Destination)
		})
	case i >= 0:
		r.Alerts = slices.Delete(r.Alerts, i, i+1)
	}
}

// AlertOpen reports whether the run has this alert open.
func (r *Run) AlertOpen(typ string, pipeline int, destination string) bool {
	return slices.ContainsFunc(r.Alerts, func(a Alert) bool { return a.is(typ, pipeline, destination) })
}

// AlertChanges are the alerts that differ between before and after:
// raised (in after only) and cleared (in before only).
func AlertChanges(before, after []Alert) (raised, cleared []Alert) {
	in := func(list []Alert, a Alert) bool {
		return slices.ContainsFunc(list, func(b Alert) bool { return b.is(a.Kind(), a.Pipeline, a.Destination) })
	}
	for _, a := range after {
		if !in(before, a) {
			raised = append(raised, a)
		}
	}
	for _, b := range before {
		if !in(after, b) {
			cleared = append(cleared, b)
		}
	}
	return raised, cleared
}

// The states of a destination worker.
const (
	DestinationConnecting = "CONNECTING" // connecting for the first time, or again at once
	DestinationActive     = "ACTIVE"     // pushing
	DestinationRetrying   = "RETRYING"   // it failed; it tries again at NextAttempt
	DestinationFailed     = "FAILED"     // it failed in a way that cannot heal; it stopped trying
	DestinationStopped    = "STOPPED"    // the run ended
)

// DestinationStatus is one destination worker of a run: a blueprint
// destination on one pipeline.
type DestinationStatus struct {
	ID          string     `json:"id" doc:"The blueprint destination's id."`
	Pipeline    int        `json:"pipeline"`
	URL         string     `json:"url" doc:"Where it pushes: scheme, host and path, without credentials, stream key or query."`
	State       string     `json:"state" enum:"CONNECTING,ACTIVE,RETRYING,FAILED,STOPPED" doc:"FAILED only for what cannot heal by itself (credentials refused twice, a host unknown for minutes): it stopped trying. STOPPED: the run ended."`
	Since       time.Time  `json:"since" doc:"When it entered its state."`
	LastError   string     `json:"lastError,omitempty" doc:"The latest failure, kept after it recovered."`
	NextAttempt *time.Time `json:"nextAttempt,omitempty" doc:"While RETRYING: when it connects again."`
	BytesSent   uint64     `json:"bytesSent" doc:"Media bytes sent since the run started, over every connection."`
	Reconnects  int        `json:"reconnects" doc:"Outages it came back from, or is trying to: each run of failed attempts counts once."`
	Dropped     uint64     `json:"dropped" doc:"What it dropped because the destination fell behind or was down: access units for RTMP, segments for HLS push."`
	// The HTTP error answers of an HLS push destination, as MediaLive's
	// Output4xxErrors and Output5xxErrors count them; 0 for RTMP.
	Output4xxErrors uint64 `json:"output4xxErrors" doc:"HTTP 4xx answers from an HLS push destination since the run started; 0 for RTMP."`
	Output5xxErrors uint64 `json:"output5xxErrors" doc:"HTTP 5xx answers from an HLS push destination since the run started; 0 for RTMP."`
}

// SetDestination records a destination worker's latest status, in the
// blueprint's order of destinations then pipelines.
func (r *Run) SetDestination(s DestinationStatus) {
	i := slices.IndexFunc(r.Destinations, func(d DestinationStatus) bool { return d.ID == s.ID && d.Pipeline == s.Pipeline })
	if i >= 0 {
		r.Destinations[i] = s
		return
	}
	r.Destinations = append(r.Destinations, s)
}

// RunOptions are per-run packaging settings.
type RunOptions struct {
	// ArchiveDir, relative to the data directory's archive/, is where the run's
	// archives go instead of <workflow>/<run>/.
	ArchiveDir string `json:"archiveDir,omitempty"`
	// WindowSeconds is the live playlist's start-over window, replacing the
	// blueprint's HLS windowSeconds when not 0.
	WindowSeconds int `json:"windowSeconds,omitempty"`
	// KeyRotationSeconds encrypts the live HLS with AES-128, with a new key every
	// so many seconds; 0 leaves it clear.
	KeyRotationSeconds int `json:"keyRotationSeconds,omitempty"`
	// ArchiveSegmentSeconds replaces the archive segment length when not 0.
	ArchiveSegmentSeconds int `json:"archiveSegmentSeconds,omitempty"`
	// Provision is the stream path (scope/name) of the provision whose
	// publisher started the run; "" for any other run.
	Provision string `json:"provision,omitempty"`
	// UnpublishedStopSeconds stops the run once no publisher has fed it for
	// so long (a provision's grace period); 0 never does.
	UnpublishedStopSeconds int `json:"unpublishedStopSeconds,omitempty"`
	// PlayoutCMAF packages a CMAF output beside the TS one for the playout
	// profiles: set at the start when the workflow has profiles, so that
	// the run keeps the outputs it started with.
	PlayoutCMAF bool `json:"playoutCmaf,omitempty"`
}

// Plays reports whether a run with these options makes a live output of the
// format: an encrypted run (key rotation) has its live HLS encrypted, which
// only TS segments can be, so it has no CMAF output, whose clear copy would
// give the stream away.
func (o RunOptions) Plays(format string) bool {
	return format != FormatCMAF || o.KeyRotationSeconds == 0
}

// Ingest is one pipeline's RTMP endpoint: rtmp://<host>/<app>/<key>.
type Ingest struct {
	Pipeline  int    `json:"pipeline"`
	App       string `json:"app"`
	StreamKey string `json:"streamKey"`
	// Path is where publishers push instead of <app>/<key>: a provision's
	// scope and stream, whose credentials they present. The key is then
	// the engine's own.
	Path string `json:"path,omitempty"`
}

// Archive is the recording of one pipeline of a run. Paths are relative to the
// data directory's archive/, so that the origin can serve them and the store never
// holds a machine's absolute path.
type Archive struct {
	ID       string  `json:"id"`
	Pipeline int     `json:"pipeline"`
	Playlist string  `json:"playlist"`      // the HLS VOD playlist
	MP4      string  `json:"mp4,omitempty"` // the whole recording; empty when no input arrived
	FileSize int64   `json:"fileSize"`      // bytes of the MP4; 0 when no input arrived
	Duration float64 `json:"duration"`      // seconds
	// Location is where the playlist is kept when that is a bucket,
	// s3://bucket/key; empty in the data directory.
	Location string `json:"location,omitempty"`
}

// Channel is a workflow with its current run, the unit that the channel API and
// the controller change together in one transaction. Run is nil before the first start.
type Channel struct {
	Workflow Workflow
	Run      *Run
}

// SetStatus moves the workflow, and its run, to a new status if the status machine
// allows it, recording the time for RUNNING and the end states. A non-empty cause
// is recorded and stays through the later steps of the run.
func (c *Channel) SetStatus(to Status, cause string, now time.Time) error {
	if err := Transition(c.Workflow.Status, to); err != nil {
		return err
	}
	c.Workflow.Status = to
	c.Workflow.Updated = now
	if cause != "" {
		c.Workflow.Cause = cause
	}
	if c.Run != nil {
		c.Run.Status = to
		if cause != "" {
			c.Run.Cause = cause
		}
		switch to {
		case StatusRunning:
			c.Run.Started = &now
		case StatusDone, StatusStartFailed, StatusStopFailed:
			c.Run.Stopped = &now
		}
	}
	if !to.Active() {
		// The run is over: a recurring workflow's next run gets fresh endpoints,
		// known ahead again when its input is availableImmediately. Its media
		// is gone, and with it what was wrong with it (the events keep that).
		c.Workflow.PrepareInputs()
		if c.Run != nil {
			c.Run.Alerts = nil
		}
	}
	return nil
}

// RequestStart begins a new run of a READY workflow: it moves it to PROVISIONING
// and records the request time. byHand is false only for the scheduler, which may
// also start a DONE or START_FAILED workflow's next occurrence.
func (c *Channel) RequestStart(runID string, byHand bool, now time.Time) error {
	s := c.Workflow.Status
	if s != StatusReady && (byHand || (s != StatusDone && s != StatusStartFailed)) {
		if byHand && (s == StatusDone || s == StatusStartFailed || s == StatusStopFailed) {
			return &ConflictError{Message: "workflow " + c.Workflow.ID + " is " + string(s) + "; a workflow runs once: duplicate it to run again"}
		}
		return &ConflictError{Message: "workflow " + c.Workflow.ID + " is " + string(s) + ", not READY"}
	}
	c.Run = &Run{
		ID: runID, WorkflowID: c.Workflow.ID, OrgID: c.Workflow.OrgID, Region: c.Workflow.Region,
		StartRequested: &now, Created: now,
	}
	c.Workflow.RunID = runID
	c.Workflow.Cause = ""
	c.Run.Inputs = c.Workflow.PreparedInputs
	c.Workflow.PreparedInputs = nil
	c.Run.Status = c.Workflow.Status
	return c.SetStatus(StatusProvisioning, "", now)
}

// RequestStop records a stop request for a run that is starting or running. The
// controller moves it to STOPPING once it is RUNNING. Asking again is harmless.
func (c *Channel) RequestStop(now time.Time) error {
	switch c.Workflow.Status {
	case StatusProvisioning, StatusStarting, StatusRunning:
		if c.Run.StopRequested == nil {
			c.Run.StopRequested = &now
		}
		return nil
	case StatusStopping, StatusDeleting:
		return nil
	}
	return &ConflictError{Message: "workflow " + c.Workflow.ID + " is " + string(c.Workflow.Status) + ", not running"}
}
