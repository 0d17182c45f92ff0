package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"onair/internal/clip"
	"onair/internal/domain"
	"onair/internal/openapi"
	"onair/internal/pipeline"
	"onair/internal/recorder"
	"onair/internal/storage"
	"onair/internal/store"
)

// SplitRequest is the body of POST /api/streams/{id}/split.
type SplitRequest struct {
	TimestampList []Section `json:"timestamp_list" doc:"Sections to cut, in seconds from the session's start."`
	SessionID     string    `json:"session_id" doc:"The session (current_session_id, or a key of archives_path)."`
	NameModifier  string    `json:"name_modifier,omitempty" doc:"Names the files index_<name_modifier>_<n>.m3u8; a UUID when absent."`
}

// Section is a part of a session's recording, in seconds from its start.
type Section struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// SplitResult answers a split: one VOD playlist and one MP4 per section.
type SplitResult struct {
	Indexes []string   `json:"indexes"`
	Clips   []ClipInfo `json:"clips"`
}

// ClipInfo is one section's files.
type ClipInfo struct {
	Index string  `json:"index"`
	MP4   string  `json:"mp4"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

func (s *Server) splitRoute() route {
	return route{openapi.Operation{
		Method: "POST", Path: "/api/streams/{id}/split", Tag: "Streams", OperationID: "splitStream",
		Summary: "Cut clips out of a session's recording",
		Description: "Works during the live session and after it. For each section it writes a VOD playlist of the archive " +
			"segments that overlap it and an MP4 of the section (stream copy), next to the session's archive.",
		Params:    []openapi.Param{idParam},
		Body:      SplitRequest{},
		Responses: responses(ok(SplitResult{}), append(append([]int{}, bodyErrs...), http.StatusNotFound)...),
	}, s.splitStream}
}

// splitStream answers once every playlist and MP4 is written: clipping is a
// stream copy, a fraction of a second for ten minutes of a small rendition.
func (s *Server) splitStream(w http.ResponseWriter, r *http.Request) error {
	// The stream first: another tenant's answers 404 whatever the body says.
	ctx := r.Context()
	st, err := s.Store.GetStream(ctx, s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	var body SplitRequest
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.SessionID == "" {
		return badRequest("session_id", "is required")
	}
	if _, ok := st.ArchivesPath[body.SessionID]; !ok {
		return badRequest("session_id", "stream %s has no session %q", st.ID, body.SessionID)
	}
	ch, err := s.Store.GetChannel(ctx, s.org(r), st.WorkflowID)
	if err != nil {
		return err
	}
	run, err := s.sessionRun(r, ch, body.SessionID)
	if err != nil {
		return err
	}
	// The recording of pipeline 0 (main), where the viewer endpoint comes from.
	archives := pipeline.SpecFor(&ch.Workflow, run, 0).Archives
	if len(archives) == 0 {
		return &domain.ConflictError{Message: "the stream's blueprint records no archive to split"}
	}
	a := archives[0]
	files, err := s.Storage.Archives(a.Location)
	if err != nil {
		return err
	}
	raw, err := storage.ReadAll(ctx, files, a.Playlist(), clip.MaxPlaylistBytes)
	if errors.Is(err, storage.ErrNotFound) {
		return badRequest("session_id", "session %s has no recording yet", body.SessionID)
	}
	if err != nil {
		return err
	}
	segs, _, err := clip.Parse(raw)
	if err != nil {
		return err
	}
	sections := make([]clip.Section, len(body.TimestampList))
	for i, t := range body.TimestampList {
		sections[i] = clip.Section{Start: t.Start, End: t.End}
	}
	clips, err := clip.Plan(segs, sections, body.NameModifier)
	if err != nil {
		return err
	}
	work, done, err := s.clipWorkdir(ctx, files, a.Dir, clips)
	if err != nil {
		return err
	}
	defer done()
	if err := clip.WritePlaylists(work, clips); err != nil {
		return err
	}
	out := SplitResult{Indexes: []string{}, Clips: []ClipInfo{}}
	base := s.PublicURL + "/" + a.Dir + "/"
	if a.Location.IsBucket() {
		base = s.Storage.ObjectURL(files.Location(a.Dir)) + "/"
	}
	for _, c := range clips {
		if err := clip.MakeMP4(ctx, s.FFmpeg, work, c.Playlist, c.MP4, c.Offset, c.Length()); err != nil {
			return err
		}
		for _, name := range []string{c.Playlist, c.MP4} {
			key := path.Join(a.Dir, name)
			if err := files.PutFile(ctx, key, filepath.Join(work, name), storage.MediaMeta(key)); err != nil {
				return err
			}
		}
		out.Indexes = append(out.Indexes, base+c.Playlist)
		out.Clips = append(out.Clips, ClipInfo{Index: base + c.Playlist, MP4: base + c.MP4, Start: c.Section.Start, End: c.Section.End})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// clipWorkdir is the directory clips of an archive are cut in: the
// archive's own in the data directory, where its segments are while it
// records (and for good without a bucket); else a temporary one, into which
// only the segments the clips take are read from the bucket. done removes
// a temporary directory.
func (s *Server) clipWorkdir(ctx context.Context, st storage.Storage, dir string, clips []clip.Clip) (string, func(), error) {
	local := s.Storage.Disk
	if _, err := local.Stat(ctx, path.Join(dir, recorder.Playlist)); err == nil {
		return local.Path(dir), func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "onair-clip-")
	if err != nil {
		return "", nil, err
	}
	done := func() { os.RemoveAll(tmp) }
	fetched := map[string]bool{}
	for _, c := range clips {
		segs, _, err := clip.Parse(c.Body)
		if err != nil {
			done()
			return "", nil, err
		}
		for _, g := range segs {
			if fetched[g.URI] {
				continue
			}
			fetched[g.URI] = true
			if err := fetch(ctx, st, path.Join(dir, g.URI), filepath.Join(tmp, g.URI)); err != nil {
				done()
				return "", nil, err
			}
		}
	}
	return tmp, done, nil
}

// fetch copies an object to a file.
func fetch(ctx context.Context, st storage.Storage, key, file string) error {
	o, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer o.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sessionRun finds the run a session is: the workflow's current run, or an
// earlier one in its history.
func (s *Server) sessionRun(r *http.Request, ch domain.Channel, sessionID string) (*domain.Run, error) {
	if ch.Run != nil && ch.Run.ID == sessionID {
		return ch.Run, nil
	}
	for next := ""; ; {
		page, err := s.Store.ListRuns(r.Context(), s.org(r), storeRunFilter(ch.Workflow.ID, next))
		if err != nil {
			return nil, err
		}
		for i := range page.Items {
			if page.Items[i].ID == sessionID {
				return &page.Items[i], nil
			}
		}
		if page.Next == "" {
			return nil, badRequest("session_id", "no run %q of this stream", sessionID)
		}
		next = page.Next
	}
}

func storeRunFilter(workflowID, cursor string) store.RunFilter {
	return store.RunFilter{WorkflowID: workflowID, Limit: store.MaxLimit, Cursor: cursor}
}
