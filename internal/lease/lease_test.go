package lease_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/lease"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Short beats, so that the tests see takeovers in a fraction of a second.
const (
	beat = 50 * time.Millisecond
	ttl  = 300 * time.Millisecond
)

// eachStore runs fn on a fresh SQLite store and a fresh PostgreSQL one.
func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite://"+filepath.Join(t.TempDir(), "onair.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Start(t)) })
}

// open opens its own store on dsn, as each server process does.
func open(t *testing.T, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func keeper(t *testing.T, st store.Store, name string) *lease.Keeper {
	t.Helper()
	return keeperFor(t, st, name, ttl)
}

// keeperFor is keeper with a lease of another length.
func keeperFor(t *testing.T, st store.Store, name string, ttl time.Duration) *lease.Keeper {
	t.Helper()
	k := lease.New(st, lease.Options{
		Self: domain.Lease{Name: "server", Holder: name, HTTP: "http://" + name + ":8080", RTMP: "rtmp://" + name + ":1935", Host: name + "-host", PID: 42},
		Beat: beat, TTL: ttl, Log: slog.New(slog.NewTextHandler(e2e.LogWriter{T: t}, nil)),
	})
	t.Cleanup(func() { k.Release(context.Background()) })
	return k
}

// standby starts k waiting for the lease and returns what it was told and
// when it got the lease.
type standby struct {
	mu    sync.Mutex
	told  []*domain.LeaseHeldError
	done  chan error
	taken time.Time
}

func startStandby(t *testing.T, k *lease.Keeper) *standby {
	s := &standby{done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		err := k.Acquire(ctx, true, func(e *domain.LeaseHeldError) { s.mu.Lock(); s.told = append(s.told, e); s.mu.Unlock() })
		s.mu.Lock()
		s.taken = time.Now()
		s.mu.Unlock()
		s.done <- err
	}()
	return s
}

// waitTaken waits until the standby has the lease.
func (s *standby) waitTaken(t *testing.T, what string) {
	t.Helper()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the standby never took %s", what)
	}
}

func (s *standby) heard() []*domain.LeaseHeldError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*domain.LeaseHeldError(nil), s.told...)
}

// TestStandbyTakesOverOnRelease: a second server is refused with the first's
// addresses; waiting, it is told once, and takes the lease as soon as the first
// releases it: a's lease lasts an hour, so nothing but the release lets b in.
func TestStandbyTakesOverOnRelease(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		a := keeperFor(t, open(t, dsn), "a", time.Hour)
		if err := a.Acquire(t.Context(), false, nil); err != nil {
			t.Fatal(err)
		}
		if err := a.Advertise(t.Context(), "http://a.example.com:9000", "rtmp://a.example.com:9001"); err != nil {
			t.Fatal(err)
		}

		b := keeper(t, open(t, dsn), "b")
		err := b.Acquire(t.Context(), false, nil)
		var held *domain.LeaseHeldError
		if !errors.As(err, &held) || held.Holder.Holder != "a" {
			t.Fatalf("b without standby: %v, want a *domain.LeaseHeldError naming a", err)
		}
		for _, want := range []string{"http://a.example.com:9000", "rtmp://a.example.com:9001", "host a-host", "pid 42", "last beat"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal %q does not name %q", err, want)
			}
		}

		s := startStandby(t, b)
		time.Sleep(4 * beat) // b stays a standby, told once
		select {
		case err := <-s.done:
			t.Fatalf("b took the lease while a beats it: %v", err)
		default:
		}
		if told := s.heard(); len(told) != 1 || told[0].Holder.HTTP != "http://a.example.com:9000" {
			t.Fatalf("b was told %v, want once about a", told)
		}
		if err := a.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.waitTaken(t, "the released lease")
		// a's later release does not drop b's lease: a third server is refused, naming b.
		a.Release(context.Background())
		if err := keeper(t, open(t, dsn), "c").Acquire(t.Context(), false, nil); !errors.As(err, &held) || held.Holder.Holder != "b" {
			t.Errorf("c: %v, want refused by b", err)
		}
	})
}

// TestStandbyTakesOverAfterExpiry: a holder that died (it never beats again)
// is replaced once its lease has expired, not before.
func TestStandbyTakesOverAfterExpiry(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		st := open(t, dsn)
		now := time.Now()
		dead := domain.Lease{Name: "server", Holder: "dead", HTTP: "http://dead:8080", Host: "gone", PID: 7,
			Acquired: now, Renewed: now, Expires: now.Add(ttl)}
		if _, err := st.AcquireLease(t.Context(), dead); err != nil {
			t.Fatal(err)
		}
		b := keeper(t, open(t, dsn), "b")
		s := startStandby(t, b)
		s.waitTaken(t, "the expired lease")
		if s.taken.Before(dead.Expires) {
			t.Errorf("b took the lease at %v, before it expired at %v", s.taken, dead.Expires)
		}
		if told := s.heard(); len(told) != 1 || told[0].Holder.Host != "gone" {
			t.Errorf("b was told %v", told)
		}
		select {
		case <-b.Lost():
			t.Fatalf("b lost its new lease: %v", b.Err())
		case <-time.After(3 * ttl):
		}
	})
}

// TestLostLease: a holder whose lease another server took (it stalled longer
// than the lease) learns it at its next beat.
func TestLostLease(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		a := keeper(t, open(t, dsn), "a")
		if err := a.Acquire(t.Context(), false, nil); err != nil {
			t.Fatal(err)
		}
		// b comes along later, as a's lease would look after a long stall.
		later := time.Now().Add(time.Hour)
		other := open(t, dsn)
		if held, err := other.AcquireLease(t.Context(), domain.Lease{Name: "server", Holder: "b", Acquired: later, Renewed: later, Expires: later.Add(ttl)}); err != nil || held.Holder != "b" {
			t.Fatalf("b's takeover: %+v %v", held, err)
		}
		select {
		case <-a.Lost():
		case <-time.After(10 * time.Second):
			t.Fatal("a never noticed that b took its lease")
		}
		if err := a.Err(); err == nil || !strings.Contains(err.Error(), "another server has taken this store's lease") {
			t.Errorf("a's error: %v", err)
		}
		a.Release(context.Background())
		if err := keeper(t, other, "c").Acquire(t.Context(), false, nil); err == nil {
			t.Error("a's release after losing dropped b's lease")
		}
	})
}

// TestUnreachableStore: a holder that cannot renew gives the lease up (a beat
// before it expires, so that it stops before a standby may take over).
func TestUnreachableStore(t *testing.T) {
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := keeper(t, st, "a")
	if err := a.Acquire(t.Context(), false, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	select {
	case <-a.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("a kept a lease it could not renew")
	}
	if err := a.Err(); err == nil || !strings.Contains(err.Error(), "could not renew") {
		t.Errorf("a's error: %v", err)
	}
}
