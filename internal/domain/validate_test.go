package domain_test

import (
	"errors"
	"strings"
	"testing"

	"onair/internal/catalog"
	"onair/internal/domain"
)

func validSpec() domain.WorkflowSpec {
	b, _ := catalog.New().Get(catalog.ABR720)
	return domain.WorkflowSpec{Name: "Live01", Description: "Test", Blueprint: &b, Tags: []string{"news"}}
}

// fields returns the field names of a validation error, or fails the test.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	var out []string
	for _, fe := range ve.Errors {
		out = append(out, fe.Field)
	}
	return out
}

func TestWorkflowSpecValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(s *domain.WorkflowSpec)
		field  string // "" means valid
	}{
		{"valid", func(s *domain.WorkflowSpec) {}, ""},
		{"unicode name", func(s *domain.WorkflowSpec) { s.Name = "Évora Live: (main) #1" }, ""},
		{"no name", func(s *domain.WorkflowSpec) { s.Name = "" }, "name"},
		{"name with <", func(s *domain.WorkflowSpec) { s.Name = "a<b" }, "name"},
		{"name with newline", func(s *domain.WorkflowSpec) { s.Name = "a\nb" }, "name"},
		{"name too long", func(s *domain.WorkflowSpec) { s.Name = strings.Repeat("a", 129) }, "name"},
		{"name padded", func(s *domain.WorkflowSpec) { s.Name = " a" }, "name"},
		{"description with ;", func(s *domain.WorkflowSpec) { s.Description = "x; DROP TABLE" }, "description"},
		{"unknown region", func(s *domain.WorkflowSpec) { s.Region = "us-east-1" }, "region"},
		{"known region", func(s *domain.WorkflowSpec) { s.Region = "local" }, ""},
		{"no blueprint", func(s *domain.WorkflowSpec) { s.Blueprint = nil }, "blueprint"},
		{"bad tag", func(s *domain.WorkflowSpec) { s.Tags = []string{"ok", "not ok"} }, "tags[1]"},
		{"empty schedule", func(s *domain.WorkflowSpec) { s.Schedule = &domain.Schedule{} }, ""},
		{"schedule duration 0", func(s *domain.WorkflowSpec) {
			s.Schedule = &domain.Schedule{StartDateTime: "2020-12-16T13:59:28.610Z", Duration: 0}
		}, "schedule.duration"},
		{"blueprint width odd", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Video[1].Width = 961 }, "blueprint.settings.channel.video[1].width"},
		{"blueprint class", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Class = "TRIPLE" }, "blueprint.settings.channel.class"},
		{"blueprint no input", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Inputs = nil }, "blueprint.settings.inputs"},
		{"blueprint both inputs", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.Inputs[0].ManagedInput = &domain.ManagedInputRef{ID: "m"}
		}, "blueprint.settings.inputs[0]"},
		{"blueprint protocol", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Inputs[0].CreateInput.Protocol = "SRT" }, "blueprint.settings.inputs[0].createInput.protocol"},
		{"blueprint kbps typo", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.Channel.Video[0].Bitrate = 4096
		}, "blueprint.settings.channel.video[0].bitrate"},
		{"maxrate below bitrate", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Video[0].Maxrate = 1 }, "blueprint.settings.channel.video[0].maxrate"},
		{"duplicate rendition", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Video[1].Name = "720p" }, "blueprint.settings.channel.video[1].name"},
		{"rendition named like the keys", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Video[1].Name = "keys" }, "blueprint.settings.channel.video[1].name"},
		{"rendition named like the CMAF output", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Video[0].Name = "CMAF" }, "blueprint.settings.channel.video[0].name"},
		{"profile", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Video[0].Profile = "high10" }, "blueprint.settings.channel.video[0].profile"},
		{"no audio", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Audio = nil }, "blueprint.settings.channel.audio"},
		{"audio rate", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Audio.SampleRate = 22050 }, "blueprint.settings.channel.audio.sampleRate"},
		{"segment not multiple of gop", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[0].HLS.SegmentSeconds = 4 }, "blueprint.settings.outputGroups[0].hls.segmentSeconds"},
		{"window too short", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[0].HLS.WindowSeconds = 12 }, "blueprint.settings.outputGroups[0].hls.windowSeconds"},
		{"hls settings missing", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[0].HLS = nil }, "blueprint.settings.outputGroups[0].hls"},
		{"archive rendition unknown", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[1].Archive.Rendition = "4k" }, "blueprint.settings.outputGroups[1].archive.rendition"},
		{"archive escapes", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[1].Archive.NameModifier = "../x" }, "blueprint.settings.outputGroups[1].archive.nameModifier"},
		{"archive token", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[1].Archive.NameModifier = "$fps$" }, "blueprint.settings.outputGroups[1].archive.nameModifier"},
		{"pipeline dir in single pipeline", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[1].Archive.NameModifier = "1/$w$" }, "blueprint.settings.outputGroups[1].archive.nameModifier"},
		{"group type", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.OutputGroups[1].Type = "DASH" }, "blueprint.settings.outputGroups[1].type"},
		{"rtmp without destination", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.OutputGroups = append(s.Blueprint.Settings.OutputGroups, domain.OutputGroup{Type: domain.OutputRTMP})
		}, "blueprint.settings.outputGroups[3].destinationId"},
		{"rtmp unknown destination", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.OutputGroups = append(s.Blueprint.Settings.OutputGroups, domain.OutputGroup{Type: domain.OutputRTMP, DestinationID: "yt"})
		}, "blueprint.settings.outputGroups[3].destinationId"},
		{"rtmp destination ok", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.Destinations = []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{{URL: "rtmp://a.example/live2", StreamName: "k"}}}}
			s.Blueprint.Settings.OutputGroups = append(s.Blueprint.Settings.OutputGroups, domain.OutputGroup{Type: domain.OutputRTMP, DestinationID: "yt"})
		}, ""},
		{"destination per pipeline", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.Channel.Class = domain.ClassStandard
			s.Blueprint.Settings.Destinations = []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{{URL: "rtmp://a.example/live2"}}}}
		}, "blueprint.settings.destinations[0].settings"},
		{"destination url", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.Destinations = []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{{URL: "ftp://x"}}}}
		}, "blueprint.settings.destinations[0].settings[0].url"},
		{"two origins", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.OutputGroups = append(s.Blueprint.Settings.OutputGroups, s.Blueprint.Settings.OutputGroups[0])
		}, "blueprint.settings.outputGroups"},
		{"preview url", func(s *domain.WorkflowSpec) {
			s.Blueprint.Settings.PlayerPreview = &domain.PlayerPreview{URL: "not a url"}
		}, "blueprint.settings.playerPreview.url"},
		{"passthrough with video", func(s *domain.WorkflowSpec) { s.Blueprint.Settings.Channel.Passthrough = true }, "blueprint.settings.channel.video"},
		{"blueprint id", func(s *domain.WorkflowSpec) { s.Blueprint.ID = "a b" }, "blueprint.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.change(&s)
			err := s.Validate([]string{"local"})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid spec refused: %v", err)
				}
				return
			}
			got := fields(t, err)
			for _, f := range got {
				if f == tc.field {
					return
				}
			}
			t.Fatalf("fields %v, want %s (%v)", got, tc.field, err)
		})
	}
}

