package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"onair/internal/domain"
	"onair/internal/openapi"
)

// Playout profiles, in the Vualto Live Playout Profiles shapes, at
// /api/playoutprofile: a profile is {id, name, configurationJson}, where
// configurationJson is the configuration as an escaped JSON string,
// answered back as it was given. A failure is {message}. Updating or
// deleting a profile syncs the manifests of its events that are in a
// playout state, and answers a result per event; a failed sync does not
// fail the request.

// Playout is the sync controller, as the API uses it.
type Playout interface {
	// Sync brings one event's manifests in step and returns what it did.
	Sync(ctx context.Context, org, workflowID string) ([]domain.SyncResult, error)
	// State is an event's playout state now; Derived leaves out a state
	// set by hand.
	State(ch domain.Channel) domain.EventState
	Derived(ch domain.Channel) domain.EventState
	// Token is a playback token for an event's keys, and when it expires.
	Token(ctx context.Context, workflowID string) (string, time.Time, error)
	// LicenseURL is the ClearKey license endpoint with a token.
	LicenseURL(token string) string
}

// PlayoutProfile is the Live Playout Profile object.
type PlayoutProfile struct {
	ID                string `json:"id" doc:"A GUID; ignored in a request body."`
	Name              string `json:"name"`
	ConfigurationJSON string `json:"configurationJson" doc:"The configuration, as an escaped JSON string: manifestFile, allowedPublishingPoints, mp4splitOptions, drm, tracks, outputUrls."`
}

// PlayoutProfileBody is what POST takes, and PUT in part.
type PlayoutProfileBody struct {
	ID                string  `json:"id,omitempty" doc:"Ignored."`
	Name              *string `json:"name,omitempty" doc:"Required on POST."`
	ConfigurationJSON *string `json:"configurationJson,omitempty" doc:"Required on POST; on PUT it is replaced whole."`
}

// PlayoutEvent is the Event object of a profile's events.
type PlayoutEvent struct {
	ID         string                     `json:"id" doc:"The event's id: its workflow's."`
	Name       string                     `json:"name"`
	State      domain.EventState          `json:"state" enum:"PRE_LIVE,LIVE_UNPUBLISHED,LIVE_PUBLISHED,SUSPENDED,STOPPED,INSTANT_VOD,INSTANT_VOD_BACKUP,ENDED"`
	WorkflowID string                     `json:"workflowId"`
	Status     domain.Status              `json:"status" doc:"The workflow's status."`
	OutputURLs []map[string]any           `json:"outputUrls" doc:"The profile's outputUrls, {0} replaced by the event id."`
	Manifest   *domain.PlayoutManifestRef `json:"manifest,omitempty" doc:"The profile's manifest of this event on the origin, while it exists."`
	// LicenseURL is the ClearKey license endpoint with a fresh playback
	// token, for a VUALTO DRM profile.
	LicenseURL string `json:"licenseUrl,omitempty" doc:"For a VUALTO DRM profile: onair's ClearKey license endpoint with a playback token, valid for a short while; hand it to the player."`
}

// PlayoutProfileIDs is the body of PUT /api/workflows/{id}/playout-profiles.
type PlayoutProfileIDs struct {
	PlayoutProfileIDs []string `json:"playoutProfileIds" doc:"The profiles, replacing those the workflow had; [] detaches them all."`
}

// EventStateBody is the body of PUT /api/workflows/{id}/event-state.
type EventStateBody struct {
	State domain.EventState `json:"state" enum:"LIVE_UNPUBLISHED,LIVE_PUBLISHED,SUSPENDED,STOPPED,INSTANT_VOD,INSTANT_VOD_BACKUP" doc:"LIVE_UNPUBLISHED hides a live event from its manifests until its publisher comes back; INSTANT_VOD_BACKUP keeps an ended one's archive unserved; the state the run gives lifts what was set."`
}

