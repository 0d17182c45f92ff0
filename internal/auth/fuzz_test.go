package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"onair/internal/domain"
)

// FuzzVerify checks that Verify never panics and accepts nothing but tokens
// this server's Tokens could have issued, byte for byte: a mutation that
// still verified (another spelling of the signature, a reordered payload)
// would let one token be replayed under many names, or worse.
func FuzzVerify(f *testing.F) {
	tk := newTestTokens(f, newClock(testNow))
	valid, _, err := tk.Issue(editor)
	if err != nil {
		f.Fatal(err)
	}
	admin, _, err := tk.Issue(domain.User{ID: "root", OrgID: "o1", Role: domain.RoleAdmin, ServerAdmin: true})
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	// No seed is signed by hand with testKey and valid: such a token is a
	// forgery with a leaked key, which verifies by design (and has its
	// permissions trimmed, see TestVerifyTrimsPermissionsToRole).
	for _, seed := range []string{
		valid,
		admin,
		craft(map[string]any{"alg": "none", "typ": "JWT"}, payload(nil), nil),
		craft(map[string]any{"alg": "RS256", "typ": "JWT"}, payload(nil), testKey),
		craft(hs256, payload(map[string]any{"exp": nil}), testKey),
		parts[0] + "." + parts[1] + ".",
		valid + "=",
		"",
		"...",
		"garbage",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := tk.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify(%q) error %v does not wrap ErrInvalidToken", token, err)
			}
			if !reflect.DeepEqual(p, domain.Principal{}) {
				t.Fatalf("Verify(%q) refused but gave principal %+v", token, p)
			}
			return
		}
		checkIssued(t, tk, token, p)
	})
}

// checkIssued fails unless token, which verified as p, is exactly what Issue
// would have written: the header and payload as Issue marshals them and the
// principal the one UserPrincipal gives for the user they name.
func checkIssued(t *testing.T, tk *Tokens, token string, p domain.Principal) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("verified %q has %d parts", token, len(parts))
	}
	header, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	body, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("verified %q: %v", token, err)
	}
	if string(header) != `{"alg":"HS256","typ":"JWT"}` {
		t.Fatalf("verified %q has header %s, not Issue's", token, header)
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("verified %q has payload %s: %v", token, body, err)
	}
	again, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, body) {
		t.Fatalf("verified %q has payload\n%s\nbut Issue would write\n%s", token, body, again)
	}
	if c.Issuer != tk.issuer || c.ExpiresAt.Sub(c.IssuedAt.Time) != tk.ttl {
		t.Fatalf("verified %q has iss %q and lifetime %v", token, c.Issuer, c.ExpiresAt.Sub(c.IssuedAt.Time))
	}
	u := domain.User{ID: c.Subject, OrgID: c.Org, Role: c.Role, ServerAdmin: c.ServerAdmin}
	if want := UserPrincipal(u); !reflect.DeepEqual(p, want) {
		t.Fatalf("verified %q as %+v, want %+v", token, p, want)
	}
}

// TestFuzzCorpusHasAValidToken keeps the committed corpus reaching the
// accepting path of FuzzVerify, whose checks only run on tokens that verify.
func TestFuzzCorpusHasAValidToken(t *testing.T) {
	b, err := os.ReadFile("testdata/fuzz/FuzzVerify/seed-valid-editor")
	if err != nil {
		t.Fatal(err)
	}
	line, ok := strings.CutPrefix(string(b), "go test fuzz v1\nstring(")
	line, ok2 := strings.CutSuffix(line, ")\n")
	token, err := strconv.Unquote(line)
	if !ok || !ok2 || err != nil {
		t.Fatalf("seed file is not one string: %q (%v)", b, err)
	}
	tk := newTestTokens(t, newClock(testNow))
	p, err := tk.Verify(token)
	if err != nil {
		t.Fatalf("committed valid seed refused: %v", err)
	}
	checkIssued(t, tk, token, p)
}
