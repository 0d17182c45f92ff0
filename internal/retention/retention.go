// Package retention deletes archives whose blueprint keeps them for a
// number of days (settings.archiveRetentionDays): the run's segments,
// playlist and MP4, and the clips cut from it, wherever they are kept.
// A dry run lists what a sweep would delete and deletes nothing.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/storage"
	"onair/internal/store"
)

// Cleaner sweeps the store's runs for archives past their retention.
type Cleaner struct {
	Store   store.Store
	Storage *storage.Set
	Now     func() time.Time
	Log     *slog.Logger
	// DryRun lists what would go and deletes nothing.
	DryRun bool

	// emptied are the archive directories (by location) a sweep deleted,
	// which later sweeps need not list again.
	emptied map[string]bool
}

// Every is how often Run sweeps.
const Every = time.Hour

// Run sweeps at once and then every hour until ctx ends.
func (c *Cleaner) Run(ctx context.Context) {
	for {
		if _, err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
			c.Log.Warn("archive retention: a sweep failed; trying again in an hour", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(Every):
		}
	}
}

// Sweep deletes (or, dry, lists) the objects of every archive past its
// retention, and returns their locations.
func (c *Cleaner) Sweep(ctx context.Context) ([]string, error) {
	orgs, err := c.Store.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, o := range orgs {
		for next := ""; ; {
			page, err := c.Store.ListWorkflows(ctx, o.ID, store.WorkflowFilter{Limit: store.MaxLimit, Cursor: next})
			if err != nil {
				return gone, err
			}
			for _, w := range page.Items {
				wf, err := c.Store.GetWorkflow(ctx, o.ID, w.ID)
				if err != nil {
					return gone, err
				}
				if wf.Blueprint.Settings.ArchiveRetentionDays <= 0 {
					continue
				}
				keys, err := c.sweepWorkflow(ctx, &wf)
				gone = append(gone, keys...)
				if err != nil {
					return gone, err
				}
			}
			if next = page.Next; next == "" {
				break
			}
		}
	}
	return gone, nil
}

func (c *Cleaner) sweepWorkflow(ctx context.Context, wf *domain.Workflow) ([]string, error) {
	var gone []string
	now := c.Now()
	for next := ""; ; {
		page, err := c.Store.ListRuns(ctx, wf.OrgID, store.RunFilter{WorkflowID: wf.ID, Limit: store.MaxLimit, Cursor: next})
		if err != nil {
			return gone, err
		}
		for i := range page.Items {
			run := &page.Items[i]
			if at, ok := domain.ArchivesExpire(wf.Blueprint.Settings.ArchiveRetentionDays, *run); !ok || now.Before(at) {
				continue
			}
			keys, err := c.sweepRun(ctx, wf, run)
			gone = append(gone, keys...)
			if err != nil {
				c.Log.Warn("archive retention: a run's archives could not all be deleted; the next sweep tries again", "workflow", wf.ID, "run", run.ID, "err", err)
			}
		}
		if next = page.Next; next == "" {
			return gone, nil
		}
	}
}

// sweepRun deletes what each archive a run recorded holds, where the run
// recorded it (whatever the workflow says now): its directory (the
// segments, the playlist, the clips) and its MP4 beside it.
func (c *Cleaner) sweepRun(ctx context.Context, wf *domain.Workflow, run *domain.Run) ([]string, error) {
	var gone []string
	var errs []error
	for _, a := range run.Archives {
		if a.Playlist == "" {
			continue // it recorded nothing
		}
		dir := path.Join(pipeline.ArchiveRoot, path.Dir(a.Playlist))
		loc := storage.Location{}
		if a.Location != "" {
			// s3://bucket/prefix/<dir>/index.m3u8: the location it went to.
			loc, _ = storage.ParseLocation(strings.TrimSuffix(a.Location, "/"+path.Join(pipeline.ArchiveRoot, a.Playlist)))
		}
		st, err := c.Storage.Archives(loc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.emptied[st.Location(dir)] {
			continue
		}
		objs, err := st.List(ctx, dir+"/")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keys := make([]string, 0, len(objs)+1)
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
		if _, err := st.Stat(ctx, dir+".mp4"); err == nil {
			keys = append(keys, dir+".mp4")
		}
		if len(keys) == 0 {
			continue
		}
		for _, k := range keys {
			gone = append(gone, st.Location(k))
		}
		if c.DryRun {
			c.Log.Info("archive retention (dry run): would delete", "workflow", wf.ID, "run", run.ID, "archive", dir, "objects", len(keys))
			continue
		}
		if err := st.Delete(ctx, keys...); err != nil {
			errs = append(errs, fmt.Errorf("archive retention: deleting %s: %w", dir, err))
			continue
		}
		if c.emptied == nil {
			c.emptied = map[string]bool{}
		}
		c.emptied[st.Location(dir)] = true
		c.Log.Info("archive retention: deleted an archive past its retention", "workflow", wf.ID, "run", run.ID, "archive", dir, "objects", len(keys))
	}
	return gone, errors.Join(errs...)
}
