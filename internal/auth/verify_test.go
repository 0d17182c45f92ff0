package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"onair/internal/domain"
)

func TestVerifyRefuses(t *testing.T) {
	clock := newClock(testNow)
	tk := newTestTokens(t, clock)
	valid, _, err := tk.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")

	otherKey := bytes.Repeat([]byte("x"), 32)
	otherServer, err := NewTokens(testKey, "https://other.example", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	fromOtherServer, _, err := otherServer.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}
	otherKeyed, err := NewTokens(otherKey, testIssuer, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	fromOtherKey, _, err := otherKeyed.Issue(editor)
	if err != nil {
		t.Fatal(err)
	}

	// Tampered: the payload says admin, the signature is the editor token's.
	c := decodeSegment(t, parts[1])
	c["role"] = "admin"
	tampered := parts[0] + "." + b64(c) + "." + parts[2]

	// The last character of a 32-byte signature carries 2 padding bits;
	// setting them gives another spelling of the same bytes.
	sig := parts[2]
	last := strings.IndexByte(base64URLAlphabet, sig[len(sig)-1])
	respelled := parts[0] + "." + parts[1] + "." + sig[:len(sig)-1] + string(base64URLAlphabet[last^1])

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(payload(nil))).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	es256, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(payload(nil))).SignedString(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims(payload(nil))).SignedString(testKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		why   string // in the error, so each case fails for its own reason
	}{
		{"empty", "", "invalid number of segments"},
		{"garbage", "not a token", "invalid number of segments"},
		{"two parts", parts[0] + "." + parts[1], "invalid number of segments"},
		{"four parts", valid + ".x", "invalid number of segments"},
		{"too long", valid + strings.Repeat("A", maxTokenLen), "longer than 8192 bytes"},
		{"alg none", craft(map[string]any{"alg": "none", "typ": "JWT"}, payload(nil), nil), "signing method none is invalid"},
		{"alg None", craft(map[string]any{"alg": "None", "typ": "JWT"}, payload(nil), nil), "unavailable"},
		{"alg none with our signature", craft(map[string]any{"alg": "none"}, payload(nil), testKey), "signing method none is invalid"},
		{"no alg", craft(map[string]any{"typ": "JWT"}, payload(nil), testKey), "unspecified"},
		{"alg HS256 with empty signature", craft(hs256, payload(nil), nil), "signature is invalid"},
		{"signed with another key", fromOtherKey, "signature is invalid"},
		{"another server: same key, other issuer", fromOtherServer, "invalid issuer"},
		{"no issuer", craft(hs256, payload(map[string]any{"iss": nil}), testKey), "iss claim is required"},
		{"tampered payload", tampered, "signature is invalid"},
		{"signature spelled another way", respelled, "base64 decode signature"},
		{"padded signature", valid + "=", "base64 decode signature"},
		{"RS256", rs256, "RS256 is invalid"},
		{"ES256", es256, "ES256 is invalid"},
		{"HS512 with our key", hs512, "HS512 is invalid"},
		{"RS256 header over our HMAC (algorithm confusion)", craft(map[string]any{"alg": "RS256", "typ": "JWT"}, payload(nil), testKey), "RS256 is invalid"},
		{"ES256 header over our HMAC", craft(map[string]any{"alg": "ES256", "typ": "JWT"}, payload(nil), testKey), "ES256 is invalid"},
		{"missing exp", craft(hs256, payload(map[string]any{"exp": nil}), testKey), "exp claim is required"},
		{"missing iat", craft(hs256, payload(map[string]any{"iat": nil}), testKey), "no iat"},
		{"exp a string", craft(hs256, payload(map[string]any{"exp": "tomorrow"}), testKey), "could not JSON decode claim"},
		{"expired beyond the skew", craft(hs256, payload(map[string]any{"iat": epoch - 3600 - 31, "exp": epoch - 31}), testKey), "token is expired"},
		{"issued in the future beyond the skew", craft(hs256, payload(map[string]any{"iat": epoch + 31, "exp": epoch + 31 + 3600}), testKey), "used before issued"},
		{"not valid yet", craft(hs256, payload(map[string]any{"nbf": epoch + 600}), testKey), "not valid yet"},
		{"lives longer than an hour", craft(hs256, payload(map[string]any{"exp": epoch + 7200}), testKey), "lives longer than 1h"},
		{"missing sub", craft(hs256, payload(map[string]any{"sub": nil}), testKey), "no sub"},
		{"missing org", craft(hs256, payload(map[string]any{"org": nil}), testKey), "no org"},
		{"unknown role", craft(hs256, payload(map[string]any{"role": "owner"}), testKey), "unknown role \"owner\""},
		{"missing role", craft(hs256, payload(map[string]any{"role": nil}), testKey), "unknown role \"\""},
		{"permissions not a list", craft(hs256, payload(map[string]any{"permissions": "read"}), testKey), "permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tk.Verify(tt.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
			if !reflect.DeepEqual(p, domain.Principal{}) {
				t.Errorf("refused token still gave principal %+v", p)
			}
			if !strings.HasPrefix(err.Error(), ErrInvalidToken.Error()+": ") || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q, want the reason %q", err, tt.why)
			}
		})
	}
	// The valid token itself still passes, so the refusals above are for
	// what each case changed.
	if _, err := tk.Verify(valid); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
