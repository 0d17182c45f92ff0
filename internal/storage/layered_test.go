package storage_test

import (
	"errors"
	"os"
	"slices"
	"testing"

	"onair/internal/storage"
)

// TestLayered: readers see the data directory over the bucket, the way
// an archive is read while a run records it and after.
func TestLayered(t *testing.T) {
	srv := startS3(t)
	d, _ := newDisk(t)
	remote := newS3(t, srv, "s3://"+bucket+"/site")
	l := storage.Over(d, remote)
	if storage.Over(d, nil) != storage.Storage(d) {
		t.Error("Over(disk, nil) is not the disk")
	}
	ctx := t.Context()
	const dir = "archive/wf/run/main/"
	put(t, d, dir+"index.m3u8", "on disk: the newest playlist")
	put(t, remote, dir+"index.m3u8", "in the bucket")
	put(t, d, dir+"seg_000002.ts", "just closed")
	put(t, remote, dir+"seg_000000.ts", "uploaded")
	put(t, remote, dir+"seg_000001.ts", "uploaded too")

	for key, want := range map[string]string{
		dir + "index.m3u8":    "on disk: the newest playlist",
		dir + "seg_000002.ts": "just closed",
		dir + "seg_000000.ts": "uploaded",
	} {
		if got := read(t, l, key); got != want {
			t.Errorf("Open %s = %q, want %q", key, got, want)
		}
		if st, err := l.Stat(ctx, key); err != nil || st.Size != int64(len(want)) {
			t.Errorf("Stat %s = %+v, %v; want size %d", key, st, err, len(want))
		}
	}
	if _, err := l.Open(ctx, dir+"seg_000009.ts"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open of a key in neither: %v, want ErrNotFound", err)
	}
	if _, err := l.Stat(ctx, dir+"seg_000009.ts"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat of a key in neither: %v, want ErrNotFound", err)
	}

	got, err := l.List(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{dir + "index.m3u8", dir + "seg_000000.ts", dir + "seg_000001.ts", dir + "seg_000002.ts"}
	if !slices.Equal(keys(got), want) {
		t.Errorf("List = %q, want %q (each key once)", keys(got), want)
	}
	if len(got) > 0 && got[0].Size != int64(len("on disk: the newest playlist")) {
		t.Errorf("List: the playlist's size %d, want the disk's", got[0].Size)
	}

	// Writes go to the bucket, not to the data directory.
	put(t, l, dir+"clip.mp4", "a clip")
	if _, err := os.Stat(d.Path(dir + "clip.mp4")); !os.IsNotExist(err) {
		t.Errorf("Put wrote the data directory: %v", err)
	}
	if got := read(t, remote, dir+"clip.mp4"); got != "a clip" {
		t.Errorf("Put: the bucket holds %q", got)
	}
	if l.Location(dir+"clip.mp4") != "s3://archives/site/"+dir+"clip.mp4" {
		t.Errorf("Location = %s", l.Location(dir+"clip.mp4"))
	}
	if err := l.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}

	// Delete removes a key from both.
	if err := l.Delete(ctx, dir+"index.m3u8"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Stat(ctx, dir+"index.m3u8"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after Delete: %v, want ErrNotFound in both", err)
	}
}
