package domain_test

import (
	"reflect"
	"strings"
	"testing"

	"onair/internal/domain"
)

// controls are characters that no name or email holds: they forge log lines,
// move the terminal's cursor, or hide or reverse text in the console.
var controls = map[string]string{
	"NUL": "\x00", "tab": "\t", "newline": "\n", "CR": "\r", "ESC": "\x1b[31m", "DEL": "\x7f",
	"NEL (C1)": "\u0085", "line separator": "\u2028", "right-to-left override": "\u202e",
	"zero-width space": "\u200b", "byte order mark": "\ufeff",
}

// TestNamesRefuseControlCharacters checks every validator of a name a user
// gives: workflows, blueprints and their output groups, streams, managed
// inputs, API keys and organizations (ValidateName).
func TestNamesRefuseControlCharacters(t *testing.T) {
	validators := map[string]struct {
		field string
		check func(name string) error
	}{
		"workflow name": {"name", func(v string) error { s := validSpec(); s.Name = v; return s.Validate([]string{"local"}) }},
		"workflow description": {"description", func(v string) error {
			s := validSpec()
			s.Description = v
			return s.Validate([]string{"local"})
		}},
		"blueprint name": {"blueprint.name", func(v string) error { s := validSpec(); s.Blueprint.Name = v; return s.Validate([]string{"local"}) }},
		"output group name": {"blueprint.settings.outputGroups[0].name", func(v string) error {
			s := validSpec()
			s.Blueprint.Settings.OutputGroups[0].Name = v
			return s.Validate([]string{"local"})
		}},
		"stream name":        {"name", func(v string) error { return (&domain.StreamSpec{Name: v}).Validate() }},
		"managed input name": {"name", func(v string) error { return (&domain.ManagedInputSpec{Name: v}).Validate([]string{"local"}) }},
		"key or org name":    {"name", func(v string) error { return domain.ValidateName("name", v) }},
	}
	for what, v := range validators {
		if err := v.check("Studio A"); err != nil {
			t.Fatalf("%s: a plain name refused: %v", what, err)
		}
		for cname, c := range controls {
			for _, name := range []string{"Studio" + c + "A", "Studio A" + c, c + "Studio A"} {
				if got := fields(t, v.check(name)); !reflect.DeepEqual(got, []string{v.field}) {
					t.Errorf("%s with %s (%q): fields %v, want [%s]", what, cname, name, got, v.field)
				}
			}
		}
	}
}

func TestValidateEmail(t *testing.T) {
	ok := map[string]string{
		"ada@example.com":            "ada@example.com",
		"  Ada.Lovelace@Example.COM": "ada.lovelace@example.com",
		"a+tag@sub.example.org":      "a+tag@sub.example.org",
		"josé@example.pt":            "josé@example.pt",
	}
	for in, want := range ok {
		got, err := domain.ValidateEmail("email", in)
		if err != nil || got != want {
			t.Errorf("ValidateEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "ada", "@example.com", "ada@", "ada @example.com", strings.Repeat("a", 250) + "@x.io"}
	for _, c := range controls {
		bad = append(bad, "ada"+c+"@example.com", "ada@example.com"+c+"x")
	}
	for _, in := range bad {
		_, err := domain.ValidateEmail("email", in)
		if got := fields(t, err); !reflect.DeepEqual(got, []string{"email"}) {
			t.Errorf("ValidateEmail(%q): fields %v", in, got)
		}
	}
}

func TestOutputGroupsRequired(t *testing.T) {
	s := validSpec()
	s.Blueprint.Settings.OutputGroups = nil
	if got := fields(t, s.Validate([]string{"local"})); !reflect.DeepEqual(got, []string{"blueprint.settings.outputGroups"}) {
		t.Errorf("no output group: fields %v", got)
	}
	b := *validSpec().Blueprint
	b.Settings.OutputGroups = []domain.OutputGroup{}
	if got := fields(t, domain.ValidateBlueprint("", &b)); !reflect.DeepEqual(got, []string{"settings.outputGroups"}) {
		t.Errorf("blueprint route, no output group: fields %v", got)
	}

	// An archive alone is not enough: every run is packaged as HLS.
	no := false
	s = validSpec()
	s.Blueprint.Settings.OutputGroups = []domain.OutputGroup{s.Blueprint.Settings.OutputGroups[1]} // the archive alone
	if got := fields(t, s.Validate([]string{"local"})); !reflect.DeepEqual(got, []string{"blueprint.settings.outputGroups"}) {
		t.Errorf("an archive-only workflow: fields %v", got)
	}
	s = validSpec()
	s.CreateArchives = &no
	if err := s.Validate([]string{"local"}); err != nil {
		t.Errorf("createArchives false with an HLS output: %v", err)
	}
}
