package domain_test

import (
	"reflect"
	"testing"
	"time"

	"onair/internal/domain"
)

// TestWorkflowViews checks that each view of a workflow carries every field of
// the workflow that it names alike, and the channel view the blueprint's class.
func TestWorkflowViews(t *testing.T) {
	created := time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC)
	full := domain.Workflow{
		ID: "w", Name: "Name", Description: "Desc", Region: "eu", Status: domain.StatusStartFailed,
		Cause: "no ffmpeg", BlueprintID: "abr", Tags: []string{"a", "b"}, Created: created,
		PreparedInputs: []domain.Ingest{{Pipeline: 1, App: "live", StreamKey: "k"}},
	}
	full.Blueprint.Settings.Channel.Class = domain.ClassStandard
	for _, w := range []domain.Workflow{full, {}} {
		if got := w.ChannelWorkflow().Class; got != w.Blueprint.Settings.Channel.Class {
			t.Errorf("channel view of %q: class %q, want %q", w.ID, got, w.Blueprint.Settings.Channel.Class)
		}
		for _, view := range []any{w.Summary(), w.ChannelWorkflow()} {
			vv, wv := reflect.ValueOf(view), reflect.ValueOf(w)
			for i := 0; i < vv.NumField(); i++ {
				name := vv.Type().Field(i).Name
				if name == "Class" {
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
