package domain

import "time"

// WorkflowSummary is what the lists of workflows and of channels show of a
// workflow: no blueprint snapshot, schedule or schedule state, so that a page
// never decodes those documents, and nothing that no list shows, since each
// column read costs on every row. Class is the one thing a list needs from the
// blueprint (a STANDARD channel's playback URL names pipeline 0).
type WorkflowSummary struct {
	ID             string
	Name           string
	Description    string
	Region         string
	Status         Status
	Cause          string
	BlueprintID    string
	Class          ChannelClass
	Tags           []string
	Created        time.Time
	PreparedInputs []Ingest
}

// Summary is the workflow as a list shows it.
func (w *Workflow) Summary() WorkflowSummary {
	return WorkflowSummary{
		ID: w.ID, Name: w.Name, Description: w.Description, Region: w.Region, Status: w.Status, Cause: w.Cause,
		BlueprintID: w.BlueprintID, Class: w.Blueprint.Settings.Channel.Class, Tags: w.Tags, Created: w.Created,
		PreparedInputs: w.PreparedInputs,
	}
}
