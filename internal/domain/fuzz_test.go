package domain_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
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

// FuzzParseProvisionMeta reads arbitrary bytes as a provision's meta. Parsing
// never panics, and meta it parses and accepts reads back the same from what
// MarshalJSON writes of it (so that a GET → PUT round trip keeps the
// provision as it is).
func FuzzParseProvisionMeta(f *testing.F) {
	for _, doc := range []string{docCreateMeta, docUpdateMeta, docTemplateMeta} {
		f.Add([]byte(stripTrailingCommas(doc)))
	}
	f.Add([]byte(`{"stream":[{"name":"a","level":"2","properties":{"videoWidth":"640","videoHeight":480,"videoBR":500000}},{"name":"b","level":1}],"qos":"3"}`))
	f.Add([]byte(`{"georules":{"regions":["us","CA"],"restricted":true},"custom":{"b":[1,2.50,"<&>"]},"x":null}`))
	f.Add([]byte(`{"authentication":{"username":"acme","password":"acme!newpass"},"stream":null,"georules":null,"qos":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := domain.ParseProvisionMeta(data)
		if err != nil || m.Validate("stream1") != nil {
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted meta does not marshal: %v", err)
		}
		again, err := domain.ParseProvisionMeta(out)
		if err != nil {
			t.Fatalf("accepted meta does not read back from %s: %v", out, err)
		}
		if !maps.EqualFunc(m.Extra, again.Extra, sameJSON) {
			t.Errorf("extra %s reads back as %s", extraText(m.Extra), extraText(again.Extra))
		}
		m.Extra, again.Extra = nil, nil
		// Georules without regions go out as "regions": [], which reads back
		// as an empty list: the same rules.
		for _, g := range []*domain.Georules{m.Georules, again.Georules} {
			if g != nil && len(g.Regions) == 0 {
				g.Regions = nil
			}
		}
		if !reflect.DeepEqual(m, again) {
			t.Errorf("%s reads back from %s as another meta:\n%s\nwant\n%s", data, out, dump(again), dump(m))
		}
	})
}

// sameJSON compares JSON texts compacted, with <, > and & escaped as
// json.Marshal escapes them.
func sameJSON(a, b json.RawMessage) bool {
	return bytes.Equal(canonicalJSON(a), canonicalJSON(b))
}

func canonicalJSON(raw json.RawMessage) []byte {
	var c, e bytes.Buffer
	if json.Compact(&c, raw) != nil {
		return raw
	}
	json.HTMLEscape(&e, c.Bytes())
	return e.Bytes()
}

func extraText(extra map[string]json.RawMessage) string {
	b, _ := json.Marshal(extra)
	return string(b)
}
