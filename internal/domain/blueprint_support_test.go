package domain_test

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"onair/internal/domain"
	"onair/internal/pipeline"
)

// auditBlueprint is a STANDARD blueprint that uses every kind of field: a
// ladder, an archive, an RTMP destination and a preview.
func auditBlueprint() domain.Blueprint {
	return domain.Blueprint{
		ID: "audit", Name: "RTMP - HLS ABR 720p, Archive and YouTube", Description: "Every kind of field",
		Featured: true, Tags: []string{"rtmp", "hls"},
		Settings: domain.BlueprintSettings{
			Inputs: []domain.Input{{CreateInput: &domain.CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH"}}},
			Channel: domain.ChannelSettings{
				Class: domain.ClassStandard,
				Video: []domain.VideoRendition{
					{Name: "720p", Codec: "H264", Width: 1280, Height: 720, Bitrate: 4_096_000, Maxrate: 6_144_000, GopSeconds: 3, Profile: "high"},
					{Name: "360p", Codec: "H264", Width: 640, Height: 360, Bitrate: 1_596_000, Maxrate: 2_394_000, GopSeconds: 3, Profile: "main"},
				},
				Audio: &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 96_000, Channels: 2},
			},
			OutputGroups: []domain.OutputGroup{
				{Name: "HLS origin", Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 6, WindowSeconds: 3600}},
				{Name: "Archive", Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: "720p", NameModifier: "0/$w$x$h$$rc$"}},
				{Name: "YouTube", Type: domain.OutputRTMP, DestinationID: "yt"},
			},
			Destinations: []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{
				{URL: "rtmp://a.rtmp.youtube.com/live2", StreamName: "main-key"},
				{URL: "rtmp://b.rtmp.youtube.com/live2?backup=1", StreamName: "backup-key"},
			}}},
			PlayerPreview: &domain.PlayerPreview{URL: "https://player.example.com/live"},
		},
	}
}

// argv is what the engine builds for every pipeline of a run of b: its
// ffmpeg command line, and the directory and segment length its recorder
// writes each archive with.
func argv(t *testing.T, b domain.Blueprint) string {
	t.Helper()
	wf := domain.Workflow{ID: "wf", Blueprint: b, CreateArchives: true}
	var all []string
	for p := range b.Settings.Channel.Class.Pipelines() {
		spec := pipeline.SpecFor(&wf, &domain.Run{ID: "run"}, p)
		args, err := pipeline.Args(spec)
		if err != nil {
			t.Fatalf("pipeline %d: %v", p, err)
		}
		all = append(all, strings.Join(args, " "))
		for _, r := range pipeline.PlanOf(spec).Renditions {
			all = append(all, "rendition "+r.Name)
		}
		for _, o := range spec.Live {
			all = append(all, fmt.Sprintf("live %s in %s: segments of %s, window %s, parts of %s", o.Format, o.Dir, o.Segment, o.Window, o.Part))
		}
		for _, a := range spec.Archives {
			all = append(all, "archive "+a.Dir+" in segments of "+a.Segment.String())
		}
		for _, d := range spec.Destinations {
			all = append(all, fmt.Sprintf("push %s to %s from %q; HLS %v as %q:%q by %s", d.ID, d.URL, d.Rendition, d.HLS, d.Username, d.Password, d.Method))
		}
	}
	return strings.Join(all, "\n")
}

// What each audit row expects of a change to its field.
const (
	argvChanges = "argv"    // accepted, and the ffmpeg command changes
	kept        = "kept"    // accepted and returned as is; no media setting, the command does not change
	refused     = "refused" // a 400 naming the field, saying why
	other       = "other"   // accepted, and check shows who acts on it
)

// fieldCase is one row of the audit: a change to one field and what it does.
type fieldCase struct {
	field  string // the JSON path under the blueprint, with a note in parentheses
	effect string
	where  string // who acts on the field, or why it is refused
	change func(b *domain.Blueprint)
	refuse string                        // the field a refusal names
	words  string                        // what the refusal says
	check  func(b domain.Blueprint) bool // for other
}

