package storage_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"onair/internal/storage"
	"onair/internal/testutil/s3server"
)

const bucket = "archives"

// startS3 runs an S3 server with a bucket, and has onair's storage read the
// server's credentials from the environment, as onair does.
func startS3(t *testing.T) *s3server.Server {
	t.Helper()
	srv := s3server.Start(t)
	srv.Bucket(t, bucket)
	setCredentials(t, srv.Env())
	return srv
}

func setCredentials(t *testing.T, env []string) {
	t.Helper()
	t.Setenv("AWS_SESSION_TOKEN", "")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func newS3(t *testing.T, srv *s3server.Server, location string) *storage.S3 {
	t.Helper()
	loc, err := storage.ParseLocation(location)
	if err != nil {
		t.Fatal(err)
	}
	s, err := storage.NewS3(storage.S3Config{Endpoint: srv.URL}, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestS3Meta: an object is stored with the content type and cache policy
// it is to be served with, and with no Content-Encoding, which a player
// reading it from the bucket or a CDN would otherwise be handed.
func TestS3Meta(t *testing.T) {
	srv := startS3(t)
	s := newS3(t, srv, "s3://"+bucket+"/site")
	c := srv.Client(t)
	for _, key := range []string{"archive/wf/run/main/index.m3u8", "archive/wf/run/main/seg_000000.ts", "archive/wf/run/notes"} {
		put(t, s, key, "body of "+key)
		st, err := c.StatObject(t.Context(), bucket, "site/"+key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("the object of %s: %v", key, err)
		}
		want := storage.MediaMeta(key)
		if want.ContentType == "" {
			want.ContentType = "application/octet-stream"
		}
		if st.ContentType != want.ContentType {
			t.Errorf("%s: Content-Type %q, want %q", key, st.ContentType, want.ContentType)
		}
		if cc := st.Metadata.Get("Cache-Control"); cc != want.CacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", key, cc, want.CacheControl)
		}
		if ce := st.Metadata.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s: Content-Encoding %q, want none", key, ce)
		}
		if got := read(t, s, key); got != "body of "+key {
			t.Errorf("%s read back: %q", key, got)
		}
	}
	if got := s.Location("archive/x.ts"); got != "s3://archives/site/archive/x.ts" {
		t.Errorf("Location = %s", got)
	}
	if got := s.URL("archive/x.ts"); got != srv.URL+"/archives/site/archive/x.ts" {
		t.Errorf("URL = %s", got)
	}
}

// TestS3Large: a file larger than a part goes up in parts, from the file,
// and reads back whole and in ranges.
func TestS3Large(t *testing.T) {
	srv := startS3(t)
	s := newS3(t, srv, "s3://"+bucket)
	data := make([]byte, 40<<20)
	rand.Read(data)
	file := filepath.Join(t.TempDir(), "main.mp4")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	const key = "archive/wf/run/main.mp4"
	if err := s.PutFile(t.Context(), key, file, storage.MediaMeta(key)); err != nil {
		t.Fatal(err)
	}
	st, err := srv.Client(t).StatObject(t.Context(), bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A multipart upload's ETag is the hash of its parts' and their count.
	if !regexp.MustCompile(`-3$`).MatchString(st.ETag) {
		t.Errorf("ETag %q: want a 3-part upload's (40 MiB in 16 MiB parts)", st.ETag)
	}
	if st.Size != int64(len(data)) || st.ContentType != "video/mp4" || st.Metadata.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("the object: size %d, Content-Type %q, Cache-Control %q", st.Size, st.ContentType, st.Metadata.Get("Cache-Control"))
	}
	if ce := st.Metadata.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q, want none", ce)
	}

	o, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if i := o.Info(); i.Size != int64(len(data)) || i.Key != key {
		t.Errorf("Info() = %+v", i)
	}
	// A middle range: where a player seeks to.
	mid := int64(len(data)/2 + 12345)
	if n, err := o.Seek(mid, io.SeekStart); err != nil || n != mid {
		t.Fatalf("Seek = %d, %v", n, err)
	}
	b := make([]byte, 1<<20)
	if _, err := io.ReadFull(o, b); err != nil || !bytes.Equal(b, data[mid:mid+int64(len(b))]) {
		t.Errorf("the 1 MiB after Seek(%d): %v, equal %v", mid, err, bytes.Equal(b, data[mid:mid+int64(len(b))]))
	}
	at := int64(7 << 20)
	if _, err := o.ReadAt(b[:4096], at); err != nil || !bytes.Equal(b[:4096], data[at:at+4096]) {
		t.Errorf("ReadAt(%d): %v, equal %v", at, err, bytes.Equal(b[:4096], data[at:at+4096]))
	}
	if _, err := o.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(o)
	if err != nil || !bytes.Equal(all, data) {
		t.Errorf("the whole object: %d bytes, %v; want the file's %d", len(all), err, len(data))
	}
}

