// Package storage is where onair keeps what outlives a run: the archives and
// their clips, and the live HLS it pushes to a bucket. Two implementations
// share one seam: the data directory (the default) and an S3-compatible
// bucket.
//
// Keys are slash paths laid out as the data directory is (archive/<wf>/<run>/…,
// live/<wf>/…). Recording always goes to the data directory first, where the
// recorder writes each access unit through to its file; with a bucket, a
// Mirror copies each segment up as soon as it closes, so that a crash loses
// only what had not closed, and what a reader asks for is found in the data
// directory while the run records and in the bucket afterwards (Layered).
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"onair/internal/domain"
)

// Storage keeps objects under keys.
type Storage interface {
	// Put writes an object whole, replacing any under the key.
	Put(ctx context.Context, key string, body io.Reader, size int64, meta Meta) error
	// PutFile writes a file of the local disk as an object, in parts when it
	// is large, so that its size never has to fit in memory.
	PutFile(ctx context.Context, key, file string, meta Meta) error
	// Open reads an object; the caller closes it.
	Open(ctx context.Context, key string) (Object, error)
	// Stat describes an object; an error matching ErrNotFound when there is none.
	Stat(ctx context.Context, key string) (Info, error)
	// List is every object under a key prefix ("a/b/" lists a/b's tree),
	// sorted by key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes objects; a key with no object is not an error.
	Delete(ctx context.Context, keys ...string) error
	// SignedURL is a URL that reads the object without credentials until
	// ttl has passed; ErrUnsupported for the data directory.
	SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// Location names an object for a person: a path, or s3://bucket/key.
	Location(key string) string
	// Check says whether onair can write here, with an error a person can
	// act on ("S3: access denied to bucket …").
	Check(ctx context.Context) error
}

// Object is an object being read: a file, or a bucket's object read in
// ranges as the caller seeks.
type Object interface {
	io.ReadSeekCloser
	io.ReaderAt
	Info() Info
}

// Info describes an object.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Meta is how an object is served: its Content-Type and Cache-Control.
type Meta struct {
	ContentType  string
	CacheControl string
}

// ErrNotFound is what reads of a missing object match.
var ErrNotFound = errors.New("no such object")

// ErrUnsupported is what SignedURL returns where objects cannot be signed.
var ErrUnsupported = errors.New("not supported by this storage")

// Local is the data directory's storage: the default.
const Local = "local"

// Location is parsed storage configuration: the data directory, or a bucket
// and the key prefix under which onair's objects go.
type Location struct {
	Bucket string // "" for the data directory
	Prefix string // without a leading or trailing slash
}

// ParseLocation reads --storage or an archive group's bucket: "" or
// "local" for the data directory, s3://bucket[/prefix] for a bucket.
func ParseLocation(raw string) (Location, error) {
	if raw == "" || raw == Local {
		return Location{}, nil
	}
	shown := domain.MaskURL(raw) // never a password in a message
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return Location{}, fmt.Errorf("%q is neither %q nor s3://bucket/prefix", shown, Local)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Location{}, fmt.Errorf("%q: an s3:// location is a bucket and a prefix only; the endpoint and credentials are the server's", shown)
	}
	if !domain.ValidBucketName(u.Host) {
		return Location{}, fmt.Errorf("%q: %q is not a bucket name (3-63 lower-case letters, digits, '.' and '-')", shown, u.Host)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" && path.Clean(prefix) != prefix || strings.Contains(prefix, "..") {
		return Location{}, fmt.Errorf("%q: the prefix must be a clean path", shown)
	}
	return Location{Bucket: u.Host, Prefix: prefix}, nil
}

// String is the location as ParseLocation reads it.
func (l Location) String() string {
	if l.Bucket == "" {
		return Local
	}
	return "s3://" + path.Join(l.Bucket, l.Prefix)
}

// IsBucket reports whether the location is a bucket.
func (l Location) IsBucket() bool { return l.Bucket != "" }

// ReadAll reads a whole object, up to limit bytes.
func ReadAll(ctx context.Context, s Storage, key string, limit int64) ([]byte, error) {
	o, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	if o.Info().Size > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d read at most", s.Location(key), o.Info().Size, limit)
	}
	return io.ReadAll(io.LimitReader(o, limit))
}
