package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	type step struct {
		do      string // "fail", "reset", "wait" or "allow"
		key     string
		wait    time.Duration
		ok      bool          // for allow
		retryIn time.Duration // for allow
	}
	fail := func(key string) step { return step{do: "fail", key: key} }
	wait := func(d time.Duration) step { return step{do: "wait", wait: d} }
	allow := func(key string, ok bool, retry time.Duration) step {
		return step{do: "allow", key: key, ok: ok, retryIn: retry}
	}
	const window = 15 * time.Minute
	tests := []struct {
		name  string
		steps []step
	}{
		{"unknown key is allowed", []step{allow("a", true, 0)}},
		{"up to max-1 failures allowed", []step{
			fail("a"), fail("a"), fail("a"), fail("a"), allow("a", true, 0)}},
		{"max failures refused until the first leaves the window", []step{
			fail("a"), wait(time.Minute), fail("a"), fail("a"), fail("a"), fail("a"),
			allow("a", false, window-time.Minute),
			wait(2 * time.Minute), allow("a", false, window-3*time.Minute),
			wait(window - 3*time.Minute - time.Second), allow("a", false, time.Second),
			wait(time.Second), allow("a", true, 0), // 4 failures left in the window
			fail("a"), allow("a", false, time.Minute),
		}},
		{"the window expiring restores the key", []step{
			fail("a"), fail("a"), fail("a"), fail("a"), fail("a"), allow("a", false, window),
			wait(window), allow("a", true, 0),
			fail("a"), allow("a", true, 0),
		}},
		{"failures while refused still count", []step{
			fail("a"), fail("a"), fail("a"), fail("a"), fail("a"),
			wait(10 * time.Minute), fail("a"), allow("a", false, 5*time.Minute),
			wait(5 * time.Minute), allow("a", true, 0), // only the late failure is left
			fail("a"), fail("a"), fail("a"), allow("a", true, 0),
			fail("a"), allow("a", false, 10*time.Minute),
		}},
		{"reset clears", []step{
			fail("a"), fail("a"), fail("a"), fail("a"), fail("a"), allow("a", false, window),
			{do: "reset", key: "a"}, allow("a", true, 0),
			fail("a"), fail("a"), fail("a"), fail("a"), allow("a", true, 0),
		}},
		{"keys are separate", []step{
			fail("ed@example.com"), fail("ed@example.com"), fail("ed@example.com"), fail("ed@example.com"),
			fail("ed@example.com"), allow("ed@example.com", false, window),
			allow("192.0.2.1", true, 0), allow("other@example.com", true, 0),
			{do: "reset", key: "other@example.com"}, allow("ed@example.com", false, window),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock(testNow)
			l := NewLimiter(5, window, clock.Now)
			for i, s := range tt.steps {
				switch s.do {
				case "fail":
					l.Fail(s.key)
				case "reset":
					l.Reset(s.key)
				case "wait":
					clock.Advance(s.wait)
				case "allow":
					ok, retry := l.Allow(s.key)
					if ok != s.ok || retry != s.retryIn {
						t.Fatalf("step %d: Allow(%q) = %v, %v; want %v, %v", i, s.key, ok, retry, s.ok, s.retryIn)
					}
				}
			}
		})
	}
}

func TestLimiterEvictsOldestKeys(t *testing.T) {
	clock := newClock(testNow)
	l := NewLimiter(2, time.Hour, clock.Now)
	l.maxKeys = 3
	for _, k := range []string{"a", "b", "c"} {
		l.Fail(k)
		l.Fail(k)
		clock.Advance(time.Second)
	}
	l.Fail("a") // a is now the most recent failure; b is the oldest
	l.Fail("d")
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3 (the bound)", n)
	}
	for _, tt := range []struct {
		key string
		ok  bool
	}{{"a", false}, {"b", true}, {"c", false}, {"d", true}} {
		if ok, _ := l.Allow(tt.key); ok != tt.ok {
			t.Errorf("Allow(%q) = %v, want %v", tt.key, ok, tt.ok)
		}
	}
}

func TestLimiterBoundedUnderFlood(t *testing.T) {
	clock := newClock(testNow)
	l := NewLimiter(5, 15*time.Minute, clock.Now)
	for i := range DefaultLimiterKeys * 3 {
		l.Fail(fmt.Sprint("10.0.", i/256, ".", i%256))
		if i%1000 == 0 {
			clock.Advance(time.Millisecond)
		}
	}
	if n := l.Len(); n != DefaultLimiterKeys {
		t.Errorf("after %d keys Len = %d, want the bound %d", DefaultLimiterKeys*3, n, DefaultLimiterKeys)
	}
	// Once the window has passed, expired keys go on the next failure.
	clock.Advance(15 * time.Minute)
	l.Fail("x")
	if n := l.Len(); n != 1 {
		t.Errorf("after the window Len = %d, want 1", n)
	}
}

func TestLimiterKeepsOnlyMaxFailuresPerKey(t *testing.T) {
	clock := newClock(testNow)
	l := NewLimiter(3, time.Minute, clock.Now)
	for range 1000 {
		l.Fail("a")
	}
	l.mu.Lock()
	n := len(l.keys["a"].Value.(*limitEntry).fails)
	l.mu.Unlock()
	if n != 3 {
		t.Errorf("key holds %d failures, want at most max (3)", n)
	}
	if ok, retry := l.Allow("a"); ok || retry != time.Minute {
		t.Errorf("Allow = %v, %v; want false, 1m", ok, retry)
	}
}

func TestLimiterOff(t *testing.T) {
	l := NewLimiter(0, time.Minute, nil)
	for range 10 {
		l.Fail("a")
	}
	if ok, _ := l.Allow("a"); !ok || l.Len() != 0 {
		t.Errorf("a limiter with max 0 refused or counted: ok %v, Len %d", ok, l.Len())
	}
}

func TestLimiterConcurrent(t *testing.T) {
	clock := newClock(testNow)
	l := NewLimiter(5, time.Minute, clock.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				key := fmt.Sprint("k", (g*500+i)%50)
				l.Allow(key)
				l.Fail(key)
				if i%7 == 0 {
					l.Reset(key)
				}
				if i%100 == 0 {
					clock.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	if n := l.Len(); n > 50 {
		t.Errorf("Len = %d, want at most the 50 keys used", n)
	}
}
