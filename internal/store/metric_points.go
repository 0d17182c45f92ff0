package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"onair/internal/domain"
)

// The health history's points (domain.MetricPoint): one row per workflow,
// resolution, period and pipeline, every series of the period in one JSON
// object.

func (s *sqlStore) SaveMetricPoints(ctx context.Context, pts []domain.MetricPoint) error {
	if len(pts) == 0 {
		return nil
	}
	return s.inTx(ctx, func(c conn) error {
		for _, p := range pts {
			vals, err := json.Marshal(finite(p.Values))
			if err != nil {
				return fmt.Errorf("metric point of run %q at %s: %w", p.RunID, p.Time, err)
			}
			// A workflow deleted meanwhile takes its history with it: its
			// points are not written.
			_, err = c.exec(ctx, `INSERT INTO metric_points (workflow_id, resolution, t, pipeline, org_id, run_id, vals)
				SELECT CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)
				WHERE EXISTS (SELECT 1 FROM workflows WHERE id = ?)
				ON CONFLICT (workflow_id, resolution, t, pipeline) DO UPDATE SET run_id = excluded.run_id, vals = excluded.vals`,
				p.WorkflowID, int64(p.Resolution/time.Second), p.Time.Unix(), p.Pipeline, p.OrgID, p.RunID, string(vals), p.WorkflowID)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *sqlStore) MetricPoints(ctx context.Context, org, workflowID string, res time.Duration, from, to time.Time) ([]domain.MetricPoint, error) {
	q, args := metricPointsQuery(org, workflowID, res, from, to)
	return queryList(ctx, s.conn(), func(r scanner) (domain.MetricPoint, error) {
		p := domain.MetricPoint{OrgID: org, WorkflowID: workflowID, Resolution: res}
		var t int64
		var vals string
		if err := r.Scan(&t, &p.Pipeline, textCol{&p.RunID}, textCol{&vals}); err != nil {
			return p, err
		}
		p.Time = time.Unix(t, 0).UTC()
		if err := json.Unmarshal([]byte(vals), &p.Values); err != nil {
			return p, fmt.Errorf("metric point of run %q at %s: %w", p.RunID, p.Time, err)
		}
		return p, nil
	}, q, args...)
}

// metricPointsQuery is MetricPoints' statement: one range of the primary key.
func metricPointsQuery(org, workflowID string, res time.Duration, from, to time.Time) (string, []any) {
	return `SELECT t, pipeline, run_id, vals FROM metric_points
		WHERE workflow_id = ? AND resolution = ? AND t >= ? AND t < ? AND org_id = ?
		ORDER BY t, pipeline`, []any{workflowID, int64(res / time.Second), from.Unix(), ceilUnix(to), org}
}

// ceilUnix is the first whole second at or after t.
func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.After(time.Unix(u, 0)) {
		u++
	}
	return u
}

func (s *sqlStore) PruneMetricPoints(ctx context.Context, fine time.Duration, fineBefore, coarseBefore time.Time) (int64, error) {
	active := activeStatuses()
	args := append(append([]any{int64(fine / time.Second)}, active...), s.d.time(fineBefore))
	res, err := s.conn().exec(ctx, `DELETE FROM metric_points WHERE resolution = ? AND run_id IN
		(SELECT id FROM runs WHERE status NOT IN (`+placeholders(len(active))+`) AND (stopped IS NULL OR stopped < ?))`, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	res, err = s.conn().exec(ctx, `DELETE FROM metric_points WHERE resolution <> ? AND t < ?`, int64(fine/time.Second), coarseBefore.Unix())
	if err != nil {
		return n, err
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}

// finite is values without NaN and infinities, which JSON cannot hold.
func finite(values map[string]float64) map[string]float64 {
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out := make(map[string]float64, len(values))
			for k, v := range values {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					out[k] = v
				}
			}
			return out
		}
	}
	return values
}