func TestScheduleValidation(t *testing.T) {
	start := "2021-03-23T11:03:24.989Z"
	rec := func(unit string, days []string, end string) *domain.Recurrence {
		return &domain.Recurrence{Unit: unit, Days: days, EndDate: end}
	}
	cases := []struct {
		name  string
		s     *domain.Schedule
		field string
	}{
		{"nil", nil, ""},
		{"empty", &domain.Schedule{}, ""},
		{"once", &domain.Schedule{StartDateTime: start, Duration: 100}, ""},
		{"min", &domain.Schedule{StartDateTime: start, Duration: 5}, ""},
		{"max", &domain.Schedule{StartDateTime: start, Duration: 720}, ""},
		{"too short", &domain.Schedule{StartDateTime: start, Duration: 4}, "schedule.duration"},
		{"too long", &domain.Schedule{StartDateTime: start, Duration: 721}, "schedule.duration"},
		{"no start", &domain.Schedule{Duration: 10}, "schedule.startDateTime"},
		{"bad start", &domain.Schedule{StartDateTime: "2021-03-23 11:03", Duration: 10}, "schedule.startDateTime"},
		{"daily", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("DAY", []string{"MON"}, "2021-04-23")}, ""},
		{"weekly", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("WEEK", []string{"MON", "WED"}, "2021-04-23")}, ""},
		{"end on start day", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("DAY", nil, "2021-03-23")}, ""},
		{"weekly without days", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("WEEK", nil, "2021-04-23")}, "schedule.recurrence.days"},
		{"unknown day", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("WEEK", []string{"MON", "FUN"}, "2021-04-23")}, "schedule.recurrence.days[1]"},
		{"repeated day", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("WEEK", []string{"MON", "MON"}, "2021-04-23")}, "schedule.recurrence.days[1]"},
		{"unit", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("MONTH", nil, "2021-04-23")}, "schedule.recurrence.unit"},
		{"weekly, no listed day before the end", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("WEEK", []string{"MON"}, "2021-03-24")}, "schedule.recurrence.days"},
		{"end before start", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("DAY", nil, "2021-03-22")}, "schedule.recurrence.endDate"},
		{"end not a date", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("DAY", nil, "2021-04-23T00:00:00Z")}, "schedule.recurrence.endDate"},
		{"end missing", &domain.Schedule{StartDateTime: start, Duration: 10, Recurrence: rec("DAY", nil, "")}, "schedule.recurrence.endDate"},
	}
	for _, tc := range cases {
		err := tc.s.Validate("schedule")
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		if got := fields(t, err); len(got) == 0 || got[0] != tc.field {
			t.Errorf("%s: fields %v, want %s", tc.name, got, tc.field)
		}
	}
}

