package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is a user's role in their organization.
type Role string

// The roles, from most to least powerful.
const (
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

// Roles lists the roles.
var Roles = []Role{RoleAdmin, RoleEditor, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Permission names one thing a caller may do.
type Permission string

// The permissions. Reading an organization's objects needs PermRead; each kind
// of change has its own.
const (
	PermRead            Permission = "read"
	PermWorkflowsWrite  Permission = "workflows:write"
	PermBlueprintsWrite Permission = "blueprints:write"
	PermChannelsStart   Permission = "channels:start"
	PermInputsWrite     Permission = "inputs:write"
	PermAPIKeysManage   Permission = "apikeys:manage"
	PermUsersManage     Permission = "users:manage"
	// PermOrganizationsManage belongs to server admins alone.
	PermOrganizationsManage Permission = "organizations:manage"
	// PermMetricsRead (/metrics) belongs to server admins alone too: the
	// metrics span every organization, and name their workflows.
	PermMetricsRead Permission = "metrics:read"
)

// serverPermissions are the server admins' alone, whatever their role.
var serverPermissions = []Permission{PermOrganizationsManage, PermMetricsRead}

// ServerPermissions are what a server admin may do beyond their role.
func ServerPermissions() []Permission { return slices.Clone(serverPermissions) }

// orgPermissions are everything that can be done within one organization.
var orgPermissions = []Permission{PermRead, PermWorkflowsWrite, PermBlueprintsWrite, PermChannelsStart,
	PermInputsWrite, PermAPIKeysManage, PermUsersManage}

// Permissions are what a role may do.
func (r Role) Permissions() []Permission {
	switch r {
	case RoleAdmin:
		return slices.Clone(orgPermissions)
	case RoleEditor:
		return []Permission{PermRead, PermWorkflowsWrite, PermBlueprintsWrite, PermChannelsStart, PermInputsWrite}
	case RoleViewer:
		return []Permission{PermRead}
	}
	return nil
}

// Organization is a tenant: every workflow, blueprint, input, user and key
// belongs to one, and none sees another's.
type Organization struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// User logs in with an email and a password for idTokens.
type User struct {
	ID           string    `json:"id"`
	OrgID        string    `json:"organizationId"`
	Email        string    `json:"email"`
	PasswordHash string    `json:"-"`
	Role         Role      `json:"role"`
	ServerAdmin  bool      `json:"serverAdmin,omitempty"`
	Disabled     bool      `json:"disabled"`
	Created      time.Time `json:"created"`
	// TokenGeneration is carried by every idToken and refresh token issued to
	// the user; only those of the current generation are honoured.
	TokenGeneration int `json:"-"`
}

// EndSessions ends every idToken and refresh token issued to the user so far:
// after a password change, or when the user is disabled, so that re-enabling
// them does not revive what was issued before.
func (u *User) EndSessions() { u.TokenGeneration++ }

// APIKey is a server-to-server credential: no TTL, full access within its
// organization, until it is disabled or revoked. Only its hash is kept.
type APIKey struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"-"`
	Name        string    `json:"name"`
	Enabled     bool      `json:"enabled"`
	Hash        string    `json:"-"`
	ServerAdmin bool      `json:"-"` // the bootstrap key may also manage organizations
	Created     time.Time `json:"created"`
}

// Principal is who a request acts for, worked out from its credentials.
type Principal struct {
	OrgID       string
	UserID      string // for idTokens
	KeyID       string // for API keys
	Role        Role
	ServerAdmin bool
	Permissions []Permission
	// TokenGeneration is, for an idToken, the user's token generation when it
	// was issued (see User.TokenGeneration).
	TokenGeneration int
}

// Can reports whether the principal holds a permission.
func (p Principal) Can(perm Permission) bool {
	if slices.Contains(serverPermissions, perm) {
		return p.ServerAdmin
	}
	return slices.Contains(p.Permissions, perm)
}

// RefreshToken lets a user get a new idToken without the password. Only its
// hash is kept, and each use replaces it with a new one.
type RefreshToken struct {
	Hash       string
	UserID     string
	OrgID      string
	Expires    time.Time
	Generation int // the user's token generation when it was issued
}

// ValidateName checks a name a user gives (an API key's, an organization's)
// with the same rules as a workflow's name.
func ValidateName(field, v string) error {
	p := &problems{}
	checkText(p, field, v, true, maxNameLen)
	return p.err()
}

// maxEmailLen is the longest address SMTP can carry (RFC 5321).
const maxEmailLen = 254

// ValidateEmail checks an email address a user gives and returns it as onair
// keeps it: trimmed and in lower case. Besides the shape (a local part, an @
// and a domain), it refuses spaces, control characters and invisible format
// characters (such as U+202E, which reverses the text after it), which no
// address holds and which would forge log lines or disguise an address.
func ValidateEmail(field, v string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(v))
	at := strings.LastIndexByte(email, '@')
	ok := at > 0 && at < len(email)-1 && len(email) <= maxEmailLen && utf8.ValidString(email)
	for _, r := range email {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			ok = false
		}
	}
	if !ok {
		p := &problems{}
		p.add(field, "must be an email address such as ada@example.com, without spaces or control characters; got %q", v)
		return "", p.err()
	}
	return email, nil
}
