package api

import (
	"path"
	"strings"

	"onair/internal/domain"
	"onair/internal/pipeline"
)

// archiveURLs are where an archive is played and downloaded. An archive in
// the server's storage, the data directory or its bucket, is served under
// /archive/ as ever; one in a bucket of its own (a blueprint archive
// group's) is read from that bucket, and has no MP4 (no merge there).
func (s *Server) archiveURLs(a domain.Archive) (playlist, download string) {
	if a.Location != "" && !s.inDefaultStorage(a.Location) {
		return s.Storage.ObjectURL(a.Location), ""
	}
	if a.Playlist != "" {
		playlist = s.PublicURL + "/" + pipeline.ArchiveRoot + "/" + a.Playlist
	}
	if a.MP4 != "" && a.FileSize > 0 {
		download = s.PublicURL + "/" + pipeline.ArchiveRoot + "/" + a.MP4
	}
	return playlist, download
}

// inDefaultStorage reports whether a location (s3://bucket/key) is in the
// server's default storage bucket.
func (s *Server) inDefaultStorage(location string) bool {
	return s.Storage != nil && s.Storage.Default.IsBucket() && strings.HasPrefix(location, s.Storage.Default.String()+"/")
}

// archivesRoot is the Streams API's archive root: the bucket's archive/ as
// s3://bucket/prefix/archive, as the trackit document shows archives_path,
// or "" for the data directory, whose paths are relative to archive/.
func (s *Server) archivesRoot() string {
	if s.Storage == nil || !s.Storage.Default.IsBucket() {
		return ""
	}
	return s.Storage.Default.String() + "/" + pipeline.ArchiveRoot
}

// archivesPath renders a stream's archive directories as its answer shows
// them: under the bucket's archive root when there is one.
func (s *Server) archivesPath(dirs map[string]string) map[string]string {
	out := make(map[string]string, len(dirs))
	root := s.archivesRoot()
	for k, v := range dirs {
		if root != "" {
			v = root + "/" + v
		}
		out[k] = v
	}
	return out
}

// streamPath reads the path of a stream start: relative to the archive root,
// or, with a bucket, s3://bucket/prefix/archive/<path>.
func (s *Server) streamPath(p string) (string, error) {
	if !strings.HasPrefix(p, "s3://") {
		return p, nil
	}
	root := s.archivesRoot()
	rel, ok := strings.CutPrefix(p, root+"/")
	if root == "" || !ok {
		where := "this server keeps archives on its disk: give path relative to its archive directory"
		if root != "" {
			where = "give it under " + root + "/"
		}
		return "", badRequest("path", "%s is not in the server's archive storage: %s", p, where)
	}
	return rel, nil
}

// storagePreview is the preview of a channel that pushes its HLS to the
// server's storage: the CDN in front of the bucket, or the bucket itself.
func (s *Server) storagePreview(workflowID string) string {
	key := path.Join(pipeline.LiveRoot, workflowID, "0", pipeline.LivePlaylist)
	if s.CDNBaseURL != "" {
		return strings.TrimRight(s.CDNBaseURL, "/") + "/" + key
	}
	return s.Storage.DefaultURL(key)
}
