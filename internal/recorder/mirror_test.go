package recorder_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"onair/internal/clip"
	"onair/internal/recorder"
	"onair/internal/storage"
	"onair/internal/testutil/s3server"
)

const (
	mirrorBucket = "archives"
	mirrorPrefix = "site" // the bucket location's prefix: s3://archives/site
	archiveKey   = "archive/wf/run/main"
)

// mirrorEnv is a data directory with an archive in it, and a bucket on a
// real S3 server for it to go to.
type mirrorEnv struct {
	srv    *s3server.Server
	disk   *storage.Disk
	remote *storage.S3
}

func newMirrorEnv(t *testing.T) *mirrorEnv {
	t.Helper()
	srv := s3server.Start(t)
	srv.Bucket(t, mirrorBucket)
	t.Setenv("AWS_SESSION_TOKEN", "")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	disk, err := storage.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	if err := os.MkdirAll(disk.Path(archiveKey), 0o755); err != nil {
		t.Fatal(err)
	}
	return &mirrorEnv{srv: srv, disk: disk, remote: newRemote(t, srv)}
}

func newRemote(t *testing.T, srv *s3server.Server) *storage.S3 {
	t.Helper()
	s, err := storage.NewS3(storage.S3Config{Endpoint: srv.URL}, storage.Location{Bucket: mirrorBucket, Prefix: mirrorPrefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// segment writes segment n of the archive, as the recorder does before it
// lists it: bytes of its own, of a length of its own.
func (e *mirrorEnv) segment(t *testing.T, n int) []byte {
	t.Helper()
	body := bytes.Repeat([]byte(fmt.Sprintf("segment %d;", n)), 100+n*37)
	if err := os.WriteFile(e.disk.Path(segmentKey(n)), body, 0o644); err != nil {
		t.Fatal(err)
	}
	return body
}

func segmentKey(n int) string { return path.Join(archiveKey, fmt.Sprintf("seg_%06d.ts", n)) }

// list writes the playlist of segments 0 to n-1, as the recorder writes it.
func (e *mirrorEnv) list(t *testing.T, n int, ended bool) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n")
	for i := range n {
		fmt.Fprintf(&b, "#EXTINF:2.000000,\nseg_%06d.ts\n", i)
	}
	if ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	if err := clip.WriteFile(e.disk.Path(archiveKey), recorder.Playlist, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// inBucket is the object under key, nil when there is none.
func (e *mirrorEnv) inBucket(t *testing.T, key string) []byte {
	t.Helper()
	b, err := storage.ReadAll(t.Context(), e.remote, key, 1<<20)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading %s from the bucket: %v", key, err)
	}
	return b
}

// run runs the mirror until the test ends.
func run(t *testing.T, m *recorder.Mirror) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	t.Cleanup(stop)
	return stop
}

// waitFor polls until cond holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: still not %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// counting is the bucket, with the writes to it noted.
type counting struct {
	storage.Storage
	mu   sync.Mutex
	puts []string
}

func (c *counting) Put(ctx context.Context, key string, body io.Reader, size int64, meta storage.Meta) error {
	c.note(key)
	return c.Storage.Put(ctx, key, body, size, meta)
}

func (c *counting) PutFile(ctx context.Context, key, file string, meta storage.Meta) error {
	c.note(key)
	return c.Storage.PutFile(ctx, key, file, meta)
}

func (c *counting) note(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.puts = append(c.puts, key)
}

// took is what was put since the last call, and forgets it.
func (c *counting) took() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.puts
	c.puts = nil
	return p
}

// TestMirrorNotify: a Notify has the running mirror upload the segments the
// playlist lists, then the playlist, and not a segment still being written.
func TestMirrorNotify(t *testing.T) {
	e := newMirrorEnv(t)
	bucket := &counting{Storage: e.remote}
	m := recorder.NewMirror(e.disk, bucket, archiveKey, nil)
	first := e.list(t, 0, false) // a run that has not closed a segment yet
	run(t, m)
	playlist := path.Join(archiveKey, recorder.Playlist)
	waitFor(t, 5*time.Second, "the first playlist uploaded", func() bool { return bytes.Equal(e.inBucket(t, playlist), first) })
	bucket.took()

	segs := [][]byte{e.segment(t, 0), e.segment(t, 1), e.segment(t, 2)}
	e.segment(t, 3) // being written: not listed
	body := e.list(t, 3, false)
	m.Notify()
	// Well before the pass the mirror makes when nothing wakes it (10 s).
	waitFor(t, 3*time.Second, "the playlist uploaded after Notify", func() bool { return bytes.Equal(e.inBucket(t, playlist), body) })
	if got, want := bucket.took(), []string{segmentKey(0), segmentKey(1), segmentKey(2), playlist}; !slices.Equal(got, want) {
		t.Errorf("uploads %q, want %q: the listed segments, then the playlist", got, want)
	}
	for i, want := range segs {
		if got := e.inBucket(t, segmentKey(i)); !bytes.Equal(got, want) {
			t.Errorf("%s in the bucket: %d bytes, want the file's %d", segmentKey(i), len(got), len(want))
		}
	}
	if got := e.inBucket(t, segmentKey(3)); got != nil {
		t.Errorf("the unlisted %s is in the bucket", segmentKey(3))
	}
	c := e.srv.Client(t)
	for key, ctype := range map[string]string{segmentKey(0): "video/mp2t", playlist: "application/vnd.apple.mpegurl"} {
		st, err := c.StatObject(t.Context(), mirrorBucket, mirrorPrefix+"/"+key, minio.StatObjectOptions{})
		if err != nil || st.ContentType != ctype {
			t.Errorf("%s: Content-Type %q, %v; want %q", key, st.ContentType, err, ctype)
		}
	}
	if err, _ := m.Err(); err != nil {
		t.Errorf("Err() = %v after passes that went through", err)
	}

	// A Notify with nothing new uploads nothing.
	m.Notify()
	time.Sleep(500 * time.Millisecond)
	if got := bucket.took(); len(got) != 0 {
		t.Errorf("a pass with nothing new uploaded %q", got)
	}
}

// TestMirrorOutage: while the S3 server is down the mirror reports it, and
// once the server is back it catches up by itself, with no Notify.
func TestMirrorOutage(t *testing.T) {
	e := newMirrorEnv(t)
	m := recorder.NewMirror(e.disk, e.remote, archiveKey, nil)
	e.segment(t, 0)
	e.segment(t, 1)
	body := e.list(t, 2, false)
	run(t, m)
	playlist := path.Join(archiveKey, recorder.Playlist)
	waitFor(t, 5*time.Second, "the playlist uploaded", func() bool { return bytes.Equal(e.inBucket(t, playlist), body) })

	e.srv.Stop()
	down := time.Now()
	segs := map[int][]byte{2: e.segment(t, 2), 3: e.segment(t, 3)}
	body = e.list(t, 4, false)
	m.Notify()
	waitFor(t, 3*time.Second, "Err() reporting the outage", func() bool { err, _ := m.Err(); return err != nil })
	err, since := m.Err()
	if !strings.Contains(err.Error(), "does not answer") || since.Before(down) || time.Since(since) > 3*time.Second {
		t.Errorf("Err() = %v since %s, want the server not answering, since it went down at %s", err, since.Format(time.StampMilli), down.Format(time.StampMilli))
	}

	time.Sleep(3 * time.Second) // the outage
	if err, _ := m.Err(); err == nil {
		t.Error("Err() = nil while the server is still down")
	}
	e.srv.Restart(t)
	back := time.Now()
	// The next try comes at most the longest backoff (5 s) after the
	// server is back, well before the pass the mirror makes when nothing
	// woke it (10 s after the last one).
	waitFor(t, 6500*time.Millisecond, "caught up after the server came back", func() bool {
		err, _ := m.Err()
		return err == nil && bytes.Equal(e.inBucket(t, playlist), body)
	})
	t.Logf("down for %s, caught up %s after the restart; while down: %v", back.Sub(down).Round(time.Millisecond), time.Since(back).Round(time.Millisecond), err)
	for n, want := range segs {
		if got := e.inBucket(t, segmentKey(n)); !bytes.Equal(got, want) {
			t.Errorf("%s in the bucket: %d bytes, want the file's %d", segmentKey(n), len(got), len(want))
		}
	}
}

// TestMirrorResume: a new mirror over an archive a killed process left,
// half uploaded, uploads only what the bucket lacks or holds at another
// size, and counts the segments' bytes, not the playlist's.
func TestMirrorResume(t *testing.T) {
	e := newMirrorEnv(t)
	segs := [][]byte{e.segment(t, 0), e.segment(t, 1), e.segment(t, 2)}
	body := e.list(t, 3, false)
	stop := run(t, recorder.NewMirror(e.disk, e.remote, archiveKey, nil))
	playlist := path.Join(archiveKey, recorder.Playlist)
	waitFor(t, 5*time.Second, "the playlist uploaded", func() bool { return bytes.Equal(e.inBucket(t, playlist), body) })
	stop() // the process dies

	// It was writing segment 3, which the next process's recorder lists.
	segs = append(segs, e.segment(t, 3))
	body = e.list(t, 4, true)
	// One segment never got there, another is not the file it was made from.
	c := e.srv.Client(t)
	if err := c.RemoveObject(t.Context(), mirrorBucket, mirrorPrefix+"/"+segmentKey(1), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.remote.Put(t.Context(), segmentKey(2), bytes.NewReader(segs[2][:100]), 100, storage.Meta{}); err != nil {
		t.Fatal(err)
	}

	bucket := &counting{Storage: e.remote}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	total, err := recorder.NewMirror(e.disk, bucket, archiveKey, nil).Finish(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bucket.took(), []string{segmentKey(1), segmentKey(2), segmentKey(3), playlist}; !slices.Equal(got, want) {
		t.Errorf("the new mirror uploaded %q, want %q", got, want)
	}
	var want int64
	for i, s := range segs {
		want += int64(len(s))
		if got := e.inBucket(t, segmentKey(i)); !bytes.Equal(got, s) {
			t.Errorf("%s in the bucket: %d bytes, want the file's %d", segmentKey(i), len(got), len(s))
		}
	}
	if total != want {
		t.Errorf("Finish = %d bytes, want the segments' %d", total, want)
	}
	if got := e.inBucket(t, playlist); !bytes.Equal(got, body) {
		t.Errorf("the playlist in the bucket:\n%s\nwant:\n%s", got, body)
	}
}

// TestMirrorFinish: Finish uploads the rest and the MP4, and returns the
// segments' bytes; it retries while the server is down, gives up with the
// last error when its time is up, and at once when the credentials are
// refused.
func TestMirrorFinish(t *testing.T) {
	e := newMirrorEnv(t)
	var want int64
	for i := range 3 {
		want += int64(len(e.segment(t, i)))
	}
	e.list(t, 3, true)
	mp4Key := archiveKey + ".mp4"
	mp4 := bytes.Repeat([]byte("not really an mp4;"), 5000)
	if err := os.WriteFile(e.disk.Path(mp4Key), mp4, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("uploads", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		total, err := recorder.NewMirror(e.disk, e.remote, archiveKey, nil).Finish(ctx, mp4Key)
		if err != nil || total != want {
			t.Fatalf("Finish = %d, %v; want the segments' %d bytes", total, err, want)
		}
		if got := e.inBucket(t, mp4Key); !bytes.Equal(got, mp4) {
			t.Errorf("the MP4 in the bucket: %d bytes, want the file's %d", len(got), len(mp4))
		}
		st, err := e.srv.Client(t).StatObject(t.Context(), mirrorBucket, mirrorPrefix+"/"+mp4Key, minio.StatObjectOptions{})
		if err != nil || st.ContentType != "video/mp4" || st.Metadata.Get("Cache-Control") != "public, max-age=3600" {
			t.Errorf("the MP4: Content-Type %q, Cache-Control %q, %v", st.ContentType, st.Metadata.Get("Cache-Control"), err)
		}
		if _, err := os.Stat(filepath.Join(e.srv.Dir, mirrorBucket, mirrorPrefix, mp4Key)); err != nil {
			t.Errorf("the MP4 in the server's directory: %v", err)
		}
	})

	// The MP4 gone from the bucket, so that each Finish below has it to do.
	reset := func(t *testing.T) {
		t.Helper()
		if err := e.remote.Delete(t.Context(), mp4Key); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("out of time", func(t *testing.T) {
		reset(t)
		e.srv.Stop()
		defer e.srv.Restart(t)
		ctx, cancel := context.WithTimeout(t.Context(), 1200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := recorder.NewMirror(e.disk, e.remote, archiveKey, nil).Finish(ctx, mp4Key)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) ||
			!strings.Contains(err.Error(), "the last try") || !strings.Contains(err.Error(), "does not answer") {
			t.Fatalf("Finish with the server down = %v, want that it ran out of time, and the last error", err)
		}
		t.Logf("Finish with the server down: %v", err)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Finish returned %s after it started, with a 1.2 s context", d)
		}
	})

	t.Run("server back", func(t *testing.T) {
		reset(t)
		e.srv.Stop()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		var (
			total int64
			err   error
			done  = make(chan struct{})
		)
		go func() {
			defer close(done)
			total, err = recorder.NewMirror(e.disk, e.remote, archiveKey, nil).Finish(ctx, mp4Key)
		}()
		time.Sleep(time.Second) // the outage
		e.srv.Restart(t)
		<-done
		if err != nil || total != want {
			t.Fatalf("Finish across an outage = %d, %v; want %d", total, err, want)
		}
		if got := e.inBucket(t, mp4Key); !bytes.Equal(got, mp4) {
			t.Errorf("the MP4 in the bucket: %d bytes, want %d", len(got), len(mp4))
		}
	})

	t.Run("denied", func(t *testing.T) {
		reset(t)
		t.Setenv("AWS_SECRET_ACCESS_KEY", e.srv.SecretKey+"x")
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		start := time.Now()
		_, err := recorder.NewMirror(e.disk, newRemote(t, e.srv), archiveKey, nil).Finish(ctx, mp4Key)
		if !storage.Denied(err) || !strings.Contains(err.Error(), "access denied to bucket "+mirrorBucket) {
			t.Fatalf("Finish with a wrong secret = %v, want access denied", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Finish took %s to give up on refused credentials", d)
		}
	})
}
