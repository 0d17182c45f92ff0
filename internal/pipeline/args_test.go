package pipeline

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/catalog"
	"onair/internal/domain"
)

// run is the run the golden tests resolve.
var run = &domain.Run{ID: "run"}

var update = flag.Bool("update", false, "rewrite the golden files")

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
		"-copyts -analyzeduration 1000000 -f mpegts -i pipe:0",
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
