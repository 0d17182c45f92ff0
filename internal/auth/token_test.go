package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
)

const testIssuer = "https://onair.example"

var (
	testKey = bytes.Repeat([]byte("k"), 32)
	// testNow has a fraction of a second, which JWT times drop.
	testNow = time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	epoch   = testNow.Truncate(time.Second).Unix()
	editor  = domain.User{ID: "u1", OrgID: "o1", Email: "ed@example.com", Role: domain.RoleEditor}
)

func newTestTokens(t testing.TB, clock *fakeClock) *Tokens {
	t.Helper()
	tk, err := NewTokens(testKey, testIssuer, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// craft builds a token by hand: header and payload as given, signed with
// HMAC-SHA256 under key whatever the header says (nil key: empty signature).
func craft(header, payload map[string]any, key []byte) string {
	in := b64(header) + "." + b64(payload)
	if key == nil {
		return in + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var hs256 = map[string]any{"alg": "HS256", "typ": "JWT"}

// payload is a valid idToken payload, changed by edits (a nil value deletes).
func payload(edits map[string]any) map[string]any {
	p := map[string]any{
		"iss": testIssuer, "sub": "u1", "org": "o1", "role": "editor",
		"permissions": []string{"read", "workflows:write"},
		"iat":         epoch, "exp": epoch + 3600, "jti": "j1",
	}
	for k, v := range edits {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	clock := newClock(testNow)
	tk := newTestTokens(t, clock)
	tok, exp, err := tk.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}
	if want := testNow.Truncate(time.Second).Add(time.Hour); !exp.Equal(want) {
		t.Errorf("expires = %v, want %v", exp, want)
	}
	if tk.TTL() != time.Hour {
		t.Errorf("TTL = %v, want 1h", tk.TTL())
	}

	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts, want 3", tok, len(parts))
	}
	if h := decodeSegment(t, parts[0]); h["alg"] != "HS256" {
		t.Errorf("header = %v, want alg HS256", h)
	}
	c := decodeSegment(t, parts[1])
	want := map[string]any{
		"iss": testIssuer, "sub": "u1", "org": "o1", "role": "editor",
		"permissions": []any{"read", "workflows:write", "blueprints:write", "channels:start", "inputs:write"},
		"iat":         float64(epoch), "exp": float64(epoch + 3600),
	}
	jti, _ := c["jti"].(string)
	if len(jti) < 16 {
		t.Errorf("jti = %q, want a random id", c["jti"])
	}
	delete(c, "jti")
	if !reflect.DeepEqual(c, want) {
		t.Errorf("claims = %v\nwant %v", c, want)
	}

	p, err := tk.Verify(tok)
	if err != nil {
		t.Fatalf("Verify(Issue()) = %v", err)
	}
	if wantP := UserPrincipal(editor); !reflect.DeepEqual(p, wantP) {
		t.Errorf("principal = %+v, want %+v", p, wantP)
	}

	again, _, err := tk.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}
	if again == tok {
		t.Error("two tokens issued in the same second are equal: jti is not random")
	}
}

func TestServerAdminClaimSurvives(t *testing.T) {
	tk := newTestTokens(t, newClock(testNow))
	u := domain.User{ID: "root", OrgID: "o1", Role: domain.RoleAdmin, ServerAdmin: true}
	tok, _, err := tk.Issue(u)
	if err != nil {
		t.Fatal(err)
	}
	if c := decodeSegment(t, strings.Split(tok, ".")[1]); c["sa"] != true {
		t.Errorf("claims = %v, want sa: true", c)
	}
	p, err := tk.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !p.ServerAdmin || !p.Can(domain.PermOrganizationsManage) || !p.Can(domain.PermUsersManage) {
		t.Errorf("server admin principal = %+v, want ServerAdmin and organizations:manage", p)
	}
	if !reflect.DeepEqual(p, UserPrincipal(u)) {
		t.Errorf("principal = %+v, want %+v", p, UserPrincipal(u))
	}
}

// TestTokenGenerationSurvives: an idToken carries the user's token generation,
// which the API compares with the user's current one.
func TestTokenGenerationSurvives(t *testing.T) {
	tk := newTestTokens(t, newClock(testNow))
	u := editor
	u.EndSessions()
	u.EndSessions()
	tok, _, err := tk.Issue(u)
	if err != nil {
		t.Fatal(err)
	}
	if c := decodeSegment(t, strings.Split(tok, ".")[1]); c["gen"] != float64(2) {
		t.Errorf("claims = %v, want gen: 2", c)
	}
	p, err := tk.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.TokenGeneration != 2 || !reflect.DeepEqual(p, UserPrincipal(u)) {
		t.Errorf("principal = %+v, want %+v", p, UserPrincipal(u))
	}
	// A token of a user never moved on has no gen claim, as before there was one.
	old, _, _ := tk.Issue(editor)
	if c := decodeSegment(t, strings.Split(old, ".")[1]); c["gen"] != nil {
		t.Errorf("claims = %v, want no gen", c)
	}
}

func TestVerifyTrimsPermissionsToRole(t *testing.T) {
	tk := newTestTokens(t, newClock(testNow))
	every := []string{"read", "workflows:write", "blueprints:write", "channels:start", "inputs:write",
		"apikeys:manage", "users:manage", "organizations:manage", "metrics:read", "bogus", "read"}
	tests := []struct {
		name  string
		edits map[string]any
		want  []domain.Permission
		sa    bool
	}{
		{"viewer claiming everything gets read", map[string]any{"role": "viewer", "permissions": every},
			[]domain.Permission{domain.PermRead}, false},
		{"editor claiming everything gets the editor's", map[string]any{"permissions": every},
			domain.RoleEditor.Permissions(), false},
		{"admin without sa loses organizations:manage and metrics:read", map[string]any{"role": "admin", "permissions": every},
			domain.RoleAdmin.Permissions(), false},
		{"admin with sa keeps it", map[string]any{"role": "admin", "sa": true, "permissions": every},
			append(domain.RoleAdmin.Permissions(), domain.PermOrganizationsManage, domain.PermMetricsRead), true},
		{"a narrower claim stays narrow", map[string]any{"role": "admin", "permissions": []string{"read"}},
			[]domain.Permission{domain.PermRead}, false},
		{"no permissions claim: none", map[string]any{"role": "admin", "permissions": nil},
			[]domain.Permission{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tk.Verify(craft(hs256, payload(tt.edits), testKey))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Permissions, tt.want) || p.ServerAdmin != tt.sa {
				t.Errorf("permissions = %v, sa %v; want %v, sa %v", p.Permissions, p.ServerAdmin, tt.want, tt.sa)
			}
		})
	}
}

func TestVerifyExpiryAndSkew(t *testing.T) {
	clock := newClock(testNow)
	tk := newTestTokens(t, clock)
	tok, exp, err := tk.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}
	issued := testNow.Truncate(time.Second)
	tests := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"at issue", issued, true},
		{"half way", issued.Add(30 * time.Minute), true},
		{"a second before exp", exp.Add(-time.Second), true},
		{"29 s after exp (clock skew)", exp.Add(29 * time.Second), true},
		{"31 s after exp", exp.Add(31 * time.Second), false},
		{"a day later", exp.Add(24 * time.Hour), false},
		{"verifier 29 s behind the issuer", issued.Add(-29 * time.Second), true},
		{"verifier 31 s behind the issuer", issued.Add(-31 * time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Set(tt.at)
			_, err := tk.Verify(tok)
			if ok := err == nil; ok != tt.ok {
				t.Errorf("Verify at %v: err = %v, want ok %v", tt.at, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("error %v does not wrap ErrInvalidToken", err)
			}
		})
	}
}

