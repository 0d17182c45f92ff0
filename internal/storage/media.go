package storage

import (
	"path"
	"strings"
)

// mediaTypes are the media files onair serves and stores, with their
// content types.
var mediaTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".ts":   "video/mp2t",
	".mp4":  "video/mp4",
	".m4s":  "video/iso.segment",
	".aac":  "audio/aac",
	".vtt":  "text/vtt; charset=utf-8",
	".key":  "application/octet-stream",
}

// Cache lifetimes: playlists change every segment, segments never change, an
// archive's MP4 is final once its run is DONE. A key never changes either, but
// it is what the encryption rests on: a shared cache or CDN that kept it would
// hand it to whoever reaches the cache, the very path the segments travel, and
// a browser's disk cache would keep it past the run. Players hold the keys they
// use in memory, so no-store costs one 16-byte request per key per player.
const (
	playlistCache = "no-cache"
	segmentCache  = "public, max-age=31536000, immutable"
	mp4Cache      = "public, max-age=3600"
	keyCache      = "no-store"
)

// MediaMeta is how a media file is served, by its key: its content type
// ("" for a file that is not media) and cache policy.
func MediaMeta(key string) Meta {
	ext := path.Ext(key)
	m := Meta{ContentType: mediaTypes[ext]}
	switch ext {
	case ".m3u8":
		m.CacheControl = playlistCache
	case ".mp4":
		m.CacheControl = mp4Cache
		// An archive's directory may be named with a "live" in it
		// (ArchiveDir): its MP4 is still an archive's.
		if strings.HasPrefix(key, "live/") || strings.Contains(key, "/live/") && !strings.HasPrefix(key, "archive/") {
			// A live CMAF init section, named by its content: it never changes.
			m.CacheControl = segmentCache
		}
	case ".key":
		m.CacheControl = keyCache
	default:
		m.CacheControl = segmentCache
	}
	return m
}
