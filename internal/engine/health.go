package engine

import (
	"onair/internal/health"
)

// Readings reads every pipeline of the runs started here, for the health
// monitor: the source's meter, the encoder's progress, each rendition's
// bitrate, each reader's drops, the destinations and whether the
// pipeline's alert is open. The counters are the ones the metrics export.
func (l *Local) Readings() []health.Reading {
	rows := l.pipeRows()
	out := make([]health.Reading, 0, len(rows))
	for _, r := range rows {
		if !r.started {
			continue
		}
		p := r.p
		hr := health.Reading{Ref: health.RunRef(r.ref), Pipeline: p.index, Publisher: r.publisher, Failing: p.alert.open.Load()}
		for i, m := range p.meters {
			s := m.meter.Stats()
			if i == 0 { // the source
				hr.InBitrate, hr.InFrameRate, hr.SourceFrameRate = s.Bitrate, s.FrameRate, s.DeclaredFrameRate
				hr.GOP, hr.Drift, hr.InputLoss = s.GOP, s.Drift, s.InputLoss
			} else {
				hr.Renditions = append(hr.Renditions, health.RenditionReading{Name: m.name, Bitrate: s.Bitrate})
			}
			for _, rs := range m.hub.Stats() {
				hr.QueueDrops = append(hr.QueueDrops, health.ReaderDrops{Reader: m.name + "|" + rs.Name, Kind: health.ReaderKind(rs.Name), Dropped: rs.Dropped})
			}
		}
		if e := p.encoder; e != nil {
			sup := e.Supervisor()
			pr := sup.Progress()
			hr.Encoder = &health.EncoderReading{Running: sup.Running(), Instance: pr.Instance, OutTime: pr.OutTime, At: pr.At,
				DropFrames: pr.DropFrames, Restarts: sup.Restarts()}
		}
		for _, w := range p.destinations {
			s := w.Status()
			hr.Destinations = append(hr.Destinations, health.DestinationReading{ID: s.ID, State: s.State, LastError: s.LastError,
				Errors4xx: s.Output4xxErrors, Errors5xx: s.Output5xxErrors})
		}
		out = append(out, hr)
	}
	return out
}