func TestApplyDefaults(t *testing.T) {
	s := validSpec()
	s.Tags = []string{"a", "b", "a"}
	s.Schedule = &domain.Schedule{StartDateTime: "2021-03-23T13:03:24+02:00", Duration: 10}
	var w domain.Workflow
	s.Apply(&w, "local")
	if w.Region != "local" || !w.CreateArchives || w.BlueprintID != catalog.ABR720 || len(w.Tags) != 2 {
		t.Fatalf("defaults not applied: %+v", w)
	}
	if w.Schedule.StartDateTime != "2021-03-23T11:03:24.000Z" {
		t.Errorf("start not normalized to UTC: %s", w.Schedule.StartDateTime)
	}
	if w.Blueprint.BuiltIn {
		t.Error("snapshot kept builtIn")
	}
	no := false
	s.CreateArchives = &no
	s.Schedule = &domain.Schedule{}
	s.Apply(&w, "local")
	if w.CreateArchives || w.Schedule != nil {
		t.Errorf("createArchives false / empty schedule not applied: %+v", w)
	}
}

func TestArchiveName(t *testing.T) {
	v := domain.VideoRendition{Width: 1280, Height: 720, Bitrate: 1, Maxrate: 2}
	cases := []struct {
		mod   string
		class domain.ChannelClass
		pipe  int
		want  string
	}{
		{"$w$x$h$$rc$", domain.ClassSinglePipeline, 0, "1280x720VBR"},
		{"0/$w$x$h$$rc$", domain.ClassStandard, 0, "0/1280x720VBR"},
		{"0/$w$x$h$$rc$", domain.ClassStandard, 1, "1/1280x720VBR"},
		{"$w$x$h$", domain.ClassStandard, 1, "1/1280x720"},
	}
	for _, c := range cases {
		if got := domain.ArchiveName(c.mod, c.class, c.pipe, v); got != c.want {
			t.Errorf("ArchiveName(%q, %s, %d) = %q, want %q", c.mod, c.class, c.pipe, got, c.want)
		}
	}
}

func TestEffectiveSettings(t *testing.T) {
	c := catalog.New()
	archives := func(w domain.Workflow) []string {
		var out []string
		for _, g := range w.EffectiveSettings().OutputGroups {
			if g.Type == domain.OutputArchive {
				out = append(out, g.Archive.Rendition+"|"+g.Archive.NameModifier)
			}
		}
		return out
	}
	abr, _ := c.Get(catalog.ABR720)
	pass, _ := c.Get(catalog.Passthrough)
	noArch := abr
	noArch.Settings.OutputGroups = noArch.Settings.OutputGroups[:1]
	passNoArch := pass
	passNoArch.Settings.OutputGroups = passNoArch.Settings.OutputGroups[:1]
	cases := []struct {
		name   string
		bp     domain.Blueprint
		create bool
		want   []string
	}{
		{"true keeps the blueprint's archive", abr, true, []string{"720p|$w$x$h$$rc$"}},
		{"false removes it", abr, false, nil},
		{"true adds a default", noArch, true, []string{"720p|$w$x$h$$rc$"}},
		{"true adds a source default for passthrough", passNoArch, true, []string{"SOURCE|source"}},
		{"false with none does nothing", noArch, false, nil},
	}
	for _, tc := range cases {
		w := domain.Workflow{Blueprint: tc.bp, CreateArchives: tc.create}
		got := archives(w)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if n := len(w.EffectiveSettings().OutputGroups) - len(got); n != len(tc.bp.Settings.OriginHLSGroups()) {
			t.Errorf("%s: lost an HLS group", tc.name)
		}
	}
	if len(abr.Settings.OutputGroups) != 3 {
		t.Error("EffectiveSettings changed the blueprint")
	}
}
