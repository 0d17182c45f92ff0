package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"onair/internal/hls/hlstest"
)

// WatchPlaylists checks every HLS playlist a server writes under dataDir's
// live/ and archive/ while the test runs, version after version, with
// hlstest's RFC 8216 checks: a master playlist's variants, a media
// playlist's tags, target duration, parts, and how each version follows the
// last (the media sequence and the discontinuity sequence never go back,
// listed segments stay as they were and exist). A failure fails the test.
// It returns a function that stops watching and reports how many versions
// of how many playlists it checked; the test's cleanup stops it too.
func WatchPlaylists(t testing.TB, dataDir string) (stop func() (versions, playlists int)) {
	w := &watcher{t: t, dir: dataDir, checkers: map[string]*watched{}, quit: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	var once sync.Once
	stop = func() (int, int) {
		once.Do(func() { close(w.quit); <-w.done; w.scan() })
		return w.versions, len(w.checkers)
	}
	t.Cleanup(func() {
		v, n := stop()
		t.Logf("checked %d versions of %d playlists", v, n)
	})
	return stop
}

type watcher struct {
	t        testing.TB
	dir      string
	checkers map[string]*watched // by file and the directories it is in (see key)
	versions int
	quit     chan struct{}
	done     chan struct{}
}

// watched is one playlist: its last version checked.
type watched struct {
	last    []byte
	checker *hlstest.Checker
	failed  bool
}

func (w *watcher) run() {
	defer close(w.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-tick.C:
			w.scan()
		}
	}
}

// scan checks each playlist that changed since the last scan.
func (w *watcher) scan() {
	for _, root := range []string{"live", "archive"} {
		filepath.WalkDir(filepath.Join(w.dir, root), func(file string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(file, ".m3u8") {
				return nil
			}
			w.check(file)
			return nil
		})
	}
}

// key tells one playlist from another at the same path: a workflow's next
// run writes its live playlists where the last run's were, in directories
// made anew (the last run's went when it was done), and its playlists start
// over. A scan may miss the moment between the two, so the directories'
// inode numbers go into the key.
func (w *watcher) key(file string) string {
	k := file
	for dir := filepath.Dir(file); len(dir) > len(w.dir); dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				k += "@" + strconv.FormatUint(sys.Ino, 10)
			}
		}
	}
	return k
}

func (w *watcher) check(file string) {
	b, err := os.ReadFile(file)
	if err != nil || len(b) == 0 {
		return // gone meanwhile (a run deleted)
	}
	k := w.key(file)
	pw := w.checkers[k]
	if pw == nil {
		pw = &watched{checker: &hlstest.Checker{Exists: hlstest.Dir(filepath.Dir(file))}}
		w.checkers[k] = pw
	}
	if pw.failed || bytes.Equal(b, pw.last) {
		return
	}
	pw.last = b
	w.versions++
	if bytes.Contains(b, []byte("#EXT-X-STREAM-INF")) {
		_, err = hlstest.ParseMaster(b)
	} else {
		_, err = pw.checker.Check(b)
	}
	if err == nil {
		return
	}
	if _, serr := os.Stat(file); serr != nil {
		return // its directory went while it was checked (a run deleted)
	}
	pw.failed = true // one report per playlist
	rel, _ := filepath.Rel(w.dir, file)
	w.t.Errorf("playlist %s breaks RFC 8216: %v\n%s", rel, err, b)
}
