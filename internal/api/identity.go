package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/openapi"
)

// The IOIO guide's authentication: POST /api/auth/authorize answers
// {"status":true,"data":{AccessToken, ExpiresIn, TokenType, RefreshToken, IdToken}},
// and API keys are {name, enabled, id, value}, the value shown once.

// Credentials is the body of POST /api/auth/authorize.
type Credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// RefreshRequest is the body of POST /api/auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// AuthResult answers a login or a refresh, in the guide's shape.
type AuthResult struct {
	Status  bool      `json:"status"`
	Data    *AuthData `json:"data,omitempty"`
	Message string    `json:"message,omitempty"`
}

// AuthData holds the tokens: IdToken (and AccessToken, the same) for
// Authorization: Bearer, valid ExpiresIn seconds, and a RefreshToken.
type AuthData struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int    `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
	RefreshToken string `json:"RefreshToken"`
	IdToken      string `json:"IdToken"`
}

// NewAPIKey is the body of POST /api/api-keys.
type NewAPIKey struct {
	Name string `json:"name" doc:"A label for the key."`
}

// APIKeyCreated answers POST /api/api-keys; value is shown this once.
type APIKeyCreated struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	ID      string `json:"id"`
	Value   string `json:"value" doc:"The key, for the x-api-key header. It is shown only now: onair keeps only its hash."`
}

// APIKeyList is GET /api/api-keys, without the values.
type APIKeyList struct {
	Items []domain.APIKey `json:"items"`
}

// APIKeyChange is the body of PUT /api/api-keys/{id}.
type APIKeyChange struct {
	Name    *string `json:"name,omitempty"`
	Enabled *bool   `json:"enabled,omitempty" doc:"false disables the key from the next request on."`
}

// NewUser is the body of POST /api/users.
type NewUser struct {
	Email          string      `json:"email"`
	Password       string      `json:"password" doc:"At least 8 characters."`
	OrganizationID string      `json:"organizationId,omitempty" doc:"Your own organization when empty; another one only for server admins."`
	Role           domain.Role `json:"role" enum:"admin,editor,viewer"`
}

// UserChange is the body of PUT /api/users/{id}.
type UserChange struct {
	Role     *domain.Role `json:"role,omitempty" enum:"admin,editor,viewer"`
	Disabled *bool        `json:"disabled,omitempty"`
	Password *string      `json:"password,omitempty"`
}

// UserList is GET /api/users.
type UserList struct {
	Items []domain.User `json:"items"`
}

// NewOrganization is the body of POST /api/organizations.
type NewOrganization struct {
	Name string `json:"name"`
}

// OrganizationList is GET /api/organizations.
type OrganizationList struct {
	Items []domain.Organization `json:"items"`
}

func (s *Server) identityRoutes() []route {
	body := func(extra ...int) []int { return append(append([]int{}, bodyErrs...), extra...) }
	authFail := openapi.Response{Status: http.StatusUnauthorized, Description: "Wrong email or password", Body: AuthResult{}}
	limited := openapi.Response{Status: http.StatusTooManyRequests, Description: "Too many failed attempts; see Retry-After", Body: AuthResult{}}
	return []route{
		{openapi.Operation{
			Method: "POST", Path: "/api/auth/authorize", Tag: "Authentication", OperationID: "authorize", Public: true,
			Summary:     "Log in for an idToken",
			Description: "Answers the IdToken (a JWT valid 1 hour, sent as Authorization: Bearer) and a RefreshToken.",
			Body:        Credentials{},
			Responses:   append(responses(ok(AuthResult{}), bodyErrs...), authFail, limited),
		}, s.authorize},
		{openapi.Operation{
			Method: "POST", Path: "/api/auth/refresh", Tag: "Authentication", OperationID: "refresh", Public: true,
			Summary:     "Get a new idToken with a refresh token",
			Description: "Each refresh token works once; the answer carries the next one.",
			Body:        RefreshRequest{},
			Responses:   append(responses(ok(AuthResult{}), bodyErrs...), authFail),
		}, s.refresh},

		{openapi.Operation{
			Method: "POST", Path: "/api/api-keys", Tag: "API keys", OperationID: "createAPIKey",
			Summary:   "Issue an API key",
			Body:      NewAPIKey{},
			Responses: responses(openapi.Response{Status: http.StatusCreated, Description: "Created", Body: APIKeyCreated{}}, bodyErrs...),
		}, s.createAPIKey},
		{openapi.Operation{
			Method: "GET", Path: "/api/api-keys", Tag: "API keys", OperationID: "listAPIKeys",
			Summary:   "List API keys, without their values",
			Responses: responses(ok(APIKeyList{})),
		}, s.listAPIKeys},
		{openapi.Operation{
			Method: "PUT", Path: "/api/api-keys/{id}", Tag: "API keys", OperationID: "updateAPIKey",
			Summary:   "Rename, disable or enable an API key",
			Params:    []openapi.Param{idParam},
			Body:      APIKeyChange{},
			Responses: responses(ok(domain.APIKey{}), body(http.StatusNotFound)...),
		}, s.updateAPIKey},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/api-keys/{id}", Tag: "API keys", OperationID: "deleteAPIKey",
			Summary:   "Revoke an API key",
			Params:    []openapi.Param{idParam},
			Responses: responses(noContent(), http.StatusNotFound),
		}, s.deleteAPIKey},

		{openapi.Operation{
			Method: "POST", Path: "/api/users", Tag: "Users", OperationID: "createUser",
			Summary:   "Create a user",
			Body:      NewUser{},
			Responses: responses(openapi.Response{Status: http.StatusCreated, Description: "Created", Body: domain.User{}}, body(http.StatusConflict)...),
		}, s.createUser},
		{openapi.Operation{
			Method: "GET", Path: "/api/users", Tag: "Users", OperationID: "listUsers",
			Summary:   "List your organization's users",
			Responses: responses(ok(UserList{})),
		}, s.listUsers},
		{openapi.Operation{
			Method: "GET", Path: "/api/users/{id}", Tag: "Users", OperationID: "getUser",
			Summary:   "Get a user",
			Params:    []openapi.Param{idParam},
			Responses: responses(ok(domain.User{}), http.StatusNotFound),
		}, s.getUser},
		{openapi.Operation{
			Method: "PUT", Path: "/api/users/{id}", Tag: "Users", OperationID: "updateUser",
			Summary:     "Change a user's role, password, or disable them",
			Description: "A new password, or disabling the user, ends the user's idTokens and refresh tokens at once.",
			Params:      []openapi.Param{idParam},
			Body:        UserChange{},
			Responses:   responses(ok(domain.User{}), body(http.StatusNotFound)...),
		}, s.updateUser},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/users/{id}", Tag: "Users", OperationID: "deleteUser",
			Summary:     "Remove a user",
			Description: "The user's idTokens and refresh tokens stop working at once.",
			Params:      []openapi.Param{idParam},
			Responses:   responses(noContent(), http.StatusNotFound),
		}, s.deleteUser},

		{openapi.Operation{
			Method: "POST", Path: "/api/organizations", Tag: "Organizations", OperationID: "createOrganization",
			Summary:   "Create an organization (server admins)",
			Body:      NewOrganization{},
			Responses: responses(openapi.Response{Status: http.StatusCreated, Description: "Created", Body: domain.Organization{}}, bodyErrs...),
		}, s.createOrganization},
		{openapi.Operation{
			Method: "GET", Path: "/api/organizations", Tag: "Organizations", OperationID: "listOrganizations",
			Summary:   "List organizations (server admins)",
			Responses: responses(ok(OrganizationList{})),
		}, s.listOrganizations},
	}
}

// clientAddr is the caller's address, for rate limiting.
func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) error {
	var c Credentials
	if err := decode(w, r, &c); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(c.Email))
	keys := []string{"email:" + email, "addr:" + clientAddr(r)}
	for _, k := range keys {
		if ok, wait := s.Limiter.Allow(k); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			writeJSON(w, http.StatusTooManyRequests, AuthResult{Message: "too many failed attempts; try again in " + wait.Round(time.Second).String()})
			return nil
		}
	}
	u, err := s.Store.GetUserByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	// An unknown email still costs one bcrypt comparison (against an empty
	// hash), so that the answer's timing does not tell which emails exist.
	matches := auth.CheckPassword(u.PasswordHash, c.Password)
	if err != nil || u.Disabled || !matches {
		for _, k := range keys {
			s.Limiter.Fail(k)
		}
		s.log.Warn("failed login", "email", email, "addr", clientAddr(r))
		writeJSON(w, http.StatusUnauthorized, AuthResult{Message: "wrong email or password"})
		return nil
	}
	for _, k := range keys {
		s.Limiter.Reset(k)
	}
	return s.issueTokens(w, r, u)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	var body RefreshRequest
	if err := decode(w, r, &body); err != nil {
		return err
	}
	t, err := s.Store.TakeRefreshToken(r.Context(), auth.HashSecret(body.RefreshToken))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if err != nil || s.now().After(t.Expires) {
		writeJSON(w, http.StatusUnauthorized, AuthResult{Message: "the refresh token is unknown, used or expired; log in again"})
		return nil
	}
	u, err := s.Store.GetUser(r.Context(), t.OrgID, t.UserID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && u.Disabled) {
		writeJSON(w, http.StatusUnauthorized, AuthResult{Message: "this user is disabled or no longer exists"})
		return nil
	}
	if err != nil {
		return err
	}
	// Ending a user's sessions deletes their refresh tokens; this catches one
	// that a refresh took just before.
	if t.Generation != u.TokenGeneration {
		writeJSON(w, http.StatusUnauthorized, AuthResult{Message: errSessionEnded.msg})
		return nil
	}
	return s.issueTokens(w, r, u)
}

// refreshTTL is how long a refresh token lasts unused.
const refreshTTL = 30 * 24 * time.Hour

func (s *Server) issueTokens(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if s.Tokens == nil {
		return errors.New("this server issues no idTokens (no signing key)")
	}
	token, _, err := s.Tokens.Issue(u)
	if err != nil {
		return err
	}
	refresh := auth.NewRefreshToken()
	if err := s.Store.CreateRefreshToken(r.Context(), domain.RefreshToken{
		Hash: auth.HashSecret(refresh), UserID: u.ID, OrgID: u.OrgID, Expires: s.now().Add(refreshTTL), Generation: u.TokenGeneration,
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AuthResult{Status: true, Data: &AuthData{
		AccessToken: token, ExpiresIn: int(s.Tokens.TTL().Seconds()), TokenType: "Bearer",
		RefreshToken: refresh, IdToken: token,
	}})
	return nil
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var body NewAPIKey
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := domain.ValidateName("name", body.Name); err != nil {
		return err
	}
	id, value := auth.NewAPIKey()
	k := domain.APIKey{ID: id, OrgID: s.org(r), Name: body.Name, Enabled: true, Hash: auth.HashSecret(value), Created: s.now()}
	if err := s.Store.CreateAPIKey(r.Context(), k); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, APIKeyCreated{Name: k.Name, Enabled: true, ID: k.ID, Value: value})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.Store.ListAPIKeys(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, APIKeyList{Items: keys})
	return nil
}

func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) error {
	var body APIKeyChange
	edit, err := readEdit[domain.APIKey](w, r, &body)
	if err != nil {
		return err
	}
	if body.Name != nil {
		if err := domain.ValidateName("name", *body.Name); err != nil {
			return err
		}
	}
	k, err := s.Store.UpdateAPIKey(r.Context(), s.org(r), r.PathValue("id"), func(k *domain.APIKey) error {
		if err := edit.unchanged(*k); err != nil {
			return err
		}
		if body.Name != nil {
			k.Name = *body.Name
		}
		if body.Enabled != nil {
			k.Enabled = *body.Enabled
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.DeleteAPIKey(r.Context(), s.org(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var body NewUser
	if err := decode(w, r, &body); err != nil {
		return err
	}
	p := principal(r)
	org := body.OrganizationID
	switch {
	case org == "":
		org = p.OrgID
	case org != p.OrgID && !p.ServerAdmin:
		// Another organization is invisible, not forbidden.
		return &domain.NotFoundError{Kind: "organization", ID: org}
	}
	if _, err := s.Store.GetOrganization(r.Context(), org); err != nil {
		return err
	}
	email, err := domain.ValidateEmail("email", body.Email)
	if err != nil {
		return err
	}
	if !body.Role.Valid() {
		return badRequest("role", "must be admin, editor or viewer, got %q", body.Role)
	}
	hash, err := auth.HashPassword(body.Password)
	if err != nil {
		return badRequest("password", "%v", err)
	}
	u := domain.User{ID: s.NewID(), OrgID: org, Email: email, PasswordHash: hash, Role: body.Role, Created: s.now()}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.Store.ListUsers(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UserList{Items: users})
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Store.GetUser(r.Context(), s.org(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body UserChange
	edit, err := readEdit[domain.User](w, r, &body)
	if err != nil {
		return err
	}
	if body.Role != nil && !body.Role.Valid() {
		return badRequest("role", "must be admin, editor or viewer, got %q", *body.Role)
	}
	var hash string
	if body.Password != nil {
		var err error
		if hash, err = auth.HashPassword(*body.Password); err != nil {
			return badRequest("password", "%v", err)
		}
	}
	u, err := s.Store.UpdateUser(r.Context(), s.org(r), r.PathValue("id"), func(u *domain.User) error {
		if err := edit.unchanged(*u); err != nil {
			return err
		}
		if body.Role != nil {
			u.Role = *body.Role
		}
		// A new password, or disabling, ends the user's idTokens and refresh
		// tokens at once: whoever had them may be who the change shuts out.
		if hash != "" || (body.Disabled != nil && *body.Disabled && !u.Disabled) {
			u.EndSessions()
		}
		if body.Disabled != nil {
			u.Disabled = *body.Disabled
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.DeleteUser(r.Context(), s.org(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var body NewOrganization
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := domain.ValidateName("name", body.Name); err != nil {
		return err
	}
	o := domain.Organization{ID: s.NewID(), Name: body.Name, Created: s.now()}
	if err := s.Store.CreateOrganization(r.Context(), o); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	orgs, err := s.Store.ListOrganizations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, OrganizationList{Items: orgs})
	return nil
}
