package store

import (
	"context"
	"crypto/subtle"
	"encoding/json"

	"onair/internal/domain"
)

// ingestStatuses are the statuses in which a run's endpoints take publishers.
var ingestStatuses = []any{string(domain.StatusProvisioning), string(domain.StatusStarting), string(domain.StatusRunning)}

// ChannelByStreamKey returns, across organizations, the channel whose current
// run takes publishers (PROVISIONING, STARTING or RUNNING) on an endpoint with
// this stream key; found is false when none does.
func (s *sqlStore) ChannelByStreamKey(ctx context.Context, key string) (ch domain.Channel, found bool, err error) {
	quoted, err := json.Marshal(key) // as the inputs JSON holds it, so only a whole key matches
	if err != nil {
		return domain.Channel{}, false, err
	}
	refs, err := s.channelRefs(ctx, `status IN (`+placeholders(len(ingestStatuses))+`)
		AND run_id IN (SELECT id FROM runs WHERE `+s.d.containsText("inputs")+`)`,
		append(append([]any(nil), ingestStatuses...), string(quoted))...)
	if err != nil {
		return domain.Channel{}, false, err
	}
	for _, ref := range refs {
		ch, err := s.GetChannel(ctx, ref.OrgID, ref.WorkflowID)
		if err != nil || ch.Run == nil {
			continue // gone meanwhile
		}
		for _, in := range ch.Run.Inputs {
			if subtle.ConstantTimeCompare([]byte(in.StreamKey), []byte(key)) == 1 {
				return ch, true, nil
			}
		}
	}
	return domain.Channel{}, false, nil
}

// containsText is the dialect's condition that text column col holds the
// query argument's text.
func (d dialect) containsText(col string) string {
	if d.name == postgresDialect.name {
		return "strpos(" + col + ", ?) > 0"
	}
	return "instr(" + col + ", ?) > 0"
}
