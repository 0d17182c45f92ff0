package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"sync"
	"time"

	"onair/internal/clip"
	"onair/internal/storage"
)

// Mirror copies an archive that a recorder writes in the data directory to
// remote storage as it grows: each segment as soon as the playlist lists it
// (it is closed then), and the playlist after the segments it lists. It is
// level-triggered: each pass compares what the playlist lists with what the
// bucket holds, so that a failed upload is retried by the next pass, and a
// Mirror that starts over an archive a dead process left (a kill -9, a
// restart) uploads what that process had not.
type Mirror struct {
	disk   *storage.Disk
	remote storage.Storage
	dir    string // the archive's key, archive/<wf>/<run>/<name>
	log    *slog.Logger

	wake chan struct{}

	passing  sync.Mutex       // one pass at a time; guards uploaded and sent
	uploaded map[string]int64 // segment name → size in the bucket; nil until listed
	// confirmed are the segments known to be whole in the bucket: uploaded
	// by this mirror, or listed at the size of the file. Only the others
	// are compared with their file.
	confirmed map[string]bool
	sent      []byte // the playlist the bucket has

	mu      sync.Mutex
	failure error     // the last pass's, nil once one goes through
	failing time.Time // since when passes fail

	// OnChange, when set (before Run), is told when uploads start failing
	// (with the error) and when they go through again (nil). It must not
	// block.
	OnChange func(failing error)
}

// Backoff between failed passes: a storage that is down is tried again
// soon, and then every few seconds.
const (
	mirrorMinBackoff = 500 * time.Millisecond
	mirrorMaxBackoff = 5 * time.Second
	mirrorIdle       = 10 * time.Second // a pass even when nothing woke it
)

// NewMirror returns the mirror of the archive whose key is dir.
func NewMirror(disk *storage.Disk, remote storage.Storage, dir string, log *slog.Logger) *Mirror {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mirror{disk: disk, remote: remote, dir: dir, log: log, wake: make(chan struct{}, 1)}
}

// Notify wakes the mirror: a segment closed. It never blocks.
func (m *Mirror) Notify() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run passes over the archive each time it is woken, and on failure again
// with backoff, until ctx ends.
func (m *Mirror) Run(ctx context.Context) {
	wait := mirrorMinBackoff
	for {
		next := mirrorIdle
		if err := m.pass(ctx); err != nil && ctx.Err() == nil {
			next, wait = wait, min(2*wait, mirrorMaxBackoff)
		} else {
			wait = mirrorMinBackoff
		}
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-time.After(next):
		}
	}
}

// Finish uploads what the archive holds once its recorder finished (the
// ended playlist, every segment), retrying until ctx ends, and then the MP4
// when mp4 is its key (in parts, from the file). It returns the bytes of the
// segments in the bucket.
func (m *Mirror) Finish(ctx context.Context, mp4 string) (int64, error) {
	if err := retry(ctx, func() error { return m.pass(ctx) }); err != nil {
		return 0, err
	}
	if mp4 != "" {
		err := retry(ctx, func() error {
			err := m.remote.PutFile(ctx, mp4, m.disk.Path(mp4), storage.MediaMeta(mp4))
			if err != nil && ctx.Err() == nil {
				m.log.Warn("archive: uploading the MP4 failed; trying again", "mp4", mp4, "err", err)
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	m.passing.Lock()
	defer m.passing.Unlock()
	var total int64
	for _, n := range m.uploaded {
		total += n
	}
	return total, nil
}

// retry calls f until it succeeds, with the mirror's backoff, until ctx
// ends or the storage refuses the credentials, which retrying does not
// mend.
func retry(ctx context.Context, f func() error) error {
	for wait := mirrorMinBackoff; ; wait = min(2*wait, mirrorMaxBackoff) {
		err := f()
		if err == nil || ctx.Err() != nil || storage.Denied(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (the last try: %w)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

// Location names an object of the bucket the mirror uploads to.
func (m *Mirror) Location(key string) string { return m.remote.Location(key) }

// Err is the last pass's failure, and since when passes fail; nil once one
// went through.
func (m *Mirror) Err() (error, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failure, m.failing
}

// pass uploads the segments the playlist lists that the bucket lacks, then
// the playlist if it changed. Only one pass runs at a time.
func (m *Mirror) pass(ctx context.Context) (err error) {
	m.passing.Lock()
	defer m.passing.Unlock()
	defer func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		switch {
		case err != nil && ctx.Err() != nil:
			// Cancelled (a teardown): Finish takes it from here.
		case err == nil:
			if m.failure != nil {
				m.log.Info("archive: uploads go through again", "archive", m.dir, "failing since", m.failing.Format(time.RFC3339))
				if m.OnChange != nil {
					m.OnChange(nil)
				}
			}
			m.failure = nil
		case m.failure == nil:
			m.failure, m.failing = err, time.Now()
			m.log.Warn("archive: uploading failed; trying again", "archive", m.dir, "err", err)
			if m.OnChange != nil {
				m.OnChange(err)
			}
		default:
			m.failure = err
		}
	}()
	if m.uploaded == nil {
		have, err := m.remote.List(ctx, m.dir+"/")
		if err != nil {
			return err
		}
		m.uploaded, m.confirmed = map[string]int64{}, map[string]bool{}
		for _, o := range have {
			if path.Dir(o.Key) == m.dir && path.Base(o.Key) != Playlist { // segments only: Finish counts their bytes
				m.uploaded[path.Base(o.Key)] = o.Size
			}
		}
	}
	playlist := path.Join(m.dir, Playlist)
	body, err := os.ReadFile(m.disk.Path(playlist))
	if errors.Is(err, os.ErrNotExist) {
		return nil // nothing recorded yet
	}
	if err != nil || bytes.Equal(body, m.sent) {
		return err
	}
	segs, _, err := clip.Parse(body)
	if err != nil {
		return fmt.Errorf("archive %s: its playlist: %w", m.dir, err)
	}
	for _, s := range segs {
		if m.confirmed[s.URI] {
			continue
		}
		key := path.Join(m.dir, s.URI)
		st, err := os.Stat(m.disk.Path(key))
		if err != nil {
			return fmt.Errorf("archive %s: %w", m.dir, err)
		}
		if size, ok := m.uploaded[s.URI]; !ok || size != st.Size() {
			if err := m.remote.PutFile(ctx, key, m.disk.Path(key), storage.MediaMeta(key)); err != nil {
				return err
			}
			m.uploaded[s.URI] = st.Size()
		}
		m.confirmed[s.URI] = true
	}
	if err := m.remote.Put(ctx, playlist, bytes.NewReader(body), int64(len(body)), storage.MediaMeta(playlist)); err != nil {
		return err
	}
	m.sent = body
	return nil
}
