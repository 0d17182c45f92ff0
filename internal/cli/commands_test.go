package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
)

// newID runs a command that prints a new object's id and returns the id.
func newID(t *testing.T, args ...string) string {
	t.Helper()
	out := mustRun(t, args...)
	id := strings.TrimSpace(out)
	if id == "" || strings.ContainsAny(id, " \n") {
		t.Fatalf("onair %s printed %q, want one id", strings.Join(args, " "), out)
	}
	return id
}

// line returns the line of out that starts with prefix, or fails.
func line(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", prefix, out)
	return ""
}

func TestBlueprints(t *testing.T) {
	srv := startAPI(t, nil)
	out := mustRun(t, "blueprints", "list", "--server", srv)
	if !strings.HasPrefix(out, "ID ") || !strings.Contains(line(t, out, "ID "), "FEATURED") {
		t.Errorf("no header line:\n%s", out)
	}
	for _, id := range []string{"rtmp-abr-720", "rtmp-abr-1080", "rtmp-passthrough", "rtmp-abr-720-standard"} {
		line(t, out, id+" ")
	}

	out = mustRun(t, "blueprints", "get", "rtmp-abr-720", "--server", srv)
	for _, want := range []string{"id:", "rtmp-abr-720", "built in:", "video:", "720p", "output:"} {
		if !strings.Contains(out, want) {
			t.Errorf("blueprints get lacks %q:\n%s", want, out)
		}
	}

	r := run(t, nil, "blueprints", "get", "nope", "--server", srv)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 404 Not Found: ") || !strings.Contains(r.err, "nope") {
		t.Errorf("get unknown: exit %d, stderr %q", r.code, r.err)
	}
}

func TestWorkflows(t *testing.T) {
	srv := startAPI(t, nil)
	id := newID(t, "workflows", "create", "--server", srv, "--blueprint", "rtmp-abr-720", "--name", "Live01", "--tags", "news")
	other := newID(t, "workflows", "create", "--server", srv, "--blueprint", "rtmp-passthrough", "--name", "Sport Feed",
		"--tags", "sport,live", "--description", "Saturday games", "--no-archives")

	out := mustRun(t, "workflows", "list", "--server", srv)
	l := line(t, out, id)
	for _, want := range []string{"Live01", "READY", "rtmp-abr-720", "local", "news"} {
		if !strings.Contains(l, want) {
			t.Errorf("row of %s lacks %q: %q", id, want, l)
		}
	}
	line(t, out, other)
	if strings.Contains(out, "more:") {
		t.Errorf("a one-page list printed a next hint:\n%s", out)
	}

	out = mustRun(t, "workflows", "list", "--server", srv, "--tags", "news")
	if !strings.Contains(out, "Live01") || strings.Contains(out, "Sport Feed") {
		t.Errorf("--tags news:\n%s", out)
	}
	out = mustRun(t, "workflows", "list", "--server", srv, "--search", "saturday", "--status", "READY")
	if strings.Contains(out, "Live01") || !strings.Contains(out, "Sport Feed") {
		t.Errorf("--search saturday:\n%s", out)
	}
	if out := mustRun(t, "workflows", "list", "--server", srv, "--status", "DONE"); !strings.Contains(out, "no workflows") {
		t.Errorf("--status DONE:\n%s", out)
	}

	out = mustRun(t, "workflows", "list", "-o", "json", "--server", srv, "--tags", "sport")
	var list api.WorkflowList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, out)
	}
	if len(list.Items) != 1 || list.Items[0].ID != other || !strings.Contains(out, "\n  \"items\"") {
		t.Errorf("-o json: %+v\n%s", list, out)
	}

	out = mustRun(t, "workflows", "get", other, "--server", srv)
	for _, want := range []string{"Sport Feed", "Saturday games", "sport,live", "archives:", "off", "rtmp-passthrough"} {
		if !strings.Contains(out, want) {
			t.Errorf("workflows get lacks %q:\n%s", want, out)
		}
	}

	dup := newID(t, "workflows", "duplicate", id, "--server", srv)
	if dup == id {
		t.Errorf("duplicate printed the original id")
	}
	if l := line(t, mustRun(t, "workflows", "list", "--server", srv), dup); !strings.Contains(l, "Live01") {
		t.Errorf("the duplicate's row: %q", l)
	}

	if out := mustRun(t, "workflows", "delete", id, "--server", srv); !strings.Contains(out, "deleted "+id) {
		t.Errorf("delete printed %q", out)
	}
	r := run(t, nil, "workflows", "get", id, "--server", srv)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 404 Not Found: ") || !strings.Contains(r.err, id) || r.stdout != "" {
		t.Errorf("get after delete: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}
}

