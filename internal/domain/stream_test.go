package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
)

func intp(v int) *int { return &v }

func TestStreamSpecValidation(t *testing.T) {
	cases := []struct {
		name  string
		spec  domain.StreamSpec
		field string // "" means valid
	}{
		{"name only", domain.StreamSpec{Name: "my_stream"}, ""},
		{"everything", domain.StreamSpec{Name: "my_stream", Description: "This is a stream", SegmentLength: intp(123), BlueprintID: "rtmp-abr-720"}, ""},
		{"trackit's default segment", domain.StreamSpec{Name: "a", SegmentLength: intp(300)}, ""},
		{"no name", domain.StreamSpec{Description: "x"}, "name"},
		{"name with <", domain.StreamSpec{Name: "a<b"}, "name"},
		{"description with a newline", domain.StreamSpec{Name: "a", Description: "a\nb"}, "description"},
		{"segment 0", domain.StreamSpec{Name: "a", SegmentLength: intp(0)}, "segment_length"},
		{"segment too long", domain.StreamSpec{Name: "a", SegmentLength: intp(301)}, "segment_length"},
		{"bad blueprint id", domain.StreamSpec{Name: "a", BlueprintID: "../x"}, "blueprint_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid spec refused: %v", err)
				}
				return
			}
			if got := fields(t, err); !reflect.DeepEqual(got, []string{tc.field}) {
				t.Errorf("fields %v, want [%s] (%v)", got, tc.field, err)
			}
		})
	}
}

