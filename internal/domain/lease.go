package domain

import (
	"errors"
	"fmt"
	"time"
)

// Lease is one server's hold on a piece of the store, named by Name: until
// cluster mode exists, the "server" lease says which one server runs the
// channels of a store. Its holder renews it well before Expires; another
// server may take it once Expires has passed, or at once when the holder
// released it.
type Lease struct {
	Name   string
	Holder string // the holding server's id, new at each start
	// What a person needs to find the holder: its advertised addresses, the
	// machine and the process.
	HTTP, RTMP string
	Host       string
	PID        int
	Acquired   time.Time
	Renewed    time.Time // the holder's last beat
	Expires    time.Time
}

// ErrLeaseLost is what renewing a lease answers once its holder no longer
// holds it: another server took it after it expired, or it was released.
var ErrLeaseLost = errors.New("the lease is held by another server")

// LeaseHeldError refuses to start a server on a store whose lease another,
// live server holds. Its message names that server, so that a person can find
// it and stop it.
type LeaseHeldError struct {
	Holder Lease
	Now    time.Time // when it was refused, for "last beat … ago"
}

func (e *LeaseHeldError) Error() string {
	return "another onair server runs on this store: " + e.Holder.Describe(e.Now)
}

// Describe names a lease's holder for a person: its addresses, host, pid and
// how long ago it last beat.
func (l Lease) Describe(now time.Time) string {
	orNone := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	ago := now.Sub(l.Renewed).Round(100 * time.Millisecond)
	if ago < 0 {
		ago = 0 // the holder's clock is a little ahead of ours
	}
	return fmt.Sprintf("HTTP %s, RTMP %s, host %s, pid %d, last beat %s ago",
		orNone(l.HTTP), orNone(l.RTMP), orNone(l.Host), l.PID, ago)
}