func TestWorkflowsPaging(t *testing.T) {
	srv := startAPI(t, nil)
	for _, name := range []string{"One", "Two", "Three"} {
		newID(t, "workflows", "create", "--server", srv, "--blueprint", "rtmp-abr-720", "--name", name)
	}
	out := mustRun(t, "workflows", "list", "--server", srv, "--limit", "2")
	m := regexp.MustCompile(`(?m)^more: --next (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no next hint on a first page of 2 of 3:\n%s", out)
	}
	out = mustRun(t, "workflows", "list", "--server", srv, "--limit", "2", "--next", m[1])
	if !strings.Contains(out, "One") || strings.Contains(out, "Three") || strings.Contains(out, "more:") {
		t.Errorf("second page:\n%s", out)
	}
}

func TestWorkflowsCreateFromFile(t *testing.T) {
	srv := startAPI(t, nil)
	bp := mustRun(t, "blueprints", "get", "rtmp-abr-1080", "-o", "json", "--server", srv)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	body := `{"name": "From File", "tags": ["file"], "blueprint": ` + bp + `}`
	if err := os.WriteFile(good, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	id := newID(t, "workflows", "create", "-f", good, "--server", srv)
	if out := mustRun(t, "workflows", "get", id, "--server", srv); !strings.Contains(out, "From File") || !strings.Contains(out, "1080p") {
		t.Errorf("the workflow from the file:\n%s", out)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"blueprint": `+bp+`}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "workflows", "create", "-f", bad, "--server", srv)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 400 Bad Request: ") || !strings.Contains(r.err, "name: is required") {
		t.Errorf("a body without a name: exit %d, stderr %q", r.code, r.err)
	}

	// - reads the body from stdin.
	stdin, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	saved := os.Stdin
	os.Stdin = stdin
	defer func() { os.Stdin = saved }()
	if fromStdin := newID(t, "workflows", "create", "--server", srv, "-f", "-"); fromStdin == id {
		t.Errorf("-f - printed the first workflow's id")
	}

	r = run(t, nil, "workflows", "create", "-f", filepath.Join(dir, "missing.json"), "--server", srv)
	if r.code != 1 || !strings.Contains(r.err, "missing.json") {
		t.Errorf("a missing file: exit %d, stderr %q", r.code, r.err)
	}
}

func TestChannels(t *testing.T) {
	srv := startAPI(t, nil)
	id := newID(t, "workflows", "create", "--server", srv, "--blueprint", "rtmp-abr-720", "--name", "Live01")

	out := mustRun(t, "channels", "get", id, "--server", srv)
	if !strings.Contains(line(t, out, "status:"), "READY") || !strings.Contains(out, "never started") {
		t.Errorf("channels get before a start:\n%s", out)
	}

	r := run(t, nil, "channels", "start", "nope", "--server", srv)
	if r.code != 1 || !strings.Contains(r.err, `cannot start nope: workflow "nope" not found`) {
		t.Errorf("start unknown: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}

	r = run(t, nil, "channels", "start", id, "nope", "--server", srv)
	if r.code != 1 || !strings.Contains(r.stdout, "start requested: "+id) || !strings.Contains(r.err, "cannot start nope") {
		t.Errorf("start one good, one unknown: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}

	// No controller is attached, so the run stays where the API put it.
	out = mustRun(t, "channels", "get", id, "--server", srv)
	if !strings.Contains(line(t, out, "status:"), string(domain.StatusProvisioning)) {
		t.Errorf("status after start:\n%s", out)
	}
	if l := line(t, out, "start requested:"); !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).MatchString(l) {
		t.Errorf("no start request time: %q", l)
	}
	if l := line(t, out, "stop requested:"); !strings.HasSuffix(strings.TrimSpace(l), "-") {
		t.Errorf("a stop request before any stop: %q", l)
	}

	r = run(t, nil, "channels", "start", id, "--server", srv)
	if r.code != 1 || !strings.Contains(r.err, "not READY") {
		t.Errorf("start twice: exit %d, stderr %q", r.code, r.err)
	}

	if out := mustRun(t, "channels", "stop", id, "--server", srv); !strings.Contains(out, "stop requested: "+id) {
		t.Errorf("stop printed %q", out)
	}
	out = mustRun(t, "channels", "get", id, "--server", srv)
	if l := line(t, out, "stop requested:"); !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).MatchString(l) {
		t.Errorf("no stop request time: %q", l)
	}

	out = mustRun(t, "channels", "get", id, "-o", "json", "--server", srv)
	var info api.ChannelInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if info.RunID == "" || info.StopRequestedDateTime == nil {
		t.Errorf("-o json: %+v", info)
	}

	out = mustRun(t, "channels", "list", "--workflow", id, "--server", srv)
	l := line(t, out, id)
	if !strings.Contains(l, info.RunID) || !strings.Contains(l, "PROVISIONING") {
		t.Errorf("channels list row: %q\n%s", l, out)
	}
	if !strings.HasPrefix(out, "WORKFLOW ") {
		t.Errorf("channels list header:\n%s", out)
	}

	r = run(t, nil, "channels", "stop", "nope", "-o", "json", "--server", srv)
	var res api.ChannelsResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 1 || len(res.Failed) != 1 {
		t.Errorf("stop unknown -o json: exit %d, %v, stdout %q", r.code, err, r.stdout)
	}
}
