package pipeline

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/catalog"
	"onair/internal/domain"
)

// run is the run the golden tests resolve.
var run = &domain.Run{ID: "run"}

var update = flag.Bool("update", false, "rewrite the golden files")

// sourceWorkflow has a ladder topped by the source as it arrives, above two
// rungs encoded without upscaling (a Stream Manager provision's), archived
// from the source rung.
func sourceWorkflow() *domain.Workflow {
	return &domain.Workflow{ID: "wf", CreateArchives: true, Blueprint: domain.Blueprint{ID: "provision", Name: "Provision", Settings: domain.BlueprintSettings{
		Inputs: []domain.Input{{CreateInput: &domain.CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH"}}},
		Channel: domain.ChannelSettings{Class: domain.ClassSinglePipeline, Source: "stream1_1",
			Video: []domain.VideoRendition{
				{Name: "stream1_2", Codec: "H264", Width: 640, Height: 480, Bitrate: 500_000, Maxrate: 750_000, GopSeconds: 2, Profile: "main", Framerate: 30, NoUpscale: true},
				{Name: "stream1_3", Codec: "H264", Width: 320, Height: 240, Bitrate: 300_000, Maxrate: 450_000, GopSeconds: 2, Profile: "main", NoUpscale: true},
			},
			Audio: &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 96_000, Channels: 2},
		},
		OutputGroups: []domain.OutputGroup{
			{Name: "HLS origin", Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 2, WindowSeconds: 3600}},
			{Name: "Archive", Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: "stream1_1", NameModifier: "stream1_1"}},
		},
	}}}
}

func workflow(t *testing.T, id string) *domain.Workflow {
	t.Helper()
	b, ok := catalog.New().Get(id)
	if !ok {
		t.Fatalf("no blueprint %s", id)
	}
	return &domain.Workflow{ID: "wf", Blueprint: b, CreateArchives: true}
}

// TestGolden checks the whole command line of each built-in blueprint against a
// file in testdata/golden, one argument per line. go test -update rewrites them.
func TestGolden(t *testing.T) {
	cases := []struct {
		name     string
		wf       *domain.Workflow
		pipeline int
		run      *domain.Run // nil: a run without options
	}{
		{catalog.ABR720, workflow(t, catalog.ABR720), 0, nil},
		{catalog.ABR1080, workflow(t, catalog.ABR1080), 0, nil},
		{catalog.ABR720Standard + "-1", workflow(t, catalog.ABR720Standard), 1, nil},
		{"source-noupscale", sourceWorkflow(), 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run
			if r == nil {
				r = &domain.Run{ID: "run"}
			}
			spec := SpecFor(tc.wf, r, tc.pipeline)
			args, err := Args(spec)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(args, "\n") + "\n"
			file := filepath.Join("testdata", "golden", tc.name+".args")
			if *update {
				os.MkdirAll(filepath.Dir(file), 0o755)
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("argv differs from %s (go test -update rewrites it):\n%s", file, got)
			}
		})
	}
}

func TestSpecFor(t *testing.T) {
	std := workflow(t, catalog.ABR720Standard)
	for p, want := range []string{"archive/wf/run/0/1280x720VBR", "archive/wf/run/1/1280x720VBR"} {
		s := SpecFor(std, run, p)
		if len(s.Archives) != 1 || s.Archives[0].Dir != want {
			t.Errorf("pipeline %d archives %+v, want %s", p, s.Archives, want)
		}
		if s.LiveDir != "live/wf/"+string(rune('0'+p)) {
			t.Errorf("pipeline %d live dir %s", p, s.LiveDir)
		}
	}
	if s := SpecFor(workflow(t, catalog.Passthrough), run, 0); s.LiveDir != "live/wf" || s.Archives[0].Dir != "archive/wf/run/source" {
		t.Errorf("passthrough: %+v", s)
	}
	noArch := workflow(t, catalog.ABR1080)
	noArch.CreateArchives = false
	if s := SpecFor(noArch, run, 0); len(s.Archives) != 0 {
		t.Errorf("createArchives false kept %+v", s.Archives)
	}
}

