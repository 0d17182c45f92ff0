package storage_test

import (
	"strings"
	"testing"

	"onair/internal/domain"
	"onair/internal/storage"
)

func TestParseLocation(t *testing.T) {
	good := []struct {
		raw  string
		want storage.Location
		str  string // what String gives back
	}{
		{"", storage.Location{}, "local"},
		{"local", storage.Location{}, "local"},
		{"s3://bucket", storage.Location{Bucket: "bucket"}, "s3://bucket"},
		{"s3://bucket/", storage.Location{Bucket: "bucket"}, "s3://bucket"},
		{"s3://my.bucket-1/a/b/", storage.Location{Bucket: "my.bucket-1", Prefix: "a/b"}, "s3://my.bucket-1/a/b"},
	}
	for _, c := range good {
		got, err := storage.ParseLocation(c.raw)
		if err != nil || got != c.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", c.raw, got, err, c.want)
			continue
		}
		if got.IsBucket() != (c.want.Bucket != "") {
			t.Errorf("ParseLocation(%q).IsBucket() = %v", c.raw, got.IsBucket())
		}
		if s := got.String(); s != c.str {
			t.Errorf("ParseLocation(%q).String() = %q, want %q", c.raw, s, c.str)
		}
		// String is what ParseLocation reads.
		if back, err := storage.ParseLocation(got.String()); err != nil || back != got {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v back", got.String(), back, err, got)
		}
	}

	bad := []struct {
		raw, why string // why: what the message must say
	}{
		{"s3://", "is not a bucket name"},
		{"s3://UPPER", "is not a bucket name"},
		{"s3://ab", "is not a bucket name"},
		{"s3://-bucket", "is not a bucket name"},
		{"s3://bucket:9000/x", "is not a bucket name"},
		{"http://x", `neither "local" nor s3://bucket/prefix`},
		{"bucket", `neither "local" nor s3://bucket/prefix`},
		{"s3://b/../x", "is not a bucket name"}, // "b" is too short before the prefix is looked at
		{"s3://bucket/../x", "the prefix must be a clean path"},
		{"s3://bucket/a//b", "the prefix must be a clean path"},
		{"s3://bucket/a/./b", "the prefix must be a clean path"},
		{"s3://user@bucket/x", "a bucket and a prefix only"},
		{"s3://user:secret@bucket/x", "a bucket and a prefix only"},
		{"s3://bucket/x?y=1", "a bucket and a prefix only"},
		{"s3://bucket/x#y", "a bucket and a prefix only"},
	}
	for _, c := range bad {
		got, err := storage.ParseLocation(c.raw)
		if err == nil {
			t.Errorf("ParseLocation(%q) = %+v, want an error saying %q", c.raw, got, c.why)
			continue
		}
		if !strings.Contains(err.Error(), c.why) || !strings.Contains(err.Error(), domain.MaskURL(c.raw)) {
			t.Errorf("ParseLocation(%q) error %q, want it to quote the input (masked) and say %q", c.raw, err, c.why)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseLocation(%q) error %q shows the password", c.raw, err)
		}
	}
}

func TestMediaMeta(t *testing.T) {
	const (
		noCache   = "no-cache"
		immutable = "public, max-age=31536000, immutable"
		hour      = "public, max-age=3600"
	)
	cases := []struct {
		key, ctype, cache string
	}{
		{"archive/wf/run/main/index.m3u8", "application/vnd.apple.mpegurl", noCache},
		{"live/wf/0/index.m3u8", "application/vnd.apple.mpegurl", noCache},
		{"archive/wf/run/main/seg_000000.ts", "video/mp2t", immutable},
		{"archive/wf/run/main.mp4", "video/mp4", hour},
		// An archive directory that a run names itself may have a "live"
		// in it: its MP4 is still an archive's.
		{"archive/shows/live/2024/main.mp4", "video/mp4", hour},
		{"live/wf/0/init.mp4", "video/mp4", immutable},
		{"site/live/wf/0/init.mp4", "video/mp4", immutable},
		{"live/wf/0/seg_1.m4s", "video/iso.segment", immutable},
		{"live/wf/0/audio.aac", "audio/aac", immutable},
		{"live/wf/0/subs.vtt", "text/vtt; charset=utf-8", immutable},
		{"live/wf/0/k1.key", "application/octet-stream", "no-store"},
		{"archive/wf/run/main/mp4.json", "", immutable},
		{"archive/wf/run/notes", "", immutable},
	}
	for _, c := range cases {
		got := storage.MediaMeta(c.key)
		if got.ContentType != c.ctype || got.CacheControl != c.cache {
			t.Errorf("MediaMeta(%q) = %+v, want {ContentType:%q CacheControl:%q}", c.key, got, c.ctype, c.cache)
		}
	}
}
