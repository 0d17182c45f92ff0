package auth

import (
	"container/list"
	"sync"
	"time"
)

// DefaultLimiterKeys is how many keys a Limiter tracks at most. Beyond it the
// key whose last failure is oldest is forgotten, so a flood of distinct keys
// costs bounded memory; the price is that such a flood can also wash out a
// key's count early, which is why logins are limited both per email and per
// client address.
const DefaultLimiterKeys = 10_000

// Limiter counts failures (bad passwords, bad keys) per key, such as an email
// or a client address, and refuses a key that has failed max times within the
// window until the oldest of those failures leaves it. It is safe for
// concurrent use.
type Limiter struct {
	max     int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	mu    sync.Mutex
	keys  map[string]*list.Element // of *limitEntry
	order *list.List               // most recent failure first
}

type limitEntry struct {
	key   string
	fails []time.Time // the last max failures, oldest first
}

// NewLimiter returns a Limiter that allows maxFails failures per window for
// each key (e.g. 5 per 15 minutes); zero or less turns limiting off. now is the clock; nil means time.Now.
func NewLimiter(maxFails int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		max: maxFails, window: window, now: now, maxKeys: DefaultLimiterKeys,
		keys: make(map[string]*list.Element), order: list.New(),
	}
}

// Allow reports whether key may try again. While it has max failures or more
// within the window it may not, and retryAfter says how long until it may.
// Allow records nothing: call Fail after a failed try, Reset after a success.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.max <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	el, found := l.keys[key]
	if !found {
		return true, 0
	}
	e := el.Value.(*limitEntry)
	e.fails = l.recent(e.fails, now)
	if len(e.fails) < l.max {
		return true, 0
	}
	// The key may try again once its oldest kept failure leaves the window.
	return false, e.fails[0].Add(l.window).Sub(now)
}

// Fail records a failure for key.
func (l *Limiter) Fail(key string) {
	if l.max <= 0 {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	el, found := l.keys[key]
	if !found {
		for len(l.keys) >= l.maxKeys {
			l.remove(l.order.Back())
		}
		el = l.order.PushFront(&limitEntry{key: key})
		l.keys[key] = el
	} else {
		l.order.MoveToFront(el)
	}
	e := el.Value.(*limitEntry)
	e.fails = append(l.recent(e.fails, now), now)
	if len(e.fails) > l.max {
		// Only the last max failures decide anything; drop the rest so a
		// key costs at most max times.
		e.fails = append(e.fails[:0], e.fails[len(e.fails)-l.max:]...)
	}
}

// Reset forgets key's failures, after a success.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, found := l.keys[key]; found {
		l.remove(el)
	}
}

// Len is how many keys the Limiter is tracking.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// recent drops the failures that have left the window.
func (l *Limiter) recent(fails []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(fails) && !now.Before(fails[i].Add(l.window)) {
		i++
	}
	return fails[i:]
}

// prune forgets keys whose last failure has left the window, oldest first;
// the list is ordered by last failure, so it stops at the first live key.
func (l *Limiter) prune(now time.Time) {
	for el := l.order.Back(); el != nil; el = l.order.Back() {
		e := el.Value.(*limitEntry)
		if len(e.fails) > 0 && now.Before(e.fails[len(e.fails)-1].Add(l.window)) {
			return
		}
		l.remove(el)
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*limitEntry).key)
	l.order.Remove(el)
}
