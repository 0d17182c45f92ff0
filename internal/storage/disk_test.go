package storage_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"onair/internal/storage"
)

func newDisk(t *testing.T) (*storage.Disk, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func put(t *testing.T, s storage.Storage, key, body string) {
	t.Helper()
	if err := s.Put(t.Context(), key, strings.NewReader(body), int64(len(body)), storage.MediaMeta(key)); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

func read(t *testing.T, s storage.Storage, key string) string {
	t.Helper()
	b, err := storage.ReadAll(t.Context(), s, key, 1<<30)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return string(b)
}

func keys(infos []storage.Info) []string {
	var out []string
	for _, i := range infos {
		out = append(out, i.Key)
	}
	return out
}

func TestDiskReadWrite(t *testing.T) {
	d, dir := newDisk(t)
	ctx := t.Context()
	put(t, d, "archive/wf/run/main/index.m3u8", "#EXTM3U\n")
	if b, err := os.ReadFile(filepath.Join(dir, "archive/wf/run/main/index.m3u8")); err != nil || string(b) != "#EXTM3U\n" {
		t.Fatalf("the file Put wrote = %q, %v", b, err)
	}
	if got := d.Path("archive/wf/run/main/index.m3u8"); got != filepath.Join(dir, "archive/wf/run/main/index.m3u8") {
		t.Errorf("Path = %s", got)
	}
	if got := d.Location("archive/x"); got != filepath.Join(dir, "archive/x") {
		t.Errorf("Location = %s", got)
	}
	put(t, d, "archive/wf/run/main/index.m3u8", "#EXTM3U\n#EXT-X-ENDLIST\n") // replaces
	if got := read(t, d, "archive/wf/run/main/index.m3u8"); got != "#EXTM3U\n#EXT-X-ENDLIST\n" {
		t.Errorf("after a second Put: %q", got)
	}

	// A size that does not match what the body holds leaves nothing.
	err := d.Put(ctx, "archive/short", strings.NewReader("abc"), 5, storage.Meta{})
	if err == nil || !strings.Contains(err.Error(), "3 bytes written, 5 expected") {
		t.Errorf("Put of 3 bytes as 5: %v", err)
	}
	if _, err := d.Stat(ctx, "archive/short"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after a failed Put: %v, want ErrNotFound", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "archive")); len(ents) != 1 {
		t.Errorf("a failed Put left files: %v", ents)
	}

	st, err := d.Stat(ctx, "archive/wf/run/main/index.m3u8")
	if err != nil || st.Size != 23 || st.Key != "archive/wf/run/main/index.m3u8" || st.Modified.IsZero() {
		t.Errorf("Stat = %+v, %v", st, err)
	}

	o, err := d.Open(ctx, "archive/wf/run/main/index.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Info().Size != 23 {
		t.Errorf("Info().Size = %d", o.Info().Size)
	}
	if _, err := o.Seek(8, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(o, b); err != nil || string(b) != "#EXT" {
		t.Errorf("read after Seek(8) = %q, %v", b, err)
	}
	if _, err := o.ReadAt(b, 1); err != nil || string(b) != "EXTM" {
		t.Errorf("ReadAt(1) = %q, %v", b, err)
	}

	for _, k := range []string{"archive/missing.ts", "nothing/here", "archive/wf"} { // a directory is no object
		if _, err := d.Open(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open %s: %v, want ErrNotFound", k, err)
		}
		if _, err := d.Stat(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat %s: %v, want ErrNotFound", k, err)
		}
	}
	if _, err := d.SignedURL(ctx, "archive/wf/run/main/index.m3u8", 0); !errors.Is(err, storage.ErrUnsupported) {
		t.Errorf("SignedURL: %v, want ErrUnsupported", err)
	}
	if err := d.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".storage-check")); !os.IsNotExist(err) {
		t.Errorf("Check left its probe: %v", err)
	}
}

func TestDiskList(t *testing.T) {
	d, dir := newDisk(t)
	for _, k := range []string{
		"archive/wf/run/main/seg_000001.ts",
		"archive/wf/run/main/seg_000000.ts",
		"archive/wf/run/main/index.m3u8",
		"archive/wf/run/main.mp4",
		"archive/wf/run/mainly/seg_000000.ts",
		"archive/wf/other/main/seg_000000.ts",
		"live/wf/0/index.m3u8",
		"top.txt",
	} {
		put(t, d, k, k)
	}
	// What is being written: the recorder's and clip.WriteFile's temporary
	// files, which no reader is to see.
	for _, f := range []string{"archive/wf/run/main/.index.m3u8.123.tmp", "archive/wf/run/main/.seg_000002.ts.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"archive/wf/run/main/", []string{
			"archive/wf/run/main/index.m3u8", "archive/wf/run/main/seg_000000.ts", "archive/wf/run/main/seg_000001.ts"}},
		{"archive/wf/run/main", []string{ // a name prefix: main.mp4 and mainly/ too
			"archive/wf/run/main.mp4", "archive/wf/run/main/index.m3u8", "archive/wf/run/main/seg_000000.ts",
			"archive/wf/run/main/seg_000001.ts", "archive/wf/run/mainly/seg_000000.ts"}},
		{"archive/wf/run/main/seg_", []string{"archive/wf/run/main/seg_000000.ts", "archive/wf/run/main/seg_000001.ts"}},
		{"archive/wf/", []string{
			"archive/wf/other/main/seg_000000.ts", "archive/wf/run/main.mp4", "archive/wf/run/main/index.m3u8",
			"archive/wf/run/main/seg_000000.ts", "archive/wf/run/main/seg_000001.ts", "archive/wf/run/mainly/seg_000000.ts"}},
		{"to", []string{"top.txt"}},
		{"", []string{ // everything
			"archive/wf/other/main/seg_000000.ts", "archive/wf/run/main.mp4", "archive/wf/run/main/index.m3u8",
			"archive/wf/run/main/seg_000000.ts", "archive/wf/run/main/seg_000001.ts", "archive/wf/run/mainly/seg_000000.ts",
			"live/wf/0/index.m3u8", "top.txt"}},
		{"archive/none/", nil},
		{"nowhere/at/all", nil},
	}
	for _, c := range cases {
		got, err := d.List(t.Context(), c.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", c.prefix, err)
			continue
		}
		if !slices.Equal(keys(got), c.want) {
			t.Errorf("List(%q) = %q, want %q", c.prefix, keys(got), c.want)
		}
		for _, i := range got {
			if i.Size != int64(len(i.Key)) || i.Modified.IsZero() {
				t.Errorf("List(%q): %+v, want size %d and a time", c.prefix, i, len(i.Key))
			}
		}
	}
}

