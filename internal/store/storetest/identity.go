package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// RowDumper is a store whose tests may read its tables' rows as stored, each
// column as text: the stores of this module implement it in their own tests.
type RowDumper interface {
	DumpRows(ctx context.Context, table string) ([][]string, error)
}

// stored is t as a store returns it: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// oddTime is at(minute) in another zone with nanoseconds, to check that the
// store gives back UTC at microsecond precision.
func oddTime(minute int) time.Time {
	return at(minute).Add(123456789 * time.Nanosecond).In(time.FixedZone("UTC+2", 2*3600))
}

func newOrganization(id string, minute int) domain.Organization {
	return domain.Organization{ID: id, Name: "Organization " + id, Created: at(minute)}
}

// newUser is a user of org created at the given minute; its email is derived
// from its id.
func newUser(org, id string, minute int) domain.User {
	return domain.User{
		ID: id, OrgID: org, Email: id + "@example.com", PasswordHash: "hash-of-" + id,
		Role: domain.RoleEditor, Created: at(minute),
	}
}

func newAPIKey(org, id string, minute int) domain.APIKey {
	return domain.APIKey{ID: id, OrgID: org, Name: "Key " + id, Enabled: true, Hash: "sha256-of-" + id, Created: at(minute)}
}

func userIDs(us []domain.User) []string { return ids(us, func(u domain.User) string { return u.ID }) }

func keyIDs(ks []domain.APIKey) []string {
	return ids(ks, func(k domain.APIKey) string { return k.ID })
}

// wantNotInMessage checks that an error's message does not repeat secret.
func wantNotInMessage(t *testing.T, what string, err error, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("%s: error %q repeats %q", what, err, secret)
	}
}