// TestArgsShape checks the properties the golden files stand for, so that a
// regenerated golden file cannot quietly lose them: ffmpeg only encodes,
// from MPEG-TS on stdin to an MPEG-TS output per encoded rendition, and
// writes no playlist and no segment; a passthrough ladder has no encoder.
func TestArgsShape(t *testing.T) {
	args, _ := Args(SpecFor(workflow(t, catalog.ABR720), run, 0))
	line := strings.Join(args, " ")
	for _, want := range []string{
		"-copyts -analyzeduration 200000 -f mpegts -i pipe:0",
		"split=4",
		"scale=1280:720", "scale=960:540", "scale=640:360", "scale=480:270",
		"-b:v:0 4096k", "-b:v:3 496k",
		"-force_key_frames:v:0 expr:gte(t,n_forced*3)",
		"-map 0:a:0? ", "-c:a aac -b:a 96k -ar 48000",
		`[f=mpegts:select=\'v:0,a:0\':flush_packets=1]pipe:3|`,
		`[f=mpegts:select=\'v:3,a:0\':flush_packets=1]pipe:6`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("argv lacks %q", want)
		}
	}
	for _, not := range []string{"f=hls", ".m3u8", "seg_", "hls_"} {
		if strings.Contains(line, not) {
			t.Errorf("argv has %q: ffmpeg writes playlists or segments", not)
		}
	}
	// The 1080p archive is a rendition of its own, encoded for it alone.
	p := PlanOf(SpecFor(workflow(t, catalog.ABR1080), run, 0))
	if len(p.Renditions) != 5 || p.Renditions[4].Live || p.Renditions[4].Video == nil || p.Archives[0] != 4 {
		t.Errorf("the 1080p plan: %+v", p)
	}
	pass := SpecFor(workflow(t, catalog.Passthrough), run, 0)
	if args, err := Args(pass); args != nil || err != nil {
		t.Errorf("passthrough has an encoder: %v %v", args, err)
	}
	if p := PlanOf(pass); len(p.Renditions) != 1 || p.Renditions[0].Video != nil || p.Archives[0] != 0 {
		t.Errorf("the passthrough plan: %+v", p)
	}
}

// TestPlanSource: a ladder topped by the source has it as its first rung,
// unencoded, then its encoded rungs in order; an archive of any rung, the
// source's included, records that rung and adds no rendition.
func TestPlanSource(t *testing.T) {
	wf := sourceWorkflow()
	if err := domain.ValidateBlueprint("blueprint", &wf.Blueprint); err != nil {
		t.Fatalf("the test's blueprint is refused: %v", err)
	}
	cases := []struct {
		archive domain.ArchiveSettings
		want    int
	}{
		{domain.ArchiveSettings{Rendition: "stream1_1", NameModifier: "a"}, 0},
		{domain.ArchiveSettings{Rendition: domain.RenditionSource, NameModifier: "a"}, 0},
		{domain.ArchiveSettings{Rendition: "stream1_3", NameModifier: "a"}, 2},
	}
	for _, tc := range cases {
		wf := sourceWorkflow()
		wf.Blueprint.Settings.OutputGroups[1].Archive = &tc.archive
		p := PlanOf(SpecFor(wf, run, 0))
		var got []string
		for _, r := range p.Renditions {
			got = append(got, fmt.Sprintf("%s video=%v live=%v", r.Name, r.Video != nil, r.Live))
		}
		want := []string{"stream1_1 video=false live=true", "stream1_2 video=true live=true", "stream1_3 video=true live=true"}
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("archive of %s: renditions %q, want %q", tc.archive.Rendition, got, want)
		}
		if len(p.Archives) != 1 || p.Archives[0] != tc.want {
			t.Errorf("archive of %s records %v, want rendition %d", tc.archive.Rendition, p.Archives, tc.want)
		}
		for i, v := range wf.Blueprint.Settings.Channel.Video {
			if r := p.Renditions[1+i]; r.Video == nil || *r.Video != v {
				t.Errorf("rung %d encodes %+v, want channel.video[%d] %+v", 1+i, r.Video, i, v)
			}
		}
		if e := p.Encoded(); fmt.Sprint(e) != "[1 2]" {
			t.Errorf("encoded %v, want [1 2]: the source rung is not encoded", e)
		}
	}
	// An archive encoded for itself is still a rendition of its own.
	wf.Blueprint.Settings.OutputGroups[1].Archive = &domain.ArchiveSettings{NameModifier: "a",
		Video: &domain.VideoRendition{Name: "arch", Codec: "H264", Width: 1280, Height: 720, Bitrate: 2_000_000, Maxrate: 2_000_000, GopSeconds: 2, Profile: "main"}}
	if p := PlanOf(SpecFor(wf, run, 0)); len(p.Renditions) != 4 || p.Renditions[3].Live || p.Archives[0] != 3 {
		t.Errorf("an archive encoded for itself: %+v", p)
	}
}

// TestArgsNoUpscale: a rung that is never upscaled is bounded by its size
// and the source's, without padding, to even dimensions; only the rungs
// below the source are encoded.
func TestArgsNoUpscale(t *testing.T) {
	args, err := Args(SpecFor(sourceWorkflow(), run, 0))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Join(args, " ")
	for _, want := range []string{
		"[0:v:0]split=2[s0][s1];",
		"[s0]scale=w='min(640,iw)':h='min(480,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1,fps=fps='if(gt(source_fps,0),min(30,source_fps),30)'[v0];",
		"[s1]scale=w='min(320,iw)':h='min(240,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[v1]",
		"-map [v0] -map [v1] -map 0:a:0?",
		"-b:v:0 500k", "-maxrate:v:0 750k", "-b:v:1 300k",
		"-force_key_frames:v:1 expr:gte(t,n_forced*2)",
		`[f=mpegts:select=\'v:0,a:0\':flush_packets=1]pipe:3|[f=mpegts:select=\'v:1,a:0\':flush_packets=1]pipe:4`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("argv lacks %q:\n%s", want, line)
		}
	}
	for _, not := range []string{"pad=", "scale=640:480", "v:2", "pipe:5", "stream1_1"} {
		if strings.Contains(line, not) {
			t.Errorf("argv has %q:\n%s", not, line)
		}
	}
	// A rung without NoUpscale in the same ladder keeps the padded scale.
	wf := sourceWorkflow()
	wf.Blueprint.Settings.Channel.Video[1].NoUpscale = false
	args, _ = Args(SpecFor(wf, run, 0))
	line = strings.Join(args, " ")
	if !strings.Contains(line, "[s1]scale=320:240:force_original_aspect_ratio=decrease,pad=320:240:(ow-iw)/2:(oh-ih)/2,setsar=1[v1]") ||
		!strings.Contains(line, "[s0]scale=w='min(640,iw)'") {
		t.Errorf("one rung upscaled, one not:\n%s", line)
	}
}

