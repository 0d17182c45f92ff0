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
)

// ownBlueprint is the built-in 720p blueprint as an organization's own.
func (e *env) ownBlueprint() domain.Blueprint {
	e.t.Helper()
	var bp domain.Blueprint
	e.do("GET", "/api/blueprints/rtmp-abr-720", nil, &bp)
	bp.BuiltIn = false
	return bp
}

// call sends a request and returns its status and raw answer.
func (e *env) call(method, path string, body any) (int, string) {
	e.t.Helper()
	var raw json.RawMessage
	code := e.do(method, path, body, &raw)
	return code, string(raw)
}

func TestWorkflowRoundTrip(t *testing.T) {
	e := newEnv(t)
	bp := e.ownBlueprint()
	var id api.IDResponse
	if code := e.do("POST", "/api/workflows", map[string]any{"name": "Live", "blueprint": bp}, &id); code != 201 {
		t.Fatalf("create: %d", code)
	}
	path := "/api/workflows/" + id.ID
	code, shown := e.call("GET", path, nil)
	if code != 200 {
		t.Fatalf("get: %d %s", code, shown)
	}

	// Read-only fields that differ from GET's are refused, each by name, and
	// so is an unknown field; none of it changes anything.
	var whole map[string]any
	json.Unmarshal([]byte(shown), &whole)
	before := snapshot(t, e)
	for field, v := range map[string]any{
		"id": "other", "status": "DONE", "created": "2001-01-01T00:00:00Z", "updated": "2001-01-01T00:00:00Z",
		"blueprintId": "other", "runId": "r1", "cause": "none", "nextRun": "2031-01-01T00:00:00Z",
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

	// GET, edit, PUT, GET: the edit is kept. The created time may come back in another zone: it is the same instant.
	created, _ := time.Parse(time.RFC3339Nano, whole["created"].(string))
	whole["name"], whole["tags"] = "Edited", []string{"news"}
	whole["created"] = created.In(time.FixedZone("CEST", 2*3600)).Format(time.RFC3339Nano)
	code, answer := e.call("PUT", path, whole)
	if code != 200 {
		t.Fatalf("round trip: %d %s", code, answer)
	}
	var got domain.Workflow
	e.do("GET", path, nil, &got)
	if got.Name != "Edited" || len(got.Tags) != 1 || got.Tags[0] != "news" || got.Status != domain.StatusReady {
		t.Fatalf("after the round trip: %+v", got)
	}
}

func TestBlueprintRoundTrip(t *testing.T) {
	e := newEnv(t)
	bp := e.ownBlueprint()
	bp.ID, bp.Name = "mine", "Mine"
	if code := e.do("POST", "/api/blueprints", bp, nil); code != 201 {
		t.Fatalf("create: %d", code)
	}
	code, shown := e.call("GET", "/api/blueprints/mine", nil)
	if code != 200 {
		t.Fatalf("get: %d %s", code, shown)
	}

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
	if after := snapshot(t, e); after != before {
		t.Fatalf("refused requests changed the store:\n%s\n%s", before, after)
	}

	whole["name"] = "Mine, edited"
	if code, answer := e.call("PUT", "/api/blueprints/mine", whole); code != 200 {
		t.Fatalf("round trip: %d %s", code, answer)
	}
	stored, err := e.store.GetBlueprint(context.Background(), "default", "mine")
	if err != nil || stored.Name != "Mine, edited" {
		t.Fatalf("after the round trip: %+v %v", stored, err)
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
