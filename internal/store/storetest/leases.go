package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// lease is holder's lease on "server", beating at second sec and lasting 10 s.
func lease(holder string, sec int) domain.Lease {
	now := base.Add(time.Duration(sec) * time.Second)
	return domain.Lease{
		Name: "server", Holder: holder, HTTP: "http://" + holder + ".example.com:8080", RTMP: "rtmp://" + holder + ".example.com:1935",
		Host: holder + "-host", PID: 1000 + len(holder), Acquired: now, Renewed: now, Expires: now.Add(10 * time.Second),
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := lease("a", 0)
	a.Acquired = oddTime(0) // UTC at microseconds comes back
	got, err := s.AcquireLease(ctx, a)
	must(t, err)
	want := a
	want.Acquired = stored(a.Acquired)
	equal(t, "a free lease is taken", got, want)

	// While a's lease lives, b gets a's as it stands and changes nothing.
	got, err = s.AcquireLease(ctx, lease("b", 5))
	must(t, err)
	equal(t, "b is told who holds it", got, want)
	if err := s.RenewLease(ctx, lease("b", 6)); !errors.Is(err, domain.ErrLeaseLost) {
		t.Errorf("b renews a's lease: %v, want ErrLeaseLost", err)
	}

	// a beats; its own acquire again keeps when it first took it.
	renewed := lease("a", 8)
	renewed.HTTP = "http://a.example.com:9090"
	must(t, s.RenewLease(ctx, renewed))
	got, err = s.AcquireLease(ctx, lease("a", 9))
	must(t, err)
	if got.Holder != "a" || !got.Acquired.Equal(stored(a.Acquired)) || !got.Renewed.Equal(lease("a", 9).Renewed) {
		t.Errorf("a acquires its own lease again: %+v", got)
	}

	// Not yet expired at 18.999 s, expired at 19 s (a beat at 9 s, for 10 s).
	early := lease("b", 18)
	early.Renewed = early.Renewed.Add(999 * time.Millisecond)
	got, err = s.AcquireLease(ctx, early)
	must(t, err)
	if got.Holder != "a" {
		t.Fatalf("b took a live lease: %+v", got)
	}
	b := lease("b", 19)
	got, err = s.AcquireLease(ctx, b)
	must(t, err)
	equal(t, "b takes the expired lease", got, b)

	// a, back from a stall, has lost it: renewing says so and releasing does nothing.
	if err := s.RenewLease(ctx, lease("a", 20)); !errors.Is(err, domain.ErrLeaseLost) {
		t.Errorf("a renews after b took it: %v, want ErrLeaseLost", err)
	}
	must(t, s.ReleaseLease(ctx, "server", "a"))
	got, err = s.AcquireLease(ctx, lease("c", 21))
	must(t, err)
	if got.Holder != "b" {
		t.Fatalf("a's release dropped b's lease: %+v", got)
	}

	// b releases: c takes it at once, long before b's lease would expire.
	must(t, s.ReleaseLease(ctx, "server", "b"))
	got, err = s.AcquireLease(ctx, lease("c", 22))
	must(t, err)
	equal(t, "c takes a released lease", got, lease("c", 22))
	if err := s.RenewLease(ctx, lease("b", 23)); !errors.Is(err, domain.ErrLeaseLost) {
		t.Errorf("b renews after releasing: %v, want ErrLeaseLost", err)
	}

	// Another name is another lease.
	other := lease("a", 22)
	other.Name = "node-1"
	got, err = s.AcquireLease(ctx, other)
	must(t, err)
	equal(t, "another lease", got, other)
}

// testLeaseRace: servers starting at once on a free lease all see one holder.
func testLeaseRace(t *testing.T, s store.Store) {
	const n = 8
	holders := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.AcquireLease(t.Context(), lease(fmt.Sprintf("s%d", i), 0))
			if err != nil {
				t.Errorf("AcquireLease #%d: %v", i, err)
			}
			holders[i] = got.Holder
		}()
	}
	wg.Wait()
	for i, h := range holders {
		if h != holders[0] || h == "" {
			t.Fatalf("server %d sees holder %q, server 0 %q", i, h, holders[0])
		}
	}
}
