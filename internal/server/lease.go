package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/google/uuid"

	"onair/internal/domain"
	"onair/internal/lease"
)

// serverLease is the one lease of a store until cluster mode exists: its
// holder is the server that runs the store's channels.
const serverLease = "server"

// takeLease makes this server the one that runs the store's channels. While
// another live server holds the lease, it says so, naming that server, and
// waits as a standby until it has the lease, or, with cfg.Standby off, returns
// that refusal.
func (s *Server) takeLease(ctx context.Context) error {
	host, _ := os.Hostname()
	_, rtmpPort, _ := net.SplitHostPort(s.cfg.RTMP)
	s.lease = lease.New(s.store, lease.Options{
		Self: domain.Lease{Name: serverLease, Holder: uuid.NewString(), Host: host, PID: os.Getpid(),
			// The listeners bind once the lease is taken; New advertises what they got.
			HTTP: s.cfg.PublicURL, RTMP: "rtmp://" + net.JoinHostPort(s.cfg.IngestHost(), rtmpPort)},
		Beat: s.leaseBeat, TTL: s.leaseTTL,
		// Leases are about processes on real clocks, not the time the channels
		// see (WithClock).
		Now: time.Now,
		Log: s.log.With("component", "lease"),
	})
	err := s.lease.Acquire(ctx, s.cfg.Standby, func(held *domain.LeaseHeldError) {
		msg := fmt.Sprintf("%v; standing by: this server takes over at once when that one stops, or within %v of its last beat if it dies",
			held, s.lease.TakeOverWithin())
		s.log.Warn(msg, "holderHttp", held.Holder.HTTP, "holderRtmp", held.Holder.RTMP, "holderHost", held.Holder.Host, "holderPid", held.Holder.PID)
		if s.stderr != nil {
			fmt.Fprintln(s.stderr, "onair serve:", msg)
		}
	})
	var held *domain.LeaseHeldError
	if errors.As(err, &held) {
		return fmt.Errorf("%w; stop it first, or start this one with --standby to take over when it is gone", err)
	}
	return err
}

// releaseLease lets a standby take over at once; it runs when this server has
// stopped its channels' work.
func (s *Server) releaseLease() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.lease.Release(ctx); err != nil {
		s.log.Warn("releasing the store's lease; a standby takes over when it expires", "err", err)
	}
}
