package domain

import "net/url"

// What a blueprint may ask for that the engine does not do. Every field of a
// blueprint is either acted on (pipeline.SpecFor and pipeline.Args build the
// channel from it, or the workflow and channel services use it) or refused
// here, naming the field and saying why: a setting that is accepted and then
// silently does nothing is worse than a 400. TestBlueprintFieldSupport is the
// audit, field by field.

// validateSupport refuses the settings that validate on their own but that no
// part of onair acts on.
func validateSupport(p *problems, prefix string, s *BlueprintSettings) {
	groups := join(prefix, "outputGroups")
	used := map[string]bool{}
	origins := 0
	for i, g := range s.OutputGroups {
		at := index(groups, i)
		if g.DestinationID != "" {
			used[g.DestinationID] = true
		}
		switch g.Type {
		case OutputHLS:
			if g.DestinationID == "" {
				origins++
			} else if g.HLS != nil && g.HLS.LowLatency {
				p.add(join(at, "hls.lowLatency"), "LL-HLS is for the origin's players (blocking playlist reload); an HLS push destination is sent whole segments: remove lowLatency")
			}
		}
		if g.HLS != nil && g.Type != OutputHLS {
			p.add(join(at, "hls"), "is read only for type HLS, and this group is %s: remove it", g.Type)
		}
		if g.Archive != nil && g.Type != OutputArchive {
			p.add(join(at, "archive"), "is read only for type ARCHIVE, and this group is %s: remove it", g.Type)
		}
	}
	if origins == 0 && len(s.OutputGroups) > 0 { // none at all is said by validateOutputGroups
		p.add(groups, "needs one HLS group without destinationId: every run is packaged as HLS on this server's origin, and archives and destinations are made alongside it")
	}
	validateArchiveDirs(p, groups, s)
	for i, d := range s.Destinations {
		at := index(join(prefix, "destinations"), i)
		if d.ID != "" && !used[d.ID] {
			p.add(join(at, "id"), "no output group uses destination %q: name it in an output group's destinationId (RTMP, HLS push or ARCHIVE), or remove it", d.ID)
		}
		for j, ds := range d.Settings {
			sat := index(join(at, "settings"), j)
			_, _, bucket := BucketURL(ds.URL)
			if u, err := url.Parse(ds.URL); err == nil && (u.Scheme == "rtmp" || u.Scheme == "rtmps") || bucket {
				why := "is for HLS push over HTTP (Akamai style); an RTMP destination takes its credentials in url or streamName"
				if bucket {
					why = "is for HLS push over HTTP (Akamai style); a bucket is written with the server's S3 credentials"
				}
				if ds.Username != "" {
					p.add(join(sat, "username"), "%s", why)
				}
				if ds.PasswordParam != "" {
					p.add(join(sat, "passwordParam"), "%s", why)
				}
				if bucket && ds.StreamName != "" {
					p.add(join(sat, "streamName"), "is for RTMP; a bucket destination has none")
				}
			}
		}
	}
}

// validateArchiveDirs refuses two archive groups that would record into the
// same directory, where the second would overwrite the first's files.
func validateArchiveDirs(p *problems, groups string, s *BlueprintSettings) {
	dirs := map[string]int{}
	for i, g := range s.OutputGroups {
		if g.Type != OutputArchive || g.Archive == nil {
			continue
		}
		dir := ArchiveName(g.Archive.NameModifier, s.Channel.Class, 0, s.ArchiveRendition(*g.Archive))
		if first, dup := dirs[dir]; dup {
			p.add(join(index(groups, i), "archive.nameModifier"), "records into %q as outputGroups[%d] does, and would overwrite it: give each archive its own nameModifier", dir, first)
			continue
		}
		dirs[dir] = i
	}
}

// ArchiveRendition is the rendition an archive records, for its name tokens:
// its own video, or the ladder's rendition it names. The source has no known
// size, so its tokens expand to zero values.
func (s BlueprintSettings) ArchiveRendition(a ArchiveSettings) VideoRendition {
	if a.Video != nil {
		return *a.Video
	}
	for _, v := range s.Channel.Video {
		if v.Name == a.Rendition {
			return v
		}
	}
	return VideoRendition{}
}
