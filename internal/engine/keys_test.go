package engine

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
	if spec.KeyInfoFile == "" {
		t.Fatal("no key info file")
	}
	return spec
}

// keyInfo reads a key info file: the key's URI, its file, and the IV.
func keyInfo(t *testing.T, file string) (uri, keyFile, iv string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("key info %q", b)
	}
	return lines[0], lines[1], lines[2]
}

// TestKeyRotation: the first key exists once Start returns, a new one comes
// when the clock has moved by the interval and not before, each named by the
// key info file with its own IV, and the old keys stay.
func TestKeyRotation(t *testing.T) {
	data := t.TempDir()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	spec := keySpec(t, 1)
	r, err := newKeyRotator(data, spec, clock.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.rotate(); err != nil { // what Start does before it starts the goroutine
		t.Fatal(err)
	}
	info := filepath.Join(data, "live/wf/1/keys/keyinfo")
	uri0, file0, iv0 := keyInfo(t, info)
	if uri0 != "/live/wf/1/keys/0.key" || file0 != filepath.Join(data, "live/wf/1/keys/0.key") {
		t.Fatalf("first key: %s %s", uri0, file0)
	}
	if b, err := hex.DecodeString(iv0); err != nil || len(b) != 16 {
		t.Fatalf("IV %q", iv0)
	}
	key0, err := os.ReadFile(file0)
	if err != nil || len(key0) != 16 {
		t.Fatalf("key 0: %v %d bytes", err, len(key0))
	}

	clock.Advance(59 * time.Second)
	if wait := r.tick(); wait != time.Second {
		t.Fatalf("before the interval: wait %v", wait)
	}
	if uri, _, _ := keyInfo(t, info); uri != uri0 {
		t.Fatalf("rotated early to %s", uri)
	}
	clock.Advance(time.Second)
	if wait := r.tick(); wait != time.Minute {
		t.Fatalf("after rotating: wait %v", wait)
	}
	uri1, file1, iv1 := keyInfo(t, info)
	if uri1 != "/live/wf/1/keys/1.key" || iv1 == iv0 {
		t.Fatalf("second key: %s IV %s", uri1, iv1)
	}
	key1, _ := os.ReadFile(file1)
	if len(key1) != 16 || bytes.Equal(key0, key1) {
		t.Fatalf("second key %x, first %x", key1, key0)
	}
	if b, _ := os.ReadFile(file0); !bytes.Equal(b, key0) {
		t.Fatal("the first key is gone or changed")
	}
	if st, _ := os.Stat(file1); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode())
	}
	if m, _ := filepath.Glob(filepath.Join(data, "live/wf/1/keys/*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
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
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	r.Stop() // stopping twice is harmless
	if uri, _, _ := keyInfo(t, filepath.Join(dir, "keyinfo")); uri != "/live/wf/0/keys/8.key" {
		t.Fatalf("resumed at %s, want key 8", uri)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "7.key")); string(b) != "0123456789abcdef" {
		t.Fatal("an old key was overwritten")
	}
}
