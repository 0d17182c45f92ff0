package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"onair/internal/catalog"
	"onair/internal/channels"
	"onair/internal/domain"
	"onair/internal/openapi"
)

// The Streams API, in the FrontMaster and trackit shapes. A stream is a
// STANDARD managed input (rtmp1 and rtmp2 are its main and backup endpoints)
// and a workflow that uses it, made from a blueprint switched to the STANDARD
// class; pipeline 0's HLS is the viewer endpoint. Each start is a run of that
// workflow: the session id is the run id, and the session records to its own
// directory under the archive root. Answers are 200 with the whole stream, as
// trackit's are.

func (s *Server) streamRoutes() []route {
	const tag = "Streams"
	body := func(extra ...int) []int { return append(append([]int{}, bodyErrs...), extra...) }
	stream := func(extra ...int) []openapi.Response {
		return responses(ok(StreamInfo{}), append([]int{http.StatusNotFound}, extra...)...)
	}
	return []route{
		{openapi.Operation{
			Method: "GET", Path: "/api/streams", Tag: tag, OperationID: "listStreams",
			Summary: "List streams", Description: "A bare JSON array, newest first.",
			Responses: responses(ok([]StreamInfo{})),
		}, s.listStreams},
		{openapi.Operation{
			Method: "POST", Path: "/api/streams", Tag: tag, OperationID: "createStream",
			Summary: "Create a stream",
			Description: "Creates a STANDARD managed input and a workflow (named like the stream, tagged stream) from the blueprint, " +
				"and answers the whole stream, with the RTMP endpoints to push to.",
			Body:      domain.StreamSpec{},
			Responses: responses(ok(StreamInfo{}), bodyErrs...),
		}, s.createStream},
		{openapi.Operation{
			Method: "GET", Path: "/api/streams/{id}", Tag: tag, OperationID: "getStream",
			Summary: "Get a stream", Params: []openapi.Param{idParam},
			Responses: stream(),
		}, s.getStream},
		{openapi.Operation{
			Method: "POST", Path: "/api/streams/{id}", Tag: tag, OperationID: "updateStream",
			Summary: "Update a stream's name and description",
			Description: "The body may be the whole stream, as GET answers it, with name or description edited: every other field is read-only, " +
				"and one that differs from what GET shows is a 400 naming it. A field the stream does not have is a 400 too.",
			Params:    []openapi.Param{idParam},
			Body:      StreamChange{},
			Responses: stream(bodyErrs...),
		}, s.updateStream},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/streams/{id}", Tag: tag, OperationID: "deleteStream",
			Summary: "Delete a stream",
			Description: "Stops the stream if it is started, waits for its last session to finish its archive, then deletes the stream with its " +
				"workflow (and the workflow's runs) and its managed input, whose endpoints stop taking publishers, and answers the stream's details. " +
				"The archives stay on disk and their URLs keep working: archives_path in the answer leads to them under /archive/. " +
				"409 when the last session is still finishing its archive after a while (the stop stays asked for: delete again in a moment), " +
				"or when another running workflow uses the stream's managed input.",
			Params:    []openapi.Param{idParam},
			Responses: stream(http.StatusConflict),
		}, s.deleteStream},
		{openapi.Operation{
			Method: "POST", Path: "/api/streams/{id}/start", Tag: tag, OperationID: "startStream",
			Summary: "Start a session",
			Description: "Starts a new session: current_session_id and archives_path[session id] are set. The body is optional. " +
				"409 while the stream is started, or stopped while its last session is still finishing its archive, " +
				"or when path overlaps an earlier session's directory.",
			Params:    []openapi.Param{idParam},
			Body:      domain.StreamStart{},
			Responses: stream(body(http.StatusConflict)...),
		}, s.startStream},
		{openapi.Operation{
			Method: "POST", Path: "/api/streams/{id}/stop", Tag: tag, OperationID: "stopStream",
			Summary:     "Stop the session",
			Description: "Sets last_stopped; started is false at once while the channel winds down. 409 when the stream is not started.",
			Params:      []openapi.Param{idParam},
			Responses:   stream(http.StatusConflict),
		}, s.stopStream},
		{openapi.Operation{
			Method: "POST", Path: "/api/streams/{id}/live", Tag: tag, OperationID: "associateStreamLive",
			Summary:     "Associate the stream with the live CDN",
			Description: "Sets cloudfront_associated. The CDN of the server's live domain pulls from the origin, so viewer_endpoint_cloudfront plays either way.",
			Params:      []openapi.Param{idParam},
			Responses:   stream(),
		}, s.setStreamLive(true)},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/streams/{id}/live", Tag: tag, OperationID: "dissociateStreamLive",
			Summary:   "Dissociate the stream from the live CDN",
			Params:    []openapi.Param{idParam},
			Responses: stream(),
		}, s.setStreamLive(false)},
	}
}

