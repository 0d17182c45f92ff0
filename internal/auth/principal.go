package auth

import (
	"slices"

	"onair/internal/domain"
)

// KeyPrincipal is the principal of an API key. As the IOIO guide has it, a key
// has full access within its organization: it acts with the admin role and
// every organization permission, and a server-admin key (the bootstrap key)
// also has the server permissions: organizations and metrics. A disabled key keeps its identity for logs
// but gets no permissions; the caller should refuse it before asking.
func KeyPrincipal(k domain.APIKey) domain.Principal {
	p := domain.Principal{OrgID: k.OrgID, KeyID: k.ID, Role: domain.RoleAdmin}
	if !k.Enabled {
		return p
	}
	p.ServerAdmin = k.ServerAdmin
	p.Permissions = permissionsFor(domain.RoleAdmin, k.ServerAdmin)
	return p
}

// UserPrincipal is the principal of a user: the permissions of their role,
// plus the server permissions for a server admin, and their current token
// generation. A disabled user gets no permissions.
func UserPrincipal(u domain.User) domain.Principal {
	p := domain.Principal{OrgID: u.OrgID, UserID: u.ID, Role: u.Role, TokenGeneration: u.TokenGeneration}
	if u.Disabled {
		return p
	}
	p.ServerAdmin = u.ServerAdmin
	p.Permissions = permissionsFor(u.Role, u.ServerAdmin)
	return p
}

// permissionsFor is everything a role may do, with the server permissions
// (organizations:manage, metrics:read) for a server admin: the most an
// idToken's permissions claim may grant.
func permissionsFor(r domain.Role, serverAdmin bool) []domain.Permission {
	perms := r.Permissions()
	if serverAdmin {
		perms = append(perms, domain.ServerPermissions()...)
	}
	return perms
}

// trimPermissions keeps the claimed permissions that the role (and server
// admin flag) allows, each once, in the order claimed; unknown names are
// dropped. The result is never nil, so a principal that may do nothing still
// says so plainly.
func trimPermissions(claimed []string, r domain.Role, serverAdmin bool) []domain.Permission {
	allowed := permissionsFor(r, serverAdmin)
	out := make([]domain.Permission, 0, len(allowed))
	for _, c := range claimed {
		p := domain.Permission(c)
		if slices.Contains(allowed, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