// TestS3ListDelete: keys are the storage's own, without its prefix, and
// only those under it.
func TestS3ListDelete(t *testing.T) {
	srv := startS3(t)
	s := newS3(t, srv, "s3://"+bucket+"/site")
	ctx := t.Context()
	for _, k := range []string{"archive/a/2.ts", "archive/a/1.ts", "archive/a/index.m3u8", "archive/ab/1.ts", "live/x/0.ts"} {
		put(t, s, k, k)
	}
	// Another storage's objects in the same bucket.
	other := newS3(t, srv, "s3://"+bucket+"/elsewhere")
	put(t, other, "archive/a/9.ts", "not mine")
	put(t, newS3(t, srv, "s3://"+bucket), "archive/a/8.ts", "not mine either")

	got, err := s.List(ctx, "archive/a/")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"archive/a/1.ts", "archive/a/2.ts", "archive/a/index.m3u8"}; !slices.Equal(keys(got), want) {
		t.Errorf("List(archive/a/) = %q, want %q", keys(got), want)
	}
	for _, i := range got {
		if i.Size != int64(len(i.Key)) || i.Modified.IsZero() {
			t.Errorf("List: %+v, want size %d and a time", i, len(i.Key))
		}
	}
	if got, err := s.List(ctx, "archive/a"); err != nil || len(got) != 4 {
		t.Errorf("List(archive/a) = %q, %v; want archive/a/ and archive/ab/", keys(got), err)
	}
	if got, err := s.List(ctx, "nothing/"); err != nil || len(got) != 0 {
		t.Errorf("List(nothing/) = %q, %v", keys(got), err)
	}

	if err := s.Delete(ctx, "archive/a/1.ts", "archive/a/absent.ts"); err != nil {
		t.Fatalf("Delete of a present and an absent key: %v", err)
	}
	if err := s.Delete(ctx, "archive/a/absent.ts"); err != nil {
		t.Fatalf("Delete of an absent key: %v", err)
	}
	if err := s.Delete(ctx); err != nil {
		t.Fatalf("Delete of no key: %v", err)
	}
	if _, err := s.Stat(ctx, "archive/a/1.ts"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Open(ctx, "archive/a/1.ts"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open after Delete: %v, want ErrNotFound", err)
	}
	if got, _ := s.List(ctx, "archive/a/"); !slices.Equal(keys(got), []string{"archive/a/2.ts", "archive/a/index.m3u8"}) {
		t.Errorf("List after Delete = %q", keys(got))
	}
	if got := read(t, other, "archive/a/9.ts"); got != "not mine" {
		t.Errorf("another prefix's object: %q", got)
	}
}

