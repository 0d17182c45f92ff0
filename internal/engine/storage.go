package engine

import (
	"context"
	"fmt"
	"log/slog"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/recorder"
	"onair/internal/storage"
)

// mirrorOf is the mirror that copies an archive of a run's pipeline to its
// bucket as it is recorded, its failures and recoveries in the run's
// events; nil for an archive that stays in the data directory.
func (l *Local) mirrorOf(ref RunRef, pipe int, a pipeline.ArchiveOutput, log *slog.Logger) (*recorder.Mirror, error) {
	remote, err := l.cfg.Storage.Remote(a.Location)
	if err != nil || remote == nil {
		return nil, err
	}
	m := recorder.NewMirror(l.cfg.Storage.Disk, remote, a.Dir, log)
	m.OnChange = func(failing error) {
		ev := domain.RunEvent{Time: l.cfg.Now().UTC(), Type: domain.EventArchiveUploadRecovered, Pipeline: pipe,
			Message: "the archive's uploads to " + remote.Location(a.Dir) + " go through again"}
		if failing != nil {
			ev.Type, ev.Message = domain.EventArchiveUploadFailing, failing.Error()+"; retrying, the archive is kept on the disk meanwhile"
		}
		l.cfg.OnEvent(ref, ev)
	}
	return m, nil
}

// bucketOf is where a bucket destination writes, and under which key.
func (l *Local) bucketOf(d pipeline.DestinationOutput) (storage.Storage, string, error) {
	t := d.Bucket
	if l.cfg.Storage == nil || !t.Location.IsBucket() && !l.cfg.Storage.Default.IsBucket() {
		return nil, "", fmt.Errorf("destination %s pushes to the server's storage (%s), and this server keeps its media on the local disk: "+
			"start onair with --storage s3://bucket/prefix, or give the destination an s3://bucket/prefix URL", d.ID, d.URL)
	}
	remote, err := l.cfg.Storage.Remote(t.Location)
	if err != nil {
		return nil, "", err
	}
	return remote, t.Key, nil
}

// checkStorage says whether every bucket a run writes into, its archives'
// and its bucket destinations', takes its writes: a run whose storage
// refuses the credentials fails to start, before any media flows.
func (l *Local) checkStorage(ctx context.Context, ch domain.Channel, pipelines []domain.Ingest) error {
	var locs []storage.Location
	for _, in := range pipelines {
		spec := pipeline.SpecFor(&ch.Workflow, ch.Run, in.Pipeline)
		for _, a := range spec.Archives {
			locs = append(locs, a.Location)
		}
		for _, d := range spec.Destinations {
			if d.Bucket == nil {
				continue
			}
			if _, _, err := l.bucketOf(d); err != nil {
				return err
			}
			locs = append(locs, d.Bucket.Location)
		}
	}
	seen := map[storage.Location]bool{}
	for _, loc := range locs {
		if seen[loc] {
			continue
		}
		seen[loc] = true
		if err := l.cfg.Storage.Check(ctx, loc); err != nil {
			return err
		}
	}
	return nil
}
