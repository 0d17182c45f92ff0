package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/store"
)

// schedulerKicks counts the API's notifications to the scheduler.
type schedulerKicks struct{ n atomic.Int32 }

func (k *schedulerKicks) Notify() { k.n.Add(1) }

// newScheduleEnv is newEnv with a scheduler to tell and a fixed clock, so that
// nextRun is known.
func newScheduleEnv(t *testing.T, now time.Time) (*env, *schedulerKicks) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st}
	k := &schedulerKicks{}
	a := api.New(api.Options{
		Store: st, Controller: e, Scheduler: k, Region: "local", PublicURL: "http://onair.test", IngestHost: "onair.test:1935",
		Now: func() time.Time { return now },
	})
	mux := http.NewServeMux()
	a.Register(mux)
	seedAdmin(t, st)
	e.srv = httptest.NewServer(asAdmin(mux))
	t.Cleanup(e.srv.Close)
	return e, k
}

func TestPutSchedule(t *testing.T) {
	e, kicks := newScheduleEnv(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	id := e.create("Evening news", nil, "")
	if kicks.n.Load() != 1 {
		t.Fatalf("creating a workflow told the scheduler %d times, want 1", kicks.n.Load())
	}
	kicks.n.Store(0) // count the PUTs alone
	path := "/api/workflows/" + id + "/schedule"

	var wf domain.Workflow
	body := `{"startDateTime": "2026-12-01T20:00:00+02:00", "duration": 90,
		"recurrence": {"unit": "WEEK", "days": ["MON", "WED"], "endDate": "2026-12-31"}}`
	if code := e.do("PUT", path, body, &wf); code != 200 {
		t.Fatalf("PUT schedule: %d", code)
	}
	s := wf.Schedule
	if s == nil || s.StartDateTime != "2026-12-01T18:00:00.000Z" || s.Duration != 90 || s.Recurrence.Unit != "WEEK" ||
		!slices.Equal(s.Recurrence.Days, []string{"MON", "WED"}) || s.Recurrence.EndDate != "2026-12-31" {
		t.Fatalf("answered schedule %+v, want it normalized to UTC", s)
	}
	// 2026-12-01 is a Tuesday, not a listed day: the first run is on Wednesday.
	if wf.NextRun == nil || !wf.NextRun.Equal(time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("nextRun %v, want Wednesday 2026-12-02T18:00Z, the first listed day", wf.NextRun)
	}
	if kicks.n.Load() != 1 {
		t.Errorf("scheduler told %d times, want 1", kicks.n.Load())
	}
	var got domain.Workflow
	e.do("GET", "/api/workflows/"+id, nil, &got)
	if !reflect.DeepEqual(got.Schedule, wf.Schedule) {
		t.Errorf("stored schedule %+v", got.Schedule)
	}
	if got.NextRun == nil || !got.NextRun.Equal(*wf.NextRun) {
		t.Errorf("GET nextRun %v, want %v", got.NextRun, wf.NextRun)
	}

	// A one-off schedule.
	wf = domain.Workflow{}
	if code := e.do("PUT", path, `{"startDateTime": "2026-12-24T23:58:00Z", "duration": 10}`, &wf); code != 200 ||
		wf.Schedule.Recurrence != nil || wf.NextRun == nil || !wf.NextRun.Equal(time.Date(2026, 12, 24, 23, 58, 0, 0, time.UTC)) {
		t.Fatalf("one-off: %d %+v next %v", code, wf.Schedule, wf.NextRun)
	}

	// {} clears.
	wf = domain.Workflow{}
	if code := e.do("PUT", path, `{}`, &wf); code != 200 || wf.Schedule != nil || wf.NextRun != nil {
		t.Fatalf("{}: %d schedule %+v next %v", code, wf.Schedule, wf.NextRun)
	}
	got = domain.Workflow{}
	e.do("GET", "/api/workflows/"+id, nil, &got)
	if got.Schedule != nil || strings.Contains(e.raw("GET", "/api/workflows/"+id), `"schedule"`) {
		t.Errorf("cleared schedule still stored: %+v", got.Schedule)
	}
	if kicks.n.Load() != 3 {
		t.Errorf("scheduler told %d times, want 3", kicks.n.Load())
	}

	var eb api.ErrorBody
	if code := e.do("PUT", "/api/workflows/nope/schedule", `{}`, &eb); code != 404 || !strings.Contains(eb.Message, "nope") {
		t.Errorf("unknown workflow: %d %+v", code, eb)
	}
}

// raw returns the body of a GET, for checks on the JSON itself.
func (e *env) raw(method, path string) string {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func TestPutScheduleInvalid(t *testing.T) {
	e, kicks := newScheduleEnv(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	id := e.create("Evening news", nil, "")
	if kicks.n.Load() != 1 {
		t.Fatalf("creating a workflow told the scheduler %d times, want 1", kicks.n.Load())
	}
	kicks.n.Store(0) // count the PUTs alone
	path := "/api/workflows/" + id + "/schedule"
	const valid = `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "recurrence": {"unit": "DAY", "endDate": "2026-12-31"}}`
	if code := e.do("PUT", path, valid, nil); code != 200 {
		t.Fatalf("valid: %d", code)
	}
	before := e.raw("GET", "/api/workflows/"+id)
	cases := []struct {
		name, body, field string
	}{
		{"duration below 5", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 4}`, "duration"},
		{"duration above 720", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 721}`, "duration"},
		{"WEEK without days", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "recurrence": {"unit": "WEEK", "endDate": "2026-12-31"}}`, "recurrence.days"},
		{"unknown day", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "recurrence": {"unit": "WEEK", "days": ["MON", "Funday"], "endDate": "2026-12-31"}}`, "recurrence.days[1]"},
		{"unknown unit", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "recurrence": {"unit": "MONTH", "endDate": "2026-12-31"}}`, "recurrence.unit"},
		{"endDate before the start date", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "recurrence": {"unit": "DAY", "endDate": "2026-11-30"}}`, "recurrence.endDate"},
		{"malformed endDate", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "recurrence": {"unit": "DAY", "endDate": "Dec 31"}}`, "recurrence.endDate"},
		{"malformed startDateTime", `{"startDateTime": "2026-12-01 18:00", "duration": 60}`, "startDateTime"},
		{"no startDateTime", `{"duration": 60}`, "startDateTime"},
		{"duration as a string", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": "60"}`, "duration"},
		{"unknown field", `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60, "stop": "never"}`, "stop"},
	}
	for _, c := range cases {
		var eb api.ErrorBody
		code := e.do("PUT", path, c.body, &eb)
		named := eb.Field == c.field
		for _, fe := range eb.Errors {
			named = named || fe.Field == c.field
		}
		if code != 400 || !named || !strings.Contains(eb.Message, c.field) {
			t.Errorf("%s: %d %+v, want 400 naming %s", c.name, code, eb, c.field)
		}
		if after := e.raw("GET", "/api/workflows/"+id); after != before {
			t.Errorf("%s: the workflow changed:\n%s\n%s", c.name, before, after)
		}
	}
	var eb api.ErrorBody
	req, _ := http.NewRequest("PUT", e.srv.URL+path, strings.NewReader(valid))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 415 {
		t.Errorf("text/plain: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if code := e.do("PUT", path, `{"startDateTime": "`+strings.Repeat("x", 2<<20)+`"}`, &eb); code != 413 {
		t.Errorf("2 MiB body: %d", code)
	}
	if kicks.n.Load() != 1 {
		t.Errorf("scheduler told %d times, want 1 (the valid PUT)", kicks.n.Load())
	}
}