func TestDiskDelete(t *testing.T) {
	d, dir := newDisk(t)
	ctx := t.Context()
	put(t, d, "archive/wf/run/main/seg_000000.ts", "a")
	put(t, d, "archive/wf/run/main/index.m3u8", "b")
	put(t, d, "archive/wf/keep/main/index.m3u8", "c")

	if err := d.Delete(ctx, "archive/wf/run/main/seg_000000.ts"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "archive/wf/run/main/index.m3u8")); err != nil {
		t.Fatalf("a file next to the deleted one: %v", err)
	}
	// The last file of a tree: its emptied directories go, up to archive/.
	if err := d.Delete(ctx, "archive/wf/run/main/index.m3u8", "archive/wf/run/main/absent.ts"); err != nil {
		t.Fatalf("Delete of a present and an absent key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "archive/wf/run")); !os.IsNotExist(err) {
		t.Errorf("archive/wf/run after its last file went: %v, want it removed", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "archive/wf/keep/main/index.m3u8")); err != nil {
		t.Errorf("another run's archive: %v", err)
	}
	if err := d.Delete(ctx, "archive/wf/keep/main/index.m3u8"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "archive")); err != nil || !st.IsDir() {
		t.Errorf("archive/ once empty: %v, want it kept", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "archive/wf")); !os.IsNotExist(err) {
		t.Errorf("archive/wf once empty: %v, want it removed", err)
	}
	// A top-level file: the data directory stays.
	put(t, d, "top.txt", "x")
	if err := d.Delete(ctx, "top.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the data directory: %v", err)
	}
}

