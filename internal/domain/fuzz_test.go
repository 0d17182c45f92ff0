package domain_test

import (
	"encoding/json"
	"os"
	"testing"

	"onair/internal/domain"
)

// FuzzWorkflowSpec decodes arbitrary JSON as a workflow body and validates it.
// Validation never panics, and a spec it accepts stays valid once applied and
// sent back as the API returns it (so a GET → PUT round trip is always accepted).
func FuzzWorkflowSpec(f *testing.F) {
	bp, err := os.ReadFile("../api/testdata/blueprint-720.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"name":"Live01","blueprint":` + string(bp) + `}`))
	f.Add([]byte(`{"name":"Live01","region":"local","tags":["a","a"],"blueprint":` + string(bp) + `,"schedule":{"startDateTime":"2021-03-23T11:03:24.989+02:00","duration":100,"recurrence":{"unit":"WEEK","days":["MON"],"endDate":"2021-04-23"}}}`))
	f.Add([]byte(`{"name":"x","blueprint":{"settings":{"channel":{"class":"STANDARD","video":[{"gopSeconds":0}]},"outputGroups":[{"type":"HLS","hls":{"segmentSeconds":0}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s domain.WorkflowSpec
		if json.Unmarshal(data, &s) != nil {
			return
		}
		if s.Validate([]string{"local"}) != nil {
			return
		}
		var w domain.Workflow
		s.Apply(&w, "local")
		again := domain.WorkflowSpec{Name: w.Name, Description: w.Description, Region: w.Region, Blueprint: &w.Blueprint, Tags: w.Tags, Schedule: w.Schedule, CreateArchives: &w.CreateArchives}
		if err := again.Validate([]string{"local"}); err != nil {
			t.Fatalf("accepted spec is invalid once applied: %v", err)
		}
	})
}