func TestPutScheduleByStatus(t *testing.T) {
	e, _ := newScheduleEnv(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	id := e.create("Evening news", nil, "")
	path := "/api/workflows/" + id + "/schedule"
	const body = `{"startDateTime": "2026-12-01T18:00:00Z", "duration": 60}`
	for _, st := range domain.Statuses {
		e.setStatus(id, st)
		var eb api.ErrorBody
		code := e.do("PUT", path, body, &eb)
		want := 409
		if st == domain.StatusReady || st == domain.StatusRunning || st == domain.StatusDone {
			want = 200
		}
		if code != want {
			t.Errorf("%s: %d %+v, want %d", st, code, eb, want)
		}
		if want == 409 && !strings.Contains(eb.Message, string(st)) {
			t.Errorf("%s: 409 message %q does not say the status", st, eb.Message)
		}
		// Clear in an allowed status, so that each refusal is seen to change nothing.
		e.setStatus(id, domain.StatusReady)
		if code := e.do("PUT", path, `{}`, nil); code != 200 {
			t.Fatalf("clear: %d", code)
		}
	}
	for _, st := range []domain.Status{domain.StatusProvisioning, domain.StatusStarting, domain.StatusStopping, domain.StatusDeleting, domain.StatusStartFailed, domain.StatusStopFailed} {
		e.setStatus(id, st)
		e.do("PUT", path, body, nil)
		var wf domain.Workflow
		e.do("GET", "/api/workflows/"+id, nil, &wf)
		if wf.Schedule != nil {
			t.Errorf("%s: a refused PUT set the schedule", st)
		}
	}
}
