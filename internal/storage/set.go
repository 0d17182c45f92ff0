package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Set is the server's storage: the data directory, the default location
// of archives (--storage), and the buckets that blueprints name, each
// reached on the server's endpoint with its credentials.
type Set struct {
	Disk    *Disk
	Default Location
	// Downloads redirect to signed URLs of the bucket (true) instead of
	// going through onair; DownloadTTL is how long such a URL works.
	Redirect    bool
	DownloadTTL time.Duration

	s3 S3Config
	mu sync.Mutex
	// buckets by location, made on first use.
	buckets map[Location]*S3
}

// NewSet returns the server's storage; def is --storage.
func NewSet(disk *Disk, def Location, s3 S3Config) (*Set, error) {
	s := &Set{Disk: disk, Default: def, s3: s3, DownloadTTL: time.Hour, buckets: map[Location]*S3{}}
	if def.IsBucket() {
		if _, err := s.Bucket(def); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Bucket is the storage of a bucket location.
func (s *Set) Bucket(loc Location) (*S3, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[loc]; b != nil {
		return b, nil
	}
	b, err := NewS3(s.s3, loc)
	if err != nil {
		return nil, err
	}
	s.buckets[loc] = b
	return b, nil
}

// Remote is where archives recorded for a location go besides the data
// directory: nil for the data directory itself. loc's zero value is the
// default location.
func (s *Set) Remote(loc Location) (Storage, error) {
	if s == nil {
		if loc.IsBucket() {
			return nil, fmt.Errorf("storage: %s: this server has no S3 settings", loc)
		}
		return nil, nil
	}
	if !loc.IsBucket() {
		loc = s.Default
	}
	if !loc.IsBucket() {
		return nil, nil
	}
	return s.Bucket(loc)
}

// Archives is what readers of archives at a location see: the data
// directory, over the bucket when there is one.
func (s *Set) Archives(loc Location) (Storage, error) {
	remote, err := s.Remote(loc)
	if err != nil {
		return nil, err
	}
	return Over(s.Disk, remote), nil
}

// Check says whether each location can be written, before a run records
// into it.
func (s *Set) Check(ctx context.Context, locs ...Location) error {
	for _, loc := range locs {
		remote, err := s.Remote(loc)
		if err != nil {
			return err
		}
		if remote != nil {
			if err := remote.Check(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// ObjectURL is the HTTP address of an object at the server's endpoint,
// from its location (s3://bucket/key): what a player or a CDN reads when
// the bucket lets it. "" for a location that is not a bucket's.
func (s *Set) ObjectURL(location string) string {
	rest, ok := strings.CutPrefix(location, "s3://")
	if !ok {
		return ""
	}
	ep, err := endpointURL(s.s3.Endpoint)
	if err != nil {
		return ""
	}
	ep.Path = "/" + rest
	return ep.String()
}

// DefaultURL is the HTTP address of a key of the default location; "" when
// that is the data directory.
func (s *Set) DefaultURL(key string) string {
	if s == nil || !s.Default.IsBucket() {
		return ""
	}
	b, err := s.Bucket(s.Default)
	if err != nil {
		return ""
	}
	return b.URL(key)
}
