package pipeline

import (
	"flag"
	"os"
	"path"
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
	withDest := workflow(t, catalog.ABR720)
	withDest.Blueprint.Settings.Destinations = []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{{URL: "rtmp://a.rtmp.example.com/live2", StreamName: "secret"}}}}
	withDest.Blueprint.Settings.OutputGroups = append(withDest.Blueprint.Settings.OutputGroups, domain.OutputGroup{Type: domain.OutputRTMP, DestinationID: "yt"})
	noArchive := workflow(t, catalog.ABR720)
	noArchive.CreateArchives = false
	encrypted := &domain.Run{ID: "run", Options: domain.RunOptions{KeyRotationSeconds: 60}}
	cases := []struct {
		name     string
		wf       *domain.Workflow
		pipeline int
		restart  bool
		run      *domain.Run // nil: a run without options
	}{
		{catalog.ABR720, workflow(t, catalog.ABR720), 0, false, nil},
		{catalog.ABR1080, workflow(t, catalog.ABR1080), 0, false, nil},
		{catalog.Passthrough, workflow(t, catalog.Passthrough), 0, false, nil},
		{catalog.ABR720Standard + "-0", workflow(t, catalog.ABR720Standard), 0, false, nil},
		{catalog.ABR720Standard + "-1", workflow(t, catalog.ABR720Standard), 1, false, nil},
		{"rtmp-abr-720-restart", workflow(t, catalog.ABR720), 0, true, nil},
		{"rtmp-abr-720-destination", withDest, 0, false, nil},
		{"rtmp-abr-720-no-archives", noArchive, 0, false, nil},
		{"rtmp-abr-720-encrypted", workflow(t, catalog.ABR720), 0, false, encrypted},
		{"rtmp-abr-720-standard-1-encrypted-restart", workflow(t, catalog.ABR720Standard), 1, true, encrypted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run
			if r == nil {
				r = &domain.Run{ID: "run"}
			}
			spec := SpecFor(tc.wf, r, tc.pipeline)
			spec.Restart = tc.restart
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
// regenerated golden file cannot quietly lose them.
func TestArgsShape(t *testing.T) {
	args, _ := Args(SpecFor(workflow(t, catalog.ABR720), run, 0))
	line := strings.Join(args, " ")
	for _, want := range []string{
		"-copyts -analyzeduration 1000000 -f flv -i pipe:0",
		"split=4",
		"scale=1280:720", "scale=960:540", "scale=640:360", "scale=480:270",
		"-b:v:0 4096k", "-b:v:3 496k",
		"-force_key_frames:v:0 expr:gte(t,n_forced*3)",
		"-c:a aac -b:a 96k -ar 48000",
		"-flags:v +global_header",
		"hls_time=6", "hls_list_size=600",
		`var_stream_map=\'v:0,a:0,name:720p v:1,a:1,name:540p v:2,a:2,name:360p v:3,a:3,name:270p\'`,
		"live/wf/%v/index.m3u8",
		`[f=mpegts:select=\'v:0,a:0\':flush_packets=1]pipe:3`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("argv lacks %q", want)
		}
	}
	if strings.Contains(line, "append_list") {
		t.Error("a first instance appends to old playlists")
	}
	pass, _ := Args(SpecFor(workflow(t, catalog.Passthrough), run, 0))
	if line := strings.Join(pass, " "); strings.Contains(line, "libx264") || !strings.Contains(line, "-c:v:0 copy") || !strings.Contains(line, "-c:a copy") {
		t.Errorf("passthrough transcodes: %s", line)
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

// TestEncryption: a run with key rotation encrypts the live ladder from a key
// info file ffmpeg re-reads at every segment, in its pipeline's live directory;
// the archives stay clear, and a run without it is clear throughout.
func TestEncryption(t *testing.T) {
	r := &domain.Run{ID: "run", Options: domain.RunOptions{KeyRotationSeconds: 10}}
	for p, want := range []string{"live/wf/0/keys/keyinfo", "live/wf/1/keys/keyinfo"} {
		s := SpecFor(workflow(t, catalog.ABR720Standard), r, p)
		if s.KeyInfoFile != want || s.KeyDir() != path.Dir(want) || s.KeyRotation != 10*time.Second {
			t.Errorf("pipeline %d: key info %q, dir %q, rotation %v", p, s.KeyInfoFile, s.KeyDir(), s.KeyRotation)
		}
	}
	args, err := Args(SpecFor(workflow(t, catalog.ABR720), r, 0))
	if err != nil {
		t.Fatal(err)
	}
	tee := args[len(args)-1]
	slaves := strings.Split(tee, "|")
	if len(slaves) != 2 {
		t.Fatalf("tee %s", tee)
	}
	live, archive := slaves[0], slaves[1]
	for _, want := range []string{"hls_key_info_file=live/wf/keys/keyinfo:", "hls_flags=delete_segments+independent_segments+program_date_time+periodic_rekey:", "seg_%06d.ts]"} {
		if !strings.Contains(live, want) {
			t.Errorf("live slave lacks %q: %s", want, live)
		}
	}
	if strings.Contains(archive, "hls_key_info_file") || strings.Contains(archive, "rekey") {
		t.Errorf("the archive is encrypted: %s", archive)
	}
	clear, _ := Args(SpecFor(workflow(t, catalog.ABR720), run, 0))
	if line := strings.Join(clear, " "); strings.Contains(line, "hls_key_info_file") || strings.Contains(line, "rekey") {
		t.Errorf("a run without key rotation is encrypted: %s", line)
	}
	if s := SpecFor(workflow(t, catalog.ABR720), run, 0); s.KeyInfoFile != "" || s.KeyDir() != "" {
		t.Errorf("clear spec %+v", s)
	}
}
