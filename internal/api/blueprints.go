package api

import (
	"errors"
	"net/http"

	"onair/internal/domain"
)

func summarize(b domain.Blueprint) BlueprintSummary {
	tags := b.Tags
	if tags == nil {
		tags = []string{}
	}
	return BlueprintSummary{ID: b.ID, Name: b.Name, Description: b.Description, Featured: b.Featured, Tags: tags}
}

func (s *Server) listBlueprints(w http.ResponseWriter, r *http.Request) error {
	own, err := s.Store.ListBlueprints(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	out := BlueprintList{Items: []BlueprintSummary{}}
	for _, b := range s.Catalog.List() {
		out.Items = append(out.Items, summarize(b))
	}
	for _, b := range own {
		out.Items = append(out.Items, summarize(b))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// blueprint finds a built-in or an organization's blueprint.
func (s *Server) blueprint(r *http.Request, id string) (domain.Blueprint, error) {
	if b, ok := s.Catalog.Get(id); ok {
		return b, nil
	}
	return s.Store.GetBlueprint(r.Context(), s.org(r), id)
}

func (s *Server) getBlueprint(w http.ResponseWriter, r *http.Request) error {
	b, err := s.blueprint(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b.Masked())
	return nil
}

// namedBlueprint is the blueprint that b, sent in a request, names by its id,
// or nil: where the credentials that b shows masked come from.
func (s *Server) namedBlueprint(r *http.Request, b *domain.Blueprint) (*domain.Blueprint, error) {
	if b == nil || b.ID == "" {
		return nil, nil
	}
	named, err := s.blueprint(r, b.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &named, nil
}

func (s *Server) createBlueprint(w http.ResponseWriter, r *http.Request) error {
	var b domain.Blueprint
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.ID == "" {
		b.ID = s.NewID()
	}
	if err := s.checkOwnBlueprint(&b); err != nil {
		return err
	}
	// A new blueprint has no stored credentials: a masked one is refused.
	if err := domain.KeepSecrets("", &b); err != nil {
		return err
	}
	if s.Catalog.Has(b.ID) {
		return &domain.ConflictError{Message: "blueprint id " + b.ID + " belongs to a built-in blueprint; choose another id"}
	}
	if err := s.Store.CreateBlueprint(r.Context(), s.org(r), b); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, IDResponse{ID: b.ID})
	return nil
}

func (s *Server) updateBlueprint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.refuseBuiltIn(id); err != nil {
		return err
	}
	// The body may be the blueprint as GET shows it, edited: its id (the
	// URL's) and builtIn are read-only, and masked credentials keep their values.
	var b domain.Blueprint
	body, err := readEdit[domain.Blueprint](w, r, &b, "id", "builtIn")
	if err != nil {
		return err
	}
	b.ID = id
	if err := s.checkOwnBlueprint(&b); err != nil {
		return err
	}
	stored, err := s.Store.GetBlueprint(r.Context(), s.org(r), id)
	if err != nil {
		return err
	}
	if err := body.unchanged(stored.Masked()); err != nil {
		return err
	}
	if err := domain.KeepSecrets("", &b, &stored); err != nil {
		return err
	}
	if err := s.Store.UpdateBlueprint(r.Context(), s.org(r), b); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b.Masked())
	return nil
}

func (s *Server) deleteBlueprint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.refuseBuiltIn(id); err != nil {
		return err
	}
	if err := s.Store.DeleteBlueprint(r.Context(), s.org(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) refuseBuiltIn(id string) error {
	if s.Catalog.Has(id) {
		return &domain.ForbiddenError{Message: "blueprint " + id + " is built in and read-only; POST a copy under another id to change it"}
	}
	return nil
}

// checkOwnBlueprint validates an organization's blueprint. builtIn is read-only
// and ignored, so that a built-in blueprint as GET returns it can be posted as a copy.
func (s *Server) checkOwnBlueprint(b *domain.Blueprint) error {
	b.BuiltIn = false
	if b.Tags == nil {
		b.Tags = []string{}
	}
	return domain.ValidateBlueprint("", b)
}