// TestS3SignedURL: a signed URL reads the object with no credentials, and
// stops working when its time is up.
func TestS3SignedURL(t *testing.T) {
	srv := startS3(t)
	s := newS3(t, srv, "s3://"+bucket+"/site")
	const key = "archive/wf/run/main.mp4"
	put(t, s, key, "the mp4")
	u, err := s.SignedURL(t.Context(), key, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := plainGet(t, u); code != http.StatusOK || body != "the mp4" {
		t.Fatalf("GET of the signed URL: %d %q, want 200 %q", code, body, "the mp4")
	}
	if code, _ := plainGet(t, s.URL(key)); code != http.StatusForbidden {
		t.Errorf("GET of the object without a signature: %d, want 403", code)
	}
	time.Sleep(3 * time.Second)
	if code, body := plainGet(t, u); code != http.StatusForbidden {
		t.Errorf("GET of the signed URL after its TTL: %d %q, want 403", code, body)
	}
}

func plainGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestS3Check: Check passes where onair can write, and otherwise says why
// in words a person can act on.
func TestS3Check(t *testing.T) {
	srv := startS3(t)
	ctx := t.Context()
	s := newS3(t, srv, "s3://"+bucket+"/site")
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check with the right credentials: %v", err)
	}
	if objs, err := s.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Errorf("after Check the bucket holds %q, %v; want its probe deleted", keys(objs), err)
	}

	t.Run("wrong secret", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey+"x")
		err := newS3(t, srv, "s3://"+bucket+"/site").Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "S3: access denied to bucket "+bucket) || !storage.Denied(err) {
			t.Fatalf("Check with a wrong secret: %v (Denied %v), want an access denied to bucket %s", err, storage.Denied(err), bucket)
		}
		if strings.Contains(err.Error(), srv.SecretKey) {
			t.Errorf("the error quotes the secret: %v", err)
		}
	})
	t.Run("wrong access key", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "nobody")
		err := newS3(t, srv, "s3://"+bucket).Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "S3: access denied to bucket "+bucket) || !storage.Denied(err) {
			t.Fatalf("Check with an unknown access key: %v (Denied %v)", err, storage.Denied(err))
		}
	})
	t.Run("no bucket", func(t *testing.T) {
		err := newS3(t, srv, "s3://no-such-bucket/site").Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "S3: there is no bucket no-such-bucket at "+srv.Endpoint) || storage.Denied(err) {
			t.Fatalf("Check of a missing bucket: %v (Denied %v), want there is no bucket no-such-bucket", err, storage.Denied(err))
		}
	})
	t.Run("server down", func(t *testing.T) {
		srv.Stop()
		start := time.Now()
		err := s.Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "S3: "+srv.Endpoint+" does not answer") || storage.Denied(err) {
			t.Fatalf("Check with the server stopped: %v (Denied %v), want %s does not answer", err, storage.Denied(err), srv.Endpoint)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Check took %s to find the server down", d)
		}
		if _, err := s.Stat(ctx, "archive/x"); err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat with the server stopped: %v, want an error that is not ErrNotFound", err)
		}
		srv.Restart(t)
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check after a restart: %v", err)
		}
	})
}

// TestSet: the server's storage makes one client per bucket location and
// hands out the data directory where no bucket is meant.
func TestSet(t *testing.T) {
	srv := startS3(t)
	d, _ := newDisk(t)
	def, err := storage.ParseLocation("s3://" + bucket + "/site")
	if err != nil {
		t.Fatal(err)
	}
	set, err := storage.NewSet(d, def, storage.S3Config{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r, err := set.Remote(storage.Location{})
	if err != nil || r == nil || r.Location("k") != "s3://archives/site/k" {
		t.Fatalf("Remote of the default location = %v, %v", r, err)
	}
	other := storage.Location{Bucket: "other"}
	b1, _ := set.Bucket(other)
	b2, _ := set.Bucket(other)
	if b1 != b2 {
		t.Error("two clients for one bucket location")
	}
	if err := set.Check(t.Context(), storage.Location{}); err != nil {
		t.Errorf("Check of the default location: %v", err)
	}
	if err := set.Check(t.Context(), other); err == nil || !strings.Contains(err.Error(), "there is no bucket other") {
		t.Errorf("Check of a missing bucket: %v", err)
	}
	if got := set.DefaultURL("archive/x.mp4"); got != srv.URL+"/archives/site/archive/x.mp4" {
		t.Errorf("DefaultURL = %s", got)
	}

	local, err := storage.NewSet(d, storage.Location{}, storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := local.Remote(storage.Location{}); err != nil || r != nil {
		t.Errorf("Remote of a local server = %v, %v; want none", r, err)
	}
	if a, err := local.Archives(storage.Location{}); err != nil || a != storage.Storage(d) {
		t.Errorf("Archives of a local server = %v, %v; want the disk", a, err)
	}
	if got := local.DefaultURL("archive/x.mp4"); got != "" {
		t.Errorf("DefaultURL of a local server = %q", got)
	}
	var none *storage.Set
	if _, err := none.Remote(def); err == nil || !strings.Contains(err.Error(), "this server has no S3 settings") {
		t.Errorf("Remote of a bucket without S3 settings: %v", err)
	}
}
