package domain

import "time"

// The lists read a workflow's columns, never its blueprint snapshot, schedule
// or schedule state, and only the columns they show, since a page pays for
// each column on every row. These are the two views.

// WorkflowSummary is a workflow as GET /api/workflows lists it.
type WorkflowSummary struct {
	ID          string
	Name        string
	Description string
	Region      string
	Status      Status
	BlueprintID string
	Tags        []string
	Created     time.Time
}

// Summary is the workflow as GET /api/workflows lists it.
func (w *Workflow) Summary() WorkflowSummary {
	return WorkflowSummary{
		ID: w.ID, Name: w.Name, Description: w.Description, Region: w.Region, Status: w.Status,
		BlueprintID: w.BlueprintID, Tags: w.Tags, Created: w.Created,
	}
}

// ChannelWorkflow is what a channel shows of its workflow beside the run.
// Class and LiveOutputs are what it needs from the blueprint: its playback
// URLs, one per live output, which name pipeline 0 in a STANDARD channel.
type ChannelWorkflow struct {
	ID             string
	Name           string
	Region         string
	Status         Status
	Cause          string
	Class          ChannelClass
	PreparedInputs []Ingest
	LiveOutputs    []LiveOutput
	PlayerPreview  string
}

// ChannelWorkflow is what a channel shows of the workflow.
func (w *Workflow) ChannelWorkflow() ChannelWorkflow {
	return ChannelWorkflow{
		ID: w.ID, Name: w.Name, Region: w.Region, Status: w.Status, Cause: w.Cause,
		Class: w.Blueprint.Settings.Channel.Class, PreparedInputs: w.PreparedInputs,
		LiveOutputs: w.Blueprint.Settings.LiveOutputs(), PlayerPreview: w.PlayerPreview(),
	}
}

// PushesToStorage reports whether an HLS group pushes to a bucket the
// server assembles the URL of (mediastoressl://, s3:// alone).
func (s BlueprintSettings) PushesToStorage() bool {
	for _, g := range s.OutputGroups {
		if g.Type != OutputHLS || g.DestinationID == "" {
			continue
		}
		for _, d := range s.Destinations {
			if d.ID != g.DestinationID || len(d.Settings) == 0 {
				continue
			}
			if bucket, _, ok := BucketURL(d.Settings[0].URL); ok && bucket == "" {
				return true
			}
		}
	}
	return false
}

// PlayerPreview is the workflow's preview playback URL for front ends: the
// blueprint's playerPreview, or else the playback URL template of its first
// HLS push destination that has one, (event_name) replaced, or else
// StoragePreview when it pushes to the server's storage; "" for none.
func (w *Workflow) PlayerPreview() string {
	s := w.Blueprint.Settings
	if s.PlayerPreview != nil && s.PlayerPreview.URL != "" {
		return s.PlayerPreview.URL
	}
	for _, d := range s.Destinations {
		if d.PlaybackURLTemplate != "" {
			return ExpandEvent(d.PlaybackURLTemplate, w.Name)
		}
	}
	if s.PushesToStorage() {
		return StoragePreview
	}
	return ""
}

// StoragePreview is the preview of a workflow that pushes its HLS to the
// server's storage: the server renders it as the CDN's URL of what the
// workflow pushes there (--cdn-base-url), which only it knows.
const StoragePreview = "storage:"

// ArchivesExpire is when a run's archives are due for deletion, with the
// workflow's retention; ok is false when they are kept: no retention, or a
// run that has not stopped.
func ArchivesExpire(retentionDays int, run Run) (at time.Time, ok bool) {
	if retentionDays <= 0 || run.Stopped == nil || run.Status.Active() {
		return time.Time{}, false
	}
	return run.Stopped.Add(time.Duration(retentionDays) * 24 * time.Hour), true
}
