package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// secretBlueprint is the built-in 720p blueprint, pushing to destinations
// with credentials.
func (e *env) secretBlueprint() domain.Blueprint {
	e.t.Helper()
	var bp domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &bp)
	bp.BuiltIn = false
	return e2e.WithSecretDestinations(bp)
}

// noSecrets fails the test when text shows a credential.
func (e *env) noSecrets(what, text string) {
	e.t.Helper()
	e2e.Hidden(e.t, what, text)
}

// call sends a request and returns its status and raw answer.
func (e *env) call(method, path string, body any) (int, string) {
	e.t.Helper()
	var raw json.RawMessage
	code := e.do(method, path, body, &raw)
	return code, string(raw)
}

// storedDestinations is what the store keeps of a workflow's destinations.
func (e *env) storedDestinations(id string) []domain.Destination {
	e.t.Helper()
	wf, err := e.store.GetWorkflow(context.Background(), "default", id)
	if err != nil {
		e.t.Fatal(err)
	}
	return wf.Blueprint.Settings.Destinations
}

func TestWorkflowRoundTrip(t *testing.T) {
	e := newEnv(t)
	bp := e.secretBlueprint()
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", map[string]any{"name": "Live", "blueprint": bp}, &id); code != 201 {
		t.Fatalf("create: %d", code)
	}
	path := "/api/workflows/" + id.ID
	code, shown := e.call("GET", path, nil)
	if code != 200 || !strings.Contains(shown, domain.Mask) {
		t.Fatalf("get: %d %s", code, shown)
	}
	e.noSecrets("GET "+path, shown)
	original := e.storedDestinations(id.ID)
	if !equalJSON(original, bp.Settings.Destinations) {
		t.Fatalf("stored destinations %+v, want %+v", original, bp.Settings.Destinations)
	}

	// Read-only fields that differ from GET's are refused, each by name, and
	// so is an unknown field; none of it changes anything.
	var whole map[string]any
	json.Unmarshal([]byte(shown), &whole)
	before := snapshot(t, e)
	for field, v := range map[string]any{
		"id": "other", "status": "DONE", "created": "2001-01-01T00:00:00Z",
		"blueprintId": "other", "runId": "r1", "cause": "none",
		"scheduleState": map[string]any{"lastOccurrence": "2001-01-01T00:00:00Z"},
	} {
		edited := maps.Clone(whole)
		edited["name"], edited[field] = "Never", v
		var eb api.ErrorBody
		if code := e.do("PUT", path, edited, &eb); code != 400 || eb.Field != field || !strings.Contains(eb.Message, "read-only") {
			t.Errorf("PUT with %s changed: %d %+v", field, code, eb)
		}
	}
	edited := maps.Clone(whole)
	edited["colour"] = "red"
	var eb api.ErrorBody
	if code := e.do("PUT", path, edited, &eb); code != 400 || eb.Field != "colour" {
		t.Errorf("unknown field: %d %+v", code, eb)
	}
	if after := snapshot(t, e); after != before {
		t.Fatalf("refused updates changed the store:\n%s\n%s", before, after)
	}

	// GET, edit, PUT, GET: the edit is kept, and the masked credentials too. The
	// created time may come back in another zone: it is the same instant. When
	// the server last changed it (updated, nextRun) is ignored, so that a body
	// built from an earlier GET is not refused for it.
	created, _ := time.Parse(time.RFC3339Nano, whole["created"].(string))
	whole["updated"], whole["nextRun"] = "2001-01-01T00:00:00Z", "2031-01-01T00:00:00Z"
	whole["name"], whole["tags"] = "Edited", []string{"news"}
	whole["created"] = created.In(time.FixedZone("CEST", 2*3600)).Format(time.RFC3339Nano)
	code, answer := e.call("PUT", path, whole)
	if code != 200 {
		t.Fatalf("round trip: %d %s", code, answer)
	}
	e.noSecrets("PUT answer", answer)
	var got domain.Workflow
	e.do("GET", path, nil, &got)
	if got.Name != "Edited" || len(got.Tags) != 1 || got.Tags[0] != "news" || got.Status != domain.StatusReady {
		t.Fatalf("after the round trip: %+v", got)
	}
	if kept := e.storedDestinations(id.ID); !equalJSON(kept, original) {
		t.Fatalf("the round trip changed the credentials: %+v", kept)
	}

	// A new key replaces the stored one; the other destination keeps its own.
	got.Blueprint.Settings.Destinations[0].Settings[0].StreamName = "KEY-new"
	if code, answer := e.call("PUT", path, got); code != 200 || strings.Contains(answer, "KEY-new") {
		t.Fatalf("new key: %d %s", code, answer)
	}
	kept := e.storedDestinations(id.ID)
	if kept[0].Settings[0].StreamName != "KEY-new" || kept[0].Settings[0].URL != original[0].Settings[0].URL || !equalJSON(kept[1], original[1]) {
		t.Fatalf("after a new key: %+v", kept)
	}

	// The mask sent to another server is refused: the key would leave with it.
	e.do("GET", path, nil, &got)
	got.Blueprint.Settings.Destinations[1].Settings[0].URL = "rtmps://live:" + domain.Mask + "@evil.example:1/rtmp"
	before = snapshot(t, e)
	if code := e.do("PUT", path, got, &eb); code != 400 || eb.Field != "blueprint.settings.destinations[1].settings[0].url" {
		t.Fatalf("mask to another server: %d %+v", code, eb)
	}
	if after := snapshot(t, e); after != before {
		t.Fatal("a refused update changed the store")
	}
}

