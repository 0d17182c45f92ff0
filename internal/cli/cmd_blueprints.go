package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"onair/internal/api"
	"onair/internal/domain"
)

func blueprintsResource() resource {
	return resource{
		name:    "blueprints",
		summary: "Blueprints are channel templates: the built-in catalog and your own.",
		verbs: []verb{
			{name: "list", summary: "list the blueprints", setup: func(*flag.FlagSet) runFunc { return listBlueprints }},
			{name: "get", synopsis: "<id>", summary: "show a blueprint (-o json gives the object to paste into a workflow)",
				setup: func(*flag.FlagSet) runFunc { return getBlueprint }},
		},
	}
}

func listBlueprints(ctx context.Context, s *session, args []string) error {
	if err := exactArgs(args); err != nil {
		return err
	}
	var list api.BlueprintList
	raw, err := s.api.get(ctx, "/api/blueprints", nil, &list)
	if err != nil {
		return err
	}
	if s.json {
		return printJSON(s.stdout, raw)
	}
	t := newTable(s.stdout, "ID", "NAME", "FEATURED", "TAGS")
	for _, b := range list.Items {
		t.row(b.ID, b.Name, yesNo(b.Featured), fmtTags(b.Tags))
	}
	return t.flush()
}

func getBlueprint(ctx context.Context, s *session, args []string) error {
	var b domain.Blueprint
	if done, err := getOne(ctx, s, args, "/api/blueprints", "<id>", &b); done || err != nil {
		return err
	}
	d := newDetails(s.stdout)
	d.add("id", b.ID)
	d.add("name", b.Name)
	d.add("description", b.Description)
	d.add("featured", yesNo(b.Featured))
	d.add("built in", yesNo(b.BuiltIn))
	d.add("tags", fmtTags(b.Tags))
	addSettings(d, b.Settings)
	return d.flush()
}

// addSettings describes a blueprint's settings in a few lines, for blueprints get
// and workflows get.
func addSettings(d *details, st domain.BlueprintSettings) {
	for _, in := range st.Inputs {
		switch {
		case in.CreateInput != nil:
			d.add("input", strings.TrimSpace(in.CreateInput.Protocol+" "+in.CreateInput.Type))
		case in.ManagedInput != nil:
			d.add("input", "managed input "+in.ManagedInput.ID)
		}
	}
	ch := st.Channel
	class := string(ch.Class)
	if ch.Passthrough {
		class += ", passthrough"
	}
	d.add("channel", class)
	for _, v := range ch.Video {
		d.add("video", fmt.Sprintf("%s  %s %dx%d %s (max %s), %s, GOP %gs",
			v.Name, v.Codec, v.Width, v.Height, fmtBitrate(v.Bitrate), fmtBitrate(v.Maxrate), v.Profile, v.GopSeconds))
	}
	if a := ch.Audio; a != nil {
		d.add("audio", fmt.Sprintf("%s %d Hz, %d ch, %s", a.Codec, a.SampleRate, a.Channels, fmtBitrate(a.Bitrate)))
	}
	for _, g := range st.OutputGroups {
		desc := string(g.Type)
		switch {
		case g.HLS != nil:
			desc += fmt.Sprintf(", %ds segments, %ds window", g.HLS.SegmentSeconds, g.HLS.WindowSeconds)
		case g.Archive != nil && g.Archive.Rendition != "":
			desc += ", rendition " + g.Archive.Rendition
		}
		if g.DestinationID != "" {
			desc += ", to " + g.DestinationID
		}
		d.add("output", g.Name+"  "+desc)
	}
}
