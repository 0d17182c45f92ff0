// Package catalog holds the blueprints that ship with onair. They are read-only:
// an organization that wants a variant copies one and posts it as its own.
package catalog

import "onair/internal/domain"

// Built-in blueprint ids, stable across releases because workflows and scripts name them.
const (
	ABR720         = "rtmp-abr-720"
	ABR1080        = "rtmp-abr-1080"
	Passthrough    = "rtmp-passthrough"
	ABR720Standard = "rtmp-abr-720-standard"
)

// Catalog is the set of built-in blueprints, in display order. It keeps their
// constructors rather than values, so that every caller gets a fresh deep copy
// and nobody can change the catalog through a pointer it handed out.
type Catalog struct {
	builders []func() domain.Blueprint
}

// New builds the catalog.
func New() *Catalog {
	return &Catalog{builders: []func() domain.Blueprint{
		func() domain.Blueprint { return abr720(domain.ClassSinglePipeline) },
		abr1080,
		passthrough,
		func() domain.Blueprint { return abr720(domain.ClassStandard) },
	}}
}

// List returns the built-in blueprints.
func (c *Catalog) List() []domain.Blueprint {
	out := make([]domain.Blueprint, len(c.builders))
	for i, build := range c.builders {
		out[i] = build()
		out[i].BuiltIn = true
	}
	return out
}

// Get returns the built-in blueprint with this id.
func (c *Catalog) Get(id string) (domain.Blueprint, bool) {
	for _, b := range c.List() {
		if b.ID == id {
			return b, true
		}
	}
	return domain.Blueprint{}, false
}

// Has reports whether id names a built-in blueprint, whose id nobody else may take.
func (c *Catalog) Has(id string) bool {
	_, ok := c.Get(id)
	return ok
}

func rtmpInput() []domain.Input {
	return []domain.Input{{CreateInput: &domain.CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH"}}}
}

func rendition(name string, w, h, kbps int, gop float64) domain.VideoRendition {
	return domain.VideoRendition{
		Name: name, Codec: "H264", Width: w, Height: h,
		Bitrate: kbps * 1000, Maxrate: kbps * 1000 * 3 / 2, GopSeconds: gop, Profile: "high",
	}
}

func aac96() *domain.Audio {
	return &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 96_000, Channels: 2}
}

func hlsOrigin(segment, window int) domain.OutputGroup {
	return domain.OutputGroup{
		Name: "HLS origin", Type: domain.OutputHLS,
		HLS: &domain.HLSSettings{SegmentSeconds: segment, WindowSeconds: window},
	}
}

// cmafOrigin is the low-latency output every built-in adds to its TS one:
// CMAF segments with LL-HLS parts of half a second.
func cmafOrigin(segment, window int) domain.OutputGroup {
	return domain.OutputGroup{
		Name: "LL-HLS origin (CMAF)", Type: domain.OutputHLS,
		HLS: &domain.HLSSettings{SegmentSeconds: segment, WindowSeconds: window, Format: domain.FormatCMAF, LowLatency: true},
	}
}

func archive(a domain.ArchiveSettings) domain.OutputGroup {
	return domain.OutputGroup{Name: "Archive", Type: domain.OutputArchive, Archive: &a}
}

// abr720 is the IOIO guide's ladder: 720p@4096k, 540p@3096k, 360p@1596k and
// 270p@496k, a 3 s GOP, AAC 48 kHz at 96 kbps, recorded at the top rendition.
func abr720(class domain.ChannelClass) domain.Blueprint {
	b := domain.Blueprint{
		ID:          ABR720,
		Name:        "RTMP - HLS ABR 720p and Archive",
		Description: "RTMP push input with HLS output 720p@4096kbps, 540p@3096kbps, 360p@1596kbps, 270p@496kbps, GOP 3s, Audio: AAC-LC 48kHz@96kbps, archived at 720p",
		Featured:    true,
		Tags:        []string{"rtmp", "hls", "abr", "archive"},
		Settings: domain.BlueprintSettings{
			Inputs: rtmpInput(),
			Channel: domain.ChannelSettings{
				Class: class,
				Video: []domain.VideoRendition{
					rendition("720p", 1280, 720, 4096, 3),
					rendition("540p", 960, 540, 3096, 3),
					rendition("360p", 640, 360, 1596, 3),
					rendition("270p", 480, 270, 496, 3),
				},
				Audio: aac96(),
			},
			OutputGroups: []domain.OutputGroup{
				hlsOrigin(6, 3600),
				archive(domain.ArchiveSettings{Rendition: "720p", NameModifier: "$w$x$h$$rc$"}),
				cmafOrigin(6, 3600),
			},
		},
	}
	if class == domain.ClassStandard {
		b.ID = ABR720Standard
		b.Name = "RTMP - HLS ABR 720p and Archive, main and backup"
		b.Description = "STANDARD class (main and backup pipelines) of " + b.Description
		b.Featured = false
		b.Tags = append(b.Tags, "standard")
		b.Settings.OutputGroups[1].Archive.NameModifier = "0/$w$x$h$$rc$"
	}
	return b
}

// abr1080 is the trackit ladder: 1920x1080@8000k, 1280x720@4700k, 960x540@2200k
// and 640x360@800k, with an archive rendition of its own at 1080p@7000k.
func abr1080() domain.Blueprint {
	arch := rendition("archive1080p", 1920, 1080, 7000, 2)
	return domain.Blueprint{
		ID:          ABR1080,
		Name:        "RTMP - HLS ABR 1080p and Archive",
		Description: "RTMP push input with HLS output 1080p@8000kbps, 720p@4700kbps, 540p@2200kbps, 360p@800kbps, GOP 2s, Audio: AAC-LC 48kHz@96kbps, archived at 1080p@7000kbps",
		Featured:    true,
		Tags:        []string{"rtmp", "hls", "abr", "archive", "1080p"},
		Settings: domain.BlueprintSettings{
			Inputs: rtmpInput(),
			Channel: domain.ChannelSettings{
				Class: domain.ClassSinglePipeline,
				Video: []domain.VideoRendition{
					rendition("1080p", 1920, 1080, 8000, 2),
					rendition("720p", 1280, 720, 4700, 2),
					rendition("540p", 960, 540, 2200, 2),
					rendition("360p", 640, 360, 800, 2),
				},
				Audio: aac96(),
			},
			OutputGroups: []domain.OutputGroup{
				hlsOrigin(6, 3600),
				archive(domain.ArchiveSettings{Video: &arch, NameModifier: "$w$x$h$$rc$"}),
				cmafOrigin(6, 3600),
			},
		},
	}
}

// passthrough packages the source as it arrives: no transcoding, HLS and an archive.
func passthrough() domain.Blueprint {
	return domain.Blueprint{
		ID:          Passthrough,
		Name:        "RTMP - HLS passthrough and Archive",
		Description: "RTMP push input packaged to HLS without transcoding, archived as received. The encoder sets the quality and the keyframe interval.",
		Featured:    true,
		Tags:        []string{"rtmp", "hls", "passthrough", "archive"},
		Settings: domain.BlueprintSettings{
			Inputs:  rtmpInput(),
			Channel: domain.ChannelSettings{Class: domain.ClassSinglePipeline, Passthrough: true},
			OutputGroups: []domain.OutputGroup{
				hlsOrigin(6, 3600),
				archive(domain.ArchiveSettings{Rendition: domain.RenditionSource, NameModifier: "source"}),
				cmafOrigin(6, 3600),
			},
		},
	}
}
