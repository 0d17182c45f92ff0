package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Disk is the data directory as storage. Keys are opened through an
// os.Root, so that none leads outside it, not even through a symlink.
type Disk struct {
	dir  string
	root *os.Root
}

// NewDisk opens the data directory dir. Close releases it.
func NewDisk(dir string) (*Disk, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &Disk{dir: abs, root: root}, nil
}

// Close releases the directory.
func (d *Disk) Close() error { return d.root.Close() }

// Path is the file a key names.
func (d *Disk) Path(key string) string { return filepath.Join(d.dir, filepath.FromSlash(key)) }

// Put writes through a temporary file renamed into place, so that a reader
// never sees half of the object.
func (d *Disk) Put(ctx context.Context, key string, body io.Reader, size int64, _ Meta) error {
	if err := d.root.MkdirAll(path.Dir(key), 0o755); err != nil {
		return err
	}
	tmp := path.Join(path.Dir(key), "."+path.Base(key)+".tmp")
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%s: %d bytes written, %d expected", key, n, size)
	}
	if err == nil {
		err = d.root.Rename(tmp, key)
	}
	if err != nil {
		d.root.Remove(tmp)
	}
	return err
}

// PutFile copies the file into place; a file that already is the key's
// (a clip made in the archive's own directory) stays as it is.
func (d *Disk) PutFile(ctx context.Context, key, file string, meta Meta) error {
	if abs, err := filepath.Abs(file); err == nil && abs == d.Path(key) {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return d.Put(ctx, key, f, st.Size(), meta)
}

func (d *Disk) Open(ctx context.Context, key string) (Object, error) {
	f, err := d.root.Open(key)
	if err != nil {
		return nil, notFound(err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return &file{File: f, info: Info{Key: key, Size: st.Size(), Modified: st.ModTime()}}, nil
}

type file struct {
	*os.File
	info Info
}

func (f *file) Info() Info { return f.info }

func (d *Disk) Stat(ctx context.Context, key string) (Info, error) {
	st, err := d.root.Stat(key)
	if err != nil {
		return Info{}, notFound(err)
	}
	if !st.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

// List walks the directory tree the prefix names, or the files of its
// directory that start with it; temporary files are left out.
func (d *Disk) List(ctx context.Context, prefix string) ([]Info, error) {
	dir := prefix
	if !strings.HasSuffix(prefix, "/") {
		dir = path.Dir(prefix)
	}
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	var out []Info
	err := fs.WalkDir(d.root.FS(), dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		key := strings.TrimPrefix(p, "./")
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		out = append(out, Info{Key: key, Size: st.Size(), Modified: st.ModTime()})
		return nil
	})
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, err
}

// Delete removes the files, and the directories they leave empty up to the
// storage's top directories (archive/, live/).
func (d *Disk) Delete(ctx context.Context, keys ...string) error {
	var errs []error
	for _, k := range keys {
		if err := d.root.Remove(k); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		for dir := path.Dir(k); strings.Contains(dir, "/"); dir = path.Dir(dir) {
			if d.root.Remove(dir) != nil {
				break // not empty
			}
		}
	}
	return errors.Join(errs...)
}

func (d *Disk) SignedURL(context.Context, string, time.Duration) (string, error) {
	return "", ErrUnsupported
}

func (d *Disk) Location(key string) string { return d.Path(key) }

func (d *Disk) Check(ctx context.Context) error {
	probe := ".storage-check"
	if err := d.Put(ctx, probe, strings.NewReader("ok"), 2, Meta{}); err != nil {
		return fmt.Errorf("the data directory %s is not writable: %w", d.dir, err)
	}
	return d.root.Remove(probe)
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
