package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"onair/internal/domain"
	"onair/internal/store"
)

func (s *Server) regions() []string { return []string{s.Region} }

func (s *Server) createWorkflow(w http.ResponseWriter, r *http.Request) error {
	var spec domain.WorkflowSpec
	if err := decode(w, r, &spec); err != nil {
		return err
	}
	if err := spec.Validate(s.regions()); err != nil {
		return err
	}
	if err := s.checkProfiles(r.Context(), s.org(r), "playoutProfileIds", spec.PlayoutProfileIDs); err != nil {
		return err
	}
	// The blueprint as GET /api/blueprints/{id} shows it has its credentials
	// masked: they come from the blueprint it names.
	named, err := s.namedBlueprint(r, spec.Blueprint)
	if err != nil {
		return err
	}
	if err := domain.KeepSecrets("blueprint", spec.Blueprint, named); err != nil {
		return err
	}
	now := s.now()
	wf := domain.Workflow{ID: s.NewID(), OrgID: s.org(r), Status: domain.StatusReady, Created: now, Updated: now}
	spec.Apply(&wf, s.Region)
	if err := s.Store.CreateWorkflow(r.Context(), wf); err != nil {
		return err
	}
	s.scheduleChanged()
	writeJSON(w, http.StatusCreated, IDResponse{ID: wf.ID})
	return nil
}

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.WorkflowFilter{Search: q.Get("search"), Cursor: q.Get("next")}
	for _, t := range queryList(q, "tags") {
		if !domain.ValidTag(t) {
			return badRequest("tags", "%q is not a tag; tags are letters, digits, '-', '_', '.' or ':'", t)
		}
		f.Tags = append(f.Tags, t)
	}
	for _, v := range queryList(q, "status") {
		st := domain.Status(strings.ToUpper(v))
		if !st.Valid() {
			return badRequest("status", "%q is not a status; use %s", v, strings.Join(domain.StatusNames(), ", "))
		}
		f.Statuses = append(f.Statuses, st)
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	f.Limit = limit
	page, err := s.Store.ListWorkflows(r.Context(), s.org(r), f)
	if err != nil {
		return err
	}
	out := WorkflowList{Items: make([]WorkflowSummary, len(page.Items)), Next: page.Next}
	for i, wf := range page.Items {
		out.Items[i] = WorkflowSummary{
			ID: wf.ID, Name: wf.Name, Description: wf.Description, Status: wf.Status,
			BlueprintID: wf.BlueprintID, Created: wf.Created, Tags: wf.Tags, Region: wf.Region,
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.Store.GetWorkflow(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	view := s.workflowView(wf)
	if view.PlayoutManifests, err = s.playoutManifests(r.Context(), wf.OrgID, wf.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// workflowView is a workflow as the API shows it: with its nextRun, which is
// worked out when it is read, and its blueprint's credentials masked.
func (s *Server) workflowView(wf domain.Workflow) domain.Workflow {
	wf.NextRun = wf.UpcomingRun(s.now())
	wf.Blueprint = wf.Blueprint.Masked()
	if wf.PlayoutProfileIDs == nil {
		wf.PlayoutProfileIDs = []string{}
	}
	return wf
}

// updateWorkflow replaces a workflow's settings. The body may be the workflow
// as GET shows it, edited: its read-only fields (id, status, created, ...)
// must then be as GET shows them, and masked credentials keep their values.
func (s *Server) updateWorkflow(w http.ResponseWriter, r *http.Request) error {
	var spec domain.WorkflowSpec
	body, err := readEdit[domain.Workflow](w, r, &spec)
	if err != nil {
		return err
	}
	if err := spec.Validate(s.regions()); err != nil {
		return err
	}
	named, err := s.namedBlueprint(r, spec.Blueprint)
	if err != nil {
		return err
	}
	if err := s.checkProfiles(r.Context(), s.org(r), "playoutProfileIds", spec.PlayoutProfileIDs); err != nil {
		return err
	}
	ch, err := s.Store.UpdateChannel(r.Context(), s.org(r), r.PathValue("id"), func(ch *domain.Channel) error {
		if err := ch.Workflow.CheckModifiable("update"); err != nil {
			return err
		}
		if err := body.unchanged(s.workflowView(ch.Workflow)); err != nil {
			return err
		}
		if err := domain.KeepSecrets("blueprint", spec.Blueprint, &ch.Workflow.Blueprint, named); err != nil {
			return err
		}
		spec.Apply(&ch.Workflow, s.Region)
		ch.Workflow.Updated = s.now()
		return nil
	})
	if err != nil {
		return err
	}
	s.scheduleChanged()
	writeJSON(w, http.StatusOK, s.workflowView(ch.Workflow))
	return nil
}

func (s *Server) deleteWorkflow(w http.ResponseWriter, r *http.Request) error {
	err := s.Store.DeleteWorkflow(r.Context(), s.org(r), r.PathValue("id"), func(wf domain.Workflow) error {
		return wf.CheckModifiable("delete")
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) duplicateWorkflow(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.Store.GetWorkflow(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	dup := wf.Duplicate(s.NewID(), s.now())
	if err := s.Store.CreateWorkflow(r.Context(), dup); err != nil {
		return err
	}
	s.scheduleChanged()
	writeJSON(w, http.StatusCreated, IDResponse{ID: dup.ID})
	return nil
}

func (s *Server) listRegions(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, RegionList{Items: []Region{{ID: s.Region, Name: s.Region, Default: true}}})
	return nil
}

// queryList is a list parameter's items: every value of a repeated parameter
// (?tags=a&tags=b), each split at commas (?tags=a,b), so that both forms, and a
// mix of them, mean the same; empty items are dropped.
func queryList(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func parseLimit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, badRequest("limit", "must be an integer from 1 to %d, got %q", store.MaxLimit, v)
	}
	return n, nil
}
