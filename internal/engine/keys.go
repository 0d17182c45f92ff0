package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/pipeline"
)

// keyRetry is how soon a rotation that failed (a full disk) is tried again; ffmpeg
// keeps encrypting with the current key meanwhile.
const keyRetry = 5 * time.Second

// keyRotator gives one pipeline's live HLS a new AES-128 key every interval: it
// writes keys/<n>.key and points the key info file at it, which ffmpeg re-reads
// before each segment (hls_flags periodic_rekey). Old keys stay, for players of
// the DVR window; they go with the live directory when the run is deleted. The
// pipe owns it: startPipe starts it before ffmpeg, stopPipes stops it.
type keyRotator struct {
	dir   string // absolute: where the keys and the key info file are
	uri   string // the URL path of dir on the origin, e.g. /live/<wf>/keys
	info  string // absolute path of the key info file
	every time.Duration
	now   func() time.Time
	log   *slog.Logger

	// Owned by the rotation goroutine once started.
	next int       // number of the next key
	made time.Time // when the current key was made; zero before the first

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// newKeyRotator prepares the rotation of a spec's keys, numbering the next key
// after those already in its directory (an earlier instance of the server wrote
// them, and the playlists still name them). No key is written yet.
func newKeyRotator(dataDir string, spec pipeline.Spec, now func() time.Time, log *slog.Logger) (*keyRotator, error) {
	if strings.ContainsAny(dataDir, "\r\n") {
		return nil, fmt.Errorf("the data directory %q has a line break, which a key info file cannot hold", dataDir)
	}
	rel := spec.KeyDir()
	dir := filepath.Join(dataDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", rel, err)
	}
	r := &keyRotator{
		dir:   dir,
		uri:   "/" + rel,
		info:  filepath.Join(dataDir, filepath.FromSlash(spec.KeyInfoFile)),
		every: spec.KeyRotation,
		now:   now,
		log:   log,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".key")
		if n, err := strconv.Atoi(num); ok && err == nil && n >= r.next {
			r.next = n + 1
		}
	}
	return r, nil
}

// Start writes the first key and its key info file, which ffmpeg needs before
// it opens its first segment, then rotates until Stop.
func (r *keyRotator) Start() error {
	if err := r.rotate(); err != nil {
		return err
	}
	go r.run()
	return nil
}

// Stop ends the rotation and waits for it; the key info file keeps naming the
// last key. It may be called more than once.
func (r *keyRotator) Stop() {
	r.stopOnce.Do(func() { close(r.stop) })
	<-r.done
}

func (r *keyRotator) run() {
	defer close(r.done)
	timer := time.NewTimer(r.tick())
	defer timer.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-timer.C:
			timer.Reset(r.tick())
		}
	}
}

// tick rotates the key if the current one is as old as the interval (by the
// injected clock) and returns how long to wait before the next look.
func (r *keyRotator) tick() time.Duration {
	now := r.now()
	if due := r.made.Add(r.every); now.Before(due) {
		return due.Sub(now)
	}
	if err := r.rotate(); err != nil {
		r.log.Error("key rotation failed; the live HLS keeps its current key", "err", err)
		return keyRetry
	}
	return r.every
}

// rotate writes key n and then the key info file that names it, each to a
// temporary file renamed into place, so that ffmpeg (or the origin) never reads
// half a key, nor a key info file naming a key not yet there.
func (r *keyRotator) rotate() error {
	key := make([]byte, 16)
	iv := make([]byte, 16)
	rand.Read(key) // crypto/rand.Read never fails
	rand.Read(iv)
	name := strconv.Itoa(r.next) + ".key"
	file := filepath.Join(r.dir, name)
	// Keys are secrets: only the server's user reads them (ffmpeg and the
	// origin run as it).
	if err := writeAtomic(file, key, 0o600); err != nil {
		return err
	}
	// The key's URI as players fetch it from the origin, the key file ffmpeg
	// reads, and the IV, in hex without 0x.
	info := path.Join(r.uri, name) + "\n" + file + "\n" + hex.EncodeToString(iv) + "\n"
	if err := writeAtomic(r.info, []byte(info), 0o600); err != nil {
		return err
	}
	r.next++
	r.made = r.now()
	return nil
}

// writeAtomic writes a file through a temporary one renamed into place, so
// that ffmpeg and the origin, which read it at any moment, never see half of it.
func writeAtomic(file string, b []byte, perm os.FileMode) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, perm); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
