package domain_test

import (
	"reflect"
	"testing"
	"time"

	"onair/internal/domain"
)

// TestWorkflowViews checks that each view of a workflow carries every field of
// the workflow that it names alike, and the channel view the blueprint's class
// and live outputs.
func TestWorkflowViews(t *testing.T) {
	created := time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC)
	full := domain.Workflow{
		ID: "w", Name: "Name", Description: "Desc", Region: "eu", Status: domain.StatusStartFailed,
		Cause: "no ffmpeg", BlueprintID: "abr", Tags: []string{"a", "b"}, Created: created,
		PreparedInputs: []domain.Ingest{{Pipeline: 1, App: "live", StreamKey: "k"}},
	}
	full.Blueprint.Settings.Channel.Class = domain.ClassStandard
	full.Blueprint.Settings.OutputGroups = []domain.OutputGroup{
		{Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 2}},
		{Type: domain.OutputHLS, DestinationID: "cdn", HLS: &domain.HLSSettings{SegmentSeconds: 2}},
		{Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{}},
		{Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 2, Format: domain.FormatCMAF, LowLatency: true}},
	}
	outputs := map[string][]domain.LiveOutput{"w": {{Format: domain.FormatTS}, {Format: domain.FormatCMAF, LowLatency: true}}}
	for _, w := range []domain.Workflow{full, {}} {
		cw := w.ChannelWorkflow()
		if cw.Class != w.Blueprint.Settings.Channel.Class {
			t.Errorf("channel view of %q: class %q, want %q", w.ID, cw.Class, w.Blueprint.Settings.Channel.Class)
		}
		if !reflect.DeepEqual(cw.LiveOutputs, outputs[w.ID]) {
			t.Errorf("channel view of %q: live outputs %+v, want %+v", w.ID, cw.LiveOutputs, outputs[w.ID])
		}
		for _, view := range []any{w.Summary(), w.ChannelWorkflow()} {
			vv, wv := reflect.ValueOf(view), reflect.ValueOf(w)
			for i := 0; i < vv.NumField(); i++ {
				name := vv.Type().Field(i).Name
				if name == "Class" || name == "LiveOutputs" || name == "PlayerPreview" {
					continue
				}
				wf := wv.FieldByName(name)
				if !wf.IsValid() {
					t.Fatalf("%T.%s has no Workflow field of that name", view, name)
				}
				if !reflect.DeepEqual(vv.Field(i).Interface(), wf.Interface()) {
					t.Errorf("%T of %q: %s is %v, want %v", view, w.ID, name, vv.Field(i).Interface(), wf.Interface())
				}
			}
		}
	}
}