func (s *Server) listStreams(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Store.ListStreams(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	out := make([]StreamInfo, len(list))
	for i, st := range list {
		if out[i], err = s.streamInfo(r.Context(), st); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getStream(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Store.GetStream(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeStream(w, r, st)
}

func (s *Server) createStream(w http.ResponseWriter, r *http.Request) error {
	var spec domain.StreamSpec
	if err := decode(w, r, &spec); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	ctx, org, now := r.Context(), s.org(r), s.now()
	in := (&domain.ManagedInputSpec{Name: spec.Name, Class: domain.ClassStandard}).NewManagedInput(s.NewID(), org, s.Region, now)
	bp, err := s.streamBlueprint(ctx, org, spec.BlueprintID, in.ID)
	if err != nil {
		return err
	}
	if err := s.checkProfiles(ctx, org, "playout_profile_ids", spec.PlayoutProfileIDs); err != nil {
		return err
	}
	wspec := domain.WorkflowSpec{Name: spec.Name, Description: spec.Description, Blueprint: &bp, Tags: []string{"stream"},
		PlayoutProfileIDs: spec.PlayoutProfileIDs}
	if err := wspec.Validate(s.regions()); err != nil {
		return err
	}
	wf := domain.Workflow{ID: s.NewID(), OrgID: org, Status: domain.StatusReady, Created: now, Updated: now}
	wspec.Apply(&wf, s.Region)
	st := domain.Stream{
		ID: s.NewID(), OrgID: org, Name: spec.Name, Description: spec.Description, BlueprintID: bp.ID,
		WorkflowID: wf.ID, InputID: in.ID, SegmentLength: spec.ArchiveSegment(),
		StartoverWindowSeconds: domain.DefaultStartoverWindowSeconds, KeyRotationInterval: domain.DefaultKeyRotationInterval,
		ArchivesPath: map[string]string{}, LastUpdate: now, Created: now,
	}
	// Three rows in three tables: each step undoes the earlier ones when it fails.
	if err := s.Store.CreateManagedInput(ctx, in); err != nil {
		return err
	}
	if err := s.Store.CreateWorkflow(ctx, wf); err != nil {
		s.undo("managed input", in.ID, s.Store.DeleteManagedInput(ctx, org, in.ID))
		return err
	}
	if err := s.Store.CreateStream(ctx, st); err != nil {
		s.undo("workflow", wf.ID, s.Store.DeleteWorkflow(ctx, org, wf.ID, nil))
		s.undo("managed input", in.ID, s.Store.DeleteManagedInput(ctx, org, in.ID))
		return err
	}
	st, err = s.Store.GetStream(ctx, org, st.ID)
	if err != nil {
		return err
	}
	return s.writeStream(w, r, st)
}

func (s *Server) undo(kind, id string, err error) {
	if err != nil {
		s.log.Error("a stream's creation failed and its "+kind+" could not be removed", "id", id, "err", err)
	}
}

// streamBlueprint is the blueprint a new stream's workflow is made from, as a
// STANDARD channel on the stream's managed input.
func (s *Server) streamBlueprint(ctx context.Context, org, id, inputID string) (domain.Blueprint, error) {
	if id == "" {
		id = catalog.ABR1080
	}
	bp, ok := s.Catalog.Get(id)
	if !ok {
		var err error
		bp, err = s.Store.GetBlueprint(ctx, org, id)
		if errors.Is(err, domain.ErrNotFound) {
			return bp, badRequest("blueprint_id", "no blueprint %q; GET /api/blueprints lists them", id)
		}
		if err != nil {
			return bp, err
		}
	}
	bp.Settings.Channel.Class = domain.ClassStandard
	bp.Settings.Inputs = []domain.Input{{ManagedInput: &domain.ManagedInputRef{ID: inputID}}}
	if bp.Settings.OriginHLS() == nil {
		return bp, badRequest("blueprint_id", "blueprint %q has no HLS output to the origin, so a stream made from it has nothing to view", id)
	}
	if err := domain.ValidateBlueprint("blueprint", &bp); err != nil {
		return bp, badRequest("blueprint_id", "blueprint %q cannot run as a stream's STANDARD channel: %v", id, err)
	}
	return bp, nil
}

func (s *Server) updateStream(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), s.org(r)
	st, ch, err := s.streamAndChannel(r)
	if err != nil {
		return err
	}
	var change StreamChange
	body, err := readEdit[StreamInfo](w, r, &change)
	if err != nil {
		return err
	}
	shown, err := s.renderStream(ctx, st, ch)
	if err != nil {
		return err
	}
	if err := body.unchanged(shown); err != nil {
		return err
	}
	spec := domain.StreamSpec{Name: st.Name, Description: st.Description}
	if change.Name != nil {
		spec.Name = *change.Name
	}
	if change.Description != nil {
		spec.Description = *change.Description
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if change.PlayoutProfileIDs != nil {
		if err := s.checkProfiles(ctx, org, "playout_profile_ids", *change.PlayoutProfileIDs); err != nil {
			return err
		}
	}
	now := s.now()
	st, err = s.Store.UpdateStream(ctx, org, st.ID, func(st *domain.Stream) error {
		st.Name, st.Description, st.LastUpdate = spec.Name, spec.Description, now
		return nil
	})
	if err != nil {
		return err
	}
	// The workflow keeps the stream's name, so that /api/workflows shows it.
	_, err = s.Store.UpdateChannel(ctx, org, st.WorkflowID, func(ch *domain.Channel) error {
		ch.Workflow.Name, ch.Workflow.Description, ch.Workflow.Updated = spec.Name, spec.Description, now
		if change.PlayoutProfileIDs != nil {
			ch.Workflow.PlayoutProfileIDs = (&domain.WorkflowSpec{PlayoutProfileIDs: *change.PlayoutProfileIDs}).ProfileIDs()
		}
		return nil
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	return s.writeStream(w, r, st)
}

// deleteStream stops a started stream, waits for its last session to finish
// its archive, and deletes the stream with its workflow and managed input. The
// archives' files stay, and so do their URLs, which the answer's archives_path
// leads to: a recording outlives the channel that made it, as an S3 archive
// outlives its MediaLive channel.
func (s *Server) deleteStream(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), s.org(r)
	st, ch, err := s.streamAndChannel(r)
	if err != nil {
		return err
	}
	if domain.StreamStarted(ch) {
		if st, err = s.stop(ctx, st); err != nil {
			return err
		}
	}
	if ch != nil && ch.Workflow.Status.Active() {
		if ch, err = s.awaitSessionEnd(ctx, st); err != nil {
			return err
		}
	}
	// Rendered before the delete: the endpoints come from the managed input.
	info, err := s.renderStream(ctx, st, ch)
	if err != nil {
		return err
	}
	err = s.Store.DeleteStream(ctx, org, st.ID, func(wf domain.Workflow) error {
		if wf.Status.Active() { // started again meanwhile
			return &domain.ConflictError{Message: "stream " + st.ID + " was started again while it was being deleted; stop it and delete it again"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// sessionEndPoll is how often a delete looks at a stopping stream's channel.
const sessionEndPoll = 100 * time.Millisecond

// awaitSessionEnd waits for the last session of a stopped stream to end (its
// workflow no longer active) and returns the channel then. After StopWait it
// gives up with a 409 that says what the stream is waiting for.
func (s *Server) awaitSessionEnd(ctx context.Context, st domain.Stream) (*domain.Channel, error) {
	wait := s.StopWait
	if wait == 0 {
		wait = DefaultStopWait
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(sessionEndPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, domain.StreamFinishing(&st, "be deleted")
		case <-tick.C:
		}
		ch, err := s.streamChannel(ctx, st)
		if err != nil || ch == nil || !ch.Workflow.Status.Active() {
			return ch, err
		}
	}
}

func (s *Server) startStream(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), s.org(r)
	st, ch, err := s.streamAndChannel(r)
	if err != nil {
		return err
	}
	var body domain.StreamStart
	if err := decodeOptional(w, r, &body); err != nil {
		return err
	}
	if err := domain.StreamStartConflict(&st, ch); err != nil {
		return err
	}
	segment := 0
	if h := ch.Workflow.Blueprint.Settings.OriginHLS(); h != nil {
		segment = h.SegmentSeconds
	}
	if body.Path, err = s.streamPath(body.Path); err != nil {
		return err
	}
	opts, err := body.Resolve(segment)
	if err != nil {
		return err
	}
	now, session := s.now(), s.NewID()
	dir := opts.ArchiveDir
	if dir == "" {
		dir = domain.DefaultArchivePath(st.ID, now)
		if taken, err := s.Store.ArchivePathInUse(ctx, dir); err != nil {
			return err
		} else if taken { // a second start within the same second
			dir += "-" + session
		}
	} else if taken, err := s.Store.ArchivePathInUse(ctx, dir); err != nil {
		return err
	} else if taken {
		return &domain.ConflictError{Message: "path " + dir + " is, holds or lies in the archive directory of an earlier session; " +
			"choose another, or leave path out for a new one"}
	}
	// A copy of the service whose run id is the session id chosen here, so
	// that the session is exactly the run this start creates.
	svc := *s.channels
	svc.NewID = func() string { return session }
	err = svc.StartRun(ctx, org, st.WorkflowID, channels.StartOptions{Again: true, Run: domain.RunOptions{
		ArchiveDir: dir, WindowSeconds: opts.StartoverWindowSeconds,
		KeyRotationSeconds: opts.KeyRotationInterval, ArchiveSegmentSeconds: st.SegmentLength,
	}})
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ConflictError{Message: "stream " + st.ID + " cannot start: " + err.Error() + "; delete the stream and create it again"}
	}
	if err != nil {
		return err
	}
	st, err = s.Store.UpdateStream(ctx, org, st.ID, func(st *domain.Stream) error {
		st.ArchivesPath[session] = dir
		st.CurrentSessionID = session
		st.StartoverWindowSeconds, st.KeyRotationInterval = opts.StartoverWindowSeconds, opts.KeyRotationInterval
		st.LastStarted, st.LastUpdate = &now, now
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeStream(w, r, st)
}

func (s *Server) stopStream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st, ch, err := s.streamAndChannel(r)
	if err != nil {
		return err
	}
	if !domain.StreamStarted(ch) {
		msg := "stream " + st.ID + " is not started"
		if ch != nil && ch.Workflow.Status.Active() {
			msg = "stream " + st.ID + " is already stopping"
		}
		return &domain.ConflictError{Message: msg}
	}
	if st, err = s.stop(ctx, st); err != nil {
		return err
	}
	return s.writeStream(w, r, st)
}

// stop asks a started stream's channel to stop and records when.
func (s *Server) stop(ctx context.Context, st domain.Stream) (domain.Stream, error) {
	if err := s.channels.Stop(ctx, st.OrgID, st.WorkflowID); err != nil {
		return st, err
	}
	now := s.now()
	return s.Store.UpdateStream(ctx, st.OrgID, st.ID, func(st *domain.Stream) error {
		st.LastStopped, st.LastUpdate = &now, now
		return nil
	})
}

func (s *Server) setStreamLive(associated bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		now := s.now()
		st, err := s.Store.UpdateStream(r.Context(), s.org(r), r.PathValue("id"), func(st *domain.Stream) error {
			st.CloudfrontAssociated, st.LastUpdate = associated, now
			return nil
		})
		if err != nil {
			return err
		}
		return s.writeStream(w, r, st)
	}
}

// streamChannel is the stream's workflow with its current run, or nil when
// the workflow has been deleted through /api/workflows.
func (s *Server) streamChannel(ctx context.Context, st domain.Stream) (*domain.Channel, error) {
	ch, err := s.Store.GetChannel(ctx, st.OrgID, st.WorkflowID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &ch, nil
}

// streamAndChannel loads the stream a request names, with its channel (nil
// when the workflow was deleted meanwhile).
func (s *Server) streamAndChannel(r *http.Request) (domain.Stream, *domain.Channel, error) {
	st, err := s.Store.GetStream(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return st, nil, err
	}
	ch, err := s.streamChannel(r.Context(), st)
	return st, ch, err
}
