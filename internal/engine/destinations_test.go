package engine

import (
	"testing"

	"onair/internal/domain"
	"onair/internal/pipeline"
)

// TestPushedFrom: a destination reads the rendition it names, the top one
// when it names none, and the source for SOURCE or a passthrough ladder;
// only the hubs destinations read keep a GOP.
func TestPushedFrom(t *testing.T) {
	abr := pipeline.Plan{Renditions: []pipeline.Rendition{
		{Name: "720p", Video: &domain.VideoRendition{}, Live: true},
		{Name: "360p", Video: &domain.VideoRendition{}, Live: true},
		{Name: "archive-0", Video: &domain.VideoRendition{}},
	}}
	passthrough := pipeline.Plan{Renditions: []pipeline.Rendition{{Name: domain.RenditionSource, Live: true}}}
	cases := []struct {
		plan      pipeline.Plan
		rendition string
		want      int
	}{
		{abr, "", 0},
		{abr, "360p", 1},
		{abr, domain.RenditionSource, sourceHub},
		{abr, "archive-0", 0}, // not a live rendition: validation refuses it; the top one here
		{passthrough, "", sourceHub},
		{passthrough, domain.RenditionSource, sourceHub},
	}
	for _, tc := range cases {
		p := &pipe{plan: tc.plan, spec: pipeline.Spec{Destinations: []pipeline.DestinationOutput{{ID: "d", Rendition: tc.rendition}}}}
		if got := p.pushedFrom(p.spec.Destinations[0]); got != tc.want {
			t.Errorf("%v, rendition %q: reads hub %d, want %d", tc.plan.Renditions[0].Name, tc.rendition, got, tc.want)
		}
		for i := sourceHub; i < len(tc.plan.Renditions); i++ {
			if p.pushes(i) != (i == tc.want) {
				t.Errorf("%v, rendition %q: hub %d keeps a GOP: %v", tc.plan.Renditions[0].Name, tc.rendition, i, p.pushes(i))
			}
		}
	}
}