func TestIssueRefuses(t *testing.T) {
	tk := newTestTokens(t, newClock(testNow))
	tests := []struct {
		name string
		user domain.User
	}{
		{"disabled user", domain.User{ID: "u1", OrgID: "o1", Role: domain.RoleAdmin, Disabled: true}},
		{"unknown role", domain.User{ID: "u1", OrgID: "o1", Role: "owner"}},
		{"no id", domain.User{OrgID: "o1", Role: domain.RoleViewer}},
		{"no organization", domain.User{ID: "u1", Role: domain.RoleViewer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, _, err := tk.Issue(tt.user); err == nil {
				t.Errorf("Issue(%+v) = %q, want an error", tt.user, tok)
			}
		})
	}
}

func TestNewTokens(t *testing.T) {
	if _, err := NewTokens(testKey[:31], testIssuer, nil); err == nil {
		t.Error("NewTokens accepted a 31-byte key")
	}
	if _, err := NewTokens(nil, testIssuer, nil); err == nil {
		t.Error("NewTokens accepted no key")
	}
	if _, err := NewTokens(testKey, "", nil); err == nil {
		t.Error("NewTokens accepted an empty issuer")
	}

	// The key is copied: the caller reusing its slice changes nothing.
	key := bytes.Clone(testKey)
	tk, err := NewTokens(key, testIssuer, nil) // the real clock
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := tk.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}
	key[0] ^= 0xff
	if _, err := tk.Verify(tok); err != nil {
		t.Errorf("Verify after the caller changed its key slice: %v", err)
	}
}