func testOrganizations(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListOrganizations(ctx)
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("new store lists %#v, want an empty list", list)
	}

	b := newOrganization("org-b", 1)
	a := newOrganization("org-a", 2)
	tie := newOrganization("org-0", 2)
	odd := domain.Organization{ID: "org-odd", Name: "Zone and nanoseconds", Created: oddTime(3)}
	for _, o := range []domain.Organization{b, a, tie, odd} {
		must(t, s.CreateOrganization(ctx, o))
	}

	got, err := s.GetOrganization(ctx, "org-a")
	must(t, err)
	equal(t, "GetOrganization", got, a)
	got, err = s.GetOrganization(ctx, "org-odd")
	must(t, err)
	want := odd
	want.Created = stored(odd.Created)
	equal(t, "GetOrganization of one created in another zone", got, want)
	if got.Created.Location() != time.UTC {
		t.Errorf("created is in %s, want UTC", got.Created.Location())
	}

	list, err = s.ListOrganizations(ctx)
	must(t, err)
	equal(t, "ListOrganizations, oldest first", ids(list, func(o domain.Organization) string { return o.ID }),
		[]string{"org-b", "org-0", "org-a", "org-odd"})
	equal(t, "ListOrganizations[0]", list[0], b)

	dup := domain.Organization{ID: "org-a", Name: "Another", Created: at(9)}
	wantConflict(t, "CreateOrganization with a taken id", s.CreateOrganization(ctx, dup), "org-a")
	got, err = s.GetOrganization(ctx, "org-a")
	must(t, err)
	equal(t, "organization after a refused create with its id", got, a)

	_, err = s.GetOrganization(ctx, "org-missing")
	wantNotFound(t, "GetOrganization of a missing one", err, "organization", "org-missing")
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListUsers(ctx, "org-a")
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("new store lists %#v, want an empty list", list)
	}

	alice := newUser("org-a", "u-alice", 2)
	alice.Email = "Alice.Smith@Example.COM"
	alice.Role = domain.RoleAdmin
	alice.ServerAdmin = true
	alice.Created = oddTime(2)
	bob := newUser("org-a", "u-bob", 1)
	bob.Disabled = true
	bob.Role = domain.RoleViewer
	tie := newUser("org-a", "u-0", 1)
	carol := newUser("org-b", "u-carol", 0)
	for _, u := range []domain.User{alice, bob, tie, carol} {
		must(t, s.CreateUser(ctx, u))
	}
	wantAlice := alice
	wantAlice.Email = "alice.smith@example.com"
	wantAlice.Created = stored(alice.Created)

	got, err := s.GetUser(ctx, "org-a", "u-alice")
	must(t, err)
	equal(t, "GetUser: email in lower case, time in UTC", got, wantAlice)
	got, err = s.GetUser(ctx, "org-a", "u-bob")
	must(t, err)
	equal(t, "GetUser of a disabled viewer", got, bob)

	for _, email := range []string{"alice.smith@example.com", "ALICE.SMITH@EXAMPLE.COM", "Alice.Smith@example.com"} {
		got, err = s.GetUserByEmail(ctx, email)
		must(t, err)
		equal(t, "GetUserByEmail("+email+")", got, wantAlice)
	}
	got, err = s.GetUserByEmail(ctx, "u-carol@example.com")
	must(t, err)
	equal(t, "GetUserByEmail finds a user of another organization", got, carol)
	_, err = s.GetUserByEmail(ctx, "Nobody@Example.com")
	wantNotFound(t, "GetUserByEmail of an unknown email", err, "user", "nobody@example.com")

	list, err = s.ListUsers(ctx, "org-a")
	must(t, err)
	equal(t, "ListUsers, oldest first", userIDs(list), []string{"u-0", "u-bob", "u-alice"})
	equal(t, "ListUsers[2]", list[2], wantAlice)
	list, err = s.ListUsers(ctx, "org-b")
	must(t, err)
	equal(t, "ListUsers of org-b", userIDs(list), []string{"u-carol"})

	// Emails are unique across the server, whatever their case.
	dupEmail := newUser("org-b", "u-other", 5)
	dupEmail.Email = "ALICE.smith@example.com"
	wantConflict(t, "CreateUser with a taken email in another case", s.CreateUser(ctx, dupEmail), "alice.smith@example.com")
	dupID := newUser("org-a", "u-bob", 5)
	dupID.Email = "bob2@example.com"
	wantConflict(t, "CreateUser with a taken id", s.CreateUser(ctx, dupID), "u-bob")
	_, err = s.GetUser(ctx, "org-b", "u-other")
	wantNotFound(t, "user refused for its email", err, "user", "u-other")
	_, err = s.GetUserByEmail(ctx, "bob2@example.com")
	wantNotFound(t, "user refused for its id", err, "user", "bob2@example.com")
	got, err = s.GetUser(ctx, "org-a", "u-bob")
	must(t, err)
	equal(t, "user after a refused create with its id", got, bob)

	_, err = s.GetUser(ctx, "org-a", "u-missing")
	wantNotFound(t, "GetUser of a missing user", err, "user", "u-missing")
}

func testUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser("org-a", "u", 1)
	u.Email = "User@Example.com"
	must(t, s.CreateUser(ctx, u))
	u.Email = "user@example.com"

	got, err := s.UpdateUser(ctx, "org-a", "u", func(v *domain.User) error {
		equal(t, "the user fn is given", *v, u)
		v.Role = domain.RoleAdmin
		v.Disabled = true
		v.PasswordHash = "new-hash"
		// Not fn's to change: kept as stored.
		v.ID, v.OrgID, v.Email, v.ServerAdmin, v.Created = "u-other", "org-b", "other@example.com", true, at(9)
		return nil
	})
	must(t, err)
	want := u
	want.Role, want.Disabled, want.PasswordHash = domain.RoleAdmin, true, "new-hash"
	equal(t, "UpdateUser's result", got, want)
	got, err = s.GetUser(ctx, "org-a", "u")
	must(t, err)
	equal(t, "GetUser after UpdateUser", got, want)
	got, err = s.GetUserByEmail(ctx, "user@example.com")
	must(t, err)
	equal(t, "GetUserByEmail after UpdateUser", got, want)
	_, err = s.GetUser(ctx, "org-b", "u-other")
	wantNotFound(t, "the id fn tried to give", err, "user", "u-other")

	// fn's error writes nothing and comes back as is.
	refusal := &domain.ConflictError{Message: "the last admin cannot be demoted"}
	got, err = s.UpdateUser(ctx, "org-a", "u", func(v *domain.User) error {
		v.Role = domain.RoleViewer
		v.Disabled = false
		v.PasswordHash = "refused-hash"
		return refusal
	})
	if err != error(refusal) {
		t.Errorf("UpdateUser returned %v (%T), want fn's error as is", err, err)
	}
	equal(t, "the user returned with an error", got, domain.User{})
	got, err = s.GetUser(ctx, "org-a", "u")
	must(t, err)
	equal(t, "GetUser after fn failed", got, want)

	called := false
	_, err = s.UpdateUser(ctx, "org-a", "u-missing", func(*domain.User) error { called = true; return nil })
	wantNotFound(t, "UpdateUser of a missing user", err, "user", "u-missing")
	if called {
		t.Error("UpdateUser called fn for a missing user")
	}
}

func testUsersOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newUser("org-a", "u-a", 1)
	must(t, s.CreateUser(ctx, a))

	list, err := s.ListUsers(ctx, "org-b")
	must(t, err)
	equal(t, "org-b lists org-a's users", userIDs(list), []string{})
	_, err = s.GetUser(ctx, "org-b", "u-a")
	wantNotFound(t, "org-b GetUser", err, "user", "u-a")
	called := false
	_, err = s.UpdateUser(ctx, "org-b", "u-a", func(u *domain.User) error {
		called = true
		u.Role = domain.RoleAdmin
		return nil
	})
	wantNotFound(t, "org-b UpdateUser", err, "user", "u-a")
	if called {
		t.Error("org-b's UpdateUser called fn with org-a's user")
	}

	got, err := s.GetUser(ctx, "org-a", "u-a")
	must(t, err)
	equal(t, "org-a's user after org-b's calls", got, a)
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListAPIKeys(ctx, "org-a")
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("new store lists %#v, want an empty list", list)
	}

	k1 := newAPIKey("org-a", "key-1", 2)
	k1.Created = oddTime(2)
	k2 := newAPIKey("org-a", "key-2", 1)
	k2.Enabled = false
	boot := newAPIKey("org-b", "key-boot", 0)
	boot.ServerAdmin = true
	for _, k := range []domain.APIKey{k1, k2, boot} {
		must(t, s.CreateAPIKey(ctx, k))
	}
	want1 := k1
	want1.Created = stored(k1.Created)

	got, err := s.GetAPIKeyByHash(ctx, "sha256-of-key-1")
	must(t, err)
	equal(t, "GetAPIKeyByHash", got, want1)
	got, err = s.GetAPIKeyByHash(ctx, "sha256-of-key-boot")
	must(t, err)
	equal(t, "GetAPIKeyByHash of another organization's key", got, boot)
	got, err = s.GetAPIKeyByHash(ctx, "sha256-of-key-2")
	must(t, err)
	equal(t, "GetAPIKeyByHash of a disabled key", got, k2)
	_, err = s.GetAPIKeyByHash(ctx, "sha256-of-nothing")
	wantNotFound(t, "GetAPIKeyByHash of an unknown hash", err, "api key", "(by hash)")
	wantNotInMessage(t, "GetAPIKeyByHash of an unknown hash", err, "sha256-of-nothing")
	_, err = s.GetAPIKeyByHash(ctx, "SHA256-OF-KEY-1")
	wantNotFound(t, "GetAPIKeyByHash in another case", err, "api key", "(by hash)")

	list, err = s.ListAPIKeys(ctx, "org-a")
	must(t, err)
	equal(t, "ListAPIKeys, oldest first", keyIDs(list), []string{"key-2", "key-1"})
	equal(t, "ListAPIKeys[1]", list[1], want1)
	list, err = s.ListAPIKeys(ctx, "org-b")
	must(t, err)
	equal(t, "ListAPIKeys of org-b", list, []domain.APIKey{boot})

	dupID := newAPIKey("org-a", "key-1", 5)
	dupID.Hash = "sha256-of-a-new-value"
	wantConflict(t, "CreateAPIKey with a taken id", s.CreateAPIKey(ctx, dupID), "key-1")
	dupHash := newAPIKey("org-b", "key-new", 5)
	dupHash.Hash = k1.Hash
	err = s.CreateAPIKey(ctx, dupHash)
	wantConflict(t, "CreateAPIKey with a taken hash", err)
	wantNotInMessage(t, "CreateAPIKey with a taken hash", err, k1.Hash)
	list, err = s.ListAPIKeys(ctx, "org-b")
	must(t, err)
	equal(t, "org-b's keys after refused creates", keyIDs(list), []string{"key-boot"})
	_, err = s.GetAPIKeyByHash(ctx, "sha256-of-a-new-value")
	wantNotFound(t, "key refused for its id", err, "api key", "(by hash)")
	got, err = s.GetAPIKeyByHash(ctx, k1.Hash)
	must(t, err)
	equal(t, "key after refused creates", got, want1)

	must(t, s.DeleteAPIKey(ctx, "org-a", "key-1"))
	_, err = s.GetAPIKeyByHash(ctx, k1.Hash)
	wantNotFound(t, "GetAPIKeyByHash after delete", err, "api key", "(by hash)")
	wantNotFound(t, "DeleteAPIKey again", s.DeleteAPIKey(ctx, "org-a", "key-1"), "api key", "key-1")
	_, err = s.UpdateAPIKey(ctx, "org-a", "key-1", func(*domain.APIKey) error { return nil })
	wantNotFound(t, "UpdateAPIKey of a deleted key", err, "api key", "key-1")
	list, err = s.ListAPIKeys(ctx, "org-a")
	must(t, err)
	equal(t, "ListAPIKeys after delete", keyIDs(list), []string{"key-2"})

	// A revoked key's hash and id may be used again.
	must(t, s.CreateAPIKey(ctx, k1))
}

func testUpdateAPIKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newAPIKey("org-a", "key", 1)
	must(t, s.CreateAPIKey(ctx, k))

	got, err := s.UpdateAPIKey(ctx, "org-a", "key", func(v *domain.APIKey) error {
		equal(t, "the key fn is given", *v, k)
		v.Name = "Renamed"
		v.Enabled = false
		// Not fn's to change: kept as stored.
		v.ID, v.OrgID, v.Hash, v.ServerAdmin, v.Created = "key-other", "org-b", "sha256-other", true, at(9)
		return nil
	})
	must(t, err)
	want := k
	want.Name, want.Enabled = "Renamed", false
	equal(t, "UpdateAPIKey's result", got, want)
	got, err = s.GetAPIKeyByHash(ctx, k.Hash)
	must(t, err)
	equal(t, "GetAPIKeyByHash after UpdateAPIKey", got, want)
	_, err = s.GetAPIKeyByHash(ctx, "sha256-other")
	wantNotFound(t, "the hash fn tried to give", err, "api key", "(by hash)")

	refusal := errors.New("refused")
	got, err = s.UpdateAPIKey(ctx, "org-a", "key", func(v *domain.APIKey) error {
		v.Name = "Refused"
		v.Enabled = true
		return refusal
	})
	if err != refusal {
		t.Errorf("UpdateAPIKey returned %v (%T), want fn's error as is", err, err)
	}
	equal(t, "the key returned with an error", got, domain.APIKey{})
	list, err := s.ListAPIKeys(ctx, "org-a")
	must(t, err)
	equal(t, "ListAPIKeys after fn failed", list, []domain.APIKey{want})
}

func testAPIKeysOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newAPIKey("org-a", "key-a", 1)
	must(t, s.CreateAPIKey(ctx, a))

	list, err := s.ListAPIKeys(ctx, "org-b")
	must(t, err)
	equal(t, "org-b lists org-a's keys", keyIDs(list), []string{})
	called := false
	_, err = s.UpdateAPIKey(ctx, "org-b", "key-a", func(k *domain.APIKey) error {
		called = true
		k.Enabled = false
		return nil
	})
	wantNotFound(t, "org-b UpdateAPIKey", err, "api key", "key-a")
	if called {
		t.Error("org-b's UpdateAPIKey called fn with org-a's key")
	}
	wantNotFound(t, "org-b DeleteAPIKey", s.DeleteAPIKey(ctx, "org-b", "key-a"), "api key", "key-a")

	got, err := s.GetAPIKeyByHash(ctx, a.Hash)
	must(t, err)
	equal(t, "org-a's key after org-b's calls", got, a)
}

func testRefreshTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	live := domain.RefreshToken{Hash: "sha256-of-live", UserID: "u", OrgID: "org-a", Expires: oddTime(60 * 24 * 365 * 100)}
	expired := domain.RefreshToken{Hash: "sha256-of-expired", UserID: "u", OrgID: "org-a", Expires: at(-60)}
	other := domain.RefreshToken{Hash: "sha256-of-other", UserID: "u2", OrgID: "org-b", Expires: at(60)}
	for _, tok := range []domain.RefreshToken{live, expired, other} {
		must(t, s.CreateRefreshToken(ctx, tok))
	}
	dup := domain.RefreshToken{Hash: live.Hash, UserID: "u3", OrgID: "org-c", Expires: at(1)}
	err := s.CreateRefreshToken(ctx, dup)
	wantConflict(t, "CreateRefreshToken with a taken hash", err)
	wantNotInMessage(t, "CreateRefreshToken with a taken hash", err, live.Hash)

	got, err := s.TakeRefreshToken(ctx, live.Hash)
	must(t, err)
	want := live
	want.Expires = stored(live.Expires)
	equal(t, "TakeRefreshToken", got, want)
	if got.Expires.Location() != time.UTC {
		t.Errorf("expires is in %s, want UTC", got.Expires.Location())
	}
	_, err = s.TakeRefreshToken(ctx, live.Hash)
	wantNotFound(t, "TakeRefreshToken again", err, "refresh token", "(by hash)")
	wantNotInMessage(t, "TakeRefreshToken again", err, live.Hash)

	// Expiry is the caller's to check: an expired token comes back, once.
	got, err = s.TakeRefreshToken(ctx, expired.Hash)
	must(t, err)
	equal(t, "TakeRefreshToken of an expired token", got, expired)
	_, err = s.TakeRefreshToken(ctx, expired.Hash)
	wantNotFound(t, "TakeRefreshToken of an expired token again", err, "refresh token", "(by hash)")

	_, err = s.TakeRefreshToken(ctx, "sha256-of-nothing")
	wantNotFound(t, "TakeRefreshToken of an unknown hash", err, "refresh token", "(by hash)")

	// Taking one token leaves the others; a taken hash may be stored again.
	got, err = s.TakeRefreshToken(ctx, other.Hash)
	must(t, err)
	equal(t, "TakeRefreshToken of another organization's token", got, other)
	must(t, s.CreateRefreshToken(ctx, dup))
	got, err = s.TakeRefreshToken(ctx, dup.Hash)
	must(t, err)
	equal(t, "TakeRefreshToken of a hash stored again", got, dup)
}

// testRefreshTokenRace: of several requests using one refresh token at once,
// exactly one gets it.
func testRefreshTokenRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	tok := domain.RefreshToken{Hash: "sha256-of-token", UserID: "u", OrgID: "org-a", Expires: at(60)}
	must(t, s.CreateRefreshToken(ctx, tok))
	const n = 8
	errs := make(chan error, n)
	var start sync.WaitGroup
	start.Add(1)
	for range n {
		go func() {
			start.Wait()
			got, err := s.TakeRefreshToken(ctx, tok.Hash)
			if err == nil && got != tok {
				err = fmt.Errorf("took %+v, want %+v", got, tok)
			}
			errs <- err
		}()
	}
	start.Done()
	won := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			won++
		case errors.Is(err, domain.ErrNotFound):
		default:
			t.Errorf("concurrent TakeRefreshToken: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent takes got the token, want exactly 1", won, n)
	}
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	calls := 0
	create := func(v string) func() ([]byte, error) {
		return func() ([]byte, error) {
			calls++
			return []byte(v), nil
		}
	}

	got, err := s.Secret(ctx, "jwt", create("first\x00\xff"))
	must(t, err)
	equal(t, "Secret created", got, []byte("first\x00\xff"))
	got, err = s.Secret(ctx, "jwt", create("second"))
	must(t, err)
	equal(t, "Secret read again", got, []byte("first\x00\xff"))
	equal(t, "create calls", calls, 1)

	got, err = s.Secret(ctx, "other", create("other value"))
	must(t, err)
	equal(t, "another Secret", got, []byte("other value"))

	// create's error comes back as is and stores nothing.
	refusal := errors.New("no randomness")
	_, err = s.Secret(ctx, "failed", func() ([]byte, error) { return nil, refusal })
	if err != refusal {
		t.Errorf("Secret returned %v, want create's error as is", err)
	}
	got, err = s.Secret(ctx, "failed", create("after the failure"))
	must(t, err)
	equal(t, "Secret after a failed create", got, []byte("after the failure"))

	_, err = s.Secret(ctx, "empty", func() ([]byte, error) { return nil, nil })
	if err == nil {
		t.Error("Secret stored an empty value")
	}
	got, err = s.Secret(ctx, "jwt", create("third"))
	must(t, err)
	equal(t, "Secret at the end", got, []byte("first\x00\xff"))
}

