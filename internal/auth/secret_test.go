package auth

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

const samples = 10_000

func TestNewAPIKeyFormat(t *testing.T) {
	idRE := regexp.MustCompile(`^[a-z0-9]{10}$`)
	valueRE := regexp.MustCompile(`^[A-Za-z0-9]{40}$`)
	// The guide's own example has this shape.
	if !idRE.MatchString("e2awx7tw1m") || !valueRE.MatchString("5ykihj6Kt9dDXcuzptZm7WMFYrbrgLN2qwKYeeA8") {
		t.Fatal("the IOIO guide's example key does not match the expected format")
	}
	ids := make(map[string]bool, samples)
	values := make(map[string]bool, samples)
	idChars := make(map[rune]int)
	valueChars := make(map[rune]int)
	for range samples {
		id, value := NewAPIKey()
		if !idRE.MatchString(id) {
			t.Fatalf("id %q is not 10 lower-case alphanumerics", id)
		}
		if !valueRE.MatchString(value) {
			t.Fatalf("value %q is not 40 base62 characters", value)
		}
		if ids[id] {
			t.Fatalf("id %q repeated within %d keys", id, samples)
		}
		if values[value] {
			t.Fatalf("value %q repeated within %d keys", value, samples)
		}
		ids[id], values[value] = true, true
		for _, c := range id {
			idChars[c]++
		}
		for _, c := range value {
			valueChars[c]++
		}
	}
	checkUniform(t, "id", idChars, lowerAlnum, samples*APIKeyIDLen)
	checkUniform(t, "value", valueChars, base62, samples*APIKeyValueLen)
}

// checkUniform fails if some character of alphabet is missing or much more or
// less common than the others: a sign of a wrong alphabet or modulo bias.
func checkUniform(t *testing.T, what string, counts map[rune]int, alphabet string, total int) {
	t.Helper()
	if len(counts) != len(alphabet) {
		t.Errorf("%s uses %d distinct characters, want all %d of %q", what, len(counts), len(alphabet), alphabet)
	}
	want := float64(total) / float64(len(alphabet))
	for _, c := range alphabet {
		if got := float64(counts[c]); got < want*0.9 || got > want*1.1 {
			t.Errorf("%s character %q appears %v times, want about %v", what, c, got, want)
		}
	}
}

func TestNewRefreshToken(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	seen := make(map[string]bool, samples)
	for range samples {
		tok := NewRefreshToken()
		if !re.MatchString(tok) {
			t.Fatalf("refresh token %q is not 43 base64url characters", tok)
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
		if err != nil || len(b) != 32 {
			t.Fatalf("refresh token %q decodes to %d bytes, %v; want 32 (256 bits)", tok, len(b), err)
		}
		if seen[tok] {
			t.Fatalf("refresh token %q repeated within %d", tok, samples)
		}
		seen[tok] = true
	}
}

func TestHashSecret(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// FIPS 180-2 test vectors.
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"5ykihj6Kt9dDXcuzptZm7WMFYrbrgLN2qwKYeeA8", HashSecret("5ykihj6Kt9dDXcuzptZm7WMFYrbrgLN2qwKYeeA8")},
	}
	for _, tt := range tests {
		if got := HashSecret(tt.in); got != tt.want {
			t.Errorf("HashSecret(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	_, value := NewAPIKey()
	h := HashSecret(value)
	if h != HashSecret(value) {
		t.Error("HashSecret is not stable")
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Errorf("HashSecret = %q, want 64 lower-case hex digits", h)
	}
	if strings.Contains(h, value) || h == HashSecret(value+"x") {
		t.Errorf("HashSecret(%q) = %q does not hide or distinguish the value", value, h)
	}
}

func TestNewSigningKey(t *testing.T) {
	a, err := NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("signing keys are %d and %d bytes, want 32", len(a), len(b))
	}
	if string(a) == string(b) {
		t.Error("two signing keys are equal")
	}
	if _, err := NewTokens(a, "https://onair.example", nil); err != nil {
		t.Errorf("NewTokens refuses a NewSigningKey key: %v", err)
	}
}
