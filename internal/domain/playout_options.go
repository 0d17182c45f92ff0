package domain

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// parseMP4SplitOptions reads the mp4split options that act in onair, and
// says what is wrong with the first that cannot be used.
// --restart_on_encoder_reconnect is how onair always behaves; --iss.disable
// and --hds.disable ask for what onair never serves.
func parseMP4SplitOptions(s string) (PlayoutOptions, string) {
	var o PlayoutOptions
	for _, f := range strings.Fields(s) {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if !strings.HasPrefix(f, "--") {
			return o, fmt.Sprintf("%q is not an option (options start with --)", f)
		}
		flag := func(set *bool) string {
			if !hasValue {
				*set = true
				return ""
			}
			b, ok := parseBool(value)
			if !ok {
				return fmt.Sprintf("--%s takes no value, or true or false, not %q", name, value)
			}
			*set = b
			return ""
		}
		number := func(set *int) string {
			n, err := strconv.Atoi(value)
			if !hasValue || err != nil || n < 0 {
				return fmt.Sprintf("--%s needs a whole number of seconds, as in --%s=60", name, name)
			}
			*set = n
			return ""
		}
		var bad string
		switch name {
		case "dvr_window_length":
			bad = number(&o.DVRWindowSeconds)
		case "archive_segment_length":
			bad = number(&o.ArchiveSegmentSeconds)
		case "archiving":
			var b bool
			if bad = flag(&b); bad == "" {
				o.Archiving = &b
			}
		case "hls.disable":
			bad = flag(&o.HLSDisabled)
		case "mpd.disable":
			bad = flag(&o.DASHDisabled)
		case "iss.disable", "hds.disable", "restart_on_encoder_reconnect":
			var ignored bool
			bad = flag(&ignored)
		default:
			bad = fmt.Sprintf("unknown option --%s (onair knows --dvr_window_length, --archiving, --archive_segment_length, "+
				"--hls.disable, --mpd.disable, --iss.disable, --hds.disable and --restart_on_encoder_reconnect)", name)
		}
		if bad != "" {
			return o, bad
		}
	}
	return o, ""
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// check lists what is wrong with the drm object, the fields relative to it.
func (d *PlayoutDRM) check() []FieldError {
	var errs []FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	switch d.Provider {
	case DRMVualto, DRMThirdParty:
	default:
		add(".drm_provider", "must be VUALTO or THIRDPARTY, not %q", d.Provider)
	}
	if d.Provider == DRMThirdParty && len(d.Data) == 0 {
		add(".drm_data", "THIRDPARTY needs an entry per DRM system, with its key_id, key_iv and key")
	}
	seen := map[string]bool{}
	for i, e := range d.Data {
		f := fmt.Sprintf(".drm_data[%d]", i)
		switch e.Name {
		case DRMCENC, DRMFairPlay:
		default:
			add(f+".name", "must be CENC or FAIRPLAY, not %q", e.Name)
		}
		if seen[e.Name] {
			add(f+".name", "%s is given twice", e.Name)
		}
		seen[e.Name] = true
		switch {
		case e.Scheme != "" && e.Name != DRMCENC:
			add(f+".scheme", "only CENC has a scheme (FairPlay is always cbcs)")
		case e.Scheme != "" && e.Scheme != SchemeCENC && e.Scheme != SchemeCBCS:
			add(f+".scheme", "must be cenc or cbcs, not %q", e.Scheme)
		}
		if e.Name == DRMFairPlay && e.LAURL == "" {
			add(f+".laurl", "FairPlay needs the key server's URL (it goes into the skd:// URI)")
		}
		if e.Name == DRMFairPlay && d.Provider == DRMVualto {
			add(f+".name", "FAIRPLAY needs THIRDPARTY keys: a FairPlay key server must know the key, and onair's own (VUALTO) keys are served by its ClearKey endpoint only")
		}
		if d.Provider != DRMThirdParty {
			continue
		}
		if _, err := KeyBytes(e.KeyID, 16); err != nil {
			add(f+".key_id", "%v", err)
		}
		if _, err := KeyBytes(e.KeyIV, 8, 16); err != nil {
			add(f+".key_iv", "%v", err)
		}
		if e.Key == "" && e.ContentID == "" {
			add(f+".key", "is required, unless content_id names a key that the configured key provider resolves")
		} else if _, err := KeyBytes(e.Key, 16); e.Key != "" && err != nil {
			add(f+".key", "%v", err)
		}
	}
	return errs
}

// Entry is the drm_data entry of a DRM system; a VUALTO drm object without
// drm_data has a CENC entry.
func (d *PlayoutDRM) Entry(name string) (DRMEntry, bool) {
	if d == nil {
		return DRMEntry{}, false
	}
	if len(d.Data) == 0 && d.Provider == DRMVualto {
		return DRMEntry{Name: DRMCENC}, name == DRMCENC
	}
	for _, e := range d.Data {
		if e.Name == name {
			return e, true
		}
	}
	return DRMEntry{}, false
}

// KeyBytes decodes a key, key id or IV given as hex (a key id also as a
// UUID) or base64, of one of the sizes given.
func KeyBytes(s string, sizes ...int) ([]byte, error) {
	want := func() string {
		parts := make([]string, len(sizes))
		for i, n := range sizes {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, " or ")
	}
	if s == "" {
		return nil, fmt.Errorf("is required: %s bytes, in hex or base64", want())
	}
	candidates := [][]byte{}
	if b, err := hex.DecodeString(strings.ReplaceAll(s, "-", "")); err == nil {
		candidates = append(candidates, b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			candidates = append(candidates, b)
		}
	}
	for _, b := range candidates {
		for _, n := range sizes {
			if len(b) == n {
				return b, nil
			}
		}
	}
	return nil, fmt.Errorf("must be %s bytes in hex or base64", want())
}

// playoutSecrets are the drm_data properties that are credentials: a
// THIRDPARTY content key and FairPlay's application secret key.
var playoutSecrets = []string{"key", "ask"}

// MaskPlayoutSecrets is a configuration JSON as onair shows it: each
// drm_data entry's key and ask replaced by Mask. One without them is
// answered as it was given, byte for byte.
func MaskPlayoutSecrets(config string) string {
	doc, entries := drmEntries(config)
	masked := false
	for _, e := range entries {
		for _, k := range playoutSecrets {
			if v, ok := e[k].(string); ok && v != "" {
				e[k], masked = Mask, true
			}
		}
	}
	if !masked {
		return config
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return config
	}
	return string(b)
}

// KeepPlayoutSecrets gives a configuration sent back with masked secrets
// (as MaskPlayoutSecrets shows them) the stored values of the same entry,
// found by its name.
func KeepPlayoutSecrets(config, stored string) string {
	doc, entries := drmEntries(config)
	_, old := drmEntries(stored)
	kept := false
	for _, e := range entries {
		for _, k := range playoutSecrets {
			if e[k] != Mask {
				continue
			}
			for _, o := range old {
				if o["name"] == e["name"] {
					e[k], kept = o[k], true
				}
			}
		}
	}
	if !kept {
		return config
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return config
	}
	return string(b)
}

// drmEntries reads a configuration as generic JSON, with its drm_data
// entries; nil entries when it has none or does not read.
func drmEntries(config string) (map[string]any, []map[string]any) {
	var doc map[string]any
	if json.Unmarshal([]byte(config), &doc) != nil {
		return nil, nil
	}
	drm, _ := doc["drm"].(map[string]any)
	data, _ := drm["drm_data"].([]any)
	var out []map[string]any
	for _, d := range data {
		if e, ok := d.(map[string]any); ok {
			out = append(out, e)
		}
	}
	return doc, out
}
