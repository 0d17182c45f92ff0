package auth

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the bcrypt work factor for new password hashes. It is a
// variable only so that tests can lower it; production code leaves it alone.
var BcryptCost = bcrypt.DefaultCost

// Password length limits. The upper one is bcrypt's: it ignores every byte
// after the 72nd, so a longer password would silently be checked only in part.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 72
)

// Password errors, for the API to report as a bad request.
var (
	ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordChars)
	ErrPasswordTooLong  = fmt.Errorf("password must be at most %d bytes", MaxPasswordBytes)
)

// noUserHash is a bcrypt hash, at the default cost, of a password nobody
// uses. CheckPassword compares against it when it is given no hash, so that
// a login for an unknown email takes as long as one for a known email.
const noUserHash = "$2a$10$1h0bIwki02J6ORoGx5aV3Osp3RfipSOp4cPzyAtxIOn3E15akUsNu"

// HashPassword returns the bcrypt hash of a new password, refusing one that is
// shorter than MinPasswordChars characters or longer than MaxPasswordBytes bytes.
func HashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinPasswordChars {
		return "", ErrPasswordTooShort
	}
	if len(pw) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches a hash from HashPassword, in time
// that does not depend on how much of it matches. Pass an empty hash for an
// unknown user: the check then still costs a full bcrypt comparison and fails,
// so response times do not reveal which emails have accounts.
func CheckPassword(hash, pw string) bool {
	if len(pw) > MaxPasswordBytes {
		return false // HashPassword never accepted it
	}
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword([]byte(noUserHash), []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
