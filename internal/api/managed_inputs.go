package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"onair/internal/domain"
	"onair/internal/openapi"
)

// The states of a managed input, as the API reports them.
const (
	InputIdle  = "IDLE"   // no run uses the input: a workflow may start with it
	InputInUse = "IN_USE" // a starting or running workflow holds the input
)

// ManagedInputInfo is a managed input as the API shows it: the endpoints to push
// to, which stay the same for every run, and whether a run holds it now.
type ManagedInputInfo struct {
	ID         string              `json:"id" doc:"Put it in a blueprint's settings.inputs as {\"managedInput\": {\"id\": ...}}."`
	Name       string              `json:"name"`
	Region     string              `json:"region"`
	Type       string              `json:"type" enum:"RTMP_PUSH"`
	Class      domain.ChannelClass `json:"class" enum:"SINGLE_PIPELINE,STANDARD" doc:"The class of channel the input fits: STANDARD has a backup endpoint."`
	Endpoints  []string            `json:"endpoints" doc:"The RTMP URLs to push to, stream key included: main, then backup for STANDARD. The same for every run, across restarts."`
	Status     string              `json:"status" enum:"IDLE,IN_USE" doc:"IN_USE while a starting or running workflow holds the input; one run at a time may use it."`
	WorkflowID string              `json:"workflowId,omitempty" doc:"The workflow that holds the input, while IN_USE."`
	Created    time.Time           `json:"created"`
}

// ManagedInputList is GET /api/managed-inputs: newest first.
type ManagedInputList struct {
	Items []ManagedInputInfo `json:"items"`
}

// managedInputRoutes are the managed input operations, for routes().
func (s *Server) managedInputRoutes() []route {
	const tag = "Managed inputs"
	return []route{
		{openapi.Operation{
			Method: "POST", Path: "/api/managed-inputs", Tag: tag, OperationID: "createManagedInput",
			Summary: "Create managed input",
			Description: "An input that outlives runs: its endpoints (URL and stream key) stay the same for every run and across restarts. " +
				"Use it in a blueprint with settings.inputs: [{\"managedInput\": {\"id\": ...}}] instead of createInput. " +
				"STANDARD gives two endpoints, for STANDARD channels.",
			Body: domain.ManagedInputSpec{},
			Responses: append([]openapi.Response{{Status: http.StatusCreated, Description: "Created", Body: ManagedInputInfo{}}},
				errs(bodyErrs...)...),
		}, s.createManagedInput},
		{openapi.Operation{
			Method: "GET", Path: "/api/managed-inputs", Tag: tag, OperationID: "listManagedInputs",
			Summary:     "List managed inputs",
			Description: "Newest first, optionally of one region.",
			Params: []openapi.Param{
				{Name: "region", In: "query", Type: "string", Description: "Only the inputs of this region."},
			},
			Responses: responses(ok(ManagedInputList{})),
		}, s.listManagedInputs},
		{openapi.Operation{
			Method: "GET", Path: "/api/managed-inputs/{id}", Tag: tag, OperationID: "getManagedInput",
			Summary:   "Get managed input",
			Params:    []openapi.Param{idParam},
			Responses: responses(ok(ManagedInputInfo{}), http.StatusNotFound),
		}, s.getManagedInput},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/managed-inputs/{id}", Tag: tag, OperationID: "deleteManagedInput",
			Summary:     "Delete managed input",
			Description: "Deletes one input. Refused with 409 while a starting or running workflow uses it: stop its channel first.",
			Params:      []openapi.Param{idParam},
			Responses:   responses(noContent(), http.StatusNotFound, http.StatusConflict),
		}, s.deleteManagedInput},
	}
}

func (s *Server) createManagedInput(w http.ResponseWriter, r *http.Request) error {
	var spec domain.ManagedInputSpec
	if err := decode(w, r, &spec); err != nil {
		return err
	}
	if err := spec.Validate(s.regions()); err != nil {
		return err
	}
	in := spec.NewManagedInput(s.NewID(), s.org(r), s.Region, s.now())
	if err := s.Store.CreateManagedInput(r.Context(), in); err != nil {
		return err
	}
	// Answer with what was stored (times at the store's precision), so that the
	// answer equals what GET gives.
	in, err := s.Store.GetManagedInput(r.Context(), in.OrgID, in.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.managedInputInfo(in, nil))
	return nil
}

func (s *Server) listManagedInputs(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Store.ListManagedInputs(r.Context(), s.org(r), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	out := ManagedInputList{Items: make([]ManagedInputInfo, len(list))}
	holders := map[string]*domain.Workflow{}
	for i, in := range list {
		wf, ok := holders[in.InUseBy]
		if !ok {
			if wf, err = s.holder(r.Context(), s.org(r), in); err != nil {
				return err
			}
			holders[in.InUseBy] = wf
		}
		out.Items[i] = s.managedInputInfo(in, wf)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getManagedInput(w http.ResponseWriter, r *http.Request) error {
	in, err := s.Store.GetManagedInput(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	wf, err := s.holder(r.Context(), s.org(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.managedInputInfo(in, wf))
	return nil
}

func (s *Server) deleteManagedInput(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.DeleteManagedInput(r.Context(), s.org(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// holder is the workflow that an input's claim names, or nil when there is none
// or it has been deleted since.
func (s *Server) holder(ctx context.Context, org string, in domain.ManagedInput) (*domain.Workflow, error) {
	if in.InUseBy == "" {
		return nil, nil
	}
	wf, err := s.Store.GetWorkflow(ctx, org, in.InUseBy)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &wf, nil
}

// managedInputInfo renders an input. A claim counts only while its workflow is
// active, as in the store: a run that ended without releasing the input (a crash
// in between) leaves it free for the next one.
func (s *Server) managedInputInfo(in domain.ManagedInput, holder *domain.Workflow) ManagedInputInfo {
	info := ManagedInputInfo{
		ID: in.ID, Name: in.Name, Region: in.Region, Type: in.Type, Class: in.Class,
		Endpoints: make([]string, len(in.Ingests)), Status: InputIdle, Created: in.Created,
	}
	for i, ing := range in.Ingests {
		info.Endpoints[i] = s.IngestURL(ing)
	}
	if holder != nil && holder.ID == in.InUseBy && holder.Status.Active() {
		info.Status, info.WorkflowID = InputInUse, holder.ID
	}
	return info
}
