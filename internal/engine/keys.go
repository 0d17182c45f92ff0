package engine

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/clip"
	"onair/internal/hls"
	"onair/internal/pipeline"
)

// keyRotator gives one pipeline's live HLS a new AES-128 key every interval:
// the packager asks it for the current key before each segment, and a key
// past its interval is replaced then, by keys/<n>.key, written before the
// segment that names it. Old keys stay, for players of the start-over
// window; they go with the live directory when the run is deleted.
type keyRotator struct {
	dir   string // absolute: where the keys are
	uri   string // the URL path of dir on the origin, e.g. /live/<wf>/keys
	every time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu   sync.Mutex
	next int       // number of the next key
	cur  hls.Key   // the current key; its URI is "" before the first
	made time.Time // when cur was made
}

// newKeyRotator prepares the rotation of a spec's keys, numbering the next key
// after those already in its directory (an earlier instance of the server wrote
// them, and the playlists still name them). No key is written yet.
func newKeyRotator(dataDir string, spec pipeline.Spec, now func() time.Time, log *slog.Logger) (*keyRotator, error) {
	dir := filepath.Join(dataDir, filepath.FromSlash(spec.KeyDir))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", spec.KeyDir, err)
	}
	r := &keyRotator{dir: dir, uri: "/" + spec.KeyDir, every: spec.KeyRotation, now: now, log: log}
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

// Current is the key of the next segment (hls.KeySource). When the current
// key is as old as the interval, a new one is written first; if that fails
// (a full disk), the current key goes on and the rotation is tried again at
// the next segment. Without any key there is an error: the packager lists
// no segment in the clear.
func (r *keyRotator) Current() (hls.Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur.URI != "" && r.now().Before(r.made.Add(r.every)) {
		return r.cur, nil
	}
	if err := r.rotate(); err != nil {
		if r.cur.URI == "" {
			return hls.Key{}, err
		}
		r.log.Error("key rotation failed; the live HLS keeps its current key", "err", err)
	}
	return r.cur, nil
}

// rotate writes key n (through a temporary file renamed into place, so the
// origin never serves half of it) and makes it the current one; r.mu is held.
func (r *keyRotator) rotate() error {
	var k hls.Key
	rand.Read(k.Bytes[:]) // crypto/rand.Read never fails
	name := strconv.Itoa(r.next) + ".key"
	// Keys are secrets: only the server's user reads them.
	if err := clip.WriteFileMode(r.dir, name, k.Bytes[:], 0o600); err != nil {
		return err
	}
	k.URI = path.Join(r.uri, name)
	r.cur, r.made = k, r.now()
	r.next++
	return nil
}
