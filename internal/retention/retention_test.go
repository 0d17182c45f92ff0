package retention_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/retention"
	"onair/internal/storage"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
)

// now is the cleaner's clock in every test.
var now = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func TestArchivesExpire(t *testing.T) {
	stopped := now.Add(-8 * day)
	started := now.Add(-100 * day)
	tests := []struct {
		name   string
		days   int
		run    domain.Run
		wantOK bool
		wantAt time.Time
	}{
		{"no retention", 0, domain.Run{Status: domain.StatusDone, Stopped: &stopped}, false, time.Time{}},
		{"a running run", 7, domain.Run{Status: domain.StatusRunning, Started: &started}, false, time.Time{}},
		{"an active run with a stop time", 7, domain.Run{Status: domain.StatusStopping, Stopped: &stopped}, false, time.Time{}},
		{"a finished run without a stop time", 7, domain.Run{Status: domain.StatusDone}, false, time.Time{}},
		{"stopped 8 days ago, kept 7", 7, domain.Run{Status: domain.StatusDone, Stopped: &stopped}, true, stopped.Add(7 * day)},
		{"a failed start, kept 1", 1, domain.Run{Status: domain.StatusStartFailed, Stopped: &stopped}, true, stopped.Add(day)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, ok := domain.ArchivesExpire(tt.days, tt.run)
			if ok != tt.wantOK || !at.Equal(tt.wantAt) {
				t.Errorf("ArchivesExpire(%d, %s run) = %v, %v; want %v, %v", tt.days, tt.run.Status, at, ok, tt.wantAt, tt.wantOK)
			}
		})
	}
}

// TestSweep: a dry run lists the archives past their retention and leaves
// them; a sweep deletes exactly those, and a second one finds nothing.
func TestSweep(t *testing.T) {
	f := newFixture(t)
	kept := f.workflow("wf-kept", 7, domain.ClassSinglePipeline)
	old := f.run(kept, "run-old", domain.StatusDone, now.Add(-9*day), now.Add(-8*day))
	recent := f.run(kept, "run-recent", domain.StatusDone, now.Add(-2*day), now.Add(-day))
	forever := f.workflow("wf-forever", 0, domain.ClassSinglePipeline)
	ancient := f.run(forever, "run-ancient", domain.StatusDone, now.Add(-101*day), now.Add(-100*day))

	oldFiles := f.writeArchives(kept, old)
	recentFiles := f.writeArchives(kept, recent)
	ancientFiles := f.writeArchives(forever, ancient)
	all := slices.Concat(oldFiles, recentFiles, ancientFiles)

	dry := f.cleaner(true)
	got, err := dry.Sweep(t.Context())
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	sameFiles(t, "a dry run's list", got, oldFiles)
	for _, file := range all {
		if _, err := os.Stat(file); err != nil {
			t.Errorf("after a dry run: %v", err)
		}
	}

	c := f.cleaner(false)
	got, err = c.Sweep(t.Context())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	sameFiles(t, "a sweep's list", got, oldFiles)
	for _, file := range oldFiles {
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the sweep (%v)", file, err)
		}
	}
	if _, err := os.Stat(f.disk.Path(pipeline.ArchiveBase(&kept, &old))); !os.IsNotExist(err) {
		t.Errorf("the old run's archive directory is still there after the sweep (%v)", err)
	}
	for _, file := range slices.Concat(recentFiles, ancientFiles) {
		if b, err := os.ReadFile(file); err != nil || string(b) != content(file) {
			t.Errorf("%s after the sweep: %q, %v", file, b, err)
		}
	}

	got, err = c.Sweep(t.Context())
	if err != nil || len(got) != 0 {
		t.Errorf("a second sweep: %q, %v; want nothing", got, err)
	}
}

// TestSweepWhichRuns: which runs' archives one sweep deletes, one workflow
// with one run at a time.
func TestSweepWhichRuns(t *testing.T) {
	tests := []struct {
		name    string
		days    int
		class   domain.ChannelClass
		status  domain.Status
		started time.Time
		stopped time.Time // zero: not stopped
		deleted bool
	}{
		{"stopped 8 days ago, kept 7", 7, domain.ClassSinglePipeline, domain.StatusDone, now.Add(-9 * day), now.Add(-8 * day), true},
		{"stopped 7 days ago to the second, kept 7", 7, domain.ClassSinglePipeline, domain.StatusDone, now.Add(-8 * day), now.Add(-7 * day), true},
		{"stopped a second short of 7 days ago, kept 7", 7, domain.ClassSinglePipeline, domain.StatusDone, now.Add(-8 * day), now.Add(-7*day + time.Second), false},
		{"stopped 1 day ago, kept 7", 7, domain.ClassSinglePipeline, domain.StatusDone, now.Add(-2 * day), now.Add(-day), false},
		{"stopped 100 days ago, no retention", 0, domain.ClassSinglePipeline, domain.StatusDone, now.Add(-101 * day), now.Add(-100 * day), false},
		{"running for 100 days, kept 7", 7, domain.ClassSinglePipeline, domain.StatusRunning, now.Add(-100 * day), time.Time{}, false},
		{"a failed start 8 days ago, kept 7", 7, domain.ClassSinglePipeline, domain.StatusStartFailed, now.Add(-8 * day), now.Add(-8 * day), true},
		{"both pipelines, stopped 8 days ago, kept 7", 7, domain.ClassStandard, domain.StatusDone, now.Add(-9 * day), now.Add(-8 * day), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			wf := f.workflow("wf", tt.days, tt.class)
			run := f.run(wf, "run", tt.status, tt.started, tt.stopped)
			files := f.writeArchives(wf, run)

			got, err := f.cleaner(false).Sweep(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			if tt.deleted {
				want = files
			}
			sameFiles(t, "the sweep's list", got, want)
			for _, file := range files {
				if _, err := os.Stat(file); tt.deleted != os.IsNotExist(err) {
					t.Errorf("%s: deleted %v, want %v (%v)", file, !tt.deleted, tt.deleted, err)
				}
			}
		})
	}
}