// TestBlueprintFieldSupport is the audit of issue 9: every field of a
// blueprint is acted on, kept as a label the API returns, or refused. A row's
// where says who acts on the field.
func TestBlueprintFieldSupport(t *testing.T) {
	s := func(b *domain.Blueprint) *domain.BlueprintSettings { return &b.Settings }
	v0 := func(b *domain.Blueprint) *domain.VideoRendition { return &b.Settings.Channel.Video[0] }
	g := func(b *domain.Blueprint, i int) *domain.OutputGroup { return &b.Settings.OutputGroups[i] }
	d0 := func(b *domain.Blueprint, j int) *domain.DestinationSetting {
		return &b.Settings.Destinations[0].Settings[j]
	}
	const (
		groups = "blueprint.settings.outputGroups"
		dests  = "blueprint.settings.destinations"
	)
	// withAkamai adds the guide's MSL4 destination, primary and backup, and
	// its HLS push group.
	withAkamai := func(b *domain.Blueprint) {
		b.Settings.Destinations = append(b.Settings.Destinations, domain.Destination{ID: "akamai", Settings: []domain.DestinationSetting{
			{URL: "https://p-ep2016865.i.akamaientrypoint.net/2016865/(event_name)", Username: "akamailogintest", PasswordParam: "password"},
			{URL: "https://p-ep2016865.i.akamaientrypoint.net/2016865-b/(event_name)", Username: "akamailogintest", PasswordParam: "password"},
		}})
		b.Settings.OutputGroups = append(b.Settings.OutputGroups, domain.OutputGroup{Name: "Akamai", Type: domain.OutputHLS, DestinationID: "akamai",
			HLS: &domain.HLSSettings{SegmentSeconds: 6, WindowSeconds: 60}})
	}
	cases := []fieldCase{
		{field: "id", effect: kept, where: "workflows record it as blueprintId", change: func(b *domain.Blueprint) { b.ID = "other" }},
		{field: "name", effect: kept, where: "lists and the console", change: func(b *domain.Blueprint) { b.Name = "Other" }},
		{field: "description", effect: kept, where: "lists and the console", change: func(b *domain.Blueprint) { b.Description = "Other" }},
		{field: "featured", effect: kept, where: "the console preselects a featured blueprint", change: func(b *domain.Blueprint) { b.Featured = false }},
		{field: "tags", effect: kept, where: "lists", change: func(b *domain.Blueprint) { b.Tags = []string{"x"} }},
		{field: "builtIn", effect: kept, where: "read-only: set on the catalog's answers, cleared on input so that GET's body posts back as is", change: func(b *domain.Blueprint) { b.BuiltIn = true }},

		{field: "settings.inputs[0].createInput.type", effect: refused, where: "only VIRTUAL_INPUT (RTMP push) exists",
			change: func(b *domain.Blueprint) { s(b).Inputs[0].CreateInput.Type = "MEDIACONNECT" }, refuse: "blueprint.settings.inputs[0].createInput.type", words: "VIRTUAL_INPUT"},
		{field: "settings.inputs[0].createInput.protocol", effect: refused, where: "only RTMP_PUSH exists",
			change: func(b *domain.Blueprint) { s(b).Inputs[0].CreateInput.Protocol = "SRT" }, refuse: "blueprint.settings.inputs[0].createInput.protocol", words: "RTMP_PUSH"},
		{field: "settings.inputs[0].createInput.availableImmediately", effect: other, where: "Workflow.PrepareInputs: the endpoints exist from the workflow's creation",
			change: func(b *domain.Blueprint) { s(b).Inputs[0].CreateInput.AvailableImmediately = true },
			check: func(b domain.Blueprint) bool {
				wf := domain.Workflow{Blueprint: b}
				wf.PrepareInputs()
				return len(wf.PreparedInputs) == 2
			}},
		{field: "settings.inputs[0].managedInput.id", effect: other, where: "channels.Service claims the input at each start and hands the run its endpoints",
			change: func(b *domain.Blueprint) {
				s(b).Inputs[0] = domain.Input{ManagedInput: &domain.ManagedInputRef{ID: "mi-1"}}
			},
			check: func(b domain.Blueprint) bool { return (&domain.Workflow{Blueprint: b}).ManagedInputID() == "mi-1" }},

		{field: "settings.channel.class", effect: argvChanges, where: "the engine runs one pipeline per class pipeline, each in its own directory",
			change: func(b *domain.Blueprint) {
				s(b).Channel.Class = domain.ClassSinglePipeline
				s(b).Destinations[0].Settings = s(b).Destinations[0].Settings[:1]
				g(b, 1).Archive.NameModifier = "$w$x$h$$rc$"
			}},
		{field: "settings.channel.passthrough", effect: argvChanges, where: "pipeline.Args copies the source instead of encoding",
			change: func(b *domain.Blueprint) {
				s(b).Channel = domain.ChannelSettings{Class: domain.ClassStandard, Passthrough: true}
				g(b, 1).Archive.Rendition = domain.RenditionSource
			}},
		{field: "settings.channel.video[0].name", effect: argvChanges, where: "the variant's name in the master playlist and its directory",
			change: func(b *domain.Blueprint) { v0(b).Name = "hd"; g(b, 1).Archive.Rendition = "hd" }},
		{field: "settings.channel.video[0].codec", effect: refused, where: "x264 is the one encoder",
			change: func(b *domain.Blueprint) { v0(b).Codec = "H265" }, refuse: "blueprint.settings.channel.video[0].codec", words: "H264"},
		{field: "settings.channel.video[0].width", effect: argvChanges, where: "the scale filter", change: func(b *domain.Blueprint) { v0(b).Width = 1024 }},
		{field: "settings.channel.video[0].height", effect: argvChanges, where: "the scale filter", change: func(b *domain.Blueprint) { v0(b).Height = 576 }},
		{field: "settings.channel.video[0].bitrate", effect: argvChanges, where: "-b:v", change: func(b *domain.Blueprint) { v0(b).Bitrate = 3_000_000 }},
		{field: "settings.channel.video[0].maxrate", effect: argvChanges, where: "-maxrate and -bufsize", change: func(b *domain.Blueprint) { v0(b).Maxrate = 5_000_000 }},
		{field: "settings.channel.video[0].gopSeconds", effect: argvChanges, where: "-force_key_frames and -g", change: func(b *domain.Blueprint) { v0(b).GopSeconds = 2 }},
		{field: "settings.channel.video[0].profile", effect: argvChanges, where: "-profile:v", change: func(b *domain.Blueprint) { v0(b).Profile = "main" }},
		{field: "settings.channel.video[0].framerate", effect: argvChanges, where: "the fps filter", change: func(b *domain.Blueprint) { v0(b).Framerate = 25 }},
		{field: "settings.channel.video[0].noUpscale", effect: argvChanges, where: "the scale filter, bounded by the source's size",
			change: func(b *domain.Blueprint) { v0(b).NoUpscale = true }},
		{field: "settings.channel.source", effect: other, where: "pipeline.PlanOf puts the source, unencoded, above the encoded rungs",
			change: func(b *domain.Blueprint) { s(b).Channel.Source = "src" },
			check: func(b domain.Blueprint) bool {
				wf := domain.Workflow{ID: "wf", Blueprint: b}
				plan := pipeline.PlanOf(pipeline.SpecFor(&wf, &domain.Run{ID: "run"}, 0))
				return plan.Renditions[0].Name == "src" && plan.Renditions[0].Video == nil && len(plan.Renditions) > len(b.Settings.Channel.Video)
			}},
		{field: "settings.channel.audio.codec", effect: refused, where: "AAC is the one audio encoder",
			change: func(b *domain.Blueprint) { s(b).Channel.Audio.Codec = "OPUS" }, refuse: "blueprint.settings.channel.audio.codec", words: "AAC"},
		{field: "settings.channel.audio.sampleRate", effect: argvChanges, where: "-ar", change: func(b *domain.Blueprint) { s(b).Channel.Audio.SampleRate = 44100 }},
		{field: "settings.channel.audio.bitrate", effect: argvChanges, where: "-b:a", change: func(b *domain.Blueprint) { s(b).Channel.Audio.Bitrate = 128_000 }},
		{field: "settings.channel.audio.channels", effect: argvChanges, where: "-ac", change: func(b *domain.Blueprint) { s(b).Channel.Audio.Channels = 1 }},

		{field: "settings.outputGroups[0].name", effect: kept, where: "a label", change: func(b *domain.Blueprint) { g(b, 0).Name = "Origin" }},
		{field: "settings.outputGroups[0].type", effect: refused, where: "every run is packaged as HLS on the origin",
			change: func(b *domain.Blueprint) {
				g(b, 0).Type = domain.OutputArchive
				g(b, 0).Archive = &domain.ArchiveSettings{Rendition: "360p", NameModifier: "low"}
			},
			refuse: groups, words: "needs one HLS group without destinationId"},
		{field: "settings.outputGroups[0].hls.segmentSeconds", effect: argvChanges, where: "the live segments' length", change: func(b *domain.Blueprint) { g(b, 0).HLS.SegmentSeconds = 3 }},
		{field: "settings.outputGroups[0].hls.windowSeconds", effect: argvChanges, where: "the live window", change: func(b *domain.Blueprint) { g(b, 0).HLS.WindowSeconds = 600 }},
		{field: "settings.outputGroups[0].hls.format", effect: argvChanges, where: "CMAF segments, in the cmaf directory", change: func(b *domain.Blueprint) { g(b, 0).HLS.Format = domain.FormatCMAF }},
		{field: "settings.outputGroups[0].hls.lowLatency", effect: argvChanges, where: "LL-HLS parts",
			change: func(b *domain.Blueprint) { g(b, 0).HLS.Format, g(b, 0).HLS.LowLatency = domain.FormatCMAF, true }},
		{field: "settings.outputGroups[0].hls.lowLatency (TS)", effect: refused, where: "LL-HLS needs CMAF",
			change: func(b *domain.Blueprint) { g(b, 0).HLS.LowLatency = true }, refuse: groups + "[0].hls.lowLatency", words: "needs format CMAF"},
		{field: "settings.outputGroups[0].hls.partSeconds", effect: argvChanges, where: "the parts' length",
			change: func(b *domain.Blueprint) {
				g(b, 0).HLS.Format, g(b, 0).HLS.LowLatency, g(b, 0).HLS.PartSeconds = domain.FormatCMAF, true, 1
			}},
		{field: "settings.outputGroups[0].destinationId (HLS)", effect: refused, where: "HLS push to an RTMP destination",
			change: func(b *domain.Blueprint) { g(b, 0).DestinationID = "yt" }, refuse: dests + "[0].settings[0].url", words: "must be http:// or https:// for an HLS push output"},
		{field: "settings.outputGroups[3].destinationId (HLS push)", effect: argvChanges, where: "an HLS push destination, packaged for it",
			change: func(b *domain.Blueprint) { withAkamai(b) }},
		{field: "settings.destinations[1].playbackUrlTemplate", effect: other, where: "the channel's playerPreview when the blueprint has none",
			change: func(b *domain.Blueprint) {
				withAkamai(b)
				s(b).PlayerPreview = nil
				s(b).Destinations[1].PlaybackURLTemplate = "https://stg-ioiotv.akamaized.net/hls/live/2016865/(event_name)/master.m3u8"
			},
			check: func(b domain.Blueprint) bool {
				w := domain.Workflow{Name: "Dvr Test!", Blueprint: b}
				return w.PlayerPreview() == "https://stg-ioiotv.akamaized.net/hls/live/2016865/dvr-test/master.m3u8"
			}},
		{field: "settings.destinations[1].method", effect: argvChanges, where: "how the HLS push uploads",
			change: func(b *domain.Blueprint) { withAkamai(b); s(b).Destinations[1].Method = "POST" }},
		{field: "settings.destinations[1].method", effect: refused, where: "PUT or POST",
			change: func(b *domain.Blueprint) { withAkamai(b); s(b).Destinations[1].Method = "GET" }, refuse: dests + "[1].method", words: "must be PUT or POST"},
		{field: "settings.destinations[1].settings[0].username", effect: argvChanges, where: "the HLS push's Digest user",
			change: func(b *domain.Blueprint) { withAkamai(b); s(b).Destinations[1].Settings[0].Username = "other" }},
		{field: "settings.destinations[1].settings[0].passwordParam", effect: argvChanges, where: "the HLS push's Digest password",
			change: func(b *domain.Blueprint) { withAkamai(b); s(b).Destinations[1].Settings[0].PasswordParam = "other" }},
		{field: "settings.outputGroups[0].archive (HLS)", effect: refused, where: "an HLS group has no archive settings",
			change: func(b *domain.Blueprint) {
				g(b, 0).Archive = &domain.ArchiveSettings{Rendition: "720p", NameModifier: "x"}
			}, refuse: groups + "[0].archive", words: "only for type ARCHIVE"},
		{field: "settings.outputGroups[1].archive.rendition", effect: argvChanges, where: "which variant the archive records", change: func(b *domain.Blueprint) { g(b, 1).Archive.Rendition = "360p" }},
		{field: "settings.outputGroups[1].archive.video", effect: argvChanges, where: "a rendition encoded for the archive alone",
			change: func(b *domain.Blueprint) {
				g(b, 1).Archive.Rendition = ""
				g(b, 1).Archive.Video = &domain.VideoRendition{Name: "arch", Codec: "H264", Width: 1920, Height: 1080, Bitrate: 7_000_000, Maxrate: 7_000_000, GopSeconds: 2, Profile: "high"}
			}},
		{field: "settings.outputGroups[1].archive.nameModifier", effect: argvChanges, where: "the archive's directory", change: func(b *domain.Blueprint) { g(b, 1).Archive.NameModifier = "0/main" }},
		{field: "settings.outputGroups[1].archive.segmentSeconds", effect: argvChanges, where: "the recorder's segment length", change: func(b *domain.Blueprint) { g(b, 1).Archive.SegmentSeconds = 10 }},
		{field: "settings.outputGroups[1].destinationId (ARCHIVE to RTMP)", effect: refused, where: "an archive goes to a bucket, not an RTMP server",
			change: func(b *domain.Blueprint) { g(b, 1).DestinationID = "yt" }, refuse: "blueprint.settings.destinations[0].settings[0].url", words: "must name the archive's bucket"},
		{field: "settings.outputGroups[1].destinationId (ARCHIVE to a bucket)", effect: other, where: "pipeline.SpecFor records the archive into the destination's bucket, unmerged",
			change: func(b *domain.Blueprint) {
				g(b, 1).DestinationID = "vault"
				s(b).Destinations = append(s(b).Destinations, domain.Destination{ID: "vault", Settings: []domain.DestinationSetting{
					{URL: "s3://other-bucket/records/main"}, {URL: "s3://other-bucket/records/backup"}}})
			},
			check: func(b domain.Blueprint) bool {
				a := pipeline.SpecFor(&domain.Workflow{ID: "wf", Blueprint: b, CreateArchives: true}, &domain.Run{ID: "run"}, 1).Archives[0]
				return a.Location.String() == "s3://other-bucket/records/backup" && !a.Merge
			}},
		{field: "settings.destinations[0].settings[0].url (ARCHIVE to a bucket without one)", effect: refused, where: "an archive's bucket is named",
			change: func(b *domain.Blueprint) {
				g(b, 1).DestinationID = "vault"
				s(b).Destinations = append(s(b).Destinations, domain.Destination{ID: "vault", Settings: []domain.DestinationSetting{{URL: "mediastoressl://"}, {URL: "s3://b-bucket"}}})
			},
			refuse: "blueprint.settings.destinations[1].settings[0].url", words: "must name the archive's bucket"},
		{field: "settings.outputGroups[1].hls (ARCHIVE)", effect: refused, where: "an archive has no HLS settings of its own",
			change: func(b *domain.Blueprint) { g(b, 1).HLS = &domain.HLSSettings{SegmentSeconds: 6, WindowSeconds: 60} }, refuse: groups + "[1].hls", words: "only for type HLS"},
		{field: "settings.outputGroups[3] (a second archive into the same directory)", effect: refused, where: "it would overwrite the first",
			change: func(b *domain.Blueprint) {
				s(b).OutputGroups = append(s(b).OutputGroups, domain.OutputGroup{Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: "720p", NameModifier: "1/$w$x$h$$rc$"}})
			},
			refuse: groups + "[3].archive.nameModifier", words: "outputGroups[1]"},
		{field: "settings.outputGroups[2].destinationId (RTMP)", effect: argvChanges, where: "the URL the pipeline pushes to",
			change: func(b *domain.Blueprint) {
				s(b).Destinations[0].ID = "twitch"
				g(b, 2).DestinationID = "twitch"
				d0(b, 0).URL, d0(b, 1).URL = "rtmp://live.twitch.tv/app", "rtmp://live.twitch.tv/app"
			}},
		{field: "settings.outputGroups[2].archive (RTMP)", effect: refused, where: "an RTMP group has no archive settings",
			change: func(b *domain.Blueprint) {
				g(b, 2).Archive = &domain.ArchiveSettings{Rendition: "720p", NameModifier: "x"}
			}, refuse: groups + "[2].archive", words: "only for type ARCHIVE"},
		{field: "settings.outputGroups[2].hls (RTMP)", effect: refused, where: "an RTMP group has no HLS settings",
			change: func(b *domain.Blueprint) { g(b, 2).HLS = &domain.HLSSettings{SegmentSeconds: 6, WindowSeconds: 60} }, refuse: groups + "[2].hls", words: "only for type HLS"},

		{field: "settings.destinations[0].id", effect: argvChanges, where: "links the RTMP group to the destination, and names its worker's status, events and metrics", change: func(b *domain.Blueprint) { s(b).Destinations[0].ID = "main"; g(b, 2).DestinationID = "main" }},
		{field: "settings.destinations[0].rendition", effect: argvChanges, where: "what the worker pushes", change: func(b *domain.Blueprint) { s(b).Destinations[0].Rendition = "360p" }},
		{field: "settings.destinations[0].rendition", effect: refused, where: "a rendition the ladder lacks", refuse: dests + "[0].rendition", words: "names no rendition of the ladder", change: func(b *domain.Blueprint) { s(b).Destinations[0].Rendition = "4k" }},
		{field: "settings.destinations[1] (used by no group)", effect: refused, where: "nothing would push to it",
			change: func(b *domain.Blueprint) {
				s(b).Destinations = append(s(b).Destinations, domain.Destination{ID: "spare", Settings: s(b).Destinations[0].Settings})
			}, refuse: dests + "[1].id", words: "no output group uses"},
		{field: "settings.destinations[0].settings[1].url", effect: argvChanges, where: "pipeline 1's push URL", change: func(b *domain.Blueprint) { d0(b, 1).URL = "rtmps://backup.example.com/live" }},
		{field: "settings.destinations[0].settings[0].streamName", effect: argvChanges, where: "appended to the URL", change: func(b *domain.Blueprint) { d0(b, 0).StreamName = "other-key" }},
		{field: "settings.destinations[0].settings[0].username", effect: refused, where: "an RTMP destination has no username",
			change: func(b *domain.Blueprint) { d0(b, 0).Username = "akamailogintest" }, refuse: dests + "[0].settings[0].username", words: "HLS push over HTTP"},
		{field: "settings.destinations[0].settings[0].passwordParam", effect: refused, where: "an RTMP destination has no passwordParam",
			change: func(b *domain.Blueprint) { d0(b, 0).PasswordParam = "password" }, refuse: dests + "[0].settings[0].passwordParam", words: "HLS push over HTTP"},

		{field: "settings.playerPreview.url", effect: kept, where: "a URL entered by hand for front ends, returned with the blueprint and the workflow",
			change: func(b *domain.Blueprint) {
				s(b).PlayerPreview.URL = "https://stg-ioiotv.akamaized.net/hls/live/2016865/dvrtest/masterA.m3u8"
			}},
		{field: "settings.alertWebhook", effect: kept, where: "where the run's alerts are posted (server.eventLog.notify), not the media",
			change: func(b *domain.Blueprint) { s(b).AlertWebhook = "https://alerts.example.com/onair" }},
		{field: "settings.alertWebhook", effect: refused, where: "not an http(s) URL", refuse: "blueprint.settings.alertWebhook", words: "must use one of http, https",
			change: func(b *domain.Blueprint) { s(b).AlertWebhook = "ftp://alerts.example.com/" }},
		{field: "settings.archiveRetentionDays", effect: kept, where: "the archive cleaner (server.retention) deletes the runs' archives, not the media",
			change: func(b *domain.Blueprint) { s(b).ArchiveRetentionDays = 30 }},
		{field: "settings.archiveRetentionDays", effect: refused, where: "a negative number of days", refuse: "blueprint.settings.archiveRetentionDays", words: "between 1 and 36500",
			change: func(b *domain.Blueprint) { s(b).ArchiveRetentionDays = -1 }},
		{field: "settings.destinations[0].mediaPackageSettings", effect: kept, where: "the guide's CloudFront blueprints send [], accepted",
			change: func(b *domain.Blueprint) { s(b).Destinations[0].MediaPackageSettings = []any{} }},
		{field: "settings.destinations[0].mediaPackageSettings", effect: refused, where: "onair has no MediaPackage channels", refuse: "blueprint.settings.destinations[0].mediaPackageSettings", words: "must be empty",
			change: func(b *domain.Blueprint) {
				s(b).Destinations[0].MediaPackageSettings = []any{map[string]any{"id": "x"}}
			}},
	}
	base := auditBlueprint()
	if err := domain.ValidateBlueprint("blueprint", &base); err != nil {
		t.Fatalf("the audit's blueprint is refused: %v", err)
	}
	baseArgv := argv(t, base)
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			b := auditBlueprint()
			tc.change(&b)
			err := domain.ValidateBlueprint("blueprint", &b)
			if tc.effect == refused {
				if err == nil {
					t.Fatalf("accepted; want a refusal on %s (%s)", tc.refuse, tc.where)
				}
				msg := ""
				for _, fe := range err.(*domain.ValidationError).Errors {
					if fe.Field == tc.refuse {
						msg = fe.Message
					}
				}
				if !strings.Contains(msg, tc.words) {
					t.Errorf("refusal on %s says %q, want %q (all: %v)", tc.refuse, msg, tc.words, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			changed := argv(t, b) != baseArgv
			switch tc.effect {
			case argvChanges:
				if !changed {
					t.Errorf("the ffmpeg command does not change: the field does nothing (%s)", tc.where)
				}
			case kept:
				if changed {
					t.Errorf("a label changes the ffmpeg command")
				}
			case other:
				if !tc.check(b) {
					t.Errorf("%s does not act on it", tc.where)
				}
			}
		})
	}
	// The audit has a row for every field of every blueprint type: one on the
	// field, or on a field inside it.
	for _, typ := range []any{domain.Blueprint{}, domain.BlueprintSettings{}, domain.Input{}, domain.CreateInput{},
		domain.ManagedInputRef{}, domain.ChannelSettings{}, domain.VideoRendition{}, domain.Audio{}, domain.OutputGroup{},
		domain.HLSSettings{}, domain.ArchiveSettings{}, domain.Destination{}, domain.DestinationSetting{}, domain.PlayerPreview{}} {
		rt := reflect.TypeOf(typ)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			at := regexp.MustCompile(fieldPaths[rt.Name()] + regexp.QuoteMeta(name) + `(\.|\[|$)`)
			if !slices.ContainsFunc(cases, func(c fieldCase) bool { path, _, _ := strings.Cut(c.field, " "); return at.MatchString(path) }) {
				t.Errorf("the audit has no row for %s.%s", rt.Name(), name)
			}
		}
	}
}

// fieldPaths are where each blueprint type's fields sit in the audit's
// paths, as regular expressions.
var fieldPaths = map[string]string{
	"Blueprint":          `^`,
	"BlueprintSettings":  `^settings\.`,
	"Input":              `^settings\.inputs\[\d+\]\.`,
	"CreateInput":        `\.createInput\.`,
	"ManagedInputRef":    `\.managedInput\.`,
	"ChannelSettings":    `^settings\.channel\.`,
	"VideoRendition":     `\.video\[\d+\]\.`,
	"Audio":              `\.audio\.`,
	"OutputGroup":        `^settings\.outputGroups\[\d+\]\.`,
	"HLSSettings":        `\.hls\.`,
	"ArchiveSettings":    `\.archive\.`,
	"Destination":        `^settings\.destinations\[\d+\]\.`,
	"DestinationSetting": `\.settings\[\d+\]\.`,
	"PlayerPreview":      `\.playerPreview\.`,
}