func (s *Server) playoutRoutes() []route {
	const tag = "Playout profiles"
	idsOnly := openapi.Param{Name: "idsOnly", In: "query", Type: "boolean", Description: "true: an array of GUIDs only."}
	syncs := ok([]domain.SyncResult{})
	return []route{
		{openapi.Operation{Method: "GET", Path: "/api/playoutprofile", Tag: tag, OperationID: "listPlayoutProfiles",
			Summary: "List playout profiles", Params: []openapi.Param{idsOnly},
			Responses: responses(ok([]PlayoutProfile{}))}, s.listPlayoutProfiles},
		{openapi.Operation{Method: "GET", Path: "/api/playoutprofile/{id}", Tag: tag, OperationID: "getPlayoutProfile",
			Summary: "Get a playout profile", Params: []openapi.Param{idParam},
			Responses: responses(ok(PlayoutProfile{}), http.StatusNotFound)}, s.getPlayoutProfile},
		{openapi.Operation{Method: "GET", Path: "/api/playoutprofile/{id}/events", Tag: tag, OperationID: "listPlayoutProfileEvents",
			Summary: "List a playout profile's events", Params: []openapi.Param{idParam, idsOnly},
			Responses: responses(ok([]PlayoutEvent{}), http.StatusNotFound)}, s.listPlayoutProfileEvents},
		{openapi.Operation{Method: "POST", Path: "/api/playoutprofile", Tag: tag, OperationID: "createPlayoutProfile",
			Summary: "Add a playout profile", Description: "name and configurationJson are required; an id in the body is ignored.",
			Body: PlayoutProfileBody{}, Responses: append([]openapi.Response{{Status: http.StatusCreated, Description: "Created", Body: PlayoutProfile{}}}, errs(bodyErrs...)...)},
			s.createPlayoutProfile},
		{openapi.Operation{Method: "PUT", Path: "/api/playoutprofile/{id}", Tag: tag, OperationID: "updatePlayoutProfile",
			Summary:     "Update a playout profile",
			Description: "Only the properties given change; configurationJson is replaced whole. The manifests of its events in a playout state are synced: one result each.",
			Params:      []openapi.Param{idParam}, Body: PlayoutProfileBody{},
			Responses: responses(syncs, append(append([]int{}, bodyErrs...), http.StatusNotFound)...)}, s.updatePlayoutProfile},
		{openapi.Operation{Method: "DELETE", Path: "/api/playoutprofile/{id}", Tag: tag, OperationID: "deletePlayoutProfile",
			Summary: "Remove a playout profile", Description: "Its manifests are removed from the origin: one result per event.",
			Params: []openapi.Param{idParam}, Responses: responses(syncs, http.StatusNotFound)}, s.deletePlayoutProfile},
		{openapi.Operation{Method: "PUT", Path: "/api/workflows/{id}/playout-profiles", Tag: "Workflows", OperationID: "setWorkflowPlayoutProfiles",
			Summary:     "Attach playout profiles to a workflow",
			Description: "In any status. The event's manifests are synced at once: one result per profile added, kept or removed.",
			Params:      []openapi.Param{idParam}, Body: PlayoutProfileIDs{},
			Responses: responses(syncs, append(append([]int{}, bodyErrs...), http.StatusNotFound)...)}, s.setWorkflowPlayoutProfiles},
		{openapi.Operation{Method: "PUT", Path: "/api/workflows/{id}/event-state", Tag: "Workflows", OperationID: "setWorkflowEventState",
			Summary:     "Set an event's playout state by hand",
			Description: "As Vualto's PUT event/state: it holds while the state the run gives stays the same. Answers the sync results.",
			Params:      []openapi.Param{idParam}, Body: EventStateBody{},
			Responses: responses(syncs, append(append([]int{}, bodyErrs...), http.StatusNotFound, http.StatusConflict)...)}, s.setWorkflowEventState},
	}
}

// profileOut is a profile as the API shows it: its keys masked.
func profileOut(p domain.PlayoutProfile) PlayoutProfile {
	return PlayoutProfile{ID: p.ID, Name: p.Name, ConfigurationJSON: domain.MaskPlayoutSecrets(p.ConfigurationJSON)}
}

func idsOnly(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("idsOnly"); v {
	case "", "false", "False":
		return false, nil
	case "true", "True":
		return true, nil
	default:
		return false, badRequest("idsOnly", "must be true or false, not %q", v)
	}
}

