package domain_test

import (
	"reflect"
	"testing"
	"time"

	"onair/internal/domain"
)

// TestWorkflowSummary checks that a summary carries every field of the
// workflow that it names alike, and the blueprint's channel class.
func TestWorkflowSummary(t *testing.T) {
	created := time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC)
	w := domain.Workflow{
		ID: "w", Name: "Name", Description: "Desc", Region: "eu", Status: domain.StatusStartFailed,
		Cause: "no ffmpeg", BlueprintID: "abr", Tags: []string{"a", "b"}, Created: created,
		PreparedInputs: []domain.Ingest{{Pipeline: 1, App: "live", StreamKey: "k"}},
	}
	w.Blueprint.Settings.Channel.Class = domain.ClassStandard
	for _, tc := range []struct {
		name string
		w    domain.Workflow
	}{
		{"every field", w},
		{"zero", domain.Workflow{}},
	} {
		sum := tc.w.Summary()
		if sum.Class != tc.w.Blueprint.Settings.Channel.Class {
			t.Errorf("%s: class %q, want %q", tc.name, sum.Class, tc.w.Blueprint.Settings.Channel.Class)
		}
		sv, wv := reflect.ValueOf(sum), reflect.ValueOf(tc.w)
		for i := 0; i < sv.NumField(); i++ {
			name := sv.Type().Field(i).Name
			if name == "Class" {
				continue
			}
			wf := wv.FieldByName(name)
			if !wf.IsValid() {
				t.Fatalf("WorkflowSummary.%s has no Workflow field of that name", name)
			}
			if !reflect.DeepEqual(sv.Field(i).Interface(), wf.Interface()) {
				t.Errorf("%s: %s is %v, want %v", tc.name, name, sv.Field(i).Interface(), wf.Interface())
			}
		}
	}
}