// TestDiskEscape: no key leads outside the data directory, by ".." or by
// a symlink.
func TestDiskEscape(t *testing.T) {
	d, dir := newDisk(t)
	ctx := t.Context()
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, secret)
	if err != nil {
		t.Fatal(err)
	}
	rel = filepath.ToSlash(rel)
	put(t, d, "archive/keep", "x") // so that archive/.. resolves, and leads out
	for _, k := range []string{rel, "out/secret", "link", "archive/../../x"} {
		if o, err := d.Open(ctx, k); err == nil {
			o.Close()
			t.Errorf("Open %s: no error", k)
		}
		if _, err := d.Stat(ctx, k); err == nil {
			t.Errorf("Stat %s: no error", k)
		}
		if k == "link" {
			continue // the link itself is in the directory: Put and Delete replace it, not what it names
		}
		if err := d.Put(ctx, k, strings.NewReader("pwned"), 5, storage.Meta{}); err == nil {
			t.Errorf("Put %s: no error", k)
		}
		if err := d.Delete(ctx, k); err == nil {
			t.Errorf("Delete %s: no error", k)
		}
	}
	if err := d.Put(ctx, "out/new", strings.NewReader("pwned"), 5, storage.Meta{}); err == nil {
		t.Error("Put through a symlinked directory: no error")
	}
	put(t, d, "link", "mine")
	if got := read(t, d, "link"); got != "mine" {
		t.Errorf("Put over a symlink, read back: %q", got)
	}
	if _, err := d.List(ctx, "../"); err == nil {
		t.Error("List(../): no error")
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "secret" {
		t.Errorf("the file outside = %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("files appeared outside: %v", ents)
	}
}

// TestDiskPutFile: a file is copied into place, and the key's own file (a
// clip made in the archive's directory) is left as it is, not copied over
// itself.
func TestDiskPutFile(t *testing.T) {
	d, _ := newDisk(t)
	ctx := t.Context()
	src := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(src, []byte("mp4 bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.PutFile(ctx, "archive/wf/run/clip.mp4", src, storage.MediaMeta("clip.mp4")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, d, "archive/wf/run/clip.mp4"); got != "mp4 bytes" {
		t.Errorf("after PutFile: %q", got)
	}

	own := d.Path("archive/wf/run/clip.mp4")
	before, err := os.Stat(own)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{own, filepath.Join(filepath.Dir(own), ".", "clip.mp4")} {
		if err := d.PutFile(ctx, "archive/wf/run/clip.mp4", file, storage.Meta{}); err != nil {
			t.Fatalf("PutFile of the key's own file %s: %v", file, err)
		}
	}
	after, err := os.Stat(own)
	if err != nil {
		t.Fatalf("the key's own file after PutFile: %v", err)
	}
	if !os.SameFile(before, after) {
		t.Error("PutFile of the key's own file replaced it, want it kept as it is")
	}
	if got := read(t, d, "archive/wf/run/clip.mp4"); got != "mp4 bytes" {
		t.Errorf("after PutFile of its own file: %q", got)
	}
	if err := d.PutFile(ctx, "archive/x.mp4", filepath.Join(t.TempDir(), "absent"), storage.Meta{}); err == nil {
		t.Error("PutFile of a missing file: no error")
	}
}

func TestReadAllLimit(t *testing.T) {
	d, _ := newDisk(t)
	put(t, d, "archive/big", "0123456789")
	if _, err := storage.ReadAll(context.Background(), d, "archive/big", 5); err == nil || !strings.Contains(err.Error(), "10 bytes, more than the 5") {
		t.Errorf("ReadAll over the limit: %v", err)
	}
}
