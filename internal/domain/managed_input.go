package domain

import "time"

// InputTypeRTMPPush is the one type of managed input: encoders push RTMP to it.
const InputTypeRTMPPush = "RTMP_PUSH"

// ManagedInputSpec is what a user sends to create a managed input. Only the name
// is required: the type is RTMP_PUSH, the region the server's default and the
// class SINGLE_PIPELINE when absent.
type ManagedInputSpec struct {
	Name   string       `json:"name" doc:"A name for people; the same characters as a workflow name."`
	Type   string       `json:"type,omitempty" enum:"RTMP_PUSH" doc:"How the signal arrives; RTMP_PUSH, the only type, when absent."`
	Region string       `json:"region,omitempty" doc:"A region of GET /api/regions; the default region when absent."`
	Class  ChannelClass `json:"class,omitempty" enum:"SINGLE_PIPELINE,STANDARD" doc:"STANDARD gives two endpoints, main and backup, for STANDARD channels; SINGLE_PIPELINE (one endpoint) when absent."`
}

// Validate checks a spec a user sent against the regions the server serves. It
// returns a *ValidationError listing every problem.
func (s *ManagedInputSpec) Validate(regions []string) error {
	p := &problems{}
	checkText(p, "name", s.Name, true, maxNameLen)
	if s.Type != "" && s.Type != InputTypeRTMPPush {
		p.add("type", "must be %s, got %q", InputTypeRTMPPush, s.Type)
	}
	if s.Region != "" && !contains(regions, s.Region) {
		p.add("region", "unknown region %q; GET /api/regions lists them", s.Region)
	}
	if s.Class != "" && s.Class != ClassSinglePipeline && s.Class != ClassStandard {
		p.add("class", "must be SINGLE_PIPELINE or STANDARD, got %q", s.Class)
	}
	return p.err()
}

// NewManagedInput makes the input a validated spec describes, with the defaults
// filled in and its endpoints allocated: one stream key per pipeline of its
// class, kept for the input's whole life.
func (s *ManagedInputSpec) NewManagedInput(id, org, defaultRegion string, now time.Time) ManagedInput {
	in := ManagedInput{
		ID: id, OrgID: org, Name: s.Name, Region: s.Region, Type: s.Type, Class: s.Class,
		Created: now.UTC(),
	}
	if in.Region == "" {
		in.Region = defaultRegion
	}
	if in.Type == "" {
		in.Type = InputTypeRTMPPush
	}
	if in.Class == "" {
		in.Class = ClassSinglePipeline
	}
	in.Ingests = NewIngests(in.Class)
	return in
}
