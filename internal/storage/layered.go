package storage

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
)

// Layered is what readers of archives see when a bucket keeps them: the
// data directory, where a run records, over the bucket, where what it
// recorded goes. Reads find a key in the data directory first (the segment
// just closed, not uploaded yet), then in the bucket; writes go to the
// bucket.
type Layered struct {
	Disk   *Disk
	Remote Storage
}

// Over is the storage readers of the data directory's archives use: the
// disk alone, or the disk over remote.
func Over(disk *Disk, remote Storage) Storage {
	if remote == nil {
		return disk
	}
	return &Layered{Disk: disk, Remote: remote}
}

func (l *Layered) Put(ctx context.Context, key string, body io.Reader, size int64, meta Meta) error {
	return l.Remote.Put(ctx, key, body, size, meta)
}

func (l *Layered) PutFile(ctx context.Context, key, file string, meta Meta) error {
	return l.Remote.PutFile(ctx, key, file, meta)
}

func (l *Layered) Open(ctx context.Context, key string) (Object, error) {
	o, err := l.Disk.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return l.Remote.Open(ctx, key)
	}
	return o, err
}

func (l *Layered) Stat(ctx context.Context, key string) (Info, error) {
	i, err := l.Disk.Stat(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return l.Remote.Stat(ctx, key)
	}
	return i, err
}

// List is the union of both, the disk's version of a key where both have it.
func (l *Layered) List(ctx context.Context, prefix string) ([]Info, error) {
	remote, err := l.Remote.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	disk, err := l.Disk.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := append(disk, remote...)
	slices.SortStableFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(out, func(a, b Info) bool { return a.Key == b.Key }), nil
}

func (l *Layered) Delete(ctx context.Context, keys ...string) error {
	return errors.Join(l.Disk.Delete(ctx, keys...), l.Remote.Delete(ctx, keys...))
}

func (l *Layered) SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return l.Remote.SignedURL(ctx, key, ttl)
}

func (l *Layered) Location(key string) string { return l.Remote.Location(key) }

func (l *Layered) Check(ctx context.Context) error { return l.Remote.Check(ctx) }
