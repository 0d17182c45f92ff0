package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordLimits(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", ErrPasswordTooShort},
		{"7 characters", "abcdefg", ErrPasswordTooShort},
		{"7 two-byte characters", strings.Repeat("é", 7), ErrPasswordTooShort},
		{"8 characters", "abcdefgh", nil},
		{"8 two-byte characters", strings.Repeat("é", 8), nil},
		{"72 bytes", strings.Repeat("a", 72), nil},
		{"73 bytes", strings.Repeat("a", 73), ErrPasswordTooLong},
		{"25 three-byte characters", strings.Repeat("€", 25), ErrPasswordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HashPassword(tt.pw)
			if !errors.Is(err, tt.want) {
				t.Fatalf("HashPassword(%q) error = %v, want %v", tt.pw, err, tt.want)
			}
			if tt.want != nil {
				if h != "" {
					t.Errorf("HashPassword returned hash %q with an error", h)
				}
				return
			}
			if !CheckPassword(h, tt.pw) {
				t.Errorf("CheckPassword(hash, %q) = false, want true", tt.pw)
			}
		})
	}
}

func TestPasswordErrorsSayTheLimit(t *testing.T) {
	if got := ErrPasswordTooShort.Error(); !strings.Contains(got, "8 characters") {
		t.Errorf("ErrPasswordTooShort = %q, want it to name 8 characters", got)
	}
	if got := ErrPasswordTooLong.Error(); !strings.Contains(got, "72 bytes") {
		t.Errorf("ErrPasswordTooLong = %q, want it to name 72 bytes", got)
	}
}

func TestCheckPassword(t *testing.T) {
	const pw = "correct horse battery"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	long72 := strings.Repeat("x", 72)
	h72, err := HashPassword(long72)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hash string
		pw   string
		want bool
	}{
		{"right password", h, pw, true},
		{"wrong password", h, "correct horse battery!", false},
		{"prefix", h, "correct horse", false},
		{"other case", h, "Correct horse battery", false},
		{"empty password", h, "", false},
		{"no hash (unknown user)", "", pw, false},
		{"no hash, empty password", "", "", false},
		{"garbage hash", "not-a-bcrypt-hash", pw, false},
		{"72 bytes", h72, long72, true},
		{"73 bytes whose first 72 match", h72, long72 + "y", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPassword(tt.hash, tt.pw); got != tt.want {
				t.Errorf("CheckPassword(%q, %q) = %v, want %v", tt.hash, tt.pw, got, tt.want)
			}
		})
	}
}

func TestHashPasswordIsSaltedBcrypt(t *testing.T) {
	const pw = "same password"
	a, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): not salted", a)
	}
	if strings.Contains(a, pw) {
		t.Errorf("hash %q contains the password", a)
	}
	cost, err := bcrypt.Cost([]byte(a))
	if err != nil {
		t.Fatalf("hash %q is not bcrypt: %v", a, err)
	}
	if cost != BcryptCost {
		t.Errorf("hash cost = %d, want BcryptCost %d", cost, BcryptCost)
	}
	if defaultBcryptCost != 10 {
		t.Errorf("default BcryptCost = %d, want 10", defaultBcryptCost)
	}
}

func TestNoUserHashIsDefaultCost(t *testing.T) {
	// The unknown-user comparison only hides who has an account if it costs
	// what a real one does.
	cost, err := bcrypt.Cost([]byte(noUserHash))
	if err != nil || cost != defaultBcryptCost {
		t.Errorf("noUserHash cost = %d, %v; want %d", cost, err, defaultBcryptCost)
	}
}
