package s3server

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

const (
	bucket   = "live"
	key      = "channel/index.m3u8"
	private  = "private/notes.txt"
	origin   = "https://player.example"
	playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
)

func TestServer(t *testing.T) {
	s := Start(t)
	s.Bucket(t, bucket)
	s.Bucket(t, bucket) // an existing bucket is fine
	c := s.Client(t)
	for _, k := range []string{key, private} {
		if _, err := c.PutObject(t.Context(), bucket, k, strings.NewReader(playlist), int64(len(playlist)),
			minio.PutObjectOptions{ContentType: "application/vnd.apple.mpegurl"}); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
	if got := readObject(t, c); got != playlist {
		t.Fatalf("get %s = %q, want %q", key, got, playlist)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir, bucket, key)); err != nil || string(b) != playlist {
		t.Fatalf("the object in the posix root = %q, %v; want %q", b, err, playlist)
	}

	u, err := c.PresignedGetObject(t.Context(), bucket, key, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, body, _ := get(t, u.String()); code != http.StatusOK || body != playlist {
		t.Fatalf("presigned GET: %d %q, want 200 %q", code, body, playlist)
	}

	public := s.URL + "/" + bucket + "/" + key
	if code, _, _ := get(t, public); code != http.StatusForbidden {
		t.Fatalf("anonymous GET before PublicRead: %d, want 403", code)
	}
	s.PublicRead(t, bucket, "channel/")
	code, body, h := get(t, public)
	if code != http.StatusOK || body != playlist {
		t.Fatalf("anonymous GET after PublicRead: %d %q, want 200 %q", code, body, playlist)
	}
	if o := h.Get("Access-Control-Allow-Origin"); o != "*" {
		t.Errorf("anonymous GET from %s: Access-Control-Allow-Origin %q, want *", origin, o)
	}
	if code, h := preflight(t, public); code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight of a ranged GET: %d %v, want 200 and Access-Control-Allow-Origin *", code, h)
	}
	if code, _, _ := get(t, s.URL+"/"+bucket+"/"+private); code != http.StatusForbidden {
		t.Errorf("anonymous GET outside the public prefix: %d, want 403", code)
	}

	if !slices.Contains(s.Env(), "AWS_ACCESS_KEY_ID="+s.AccessKey) {
		t.Errorf("Env() = %v lacks the access key", s.Env())
	}

	s.Stop()
	if resp, err := http.Get(public); err == nil {
		resp.Body.Close()
		t.Fatalf("GET with the server stopped: %s, want an error", resp.Status)
	}
	s.Restart(t)
	if got := readObject(t, c); got != playlist {
		t.Fatalf("get %s after Restart = %q, want %q", key, got, playlist)
	}
	if code, body, _ := get(t, public); code != http.StatusOK || body != playlist {
		t.Fatalf("anonymous GET after Restart: %d %q, want 200 %q", code, body, playlist)
	}
}

func readObject(t *testing.T, c *minio.Client) string {
	t.Helper()
	o, err := c.GetObject(t.Context(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, o); err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b.String()
}

// preflight is what a browser asks before a GET with a Range header.
func preflight(t *testing.T, url string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodGet)
	req.Header.Set("Access-Control-Request-Headers", "range")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// get is a browser's GET: no credentials, an Origin.
func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}