func TestStreamStartResolve(t *testing.T) {
	cases := []struct {
		name  string
		start domain.StreamStart
		want  domain.SessionOptions
		field string // "" means valid
	}{
		{"defaults", domain.StreamStart{}, domain.SessionOptions{StartoverWindowSeconds: 3600, KeyRotationInterval: 60}, ""},
		{"everything", domain.StreamStart{Path: "shows/./keynote/", StartoverWindowSeconds: intp(600), KeyRotationInterval: intp(30)},
			domain.SessionOptions{ArchiveDir: "shows/keynote", StartoverWindowSeconds: 600, KeyRotationInterval: 30}, ""},
		{"clear", domain.StreamStart{KeyRotationInterval: intp(0)}, domain.SessionOptions{StartoverWindowSeconds: 3600}, ""},
		{"smallest window", domain.StreamStart{StartoverWindowSeconds: intp(18)}, domain.SessionOptions{StartoverWindowSeconds: 18, KeyRotationInterval: 60}, ""},
		{"window under 3 segments", domain.StreamStart{StartoverWindowSeconds: intp(17)}, domain.SessionOptions{}, "startover_window_seconds"},
		{"window over a day", domain.StreamStart{StartoverWindowSeconds: intp(86401)}, domain.SessionOptions{}, "startover_window_seconds"},
		{"negative rotation", domain.StreamStart{KeyRotationInterval: intp(-1)}, domain.SessionOptions{}, "key_rotation_interval"},
		{"traversal", domain.StreamStart{Path: "../x"}, domain.SessionOptions{}, "path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.start.Resolve(6)
			if tc.field != "" {
				if f := fields(t, err); !reflect.DeepEqual(f, []string{tc.field}) {
					t.Errorf("fields %v, want [%s] (%v)", f, tc.field, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("valid start refused: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCleanArchivePath(t *testing.T) {
	ok := map[string]string{
		"keynote":            "keynote",
		"2024/05/17/keynote": "2024/05/17/keynote",
		"a/./b/":             "a/b",
		"a//b":               "a/b",
		"a/../b":             "b",
		"a/b/..":             "a",
		"shows/x-1_final.v2": "shows/x-1_final.v2",
		"...":                "...", // a name, not a way up
		"2024/" + uuidLike:   "2024/" + uuidLike,
	}
	for in, want := range ok {
		got, err := domain.CleanArchivePath("path", in)
		if err != nil || got != want {
			t.Errorf("CleanArchivePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"../x", "..", "a/../../b", "a/b/../../..", "/etc", "/etc/passwd", ".", "./", "a/..",
		"s3://bucket/path", `a\b`, "a b", "a%2f..", "é", strings.Repeat("a", 256), uuidLike + "/run",
	} {
		got, err := domain.CleanArchivePath("path", in)
		if f := fields(t, err); !reflect.DeepEqual(f, []string{"path"}) {
			t.Errorf("CleanArchivePath(%q) = %q, %v; want one error on path", in, got, err)
		}
	}
}

const uuidLike = "0b6f3c1e-8a4d-4c2b-9f1e-2d3c4b5a6f70"

func TestDefaultArchivePath(t *testing.T) {
	now := time.Date(2024, 5, 7, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600))
	got := domain.DefaultArchivePath("s1", now)
	// The date is UTC's: 01:30 on the 8th.
	if want := "2024/05/08/s1-1715131800"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := domain.CleanArchivePath("path", got); err != nil {
		t.Errorf("the default path is refused as a given one: %v", err)
	}
}

func TestArchivePathsOverlap(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"a", "a", true},
		{"a", "a/b", true},
		{"a/b", "a", true},
		{"a/b", "a/c", false},
		{"a", "ab", false},
		{"ab/c", "a", false},
		{"2024/05/08/s1-1", "2024/05/08/s1-10", false},
	}
	for _, tc := range cases {
		if got := domain.ArchivePathsOverlap(tc.a, tc.b); got != tc.want {
			t.Errorf("ArchivePathsOverlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestStreamStarted(t *testing.T) {
	now := time.Now()
	run := func(stop *time.Time) *domain.Run { return &domain.Run{ID: "r", StopRequested: stop} }
	cases := []struct {
		name string
		ch   *domain.Channel
		want bool
	}{
		{"workflow gone", nil, false},
		{"never started", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusReady}}, false},
		{"provisioning", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusProvisioning}, Run: run(nil)}, true},
		{"running", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusRunning}, Run: run(nil)}, true},
		{"stop asked", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusRunning}, Run: run(&now)}, false},
		{"stopping", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusStopping}, Run: run(&now)}, false},
		{"done", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusDone}, Run: run(&now)}, false},
		{"start failed", &domain.Channel{Workflow: domain.Workflow{Status: domain.StatusStartFailed}, Run: run(nil)}, false},
	}
	for _, tc := range cases {
		if got := domain.StreamStarted(tc.ch); got != tc.want {
			t.Errorf("%s: StreamStarted = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStreamArchiveSegment(t *testing.T) {
	if got := (&domain.StreamSpec{Name: "a"}).ArchiveSegment(); got != 300 {
		t.Errorf("without segment_length: %d, want the documents' 300", got)
	}
	if got := (&domain.StreamSpec{Name: "a", SegmentLength: intp(123)}).ArchiveSegment(); got != 123 {
		t.Errorf("segment_length 123: %d", got)
	}
}

func TestStreamStartConflict(t *testing.T) {
	now := time.Now()
	st := &domain.Stream{ID: "st-1", WorkflowID: "wf-1", CurrentSessionID: "sess-1"}
	run := func(stop *time.Time) *domain.Run { return &domain.Run{ID: "sess-1", StopRequested: stop} }
	ch := func(s domain.Status, r *domain.Run) *domain.Channel {
		return &domain.Channel{Workflow: domain.Workflow{ID: "wf-1", Status: s}, Run: r}
	}
	const finishing = "the last session is still finishing its archive"
	cases := []struct {
		name  string
		ch    *domain.Channel
		words []string // nil: the start is allowed
	}{
		{"never started", ch(domain.StatusReady, nil), nil},
		{"done", ch(domain.StatusDone, run(&now)), nil},
		{"start failed", ch(domain.StatusStartFailed, run(nil)), nil},
		{"workflow gone", nil, []string{"wf-1", "deleted"}},
		{"started", ch(domain.StatusRunning, run(nil)), []string{"already started", "sess-1"}},
		{"stop asked, not yet stopping", ch(domain.StatusRunning, run(&now)), []string{finishing, "sess-1"}},
		{"stopping", ch(domain.StatusStopping, run(&now)), []string{finishing, "sess-1"}},
		{"deleting", ch(domain.StatusDeleting, run(&now)), []string{finishing, "sess-1"}},
	}
	for _, tc := range cases {
		err := domain.StreamStartConflict(st, tc.ch)
		if tc.words == nil {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		var ce *domain.ConflictError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v, want a ConflictError", tc.name, err)
			continue
		}
		for _, w := range append(tc.words, "stream st-1") {
			if !strings.Contains(ce.Message, w) {
				t.Errorf("%s: %q does not say %q", tc.name, ce.Message, w)
			}
		}
		if tc.ch != nil && strings.Contains(ce.Message, string(tc.ch.Workflow.Status)) {
			t.Errorf("%s: %q names the workflow's status", tc.name, ce.Message)
		}
	}
}