// testSecretRace: nodes creating one secret at once, each with its own value,
// all get the same one.
func testSecretRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 8
	got := make([][]byte, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			got[i], errs[i] = s.Secret(ctx, "jwt", func() ([]byte, error) {
				// Slow, like real randomness may be: the others read meanwhile.
				time.Sleep(20 * time.Millisecond)
				return fmt.Appendf(nil, "value-%d", i), nil
			})
		}()
	}
	start.Done()
	done.Wait()
	for i := range n {
		must(t, errs[i])
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("Secret #%d got %q, #0 got %q", i, got[i], got[0])
		}
	}
	if !bytes.HasPrefix(got[0], []byte("value-")) {
		t.Errorf("Secret got %q, none of the created values", got[0])
	}
	again, err := s.Secret(ctx, "jwt", func() ([]byte, error) { return []byte("late"), nil })
	must(t, err)
	equal(t, "Secret after the race", again, got[0])
}

// testNoPlaintext checks that what the store is given as hashes is all it keeps:
// no column of the identity tables holds a password, key or token in plain text.
func testNoPlaintext(t *testing.T, s store.Store) {
	ctx := t.Context()
	d, ok := s.(RowDumper)
	if !ok {
		t.Fatalf("the store under test (%T) is not a storetest.RowDumper", s)
	}
	const (
		password = "secret-password"
		key      = "onair_secret-key-value"
		token    = "secret-refresh-token"
	)
	u := newUser("org-a", "u", 1)
	u.PasswordHash = "bcrypt-hash-of-secret"
	must(t, s.CreateUser(ctx, u))
	_, err := s.UpdateUser(ctx, "org-a", "u", func(u *domain.User) error {
		u.PasswordHash = "bcrypt-hash-of-another-secret"
		return nil
	})
	must(t, err)
	k := newAPIKey("org-a", "key", 1)
	k.Hash = "sha256-hash-of-key"
	must(t, s.CreateAPIKey(ctx, k))
	must(t, s.CreateRefreshToken(ctx, domain.RefreshToken{Hash: "sha256-hash-of-token", UserID: "u", OrgID: "org-a", Expires: at(60)}))

	for _, table := range []string{"users", "api_keys", "refresh_tokens"} {
		rows, err := d.DumpRows(ctx, table)
		must(t, err)
		if len(rows) != 1 {
			t.Errorf("%s has %d rows, want 1", table, len(rows))
		}
		for _, row := range rows {
			for _, col := range row {
				for _, plain := range []string{password, key, token} {
					if strings.Contains(col, plain) {
						t.Errorf("%s holds %q in plain text: %q", table, plain, row)
					}
				}
			}
		}
	}
	rows, err := d.DumpRows(ctx, "users")
	must(t, err)
	if !strings.Contains(strings.Join(rows[0], " "), "bcrypt-hash-of-another-secret") {
		t.Errorf("users row %q does not hold the password hash: the dump misses columns", rows[0])
	}
}