// TestRunOptions: a run's options move its archives, and change its window and
// archive segment length.
func TestRunOptions(t *testing.T) {
	r := &domain.Run{ID: "run", Options: domain.RunOptions{ArchiveDir: "2026/11/22/s1-1700000000", WindowSeconds: 120, ArchiveSegmentSeconds: 2}}
	wf := workflow(t, catalog.ABR720)
	s := SpecFor(wf, r, 0)
	if s.Archives[0].Dir != "archive/2026/11/22/s1-1700000000/1280x720VBR" || s.Archives[0].Segment != 2*time.Second {
		t.Errorf("archive %+v", s.Archives[0])
	}
	if a := SpecFor(wf, run, 0).Archives[0]; a.Segment != 6*time.Second {
		t.Errorf("an archive without its own segment length has %s, want the origin HLS's 6 s", a.Segment)
	}
	if h := s.Settings.OriginHLS(); h.WindowSeconds != 120 {
		t.Errorf("window %d", h.WindowSeconds)
	}
	if wf.Blueprint.Settings.OutputGroups[0].HLS.WindowSeconds != 3600 {
		t.Error("the run's options changed the workflow's blueprint")
	}
}

// TestEncryption: a run with key rotation encrypts the live ladder with keys
// in its pipeline's live directory, and has its TS output alone, since CMAF
// segments cannot be encrypted with AES-128 and a clear copy would give the
// stream away; a run without it is clear and has both outputs.
func TestEncryption(t *testing.T) {
	formats := func(s Spec) string {
		var f []string
		for _, o := range s.Live {
			f = append(f, o.Format+" in "+o.Dir)
		}
		return strings.Join(f, ", ")
	}
	r := &domain.Run{ID: "run", Options: domain.RunOptions{KeyRotationSeconds: 10}}
	for p, want := range []string{"live/wf/0/keys", "live/wf/1/keys"} {
		s := SpecFor(workflow(t, catalog.ABR720Standard), r, p)
		if s.KeyDir != want || s.KeyRotation != 10*time.Second {
			t.Errorf("pipeline %d: key dir %q, rotation %v", p, s.KeyDir, s.KeyRotation)
		}
		if got, want := formats(s), fmt.Sprintf("TS in live/wf/%d", p); got != want {
			t.Errorf("pipeline %d of an encrypted run: outputs %s, want %s", p, got, want)
		}
	}
	s := SpecFor(workflow(t, catalog.ABR720), run, 0)
	if s.KeyDir != "" {
		t.Errorf("clear spec %+v", s)
	}
	if got, want := formats(s), "TS in live/wf, CMAF in live/wf/cmaf"; got != want {
		t.Errorf("a clear run's outputs: %s, want %s", got, want)
	}
}

// TestSpecForPlayout: a run started with playout profiles gets a CMAF output
// beside its TS one, with its segments and window, and one that has CMAF
// already gets no second.
func TestSpecForPlayout(t *testing.T) {
	wf := workflow(t, catalog.Passthrough)
	groups := wf.Blueprint.Settings.OutputGroups
	wf.Blueprint.Settings.OutputGroups = slices.DeleteFunc(slices.Clone(groups), func(g domain.OutputGroup) bool {
		return g.HLS != nil && g.HLS.Format == domain.FormatCMAF
	})
	if s := SpecFor(wf, run, 0); len(s.Live) != 1 || s.Live[0].Format != domain.FormatTS {
		t.Fatalf("without profiles: %+v", s.Live)
	}
	started := *run
	started.Options.PlayoutCMAF = true
	s := SpecFor(wf, &started, 0)
	if len(s.Live) != 2 || s.Live[1].Format != domain.FormatCMAF || s.Live[1].Dir != "live/wf/cmaf" ||
		s.Live[1].Segment != s.Live[0].Segment || s.Live[1].Window != s.Live[0].Window || s.Live[1].Part != 0 {
		t.Fatalf("with profiles: %+v", s.Live)
	}
	wf.Blueprint.Settings.OutputGroups = groups
	if s := SpecFor(wf, &started, 0); len(s.Live) != 2 {
		t.Errorf("a CMAF workflow with profiles: %+v", s.Live)
	}
}