func TestBlueprintRoundTrip(t *testing.T) {
	e := newEnv(t)
	bp := e.secretBlueprint()
	bp.ID, bp.Name = "mine", "Mine"
	if code := e.do("POST", "/api/blueprints", bp, nil); code != 201 {
		t.Fatalf("create: %d", code)
	}
	code, shown := e.call("GET", "/api/blueprints/mine", nil)
	if code != 200 || !strings.Contains(shown, domain.Mask) {
		t.Fatalf("get: %d %s", code, shown)
	}
	e.noSecrets("GET /api/blueprints/mine", shown)

	var whole map[string]any
	json.Unmarshal([]byte(shown), &whole)
	before := snapshot(t, e)
	for field, v := range map[string]any{"id": "other", "builtIn": true} {
		edited := maps.Clone(whole)
		edited[field] = v
		var eb api.ErrorBody
		if code := e.do("PUT", "/api/blueprints/mine", edited, &eb); code != 400 || eb.Field != field {
			t.Errorf("PUT with %s changed: %d %+v", field, code, eb)
		}
	}
	// A copy under a new id has no stored credentials to keep: the mask is refused.
	copied := maps.Clone(whole)
	copied["id"] = "copy"
	var eb api.ErrorBody
	if code := e.do("POST", "/api/blueprints", copied, &eb); code != 400 || !strings.Contains(eb.Message, "settings.destinations[0].settings[0].streamName") {
		t.Errorf("masked copy: %d %+v", code, eb)
	}
	if after := snapshot(t, e); after != before {
		t.Fatalf("refused requests changed the store:\n%s\n%s", before, after)
	}

	whole["name"] = "Mine, edited"
	if code, answer := e.call("PUT", "/api/blueprints/mine", whole); code != 200 {
		t.Fatalf("round trip: %d %s", code, answer)
	} else {
		e.noSecrets("PUT answer", answer)
	}
	stored, err := e.store.GetBlueprint(context.Background(), "default", "mine")
	if err != nil || stored.Name != "Mine, edited" || !equalJSON(stored.Settings.Destinations, bp.Settings.Destinations) {
		t.Fatalf("after the round trip: %+v %v", stored, err)
	}

	// The console and the CLI create a workflow from the blueprint as GET shows
	// it: the credentials come from the blueprint it names.
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", map[string]any{"name": "From mine", "blueprint": json.RawMessage(shown)}, &id); code != 201 {
		t.Fatalf("workflow from the masked blueprint: %d", code)
	}
	if got := e.storedDestinations(id.ID); !equalJSON(got, bp.Settings.Destinations) {
		t.Fatalf("the workflow's credentials: %+v", got)
	}
}

func TestIdentityRoundTrip(t *testing.T) {
	e := newEnv(t)
	var u domain.User
	if code := e.do("POST", "/api/users", map[string]any{"email": "ada@example.com", "password": "long enough", "role": "viewer"}, &u); code != 201 {
		t.Fatalf("create user: %d", code)
	}
	var whole map[string]any
	e.do("GET", "/api/users/"+u.ID, nil, &whole)
	whole["role"] = "editor"
	if code := e.do("PUT", "/api/users/"+u.ID, whole, &u); code != 200 || u.Role != domain.RoleEditor {
		t.Fatalf("user round trip: %d %+v", code, u)
	}
	whole["email"] = "eve@example.com"
	var eb api.ErrorBody
	if code := e.do("PUT", "/api/users/"+u.ID, whole, &eb); code != 400 || eb.Field != "email" {
		t.Errorf("user email changed: %d %+v", code, eb)
	}

	var key api.APIKeyCreated
	e.do("POST", "/api/api-keys", map[string]any{"name": "ci"}, &key)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	e.do("GET", "/api/api-keys", nil, &list)
	for _, k := range list.Items {
		if k["id"] != key.ID {
			continue
		}
		k["name"] = "ci, renamed"
		var got domain.APIKey
		if code := e.do("PUT", "/api/api-keys/"+key.ID, k, &got); code != 200 || got.Name != "ci, renamed" {
			t.Fatalf("key round trip: %d %+v", code, got)
		}
		k["created"] = "2001-01-01T00:00:00Z"
		if code := e.do("PUT", "/api/api-keys/"+key.ID, k, &eb); code != 400 || eb.Field != "created" {
			t.Errorf("key created changed: %d %+v", code, eb)
		}
	}
}
