package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"onair/internal/api"
)

func TestInputs(t *testing.T) {
	srv := startAPI(t, nil)
	endpoint := regexp.MustCompile(`rtmp://127\.0\.0\.1:1935/live/[0-9a-f]{32}`)

	if out := mustRun(t, "inputs", "list", "--server", srv); !strings.Contains(out, "no managed inputs") {
		t.Errorf("list with none:\n%s", out)
	}

	out := mustRun(t, "inputs", "create", "--server", srv, "--name", "Studio A")
	id := strings.TrimSpace(strings.TrimPrefix(line(t, out, "id:"), "id:"))
	if !strings.Contains(line(t, out, "class:"), "SINGLE_PIPELINE") || !endpoint.MatchString(line(t, out, "ingest:")) {
		t.Errorf("create SINGLE_PIPELINE:\n%s", out)
	}

	out = mustRun(t, "inputs", "create", "--name", "Studio B", "--class", "standard", "--region", "local", "-o", "json", "--server", srv)
	var std api.ManagedInputInfo
	if err := json.Unmarshal([]byte(out), &std); err != nil {
		t.Fatalf("create -o json is not JSON: %v\n%s", err, out)
	}
	if std.Class != "STANDARD" || len(std.Endpoints) != 2 || !strings.Contains(out, "\n  \"endpoints\"") {
		t.Errorf("create STANDARD -o json: %+v\n%s", std, out)
	}

	out = mustRun(t, "inputs", "list", "--server", srv)
	if !strings.HasPrefix(out, "ID ") {
		t.Errorf("no header line:\n%s", out)
	}
	for _, col := range []string{"NAME", "CLASS", "STATUS", "ENDPOINTS"} {
		if !strings.Contains(line(t, out, "ID "), col) {
			t.Errorf("header lacks %s:\n%s", col, out)
		}
	}
	l := line(t, out, id)
	if !strings.Contains(l, "Studio A") || !strings.Contains(l, "SINGLE_PIPELINE") || !strings.Contains(l, "IDLE") || len(endpoint.FindAllString(l, -1)) != 1 {
		t.Errorf("row of %s: %q", id, l)
	}
	l = line(t, out, std.ID)
	if !strings.Contains(l, std.Endpoints[0]+" "+std.Endpoints[1]) || !strings.Contains(l, "STANDARD") {
		t.Errorf("row of %s lacks both endpoints, main first: %q", std.ID, l)
	}
	if strings.Index(out, std.ID) > strings.Index(out, id) {
		t.Errorf("not newest first:\n%s", out)
	}

	if out := mustRun(t, "inputs", "list", "--region", "elsewhere", "--server", srv); !strings.Contains(out, "no managed inputs") {
		t.Errorf("--region elsewhere:\n%s", out)
	}
	out = mustRun(t, "inputs", "list", "-o", "json", "--region", "local", "--server", srv)
	var list api.ManagedInputList
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Items) != 2 {
		t.Errorf("list -o json: %v %+v\n%s", err, list, out)
	}

	// A workflow started on the input shows who holds it; delete is refused.
	var b map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "blueprints", "get", "rtmp-abr-720", "-o", "json", "--server", srv)), &b); err != nil {
		t.Fatal(err)
	}
	b["settings"].(map[string]any)["inputs"] = []any{map[string]any{"managedInput": map[string]any{"id": id}}}
	body, _ := json.Marshal(map[string]any{"name": "On Studio A", "blueprint": b})
	file := filepath.Join(t.TempDir(), "workflow.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	wf := newID(t, "workflows", "create", "-f", file, "--server", srv)
	mustRun(t, "channels", "start", wf, "--server", srv)
	if l := line(t, mustRun(t, "inputs", "list", "--server", srv), id); !strings.Contains(l, "IN_USE by "+wf) {
		t.Errorf("row of an input in use: %q", l)
	}
	r := run(t, nil, "inputs", "delete", id, "--server", srv)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 409 Conflict: ") || !strings.Contains(r.err, wf) {
		t.Errorf("delete in use: exit %d, stderr %q", r.code, r.err)
	}

	if out := mustRun(t, "inputs", "delete", std.ID, "--server", srv); !strings.Contains(out, "deleted "+std.ID) {
		t.Errorf("delete printed %q", out)
	}
	r = run(t, nil, "inputs", "delete", std.ID, "--server", srv)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 404 Not Found: ") || !strings.Contains(r.err, std.ID) {
		t.Errorf("delete again: exit %d, stderr %q", r.code, r.err)
	}
}

func TestInputsUsage(t *testing.T) {
	srv := startAPI(t, nil)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inputs", "create", "--server", srv}, 2, "missing --name"},
		{[]string{"inputs", "create", "--name", "x", "extra", "--server", srv}, 2, `unexpected argument "extra"`},
		{[]string{"inputs", "delete", "--server", srv}, 2, "missing <id>"},
		{[]string{"inputs", "create", "--name", "x", "--class", "TRIPLE", "--server", srv}, 1, "class: must be SINGLE_PIPELINE or STANDARD"},
		{[]string{"inputs", "create", "--name", "x", "--region", "mars", "--server", srv}, 1, `region: unknown region "mars"`},
		{[]string{"inputs", "create", "--name", "a<b", "--server", srv}, 1, "name: contains"},
	}
	for _, c := range cases {
		r := run(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("onair %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), r.code, r.err, c.code, c.want)
		}
	}
	out := mustRun(t, "inputs", "-h")
	for _, want := range []string{"list", "create", "delete", "managedInput", "--class SINGLE_PIPELINE|STANDARD"} {
		if !strings.Contains(out, want) {
			t.Errorf("inputs -h lacks %q:\n%s", want, out)
		}
	}
}
