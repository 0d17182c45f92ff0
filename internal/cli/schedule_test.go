package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"onair/internal/domain"
)

func TestWorkflowsSchedule(t *testing.T) {
	srv := startAPI(t, nil)
	id := newID(t, "workflows", "create", "--server", srv, "--blueprint", "rtmp-abr-720", "--name", "Evening news")

	// 2099-12-01 is a Tuesday: far enough ahead that nextRun is the start.
	out := mustRun(t, "workflows", "schedule", id, "--server", srv,
		"--start", "2099-12-01T20:00:00+02:00", "--duration", "90", "--every", "day", "--until", "2099-12-31")
	if l := line(t, out, "schedule:"); !strings.Contains(l, "2099-12-01T18:00:00.000Z for 90 min, every day through 2099-12-31") {
		t.Errorf("schedule line: %q", l)
	}
	if l := line(t, out, "next run:"); !strings.HasSuffix(l, "2099-12-01T18:00:00Z") {
		t.Errorf("next run line: %q", l)
	}
	out = mustRun(t, "workflows", "get", id, "--server", srv)
	if l := line(t, out, "next run:"); !strings.HasSuffix(l, "2099-12-01T18:00:00Z") {
		t.Errorf("workflows get: next run line %q", l)
	}

	out = mustRun(t, "workflows", "schedule", id, "--server", srv,
		"--start", "2099-12-01T18:00:00Z", "--duration", "30", "--every", "Mon, WED", "--until", "2099-12-31", "-o", "json")
	var wf domain.Workflow
	if err := json.Unmarshal([]byte(out), &wf); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if r := wf.Schedule.Recurrence; r == nil || r.Unit != "WEEK" || strings.Join(r.Days, ",") != "MON,WED" || wf.NextRun == nil {
		t.Errorf("weekly: %+v next %v", wf.Schedule, wf.NextRun)
	}

	out = mustRun(t, "workflows", "schedule", id, "--server", srv, "--clear")
	if l := line(t, out, "schedule:"); !strings.HasSuffix(l, "none") {
		t.Errorf("after --clear: %q", l)
	}
	if l := line(t, out, "next run:"); !strings.HasSuffix(l, "none") {
		t.Errorf("after --clear: %q", l)
	}

	// The server's refusal names the field.
	r := run(t, nil, "workflows", "schedule", id, "--server", srv, "--start", "2099-12-01T18:00:00Z", "--duration", "3")
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 400 Bad Request: duration: ") {
		t.Errorf("duration 3: exit %d, stderr %q", r.code, r.err)
	}
	r = run(t, nil, "workflows", "schedule", "nope", "--server", srv, "--clear")
	if r.code != 1 || !strings.Contains(r.err, "404") {
		t.Errorf("unknown workflow: exit %d, stderr %q", r.code, r.err)
	}

	// Mistakes on the command line are caught before any request.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "60"}, "missing --start"},
		{[]string{"--start", "2099-12-01T18:00:00Z"}, "missing --duration"},
		{[]string{"--start", "2099-12-01T18:00:00Z", "--duration", "60", "--every", "day"}, "--every needs --until"},
		{[]string{"--start", "2099-12-01T18:00:00Z", "--duration", "60", "--until", "2099-12-31"}, "--until goes with --every"},
		{[]string{"--start", "2099-12-01T18:00:00Z", "--duration", "60", "--every", "mon,funday", "--until", "2099-12-31"}, `"funday" is not a day`},
		{[]string{"--clear", "--duration", "60"}, "--clear takes no other"},
	} {
		args := append([]string{"workflows", "schedule", id, "--server", srv}, c.args...)
		r := run(t, nil, args...)
		if r.code != 2 || !strings.Contains(r.err, c.want) || !strings.Contains(r.err, "usage: onair workflows schedule") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.err, c.want)
		}
	}
	if out := mustRun(t, "workflows", "get", id, "--server", srv); !strings.Contains(line(t, out, "schedule:"), "none") {
		t.Errorf("a refused command changed the schedule:\n%s", out)
	}
}
