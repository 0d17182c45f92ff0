package domain

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Limits on blueprint values, chosen to catch typos (a bitrate in kbps instead of
// bps) as much as to bound the work one channel can ask for.
const (
	maxRenditions   = 8
	minVideoBitrate = 50_000
	maxVideoBitrate = 100_000_000
)

var (
	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	// liveDirNames are what a live directory holds besides its renditions'
	// variants: the AES-128 keys, the CMAF output and the HLS push outputs.
	liveDirNames     = []string{"keys", "cmaf", "push"}
	renditionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)
	nameModTokens    = regexp.MustCompile(`\$[a-z]+\$`)
	nameModPattern   = regexp.MustCompile(`^[A-Za-z0-9_$./-]{1,64}$`)
)

// ValidateBlueprint checks a blueprint a user sent, with field paths under prefix
// (for example "blueprint"). It returns a *ValidationError listing every problem.
func ValidateBlueprint(prefix string, b *Blueprint) error {
	p := &problems{}
	if b.ID != "" && !idPattern.MatchString(b.ID) {
		p.add(join(prefix, "id"), "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	checkText(p, join(prefix, "name"), b.Name, true, maxNameLen)
	checkText(p, join(prefix, "description"), b.Description, false, maxDescriptionLen)
	checkTags(p, join(prefix, "tags"), b.Tags)
	validateSettings(p, join(prefix, "settings"), &b.Settings)
	return p.err()
}

func validateSettings(p *problems, prefix string, s *BlueprintSettings) {
	validateInputs(p, join(prefix, "inputs"), s.Inputs)
	ladder := validateChannel(p, join(prefix, "channel"), &s.Channel)
	dests := validateDestinations(p, join(prefix, "destinations"), s.Destinations, s.Channel.Class.Pipelines(), ladder)
	validateOutputGroups(p, join(prefix, "outputGroups"), s, ladder, dests)
	validateSupport(p, prefix, s)
	if s.PlayerPreview != nil && s.PlayerPreview.URL != "" {
		checkURL(p, join(prefix, "playerPreview.url"), s.PlayerPreview.URL, "http", "https")
	}
	if s.AlertWebhook != "" {
		checkURL(p, join(prefix, "alertWebhook"), s.AlertWebhook, "http", "https")
	}
	if s.ArchiveRetentionDays != 0 {
		checkRange(p, join(prefix, "archiveRetentionDays"), s.ArchiveRetentionDays, 1, 36500)
	}
}

// CheckWebhookURL checks a webhook's URL: absolute, http or https.
func CheckWebhookURL(raw string) error {
	p := &problems{}
	checkURL(p, "", raw, "http", "https")
	if len(p.list) > 0 {
		return errors.New(p.list[0].Message)
	}
	return nil
}

func validateInputs(p *problems, prefix string, inputs []Input) {
	if len(inputs) != 1 {
		p.add(prefix, "must hold exactly one input, got %d", len(inputs))
	}
	for i, in := range inputs {
		at := index(prefix, i)
		switch {
		case (in.CreateInput == nil) == (in.ManagedInput == nil):
			p.add(at, "must set exactly one of createInput and managedInput")
		case in.CreateInput != nil:
			ci := in.CreateInput
			if ci.Type != "" && ci.Type != "VIRTUAL_INPUT" {
				p.add(join(at, "createInput.type"), "must be VIRTUAL_INPUT, got %q", ci.Type)
			}
			if ci.Protocol != "RTMP_PUSH" {
				p.add(join(at, "createInput.protocol"), "must be RTMP_PUSH, got %q", ci.Protocol)
			}
		default:
			if in.ManagedInput.ID == "" {
				p.add(join(at, "managedInput.id"), "is required")
			}
		}
	}
}

// validateChannel checks the class and ladder, and returns the ladder's renditions
// by name for the output groups to refer to.
func validateChannel(p *problems, prefix string, c *ChannelSettings) map[string]VideoRendition {
	if c.Class != ClassSinglePipeline && c.Class != ClassStandard {
		p.add(join(prefix, "class"), "must be SINGLE_PIPELINE or STANDARD, got %q", c.Class)
	}
	ladder := map[string]VideoRendition{}
	if c.Passthrough {
		if len(c.Video) > 0 {
			p.add(join(prefix, "video"), "must be empty when passthrough is true")
		}
		if c.Audio != nil {
			p.add(join(prefix, "audio"), "must be absent when passthrough is true")
		}
		if c.Source != "" {
			p.add(join(prefix, "source"), "must be empty when passthrough is true: the source is then the only rung")
		}
		return ladder
	}
	switch {
	case len(c.Video) == 0:
		p.add(join(prefix, "video"), "needs at least one rendition unless passthrough is true")
	case len(c.Video) > maxRenditions:
		p.add(join(prefix, "video"), "has %d renditions; at most %d", len(c.Video), maxRenditions)
	}
	if c.Source != "" {
		checkRenditionName(p, join(prefix, "source"), c.Source)
		ladder[c.Source] = VideoRendition{Name: c.Source}
	}
	for i := range c.Video {
		v := c.Video[i]
		at := index(join(prefix, "video"), i)
		validateRendition(p, at, &v)
		if _, dup := ladder[v.Name]; dup {
			p.add(join(at, "name"), "%q is used twice", v.Name)
		}
		ladder[v.Name] = v
	}
	if c.Audio == nil {
		p.add(join(prefix, "audio"), "is required unless passthrough is true")
	} else {
		validateAudio(p, join(prefix, "audio"), c.Audio)
	}
	return ladder
}

func validateRendition(p *problems, prefix string, v *VideoRendition) {
	checkRenditionName(p, join(prefix, "name"), v.Name)
	if v.Codec != "H264" {
		p.add(join(prefix, "codec"), "must be H264, got %q", v.Codec)
	}
	checkRange(p, join(prefix, "width"), v.Width, 16, 7680)
	checkRange(p, join(prefix, "height"), v.Height, 16, 4320)
	if v.Width%2 != 0 {
		p.add(join(prefix, "width"), "must be even, got %d", v.Width)
	}
	if v.Height%2 != 0 {
		p.add(join(prefix, "height"), "must be even, got %d", v.Height)
	}
	checkRange(p, join(prefix, "bitrate"), v.Bitrate, minVideoBitrate, maxVideoBitrate)
	if v.Maxrate < v.Bitrate || v.Maxrate > 2*maxVideoBitrate {
		p.add(join(prefix, "maxrate"), "must be at least bitrate (%d) and at most %d, got %d", v.Bitrate, 2*maxVideoBitrate, v.Maxrate)
	}
	if v.GopSeconds < 0.5 || v.GopSeconds > 10 {
		p.add(join(prefix, "gopSeconds"), "must be between 0.5 and 10, got %g", v.GopSeconds)
	}
	switch v.Profile {
	case "baseline", "main", "high":
	default:
		p.add(join(prefix, "profile"), "must be baseline, main or high, got %q", v.Profile)
	}
	if v.Framerate != 0 && (v.Framerate < 1 || v.Framerate > 120) {
		p.add(join(prefix, "framerate"), "must be 0 (source) or between 1 and 120, got %g", v.Framerate)
	}
}

func validateAudio(p *problems, prefix string, a *Audio) {
	if a.Codec != "AAC" {
		p.add(join(prefix, "codec"), "must be AAC, got %q", a.Codec)
	}
	switch a.SampleRate {
	case 32000, 44100, 48000:
	default:
		p.add(join(prefix, "sampleRate"), "must be 32000, 44100 or 48000, got %d", a.SampleRate)
	}
	checkRange(p, join(prefix, "bitrate"), a.Bitrate, 32_000, 320_000)
	checkRange(p, join(prefix, "channels"), a.Channels, 1, 2)
}

// validateDestinations checks each destination has one setting per pipeline and
// returns them by id.
func validateDestinations(p *problems, prefix string, dests []Destination, pipelines int, ladder map[string]VideoRendition) map[string]Destination {
	byID := map[string]Destination{}
	for i, d := range dests {
		at := index(prefix, i)
		if d.PlaybackURLTemplate != "" {
			checkURL(p, join(at, "playbackUrlTemplate"), d.PlaybackURLTemplate, "http", "https")
		}
		if d.Method != "" && d.Method != "PUT" && d.Method != "POST" {
			p.add(join(at, "method"), "must be PUT or POST, got %q", d.Method)
		}
		if _, ok := ladder[d.Rendition]; d.Rendition != "" && d.Rendition != RenditionSource && !ok {
			p.add(join(at, "rendition"), "names no rendition of the ladder: %q (use a name from channel.video, or SOURCE for the input as it arrives)", d.Rendition)
		}
		if !idPattern.MatchString(d.ID) {
			p.add(join(at, "id"), "must be 1-64 letters, digits, '.', '_' or '-'")
		} else if _, dup := byID[d.ID]; dup {
			p.add(join(at, "id"), "%q is used twice", d.ID)
		}
		byID[d.ID] = d
		if len(d.Settings) != pipelines {
			p.add(join(at, "settings"), "needs one setting per pipeline: %d, got %d", pipelines, len(d.Settings))
		}
		if len(d.MediaPackageSettings) > 0 {
			p.add(join(at, "mediaPackageSettings"), "must be empty ([]): onair packages the HLS itself, with no MediaPackage channel")
		}
		for j, s := range d.Settings {
			field := join(index(join(at, "settings"), j), "url")
			if _, _, ok := BucketURL(s.URL); ok {
				checkBucketURL(p, field, s.URL, false)
				continue
			}
			checkURL(p, field, s.URL, "rtmp", "rtmps", "http", "https", SchemeS3, SchemeMediaStoreSSL)
		}
	}
	return byID
}

func validateOutputGroups(p *problems, prefix string, s *BlueprintSettings, ladder map[string]VideoRendition, dests map[string]Destination) {
	if len(s.OutputGroups) == 0 {
		p.add(prefix, "needs at least one output group, an HLS group to the origin (without destinationId), and may add ARCHIVE and RTMP groups: a channel without one has nowhere to send its signal")
	}
	for i := range s.OutputGroups {
		g := &s.OutputGroups[i]
		at := index(prefix, i)
		checkText(p, join(at, "name"), g.Name, false, maxNameLen)
		switch g.Type {
		case OutputHLS:
			if g.HLS == nil {
				p.add(join(at, "hls"), "is required for type HLS")
			} else {
				validateHLS(p, join(at, "hls"), g.HLS, s.Channel.Video)
			}
		case OutputArchive:
			if g.Archive == nil {
				p.add(join(at, "archive"), "is required for type ARCHIVE")
			} else {
				validateArchive(p, join(at, "archive"), g.Archive, ladder, s.Channel.Class)
			}
		case OutputRTMP:
			if g.DestinationID == "" {
				p.add(join(at, "destinationId"), "is required for type RTMP")
			}
		default:
			p.add(join(at, "type"), "must be HLS, ARCHIVE or RTMP, got %q", g.Type)
		}
		if g.DestinationID != "" {
			d, ok := dests[g.DestinationID]
			if !ok {
				p.add(join(at, "destinationId"), "names no destination in settings.destinations: %q", g.DestinationID)
			}
			for j, ds := range d.Settings {
				u, err := url.Parse(ds.URL)
				if err != nil {
					continue
				}
				rtmp := u.Scheme == "rtmp" || u.Scheme == "rtmps"
				di := slices.IndexFunc(s.Destinations, func(x Destination) bool { return x.ID == g.DestinationID })
				switch at := join(index(join(index(join(strings.TrimSuffix(prefix, ".outputGroups"), "destinations"), di), "settings"), j), "url"); {
				case g.Type == OutputRTMP && !rtmp:
					p.add(at, "must be rtmp:// or rtmps:// for an RTMP output")
				case g.Type == OutputHLS && rtmp:
					p.add(at, "must be http:// or https:// for an HLS push output (Akamai MSL4 style), or a bucket (mediastoressl://, s3://bucket/prefix)")
				case g.Type == OutputArchive:
					checkBucketURL(p, at, ds.URL, true)
				}
			}
		}
	}
	formats := map[string]bool{}
	for _, h := range s.OriginHLSGroups() {
		if formats[h.SegmentFormat()] {
			p.add(prefix, "may hold one HLS group to the origin (without destinationId) of each format, TS and CMAF; it has two of format %s", h.SegmentFormat())
		}
		formats[h.SegmentFormat()] = true
	}

}

func validateHLS(p *problems, prefix string, h *HLSSettings, ladder []VideoRendition) {
	checkRange(p, join(prefix, "segmentSeconds"), h.SegmentSeconds, 1, 30)
	switch h.Format {
	case "", FormatTS:
		if h.LowLatency || h.PartSeconds != 0 {
			p.add(join(prefix, "lowLatency"), "LL-HLS needs format CMAF: set format to CMAF, or remove lowLatency and partSeconds")
		}
	case FormatCMAF:
		if h.PartSeconds != 0 && !h.LowLatency {
			p.add(join(prefix, "partSeconds"), "is read only with lowLatency true: set lowLatency, or remove partSeconds")
		}
		if part := h.Part(); h.LowLatency && (part < 0.2 || part > 2 || part > float64(h.SegmentSeconds)) {
			p.add(join(prefix, "partSeconds"), "must be between 0.2 and 2 s, and at most a segment (%d s), got %g", h.SegmentSeconds, part)
		}
	default:
		p.add(join(prefix, "format"), "must be TS or CMAF, got %q", h.Format)
	}
	if h.SegmentSeconds > 0 && h.WindowSeconds < 3*h.SegmentSeconds {
		p.add(join(prefix, "windowSeconds"), "must hold at least 3 segments (%d s), got %d", 3*h.SegmentSeconds, h.WindowSeconds)
	}
	if h.WindowSeconds > 24*3600 {
		p.add(join(prefix, "windowSeconds"), "must be at most 86400 (24 h), got %d", h.WindowSeconds)
	}
	for _, v := range ladder {
		if v.GopSeconds > 0 && !isMultiple(float64(h.SegmentSeconds), v.GopSeconds) {
			p.add(join(prefix, "segmentSeconds"), "must be a multiple of rendition %q's gopSeconds (%g), got %d", v.Name, v.GopSeconds, h.SegmentSeconds)
		}
	}
}

func validateArchive(p *problems, prefix string, a *ArchiveSettings, ladder map[string]VideoRendition, class ChannelClass) {
	switch {
	case a.Video != nil && a.Rendition != "":
		p.add(join(prefix, "rendition"), "must be empty when video is set")
	case a.Video != nil:
		validateRendition(p, join(prefix, "video"), a.Video)
	case a.Rendition == RenditionSource:
	default:
		if _, ok := ladder[a.Rendition]; !ok {
			p.add(join(prefix, "rendition"), "must name a rendition of channel.video, or be SOURCE; got %q", a.Rendition)
		}
	}
	if !nameModPattern.MatchString(a.NameModifier) {
		p.add(join(prefix, "nameModifier"), "must be 1-64 letters, digits, '$', '_', '-', '.' or '/', got %q", a.NameModifier)
	}
	for _, tok := range nameModTokens.FindAllString(a.NameModifier, -1) {
		switch tok {
		case "$w$", "$h$", "$rc$":
		default:
			p.add(join(prefix, "nameModifier"), "has unknown token %s; use $w$, $h$ or $rc$", tok)
		}
	}
	if strings.Contains(a.NameModifier, "..") || strings.HasPrefix(a.NameModifier, "/") || strings.Contains(a.NameModifier, `\`) {
		p.add(join(prefix, "nameModifier"), "must stay inside the archive directory")
	}
	if class == ClassSinglePipeline && pipelineDir(a.NameModifier) != "" {
		p.add(join(prefix, "nameModifier"), "may start with a pipeline directory (0/ or 1/) only in a STANDARD channel, got %q", a.NameModifier)
	}
	if a.SegmentSeconds != 0 {
		checkRange(p, join(prefix, "segmentSeconds"), a.SegmentSeconds, 1, 30)
	}
}

func isMultiple(x, step float64) bool {
	n := x / step
	r := n - float64(int(n+0.5))
	return n >= 1 && r < 1e-9 && r > -1e-9
}

// checkRenditionName checks the name of a rung, which names its variant's
// directory in the live directory.
func checkRenditionName(p *problems, field, name string) {
	if !renditionPattern.MatchString(name) || strings.EqualFold(name, RenditionSource) {
		p.add(field, "must be 1-32 letters, digits, '_' or '-', and not SOURCE")
	} else if slices.ContainsFunc(liveDirNames, func(d string) bool { return strings.EqualFold(name, d) }) {
		// A rendition's variant is a directory of the live directory, beside these.
		p.add(field, "must not be %q, which the live directory uses", name)
	}
}

func checkRange(p *problems, field string, v, lo, hi int) {
	if v < lo || v > hi {
		p.add(field, "must be between %d and %d, got %d", lo, hi, v)
	}
}

func checkURL(p *problems, field, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		p.add(field, "must be an absolute URL, got %q", MaskURL(raw))
		return
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return
		}
	}
	p.add(field, "must use one of %s, got %q", strings.Join(schemes, ", "), u.Scheme)
}
