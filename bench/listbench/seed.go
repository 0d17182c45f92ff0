package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for VACUUM ANALYZE

	"onair/internal/catalog"
	"onair/internal/domain"
	"onair/internal/store"
)

// seedStats says what the seed holds, so that the benchmark can check each
// answer before it measures.
type seedStats struct {
	workflows, runs int
	tagsAB, foo     int // workflows that ?tags=a,b and ?search=foo select
	zebra           int // workflows that ?search=zebra selects
}

// words make names and descriptions; neither "foo" nor "zebra" is in one of
// them, so that only the names and descriptions given those on purpose do.
var words = strings.Fields("morning evening news sport match live show cooking studio weekly daily " +
	"concert keynote panel launch briefing lesson webinar review special final opening closing")

// seed creates n workflows of org through the store, the way the API does, a
// minute apart, and gives runs of them a finished run each:
//   - tags: "a" and "b" on a third each (so ?tags=a,b selects about a ninth),
//     one topic of four, and a group of fifty;
//   - names: one in twenty has "foo" inside a word ("xfooy"), for ?search=foo,
//     and descriptions: one in a thousand has "Zebra", for a rare search;
//   - statuses: READY, DONE and some START_FAILED, none RUNNING, so that
//     ?status=RUNNING matches nothing;
//   - blueprints: the catalog's ABR 720p, half SINGLE_PIPELINE, half STANDARD.
func seed(ctx context.Context, st store.Store, n, runs int) (seedStats, error) {
	rng := rand.New(rand.NewPCG(7, 7))
	cat := catalog.New()
	single, _ := cat.Get(catalog.ABR720)
	standard, _ := cat.Get(catalog.ABR720Standard)
	base := time.Now().UTC().Add(-time.Duration(n) * time.Minute)
	stats := seedStats{workflows: n}
	topics := []string{"news", "sport", "music", "talk"}
	var ready []string
	created := map[string]time.Time{}
	for i := range n {
		bp := single
		if i%2 == 1 {
			bp = standard
		}
		name := fmt.Sprintf("%s %s %d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], i)
		if rng.IntN(20) == 0 {
			name = "xfooy " + name
			stats.foo++
		}
		description := "The " + words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))] + " programme, every week"
		if i%1000 == 999 {
			description = "Zebra crossing, " + description
			stats.zebra++
		}
		tags := []string{topics[rng.IntN(len(topics))], fmt.Sprintf("group-%02d", rng.IntN(50))}
		a, b := rng.IntN(3) == 0, rng.IntN(3) == 0
		if a {
			tags = append(tags, "a")
		}
		if b {
			tags = append(tags, "b")
		}
		if a && b {
			stats.tagsAB++
		}
		status := domain.StatusReady
		switch r := rng.IntN(100); {
		case r < 38:
			status = domain.StatusDone
		case r < 40:
			status = domain.StatusStartFailed
		}
		w := domain.Workflow{
			ID: uuid.NewString(), OrgID: org, Name: name,
			Description: description,
			Region:      "local", Status: status, BlueprintID: bp.ID, Blueprint: bp, Tags: tags,
			CreateArchives: true, Created: base.Add(time.Duration(i) * time.Minute),
		}
		w.Updated = w.Created
		if err := st.CreateWorkflow(ctx, w); err != nil {
			return seedStats{}, err
		}
		if status == domain.StatusReady {
			ready = append(ready, w.ID)
			created[w.ID] = w.Created
		}
	}
	// The runs go to READY workflows spread over the list, each run to DONE.
	for k := 0; k < len(ready) && stats.runs < runs; k += max(1, len(ready)/runs) {
		id := ready[k]
		if _, err := st.UpdateChannel(ctx, org, id, finishedRun(created[id])); err != nil {
			return seedStats{}, err
		}
		stats.runs++
	}
	return stats, nil
}

// finishedRun starts a run and takes it through every status to DONE, with an
// archive and a few events, as a real run leaves it.
func finishedRun(created time.Time) func(*domain.Channel) error {
	return func(ch *domain.Channel) error {
		t := created.Add(10 * time.Second)
		if err := ch.RequestStart(uuid.NewString(), true, t); err != nil {
			return err
		}
		ch.Run.Inputs = []domain.Ingest{{Pipeline: 0, App: "live", StreamKey: uuid.NewString()}}
		for _, to := range []domain.Status{domain.StatusStarting, domain.StatusRunning, domain.StatusStopping, domain.StatusDeleting, domain.StatusDone} {
			t = t.Add(3 * time.Second)
			if to == domain.StatusRunning {
				ch.Run.AddEvent(domain.RunEvent{Time: t, Type: "pipeline_started"})
				ch.Run.AddEvent(domain.RunEvent{Time: t, Type: "publisher_connected", Message: "127.0.0.1:50000"})
			}
			if err := ch.SetStatus(to, "", t); err != nil {
				return err
			}
		}
		dir := ch.Workflow.ID + "/" + ch.Run.ID + "/0"
		ch.Run.Archives = []domain.Archive{{ID: uuid.NewString(), Playlist: dir + "/index.m3u8", MP4: dir + "/archive.mp4", FileSize: 52_428_800, Duration: 600}}
		return nil
	}
}

// vacuumAnalyze does to PostgreSQL what autovacuum does within a minute of a
// bulk load, which the benchmark does not wait for: statistics for the planner
// and the visibility map for index-only scans.
func vacuumAnalyze(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "VACUUM ANALYZE")
	return err
}
