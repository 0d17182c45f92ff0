package domain_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
)

func TestManagedInputSpecValidation(t *testing.T) {
	regions := []string{"local"}
	cases := []struct {
		name  string
		spec  domain.ManagedInputSpec
		field string // "" means valid
	}{
		{"name only", domain.ManagedInputSpec{Name: "Studio A"}, ""},
		{"everything", domain.ManagedInputSpec{Name: "Studio A", Type: "RTMP_PUSH", Region: "local", Class: "STANDARD"}, ""},
		{"single pipeline", domain.ManagedInputSpec{Name: "Évora (main) #1", Class: "SINGLE_PIPELINE"}, ""},
		{"no name", domain.ManagedInputSpec{}, "name"},
		{"name with <", domain.ManagedInputSpec{Name: "a<b"}, "name"},
		{"name padded", domain.ManagedInputSpec{Name: "a "}, "name"},
		{"name too long", domain.ManagedInputSpec{Name: strings.Repeat("a", 129)}, "name"},
		{"other type", domain.ManagedInputSpec{Name: "a", Type: "SRT_LISTENER"}, "type"},
		{"lower-case type", domain.ManagedInputSpec{Name: "a", Type: "rtmp_push"}, "type"},
		{"unknown region", domain.ManagedInputSpec{Name: "a", Region: "us-east-1"}, "region"},
		{"unknown class", domain.ManagedInputSpec{Name: "a", Class: "TRIPLE"}, "class"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate(regions)
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

	// Every problem is listed, not only the first.
	bad := domain.ManagedInputSpec{Type: "X", Region: "mars", Class: "Y"}
	if got := fields(t, bad.Validate(regions)); !reflect.DeepEqual(got, []string{"name", "type", "region", "class"}) {
		t.Errorf("all problems: %v", got)
	}
}

func TestNewManagedInput(t *testing.T) {
	now := time.Date(2024, 3, 10, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	key := regexp.MustCompile(`^[0-9a-f]{32}$`)

	spec := domain.ManagedInputSpec{Name: "Studio A"}
	in := spec.NewManagedInput("mi-1", "org-a", "local", now)
	if in.ID != "mi-1" || in.OrgID != "org-a" || in.Name != "Studio A" || in.Region != "local" ||
		in.Type != "RTMP_PUSH" || in.Class != domain.ClassSinglePipeline || in.InUseBy != "" {
		t.Errorf("defaults: %+v", in)
	}
	if !in.Created.Equal(now) || in.Created.Location() != time.UTC {
		t.Errorf("created %v, want %v in UTC", in.Created, now)
	}
	if len(in.Ingests) != 1 || in.Ingests[0].App != domain.IngestApp || in.Ingests[0].Pipeline != 0 || !key.MatchString(in.Ingests[0].StreamKey) {
		t.Errorf("single pipeline ingests: %+v", in.Ingests)
	}

	spec = domain.ManagedInputSpec{Name: "Studio B", Type: "RTMP_PUSH", Region: "eu-west", Class: domain.ClassStandard}
	in = spec.NewManagedInput("mi-2", "org-a", "local", now)
	if in.Region != "eu-west" || in.Class != domain.ClassStandard {
		t.Errorf("given values: %+v", in)
	}
	if len(in.Ingests) != 2 || in.Ingests[0].Pipeline != 0 || in.Ingests[1].Pipeline != 1 ||
		in.Ingests[0].StreamKey == in.Ingests[1].StreamKey || !key.MatchString(in.Ingests[1].StreamKey) {
		t.Errorf("standard ingests, main and backup with their own keys: %+v", in.Ingests)
	}
	if again := spec.NewManagedInput("mi-3", "org-a", "local", now); again.Ingests[0].StreamKey == in.Ingests[0].StreamKey {
		t.Error("two inputs got the same stream key")
	}
}

func TestStreamKeyOfPath(t *testing.T) {
	cases := []struct {
		path, key string
		ok        bool
	}{
		{"live/0123abcd", "0123abcd", true}, // rtmp://host/live/KEY, and OBS's rtmp://host/ + live/KEY
		{"0123abcd", "0123abcd", true},      // FrontMaster's rtmp://host/KEY
		{"live", "live", true},              // rtmp://host/live, no name: the FrontMaster form, whose key no key is
		{"", "", false},
		{"app/0123abcd", "", false},      // another application
		{"live/sub/0123abcd", "", false}, // a deeper path
		{"live/live", "live", true},      // a key that happens to read "live"
	}
	for _, c := range cases {
		key, ok := domain.StreamKeyOfPath(c.path)
		if key != c.key || ok != c.ok {
			t.Errorf("StreamKeyOfPath(%q) = %q, %v; want %q, %v", c.path, key, ok, c.key, c.ok)
		}
	}
}