func (s *Server) listPlayoutProfiles(w http.ResponseWriter, r *http.Request) error {
	only, err := idsOnly(r)
	if err != nil {
		return err
	}
	list, err := s.Store.ListPlayoutProfiles(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	if only {
		ids := make([]string, len(list))
		for i, p := range list {
			ids[i] = p.ID
		}
		writeJSON(w, http.StatusOK, ids)
		return nil
	}
	out := make([]PlayoutProfile, len(list))
	for i, p := range list {
		out[i] = profileOut(p)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getPlayoutProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Store.GetPlayoutProfile(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, profileOut(p))
	return nil
}

func (s *Server) createPlayoutProfile(w http.ResponseWriter, r *http.Request) error {
	var body PlayoutProfileBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	switch {
	case body.Name == nil || *body.Name == "":
		return badRequest("name", "is required")
	case body.ConfigurationJSON == nil:
		return badRequest("configurationJson", "is required: the configuration as an escaped JSON string")
	}
	cfg, err := domain.ParsePlayoutConfig(*body.ConfigurationJSON)
	if err != nil {
		return err
	}
	now := s.now()
	p := domain.PlayoutProfile{ID: s.NewID(), OrgID: s.org(r), Name: *body.Name, ConfigurationJSON: *body.ConfigurationJSON,
		Config: cfg, Created: now, Updated: now}
	if err := s.Store.CreatePlayoutProfile(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, profileOut(p))
	return nil
}

func (s *Server) updatePlayoutProfile(w http.ResponseWriter, r *http.Request) error {
	var body PlayoutProfileBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name != nil && *body.Name == "" {
		return badRequest("name", "cannot be empty")
	}
	org, id := s.org(r), r.PathValue("id")
	if _, err := s.Store.UpdatePlayoutProfile(r.Context(), org, id, func(p *domain.PlayoutProfile) error {
		if body.Name != nil {
			p.Name = *body.Name
		}
		if body.ConfigurationJSON != nil {
			// Keys sent back masked, as GET shows them, keep their values.
			config := domain.KeepPlayoutSecrets(*body.ConfigurationJSON, p.ConfigurationJSON)
			if _, err := domain.ParsePlayoutConfig(config); err != nil {
				return err
			}
			p.ConfigurationJSON = config
		}
		p.Updated = s.now()
		return nil
	}); err != nil {
		return err
	}
	events, err := s.Store.PlayoutEvents(r.Context(), org, id)
	if err != nil {
		return err
	}
	return s.writeSyncs(w, r, org, events, id)
}

func (s *Server) deletePlayoutProfile(w http.ResponseWriter, r *http.Request) error {
	org, id := s.org(r), r.PathValue("id")
	events, err := s.Store.PlayoutEvents(r.Context(), org, id)
	if err != nil {
		return err
	}
	if _, err := s.Store.DeletePlayoutProfile(r.Context(), org, id); err != nil {
		return err
	}
	return s.writeSyncs(w, r, org, events, id)
}

// writeSyncs syncs events and answers their results, those of one profile
// only when profileID is set.
func (s *Server) writeSyncs(w http.ResponseWriter, r *http.Request, org string, events []string, profileID string) error {
	out := []domain.SyncResult{}
	for _, ev := range events {
		res, err := s.Playout.Sync(r.Context(), org, ev)
		if err != nil {
			out = append(out, domain.SyncResult{ProfileID: profileID, EventID: ev, Errors: []string{"the sync could not run: " + err.Error()}})
			continue
		}
		for _, x := range res {
			if profileID == "" || x.ProfileID == profileID {
				out = append(out, x)
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listPlayoutProfileEvents(w http.ResponseWriter, r *http.Request) error {
	only, err := idsOnly(r)
	if err != nil {
		return err
	}
	org, id := s.org(r), r.PathValue("id")
	p, err := s.Store.GetPlayoutProfile(r.Context(), org, id)
	if err != nil {
		return err
	}
	events, err := s.Store.PlayoutEvents(r.Context(), org, id)
	if err != nil {
		return err
	}
	if only {
		writeJSON(w, http.StatusOK, events)
		return nil
	}
	out := []PlayoutEvent{}
	for _, ev := range events {
		ch, err := s.Store.GetChannel(r.Context(), org, ev)
		if err != nil {
			return err
		}
		e := PlayoutEvent{ID: ev, Name: ch.Workflow.Name, State: s.Playout.State(ch), WorkflowID: ev, Status: ch.Workflow.Status,
			OutputURLs: p.Config.OutputURLsFor(ev)}
		manifests, err := s.Store.PlayoutManifests(r.Context(), org, ev)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(manifests, func(m domain.PlayoutManifest) bool { return m.ProfileID == id }); i >= 0 {
			m := s.manifestOut(manifests[i])
			e.Manifest = &m
		}
		if p.Config.DRM != nil && p.Config.DRM.Provider == domain.DRMVualto {
			token, _, err := s.Playout.Token(r.Context(), ev)
			if err != nil {
				return err
			}
			e.LicenseURL = s.Playout.LicenseURL(token)
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// manifestOut is a manifest as the API shows it, with its playback URLs.
func (s *Server) manifestOut(m domain.PlayoutManifest) domain.PlayoutManifestRef {
	out := domain.PlayoutManifestRef{ProfileID: m.ProfileID, Path: m.Path, Updated: m.Updated}
	if cfg, err := domain.ParsePlayoutConfig(m.ConfigurationJSON); err == nil {
		if !cfg.Options.HLSDisabled {
			out.HLS = s.PublicURL + m.Path + "/.m3u8"
		}
		if !cfg.Options.DASHDisabled {
			out.DASH = s.PublicURL + m.Path + "/.mpd"
		}
	}
	return out
}

// checkProfiles refuses ids of profiles the organization does not have.
func (s *Server) checkProfiles(ctx context.Context, org, field string, ids []string) error {
	for i, id := range ids {
		if _, err := s.Store.GetPlayoutProfile(ctx, org, id); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return badRequest(fmt.Sprintf("%s[%d]", field, i), "no playout profile %q: GET /api/playoutprofile lists them", id)
			}
			return err
		}
	}
	return nil
}

func (s *Server) setWorkflowPlayoutProfiles(w http.ResponseWriter, r *http.Request) error {
	var body PlayoutProfileIDs
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.PlayoutProfileIDs == nil {
		return badRequest("playoutProfileIds", "is required: [] detaches every profile")
	}
	org, id := s.org(r), r.PathValue("id")
	if err := s.checkProfiles(r.Context(), org, "playoutProfileIds", body.PlayoutProfileIDs); err != nil {
		return err
	}
	if _, err := s.Store.UpdateChannel(r.Context(), org, id, func(ch *domain.Channel) error {
		ch.Workflow.PlayoutProfileIDs = (&domain.WorkflowSpec{PlayoutProfileIDs: body.PlayoutProfileIDs}).ProfileIDs()
		ch.Workflow.Updated = s.now()
		return nil
	}); err != nil {
		return err
	}
	return s.writeSyncs(w, r, org, []string{id}, "")
}

func (s *Server) setWorkflowEventState(w http.ResponseWriter, r *http.Request) error {
	var body EventStateBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	org, id := s.org(r), r.PathValue("id")
	if _, err := s.Store.UpdateChannel(r.Context(), org, id, func(ch *domain.Channel) error {
		set, err := domain.SetEventState(s.Playout.Derived(*ch), body.State, ch.Run, s.now())
		if err != nil {
			return err
		}
		ch.Workflow.EventState = set
		return nil
	}); err != nil {
		return err
	}
	return s.writeSyncs(w, r, org, []string{id}, "")
}

// playoutManifests lists the manifests a workflow has on the origin now,
// for GET /api/workflows/{id}.
func (s *Server) playoutManifests(ctx context.Context, org, id string) ([]domain.PlayoutManifestRef, error) {
	list, err := s.Store.PlayoutManifests(ctx, org, id)
	if err != nil {
		return nil, err
	}
	out := make([]domain.PlayoutManifestRef, len(list))
	for i, m := range list {
		out[i] = s.manifestOut(m)
	}
	return out, nil
}
