// Package lease keeps a server's hold on its store: one server per store until
// cluster mode exists. A Keeper takes the store's lease, waiting as a standby
// while another live server holds it, beats it while the server runs, and
// releases it once the server has stopped, so that a standby takes over at once.
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"onair/internal/domain"
)

// The defaults. The cluster's node leases are to use the same numbers: a beat
// every 2 s, and a lease that outlives four missed beats.
const (
	DefaultBeat = 2 * time.Second
	DefaultTTL  = 10 * time.Second
)

// Store is the part of the store a Keeper needs (store.LeaseStore).
type Store interface {
	AcquireLease(ctx context.Context, l domain.Lease) (domain.Lease, error)
	RenewLease(ctx context.Context, l domain.Lease) error
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Options configure a Keeper.
type Options struct {
	// Self is this server's lease: Name, Holder and what names it (addresses,
	// host, pid). The Keeper sets the times.
	Self domain.Lease
	// Beat is how often the lease is renewed, and how often a standby looks
	// at it; TTL is how long a lease lasts after its last beat.
	Beat, TTL time.Duration
	Now       func() time.Time
	Log       *slog.Logger
}

// Keeper holds one lease for one server. Its beating goroutine runs from a
// successful Acquire until Release.
type Keeper struct {
	store Store
	o     Options

	mu   sync.Mutex
	self domain.Lease // its addresses change with Advertise

	stop     chan struct{}
	done     chan struct{} // closed when the beating stopped; nil before Acquire
	lost     chan struct{}
	lostErr  error
	lostOnce sync.Once
}

// New returns a Keeper for o.Self.Name; it holds nothing until Acquire.
func New(st Store, o Options) *Keeper {
	if o.Beat <= 0 {
		o.Beat = DefaultBeat
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Keeper{store: st, o: o, self: o.Self, stop: make(chan struct{}), lost: make(chan struct{})}
}

// TakeOverWithin is how long after a crashed holder's last beat a standby has
// the lease at the latest: the lease's life and one look.
func (k *Keeper) TakeOverWithin() time.Duration { return k.o.TTL + k.o.Beat }

// Acquire takes the lease. While another live server holds it, Acquire returns
// a *domain.LeaseHeldError naming that server when wait is false; when wait is
// true it calls standby with that error, once for each holder it meets, and
// tries again every beat until it has the lease or ctx ends. From then on the
// Keeper beats the lease until Release.
func (k *Keeper) Acquire(ctx context.Context, wait bool, standby func(*domain.LeaseHeldError)) error {
	var poll *time.Ticker
	var told *domain.LeaseHeldError // the last holder standby heard of
	for {
		now := k.o.Now()
		mine := k.at(now)
		mine.Acquired = now
		held, err := k.store.AcquireLease(ctx, mine)
		if err != nil {
			return fmt.Errorf("taking the store's lease: %w", err)
		}
		if held.Holder == mine.Holder {
			if told != nil {
				k.o.Log.Info("took over the store's lease", "from", told.Holder.Describe(now))
			}
			k.done = make(chan struct{})
			go k.beat(held.Expires)
			return nil
		}
		refused := &domain.LeaseHeldError{Holder: held, Now: now}
		if !wait {
			return refused
		}
		if told == nil || told.Holder.Holder != held.Holder {
			told = refused
			standby(refused)
		}
		if poll == nil {
			poll = time.NewTicker(k.o.Beat)
			defer poll.Stop()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-poll.C:
		}
	}
}

// at is this server's lease as renewed at now.
func (k *Keeper) at(now time.Time) domain.Lease {
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.self
	l.Renewed, l.Expires = now, now.Add(k.o.TTL)
	return l
}

// Advertise changes the addresses the lease names, and writes them at once:
// the listeners bind after the lease is taken, and may get other ports (":0").
func (k *Keeper) Advertise(ctx context.Context, http, rtmp string) error {
	k.mu.Lock()
	k.self.HTTP, k.self.RTMP = http, rtmp
	k.mu.Unlock()
	if err := k.store.RenewLease(ctx, k.at(k.o.Now())); err != nil {
		return fmt.Errorf("advertising this server on the store's lease: %w", err)
	}
	return nil
}

// Lost is closed when this server no longer holds the lease: another server
// took it (this one stalled longer than the lease), or renewing failed until
// it was about to expire. The server must stop its channels' work then; Err
// says why.
func (k *Keeper) Lost() <-chan struct{} { return k.lost }

// Err is why the lease was lost, or nil.
func (k *Keeper) Err() error {
	select {
	case <-k.lost:
		return k.lostErr
	default:
		return nil
	}
}

func (k *Keeper) lose(err error) {
	k.lostOnce.Do(func() {
		k.lostErr = err
		close(k.lost)
	})
}

// beat renews the lease every Beat until Release, and gives it up as lost when
// another server has it, or when renewing has failed for so long that the lease
// would expire before the next beat: then a standby may take it, and this
// server must have stopped by then.
func (k *Keeper) beat(expires time.Time) {
	defer close(k.done)
	t := time.NewTicker(k.o.Beat)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		l := k.at(k.o.Now())
		ctx, cancel := context.WithTimeout(context.Background(), k.o.Beat)
		err := k.store.RenewLease(ctx, l)
		cancel()
		switch {
		case err == nil:
			expires = l.Expires
		case errors.Is(err, domain.ErrLeaseLost):
			k.lose(fmt.Errorf("another server has taken this store's lease (this one missed its beats for longer than %v): "+
				"this server stops running channels", k.o.TTL))
			return
		case !k.o.Now().Add(k.o.Beat).Before(expires):
			k.lose(fmt.Errorf("could not renew this store's lease before it expires, so that another server may take it: "+
				"this server stops running channels: %w", err))
			return
		default:
			k.o.Log.Warn("renewing the store's lease failed; trying again at the next beat", "err", err, "expires", expires)
		}
	}
}

// Release stops beating and deletes the lease if this server still holds it,
// so that a standby takes over at once. Call it once the server has stopped
// its channels' work; a Keeper that never acquired does nothing.
func (k *Keeper) Release(ctx context.Context) error {
	if k.done == nil {
		return nil
	}
	select {
	case <-k.stop:
		return nil // released already
	default:
	}
	close(k.stop)
	<-k.done
	k.mu.Lock()
	l := k.self
	k.mu.Unlock()
	if err := k.store.ReleaseLease(ctx, l.Name, l.Holder); err != nil {
		return fmt.Errorf("releasing the store's lease: %w", err)
	}
	return nil
}
