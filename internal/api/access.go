package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"onair/internal/auth"
	"onair/internal/domain"
)

// Access control is part of the router: Register wraps every operation that is
// not Public with authenticate and a permission check, so that a route added
// later is protected without doing anything.

// permissions names the permission each operation needs, by operationId. An
// operation missing here needs PermRead for GET and is refused otherwise (the
// router test lists every write that forgot its entry).
var permissions = map[string]domain.Permission{
	"createBlueprint": domain.PermBlueprintsWrite,
	"updateBlueprint": domain.PermBlueprintsWrite,
	"deleteBlueprint": domain.PermBlueprintsWrite,

	"createWorkflow":         domain.PermWorkflowsWrite,
	"updateWorkflow":         domain.PermWorkflowsWrite,
	"deleteWorkflow":         domain.PermWorkflowsWrite,
	"duplicateWorkflow":      domain.PermWorkflowsWrite,
	"updateWorkflowSchedule": domain.PermWorkflowsWrite,

	"createPlayoutProfile":       domain.PermWorkflowsWrite,
	"updatePlayoutProfile":       domain.PermWorkflowsWrite,
	"deletePlayoutProfile":       domain.PermWorkflowsWrite,
	"setWorkflowPlayoutProfiles": domain.PermWorkflowsWrite,
	"setWorkflowEventState":      domain.PermWorkflowsWrite,

	"startChannels": domain.PermChannelsStart,
	"stopChannels":  domain.PermChannelsStart,

	"createManagedInput": domain.PermInputsWrite,
	"deleteManagedInput": domain.PermInputsWrite,

	"createStream":         domain.PermWorkflowsWrite,
	"updateStream":         domain.PermWorkflowsWrite,
	"deleteStream":         domain.PermWorkflowsWrite,
	"associateStreamLive":  domain.PermWorkflowsWrite,
	"dissociateStreamLive": domain.PermWorkflowsWrite,
	"startStream":          domain.PermChannelsStart,
	"stopStream":           domain.PermChannelsStart,

	"createAPIKey": domain.PermAPIKeysManage,
	"listAPIKeys":  domain.PermAPIKeysManage,
	"updateAPIKey": domain.PermAPIKeysManage,
	"deleteAPIKey": domain.PermAPIKeysManage,

	"createUser": domain.PermUsersManage,
	"listUsers":  domain.PermUsersManage,
	"getUser":    domain.PermUsersManage,
	"updateUser": domain.PermUsersManage,
	"deleteUser": domain.PermUsersManage,

	"splitStream": domain.PermWorkflowsWrite,

	"createProvision": domain.PermWorkflowsWrite,
	"updateProvision": domain.PermWorkflowsWrite,
	"deleteProvision": domain.PermWorkflowsWrite,

	"createOrganization": domain.PermOrganizationsManage,
	"listOrganizations":  domain.PermOrganizationsManage,
}

// Permission returns what an operation needs, and whether that was declared.
func Permission(method, operationID string) (domain.Permission, bool) {
	if p, ok := permissions[operationID]; ok {
		return p, true
	}
	if method == http.MethodGet {
		return domain.PermRead, true
	}
	return domain.PermOrganizationsManage, false
}

type principalKey struct{}

// principal is who the request acts for; Register puts it in the context.
func principal(r *http.Request) domain.Principal {
	p, _ := r.Context().Value(principalKey{}).(domain.Principal)
	return p
}

var errUnauthenticated = &httpError{status: http.StatusUnauthorized,
	msg: "credentials required: send an API key as x-api-key, or an idToken as Authorization: Bearer <token> (POST /api/auth/authorize)"}

var errNoAccessToken = &httpError{status: http.StatusUnauthorized,
	msg: "credentials required: add ?accessToken= with an API key or an idToken, or send them as x-api-key or Authorization: Bearer <token>"}

var errSessionEnded = &httpError{status: http.StatusUnauthorized,
	msg: "this idToken was ended: the user's password changed or the user was disabled since; log in again"}

// guard authenticates a request and checks it may do what perm names.
func (s *Server) guard(perm domain.Permission, h http.Handler) http.Handler {
	return s.guardWith(perm, h, false, s.writeError)
}

// guardWith is guard for a route that may also take the Stream Manager's
// ?accessToken= (an API key or an idToken), answering failures with fail.
func (s *Server) guardWith(perm domain.Permission, h http.Handler, accessToken bool, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p domain.Principal
		var err error
		if t := r.URL.Query().Get("accessToken"); accessToken && t != "" {
			p, err = s.authenticateToken(r, t)
		} else if p, err = s.authenticate(r); accessToken && err == errUnauthenticated {
			err = errNoAccessToken
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="onair"`)
			fail(w, r, err)
			return
		}
		if !p.Can(perm) {
			fail(w, r, &httpError{status: http.StatusForbidden,
				msg: "your credentials do not allow this: it needs the " + string(perm) + " permission"})
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// Guard protects a handler outside the API's routes, such as the server's
// /metrics, as Register protects the operations: 401 without valid
// credentials, 403 when they lack perm, in the API's error shape.
func (s *Server) Guard(perm domain.Permission, h http.Handler) http.Handler { return s.guard(perm, h) }

// authenticate works out the principal from an API key or an idToken.
func (s *Server) authenticate(r *http.Request) (domain.Principal, error) {
	if key := r.Header.Get("x-api-key"); key != "" {
		return s.apiKeyPrincipal(r, key)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || s.Tokens == nil {
			return domain.Principal{}, errUnauthenticated
		}
		return s.idTokenPrincipal(r, strings.TrimSpace(token))
	}
	return domain.Principal{}, errUnauthenticated
}

// authenticateToken works out the principal from a Stream Manager
// accessToken: an idToken (a JWT, three dot-separated parts) or an API key.
func (s *Server) authenticateToken(r *http.Request, token string) (domain.Principal, error) {
	if strings.Count(token, ".") == 2 && s.Tokens != nil {
		return s.idTokenPrincipal(r, token)
	}
	p, err := s.apiKeyPrincipal(r, token)
	if err != nil {
		return p, &httpError{status: http.StatusUnauthorized, msg: "the accessToken is no valid API key or idToken"}
	}
	return p, nil
}

func (s *Server) apiKeyPrincipal(r *http.Request, key string) (domain.Principal, error) {
	k, err := s.Store.GetAPIKeyByHash(r.Context(), auth.HashSecret(key))
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !k.Enabled) {
		return domain.Principal{}, &httpError{status: http.StatusUnauthorized, msg: "this API key is unknown, disabled or revoked"}
	}
	if err != nil {
		return domain.Principal{}, err
	}
	return auth.KeyPrincipal(k), nil
}

func (s *Server) idTokenPrincipal(r *http.Request, token string) (domain.Principal, error) {
	if s.Tokens == nil {
		return domain.Principal{}, errUnauthenticated
	}
	p, err := s.Tokens.Verify(token)
	if err != nil {
		return domain.Principal{}, &httpError{status: http.StatusUnauthorized, msg: "the idToken is invalid or expired; log in again or refresh it"}
	}
	// A disabled or deleted user loses access at once, not when the token
	// expires, and so does a token issued before the password changed.
	u, err := s.Store.GetUser(r.Context(), p.OrgID, p.UserID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && u.Disabled) {
		return domain.Principal{}, &httpError{status: http.StatusUnauthorized, msg: "this user is disabled or no longer exists"}
	}
	if err != nil {
		return domain.Principal{}, err
	}
	if p.TokenGeneration != u.TokenGeneration {
		return domain.Principal{}, errSessionEnded
	}
	return auth.UserPrincipal(u), nil
}
