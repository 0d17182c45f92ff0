package engine

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/testutil/testclock"
)

func keySpec(t *testing.T, p int) pipeline.Spec {
	t.Helper()
	wf := &domain.Workflow{ID: "wf", Blueprint: domain.Blueprint{Settings: domain.BlueprintSettings{Channel: domain.ChannelSettings{Class: domain.ClassStandard}}}}
	spec := pipeline.SpecFor(wf, &domain.Run{ID: "run", Options: domain.RunOptions{KeyRotationSeconds: 60}}, p)
	if spec.KeyDir == "" {
		t.Fatal("no key directory")
	}
	return spec
}

// TestKeyRotation: the first segment gets key 0, written to the directory
// the origin serves keys from before the packager names it; the key stays
// until the clock has moved by the interval, then key 1 comes, and key 0
// stays on disk for the start-over window.
func TestKeyRotation(t *testing.T) {
	data := t.TempDir()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r, err := newKeyRotator(data, keySpec(t, 1), clock.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	k0, err := r.Current()
	if err != nil || k0.URI != "/live/wf/1/keys/0.key" {
		t.Fatalf("first key: %q %v", k0.URI, err)
	}
	file0 := filepath.Join(data, "live/wf/1/keys/0.key")
	if b, err := os.ReadFile(file0); err != nil || !bytes.Equal(b, k0.Bytes[:]) {
		t.Fatalf("key 0 on disk: %x %v, want %x", b, err, k0.Bytes)
	}
	if st, _ := os.Stat(file0); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode())
	}

	clock.Advance(59 * time.Second)
	if k, _ := r.Current(); k != k0 {
		t.Fatalf("rotated early to %s", k.URI)
	}
	clock.Advance(time.Second)
	k1, err := r.Current()
	if err != nil || k1.URI != "/live/wf/1/keys/1.key" || k1.Bytes == k0.Bytes {
		t.Fatalf("second key: %q %x (first %x) %v", k1.URI, k1.Bytes, k0.Bytes, err)
	}
	if b, _ := os.ReadFile(file0); !bytes.Equal(b, k0.Bytes[:]) {
		t.Fatal("the first key is gone or changed")
	}
	if m, _ := filepath.Glob(filepath.Join(data, "live/wf/1/keys/.*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}

	// A rotation that cannot write its key keeps the current one.
	dir := filepath.Join(data, "live/wf/1/keys")
	os.RemoveAll(dir)
	os.WriteFile(dir, nil, 0o600)
	clock.Advance(time.Minute)
	if k, err := r.Current(); err != nil || k != k1 {
		t.Fatalf("after a failed rotation: %q %v, want key 1 still", k.URI, err)
	}
}

// TestKeyRotationResumes: after a server restart the keys go on from the last
// one on disk, which the playlists still name, instead of overwriting key 0.
func TestKeyRotationResumes(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "live/wf/0/keys")
	os.MkdirAll(dir, 0o700)
	for _, f := range []string{"0.key", "1.key", "7.key", "9.key.tmp", "keyinfo"} {
		os.WriteFile(filepath.Join(dir, f), []byte("0123456789abcdef"), 0o600)
	}
	r, err := newKeyRotator(data, keySpec(t, 0), time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := r.Current(); err != nil || k.URI != "/live/wf/0/keys/8.key" {
		t.Fatalf("resumed at %q (%v), want key 8", k.URI, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "7.key")); string(b) != "0123456789abcdef" {
		t.Fatal("an old key was overwritten")
	}
}

// TestNoKeyNoSegment: without any key (the directory cannot be written),
// Current fails, and the packager lists no segment in the clear.
func TestNoKeyNoSegment(t *testing.T) {
	data := t.TempDir()
	r, err := newKeyRotator(data, keySpec(t, 0), time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, "live/wf/0/keys")
	os.RemoveAll(dir)
	os.WriteFile(dir, nil, 0o600)
	if k, err := r.Current(); err == nil {
		t.Fatalf("a key (%q) with nowhere to write it", k.URI)
	}
}