type fixture struct {
	t    *testing.T
	st   store.Store
	disk *storage.Disk
	set  *storage.Set
}

// newFixture is a SQLite store with an organization and a data directory,
// each in a temporary directory.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateOrganization(t.Context(), domain.Organization{ID: "org", Name: "Org", Created: now.Add(-365 * day)}); err != nil {
		t.Fatal(err)
	}
	disk, err := storage.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	set, err := storage.NewSet(disk, storage.Location{}, storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, st: st, disk: disk, set: set}
}

func (f *fixture) cleaner(dry bool) *retention.Cleaner {
	return &retention.Cleaner{
		Store: f.st, Storage: f.set, DryRun: dry,
		Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(f.t.Output(), nil)),
	}
}

// workflow stores a workflow that records archives and keeps them days
// days (0: for ever).
func (f *fixture) workflow(id string, days int, class domain.ChannelClass) domain.Workflow {
	f.t.Helper()
	b := e2e.SmallBlueprint(class)
	b.Settings.ArchiveRetentionDays = days
	created := now.Add(-200 * day)
	wf := domain.Workflow{
		ID: id, OrgID: "org", Name: "Workflow " + id, Region: "local",
		Status: domain.StatusReady, BlueprintID: b.ID, Blueprint: b,
		Tags: []string{}, CreateArchives: true, Created: created, Updated: created,
	}
	if err := f.st.CreateWorkflow(f.t.Context(), wf); err != nil {
		f.t.Fatalf("CreateWorkflow(%s): %v", id, err)
	}
	return wf
}

// run makes a run the workflow's current one, in a status, started and
// (unless stopped is zero) stopped at the times given.
func (f *fixture) run(wf domain.Workflow, id string, status domain.Status, started, stopped time.Time) domain.Run {
	f.t.Helper()
	run := domain.Run{ID: id, WorkflowID: wf.ID, OrgID: wf.OrgID, Region: wf.Region, Status: status,
		StartRequested: &started, Started: &started, Created: started}
	if !stopped.IsZero() {
		run.StopRequested, run.Stopped = &stopped, &stopped
	}
	// The archives as the engine records them on the run: paths under archive/.
	for p := range wf.Blueprint.Settings.Channel.Class.Pipelines() {
		for _, a := range pipeline.SpecFor(&wf, &run, p).Archives {
			rel := strings.TrimPrefix(a.Dir, "archive/")
			run.Archives = append(run.Archives, domain.Archive{ID: id, Pipeline: p, Playlist: rel + "/index.m3u8", MP4: rel + ".mp4", FileSize: 1})
		}
	}
	ch, err := f.st.UpdateChannel(f.t.Context(), wf.OrgID, wf.ID, func(c *domain.Channel) error {
		c.Workflow.Status = status
		c.Run = &run
		return nil
	})
	if err != nil {
		f.t.Fatalf("run %s of %s: %v", id, wf.ID, err)
	}
	return *ch.Run
}

// writeArchives writes what a run records into each of its archives, where
// the pipeline puts them, with a clip cut from it, and returns the files.
func (f *fixture) writeArchives(wf domain.Workflow, run domain.Run) []string {
	f.t.Helper()
	var files []string
	for p := range wf.Blueprint.Settings.Channel.Class.Pipelines() {
		archives := pipeline.SpecFor(&wf, &run, p).Archives
		if len(archives) == 0 {
			f.t.Fatalf("%s has no archive", wf.ID)
		}
		for _, a := range archives {
			if base := "archive/" + wf.ID + "/" + run.ID + "/"; !strings.HasPrefix(a.Dir, base) {
				f.t.Fatalf("archive %s is not under %s", a.Dir, base)
			}
			for _, key := range []string{
				a.Dir + "/seg_000001.ts", a.Dir + "/seg_000002.ts", a.Dir + "/index.m3u8",
				a.Dir + "/index_x_1.m3u8", a.Dir + "/index_x_1.mp4", a.Dir + ".mp4",
			} {
				file := f.disk.Path(key)
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					f.t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(content(file)), 0o644); err != nil {
					f.t.Fatal(err)
				}
				files = append(files, f.disk.Location(key))
			}
		}
	}
	return files
}

// content is what a test file holds: its own name, so that a file left
// whole is told from one rewritten.
func content(file string) string { return "media of " + file }

func sameFiles(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}
