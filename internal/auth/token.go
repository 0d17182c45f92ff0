package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onair/internal/domain"
)

// ErrInvalidToken is wrapped by every error from Tokens.Verify. The reason
// after it is for logs; clients should be told no more than this message.
var ErrInvalidToken = errors.New("invalid or expired token")

const (
	// TokenTTL is how long an idToken lives, as in the IOIO guide.
	TokenTTL = time.Hour
	// ClockSkew is how far Verify lets exp and iat be off, for clocks that
	// disagree a little; no more, so an expired token is not honoured for long.
	ClockSkew = 30 * time.Second
	// MinSigningKeyLen is the shortest key NewTokens accepts: HS256 is only as
	// strong as its key, and 256 bits is its own output size.
	MinSigningKeyLen = 32

	// maxTokenLen refuses absurd input before any decoding work; a real
	// token is a few hundred bytes.
	maxTokenLen = 8 << 10
	jtiBytes    = 16
)

// Tokens issues and verifies idTokens: HS256 JWTs signed with one server's
// key and naming its issuer, so a token from another onair server is refused.
type Tokens struct {
	key    []byte
	issuer string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// claims is the payload of an idToken. RegisteredClaims comes first so that
// the standard claims lead the JSON.
type claims struct {
	jwt.RegisteredClaims
	Org         string      `json:"org"`
	Role        domain.Role `json:"role"`
	Permissions []string    `json:"permissions"`
	ServerAdmin bool        `json:"sa,omitempty"`
	// Generation is the user's token generation: a password change moves the
	// user's on, and ends this token.
	Generation int `json:"gen,omitempty"`
}

// NewTokens returns Tokens that sign with key (at least MinSigningKeyLen
// bytes, e.g. from NewSigningKey) and name issuer (e.g. the server's public
// URL). now is the clock; nil means time.Now.
func NewTokens(key []byte, issuer string, now func() time.Time) (*Tokens, error) {
	if len(key) < MinSigningKeyLen {
		return nil, fmt.Errorf("idToken signing key is %d bytes, need at least %d", len(key), MinSigningKeyLen)
	}
	if issuer == "" {
		return nil, errors.New("idToken issuer is empty")
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{key: append([]byte(nil), key...), issuer: issuer, ttl: TokenTTL, now: now}
	t.parser = jwt.NewParser(
		// The allow-list is what stops alg:none and algorithm confusion
		// (an RS256 header over an HMAC made with a public key): the header
		// names the algorithm, but only this server decides which it accepts.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(ClockSkew),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
		// Each token has exactly one encoding, so a verified token is
		// byte for byte one that Issue made.
		jwt.WithStrictDecoding(),
	)
	return t, nil
}

// TTL is how long the idTokens that Issue makes live (for ExpiresIn).
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs an idToken for an enabled user. Its claims are sub (the user's
// id), org, role, permissions (the role's, see UserPrincipal), sa for a server
// admin, gen (the user's token generation), iss, iat, exp (iat plus the TTL)
// and a random jti. It returns the
// token and when it expires.
func (t *Tokens) Issue(u domain.User) (token string, expires time.Time, err error) {
	switch {
	case u.ID == "" || u.OrgID == "":
		return "", time.Time{}, errors.New("issue idToken: user has no id or organization")
	case !u.Role.Valid():
		return "", time.Time{}, fmt.Errorf("issue idToken: user %s has unknown role %q", u.ID, u.Role)
	case u.Disabled:
		return "", time.Time{}, fmt.Errorf("issue idToken: user %s is disabled", u.ID)
	}
	// JWT times are whole seconds; truncating here makes the returned
	// expiry the one in the token.
	iat := t.now().UTC().Truncate(time.Second)
	exp := iat.Add(t.ttl)
	p := UserPrincipal(u)
	perms := make([]string, len(p.Permissions))
	for i, perm := range p.Permissions {
		perms[i] = string(perm)
	}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   u.ID,
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        newJTI(),
		},
		Org:         u.OrgID,
		Role:        u.Role,
		Permissions: perms,
		ServerAdmin: u.ServerAdmin,
		Generation:  u.TokenGeneration,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue idToken: %w", err)
	}
	return s, exp, nil
}

// Verify checks an idToken and returns who it speaks for. It accepts HS256
// alone (alg:none, RS256, ES256 and the rest are refused whatever the
// signature), then checks the signature with this server's key, the issuer,
// exp (required) and iat (required, not in the future), allowing ClockSkew
// and no more, and refuses a lifetime longer than Issue gives.
//
// The permissions come from the token but are intersected with what its role
// (and server admin claim) allows: the claim can narrow a principal, never
// widen it, so even a token signed with a leaked key and a forged permissions
// list gets no more than its role. Verify does not know whether the user has
// since been disabled, deleted or had their password changed; callers that
// must know look the user up and compare TokenGeneration.
func (t *Tokens) Verify(token string) (domain.Principal, error) {
	if len(token) > maxTokenLen {
		return domain.Principal{}, invalid("token is longer than %d bytes", maxTokenLen)
	}
	var c claims
	if _, err := t.parser.ParseWithClaims(token, &c, t.keyFor); err != nil {
		return domain.Principal{}, invalid("%v", err)
	}
	switch {
	case c.IssuedAt == nil:
		return domain.Principal{}, invalid("token has no iat")
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > t.ttl:
		return domain.Principal{}, invalid("token lives longer than %v", t.ttl)
	case c.Subject == "":
		return domain.Principal{}, invalid("token has no sub")
	case c.Org == "":
		return domain.Principal{}, invalid("token has no org")
	case !c.Role.Valid():
		return domain.Principal{}, invalid("token has unknown role %q", c.Role)
	}
	return domain.Principal{
		OrgID:           c.Org,
		UserID:          c.Subject,
		Role:            c.Role,
		ServerAdmin:     c.ServerAdmin,
		Permissions:     trimPermissions(c.Permissions, c.Role, c.ServerAdmin),
		TokenGeneration: c.Generation,
	}, nil
}

// keyFor hands the parser the verification key, checking the algorithm once
// more so that the key never meets another method even if the parser's
// options change.
func (t *Tokens) keyFor(tok *jwt.Token) (any, error) {
	if tok.Method != jwt.SigningMethodHS256 {
		return nil, fmt.Errorf("signing method %v is not HS256", tok.Header["alg"])
	}
	return t.key, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

// newJTI returns a random token id, so that no two idTokens are the same even
// when issued in the same second for the same user.
func newJTI() string {
	b := make([]byte, jtiBytes)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}
