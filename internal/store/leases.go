package store

import (
	"context"
	"database/sql"
	"errors"

	"onair/internal/domain"
)

// LeaseStore keeps leases (domain.Lease): a row per name that one server at a
// time holds. Whether a lease has expired is judged by the time its caller
// gives (l.Renewed), not the database's, so that the holder and the servers
// waiting for it judge by the same kind of clock; servers sharing a store keep
// their clocks in step (NTP), as idTokens already need.
type LeaseStore interface {
	// AcquireLease takes the lease l.Name for l.Holder and writes l when no one
	// holds it, when its lease expired by l.Renewed, or when l.Holder holds it
	// already. It returns the lease as it then stands: l when it was taken
	// (with the first Acquired of this holder), the other holder's otherwise.
	AcquireLease(ctx context.Context, l domain.Lease) (domain.Lease, error)
	// RenewLease writes l's addresses, Renewed and Expires while l.Holder still
	// holds l.Name, and is domain.ErrLeaseLost once it does not.
	RenewLease(ctx context.Context, l domain.Lease) error
	// ReleaseLease deletes the lease while holder holds it, so that another
	// server may take it at once; when another holds it, it does nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
}

const leaseColumns = `name, holder, http_addr, rtmp_addr, host, pid, acquired, renewed, expires`

func scanLease(r scanner) (domain.Lease, error) {
	var l domain.Lease
	err := r.Scan(textCol{&l.Name}, textCol{&l.Holder}, textCol{&l.HTTP}, textCol{&l.RTMP}, textCol{&l.Host}, &l.PID,
		timeCol{&l.Acquired}, timeCol{&l.Renewed}, timeCol{&l.Expires})
	return l, err
}

// AcquireLease is one upsert whose WHERE is the rule: the row is written when
// it is new, expired or the caller's own. Reading it back in the same
// transaction gives whoever holds it; the upsert locked the row (PostgreSQL),
// or the transaction holds the write lock (SQLite), so nobody changes it in
// between.
func (s *sqlStore) AcquireLease(ctx context.Context, l domain.Lease) (domain.Lease, error) {
	var held domain.Lease
	err := s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO leases (`+leaseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, http_addr = excluded.http_addr,
				rtmp_addr = excluded.rtmp_addr, host = excluded.host, pid = excluded.pid,
				acquired = CASE WHEN leases.holder = excluded.holder THEN leases.acquired ELSE excluded.acquired END,
				renewed = excluded.renewed, expires = excluded.expires
			WHERE leases.holder = excluded.holder OR leases.expires <= excluded.renewed`,
			l.Name, l.Holder, l.HTTP, l.RTMP, l.Host, l.PID, s.d.time(l.Acquired), s.d.time(l.Renewed), s.d.time(l.Expires)); err != nil {
			return err
		}
		var err error
		held, err = scanLease(c.queryRow(ctx, `SELECT `+leaseColumns+` FROM leases WHERE name = ?`, l.Name))
		if errors.Is(err, sql.ErrNoRows) {
			return &domain.NotFoundError{Kind: "lease", ID: l.Name} // cannot happen: the upsert wrote it
		}
		return err
	})
	if err != nil {
		return domain.Lease{}, err
	}
	return held, nil
}

// RenewLease moves the lease's expiry on while the caller holds it.
func (s *sqlStore) RenewLease(ctx context.Context, l domain.Lease) error {
	res, err := s.conn().exec(ctx, `UPDATE leases SET http_addr = ?, rtmp_addr = ?, renewed = ?, expires = ?
		WHERE name = ? AND holder = ?`,
		l.HTTP, l.RTMP, s.d.time(l.Renewed), s.d.time(l.Expires), l.Name, l.Holder)
	return mustAffect(res, err, domain.ErrLeaseLost)
}

// ReleaseLease deletes the caller's lease.
func (s *sqlStore) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.conn().exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return err
}
