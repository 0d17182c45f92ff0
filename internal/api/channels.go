package api

import (
	"errors"
	"fmt"
	"net/http"
	"path"

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/store"
)

// maxBatch bounds how many workflows one channels request may name.
const maxBatch = 100

func (s *Server) startChannels(w http.ResponseWriter, r *http.Request) error {
	return s.batch(w, r, func(org, id string) error { return s.channels.Start(r.Context(), org, id, nil) })
}

func (s *Server) stopChannels(w http.ResponseWriter, r *http.Request) error {
	return s.batch(w, r, func(org, id string) error { return s.channels.Stop(r.Context(), org, id) })
}

// batch applies change to each named workflow on its own: one refusal does not
// stop the others, and each refusal is reported with its reason.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, change func(org, id string) error) error {
	var body WorkflowIDs
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if len(body.Workflows) == 0 || len(body.Workflows) > maxBatch {
		return badRequest("workflows", "must list 1 to %d workflow ids, got %d", maxBatch, len(body.Workflows))
	}
	for i, id := range body.Workflows {
		if id == "" {
			return badRequest(fmt.Sprintf("workflows[%d]", i), "must not be empty")
		}
	}
	out := ChannelsResult{Items: []ChannelItem{}}
	seen := map[string]bool{}
	for _, id := range body.Workflows {
		if seen[id] {
			continue
		}
		seen[id] = true
		err := change(s.org(r), id)
		var ce *domain.ConflictError
		switch {
		case err == nil:
			out.Items = append(out.Items, ChannelItem{WorkflowID: id})
		case errors.Is(err, domain.ErrNotFound), errors.As(err, &ce):
			out.Failed = append(out.Failed, ChannelFailure{WorkflowID: id, Message: err.Error()})
		default:
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) error {
	ch, err := s.Store.GetChannel(r.Context(), s.org(r), r.PathValue("workflowId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.channelInfo(ch.Workflow.ChannelWorkflow(), ch.Run))
	return nil
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	page, err := s.Store.ListChannels(r.Context(), s.org(r), store.RunFilter{WorkflowID: q.Get("workflowId"), Limit: limit, Cursor: q.Get("next")})
	if err != nil {
		return err
	}
	out := ChannelList{Items: make([]ChannelInfo, len(page.Items)), Next: page.Next}
	for i := range page.Items {
		out.Items[i] = s.channelInfo(page.Items[i].Workflow, &page.Items[i].Run)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// channelInfo renders a run (nil before the first start) in the guide's shape. The
// status is the run's own, which for the current run is the workflow's.
func (s *Server) channelInfo(wf domain.ChannelWorkflow, run *domain.Run) ChannelInfo {
	info := ChannelInfo{
		ID: wf.ID, Name: wf.Name, Region: wf.Region, Status: wf.Status, Cause: wf.Cause,
		Endpoints:    Endpoints{Input: []InputEndpoints{}, Output: []OutputEndpoint{}},
		Archives:     []ArchiveInfo{},
		Events:       []domain.RunEvent{},
		Alerts:       []domain.Alert{},
		Destinations: []domain.DestinationStatus{},
	}
	switch preview := wf.PlayerPreview; {
	case preview == domain.StoragePreview:
		// The guide's "the Live Service automatically assembles the url":
		// the CDN in front of the storage, where the channel pushes.
		if u := s.storagePreview(wf.ID); u != "" {
			info.PlayerPreview = &domain.PlayerPreview{URL: u}
		}
	case preview != "":
		info.PlayerPreview = &domain.PlayerPreview{URL: preview}
	}
	if len(wf.PreparedInputs) > 0 {
		// An availableImmediately input: its endpoints are known before the start.
		info.Endpoints.Input = s.inputEndpoints(wf.PreparedInputs)
	}
	if run == nil {
		return info
	}
	info.RunID = run.ID
	info.Region = run.Region
	info.Status = run.Status
	info.Cause = run.Cause
	info.StartRequestedDateTime = run.StartRequested
	info.StartedDateTime = run.Started
	info.StopRequestedDateTime = run.StopRequested
	info.StoppedDateTime = run.Stopped
	if run.Events != nil {
		info.Events = run.Events
	}
	if run.Alerts != nil {
		info.Alerts = run.Alerts
	}
	if run.Destinations != nil {
		info.Destinations = run.Destinations
	}
	if run.Status.Active() && len(run.Inputs) > 0 {
		info.Endpoints.Input = s.inputEndpoints(run.Inputs)
		for _, o := range wf.LiveOutputs {
			if run.Options.Plays(o.Format) {
				info.Endpoints.Output = append(info.Endpoints.Output, OutputEndpoint{
					Type: "HLS", Format: o.Format, LowLatency: o.LowLatency, URL: s.liveURL(wf.ID, wf.Class, o.Format)})
			}
		}
	}
	for _, a := range run.Archives {
		ai := ArchiveInfo{ID: a.ID, FileSize: a.FileSize, Duration: a.Duration, Location: a.Location}
		ai.PlaylistURL, ai.DownloadURL = s.archiveURLs(a)
		info.Archives = append(info.Archives, ai)
	}
	return info
}

// liveURL is the master playlist of a workflow's live output of a format; a
// STANDARD channel's points at pipeline 0.
func (s *Server) liveURL(workflowID string, class domain.ChannelClass, format string) string {
	dir := pipeline.OutputDir(pipeline.LiveDir(workflowID, class, 0), format)
	return s.PublicURL + "/" + path.Join(dir, pipeline.LivePlaylist)
}

// inputEndpoints renders ingest endpoints as the URLs encoders push to: main,
// then backup.
func (s *Server) inputEndpoints(ingests []domain.Ingest) []InputEndpoints {
	urls := make([]string, len(ingests))
	for i, in := range ingests {
		urls[i] = s.IngestURL(in)
	}
	return []InputEndpoints{{Endpoints: urls}}
}

// IngestURL is the RTMP URL of one endpoint on this server.
func (s *Server) IngestURL(in domain.Ingest) string {
	if in.Path != "" {
		return "rtmp://" + s.IngestHost + "/" + in.Path
	}
	return "rtmp://" + s.IngestHost + "/" + in.App + "/" + in.StreamKey
}
