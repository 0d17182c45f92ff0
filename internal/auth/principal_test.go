package auth

import (
	"slices"
	"testing"

	"onair/internal/domain"
)

var allPerms = []domain.Permission{
	domain.PermRead, domain.PermWorkflowsWrite, domain.PermBlueprintsWrite, domain.PermChannelsStart,
	domain.PermInputsWrite, domain.PermAPIKeysManage, domain.PermUsersManage, domain.PermOrganizationsManage,
	domain.PermMetricsRead,
}

// orgPerms are allPerms but the server admins' own.
var orgPerms = allPerms[:len(allPerms)-2]

// can lists the permissions of allPerms that p holds.
func can(p domain.Principal) []domain.Permission {
	var out []domain.Permission
	for _, perm := range allPerms {
		if p.Can(perm) {
			out = append(out, perm)
		}
	}
	return out
}

func TestKeyPrincipal(t *testing.T) {
	tests := []struct {
		name string
		key  domain.APIKey
		want []domain.Permission
	}{
		{"enabled key: everything in its org", domain.APIKey{ID: "k1", OrgID: "o1", Enabled: true}, orgPerms},
		{"server-admin key: also organizations and metrics", domain.APIKey{ID: "k1", OrgID: "o1", Enabled: true, ServerAdmin: true}, allPerms},
		{"disabled key: nothing", domain.APIKey{ID: "k1", OrgID: "o1"}, nil},
		{"disabled server-admin key: nothing", domain.APIKey{ID: "k1", OrgID: "o1", ServerAdmin: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := KeyPrincipal(tt.key)
			if p.OrgID != "o1" || p.KeyID != "k1" || p.UserID != "" {
				t.Errorf("principal = %+v, want org o1, key k1, no user", p)
			}
			if got := can(p); !slices.Equal(got, tt.want) {
				t.Errorf("key can %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUserPrincipal(t *testing.T) {
	tests := []struct {
		name string
		user domain.User
		want []domain.Permission
	}{
		{"admin", domain.User{Role: domain.RoleAdmin}, orgPerms},
		{"editor", domain.User{Role: domain.RoleEditor}, []domain.Permission{domain.PermRead,
			domain.PermWorkflowsWrite, domain.PermBlueprintsWrite, domain.PermChannelsStart, domain.PermInputsWrite}},
		{"viewer", domain.User{Role: domain.RoleViewer}, []domain.Permission{domain.PermRead}},
		{"server admin", domain.User{Role: domain.RoleAdmin, ServerAdmin: true}, allPerms},
		{"viewer server admin", domain.User{Role: domain.RoleViewer, ServerAdmin: true},
			[]domain.Permission{domain.PermRead, domain.PermOrganizationsManage, domain.PermMetricsRead}},
		{"unknown role", domain.User{Role: "owner"}, nil},
		{"disabled admin", domain.User{Role: domain.RoleAdmin, ServerAdmin: true, Disabled: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.user.ID, tt.user.OrgID = "u1", "o1"
			p := UserPrincipal(tt.user)
			if p.OrgID != "o1" || p.UserID != "u1" || p.KeyID != "" || p.Role != tt.user.Role {
				t.Errorf("principal = %+v, want org o1, user u1, role %s", p, tt.user.Role)
			}
			if got := can(p); !slices.Equal(got, tt.want) {
				t.Errorf("user can %v, want %v", got, tt.want)
			}
		})
	}
}
